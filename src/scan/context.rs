//! What surrounds a candidate: the text before it on the same line, and for
//! CSV-like tables the header of its column (or the caller's [`ScanHints`]).

use std::cell::OnceCell;

use super::ScanHints;

/// Per-scan view of the text; the table layout is computed only when some
/// detector first asks for a column header.
pub struct TextCtx<'t> {
    pub text: &'t str,
    pub hints: &'t ScanHints,
    tables: OnceCell<Vec<LineInfo>>,
}

/// A line and the first line of the comma-separated block it belongs to.
struct LineInfo {
    start: usize,
    header_start: Option<usize>,
}

/// Table lines longer than this are not split into cells (keeps lookups cheap).
const MAX_ROW: usize = 8192;

impl<'t> TextCtx<'t> {
    pub fn new(text: &'t str, hints: &'t ScanHints) -> Self {
        Self {
            text,
            hints,
            tables: OnceCell::new(),
        }
    }

    pub fn line_start(&self, pos: usize) -> usize {
        self.text[..pos].rfind('\n').map_or(0, |i| i + 1)
    }

    pub fn line_end(&self, pos: usize) -> usize {
        self.text[pos..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |i| pos + i)
    }

    /// Up to `chars` characters before `pos`, not crossing a line break.
    pub fn before(&self, pos: usize, chars: usize) -> &'t str {
        let head = &self.text[..pos];
        let mut start = pos;
        for (n, (i, c)) in head.char_indices().rev().enumerate() {
            if n >= chars || c == '\n' || c == '\r' {
                break;
            }
            start = i;
        }
        &self.text[start..pos]
    }

    /// True when one of `words` occurs within `window` characters before `pos`
    /// on the same line, in the header of the CSV column holding `pos`, or in
    /// the caller's column header.
    pub fn has_context(&self, words: &[String], pos: usize, window: usize) -> bool {
        let before = self.before(pos, window);
        let hit = |s: &str| words.iter().any(|w| contains_ci(s, w));
        hit(before) || self.column_header(pos).is_some_and(hit)
    }

    /// The header cell of the column holding `pos`: the caller's hint, or, in a
    /// block of comma-separated lines, the cell with the same index in the
    /// block's first line.
    pub fn column_header(&self, pos: usize) -> Option<&str> {
        if let Some(h) = self.hints.column_header.as_deref() {
            return Some(h);
        }
        let tables = self.tables.get_or_init(|| table_layout(self.text));
        let idx = tables.partition_point(|l| l.start <= pos).checked_sub(1)?;
        let line = &tables[idx];
        let header_start = line.header_start?;
        if header_start == line.start {
            return None;
        }
        let row_end = self.line_end(line.start);
        if row_end - line.start > MAX_ROW {
            return None;
        }
        let col = cell_index(&self.text[line.start..row_end], pos - line.start);
        let header_end = self.line_end(header_start);
        cells(&self.text[header_start..header_end]).nth(col)
    }
}

pub fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let n = needle.as_bytes();
        hay.as_bytes()
            .windows(n.len())
            .any(|w| w.eq_ignore_ascii_case(n))
    } else {
        hay.contains(needle)
    }
}

fn table_layout(text: &str) -> Vec<LineInfo> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut block: Option<usize> = None;
    while start <= text.len() {
        let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let is_row = text[start..end].contains(',');
        block = if is_row {
            Some(block.unwrap_or(start))
        } else {
            None
        };
        out.push(LineInfo {
            start,
            header_start: block,
        });
        if end == text.len() {
            break;
        }
        start = end + 1;
    }
    out
}

/// Index of the comma-separated cell containing byte `pos` of `row`.
fn cell_index(row: &str, pos: usize) -> usize {
    let mut quoted = false;
    let mut col = 0;
    for (i, b) in row.bytes().enumerate() {
        if i >= pos {
            break;
        }
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => col += 1,
            _ => {}
        }
    }
    col
}

/// Cells of a CSV row, quotes and surrounding blanks removed.
pub fn cells(row: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    let mut last = 0;
    let row = row.trim_end_matches('\r');
    let mut bounds = Vec::new();
    for (i, b) in row.bytes().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                bounds.push((last, i));
                last = i + 1;
            }
            _ => {}
        }
    }
    bounds.push((last, row.len()));
    bounds
        .into_iter()
        .map(move |(s, e)| row[s..e].trim().trim_matches('"').trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_column_header() {
        let t = "名单\n姓名,护照号码,电话\n张三,\"E12345678\",1\n";
        let hints = ScanHints::default();
        let cx = TextCtx::new(t, &hints);
        let pos = t.find("E123").unwrap();
        assert_eq!(cx.column_header(pos), Some("护照号码"));
        assert_eq!(cx.column_header(t.find("张三").unwrap()), Some("姓名"));
        assert_eq!(cx.column_header(2), None);
    }

    #[test]
    fn before_stays_on_the_line() {
        let hints = ScanHints::default();
        let cx = TextCtx::new("护照\n号码E1", &hints);
        assert_eq!(cx.before(cx.text.len() - 2, 10), "号码");
    }
}
