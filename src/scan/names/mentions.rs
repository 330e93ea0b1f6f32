//! Every further mention of a name found once in a text (`潘红梅所述`).

use std::collections::HashSet;

use super::{NameDetector, Reading};
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;
use crate::scan::normalize::is_han;

impl NameDetector {
    /// Every other mention of a name found in this text. One walk: only at
    /// a character that begins a found name (a binary search in a few
    /// hundred at most) are the two possible lengths looked up, so a roster
    /// of many names costs little more than a text with a few.
    pub(super) fn mentions(&self, cx: &TextCtx, earlier: &[Found], out: &mut Vec<Found>) {
        let text = cx.text;
        let names: HashSet<&str> = earlier.iter().map(|f| &text[f.start..f.end]).collect();
        if names.is_empty() {
            return;
        }
        let known: HashSet<usize> = earlier.iter().map(|f| f.start).collect();
        let mut firsts: Vec<char> = names.iter().filter_map(|n| n.chars().next()).collect();
        firsts.sort_unstable();
        firsts.dedup();
        let mut resume = 0;
        for (pos, c) in text.char_indices() {
            if pos < resume || !self.may_start_surname(c) || firsts.binary_search(&c).is_err() {
                continue;
            }
            let Some(sl) = self.surname_at(text, pos, Reading::Vouched) else {
                continue;
            };
            let ends = text[pos + sl..]
                .char_indices()
                .take(2)
                .map(|(i, ch)| pos + sl + i + ch.len_utf8());
            let Some(end) = ends.filter(|&e| names.contains(&text[pos..e])).last() else {
                continue;
            };
            if known.contains(&pos) {
                continue;
            }
            if self.mention_at(cx, pos, end, out) {
                resume = end;
            }
        }
    }

    /// Whether a label or title ends right before `pos`.
    fn after_label(&self, text: &str, pos: usize) -> bool {
        let before = &text[..pos];
        (self.labels.iter())
            .chain(&self.titles_before)
            .any(|l| before.ends_with(l.as_str()))
    }

    /// A found name again at `pos..end`, unless it sits inside a place or an
    /// office (`梁子湖区`; `所述` is a follower, though `所` ends offices), or
    /// is a one-character given name inside a longer word with neither an
    /// end nor a label or punctuation before it (`被告人骆飞冒用` is a mention).
    fn mention_at(&self, cx: &TextCtx, pos: usize, end: usize, out: &mut Vec<Found>) -> bool {
        let text = cx.text;
        let Some(sl) = self.surname_at(text, pos, Reading::Vouched) else {
            return false;
        };
        let rest = &text[end..];
        let place = rest
            .chars()
            .next()
            .is_some_and(|c| self.not_given.contains(&c))
            && !self.followers.iter().any(|f| rest.starts_with(f.as_str()));
        let given = text[pos + sl..end].chars().count();
        // `"…。"章慧提醒`: punctuation before the mention bounds it as a label would.
        let bounded = !text[..pos].chars().next_back().is_some_and(is_han);
        let found = !place
            && (given == 2 || bounded || self.ends_here(text, end) || self.after_label(text, pos));
        if found {
            self.push(cx, pos, end, out);
        }
        found
    }
}
