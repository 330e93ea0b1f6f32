//! What surrounds a candidate: the text before it on the same line, and for
//! CSV-like tables (comma- or tab-separated lines, or columns aligned with
//! runs of blanks) the header of its column (or the caller's [`ScanHints`]).

use std::cell::OnceCell;

use super::normalize::is_blank;
use super::ScanHints;

/// Per-scan view of the text; the line layout is computed (in one linear
/// pass) only when some detector first asks about lines or tables.
pub struct TextCtx<'t> {
    pub text: &'t str,
    pub hints: &'t ScanHints<'t>,
    lines: OnceCell<Vec<LineInfo>>,
}

/// A line (without its `\n`/`\r\n`) and the first line of the block of
/// separated lines it belongs to, with their separator.
struct LineInfo {
    start: usize,
    end: usize,
    header_start: Option<usize>,
    separator: u8,
}

/// Table lines longer than this are not split into cells (keeps lookups cheap).
const MAX_ROW: usize = 8192;

impl<'t> TextCtx<'t> {
    pub fn new(text: &'t str, hints: &'t ScanHints<'t>) -> Self {
        Self {
            text,
            hints,
            lines: OnceCell::new(),
        }
    }

    fn line(&self, pos: usize) -> &LineInfo {
        let lines = self.lines.get_or_init(|| line_layout(self.text));
        &lines[lines.partition_point(|l| l.start <= pos).saturating_sub(1)]
    }

    pub fn line_start(&self, pos: usize) -> usize {
        self.line(pos).start
    }

    pub fn line_end(&self, pos: usize) -> usize {
        self.line(pos).end
    }

    /// The separator of the table whose first line holds `pos`, if it does.
    pub fn table_header(&self, pos: usize) -> Option<u8> {
        let line = self.line(pos);
        (line.header_start == Some(line.start) && line.end - line.start <= MAX_ROW)
            .then_some(line.separator)
    }

    /// Whether the line at `pos` is a row of the table headed at `header_start`.
    pub fn in_table(&self, pos: usize, header_start: usize) -> bool {
        self.line(pos).header_start == Some(header_start)
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
    /// on the same line, in the header of the CSV column holding `pos`, in
    /// the caller's column header, or on the line opening the list `pos`
    /// is an item of.
    pub fn has_context(&self, words: &[String], pos: usize, window: usize) -> bool {
        let before = self.before(pos, window);
        let hit = |s: &str| words.iter().any(|w| contains_ci(s, w));
        // In a table the rest of the row speaks for the value too (`| TC-08 |
        // E48201736 | 命中 | 普通护照 |`).
        let row_rest = || &self.text[pos..self.line_end(pos)];
        if hit(before)
            || self
                .column_header(pos)
                .is_some_and(|h| hit(h) || hit(row_rest()))
            || self.list_key(pos).is_some_and(hit)
        {
            return true;
        }
        // A value listed after another (`电话：0579-82267351、82267352`,
        // `6021135/6021136`) shares the context of the first.
        let mut at = pos;
        for _ in 0..MAX_LISTED_VALUES {
            let Some(first) = self.value_listed_before(at) else {
                return false;
            };
            if hit(self.before(first, window)) || self.column_header(first).is_some_and(&hit) {
                return true;
            }
            at = first;
        }
        false
    }

    /// The start of the number `pos` follows in a list: only `、` or `/`
    /// stands between, and it holds at least [`MIN_LISTED_DIGITS`] digits.
    fn value_listed_before(&self, pos: usize) -> Option<usize> {
        let head = self.text[..pos].strip_suffix(['、', '/', '／'])?;
        let start = head
            .trim_end_matches(|c: char| {
                c.is_ascii_digit()
                    || matches!(c, '-' | '—' | '–' | '－' | '(' | ')' | '（' | '）' | ' ')
            })
            .len();
        let digits = head[start..].bytes().filter(u8::is_ascii_digit).count();
        (digits >= MIN_LISTED_DIGITS).then_some(start)
    }

    /// The line opening the list whose item `pos` is, in data or code
    /// (`"passport": [` above `"E61428307",`; YAML `passport:` above
    /// `- E61428307`): the line holding `pos` has nothing but blanks,
    /// quotes or a dash before it, and so do the lines between, up to a
    /// line ending in `[`, `(`, `{` or `:`.
    fn list_key(&self, pos: usize) -> Option<&'t str> {
        const MAX_ITEMS: usize = 50;
        let is_item_head = |s: &str| {
            s.chars()
                .all(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '-' | '*'))
        };
        let mut line_start = self.line_start(pos);
        if !is_item_head(&self.text[line_start..pos]) {
            return None;
        }
        for _ in 0..MAX_ITEMS {
            let prev_end = line_start.checked_sub(1)?;
            line_start = self.line_start(prev_end);
            let line = self.text[line_start..prev_end].trim_end();
            if line.ends_with(['[', '(', '{', ':', '：']) {
                return Some(line);
            }
            let first = line.trim_start().chars().next();
            if !matches!(first, Some('"' | '\'' | '-' | '*') | None) {
                return None;
            }
        }
        None
    }

    /// The header cell of the column holding `pos`: the caller's hint, or, in a
    /// block of separated lines, the cell with the same index in the block's
    /// first line.
    pub fn column_header(&self, pos: usize) -> Option<&str> {
        if let Some(h) = self.hints.column_header {
            return Some(h);
        }
        let line = self.line(pos);
        let header_start = line.header_start?;
        if header_start == line.start || line.end - line.start > MAX_ROW {
            return None;
        }
        let row = &self.text[line.start..line.end];
        let col = cell_index(row, pos - line.start, line.separator);
        let header = self.line(header_start);
        cells(&self.text[header.start..header.end], line.separator).nth(col)
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

fn line_layout(text: &str) -> Vec<LineInfo> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut block: Option<(usize, u8)> = None;
    loop {
        let next = text[start..].find('\n').map(|i| start + i);
        let end = next.unwrap_or(text.len());
        let content_end = if text[..end].ends_with('\r') && end > start {
            end - 1
        } else {
            end
        };
        // Commas first: a tab inside a CSV cell does not make a TSV row; but
        // a row of a tab-separated, Markdown (`|`) or aligned table stays
        // one with a comma in a cell (`1,560`).
        let line = &text.as_bytes()[start..content_end];
        let holds = |s: u8| match s {
            ALIGNED => is_aligned(line),
            FULL_BAR => memchr::memmem::find(line, FULL_BAR_STR.as_bytes()).is_some(),
            s => line.contains(&s),
        };
        let separator = match block {
            Some((_, s @ (b'\t' | b'|' | FULL_BAR | ALIGNED))) if holds(s) => Some(s),
            _ => [b',', b'\t', b'|', FULL_BAR, ALIGNED]
                .into_iter()
                .find(|&s| holds(s)),
        };
        block = match (separator, block) {
            (Some(s), Some((header, before))) if s == before => Some((header, s)),
            (Some(s), _) => Some((start, s)),
            (None, _) => None,
        };
        out.push(LineInfo {
            start,
            end: content_end,
            header_start: block.map(|(header, _)| header),
            separator: block.map_or(b',', |(_, s)| s),
        });
        match next {
            Some(n) => start = n + 1,
            None => return out,
        }
    }
}

/// The separator of a table whose cells are split by full-width bars
/// (`序号｜申请人｜身份证号`): a byte UTF-8 never holds stands for it.
const FULL_BAR: u8 = 0xFF;
/// Values walked back along a list for the context of its first.
const MAX_LISTED_VALUES: usize = 8;
/// Digits of the shortest value whose context a listed value shares: a
/// local landline.
const MIN_LISTED_DIGITS: usize = 7;
const FULL_BAR_STR: &str = "｜";

/// The separator of a table whose columns are aligned with blanks
/// (`户号    被征收人      房屋坐落`, pasted from a word processor): a run of
/// two or more spaces, never one.
const ALIGNED: u8 = b' ';

/// Whether a line holds cells aligned with runs of blanks (ASCII or
/// ideographic, `姓名　　　单位`): a run of two inside it, once the blanks
/// at either end (a paragraph's indent) are set aside. Asked of every
/// line, so over bytes, decoding nothing.
fn is_aligned(line: &[u8]) -> bool {
    const IDEOGRAPHIC: &[u8] = "\u{3000}".as_bytes();
    let blank_at = |b: &[u8]| match b {
        [b' ', ..] => Some(1),
        [0xE3, 0x80, 0x80, ..] => Some(IDEOGRAPHIC.len()),
        _ => None,
    };
    let blank_before = |b: &[u8]| match b {
        [.., b' '] => Some(1),
        [.., 0xE3, 0x80, 0x80] => Some(IDEOGRAPHIC.len()),
        _ => None,
    };
    let mut inner = line;
    while let Some(n) = blank_at(inner) {
        inner = &inner[n..];
    }
    while let Some(n) = blank_before(inner) {
        inner = &inner[..inner.len() - n];
    }
    memchr::memchr2_iter(b' ', 0xE3, inner)
        .any(|i| blank_at(&inner[i..]).is_some_and(|n| blank_at(&inner[i + n..]).is_some()))
}

/// Index of the cell containing byte `pos` of `row`.
fn cell_index(row: &str, pos: usize, separator: u8) -> usize {
    if separator == ALIGNED {
        return aligned_cells(row)
            .take_while(|&(start, _)| start <= pos)
            .count()
            .saturating_sub(1);
    }
    if separator == FULL_BAR {
        return row[..pos].matches(FULL_BAR_STR).count();
    }
    let mut quoted = false;
    let mut col = 0;
    for (i, b) in row.bytes().enumerate() {
        if i >= pos {
            break;
        }
        match b {
            b'"' => quoted = !quoted,
            b if b == separator && !quoted => col += 1,
            _ => {}
        }
    }
    col
}

/// Byte ranges of the cells of a row aligned with runs of blanks: two or
/// more in a row, ASCII or ideographic (`　`); a single blank stays inside
/// a cell (`书　记　员`, `Zhang San`).
fn aligned_cells(row: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = row.char_indices().peekable();
    std::iter::from_fn(move || {
        while chars.next_if(|&(_, c)| is_blank(c)).is_some() {}
        let (start, first) = chars.next()?;
        let mut end = start + first.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            if is_blank(c) {
                // One blank stays in the cell; two end it.
                let rest = &row[i + c.len_utf8()..];
                if rest.chars().next().is_none_or(is_blank) {
                    break;
                }
            }
            end = i + c.len_utf8();
            chars.next();
        }
        Some((start, end))
    })
}

/// Byte ranges of the cells of a row split at `separator`, without
/// surrounding blanks and quotes (`"1",周俊艳` -> `1`, `周俊艳`).
pub fn cell_ranges(row: &str, separator: u8) -> Vec<(usize, usize)> {
    if separator == ALIGNED {
        return aligned_cells(row).collect();
    }
    if separator == FULL_BAR {
        let mut at = 0;
        return row
            .split(FULL_BAR_STR)
            .map(|cell| {
                let inner = cell.trim_matches(|c: char| c.is_whitespace() || c == '"');
                let off = at + (inner.as_ptr() as usize - cell.as_ptr() as usize);
                at += cell.len() + FULL_BAR_STR.len();
                (off, off + inner.len())
            })
            .collect();
    }
    let mut quoted = false;
    let mut last = 0;
    let mut bounds = Vec::new();
    for (i, b) in row
        .bytes()
        .enumerate()
        .chain(std::iter::once((row.len(), separator)))
    {
        match b {
            b'"' => quoted = !quoted,
            b if b == separator && (!quoted || i == row.len()) => {
                let cell = &row[last..i];
                let inner = cell.trim().trim_matches('"').trim();
                let off = last + inner.as_ptr() as usize - cell.as_ptr() as usize;
                bounds.push((off, off + inner.len()));
                last = i + 1;
            }
            _ => {}
        }
    }
    bounds
}

/// Cells of a row split at `separator`, quotes and surrounding blanks removed.
pub fn cells(row: &str, separator: u8) -> impl Iterator<Item = &str> {
    cell_ranges(row, separator)
        .into_iter()
        .map(move |(s, e)| &row[s..e])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_column_header_of_a_full_width_bar_table() {
        let t = "序号｜姓名｜往来港澳通行证号码｜签注\n1｜袁志刚｜C52408173｜团队旅游\n";
        let hints = ScanHints::default();
        let cx = TextCtx::new(t, &hints);
        let pos = t.find("C524").unwrap();
        assert_eq!(cx.column_header(pos), Some("往来港澳通行证号码"));
    }

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
    fn finds_the_header_of_an_aligned_column() {
        let t = "公示\n户号    被征收人      房屋坐落\nBG-07   丁阿根        人民西路212弄4号\n 8      慕容丽华      人民西路 6 号\n";
        let hints = ScanHints::default();
        let cx = TextCtx::new(t, &hints);
        assert_eq!(
            cx.column_header(t.find("丁阿根").unwrap()),
            Some("被征收人")
        );
        assert_eq!(cx.column_header(t.find("慕容").unwrap()), Some("被征收人"));
        // One blank stays inside a cell.
        assert_eq!(cx.column_header(t.find("6 号").unwrap()), Some("房屋坐落"));
        assert_eq!(cx.column_header(t.find("212弄").unwrap()), Some("房屋坐落"));
        let row = "BG-07   丁阿根        人民西路 212弄";
        let cells: Vec<&str> = cells(row, ALIGNED).collect();
        assert_eq!(cells, ["BG-07", "丁阿根", "人民西路 212弄"]);
    }

    /// Word processors align with ideographic spaces too; one of them
    /// inside a cell (`书　记　员`) does not split it.
    #[test]
    fn finds_the_header_of_a_column_aligned_with_ideographic_spaces() {
        let hints = ScanHints::default();
        let t = "序号　　姓名　　　单位\n1　　　张　伟　　　市统计局\n";
        let cx = TextCtx::new(t, &hints);
        assert_eq!(cx.column_header(t.find("张").unwrap()), Some("姓名"));
        assert_eq!(cx.column_header(t.find("市统计局").unwrap()), Some("单位"));
        assert_eq!(
            cells("书　记　员　　傅悦", ALIGNED).collect::<Vec<_>>(),
            ["书　记　员", "傅悦"]
        );
    }

    #[test]
    fn a_list_item_has_its_key_for_context() {
        let hints = ScanHints::default();
        let words = ["passport".to_string()];
        let t = "SAMPLES = {\n    \"passport\": [\n        \"E61428307\",\n        \"G38016452\",\n    ],\n    \"order\": [\n        \"E12345678\",\n    ]\n}";
        let cx = TextCtx::new(t, &hints);
        for value in ["E61428307", "G38016452"] {
            assert!(
                cx.has_context(&words, t.find(value).unwrap(), 30),
                "{value}"
            );
        }
        assert!(!cx.has_context(&words, t.find("E12345678").unwrap(), 30));
        let yaml = "passport:\n  - E61428307\nnote: E12345678\n";
        let cx = TextCtx::new(yaml, &hints);
        assert!(cx.has_context(&words, yaml.find("E61428307").unwrap(), 30));
        assert!(!cx.has_context(&words, yaml.find("E12345678").unwrap(), 30));
    }

    #[test]
    fn before_stays_on_the_line() {
        let hints = ScanHints::default();
        let cx = TextCtx::new("护照\n号码E1", &hints);
        assert_eq!(cx.before(cx.text.len() - 2, 10), "号码");
    }
}
