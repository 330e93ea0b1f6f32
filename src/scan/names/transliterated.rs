//! Names that have no Han surname: Tibetan and Mongolian names, written as
//! two name words (`扎西多吉`, `次仁卓玛`, `巴图孟和`) or as one long one
//! (`巴特尔`, `格日勒图`), Yi names (a clan name and two syllables:
//! `吉克阿呷`), and Uyghur, Kazakh and other names
//! transliterated with a middle dot between given name and father's name
//! (`买买提·艾力`, `阿依古丽·吐尔逊`). None needs a label: two name words
//! in a row, a name word of three characters, or two runs of
//! transliteration characters around a dot seldom read as anything else.

use super::NameDetector;
use crate::scan::context::TextCtx;
use crate::scan::kinds::Found;

/// Dots written between the parts of a transliterated name.
pub(super) const NAME_DOTS: [&str; 3] = ["·", "・", "•"];
/// Fewest characters of a name word that is a whole name.
const MIN_WHOLE_WORD: usize = 3;
/// What makes a name word part of a place (`额尔敦苏木`, `巴彦嘎查`,
/// `乌兰浩特市`): the first characters of the words for places.
const PLACE_WORDS: &[char] = &[
    '苏', '嘎', '旗', '盟', '市', '县', '镇', '乡', '村', '路', '街', '山', '河', '湖', '浩', '区',
];
/// Syllables of a Yi given name after the clan name.
const YI_GIVEN: usize = 2;
/// Fewest and most characters in one part of a dotted name.
const MIN_PART: usize = 2;
const MAX_PART: usize = 6;

impl NameDetector {
    /// The name opening with the name word at `start..end`: with the
    /// longest name word that follows it (`扎西` + `多吉`, `额日和木` +
    /// `巴特尔`), or alone when it is three characters or more and no
    /// place word follows (`巴特尔介绍`, not `额尔敦苏木`). A word that
    /// itself follows a name word is part of a name already found.
    pub(super) fn name_of_words(
        &self,
        cx: &TextCtx,
        start: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let follows_word = self
            .name_words
            .iter()
            .any(|w| text[..start].ends_with(w.as_str()));
        if follows_word {
            return;
        }
        let second = self
            .name_words
            .iter()
            .filter(|w| text[end..].starts_with(w.as_str()))
            .map(String::len)
            .max();
        match second {
            Some(len) => self.push(cx, start, end + len, out),
            None if text[start..end].chars().count() >= MIN_WHOLE_WORD
                && !text[end..].starts_with(PLACE_WORDS) =>
            {
                self.push(cx, start, end, out)
            }
            None => {}
        }
    }

    /// `吉克阿呷`, `曲比拉杰`: the clan name at `start..end` and the two
    /// syllables of a Yi given name after it, when no third follows.
    pub(super) fn yi_name(&self, cx: &TextCtx, start: usize, end: usize, out: &mut Vec<Found>) {
        let mut after = cx.text[end..].chars();
        let given: Vec<char> = after.by_ref().take(YI_GIVEN).collect();
        let syllables = given.len() == YI_GIVEN
            && given.iter().all(|c| self.yi_given_chars.contains(c))
            && after
                .next()
                .is_none_or(|c| !self.yi_given_chars.contains(&c));
        if syllables {
            let len: usize = given.iter().map(|c| c.len_utf8()).sum();
            self.push(cx, start, end + len, out);
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
