//! DOCX renditions: a redaction may span several runs. The characters it
//! covers are deleted from each `<w:t>` they sit in, tabs and breaks inside
//! it are removed, and the replacement goes into the first text element
//! that reaches into the range, so every run keeps its own formatting and
//! nothing outside the range moves. Untouched parts are copied raw.

use std::collections::HashMap;

use super::{apply, rewrite_zip, splice, Plan, Redaction};
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
        edits[*part].extend(piece_edits(&segments[i].text, pieces, group));
    }
    let mut replaced = HashMap::new();
    for (part, mut part_edits) in anchors.parts.iter().zip(edits) {
        if !part_edits.is_empty() {
            part_edits.sort_by_key(|e| e.0);
            replaced.insert(
                part.member.clone(),
                splice(part.xml.as_bytes(), &part_edits),
            );
        }
    }
    rewrite_zip(original, &replaced, &[])
}

/// XML edits for one segment's redactions (sorted, disjoint).
fn piece_edits(
    text: &str,
    pieces: &[Piece],
    redactions: &[&Redaction],
) -> Vec<(usize, usize, Vec<u8>)> {
    // Per text piece: the local (start, end, replacement) edits it receives.
    let mut local: HashMap<usize, Vec<(usize, usize, &str)>> = HashMap::new();
    let mut removed_elements = Vec::new();
    for r in redactions {
        let texts = pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| matches!(p.kind, PieceKind::Text(_)));
        let host = texts
            .clone()
            .find(|(_, p)| p.at + p.len > r.start)
            .or_else(|| texts.clone().last())
            .map(|(k, _)| k);
        for (k, p) in pieces.iter().enumerate() {
            let (from, to) = (r.start.max(p.at), r.end.min(p.at + p.len));
            match p.kind {
                PieceKind::Text(_) if from < to || Some(k) == host => {
                    let (from, to) = (from.min(p.at + p.len) - p.at, to.max(from) - p.at);
                    let replacement = if Some(k) == host {
                        r.replacement.as_str()
                    } else {
                        ""
                    };
                    local
                        .entry(k)
                        .or_default()
                        .push((from.min(p.len), to.min(p.len), replacement));
                }
                PieceKind::Element
                    if r.start <= p.at && p.at + p.len <= r.end && r.start < r.end =>
                {
                    removed_elements.push((p.start, p.end, Vec::new()));
                }
                _ => {}
            }
        }
    }
    let mut out = removed_elements;
    for (k, rs) in local {
        let p = &pieces[k];
        let PieceKind::Text(name) = &p.kind else {
            continue;
        };
        let new = escape_text(&apply(&text[p.at..p.at + p.len], rs));
        let xml = format!("<{name} xml:space=\"preserve\">{new}</{name}>");
        out.push((p.start, p.end, xml.into_bytes()));
    }
    out
}
