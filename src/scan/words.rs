//! A policy word list asked about at many places of a text: one automaton
//! answers in one pass instead of a comparison per word.

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
}
