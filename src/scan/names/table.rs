//! Names in the columns of a table whose header names them (`姓名`, `户主`,
//! `被征收人`), and in a cell the caller says is under such a header.

use super::{NameDetector, Reading};
use crate::scan::context::{cell_ranges, cells, TextCtx};
use crate::scan::kinds::Found;
use crate::scan::normalize::{is_blank, is_digit};

/// What separates the names of one cell.
const CELL_LIST_MARKS: &[char] = &['、', '，', ',', '；', ';', '/'];

impl NameDetector {
    /// Every cell under a name column (`姓名`, `户主` …) of the table whose
    /// header line holds the trigger at `start`. The first name-column word of
    /// the header does the work for all columns, so each table is walked once.
    pub(super) fn columns(&self, cx: &TextCtx, start: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let Some(separator) = cx.table_header(start) else {
            return;
        };
        let header_start = cx.line_start(start);
        if self.name_column_words.occur_in(&text[header_start..start]) {
            return;
        }
        let is_name_column = |c: &str| self.name_column_words.occur_in(c);
        let cols: Vec<usize> = cells(&text[header_start..cx.line_end(start)], separator)
            .enumerate()
            .filter(|(_, c)| is_name_column(c))
            .map(|(i, _)| i)
            .collect();
        let mut row_start = cx.line_end(start);
        while row_start < text.len() {
            row_start += text[row_start..]
                .bytes()
                .take_while(|b| *b == b'\r' || *b == b'\n')
                .count();
            if row_start >= text.len() || !cx.in_table(row_start, header_start) {
                break;
            }
            let row_end = cx.line_end(row_start);
            let row = &text[row_start..row_end];
            for (i, (s, e)) in cell_ranges(row, separator).into_iter().enumerate() {
                if cols.contains(&i) {
                    let end = row_start + s + names_end(&row[s..e]);
                    self.whole_cell(cx, row_start + s, end, out);
                }
            }
            row_start = row_end;
        }
    }

    /// The cell `start..end` as names when all of it is one, or a list of
    /// them (`林阿珠、颜志明` for a house two people own).
    pub(super) fn whole_cell(&self, cx: &TextCtx, start: usize, end: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let mut names = Vec::new();
        let mut at = start;
        for item in text[start..end].split(CELL_LIST_MARKS) {
            let item_end = at + item.len();
            if self.name_at(text, at, Reading::Vouched) != Some(item_end) {
                return;
            }
            names.push((at, item_end));
            at = item_end + text[item_end..].chars().next().map_or(0, char::len_utf8);
        }
        for (s, e) in names {
            self.push(cx, s, e, out);
        }
    }
}

/// Where the names of a cell end, before what a roster may write after
/// them: a phone number and a post in parentheses
/// (`封立军（镇长）19167626073`, `冉学贵　19553552185`).
fn names_end(cell: &str) -> usize {
    let cell = cell.trim_end_matches(|c: char| is_digit(c) || c == '-' || is_blank(c));
    let cell = cell
        .strip_suffix(['）', ')'])
        .and_then(|c| c.rfind(['（', '(']).map(|open| &c[..open]))
        .unwrap_or(cell);
    cell.trim_end_matches(is_blank).len()
}
