//! Reading a name at a place of the text: its surname, where it may end,
//! and where one ends before a word; the rules of the other modules ask
//! these.

use super::{NameDetector, Reading, MAX_NAME_CHARS};
use crate::scan::name_model::GivenNameModel;
use crate::scan::normalize::is_han;

impl NameDetector {
    /// Length in bytes of the surname at `pos`; under [`Reading::Vouched`]
    /// the surnames that open common words (`区`, `容`) count too.
    pub(super) fn surname_at(&self, text: &str, pos: usize, reading: Reading) -> Option<usize> {
        let rest = &text[pos..];
        let c = rest.chars().next()?;
        // The compounds are compared only after their first character, which
        // few surnames share: this runs at every surname character.
        if self.compound_firsts.binary_search(&c).is_ok() {
            if let Some(compound) = self
                .compound_surnames
                .iter()
                .find(|s| rest.starts_with(s.as_str()))
            {
                return Some(compound.len());
            }
        }
        let vouched = reading == Reading::Vouched && self.vouched_surnames.contains(&c);
        (vouched || self.single_surnames.contains(&c)).then_some(c.len_utf8())
    }

    /// Whether a name may end at `pos`: end of text, a non-Han character, or a
    /// follower/title word.
    pub(super) fn ends_here(&self, text: &str, pos: usize) -> bool {
        self.end_word_len(text, pos).is_some()
    }

    /// What ends a name at `pos`: the length in bytes of the longest
    /// follower/title word there, 0 for the end of the text or a non-Han
    /// character, `None` when nothing does.
    pub(super) fn end_word_len(&self, text: &str, pos: usize) -> Option<usize> {
        let rest = &text[pos..];
        match rest.chars().next() {
            None => Some(0),
            Some(c) if !is_han(c) => (c != '*' && c != '×').then_some(0),
            Some(_) => self.end_words.longest_prefix(rest),
        }
    }

    /// Where a name starting at `pos` may end, shortest first: after the
    /// surname and one or two given characters that are neither `not_given`
    /// nor the start of a `non_names` word (`张先生`), and not a place.
    pub(super) fn name_ends(&self, text: &str, pos: usize, reading: Reading) -> Vec<usize> {
        let Some(sl) = self.surname_at(text, pos, reading) else {
            return Vec::new();
        };
        let given_start = pos + sl;
        if self
            .non_names
            .longest_prefix(&text[given_start..])
            .is_some()
        {
            return Vec::new();
        }
        // `宁波` is no name, `吴忠洋` is one.
        let place = |end: usize| self.proper_nouns.contains(&text[pos..end]);
        text[given_start..]
            .char_indices()
            .take(2)
            .take_while(|(_, c)| is_han(*c) && !self.not_given.contains(c))
            .map(|(i, c)| given_start + i + c.len_utf8())
            .filter(|&end| !place(end))
            .collect()
    }

    /// A name starting at `pos`: surname + 1–2 given characters, ending where
    /// [`Self::ends_here`] allows. Longer given names are preferred, unless
    /// the shorter one ends at a word running past the longer one's end:
    /// `马云认为` is `马云` before `认为`, not `马云认` before `为`
    /// (`王福来表示` stays `王福来`).
    pub(super) fn name_at(&self, text: &str, pos: usize, reading: Reading) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for end in self.name_ends(text, pos, reading) {
            let Some(word) = self.end_word_len(text, end) else {
                continue;
            };
            if best.is_none_or(|(shorter, its_word)| shorter + its_word <= end) {
                best = Some((end, word));
            }
        }
        best.map(|(end, _)| end)
    }

    /// A name where the text says one stands (after a label or title, in
    /// a list): where [`Self::ends_here`] allows, or else a name no listed
    /// word ends (`镇长方晓东通报`, `车主葛伟东驾驶`).
    pub(super) fn labelled_name_at(
        &self,
        text: &str,
        pos: usize,
        reading: Reading,
    ) -> Option<usize> {
        let end = self
            .name_at(text, pos, reading)
            .or_else(|| self.unended_name_at(text, pos, reading))?;
        // A surname that opens common words opens an office as often
        // (`发布人：区发展和改革局`): its given name must read as one.
        if self.surname_at(text, pos, Reading::Prose).is_none() {
            let given = &text[pos + self.surname_at(text, pos, reading)?..end];
            return self.model().accepts(given).then_some(end);
        }
        Some(end)
    }

    /// A surname and two given characters followed by a word no list
    /// holds, when the statistics read the given name strongly and the
    /// next character does not continue it (`卫生健康` is no `卫生健`).
    pub(super) fn unended_name_at(
        &self,
        text: &str,
        pos: usize,
        reading: Reading,
    ) -> Option<usize> {
        let given = pos + self.surname_at(text, pos, reading)?;
        let end = *self.name_ends(text, pos, reading).get(1)?;
        let next = text[end..].chars().next().filter(|c| is_han(*c));
        self.model()
            .accepts_unended(&text[given..end], next)
            .then_some(end)
    }

    /// Whether the name after a title at `pos` holds no character names
    /// shun: a title is prose too (`副市长安排部署`, `镇长和副镇长`). A title
    /// vouches for a surname that opens words (`县长乐志坚`).
    pub(super) fn plausible_name_at(&self, text: &str, pos: usize) -> bool {
        let (Some(surname), Some(end)) = (
            self.surname_at(text, pos, Reading::Vouched),
            self.labelled_name_at(text, pos, Reading::Vouched),
        ) else {
            return false;
        };
        self.model().plausible(&text[pos + surname..end])
    }

    pub(super) fn model(&self) -> GivenNameModel<'_> {
        GivenNameModel {
            listed: &self.given_chars,
        }
    }

    /// The longest run of Han characters ending at `end` (up to four) that
    /// `is_name(start)` accepts; returns its start.
    pub(super) fn start_of_name_before(
        text: &str,
        end: usize,
        is_name: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        // Runs on every `、` and title: the candidate starts sit on the stack.
        let mut starts = [0usize; MAX_NAME_CHARS];
        let mut n = 0;
        for (i, _) in text[..end].char_indices().rev().take(MAX_NAME_CHARS) {
            starts[n] = i;
            n += 1;
        }
        starts[..n]
            .iter()
            .rev()
            .copied()
            .find(|&s| text[s..end].chars().all(is_han) && is_name(s))
    }

    /// A name ending at `end` (before a title such as `同志`). A joiner
    /// that is also a surname (`和`) is read as the joiner when a name
    /// follows it: `先生和李四女士` holds `李四`, not `和李四`. Other surnames
    /// that open lists (`向`) stay surnames: `会见向明华同志`.
    pub(super) fn name_before(&self, text: &str, end: usize) -> Option<usize> {
        let start = Self::start_of_name_before(text, end, |s| {
            self.name_at(text, s, Reading::Prose) == Some(end)
        })?;
        let joiner = self
            .joiners
            .iter()
            .find(|j| text[start..end].starts_with(j.as_str()))
            .map_or(0, |j| j.len());
        if joiner > 0 && self.name_at(text, start + joiner, Reading::Prose) == Some(end) {
            return Some(start + joiner);
        }
        // `王书记和刘女士`: a joiner before a surname alone joins a
        // placeholder, not a name `和刘`.
        let rest = start + joiner;
        if joiner > 0 && self.surname_at(text, rest, Reading::Prose) == Some(end - rest) {
            return None;
        }
        // `谢谢黎明副局长`: a doubled character is a word (`谢谢`), and so is
        // a title the first character ends (`班主任柳静老师`); the name
        // starts after it.
        let first = text[start..].chars().next()?;
        let closes_title = || {
            let through = &text[..start + first.len_utf8()];
            self.title_ends.contains(first)
                && (self.titles_before.iter())
                    .chain(&self.labels)
                    .any(|t| t.len() > first.len_utf8() && through.ends_with(t.as_str()))
        };
        if text[..start].ends_with(first) || closes_title() {
            let after = start + first.len_utf8();
            if self.name_at(text, after, Reading::Prose) == Some(end) {
                return Some(after);
            }
        }
        Some(self.vouched_start(text, start, end).unwrap_or(start))
    }

    /// The start of a name running from a vouched surname right before
    /// `start` to `end` (`种桂芝（女）`, not `桂芝`), when there is one.
    pub(super) fn vouched_start(&self, text: &str, start: usize, end: usize) -> Option<usize> {
        let c = text[..start].chars().next_back()?;
        let earlier = start - c.len_utf8();
        (self.vouched_surnames.contains(&c)
            && self
                .name_ends(text, earlier, Reading::Vouched)
                .contains(&end))
        .then_some(earlier)
    }

    /// A name at `pos` whose given characters are all common in names.
    pub(super) fn plain_name_at(&self, text: &str, pos: usize) -> Option<usize> {
        let end = self.name_at(text, pos, Reading::Prose)?;
        let given = &text[pos + self.surname_at(text, pos, Reading::Prose)?..end];
        given
            .chars()
            .all(|c| self.given_chars.contains(&c))
            .then_some(end)
    }

    /// A plain name ending at `end` that starts where a list may start: the
    /// beginning of the text, a character other than Han, or a list opener.
    pub(super) fn plain_name_before(&self, text: &str, end: usize) -> Option<usize> {
        Self::start_of_name_before(text, end, |s| {
            self.opens_list_item(text, s) && self.plain_name_at(text, s) == Some(end)
        })
    }

    /// Whether a list item may start at `pos`: at the start of the text,
    /// after a character other than Han (`、`, `，`) or after a list opener.
    pub(super) fn opens_list_item(&self, text: &str, pos: usize) -> bool {
        text[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !is_han(c) || self.list_openers.contains(&c))
    }
}
