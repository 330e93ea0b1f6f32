//! Names that have no Han surname: Tibetan names, written as two name
//! words (`扎西多吉`, `次仁卓玛`), and Uyghur, Kazakh and other names
//! transliterated with a middle dot between given name and father's name
//! (`买买提·艾力`, `阿依古丽·吐尔逊`). Neither needs a label: two Tibetan
//! name words in a row, or two runs of transliteration characters around a
//! dot, seldom read as anything else.

use super::NameDetector;
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;

/// Dots written between the parts of a transliterated name.
pub(super) const NAME_DOTS: [&str; 3] = ["·", "・", "•"];
/// Fewest and most characters in one part of a dotted name.
const MIN_PART: usize = 2;
const MAX_PART: usize = 6;

impl NameDetector {
    /// The Tibetan name opening with the name word at `start..end`, when
    /// another name word follows it (`扎西` + `多吉`). A word that itself
    /// follows a name word is the second half of a name already found.
    pub(super) fn tibetan_name(
        &self,
        cx: &TextCtx,
        start: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let follows_word = self
            .tibetan_names
            .iter()
            .any(|w| text[..start].ends_with(w.as_str()));
        if follows_word {
            return;
        }
        if let Some(second) = self
            .tibetan_names
            .iter()
            .find(|w| text[end..].starts_with(w.as_str()))
        {
            self.push(cx, start, end + second.len(), out);
        }
    }

    /// The dotted name around the dot at `dot..after`: two to six
    /// transliteration characters on each side, and further parts after
    /// further dots (`阿卜杜拉·艾尼·买买提`). A dot after such a part is
    /// read from the first dot of the name.
    pub(super) fn dotted_name(&self, cx: &TextCtx, dot: usize, after: usize, out: &mut Vec<Found>) {
        let text = cx.text;
        let Some(start) = self.part_before(text, dot) else {
            return;
        };
        if NAME_DOTS.iter().any(|d| text[..start].ends_with(d)) {
            return;
        }
        let Some(mut end) = self.part_after(text, after) else {
            return;
        };
        while let Some(d) = NAME_DOTS.iter().find(|d| text[end..].starts_with(**d)) {
            match self.part_after(text, end + d.len()) {
                Some(next) => end = next,
                None => break,
            }
        }
        self.push(cx, start, end, out);
    }

    /// Start of the run of transliteration characters ending at `end`.
    fn part_before(&self, text: &str, end: usize) -> Option<usize> {
        let mut start = end;
        for (n, (i, c)) in text[..end].char_indices().rev().enumerate() {
            if !self.transliterated_chars.contains(&c) {
                break;
            }
            if n == MAX_PART {
                return None;
            }
            start = i;
        }
        (text[start..end].chars().count() >= MIN_PART).then_some(start)
    }

    /// End of the run of transliteration characters starting at `start`.
    fn part_after(&self, text: &str, start: usize) -> Option<usize> {
        let mut end = start;
        for (n, (i, c)) in text[start..].char_indices().enumerate() {
            if !self.transliterated_chars.contains(&c) {
                break;
            }
            if n == MAX_PART {
                return None;
            }
            end = start + i + c.len_utf8();
        }
        (text[start..end].chars().count() >= MIN_PART).then_some(end)
    }
}
