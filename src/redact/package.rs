//! Zip package output: rewriting a package member by member, and the
//! fail-closed check that no redacted value is left where we cannot redact.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Write};

use quick_xml::events::Event;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::{splice, Plan};
use crate::extract::package::{open_archive, rels_base, resolve, Package};
use crate::extract::xml::{attr, push_text, unescaped, xml_error};
use crate::extract::{is_stripped, ExtractError, Limits, Segment};

/// Fails closed when a redacted value survives in a package member that
/// extraction does not read (pivot caches, chart data, document properties,
/// sheet names …): publishing it would leak what the reviewer masked. The
/// message names the member, never the value.
pub(super) fn check_residue<'a>(
    out: Vec<u8>,
    read: impl Iterator<Item = &'a str>,
    segments: &[Segment],
    plan: &Plan,
) -> Result<Vec<u8>, ExtractError> {
    let values: HashSet<&str> = plan
        .iter()
        .flat_map(|(&i, group)| group.iter().map(move |r| &segments[i].text[r.start..r.end]))
        .filter(|v| significant(v))
        .collect();
    if values.is_empty() {
        return Ok(out);
    }
    let read: HashSet<&str> = read.collect();
    let mut pkg = Package::open(&out, &Limits::unlimited())?;
    for name in pkg.names() {
        let xml_like = [".xml", ".rels", ".vml"].iter().any(|e| name.ends_with(e));
        if read.contains(name.as_str()) || !xml_like {
            continue;
        }
        // A member that is not UTF-8 XML is nothing this check can read.
        let Ok(Some(xml)) = pkg.read_xml(&name) else {
            continue;
        };
        if xml_values(&xml).any(|token| contains_any(&token, &values)) {
            return Err(ExtractError::malformed(format!(
                "a redacted value also appears in {name}, which is not redactable \
                 (pivot table, chart, sheet name …); remove it there and resubmit"
            )));
        }
    }
    drop(pkg);
    Ok(out)
}

/// Values worth the residue check: a lone character or a short ASCII
/// number such as a year would match innocent metadata.
fn significant(v: &str) -> bool {
    v.chars().count() >= 2 && (!v.is_ascii() || v.len() >= 6)
}

/// Text nodes and attribute values of an XML document, entities resolved.
fn xml_values(xml: &str) -> impl Iterator<Item = String> + '_ {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut pending: Vec<String> = Vec::new();
    std::iter::from_fn(move || loop {
        if let Some(v) = pending.pop() {
            return Some(v);
        }
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => {
                pending.extend(e.attributes().flatten().filter_map(|a| unescaped(&a)))
            }
            Ok(ev @ (Event::Text(_) | Event::CData(_) | Event::GeneralRef(_))) => {
                let mut text = String::new();
                if push_text(&mut text, &ev, "").is_ok() {
                    pending.push(text);
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    })
}

/// Substring search for a few values; exact match when there are many (a
/// whole column masked), which is what caches hold: one value per node.
fn contains_any(token: &str, values: &HashSet<&str>) -> bool {
    if values.len() <= 64 {
        values.iter().any(|v| token.contains(v))
    } else {
        values.contains(token.trim())
    }
}

/// Copies a zip package member by member: untouched members raw (their
/// compressed bytes unchanged), `replaced` ones re-deflated, `removed` ones
/// and the document properties ([`is_stripped`]) dropped, with every
/// relationship and content-type entry naming a dropped member taken out
/// so that Office opens the result without a repair.
pub(super) fn rewrite_zip(
    original: &[u8],
    replaced: &HashMap<String, Vec<u8>>,
    removed: &[String],
) -> Result<Vec<u8>, ExtractError> {
    let archive = open_archive(original)?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let dropped: HashSet<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| is_stripped(n) || removed.iter().any(|r| r == n))
        .collect();
    let mut replaced = replaced.clone();
    let mut pkg = Package::open(original, &Limits::unlimited())?;
    for name in &names {
        let is_index = name.ends_with(".rels") || name == CONTENT_TYPES || name == MANIFEST;
        if !is_index || dropped.contains(name.as_str()) {
            continue;
        }
        let xml = match replaced.get(name) {
            Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            None => match pkg.read_xml(name)? {
                Some(xml) => xml,
                None => continue,
            },
        };
        if let Some(pruned) = without_references(&xml, name, &dropped)? {
            replaced.insert(name.clone(), pruned.into_bytes());
        }
    }
    copy_zip(original, &dropped, &replaced)
}

/// `original` member by member: `dropped` ones left out, `replaced` ones
/// re-deflated with their new bytes, the rest copied raw (compressed bytes
/// unchanged); `replaced` names the package lacks are added at the end.
pub(super) fn copy_zip(
    original: &[u8],
    dropped: &HashSet<&str>,
    replaced: &HashMap<String, Vec<u8>>,
) -> Result<Vec<u8>, ExtractError> {
    let zip_error =
        |e: zip::result::ZipError| ExtractError::malformed(format!("rewriting zip package: {e}"));
    let write_error =
        |e: std::io::Error| ExtractError::malformed(format!("rewriting zip package: {e}"));
    let mut archive = open_archive(original)?;
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(original.len())));
    let mut written = HashSet::new();
    for i in 0..archive.len() {
        let member = archive.by_index_raw(i).map_err(zip_error)?;
        let name = member.name().to_owned();
        if dropped.contains(name.as_str()) {
            continue;
        }
        match replaced.get(&name) {
            Some(data) => {
                let options = SimpleFileOptions::default()
                    .compression_method(CompressionMethod::Deflated)
                    .last_modified_time(member.last_modified().unwrap_or_default());
                drop(member);
                writer
                    .start_file(name.as_str(), options)
                    .map_err(zip_error)?;
                writer.write_all(data).map_err(write_error)?;
            }
            None => writer.raw_copy_file(member).map_err(zip_error)?,
        }
        written.insert(name);
    }
    let mut added: Vec<_> = replaced
        .iter()
        .filter(|(name, _)| !written.contains(*name))
        .collect();
    added.sort_by_key(|(name, _)| name.as_str());
    for (name, data) in added {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        writer
            .start_file(name.as_str(), options)
            .map_err(zip_error)?;
        writer.write_all(data).map_err(write_error)?;
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

pub(super) const CONTENT_TYPES: &str = "[Content_Types].xml";
/// OpenDocument's list of members: one naming a missing member makes
/// LibreOffice call the file damaged.
const MANIFEST: &str = "META-INF/manifest.xml";

/// `xml` (a `.rels` part, the content types or an OpenDocument manifest)
/// without the `<Relationship>` / `<Override>` / `<manifest:file-entry>`
/// elements that point at a dropped member; `None` when it names none.
fn without_references(
    xml: &str,
    member: &str,
    dropped: &HashSet<&str>,
) -> Result<Option<String>, ExtractError> {
    let base = rels_base(member);
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cuts = Vec::new();
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| xml_error(member, e))?;
        let after = reader.buffer_position() as usize;
        match &event {
            Event::Empty(e) | Event::Start(e) => {
                let target = match e.local_name().as_ref() {
                    b"Relationship" if attr(e, b"TargetMode").as_deref() != Some("External") => {
                        attr(e, b"Target").map(|t| resolve(base, &t))
                    }
                    b"Override" => attr(e, b"PartName").map(|t| resolve("", &t)),
                    b"file-entry" => attr(e, b"full-path"),
                    _ => None,
                };
                if target.is_some_and(|t| dropped.contains(t.as_str()) || is_stripped(&t)) {
                    if matches!(event, Event::Start(_)) {
                        // Not written so by Office; refuse rather than guess its end.
                        return Err(xml_error(member, "a reference element with content"));
                    }
                    cuts.push((before, after, Vec::new()));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if cuts.is_empty() {
        return Ok(None);
    }
    let out = splice(xml.as_bytes(), &cuts)?;
    Ok(Some(String::from_utf8_lossy(&out).into_owned()))
}
