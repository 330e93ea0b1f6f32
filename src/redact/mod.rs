//! Masked renditions of submitted files for publication: the original file
//! with every redaction applied, in the same format and encoding, and every
//! byte outside the redacted values left as submitted where the format
//! allows (text, CSV, JSON: byte-identical; XLSX/DOCX: untouched zip members
//! copied raw, touched XML spliced, not re-serialised, and the document
//! properties and custom XML always removed).

mod docx;
mod package;
mod text;
mod watermark;
mod xlsx;

pub use watermark::{append_trace, placement, read_trace, trace_text, Placement, LAST_BYTES};

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::Write;

use crate::extract::{
    encoding, parse, visit_csv_pieces, Anchors, Decoded, ExtractError, Extracted, FileKind, Limits,
    Location, Segment, Source, VisitError,
};
use package::check_residue;

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
/// what [`crate::extract::extract`] returned for this file (it may have been
/// stored and read back in between). The file is re-read here (without
/// limits: it already passed them); every redacted segment must still read
/// the same, else the masks would land in the wrong place and the call is
/// refused — after an upgrade that changes extraction, re-extract and rescan.
/// Overlapping redactions are refused: merging them would mean choosing a
/// mask, which is the scanner's call.
pub fn render(
    file_name: &str,
    original: &[u8],
    extracted: &Extracted,
    redactions: &[Redaction],
) -> Result<Vec<u8>, ExtractError> {
    let parsed = parse(file_name, original, &Limits::unlimited())?;
    let segments = &parsed.extracted.segments;
    let same = parsed.extracted.kind == extracted.kind
        && segments.len() == extracted.segments.len()
        && redactions
            .iter()
            .all(|r| segments.get(r.segment) == extracted.segments.get(r.segment));
    if !same {
        return Err(ExtractError::malformed(
            "the extraction given does not match this file; extract it again",
        ));
    }
    let mut plan = plan(segments, redactions)?;
    if matches!(parsed.anchors, Anchors::ReadOnly) && !plan.is_empty() {
        return Err(ExtractError::Unsupported {
            detected: format!(
                "redaction of a {} file (upload a redacted version instead)",
                parsed.extracted.kind.as_str().to_ascii_uppercase()
            ),
        });
    }
    // A package's workbook names and properties follow its anchored
    // segments. Properties are stripped from the rendition whole, so their
    // redactions have no place to go and need none; workbook names stay,
    // and are never rewritten.
    let anchored = match &parsed.anchors {
        Anchors::Text { .. } | Anchors::ReadOnly => segments.len(),
        Anchors::Xlsx(anchors) => anchors.cells.len(),
        Anchors::Docx(anchors) => anchors.segments.len(),
    };
    if let Some(&named) = plan
        .keys()
        .find(|&&i| i >= anchored && segments[i].location.is_workbook())
    {
        return Err(ExtractError::Unsupported {
            detected: format!(
                "redaction of {} (a sheet name, defined name or validation list is never \
                 rewritten; upload a version without it)",
                segments[named].location
            ),
        });
    }
    plan.retain(|&segment, _| segment < anchored);
    if plan.is_empty() && !parsed.extracted.kind.is_package() {
        return Ok(original.to_vec());
    }
    match &parsed.anchors {
        // A plain text file's decoded text lives in its segments, which
        // follow one another without a gap.
        Anchors::Text { decoded, spans } if parsed.extracted.kind == FileKind::Text => {
            let whole = Decoded {
                text: segments
                    .iter()
                    .map(|s| s.text.as_str())
                    .collect::<String>()
                    .into(),
                ..*decoded
            };
            text::render(original, &whole, spans, segments, &plan)
        }
        Anchors::Text { decoded, spans } => text::render(original, decoded, spans, segments, &plan),
        Anchors::Xlsx(anchors) => {
            let out = xlsx::render(original, anchors, segments, &plan)?;
            let read = anchors
                .sheets
                .iter()
                .chain(anchors.shared.as_ref().map(|s| &s.part));
            check_residue(out, read.map(|p| p.member.as_str()), segments, &plan)
        }
        Anchors::Docx(anchors) => {
            let out = docx::render(original, parsed.extracted.kind, anchors, segments, &plan)?;
            check_residue(
                out,
                anchors.parts.iter().map(|p| p.member.as_str()),
                segments,
                &plan,
            )
        }
        Anchors::ReadOnly => Ok(original.to_vec()),
    }
}

/// A piece of release metadata (a title, a file name) with its redactions
/// applied; each redaction names segment 0, the text itself.
pub fn render_text(text: &str, redactions: &[Redaction]) -> Result<String, ExtractError> {
    let segments = [Segment {
        text: text.to_owned(),
        location: Location::Text { line: 1, column: 1 },
        column: None,
    }];
    let plan = plan(&segments, redactions)?;
    Ok(match plan.get(&0) {
        Some(group) => apply(text, redaction_edits(group)),
        None => text.to_owned(),
    })
}

fn plan<'a>(segments: &[Segment], redactions: &'a [Redaction]) -> Result<Plan<'a>, ExtractError> {
    let mut plan = Plan::new();
    for r in redactions {
        if r.segment >= segments.len() {
            return Err(ExtractError::malformed(format!(
                "redaction names segment {} but the file has {}",
                r.segment,
                segments.len()
            )));
        }
        plan.entry(r.segment).or_default().push(r);
    }
    for (&segment, group) in &mut plan {
        check_group(&segments[segment].text, segment, group)?;
    }
    Ok(plan)
}

/// Sorts one segment's redactions, refusing one that is not a character
/// range of its text and two that overlap.
fn check_group(text: &str, segment: usize, group: &mut [&Redaction]) -> Result<(), ExtractError> {
    if let Some(r) = group.iter().find(|r| {
        r.start > r.end
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
    }) {
        return Err(ExtractError::malformed(format!(
            "redaction {}..{} is not a character range of segment {segment}",
            r.start, r.end
        )));
    }
    group.sort_by_key(|r| (r.start, r.end));
    if let Some(w) = group.windows(2).find(|w| w[0].end > w[1].start) {
        return Err(ExtractError::malformed(format!(
            "redactions {}..{} and {}..{} overlap in segment {segment}",
            w[0].start, w[0].end, w[1].start, w[1].end
        )));
    }
    Ok(())
}

/// The rendition of a CSV file, written to `out` as the file is read in
/// pieces: `redactions(index, cell)` gives one cell's redactions (byte
/// ranges of its text). Neither the file, its text nor the rendition is
/// held, only a piece of each, so a table of any size renders in bounded
/// memory. Every byte outside the redacted cells is copied as submitted.
pub fn render_csv(
    file_name: &str,
    source: &dyn Source,
    out: &mut dyn Write,
    mut redactions: impl FnMut(usize, &Segment) -> Vec<Redaction>,
) -> Result<(), VisitError> {
    let limits = Limits::unlimited();
    let (encoding, bom_len) = encoding::detect(source)?;
    let mut pieces = encoding::DecodedPieces::open(source, encoding, bom_len)?;
    let mut splicer = text::StreamSplicer::new(source.open()?, encoding, bom_len, out)?;
    // Filled by the cells of a stretch of text, emptied when it is passed.
    let edits = RefCell::new(Vec::new());
    let mut refused = None;
    visit_csv_pieces(
        file_name,
        &mut pieces,
        &limits,
        |index, cell, span| {
            let mine = redactions(index, &cell);
            if mine.is_empty() || refused.is_some() {
                return;
            }
            let mut group: Vec<&Redaction> = mine.iter().collect();
            match check_group(&cell.text, index, &mut group) {
                Ok(()) => edits
                    .borrow_mut()
                    .extend(text::segment_edits(span, &cell.text, &group)),
                Err(e) => refused = Some(e),
            }
        },
        |passed| splicer.pass(passed, &mut edits.borrow_mut()),
    )?;
    if let Some(e) = refused {
        return Err(e.into());
    }
    splicer.finish()?;
    Ok(())
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
