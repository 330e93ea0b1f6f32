//! Finding trigger words (labels, titles, street suffixes, key names) in one
//! walk over the text, one table lookup per character.
//!
//! Trigger words start with a few hundred distinct characters; a 64 Ki-entry
//! table indexed by the first character's code point says which words can
//! start there, and only those are compared. For Chinese text this is several
//! times cheaper than a byte-level automaton, which takes three transitions
//! per Han character. All occurrences are reported, overlapping ones included;
//! ASCII letters match case-insensitively.

/// Code points with a table entry: the Basic Multilingual Plane.
const TABLE: usize = 0x10000;

pub struct TriggerSet {
    words: Vec<Box<[u8]>>,
    /// `slot[cp]` = 1 + index into `buckets` of words starting with `cp`, or 0.
    slot: Box<[u8]>,
    buckets: Vec<Vec<u32>>,
}

impl TriggerSet {
    /// Fails when a word is empty or starts outside the BMP, or when more than
    /// 255 distinct first characters are used.
    pub fn new(words: &[String]) -> Result<Self, String> {
        let mut slot = vec![0u8; TABLE].into_boxed_slice();
        let mut buckets: Vec<Vec<u32>> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let first = w
                .chars()
                .next()
                .ok_or("empty trigger word")?
                .to_ascii_lowercase() as usize;
            if first >= TABLE {
                return Err(format!(
                    "trigger word `{w}` starts outside the Basic Multilingual Plane"
                ));
            }
            if slot[first] == 0 {
                if buckets.len() == u8::MAX as usize {
                    return Err("more than 255 distinct first characters of trigger words".into());
                }
                buckets.push(Vec::new());
                slot[first] = buckets.len() as u8;
            }
            buckets[slot[first] as usize - 1].push(i as u32);
        }
        let words = words.iter().map(|w| w.as_bytes().into()).collect();
        Ok(TriggerSet {
            words,
            slot,
            buckets,
        })
    }

    /// Calls `f(word, start, end)` for every occurrence, in order of start.
    pub fn for_each_match(&self, text: &str, mut f: impl FnMut(usize, usize, usize)) {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c0 = b[i];
            let (cp, len) = match c0 {
                0x00..=0x7F => (c0.to_ascii_lowercase() as usize, 1),
                0xE0..=0xEF => (
                    ((c0 as usize & 0x0F) << 12)
                        | ((b[i + 1] as usize & 0x3F) << 6)
                        | (b[i + 2] as usize & 0x3F),
                    3,
                ),
                0xC0..=0xDF => (((c0 as usize & 0x1F) << 6) | (b[i + 1] as usize & 0x3F), 2),
                _ => (TABLE, 4),
            };
            if cp < TABLE && self.slot[cp] != 0 {
                for &w in &self.buckets[self.slot[cp] as usize - 1] {
                    let word = &self.words[w as usize];
                    if b.len() - i >= word.len() && b[i..i + word.len()].eq_ignore_ascii_case(word)
                    {
                        f(w as usize, i, i + word.len());
                    }
                }
            }
            i += len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_overlapping_and_case_insensitive() {
        let words: Vec<String> = ["联系人", "联系人及电话", "password", "pass", "★"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = TriggerSet::new(&words).unwrap();
        let text = "联系人及电话：王 DB_PASSWORD=x ★";
        let mut hits = Vec::new();
        t.for_each_match(text, |w, s, e| hits.push((words[w].as_str(), &text[s..e])));
        assert_eq!(
            hits,
            vec![
                ("联系人", "联系人"),
                ("联系人及电话", "联系人及电话"),
                ("password", "PASSWORD"),
                ("pass", "PASS"),
                ("★", "★")
            ]
        );
        assert!(TriggerSet::new(&["".to_string()]).is_err());
    }
}
