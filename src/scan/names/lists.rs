//! Lists of names: where a label's value starts, the names of a list it
//! heads (`张三（市财政局）、李四`), and a bare list no label vouches for
//! (`王建华、李秀英和陈志强`).

use super::{
    NameDetector, Reading, LIST_MARK, LIST_SEPARATORS, MAX_LABEL_PAREN, MAX_OFFICE, MAX_PAREN,
    OFFICE_ENDS,
};
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;
use crate::scan::normalize::{bounded_end, is_blank, is_han, skip_chars};

impl NameDetector {
    /// `王建华、李秀英和陈志强`: no label, so both names around the mark must
    /// be plain names; then the rest of the list is read as after a label.
    pub(super) fn bare_list(&self, cx: &TextCtx, mark: usize, after: usize, out: &mut Vec<Found>) {
        let Some(first) = self.plain_name_before(cx.text, mark) else {
            return;
        };
        // Only from the head of a list: the head's mark reads the whole list,
        // so a long list is read once, not once per mark.
        if cx.text[..first].ends_with(LIST_MARK) {
            return;
        }
        if self.plain_name_at(cx.text, after).is_some() {
            self.push(cx, first, mark, out);
            self.names_from(cx, after, Reading::Prose, out);
        }
    }

    /// Length of a joiner (`和`) at `pos` that a further name follows.
    fn joiner_at(&self, text: &str, pos: usize) -> Option<usize> {
        self.joiners
            .iter()
            .find(|j| text[pos..].starts_with(j.as_str()))
            .map(|j| j.len())
            .filter(|len| self.name_at(text, pos + len, Reading::Prose).is_some())
    }

    /// Where the value of a label ending at `end` starts: after quotes, a
    /// short parenthetical (`甲方（签字）：`) and then `：`, `:` or blanks;
    /// `None` when none of these follows.
    pub(super) fn value_after_label(text: &str, end: usize) -> Option<usize> {
        let mut p = skip_chars(text, end, 2, |c| matches!(c, '"' | '\''));
        if text[p..].starts_with('（') {
            let window = bounded_end(text, p, MAX_LABEL_PAREN);
            let close = text[p..window].find('）')?;
            p += close + '）'.len_utf8();
            if !text[p..].starts_with(['：', ':']) {
                return None;
            }
        }
        let value = Self::past_label_marks(text, p);
        (value > p).then_some(value)
    }

    /// Past the colons, blanks and quotes between a label and its value
    /// (quotes for a JSON or YAML field: `"name": "宋佳怡"`).
    fn past_label_marks(text: &str, pos: usize) -> usize {
        skip_chars(text, pos, usize::MAX, |c| {
            matches!(c, '：' | ':' | '\t' | '"' | '\'') || is_blank(c)
        })
    }

    /// Past an office named before a contact (`执法监督处 丰晓云`,
    /// `护理部　蔺慧`): where the name after its blank starts.
    fn past_office(text: &str, pos: usize) -> Option<usize> {
        let window = bounded_end(text, pos, MAX_OFFICE);
        let (office, _) = text[pos..window].split_once(is_blank)?;
        let at = pos + office.len();
        (office.chars().all(is_han) && office.ends_with(OFFICE_ENDS))
            .then(|| skip_chars(text, at, usize::MAX, is_blank))
    }

    /// Names from `pos` on: one name, then more of the list it heads
    /// (`张三（市财政局）、李四`), read as `reading` says.
    pub(super) fn names_from(
        &self,
        cx: &TextCtx,
        pos: usize,
        reading: Reading,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let p = Self::past_label_marks(text, pos);
        let p = match self.labelled_name_at(text, p, reading) {
            None => match Self::past_office(text, p) {
                Some(q) => q,
                None => return,
            },
            Some(_) => p,
        };
        self.list_from(cx, p, reading, out);
    }

    /// The name at `p` and the names of the list it heads.
    pub(super) fn list_from(
        &self,
        cx: &TextCtx,
        mut p: usize,
        mut reading: Reading,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        while let Some(end) = self.labelled_name_at(text, p, reading) {
            self.push(cx, p, end, out);
            let Some((next, list_mark)) = self.next_in_list(text, end) else {
                return;
            };
            // The label vouches for the names of its list (`、`); what
            // follows a comma may be prose again (`法定代表人：覃小燕，原经营地址`).
            if !list_mark {
                reading = Reading::Prose;
            }
            p = next;
        }
    }

    /// Where the next name of a list may start after a name ending at
    /// `end`, past a short parenthetical (`（市财政局）`) and a separator
    /// or joiner, and whether the separator was the list mark `、`.
    pub(super) fn next_in_list(&self, text: &str, end: usize) -> Option<(usize, bool)> {
        let mut q = end;
        let blanks = text[q..].bytes().take_while(|b| *b == b' ').count();
        if text[q + blanks..].starts_with(['（', '(']) {
            q += blanks;
            // A short parenthetical, searched within a bound.
            let window = bounded_end(text, q, MAX_PAREN);
            let close = text[q..window].find(['）', ')'])?;
            q += close + text[q + close..].chars().next().map_or(1, char::len_utf8);
        }
        let sep: usize = text[q..]
            .chars()
            .take_while(|c| LIST_SEPARATORS.contains(c))
            .map(char::len_utf8)
            .sum();
        match sep {
            0 => self.joiner_at(text, q).map(|len| (q + len, false)),
            n => Some((q + n, text[q..q + n].contains(LIST_MARK))),
        }
    }
}
