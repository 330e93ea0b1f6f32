//! DOCX and OpenDocument renditions: a redaction may span several runs.
//! The characters it covers are deleted from each `<w:t>` (or stretch of
//! OpenDocument character data) they sit in, tabs and breaks inside it are
//! removed, and the replacement goes where the range starts (see [`host`]),
//! so every run keeps its own formatting and nothing outside the range
//! moves. A redacted OpenDocument spreadsheet cell also becomes a string
//! cell. Untouched parts are copied raw.

use std::collections::HashMap;

use super::package::rewrite_zip;
use super::{apply, splice, Plan, Redaction};
use crate::extract::docx::{Piece, PieceKind};
use crate::extract::xml::escape_text;
use crate::extract::{DocxAnchors, ExtractError, FileKind, Segment};

pub(super) fn render(
    original: &[u8],
    kind: FileKind,
    anchors: &DocxAnchors,
    segments: &[Segment],
    plan: &Plan,
) -> Result<Vec<u8>, ExtractError> {
    let mut edits: Vec<Vec<(usize, usize, Vec<u8>)>> = vec![Vec::new(); anchors.parts.len()];
    for (&i, group) in plan {
        let (part, pieces) = &anchors.segments[i];
        let xml = &anchors.parts[*part];
        // OpenDocument text needs no element around it.
        let t = (kind == FileKind::Docx).then(|| xml.ns.tag("t"));
        edits[*part].extend(piece_edits(
            &segments[i].text,
            pieces,
            group,
            &xml.xml,
            t.as_deref(),
        )?);
    }
    let mut replaced = HashMap::new();
    for (part, mut part_edits) in anchors.parts.iter().zip(edits) {
        if !part_edits.is_empty() {
            part_edits.sort_by_key(|e| e.0);
            replaced.insert(
                part.member.clone(),
                splice(part.xml.as_bytes(), &part_edits)?,
            );
        }
    }
    rewrite_zip(original, &replaced, &[])
}

/// XML edits for one segment's redactions (sorted, disjoint). `t` is the
/// qualified name for a new text element, `None` where text stands bare.
/// Every piece a redaction touches gets local `(start, end, replacement)`
/// edits, the replacement going to the piece [`host`] picks; a tab, break
/// or run of spaces is edited like text, then written back as elements.
fn piece_edits(
    text: &str,
    pieces: &[Piece],
    redactions: &[&Redaction],
    xml: &str,
    t: Option<&str>,
) -> Result<Vec<(usize, usize, Vec<u8>)>, ExtractError> {
    let mut local: HashMap<usize, Vec<(usize, usize, &str)>> = HashMap::new();
    let mut out = Vec::new();
    for r in redactions {
        let host = host(pieces, r);
        for (k, p) in pieces.iter().enumerate() {
            if matches!(p.kind, PieceKind::Separator | PieceKind::CellTag { .. }) {
                continue;
            }
            let (from, to) = (r.start.max(p.at), r.end.min(p.at + p.len));
            let deleted = (from < to).then(|| (from - p.at, to - p.at));
            let at = host.filter(|(h, _)| *h == k).map(|(_, at)| at);
            let with = r.replacement.as_str();
            let edit = match (at, deleted) {
                (Some(at), Some((_, end))) => (at, end, with),
                (Some(at), None) => (at, at, with),
                (None, Some((start, end))) => (start, end, ""),
                (None, None) => continue,
            };
            local.entry(k).or_default().push(edit);
        }
    }
    for p in pieces {
        if let PieceKind::CellTag { value_type } = &p.kind {
            let tag = string_cell(&xml[p.start..p.end], value_type)?;
            out.push((p.start, p.end, tag.into_bytes()));
        }
    }
    for (k, edits) in local {
        let p = &pieces[k];
        let stands_for = &text[p.at..p.at + p.len];
        let redacted = apply(stands_for, edits);
        let xml = match &p.kind {
            PieceKind::Text(name) => format!(
                "<{name} xml:space=\"preserve\">{}</{name}>",
                escape_text(&redacted)
            ),
            // Quotes escaped too: the value sits between quotes.
            PieceKind::Attribute => quick_xml::escape::escape(&redacted).into_owned(),
            PieceKind::CharData => escape_text(&redacted),
            PieceKind::Element => elements(&xml[p.start..p.end], stands_for, &redacted, t),
            PieceKind::Separator | PieceKind::CellTag { .. } => continue,
        };
        out.push((p.start, p.end, xml.into_bytes()));
    }
    Ok(out)
}

/// An element that stands for characters (`tag` for `stands_for`), once
/// redacted to `redacted`: what is left of its characters as elements
/// again, the rest as text (in a new `t` element, or bare).
fn elements(tag: &str, stands_for: &str, redacted: &str, t: Option<&str>) -> String {
    let Some(c) = stands_for.chars().next() else {
        return String::new();
    };
    let mut out = String::new();
    let mut rest = redacted;
    while !rest.is_empty() {
        let run = rest.find(|x| x != c).unwrap_or(rest.len());
        let (kept, after) = rest.split_at(run);
        let count = kept.chars().count();
        if count == stands_for.chars().count() {
            out.push_str(tag);
        } else if stands_for.len() > c.len_utf8() {
            // A run of spaces (`text:s`) shortened or split by the redaction.
            if count > 0 {
                out.push_str(&fewer_spaces(tag, count));
            }
        } else {
            out.push_str(&tag.repeat(count));
        }
        let text_len = after.find(c).unwrap_or(after.len());
        let (other, next) = after.split_at(text_len);
        if !other.is_empty() {
            out.push_str(&match t {
                Some(t) => format!("<{t} xml:space=\"preserve\">{}</{t}>", escape_text(other)),
                None => escape_text(other),
            });
        }
        rest = next;
    }
    out
}

/// An OpenDocument run of spaces (`<text:s text:c="5"/>`) standing for
/// `left` spaces: a redaction took the others.
fn fewer_spaces(tag: &str, left: usize) -> String {
    let name = tag
        .trim_start_matches('<')
        .split(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .next()
        .unwrap_or_default();
    let prefix = name.rsplit_once(':').map_or("", |(p, _)| p);
    match (left, prefix) {
        (1, _) => format!("<{name}/>"),
        (n, "") => format!("<{name} c=\"{n}\"/>"),
        (n, p) => format!("<{name} {p}:c=\"{n}\"/>"),
    }
}

/// Attributes of an OpenDocument cell that hold its value or compute it:
/// a redacted cell keeps none of them, only its masked text.
const CELL_VALUE: &[&[u8]] = &[
    b"value-type",
    b"value",
    b"date-value",
    b"time-value",
    b"boolean-value",
    b"string-value",
    b"currency",
    b"formula",
];

/// `tag` (a cell's start tag) as the start tag of a string cell: every
/// other attribute (style, spans, repeats, namespace declarations) kept
/// byte for byte.
fn string_cell(tag: &str, value_type: &str) -> Result<String, ExtractError> {
    let mut reader = quick_xml::Reader::from_str(tag);
    let Ok(quick_xml::events::Event::Start(e)) = reader.read_event() else {
        return Err(ExtractError::malformed("a spreadsheet cell's start tag"));
    };
    let mut out = format!("<{}", String::from_utf8_lossy(e.name().as_ref()));
    for a in e.attributes().flatten() {
        let key = a.key.as_ref();
        let declaration = key == b"xmlns" || key.starts_with(b"xmlns:");
        if !declaration && CELL_VALUE.contains(&a.key.local_name().as_ref()) {
            continue;
        }
        let raw = String::from_utf8_lossy(&a.value);
        // The raw value came from between one kind of quote; keep it there.
        let quote = if raw.contains('"') { '\'' } else { '"' };
        out.push_str(&format!(
            " {}={quote}{raw}{quote}",
            String::from_utf8_lossy(key)
        ));
    }
    out.push_str(&format!(" {value_type}=\"string\">"));
    Ok(out)
}

/// The piece that receives a redaction's replacement, and the offset in
/// it: the text piece holding the range start, else the text piece ending
/// right there, else the tab, break or run of spaces holding or ending at
/// it; past that (a range of only paragraph joins) the nearest text piece.
fn host(pieces: &[Piece], r: &Redaction) -> Option<(usize, usize)> {
    let of_kind = |text: bool| {
        pieces
            .iter()
            .enumerate()
            .filter(move |(_, p)| match p.kind {
                PieceKind::Text(_) | PieceKind::Attribute | PieceKind::CharData => text,
                PieceKind::Element => !text,
                PieceKind::Separator | PieceKind::CellTag { .. } => false,
            })
    };
    let holding = |text: bool| {
        of_kind(text)
            .find(|(_, p)| p.at <= r.start && r.start < p.at + p.len)
            .map(|(k, p)| (k, r.start - p.at))
    };
    let ending = |text: bool| {
        of_kind(text)
            .find(|(_, p)| p.at + p.len == r.start)
            .map(|(k, p)| (k, p.len))
    };
    holding(true)
        .or_else(|| ending(true))
        .or_else(|| holding(false))
        .or_else(|| ending(false))
        .or_else(|| {
            of_kind(true)
                .find(|(_, p)| p.at >= r.start)
                .map(|(k, _)| (k, 0))
        })
        .or_else(|| of_kind(true).next_back().map(|(k, p)| (k, p.len)))
}
