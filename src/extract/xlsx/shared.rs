//! The shared-string table of a workbook read as a stream.
//!
//! Excel writes every text cell as an index into `xl/sharedStrings.xml`, so
//! a roster of a million distinct names and addresses holds its whole text
//! there, read before the first sheet. A small table is held as strings;
//! past [`HELD_BYTES`] of text it is written to an unnamed scratch file and
//! read back through a few cached blocks. The memory it costs is then an
//! offset per string and the cache, not the text.
//!
//! Excel numbers the strings in order of first use, so the cells of a sheet
//! ask for them mostly in order, and the few strings a column repeats
//! (`男`, a district) sit in blocks the cache keeps.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;

use super::ExtractError;

/// What one read of the scratch file brings into the cache.
const BLOCK: u64 = 64 << 10;
/// Blocks the cache keeps (2 MiB).
const CACHED_BLOCKS: usize = 32;

pub(super) enum SharedStrings {
    Held {
        texts: Vec<String>,
        bytes: usize,
        /// Text held before the table spills.
        most: usize,
    },
    Spilled(Spilled),
}

pub(super) struct Spilled {
    /// Written while the table is read; `None` once it is complete.
    writer: Option<BufWriter<File>>,
    file: File,
    /// Where each string starts in the file, and the file's length last.
    offsets: Vec<u64>,
    /// Cached blocks with the tick they were last used at.
    cache: Vec<(u64, u64, Box<[u8]>)>,
    tick: u64,
}

fn scratch(e: std::io::Error) -> ExtractError {
    ExtractError::Scratch(format!("shared strings: {e}"))
}

impl SharedStrings {
    /// An empty table that holds up to `most` bytes of text in memory.
    pub(super) fn new(most: usize) -> Self {
        SharedStrings::Held {
            texts: Vec::new(),
            bytes: 0,
            most,
        }
    }

    /// Appends the next string of the table.
    pub(super) fn push(&mut self, text: String) -> Result<(), ExtractError> {
        match self {
            SharedStrings::Held { texts, bytes, most } => {
                *bytes += text.len();
                texts.push(text);
                if *bytes > *most {
                    let held = std::mem::take(texts);
                    *self = SharedStrings::Spilled(Spilled::new(held)?);
                }
                Ok(())
            }
            SharedStrings::Spilled(s) => s.append(&text),
        }
    }

    /// Ends the table: what was written is flushed, ready to be read.
    pub(super) fn complete(&mut self) -> Result<(), ExtractError> {
        match self {
            SharedStrings::Held { .. } => Ok(()),
            SharedStrings::Spilled(s) => match s.writer.take() {
                Some(mut w) => w.flush().map_err(scratch),
                None => Ok(()),
            },
        }
    }

    pub(super) fn len(&self) -> usize {
        match self {
            SharedStrings::Held { texts, .. } => texts.len(),
            SharedStrings::Spilled(s) => s.offsets.len() - 1,
        }
    }

    /// The string at `index`, which must be below [`Self::len`].
    pub(super) fn get(&mut self, index: usize) -> Result<String, ExtractError> {
        match self {
            SharedStrings::Held { texts, .. } => Ok(texts[index].clone()),
            SharedStrings::Spilled(s) => s.get(index),
        }
    }
}

impl Spilled {
    fn new(held: Vec<String>) -> Result<Self, ExtractError> {
        let file = tempfile::tempfile().map_err(scratch)?;
        let writer = BufWriter::with_capacity(BLOCK as usize, file.try_clone().map_err(scratch)?);
        let mut spilled = Spilled {
            writer: Some(writer),
            file,
            offsets: vec![0],
            cache: Vec::with_capacity(CACHED_BLOCKS),
            tick: 0,
        };
        for text in held {
            spilled.append(&text)?;
        }
        Ok(spilled)
    }

    fn append(&mut self, text: &str) -> Result<(), ExtractError> {
        let writer = self.writer.as_mut().ok_or_else(|| {
            ExtractError::Scratch("shared strings: appended after the table ended".into())
        })?;
        writer.write_all(text.as_bytes()).map_err(scratch)?;
        let end = self.offsets[self.offsets.len() - 1] + text.len() as u64;
        self.offsets.push(end);
        Ok(())
    }

    fn get(&mut self, index: usize) -> Result<String, ExtractError> {
        let (start, end) = (self.offsets[index], self.offsets[index + 1]);
        let block = start / BLOCK;
        let bytes = if end <= (block + 1) * BLOCK {
            let cached = self.block(block)?;
            cached[(start - block * BLOCK) as usize..(end - block * BLOCK) as usize].to_vec()
        } else {
            // Across a block's end: read on its own, not cached.
            let mut bytes = vec![0; (end - start) as usize];
            self.file
                .read_exact_at(&mut bytes, start)
                .map_err(scratch)?;
            bytes
        };
        String::from_utf8(bytes)
            .map_err(|_| ExtractError::Scratch("shared strings: scratch file changed".into()))
    }

    /// Block `n` of the file, read into the cache (evicting the least
    /// recently used block) unless it is there.
    fn block(&mut self, n: u64) -> Result<&[u8], ExtractError> {
        self.tick += 1;
        let tick = self.tick;
        if let Some(i) = self.cache.iter().position(|(b, _, _)| *b == n) {
            self.cache[i].1 = tick;
            return Ok(&self.cache[i].2);
        }
        let file_len = self.offsets[self.offsets.len() - 1];
        let len = BLOCK.min(file_len - n * BLOCK) as usize;
        let mut bytes = vec![0; len].into_boxed_slice();
        self.file
            .read_exact_at(&mut bytes, n * BLOCK)
            .map_err(scratch)?;
        let slot = if self.cache.len() < CACHED_BLOCKS {
            self.cache.push((n, tick, bytes));
            self.cache.len() - 1
        } else {
            let oldest = (0..self.cache.len())
                .min_by_key(|&i| self.cache[i].1)
                .unwrap_or(0);
            self.cache[oldest] = (n, tick, bytes);
            oldest
        };
        Ok(&self.cache[slot].2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Strings of every length, some across block ends, enough to spill.
    fn texts() -> Vec<String> {
        (0..10_000)
            .map(|i| format!("{i}:{}", "王秀英".repeat(i % 97)))
            .collect()
    }

    #[test]
    fn a_spilled_table_gives_back_every_string_in_any_order() {
        let texts = texts();
        let mut table = SharedStrings::new(1 << 20);
        for t in &texts {
            table.push(t.clone()).unwrap();
        }
        table.complete().unwrap();
        assert!(matches!(table, SharedStrings::Spilled(_)));
        assert_eq!(table.len(), texts.len());
        for i in (0..texts.len()).chain((0..texts.len()).rev().step_by(7)) {
            assert_eq!(table.get(i).unwrap(), texts[i], "string {i}");
        }
        // Hops across the table, beyond what the cache keeps.
        for k in 0..5_000 {
            let i = k * 7919 % texts.len();
            assert_eq!(table.get(i).unwrap(), texts[i], "string {i}");
        }
    }

    #[test]
    fn a_small_table_is_held() {
        let mut table = SharedStrings::new(1 << 20);
        table.push("张三".into()).unwrap();
        table.push(String::new()).unwrap();
        table.complete().unwrap();
        assert!(matches!(table, SharedStrings::Held { .. }));
        assert_eq!(table.get(0).unwrap(), "张三");
        assert_eq!(table.get(1).unwrap(), "");
    }
}
