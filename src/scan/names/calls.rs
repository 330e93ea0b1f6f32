//! Names passed to code that handles names: the test fixtures of masking
//! and validation code (`maskName('覃美玲')`, `mask_name("韦强")`). The
//! function's name says its argument is a person's name; the argument must
//! still be one whole. A test table pairing a string with its masked form
//! (`['陈思远', '陈**']`) says the same of the string.

use super::{NameDetector, MAX_NAME_BYTES};
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;

/// What ends the name of a function taking a person's name, with its
/// opening parenthesis; trigger words match ASCII letters in any case.
pub(super) const NAME_CALL: &str = "name(";
/// Quotes a string argument is written in.
const QUOTES: [char; 3] = ['\'', '"', '`'];
/// How a masked name's string closes: its last mask character and quote.
pub(super) const MASKED_CLOSES: [&str; 2] = ["*'", "*\""];
/// Longest surname kept visible in a masked name, in bytes (`欧阳**`).
const MAX_KEPT: usize = 6;

impl NameDetector {
    /// The first argument of the call whose `name(` ends at `open`, when it
    /// is a string literal holding one whole name.
    pub(super) fn name_argument(&self, cx: &TextCtx, open: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let Some(quote) = text[open..].chars().next().filter(|c| QUOTES.contains(c)) else {
            return;
        };
        let start = open + quote.len_utf8();
        let Some(len) = text[start..]
            .char_indices()
            .take_while(|&(i, _)| i <= MAX_NAME_BYTES)
            .find(|&(_, c)| c == quote)
            .map(|(i, _)| i)
        else {
            return;
        };
        self.whole_cell(cx, start, start + len, out);
    }

    /// `['陈思远', '陈**']`: the string before a masked name whose close
    /// (its last `*` and quote) is at `star..close_end`, when only a comma
    /// stands between and the string opens with the surname the mask keeps.
    pub(super) fn masked_pair(
        &self,
        cx: &TextCtx,
        star: usize,
        close_end: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let Some(quote) = text[..close_end].chars().next_back() else {
            return;
        };
        let masked_start = star + 1
            - text[..=star]
                .bytes()
                .rev()
                .take_while(|&b| b == b'*')
                .count();
        let kept_start = masked_start
            - text[..masked_start]
                .chars()
                .rev()
                .take_while(|c| *c != quote)
                .map(char::len_utf8)
                .sum::<usize>();
        let kept = &text[kept_start..masked_start];
        if kept.is_empty() || kept.len() > MAX_KEPT || !text[..kept_start].ends_with(quote) {
            return;
        }
        let before = text[..kept_start - quote.len_utf8()].trim_end_matches([' ', '\t']);
        let Some(before) = before
            .strip_suffix(',')
            .map(|b| b.trim_end_matches([' ', '\t']))
        else {
            return;
        };
        let Some(inner) = before.strip_suffix(quote) else {
            return;
        };
        let Some(open) = inner
            .char_indices()
            .rev()
            .take_while(|&(i, _)| inner.len() - i <= MAX_NAME_BYTES + quote.len_utf8())
            .find(|&(_, c)| c == quote)
            .map(|(i, c)| i + c.len_utf8())
        else {
            return;
        };
        if inner[open..].starts_with(kept) {
            self.whole_cell(cx, open, inner.len(), out);
        }
    }
}
