//! Text, CSV and JSON renditions: each redacted value is spliced into the
//! original bytes in the original encoding; nothing else is re-encoded.

use std::io::{Read, Write};

use super::{apply, redaction_edits, Plan, Redaction};
use crate::extract::encoding::TextEncoding;
use crate::extract::source::{read_piece, PIECE_BYTES};
use crate::extract::{
    Decoded, ExtractError, Reserialise, Segment, SourceCursor, SourceSpan, VisitError,
};

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

/// Writes a rendition while the original is read a second time: the
/// decoded text arrives in order, a stretch at a time, with the edits
/// inside it; the original bytes under the text are copied through, those
/// under an edit replaced by its replacement in the file's encoding. What
/// is held is a stretch of text and its bytes, never the file.
pub(super) struct StreamSplicer<'a, 'w> {
    original: OriginalBytes<'a>,
    encoding: TextEncoding,
    out: &'w mut dyn Write,
    /// Offset in the decoded text up to which the rendition is written.
    text_at: usize,
}

impl<'a, 'w> StreamSplicer<'a, 'w> {
    /// Starts a rendition of the file `read` yields, copying its byte
    /// order mark.
    pub fn new(
        read: Box<dyn Read + 'a>,
        encoding: TextEncoding,
        bom_len: usize,
        out: &'w mut dyn Write,
    ) -> std::io::Result<Self> {
        let mut original = OriginalBytes {
            read,
            buf: Vec::new(),
            at: 0,
        };
        original.pass(bom_len, Some(&mut *out))?;
        Ok(Self {
            original,
            encoding,
            out,
            text_at: 0,
        })
    }

    /// Writes the next stretch of decoded text with `edits` (sorted, in
    /// decoded-text offsets, each inside the stretch) applied; an edit that
    /// starts before the previous one ended is refused, never guessed at.
    pub fn pass(&mut self, text: &str, edits: &mut Vec<TextEdit>) -> Result<(), VisitError> {
        let base = self.text_at;
        let local = |at: usize| at.checked_sub(base).filter(|&i| text.is_char_boundary(i));
        for (start, end, replacement) in edits.drain(..) {
            let (Some(from), Some(to)) = (local(start), local(end)) else {
                return Err(refused(start, end).into());
            };
            let done = self.text_at - base;
            if from < done || to < from {
                return Err(refused(start, end).into());
            }
            self.copy(&text[done..from])?;
            self.out.write_all(&self.encoding.encode(&replacement)?)?;
            let skipped = self.original_len(&text[from..to])?;
            self.original.pass(skipped, None)?;
            self.text_at = end;
        }
        let done = self.text_at - base;
        self.copy(&text[done..])?;
        self.text_at = base + text.len();
        Ok(())
    }

    /// Copies whatever follows the last stretch (nothing, for a file read
    /// to its end) and flushes the rendition.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.original.pass(usize::MAX, Some(&mut *self.out))?;
        self.out.flush()
    }

    fn copy(&mut self, text: &str) -> std::io::Result<()> {
        let len = self.original_len(text)?;
        self.original.pass(len, Some(&mut *self.out))
    }

    /// How many original bytes encode `text`, which starts where the
    /// original has been read to.
    fn original_len(&mut self, text: &str) -> std::io::Result<usize> {
        Ok(match self.encoding {
            TextEncoding::Utf8 => text.len(),
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => text.encode_utf16().count() * 2,
            // One or two byte sequences look the same decoded (`€` is
            // 0x80 or 0xA2E3): the bytes say which.
            gb => {
                let mut len = 0;
                for c in text.chars() {
                    let ahead = self.original.ahead(len + 2)?;
                    len += gb.source_len(ahead, len, c);
                }
                len
            }
        })
    }
}

fn refused(start: usize, end: usize) -> ExtractError {
    ExtractError::malformed(format!(
        "edit {start}..{end} overlaps the one before it or splits a character; \
         cannot redact in place"
    ))
}

/// The original bytes of a file, read forward, with what is looked ahead
/// at kept until it is passed.
struct OriginalBytes<'a> {
    read: Box<dyn Read + 'a>,
    buf: Vec<u8>,
    /// Where in `buf` the bytes not passed yet begin.
    at: usize,
}

impl OriginalBytes<'_> {
    /// At least `n` bytes from the current position, fewer at the end.
    fn ahead(&mut self, n: usize) -> std::io::Result<&[u8]> {
        while self.buf.len() - self.at < n {
            self.buf.drain(..self.at);
            self.at = 0;
            let held = self.buf.len();
            self.buf.resize(held + PIECE_BYTES, 0);
            let read = read_piece(&mut self.read, &mut self.buf[held..])?;
            self.buf.truncate(held + read);
            if read == 0 {
                break;
            }
        }
        Ok(&self.buf[self.at..])
    }

    /// Moves `n` bytes on (all that are left for `usize::MAX`), writing
    /// them to `out` when given; a file shorter than that is an error.
    fn pass(&mut self, n: usize, mut out: Option<&mut dyn Write>) -> std::io::Result<()> {
        let held = (self.buf.len() - self.at).min(n);
        if let Some(out) = out.as_mut() {
            out.write_all(&self.buf[self.at..self.at + held])?;
        }
        self.at += held;
        let rest = n - held;
        if rest == 0 {
            return Ok(());
        }
        let mut tail = (&mut self.read).take(rest as u64);
        let moved = match out {
            Some(out) => std::io::copy(&mut tail, out)?,
            None => std::io::copy(&mut tail, &mut std::io::sink())?,
        };
        if n != usize::MAX && moved != rest as u64 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
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
