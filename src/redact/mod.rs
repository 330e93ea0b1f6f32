//! Masked renditions of submitted files for publication: the original file
//! with every redaction applied, in the same format and encoding, and every
//! byte outside the redacted values left as submitted where the format
//! allows (text, CSV, JSON: byte-identical; XLSX/DOCX: untouched zip members
//! copied raw, touched XML spliced, not re-serialised).

mod docx;
mod text;
mod xlsx;

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::extract::package::open_archive;
use crate::extract::{parse, Anchors, ExtractError, Extracted, Limits, Segment};

/// Replace `segments[segment].text[start..end]` (a byte range) with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    pub segment: usize,
    pub start: usize,
    pub end: usize,
    pub replacement: String,
}

/// Redactions grouped by segment, each group sorted and non-overlapping.
pub(crate) type Plan<'a> = BTreeMap<usize, Vec<&'a Redaction>>;

/// Re-renders `original` with every redaction applied. `extracted` must be
/// what [`crate::extract::extract`] returned for this file; the file is
/// re-read here (without limits: it already passed them) and a mismatch is
/// an error rather than a mis-placed mask. Overlapping redactions are
/// refused: merging them would mean choosing a mask, which is the scanner's call.
pub fn render(
    file_name: &str,
    original: &[u8],
    extracted: &Extracted,
    redactions: &[Redaction],
) -> Result<Vec<u8>, ExtractError> {
    let parsed = parse(file_name, original, &Limits::unlimited())?;
    if parsed.extracted != *extracted {
        return Err(ExtractError::malformed(
            "the extraction given does not belong to this file",
        ));
    }
    let segments = &parsed.extracted.segments;
    let plan = plan(segments, redactions)?;
    if plan.is_empty() {
        return Ok(original.to_vec());
    }
    match &parsed.anchors {
        Anchors::Text { decoded, spans } => text::render(original, decoded, spans, segments, &plan),
        Anchors::Xlsx(anchors) => xlsx::render(original, anchors, segments, &plan),
        Anchors::Docx(anchors) => docx::render(original, anchors, segments, &plan),
    }
}

fn plan<'a>(segments: &[Segment], redactions: &'a [Redaction]) -> Result<Plan<'a>, ExtractError> {
    let mut plan = Plan::new();
    for r in redactions {
        let Some(seg) = segments.get(r.segment) else {
            return Err(ExtractError::malformed(format!(
                "redaction names segment {} but the file has {}",
                r.segment,
                segments.len()
            )));
        };
        let text = &seg.text;
        if r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            return Err(ExtractError::malformed(format!(
                "redaction {}..{} is not a character range of segment {}",
                r.start, r.end, r.segment
            )));
        }
        plan.entry(r.segment).or_default().push(r);
    }
    for (segment, group) in &mut plan {
        group.sort_by_key(|r| (r.start, r.end));
        if let Some(w) = group.windows(2).find(|w| w[0].end > w[1].start) {
            return Err(ExtractError::malformed(format!(
                "redactions {}..{} and {}..{} overlap in segment {segment}",
                w[0].start, w[0].end, w[1].start, w[1].end
            )));
        }
    }
    Ok(plan)
}

/// `text` with sorted, disjoint `(start, end, replacement)` edits applied.
pub(crate) fn apply<'a>(
    text: &str,
    edits: impl IntoIterator<Item = (usize, usize, &'a str)>,
) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (start, end, replacement) in edits {
        out.push_str(&text[pos..start]);
        out.push_str(replacement);
        pos = end;
    }
    out.push_str(&text[pos..]);
    out
}

/// A segment's redactions as edits for [`apply`].
pub(crate) fn redaction_edits<'a>(
    group: &'a [&'a Redaction],
) -> impl Iterator<Item = (usize, usize, &'a str)> + 'a {
    group
        .iter()
        .map(|r| (r.start, r.end, r.replacement.as_str()))
}

/// Replaces byte ranges of `src`; `edits` are sorted by start. Overlapping
/// ranges only arise from malformed XML (an element inside `<w:t>`) and are
/// refused rather than guessed at.
pub(crate) fn splice(
    src: &[u8],
    edits: &[(usize, usize, Vec<u8>)],
) -> Result<Vec<u8>, ExtractError> {
    let mut out = Vec::with_capacity(src.len());
    let mut pos = 0;
    for (start, end, bytes) in edits {
        if *start < pos || end < start || *end > src.len() {
            return Err(ExtractError::malformed(
                "overlapping elements; cannot redact in place",
            ));
        }
        out.extend_from_slice(&src[pos..*start]);
        out.extend_from_slice(bytes);
        pos = *end;
    }
    out.extend_from_slice(&src[pos..]);
    Ok(out)
}

/// Copies a zip package member by member: untouched members raw (their
/// compressed bytes unchanged), `replaced` ones re-deflated, `removed` dropped.
pub(crate) fn rewrite_zip(
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
