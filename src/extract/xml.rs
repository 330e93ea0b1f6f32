//! Small helpers over quick-xml shared by the XLSX and DOCX readers.

use std::borrow::Cow;

use quick_xml::escape::resolve_xml_entity;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::ExtractError;

/// The prefix (`"w:"`, `"x:"` or `""`) a part binds to its main namespace,
/// read from the root element, so `<w:t>` and a renamed `<x:t>` both match
/// while `<m:t>` (math) or `<a:t>` (drawing) do not. Without a declaration
/// the conventional prefix (`fallback`, `""` for none) is assumed.
#[derive(Debug, Clone)]
pub(crate) struct Ns {
    prefix: String,
}

impl Ns {
    pub fn detect(xml: &str, uris: &[&str], fallback: &str) -> Self {
        Self::detect_in(xml.as_bytes(), uris, fallback)
    }

    /// [`Ns::detect`] on a part read as a stream: it stops at the root
    /// element.
    pub fn detect_in(xml: impl std::io::BufRead, uris: &[&str], fallback: &str) -> Self {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(Event::Start(e) | Event::Empty(e)) => {
                    let prefix = e.attributes().flatten().find_map(|a| {
                        let value = unescaped(&a)?;
                        if !uris.contains(&value.as_ref()) {
                            return None;
                        }
                        match a.key.as_ref() {
                            b"xmlns" => Some(String::new()),
                            k => k
                                .strip_prefix(b"xmlns:")
                                .map(|p| format!("{}:", String::from_utf8_lossy(p))),
                        }
                    });
                    return Self::with_prefix(prefix, fallback);
                }
                Ok(Event::Eof) | Err(_) => return Self::with_prefix(None, fallback),
                Ok(_) => buf.clear(),
            }
        }
    }

    fn with_prefix(prefix: Option<String>, fallback: &str) -> Self {
        let prefix = prefix.unwrap_or_else(|| match fallback {
            "" => String::new(),
            f => format!("{f}:"),
        });
        Self { prefix }
    }

    /// Whether the qualified name is `local` in the main namespace. Called
    /// several times per XML event, so compared byte by byte inline rather
    /// than through `starts_with` (a `memcmp` call per tiny slice).
    pub fn is(&self, qname: &[u8], local: &str) -> bool {
        let prefix = self.prefix.as_bytes();
        qname.len() == prefix.len() + local.len()
            && qname
                .iter()
                .zip(prefix.iter().chain(local.as_bytes()))
                .all(|(a, b)| a == b)
    }

    /// Whether the qualified name is in this namespace (never for a
    /// namespace bound to no prefix, whose names carry none).
    pub fn owns(&self, qname: &[u8]) -> bool {
        !self.prefix.is_empty() && qname.starts_with(self.prefix.as_bytes())
    }

    /// The qualified name to write for `local`.
    pub fn tag(&self, local: &str) -> String {
        format!("{}{local}", self.prefix)
    }
}

/// Appends the character data of a text-ish event; other events are ignored.
pub(crate) fn push_text(out: &mut String, event: &Event, part: &str) -> Result<(), ExtractError> {
    match event {
        Event::Text(t) => out.push_str(&t.xml_content().map_err(|e| xml_error(part, e))?),
        Event::CData(t) => out.push_str(&t.xml_content().map_err(|e| xml_error(part, e))?),
        Event::GeneralRef(r) => {
            if let Some(c) = r.resolve_char_ref().map_err(|e| xml_error(part, e))? {
                out.push(c);
            } else {
                let name = r.decode().map_err(|e| xml_error(part, e))?;
                match resolve_xml_entity(&name) {
                    Some(s) => out.push_str(s),
                    None => return Err(xml_error(part, format!("unknown entity &{name};"))),
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// The raw (still escaped) bytes of the attribute named exactly `key`,
/// borrowed: read for every cell, so no allocation.
pub(crate) fn raw_attr<'a>(e: &'a BytesStart, key: &[u8]) -> Option<Cow<'a, [u8]>> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value)
}

/// The unescaped value of the attribute whose local name is `local`
/// (`r:id` and `id` both match `id`).
pub(crate) fn attr(e: &BytesStart, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| unescaped(&a))
}

/// An attribute's value with entities resolved. Done by hand because
/// quick-xml's own helper changes signature when another crate in the build
/// enables its `encoding` feature.
pub(crate) fn unescaped(a: &Attribute) -> Option<String> {
    let raw = std::str::from_utf8(&a.value).ok()?;
    quick_xml::escape::unescape(raw)
        .ok()
        .map(|v| v.into_owned())
}

pub(crate) fn xml_error(part: &str, e: impl std::fmt::Display) -> ExtractError {
    ExtractError::malformed(format!("{part}: {e}"))
}

/// Escapes text for element content.
pub(crate) fn escape_text(s: &str) -> String {
    quick_xml::escape::partial_escape(s).into_owned()
}
