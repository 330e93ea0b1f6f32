//! Text, CSV and JSON renditions: each redacted value is spliced into the
//! original bytes in the original encoding; nothing else is re-encoded.

use super::{apply, redaction_edits, splice, Plan, Redaction};
use crate::extract::{Decoded, ExtractError, Reserialise, Segment, SourceSpan};

/// An edit of the decoded text: a byte range and what replaces it.
pub(super) type TextEdit = (usize, usize, String);

pub(super) fn render(
    original: &[u8],
    decoded: &Decoded,
    spans: &[SourceSpan],
    segments: &[Segment],
    plan: &Plan,
) -> Result<Vec<u8>, ExtractError> {
    let edits = plan
        .iter()
        .flat_map(|(&i, group)| segment_edits(spans[i], &segments[i].text, group))
        .collect();
    splice_edits(original, decoded, edits)
}

/// One segment's sorted, disjoint redactions as edits of the decoded text,
/// written in the syntax its source used.
pub(super) fn segment_edits(span: SourceSpan, text: &str, group: &[&Redaction]) -> Vec<TextEdit> {
    match span.how {
        Reserialise::Verbatim => group
            .iter()
            .map(|r| {
                (
                    span.start + r.start,
                    span.start + r.end,
                    r.replacement.clone(),
                )
            })
            .collect(),
        how => {
            let value = apply(text, redaction_edits(group));
            vec![(span.start, span.end, reserialise(how, value))]
        }
    }
}

/// `original` with edits of its decoded text applied, each replacement
/// encoded in the file's own encoding; every other byte stays as it was.
pub(super) fn splice_edits(
    original: &[u8],
    decoded: &Decoded,
    mut edits: Vec<TextEdit>,
) -> Result<Vec<u8>, ExtractError> {
    edits.sort_by_key(|e| e.0);
    let offsets: Vec<usize> = edits.iter().flat_map(|e| [e.0, e.1]).collect();
    let mapped = decoded.source_offsets(original, &offsets);
    let mut byte_edits = Vec::with_capacity(edits.len());
    for (k, (_, _, text)) in edits.iter().enumerate() {
        byte_edits.push((
            mapped[2 * k],
            mapped[2 * k + 1],
            decoded.encoding.encode(text)?,
        ));
    }
    splice(original, &byte_edits)
}

/// Writes a redacted value back in the syntax its source used.
fn reserialise(how: Reserialise, value: String) -> String {
    match how {
        Reserialise::Verbatim => value,
        Reserialise::Csv { delimiter, quoted } => {
            let needs_quotes = quoted
                || value
                    .bytes()
                    .any(|b| matches!(b, b'"' | b'\n' | b'\r') || b == delimiter);
            if needs_quotes {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value
            }
        }
        // A masked number such as 138****5678 is no longer a number.
        Reserialise::JsonNumber
            if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) =>
        {
            value
        }
        Reserialise::JsonString | Reserialise::JsonNumber => {
            serde_json::to_string(&value).unwrap_or_else(|_| String::from("\"\""))
        }
    }
}
