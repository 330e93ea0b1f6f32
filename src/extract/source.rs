//! Where a file's bytes come from when it is read in pieces: a large table
//! is surveyed for its encoding, then read again and visited a piece at a
//! time, so it is never held whole.

use std::io::{Read, Seek};
use std::path::PathBuf;

/// Bytes read at a time from a [`Source`].
pub(crate) const PIECE_BYTES: usize = 1 << 20;

/// A file that can be read from its start as often as needed.
pub trait Source {
    /// Its length in bytes, as far as it is known before reading.
    fn len(&self) -> u64;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A reader from the first byte.
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>>;

    /// A reader that can seek, for a zip package, whose directory sits at
    /// its end. A source that cannot seek is read whole into memory.
    fn open_seekable(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(Box::new(std::io::Cursor::new(read_whole(self)?)))
    }
}

/// [`Read`] and [`Seek`] in one trait object.
pub trait ReadSeek: Read + Seek {}

impl<T: Read + Seek> ReadSeek for T {}

/// A file already in memory (an upload, a test).
pub struct InMemory<'a>(pub &'a [u8]);

impl Source for InMemory<'_> {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }

    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.0))
    }

    fn open_seekable(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(Box::new(std::io::Cursor::new(self.0)))
    }
}

/// A file on disk (what `releasegate scan` reads).
pub struct FileSource {
    path: PathBuf,
    len: u64,
}

impl FileSource {
    pub fn new(path: impl Into<PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let len = std::fs::metadata(&path)?.len();
        Ok(Self { path, len })
    }
}

impl Source for FileSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(std::fs::File::open(&self.path)?))
    }

    fn open_seekable(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        Ok(Box::new(std::io::BufReader::new(std::fs::File::open(
            &self.path,
        )?)))
    }
}

/// Reads until `buf` is full or the reader ends; the count read.
pub(crate) fn read_piece(read: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match read.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The file's first `n` bytes (fewer for a shorter file): what its kind is
/// told by before it is read through.
pub(crate) fn first_bytes(source: &dyn Source, n: usize) -> std::io::Result<Vec<u8>> {
    let mut head = vec![0; n];
    let read = read_piece(&mut source.open()?, &mut head)?;
    head.truncate(read);
    Ok(head)
}

/// The whole file, for the formats that are parsed whole (their limits
/// bound them).
pub fn read_whole<S: Source + ?Sized>(source: &S) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(source.len()).unwrap_or(0));
    source.open()?.read_to_end(&mut bytes)?;
    Ok(bytes)
}
