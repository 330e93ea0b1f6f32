//! Lists of names: where a label's value starts, the names of a list it
//! heads (`张三（市财政局）、李四`), a bare list no label vouches for
//! (`王建华、李秀英和陈志强`), and the other names of a list one found name
//! stands in.

use std::collections::HashSet;

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

    /// The other items of a `、` list around each name found by any rule
    /// (`左丹、贺一鸣、温柔、麦子、解文涛被评为`, where only the last stands
    /// before a verb): each must be a whole name whose given name the
    /// statistics read; a walk stops at the first item that is not one.
    pub(super) fn list_neighbours(&self, cx: &TextCtx, found: &[Found], out: &mut Vec<Found>) {
        let text = cx.text;
        let mut taken: HashSet<usize> = found.iter().map(|f| f.start).collect();
        for f in found {
            let mut end = f.start;
            while text[..end].ends_with(LIST_MARK) {
                let mark = end - LIST_MARK.len();
                let Some(start) = self.list_item_before(text, mark) else {
                    break;
                };
                if !taken.insert(start) {
                    break;
                }
                self.push(cx, start, mark, out);
                end = start;
            }
            let mut start = f.end;
            while text[start..].starts_with(LIST_MARK) {
                let item = start + LIST_MARK.len();
                let Some(end) = self.list_item_at(text, item) else {
                    break;
                };
                if !taken.insert(item) {
                    break;
                }
                self.push(cx, item, end, out);
                start = end;
            }
        }
    }

    /// A name at `pos` whose given name the statistics read as one where
    /// the text's shape says a name stands (a one-character given name
    /// need only be a listed one no rarer in names than in prose: `温柔`,
    /// `麦子` in a list of names).
    fn list_item_at(&self, text: &str, pos: usize) -> Option<usize> {
        let end = self.name_at(text, pos, Reading::Prose)?;
        let given = &text[pos + self.surname_at(text, pos, Reading::Prose)?..end];
        self.model().accepts_placed(given).then_some(end)
    }

    /// A [`Self::list_item_at`] ending at `end` that starts where a list
    /// item may ([`Self::opens_list_item`]).
    fn list_item_before(&self, text: &str, end: usize) -> Option<usize> {
        Self::start_of_name_before(text, end, |s| {
            self.opens_list_item(text, s) && self.list_item_at(text, s) == Some(end)
        })
    }

    /// Length of a joiner (`和`) at `pos` that a further name may follow
    /// (the list's reading decides whether one does).
    fn joiner_at(&self, text: &str, pos: usize) -> Option<usize> {
        self.joiners
            .iter()
            .find(|j| text[pos..].starts_with(j.as_str()))
            .map(|j| j.len())
            .filter(|len| self.name_at(text, pos + len, Reading::Vouched).is_some())
    }

    /// Where the value of a label ending at `end` starts: after quotes, a
    /// short parenthetical (`甲方（签字）：`) and then `：`, `:` or blanks;
    /// `None` when none of these follows.
    pub(super) fn value_after_label(text: &str, end: usize) -> Option<usize> {
        let mut p = skip_chars(text, end, 2, |c| matches!(c, '"' | '\''));
        // A numbered field (`专业人员1：`), only before a colon.
        let numbered = skip_chars(text, p, 2, |c| c.is_ascii_digit());
        if numbered > p {
            if !text[numbered..].starts_with(['：', ':']) {
                return None;
            }
            p = numbered;
        }
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
    /// (quotes for a JSON or YAML field: `"name": "宋佳怡"`; `=` for a log's
    /// `applicant=亓晓丽`).
    /// A colon ending a line puts the value on the next (`名单：⏎沈一帆、…`).
    fn past_label_marks(text: &str, pos: usize) -> usize {
        let marks = |p| {
            skip_chars(text, p, usize::MAX, |c| {
                matches!(c, '：' | ':' | '=' | '\t' | '"' | '\'') || is_blank(c)
            })
        };
        let p = marks(pos);
        let colon = text[pos..p].contains(['：', ':']);
        match text[p..]
            .strip_prefix("\r\n")
            .or(text[p..].strip_prefix('\n'))
        {
            Some(rest) if colon => marks(text.len() - rest.len()),
            _ => p,
        }
    }

    /// Past an office or a post named before a contact (`执法监督处 丰晓云`,
    /// `护理部　蔺慧`, `市政府新闻办副主任 田甜`): where the name after its
    /// blank starts.
    fn past_office(&self, text: &str, pos: usize) -> Option<usize> {
        let window = bounded_end(text, pos, MAX_OFFICE);
        let (office, _) = text[pos..window].split_once(is_blank)?;
        let at = pos + office.len();
        let post = || {
            self.titles_before
                .iter()
                .any(|t| office.ends_with(t.as_str()))
        };
        (office.chars().all(is_han) && (office.ends_with(OFFICE_ENDS) || post()))
            .then(|| skip_chars(text, at, usize::MAX, is_blank))
    }

    /// Where a contact's name starts right after the office it works in
    /// (`市科技局高新技术处林森，`, `军事科司马骏，`): at the first office end
    /// after which a name runs to a comma or a parenthesis.
    pub(super) fn after_office(&self, text: &str, pos: usize) -> Option<usize> {
        let window = bounded_end(text, pos, MAX_OFFICE);
        text[pos..window]
            .char_indices()
            .take_while(|(_, c)| is_han(*c))
            .filter(|(_, c)| OFFICE_ENDS.contains(c))
            .map(|(i, c)| pos + i + c.len_utf8())
            .find(|&q| {
                self.name_at(text, q, Reading::Prose)
                    .is_some_and(|end| text[end..].starts_with(['，', ',', '（', '(']))
            })
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
            Some(_) => p,
            None => match self
                .past_office(text, p)
                .or_else(|| self.after_office(text, p))
            {
                Some(q) => q,
                None => return,
            },
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
            // The label vouches for the names of its list (`、`, `和`); what
            // follows a comma may be prose again (`法定代表人：覃小燕，原经营地址`).
            if !list_mark {
                reading = Reading::Prose;
            }
            p = next;
        }
    }

    /// Where the next name of a list may start after a name ending at
    /// `end`, past a short parenthetical (`（市财政局）`) and a separator
    /// or joiner, and whether it was the list mark `、`, the ideographic
    /// space of a roster (`丁福生（东山街道）　王德贵`) or a joiner, along
    /// which a label's vouching lasts.
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
            0 => self.joiner_at(text, q).map(|len| (q + len, true)),
            n => Some((q + n, text[q..q + n].contains(['、', '\u{3000}']))),
        }
    }
}
