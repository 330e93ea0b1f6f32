//! Byte offset -> (char offset, line, column) for reporting findings.

/// Built once per text; each lookup is a binary search plus a walk inside
/// one 64-byte block.
pub struct LineIndex {
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// Char count before each 64-byte block boundary.
    block_chars: Vec<usize>,
    text_bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Position {
    pub char_offset: usize,
    /// 1-based.
    pub line: usize,
    /// 1-based, counted in chars.
    pub column: usize,
}

const BLOCK: usize = 64;

fn is_char_start(b: u8) -> bool {
    (b as i8) >= -0x40
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
                .map(|(i, _)| i + 1),
        );
        let mut block_chars = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut count = 0;
        for chunk in bytes.chunks(BLOCK) {
            block_chars.push(count);
            count += chunk.iter().filter(|b| is_char_start(**b)).count();
        }
        block_chars.push(count);
        LineIndex {
            line_starts,
            block_chars,
            text_bytes: bytes.to_vec(),
        }
    }

    fn char_offset(&self, byte: usize) -> usize {
        let byte = byte.min(self.text_bytes.len());
        let block = byte / BLOCK;
        let base = block * BLOCK;
        self.block_chars[block]
            + self.text_bytes[base..byte]
                .iter()
                .filter(|b| is_char_start(**b))
                .count()
    }

    /// Position of a byte offset (clamped to the text length; an offset inside
    /// a character counts as that character).
    pub fn locate(&self, byte: usize) -> Position {
        let char_offset = self.char_offset(byte);
        let line_idx = self
            .line_starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1);
        let line_start = self.line_starts[line_idx];
        let column = char_offset - self.char_offset(line_start) + 1;
        Position {
            char_offset,
            line: line_idx + 1,
            column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_bytes() {
        let t = "第一行\nab身份证\n";
        let ix = LineIndex::new(t);
        assert_eq!(
            ix.locate(0),
            Position {
                char_offset: 0,
                line: 1,
                column: 1
            }
        );
        let p = t.find("身").unwrap();
        assert_eq!(
            ix.locate(p),
            Position {
                char_offset: 6,
                line: 2,
                column: 3
            }
        );
        let long = "中".repeat(1000);
        let ix = LineIndex::new(&long);
        assert_eq!(ix.locate(3 * 700).char_offset, 700);
        assert_eq!(ix.locate(long.len()).char_offset, 1000);
    }
}
