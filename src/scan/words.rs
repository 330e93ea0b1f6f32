//! Policy words and characters asked about at many places of a text: one
//! automaton answers for a word list in one pass instead of a comparison
//! per word, and a sorted set for a character list.

use aho_corasick::{AhoCorasick, Anchored, BuildError, Input, MatchKind, StartKind};

pub struct Words {
    automaton: AhoCorasick,
}

impl Words {
    pub fn new<W: AsRef<[u8]>>(words: impl IntoIterator<Item = W>) -> Result<Self, BuildError> {
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Both)
            .build(words)?;
        Ok(Self { automaton })
    }

    /// Length in bytes of the longest word `text` starts with.
    pub fn longest_prefix(&self, text: &str) -> Option<usize> {
        self.automaton
            .find(Input::new(text).anchored(Anchored::Yes))
            .map(|m| m.end())
    }

    /// Whether any word occurs in `text`.
    pub fn occur_in(&self, text: &str) -> bool {
        self.automaton.is_match(text)
    }
}

/// A few dozen characters asked about at every character of a span:
/// sorted, so a lookup is a handful of comparisons (cheaper than hashing
/// or a walk through a string).
pub struct CharSet(Vec<char>);

impl CharSet {
    pub fn new(chars: impl IntoIterator<Item = char>) -> Self {
        let mut chars: Vec<char> = chars.into_iter().collect();
        chars.sort_unstable();
        chars.dedup();
        Self(chars)
    }

    pub fn contains(&self, c: char) -> bool {
        self.0.binary_search(&c).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Words {
        Words::new(list).unwrap()
    }

    #[test]
    fn the_longest_word_at_the_start_wins() {
        let w = words(&["同志", "同", "副区长"]);
        assert_eq!(w.longest_prefix("同志们"), Some("同志".len()));
        assert_eq!(w.longest_prefix("同学"), Some("同".len()));
        assert_eq!(w.longest_prefix("我同志"), None);
        assert!(w.occur_in("王副区长说"));
        assert!(!w.occur_in("王区长说"));
    }

    #[test]
    fn a_char_set_holds_what_it_was_given() {
        let set = CharSet::new("的在省的".chars());
        assert!(set.contains('的') && set.contains('省'));
        assert!(!set.contains('市'));
    }
}
