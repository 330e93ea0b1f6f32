//! Byte offset -> (char offset, line, column) for reporting findings.

/// Built once per text in one pass; each lookup is a binary search over line
/// starts plus a popcount. Keeps one bit per text byte, not a copy of the text.
pub struct LineIndex {
    /// Byte offset where each line starts.
    line_starts: Vec<usize>,
    /// Chars before each 64-byte block.
    block_chars: Vec<usize>,
    /// Bit `i` of block `b`: byte `64 * b + i` starts a char.
    char_starts: Vec<u64>,
    len: usize,
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

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut block_chars = Vec::with_capacity(bytes.len() / BLOCK + 2);
        let mut char_starts = Vec::with_capacity(bytes.len() / BLOCK + 1);
        let mut count = 0;
        for (b, chunk) in bytes.chunks(BLOCK).enumerate() {
            block_chars.push(count);
            let mut mask = 0u64;
            for (i, &byte) in chunk.iter().enumerate() {
                // UTF-8 continuation bytes are 0b10xx_xxxx.
                if (byte as i8) >= -0x40 {
                    mask |= 1 << i;
                }
                if byte == b'\n' {
                    line_starts.push(b * BLOCK + i + 1);
                }
            }
            count += mask.count_ones() as usize;
            char_starts.push(mask);
        }
        block_chars.push(count);
        LineIndex {
            line_starts,
            block_chars,
            char_starts,
            len: bytes.len(),
        }
    }

    fn char_offset(&self, byte: usize) -> usize {
        let byte = byte.min(self.len);
        let (block, bit) = (byte / BLOCK, byte % BLOCK);
        let below = self
            .char_starts
            .get(block)
            .map_or(0, |m| (m & ((1u64 << bit) - 1)).count_ones());
        self.block_chars[block] + below as usize
    }

    /// Position of a byte offset (clamped to the text length; an offset inside
    /// a character counts as that character's end).
    pub fn locate(&self, byte: usize) -> Position {
        let byte = byte.min(self.len);
        let char_offset = self.char_offset(byte);
        let line_idx = self
            .line_starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1);
        let column = char_offset - self.char_offset(self.line_starts[line_idx]) + 1;
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
        assert_eq!(
            ix.locate(t.len()),
            Position {
                char_offset: 10,
                line: 3,
                column: 1
            }
        );
        assert_eq!(ix.locate(usize::MAX).char_offset, 10);
    }

    #[test]
    fn agrees_with_char_indices_across_blocks() {
        let t = "中a文\n".repeat(100) + "尾";
        let ix = LineIndex::new(&t);
        for (n, (byte, _)) in t.char_indices().enumerate() {
            assert_eq!(ix.locate(byte).char_offset, n);
        }
        assert_eq!(ix.locate(t.len()).char_offset, t.chars().count());
        assert_eq!(
            LineIndex::new("").locate(0),
            Position {
                char_offset: 0,
                line: 1,
                column: 1
            }
        );
    }
}
