//! Names passed to code that handles names: the test fixtures of masking
//! and validation code (`maskName('覃美玲')`, `mask_name("韦强")`). The
//! function's name says its argument is a person's name; the argument must
//! still be one whole.

use super::NameDetector;
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;

/// What ends the name of a function taking a person's name, with its
/// opening parenthesis; trigger words match ASCII letters in any case.
pub(super) const NAME_CALL: &str = "name(";
/// Quotes a string argument is written in.
const QUOTES: [char; 3] = ['\'', '"', '`'];
/// Longest argument (in bytes) read: a compound surname and two given
/// characters.
const MAX_ARGUMENT: usize = 12;

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
            .take_while(|&(i, _)| i <= MAX_ARGUMENT)
            .find(|&(_, c)| c == quote)
            .map(|(i, _)| i)
        else {
            return;
        };
        self.whole_cell(cx, start, start + len, out);
    }
}
