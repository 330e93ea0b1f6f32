//! CSV and TSV: one segment per non-empty cell, located as `{"cell":"B2"}`
//! (no sheet) with the column's header from row 1.
//!
//! A small RFC 4180 tokenizer rather than the `csv` crate, because
//! redaction needs each field's exact byte span in the source.

use super::text::{decode_text, finish};
use super::{
    cell_segment, ExtractError, FileKind, Limits, Parsed, Reserialise, Segment, SourceSpan,
};

const CANDIDATES: [u8; 4] = [b',', b'\t', b';', b'|'];

pub(crate) fn parse(
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Parsed, ExtractError> {
    let decoded = decode_text(bytes, limits)?;
    let mut segments = Vec::new();
    let mut spans = Vec::new();
    visit(file_name, &decoded.text, limits, |segment, span| {
        segments.push(segment);
        spans.push(span);
    })?;
    Ok(finish(FileKind::Csv, decoded, segments, spans))
}

/// Hands each non-empty cell to `f` as it is read, row by row, so that a
/// caller who does not keep them (the inspection) holds one row at a time.
pub(crate) fn visit(
    file_name: &str,
    text: &str,
    limits: &Limits,
    mut f: impl FnMut(Segment, SourceSpan),
) -> Result<(), ExtractError> {
    let tsv = file_name.to_ascii_lowercase().ends_with(".tsv");
    let delimiter = sniff_delimiter(text, tsv);
    let rows = tokenize(text, delimiter);
    let mut cells = 0usize;
    let mut headers: Vec<String> = Vec::new();
    for (r, row) in rows.enumerate() {
        if r >= limits.max_rows {
            return Err(ExtractError::too_large("row count", limits.max_rows));
        }
        cells += row.len();
        if cells > limits.max_cells {
            return Err(ExtractError::too_large("cell count", limits.max_cells));
        }
        if r == 0 {
            headers = row.iter().map(|f| f.value(text)).collect();
        }
        for (c, field) in row.iter().enumerate() {
            let value = field.value(text);
            if value.is_empty() {
                continue;
            }
            let header = headers.get(c).map(String::as_str).unwrap_or_default();
            let span = SourceSpan {
                start: field.start,
                end: field.end,
                how: Reserialise::Csv {
                    delimiter,
                    quoted: field.quoted,
                },
            };
            f(cell_segment(None, c, r + 1, header, value), span);
        }
    }
    Ok(())
}

/// The candidate occurring most often in the first line (outside quotes);
/// a `.tsv` name breaks ties toward tab, otherwise comma wins.
fn sniff_delimiter(text: &str, tsv: bool) -> u8 {
    let mut counts = [0usize; CANDIDATES.len()];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(i) = CANDIDATES.iter().position(|&c| c == b) {
                    counts[i] += 1;
                }
            }
            _ => {}
        }
    }
    let preferred = if tsv { 1 } else { 0 };
    let best = (0..CANDIDATES.len())
        .max_by_key(|&i| (counts[i], i == preferred))
        .unwrap_or(preferred);
    if counts[best] == 0 {
        CANDIDATES[preferred]
    } else {
        CANDIDATES[best]
    }
}

/// One field: its source span (quotes included) in the decoded text.
#[derive(Debug, Clone, Copy)]
struct Field {
    start: usize,
    end: usize,
    quoted: bool,
    /// Offset of the closing quote of a quoted field, if it has one.
    close: Option<usize>,
}

impl Field {
    /// The cell value: quotes removed, doubled quotes undone.
    fn value(&self, text: &str) -> String {
        if !self.quoted {
            return text[self.start..self.end].to_owned();
        }
        let close = self.close.unwrap_or(self.end);
        let mut value = text[self.start + 1..close].replace("\"\"", "\"");
        // A field may continue after its closing quote (`"ab"c`); keep those
        // characters too, as spreadsheet programs do.
        if close < self.end {
            value.push_str(&text[close + 1..self.end]);
        }
        value
    }
}

/// Iterates records; each is the list of its fields.
fn tokenize(text: &str, delimiter: u8) -> impl Iterator<Item = Vec<Field>> + '_ {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let mut fields = Vec::new();
        loop {
            let start = pos;
            let quoted = bytes.get(pos) == Some(&b'"');
            let mut close = None;
            if quoted {
                pos += 1;
                loop {
                    match bytes[pos..].iter().position(|&b| b == b'"') {
                        Some(q) if bytes.get(pos + q + 1) == Some(&b'"') => pos += q + 2,
                        Some(q) => {
                            close = Some(pos + q);
                            pos += q + 1;
                            break;
                        }
                        // Unterminated quote: the rest of the file is this field.
                        None => {
                            pos = bytes.len();
                            break;
                        }
                    }
                }
            }
            let stop = bytes[pos..]
                .iter()
                .position(|&b| b == delimiter || b == b'\n')
                .map_or(bytes.len(), |p| pos + p);
            let end = if stop > start
                && bytes[stop - 1] == b'\r'
                && bytes.get(stop) != Some(&delimiter)
            {
                stop - 1
            } else {
                stop
            };
            let end = end.max(close.map_or(start, |c| c + 1));
            fields.push(Field {
                start,
                end,
                quoted,
                close,
            });
            pos = stop;
            match bytes.get(pos) {
                Some(&b) if b == delimiter => pos += 1,
                Some(_) => {
                    pos += 1;
                    return Some(fields);
                }
                None => return Some(fields),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, d: u8) -> Vec<Vec<String>> {
        tokenize(text, d)
            .map(|r| r.iter().map(|f| f.value(text)).collect())
            .collect()
    }

    #[test]
    fn tokenizes_quotes_and_line_ends() {
        let text = "a,\"b,\"\"q\"\"\",c\r\n\"multi\nline\",,x\n";
        assert_eq!(
            rows(text, b','),
            vec![vec!["a", "b,\"q\"", "c"], vec!["multi\nline", "", "x"]]
        );
    }

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a\tb\tc\n1,2\t3", false), b'\t');
        assert_eq!(sniff_delimiter("a;b;c\n", false), b';');
        assert_eq!(sniff_delimiter("\"x,y\"|b|c\n", false), b'|');
        assert_eq!(sniff_delimiter("single\n", true), b'\t');
        assert_eq!(sniff_delimiter("single\n", false), b',');
    }
}
