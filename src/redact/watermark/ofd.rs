//! OFD: the trace as a `CustomData` entry of the first document's `DocInfo`.

use std::collections::{HashMap, HashSet};

use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::TRACE_PROPERTY;
use crate::extract::package::Package;
use crate::extract::xml::xml_error;
use crate::extract::{ExtractError, Limits};
use crate::redact::package::copy_zip;

pub(super) const OFD_ROOT: &str = "OFD.xml";

/// The trace as a `CustomData` entry of the first document's `DocInfo`
/// (GB/T 33190: `CustomDatas` is the last child of `DocInfo`), in the
/// prefix the file uses.
pub(super) fn doc_info_entry(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    let mut pkg = Package::open(bytes, &Limits::unlimited())?;
    let root = pkg
        .read_xml(OFD_ROOT)?
        .ok_or_else(|| ExtractError::malformed("OFD.xml is missing"))?;
    let Some(root) = with_custom_data(&root, trace)? else {
        return Ok(false);
    };
    drop(pkg);
    let replaced = HashMap::from([(OFD_ROOT.to_string(), root.into_bytes())]);
    *bytes = copy_zip(bytes, &HashSet::new(), &replaced)?;
    Ok(true)
}

/// `OFD.xml` with the trace added to its first `DocInfo`; `None` without one.
fn with_custom_data(xml: &str, trace: &str) -> Result<Option<String>, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut in_info = false;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| xml_error(OFD_ROOT, e))?;
        let qname = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
        let entry = |prefix: &str| {
            format!(
                r#"<{prefix}CustomData Name="{TRACE_PROPERTY}">{}</{prefix}CustomData>"#,
                escape(trace)
            )
        };
        let prefix_of = |tag: &str| {
            tag.rsplit_once(':')
                .map_or(String::new(), |(p, _)| format!("{p}:"))
        };
        let after = reader.buffer_position() as usize;
        match &event {
            Event::Start(e) if e.local_name().as_ref() == b"DocInfo" => in_info = true,
            // `<CustomDatas/>`: opened, with the entry inside.
            Event::Empty(e) if in_info && e.local_name().as_ref() == b"CustomDatas" => {
                let tag = qname(e.name().as_ref());
                let open = xml[before..after]
                    .trim_end_matches('>')
                    .trim_end_matches('/');
                return Ok(Some(format!(
                    "{}{open}>{}</{tag}>{}",
                    &xml[..before],
                    entry(&prefix_of(&tag)),
                    &xml[after..]
                )));
            }
            Event::Empty(e) if e.local_name().as_ref() == b"DocInfo" => {
                let tag = qname(e.name().as_ref());
                let prefix = prefix_of(&tag);
                let inner = format!(
                    "<{prefix}CustomDatas>{}</{prefix}CustomDatas>",
                    entry(&prefix)
                );
                let open = xml[before..after]
                    .trim_end_matches('>')
                    .trim_end_matches('/');
                return Ok(Some(format!(
                    "{}{open}>{inner}</{tag}>{}",
                    &xml[..before],
                    &xml[after..]
                )));
            }
            Event::End(e) if in_info => {
                let tag = qname(e.name().as_ref());
                let prefix = prefix_of(&tag);
                let insert = match e.local_name().as_ref() {
                    b"CustomDatas" => entry(&prefix),
                    b"DocInfo" => {
                        format!(
                            "<{prefix}CustomDatas>{}</{prefix}CustomDatas>",
                            entry(&prefix)
                        )
                    }
                    _ => continue,
                };
                return Ok(Some(format!(
                    "{}{insert}{}",
                    &xml[..before],
                    &xml[before..]
                )));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}
