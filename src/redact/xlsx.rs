//! XLSX renditions: each redacted cell becomes an inline string holding the
//! masked text (its style kept, any formula dropped so it cannot recompute
//! the raw value). The one exception is the master of a shared formula:
//! other cells' formulas are defined by it, so it stays, with the masked
//! text as its cached result — without it Excel calls the file corrupt.
//! Shared strings are never edited in place, since other cells may use
//! them; one that no unredacted cell uses any more is blanked so the raw
//! value does not linger in sharedStrings.xml.

use std::collections::HashMap;

use super::package::rewrite_zip;
use super::{apply, redaction_edits, splice, Plan};
use crate::extract::xlsx::{Anchored, Formula};
use crate::extract::xml::escape_text;
use crate::extract::{column_letter, ExtractError, Segment, XlsxAnchors};

pub(super) fn render(
    original: &[u8],
    anchors: &XlsxAnchors,
    segments: &[Segment],
    plan: &Plan,
) -> Result<Vec<u8>, ExtractError> {
    let mut edits: Vec<Vec<(usize, usize, Vec<u8>)>> = vec![Vec::new(); anchors.sheets.len()];
    let mut redacted_uses: HashMap<usize, usize> = HashMap::new();
    let mut dropped_formula = false;
    for (&i, group) in plan {
        let anchor = &anchors.cells[i];
        let ns = &anchors.sheets[anchor.sheet].ns;
        let text = escape_text(&apply(&segments[i].text, redaction_edits(group)));
        let xml = match &anchor.what {
            Anchored::Cell {
                col,
                row,
                style,
                shared,
                formula,
            } => {
                if let Some(k) = shared {
                    *redacted_uses.entry(*k).or_default() += 1;
                }
                let style = style
                    .as_ref()
                    .map(|s| format!(" s=\"{s}\""))
                    .unwrap_or_default();
                let (c, is, t, v) = (ns.tag("c"), ns.tag("is"), ns.tag("t"), ns.tag("v"));
                let cell = format!("{}{row}", column_letter(*col));
                match formula {
                    Formula::SharedMaster(f) => {
                        format!("<{c} r=\"{cell}\"{style} t=\"str\">{f}<{v}>{text}</{v}></{c}>")
                    }
                    Formula::None | Formula::Own => {
                        dropped_formula |= *formula == Formula::Own;
                        format!(
                            "<{c} r=\"{cell}\"{style} t=\"inlineStr\"><{is}><{t} xml:space=\"preserve\">{text}</{t}></{is}></{c}>"
                        )
                    }
                }
            }
            Anchored::HeaderFooter { element } => format!("<{element}>{text}</{element}>"),
            Anchored::Comment { element, run: None } => format!("<{element}>{text}</{element}>"),
            Anchored::Comment {
                element,
                run: Some(t),
            } => format!("<{element}><{t} xml:space=\"preserve\">{text}</{t}></{element}>"),
        };
        edits[anchor.sheet].push((anchor.start, anchor.end, xml.into_bytes()));
    }

    let mut replaced = HashMap::new();
    for (sheet, mut sheet_edits) in anchors.sheets.iter().zip(edits) {
        if !sheet_edits.is_empty() {
            sheet_edits.sort_by_key(|e| e.0);
            replaced.insert(
                sheet.member.clone(),
                splice(sheet.xml.as_bytes(), &sheet_edits)?,
            );
        }
    }
    if let Some(shared) = &anchors.shared {
        let (si, t) = (shared.part.ns.tag("si"), shared.part.ns.tag("t"));
        let mut blanked: Vec<_> = redacted_uses
            .iter()
            .filter(|&(&k, &n)| shared.uses[k] == n)
            .map(|(&k, _)| {
                (
                    shared.items[k].0,
                    shared.items[k].1,
                    format!("<{si}><{t}></{t}></{si}>").into_bytes(),
                )
            })
            .collect();
        if !blanked.is_empty() {
            blanked.sort_by_key(|e| e.0);
            replaced.insert(
                shared.part.member.clone(),
                splice(shared.part.xml.as_bytes(), &blanked)?,
            );
        }
    }
    // calcChain.xml lists formula cells; one naming a cell that no longer has
    // a formula makes Excel "repair" the file, and Excel rebuilds it anyway.
    let removed: Vec<String> = anchors
        .calc_chain
        .iter()
        .filter(|_| dropped_formula)
        .cloned()
        .collect();
    rewrite_zip(original, &replaced, &removed)
}
