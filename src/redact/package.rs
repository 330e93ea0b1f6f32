//! Zip package output: rewriting a package member by member, and the
//! fail-closed check that no redacted value is left where we cannot redact.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Write};

use quick_xml::events::Event;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::Plan;
use crate::extract::package::{open_archive, Package};
use crate::extract::xml::{push_text, unescaped};
use crate::extract::{ExtractError, Limits, Segment};

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
                 (pivot table, chart, document property, sheet name …); remove it there and resubmit"
            )));
        }
    }
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
/// compressed bytes unchanged), `replaced` ones re-deflated, `removed` dropped.
pub(super) fn rewrite_zip(
    original: &[u8],
    replaced: &HashMap<String, Vec<u8>>,
    removed: &[String],
) -> Result<Vec<u8>, ExtractError> {
    let zip_error =
        |e: zip::result::ZipError| ExtractError::malformed(format!("rewriting zip package: {e}"));
    let mut archive = open_archive(original)?;
    let mut writer = ZipWriter::new(Cursor::new(Vec::with_capacity(original.len())));
    for i in 0..archive.len() {
        let member = archive.by_index_raw(i).map_err(zip_error)?;
        let name = member.name().to_owned();
        if removed.contains(&name) {
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
                writer
                    .write_all(data)
                    .map_err(|e| ExtractError::malformed(format!("rewriting zip package: {e}")))?;
            }
            None => writer.raw_copy_file(member).map_err(zip_error)?,
        }
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}
