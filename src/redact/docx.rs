//! DOCX renditions: a redaction may span several runs. The characters it
//! covers are deleted from each `<w:t>` they sit in, tabs and breaks inside
//! it are removed, and the replacement goes where the range starts (see
//! [`host`]), so every run keeps its own formatting and nothing outside the
//! range moves. Untouched parts are copied raw.

use std::collections::HashMap;

use super::package::rewrite_zip;
use super::{apply, splice, Plan, Redaction};
use crate::extract::docx::{Piece, PieceKind};
use crate::extract::xml::escape_text;
use crate::extract::{DocxAnchors, ExtractError, Segment};

pub(super) fn render(
    original: &[u8],
    anchors: &DocxAnchors,
    segments: &[Segment],
    plan: &Plan,
) -> Result<Vec<u8>, ExtractError> {
    let mut edits: Vec<Vec<(usize, usize, Vec<u8>)>> = vec![Vec::new(); anchors.parts.len()];
    for (&i, group) in plan {
        let (part, pieces) = &anchors.segments[i];
        let xml = &anchors.parts[*part];
        edits[*part].extend(piece_edits(
            &segments[i].text,
            pieces,
            group,
            &xml.xml,
            &xml.ns.tag("t"),
        ));
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

#[derive(Default)]
struct ElementEdit {
    removed: bool,
    before: String,
    after: String,
}

/// Where a redaction's replacement goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Host {
    /// Into text piece `k` at this byte offset.
    Text(usize, usize),
    /// Into a new text element just before (`true`) or after element piece
    /// `k` (a tab or break).
    Beside(usize, bool),
}

/// XML edits for one segment's redactions (sorted, disjoint). `t` is the
/// qualified name for a new text element.
fn piece_edits(
    text: &str,
    pieces: &[Piece],
    redactions: &[&Redaction],
    xml: &str,
    t: &str,
) -> Vec<(usize, usize, Vec<u8>)> {
    // Per text piece: the local (start, end, replacement) edits it receives.
    let mut local: HashMap<usize, Vec<(usize, usize, &str)>> = HashMap::new();
    // Per tab/break piece: whether it goes, and text to put before and after it.
    let mut elements: HashMap<usize, ElementEdit> = HashMap::new();
    let mut out = Vec::new();
    for r in redactions {
        let host = host(pieces, r);
        for (k, p) in pieces.iter().enumerate() {
            let (from, to) = (r.start.max(p.at), r.end.min(p.at + p.len));
            match p.kind {
                PieceKind::Text(_) | PieceKind::Attribute => {
                    let (at, with) = match host {
                        Some(Host::Text(h, at)) if h == k => (Some(at), r.replacement.as_str()),
                        _ => (None, ""),
                    };
                    let deleted = (from < to).then(|| (from - p.at, to - p.at));
                    let edit = match (at, deleted) {
                        (Some(at), Some((_, end))) => (at, end, with),
                        (Some(at), None) => (at, at, with),
                        (None, Some((start, end))) => (start, end, ""),
                        (None, None) => continue,
                    };
                    local.entry(k).or_default().push(edit);
                }
                PieceKind::Element => {
                    let edit = elements.entry(k).or_default();
                    edit.removed |= r.start <= p.at && p.at + p.len <= r.end && r.start < r.end;
                    match host {
                        Some(Host::Beside(h, true)) if h == k => {
                            edit.before.push_str(&r.replacement)
                        }
                        Some(Host::Beside(h, false)) if h == k => {
                            edit.after.push_str(&r.replacement)
                        }
                        _ => {}
                    }
                }
                PieceKind::Separator => {}
            }
        }
    }
    let wrap = |s: &str| match s {
        "" => String::new(),
        s => format!("<{t} xml:space=\"preserve\">{}</{t}>", escape_text(s)),
    };
    for (k, edit) in elements {
        let p = &pieces[k];
        if edit.removed || !edit.before.is_empty() || !edit.after.is_empty() {
            let kept = if edit.removed {
                ""
            } else {
                &xml[p.start..p.end]
            };
            let new = format!("{}{kept}{}", wrap(&edit.before), wrap(&edit.after));
            out.push((p.start, p.end, new.into_bytes()));
        }
    }
    for (k, edits) in local {
        let p = &pieces[k];
        let redacted = apply(&text[p.at..p.at + p.len], edits);
        let xml = match &p.kind {
            PieceKind::Text(name) => format!(
                "<{name} xml:space=\"preserve\">{}</{name}>",
                escape_text(&redacted)
            ),
            // Quotes escaped too: the value sits between quotes.
            PieceKind::Attribute => quick_xml::escape::escape(&redacted).into_owned(),
            PieceKind::Element | PieceKind::Separator => continue,
        };
        out.push((p.start, p.end, xml.into_bytes()));
    }
    out
}

/// The spot that receives a redaction's replacement: the text piece holding
/// the range start, else the text piece ending right there, else beside the
/// tab or break starting or ending there; past that (a range of only
/// paragraph joins) the nearest text piece.
fn host(pieces: &[Piece], r: &Redaction) -> Option<Host> {
    let of_kind = |text: bool| {
        pieces.iter().enumerate().filter(move |(_, p)| {
            matches!(p.kind, PieceKind::Text(_) | PieceKind::Attribute) == text
                && !matches!(p.kind, PieceKind::Separator)
        })
    };
    of_kind(true)
        .find(|(_, p)| p.at <= r.start && r.start < p.at + p.len)
        .map(|(k, p)| Host::Text(k, r.start - p.at))
        .or_else(|| {
            of_kind(true)
                .find(|(_, p)| p.at + p.len == r.start)
                .map(|(k, p)| Host::Text(k, p.len))
        })
        .or_else(|| {
            of_kind(false)
                .find(|(_, p)| p.at == r.start)
                .map(|(k, _)| Host::Beside(k, true))
        })
        .or_else(|| {
            of_kind(false)
                .find(|(_, p)| p.at + p.len == r.start)
                .map(|(k, _)| Host::Beside(k, false))
        })
        .or_else(|| {
            of_kind(true)
                .find(|(_, p)| p.at >= r.start)
                .map(|(k, _)| Host::Text(k, 0))
        })
        .or_else(|| of_kind(true).next_back().map(|(k, p)| Host::Text(k, p.len)))
}
