//! CSV and TSV: one segment per non-empty cell, located as `{"cell":"B2"}`
//! (no sheet) with the column's header from row 1.
//!
//! A small RFC 4180 tokenizer rather than the `csv` crate, because
//! redaction needs each field's exact byte span in the source.

use super::encoding::DecodedPieces;
use super::text::{decode_text, finish, LineLimit};
use super::{
    cell_segment, ExtractError, FileKind, Limits, Parsed, Reserialise, Segment, SourceSpan,
    VisitError,
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

/// Hands each non-empty cell of a decoded table to `f`, row by row.
pub(crate) fn visit(
    file_name: &str,
    text: &str,
    limits: &Limits,
    mut f: impl FnMut(Segment, SourceSpan),
) -> Result<(), ExtractError> {
    let mut table = Table::new(file_name, text);
    table.records(text, 0, true, limits, &mut f)?;
    Ok(())
}

/// As [`visit`], for a table decoded a piece at a time: the window of text
/// held is the rows not yet visited, so a large table costs a piece and a
/// row, not the file. Spans are offsets in the whole decoded text;
/// `passed` gets that text in order, each stretch once its rows have been
/// visited.
pub(crate) fn visit_pieces(
    file_name: &str,
    pieces: &mut DecodedPieces<'_>,
    limits: &Limits,
    mut f: impl FnMut(Segment, SourceSpan),
    mut passed: impl FnMut(&str) -> Result<(), VisitError>,
) -> Result<(), VisitError> {
    let mut window = String::new();
    let mut base = 0;
    let mut lines = LineLimit::new(limits.max_line_bytes);
    let mut table = None;
    loop {
        let checked = window.len();
        let more = pieces.next_into(&mut window)?;
        lines.check(&window[checked..])?;
        // The delimiter is read off the first line, once it is whole.
        if table.is_none() && (window.contains('\n') || !more) {
            table = Some(Table::new(file_name, &window));
        }
        if let Some(table) = &mut table {
            let visited = table.records(&window, base, !more, limits, &mut f)?;
            passed(&window[..visited])?;
            window.drain(..visited);
            base += visited;
        }
        if !more {
            return Ok(());
        }
    }
}

/// What a table carries from one piece of its text to the next.
struct Table {
    delimiter: u8,
    headers: Vec<String>,
    rows: usize,
    cells: usize,
}

impl Table {
    fn new(file_name: &str, first_line: &str) -> Self {
        let tsv = file_name.to_ascii_lowercase().ends_with(".tsv");
        Self {
            delimiter: sniff_delimiter(first_line, tsv),
            headers: Vec::new(),
            rows: 0,
            cells: 0,
        }
    }

    /// Visits the whole records of `window`, whose first byte is at `base`
    /// in the decoded text; `last` when the text ends with the window.
    /// Returns the length visited: the rest begins a record still arriving.
    fn records(
        &mut self,
        window: &str,
        base: usize,
        last: bool,
        limits: &Limits,
        f: &mut impl FnMut(Segment, SourceSpan),
    ) -> Result<usize, ExtractError> {
        let mut pos = 0;
        while let Some((row, next)) = record(window.as_bytes(), pos, self.delimiter, last) {
            pos = next;
            let r = self.rows;
            if r >= limits.max_rows {
                return Err(ExtractError::too_large("row count", limits.max_rows));
            }
            self.rows += 1;
            self.cells += row.len();
            if self.cells > limits.max_cells {
                return Err(ExtractError::too_large("cell count", limits.max_cells));
            }
            if r == 0 {
                self.headers = row.iter().map(|f| f.value(window)).collect();
            }
            for (c, field) in row.iter().enumerate() {
                let value = field.value(window);
                if value.is_empty() {
                    continue;
                }
                let header = self.headers.get(c).map(String::as_str).unwrap_or_default();
                let span = SourceSpan {
                    start: base + field.start,
                    end: base + field.end,
                    how: Reserialise::Csv {
                        delimiter: self.delimiter,
                        quoted: field.quoted,
                    },
                };
                f(cell_segment(None, c, r + 1, header, value), span);
            }
        }
        Ok(pos)
    }
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

/// The record starting at `pos`, as the list of its fields, and where the
/// next begins; `None` at the end of `bytes`, or when the record runs to
/// the end of `bytes` and more text may follow (`last` is false): it is
/// read again once the rest has arrived.
fn record(bytes: &[u8], mut pos: usize, delimiter: u8, last: bool) -> Option<(Vec<Field>, usize)> {
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
        // A record reaching the end of a window may go on in the next piece
        // (a quote closing, a `\r` before its `\n`).
        if stop == bytes.len() && !last {
            return None;
        }
        let end = if stop > start && bytes[stop - 1] == b'\r' && bytes.get(stop) != Some(&delimiter)
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
            Some(_) => return Some((fields, pos + 1)),
            None => return Some((fields, pos)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str, d: u8) -> Vec<Vec<String>> {
        let mut pos = 0;
        std::iter::from_fn(|| {
            let (fields, next) = record(text.as_bytes(), pos, d, true)?;
            pos = next;
            Some(fields.iter().map(|f| f.value(text)).collect())
        })
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

    /// A source that counts the bytes its latest reader has handed out.
    struct Counted {
        bytes: Vec<u8>,
        read: std::rc::Rc<std::cell::Cell<usize>>,
    }

    struct CountingReader<'a> {
        rest: &'a [u8],
        read: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl std::io::Read for CountingReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.rest.read(buf)?;
            self.read.set(self.read.get() + n);
            Ok(n)
        }
    }

    impl crate::extract::Source for Counted {
        fn len(&self) -> u64 {
            self.bytes.len() as u64
        }

        fn open(&self) -> std::io::Result<Box<dyn std::io::Read + '_>> {
            self.read.set(0);
            Ok(Box::new(CountingReader {
                rest: &self.bytes,
                read: self.read.clone(),
            }))
        }
    }

    fn visit_whole(text: &str) -> Vec<(Segment, usize, usize)> {
        let mut cells = Vec::new();
        visit("t.csv", text, &Limits::unlimited(), |cell, span| {
            cells.push((cell, span.start, span.end))
        })
        .unwrap();
        cells
    }

    /// Cells, spans and the bytes read when each cell was visited.
    fn visit_in_pieces(source: &Counted) -> Vec<(Segment, usize, usize, usize)> {
        let (encoding, bom) = crate::extract::encoding::detect(source).unwrap();
        let mut pieces = DecodedPieces::open(source, encoding, bom).unwrap();
        let mut cells = Vec::new();
        let mut passed = String::new();
        visit_pieces(
            "t.csv",
            &mut pieces,
            &Limits::unlimited(),
            |cell, span| cells.push((cell, span.start, span.end, source.read.get())),
            |text| {
                passed.push_str(text);
                Ok(())
            },
        )
        .unwrap();
        let (whole, _) = encoding
            .encoding()
            .decode_without_bom_handling(&source.bytes[bom..]);
        assert_eq!(passed, whole, "the text is passed on whole, in order");
        cells
    }

    /// A table read in pieces gives the cells and spans of the same table
    /// read whole, across pieces that split quoted line breaks, `\r\n`
    /// and characters; and each row is visited once the piece holding it
    /// has been read, so what is held is a piece, never the table.
    #[test]
    fn a_table_read_in_pieces_is_visited_as_it_is_read() {
        let mut text = String::from("姓名,备注,手机\r\n");
        let mut row = 0;
        while text.len() < 5 * crate::extract::source::PIECE_BYTES {
            text.push_str(&format!(
                "张{row},\"第{row}行\r\n含\"\"引号\"\",\"\",13{:09}\r\n",
                row % 1_000_000_000
            ));
            row += 1;
        }
        text.push_str("末行,无换行");
        let whole = visit_whole(&text);
        let source = Counted {
            bytes: text.clone().into_bytes(),
            read: Default::default(),
        };
        let pieces = visit_in_pieces(&source);
        assert_eq!(pieces.len(), whole.len());
        for ((cell, start, end, read), (w_cell, w_start, w_end)) in pieces.iter().zip(&whole) {
            assert_eq!((cell, start, end), (w_cell, w_start, w_end));
            assert!(*read >= *end, "visited before it was read");
            assert!(
                // The row straddling two pieces waits for the second.
                read - end <= 2 * crate::extract::source::PIECE_BYTES,
                "cell ending at {end} visited after {read} bytes"
            );
        }
        assert_eq!(pieces.last().unwrap().0.text, "无换行");
    }

    /// A GBK table read in pieces: decoded across the piece boundaries,
    /// spans in the decoded text.
    #[test]
    fn a_gbk_table_read_in_pieces_matches_the_whole() {
        let mut text = String::from("姓名,地址\n");
        for row in 0..200_000 {
            text.push_str(&format!("王{row},清溪县人民路{row}号\n"));
        }
        let (gbk, _, _) = encoding_rs::GBK.encode(&text);
        let source = Counted {
            bytes: gbk.into_owned(),
            read: Default::default(),
        };
        assert!(source.bytes.len() > 2 * crate::extract::source::PIECE_BYTES);
        let pieces = visit_in_pieces(&source);
        let whole = visit_whole(&text);
        assert_eq!(pieces.len(), whole.len());
        assert!(pieces
            .iter()
            .zip(&whole)
            .all(|((c, s, e, _), (wc, ws, we))| (c, s, e) == (wc, ws, we)));
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
