//! Text, CSV and JSON renditions: each redacted value is spliced into the
//! original bytes in the original encoding; nothing else is re-encoded.

use super::{apply, redaction_edits, Plan, Redaction};
use crate::extract::{Decoded, ExtractError, Reserialise, Segment, SourceCursor, SourceSpan};

/// An edit of the decoded text: a byte range and what replaces it.
pub(super) type TextEdit = (usize, usize, String);

pub(super) fn render(
    original: &[u8],
    decoded: &Decoded<'_>,
    spans: &[SourceSpan],
    segments: &[Segment],
    plan: &Plan,
) -> Result<Vec<u8>, ExtractError> {
    let mut edits: Vec<TextEdit> = plan
        .iter()
        .flat_map(|(&i, group)| segment_edits(spans[i], &segments[i].text, group))
        .collect();
    edits.sort_by_key(|e| e.0);
    let mut splicer = Splicer::new(original, decoded);
    for edit in edits {
        splicer.edit(edit)?;
    }
    Ok(splicer.finish())
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

/// Writes `original` with edits of its decoded text, handed over in file
/// order, each replacement encoded in the file's own encoding; every other
/// byte is copied as it was. Only the output is held, so a table with
/// millions of redacted cells renders in about its own size.
pub(super) struct Splicer<'a> {
    original: &'a [u8],
    decoded: &'a Decoded<'a>,
    cursor: SourceCursor<'a>,
    out: Vec<u8>,
    /// Where in `original` the bytes not copied yet begin.
    copied_to: usize,
}

impl<'a> Splicer<'a> {
    pub fn new(original: &'a [u8], decoded: &'a Decoded<'a>) -> Self {
        Self {
            original,
            decoded,
            cursor: SourceCursor::new(decoded, original),
            out: Vec::with_capacity(original.len()),
            copied_to: 0,
        }
    }

    /// Replaces `start..end` of the decoded text; an edit that starts
    /// before the previous one ended is refused, never guessed at.
    pub fn edit(&mut self, (start, end, replacement): TextEdit) -> Result<(), ExtractError> {
        let from = self.cursor.source_offset(start);
        let to = from.and_then(|_| self.cursor.source_offset(end));
        let (Some(from), Some(to)) = (from, to) else {
            return Err(ExtractError::malformed(format!(
                "edit {start}..{end} overlaps the one before it or splits a character; \
                 cannot redact in place"
            )));
        };
        self.out
            .extend_from_slice(&self.original[self.copied_to..from]);
        self.out.extend(self.decoded.encoding.encode(&replacement)?);
        self.copied_to = to;
        Ok(())
    }

    pub fn finish(mut self) -> Vec<u8> {
        self.out.extend_from_slice(&self.original[self.copied_to..]);
        self.out
    }
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
