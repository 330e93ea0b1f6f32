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
    words: Vec<Word>,
    /// `slot[cp]` = 1 + index into `buckets` of words starting with `cp`, or 0.
    /// Sixteen bits: operators add words, and the packs already use more
    /// than 255 first characters.
    slot: Box<[u16]>,
    buckets: Vec<Vec<u32>>,
}

impl TriggerSet {
    /// Fails when a word is empty or starts outside the BMP.
    pub fn new(words: &[String]) -> Result<Self, String> {
        let mut slot = vec![0u16; TABLE].into_boxed_slice();
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
                buckets.push(Vec::new());
                slot[first] = u16::try_from(buckets.len())
                    .map_err(|_| "a trigger word starts with every character of the BMP")?;
            }
            buckets[slot[first] as usize - 1].push(i as u32);
        }
        let words = words.iter().map(|w| Word::new(w.as_bytes())).collect();
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
                let head = b
                    .get(i..i + 8)
                    .map(|h| u64::from_le_bytes(h.try_into().unwrap()));
                for &w in &self.buckets[self.slot[cp] as usize - 1] {
                    let word = &self.words[w as usize];
                    if word.is_at(b, i, head) {
                        f(w as usize, i, i + word.bytes.len());
                    }
                }
            }
            i += len;
        }
    }
}

/// A trigger word with its first eight bytes as one integer: most words
/// are two to four Han characters, so one masked compare decides most
/// candidates the first-character table lets through.
struct Word {
    bytes: Box<[u8]>,
    head: u64,
    head_mask: u64,
    /// Holds ASCII letters, so it is compared ignoring case, byte by byte.
    has_letters: bool,
}

impl Word {
    fn new(bytes: &[u8]) -> Self {
        let mut head = [0u8; 8];
        let n = bytes.len().min(8);
        head[..n].copy_from_slice(&bytes[..n]);
        Word {
            bytes: bytes.into(),
            head: u64::from_le_bytes(head),
            head_mask: u64::MAX.checked_shr(64 - 8 * n as u32).unwrap_or(0),
            has_letters: bytes.iter().any(u8::is_ascii_alphabetic),
        }
    }

    /// Whether the word occurs at `b[i..]`; `head` is `b[i..i + 8]` when the
    /// text has that much left.
    fn is_at(&self, b: &[u8], i: usize, head: Option<u64>) -> bool {
        let Some(candidate) = b.get(i..i + self.bytes.len()) else {
            return false;
        };
        if self.has_letters {
            return candidate.eq_ignore_ascii_case(&self.bytes);
        }
        match head {
            Some(h) => {
                h & self.head_mask == self.head
                    && candidate[8.min(candidate.len())..] == self.bytes[8.min(self.bytes.len())..]
            }
            None => *candidate == *self.bytes,
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

    #[test]
    fn words_of_every_length_match_up_to_the_last_byte() {
        // Shorter, equal to and longer than the eight bytes compared at once,
        // at the very end of the text where fewer than eight bytes are left.
        let words: Vec<String> = ["号", "路号", "地址栏", "通讯地址", "联系电话号码", "a1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let t = TriggerSet::new(&words).unwrap();
        for w in &words {
            for text in [format!("x{w}"), w.clone(), format!("{w}。尾")] {
                let mut hits = Vec::new();
                t.for_each_match(&text, |i, s, e| hits.push((i, s, e)));
                let at = text.find(w.as_str()).unwrap();
                assert!(
                    hits.iter()
                        .any(|&(i, s, e)| words[i] == *w && (s, e) == (at, at + w.len())),
                    "`{w}` in `{text}`: {hits:?}"
                );
            }
        }
        let mut hits = Vec::new();
        t.for_each_match("联系电话号", |i, _, _| hits.push(words[i].as_str()));
        assert_eq!(
            hits,
            vec!["号"],
            "a word cut by the end of the text is no match"
        );
    }
}
