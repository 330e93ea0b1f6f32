//! Content-addressed file store: a file lives at `<root>/ab/cdef…` under its
//! SHA-256, written to a temporary file and renamed into place so a reader
//! never sees half a file. Identical uploads are stored once.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::extract::{FileSource, ReadSeek, Source};

/// A partial write older than this is left over from a crash.
const STALE_PART: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl FileStore {
    /// Opens the store, removing partial writes a crash left behind. Only
    /// old ones: another instance sharing the directory may be writing now.
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        let tmp = root.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        let stale = std::time::SystemTime::now() - STALE_PART;
        for entry in std::fs::read_dir(&tmp)? {
            let entry = entry?;
            let old = entry.metadata()?.modified()? < stale;
            if old && entry.path().extension().is_some_and(|e| e == "part") {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(Self { root })
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        path_in(&self.root, sha256)
    }

    /// Stores `bytes` and returns their SHA-256 (hex).
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let mut writer = self.writer()?;
        writer.write_all(bytes)?;
        writer.finish()
    }

    /// A file to be stored as it is written (a rendition of a large
    /// table), named by its digest when [`StoreWriter::finish`]ed; a writer
    /// dropped unfinished leaves a partial file that [`Self::open`] removes.
    pub fn writer(&self) -> std::io::Result<StoreWriter> {
        let (tmp, file) = tempfile_in(&self.root.join("tmp"))?;
        Ok(StoreWriter {
            root: self.root.clone(),
            tmp,
            file: std::io::BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            len: 0,
            stored: false,
        })
    }

    fn existing_path(&self, sha256: &str) -> std::io::Result<PathBuf> {
        self.path_of(sha256).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256 digest")
        })
    }

    /// The stored file as a reader, for sending it without holding it in
    /// memory; the digest is checked as it is read (see [`Verified`]).
    pub fn open_verified(&self, sha256: &str) -> std::io::Result<Verified> {
        let file = std::fs::File::open(self.existing_path(sha256)?)?;
        let len = file.metadata()?.len();
        let verified = Verified {
            file,
            len,
            read: 0,
            hasher: Sha256::new(),
            expected: sha256.to_string(),
        };
        // An emptied file has no last read to fail.
        if len == 0 && sha256_hex(b"") != sha256 {
            return Err(verified.corrupted());
        }
        Ok(verified)
    }

    /// The stored file as a [`Source`] to read in pieces, as often as
    /// needed, each reading checking the digest.
    pub fn source<'a>(&'a self, sha256: &'a str) -> std::io::Result<Stored<'a>> {
        let len = self.open_verified(sha256)?.len();
        Ok(Stored {
            store: self,
            sha256,
            len,
        })
    }

    pub fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let bytes = std::fs::read(self.existing_path(sha256)?)?;
        // A file that no longer matches its name was corrupted on disk.
        if sha256_hex(&bytes) != sha256 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("stored file {sha256} is corrupted"),
            ));
        }
        Ok(bytes)
    }
}

/// A file being written into the store (see [`FileStore::writer`]). One
/// dropped before it is finished is removed.
pub struct StoreWriter {
    root: PathBuf,
    tmp: PathBuf,
    file: std::io::BufWriter<std::fs::File>,
    hasher: Sha256,
    len: u64,
    stored: bool,
}

impl StoreWriter {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// What was written so far, to be read before it is stored (an upload
    /// checked before anything of its submission is kept).
    pub fn read_back(&mut self) -> std::io::Result<FileSource> {
        self.file.flush()?;
        FileSource::new(&self.tmp)
    }

    /// Stores what was written under its SHA-256 (hex) and returns it.
    pub fn finish(mut self) -> std::io::Result<String> {
        let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let target = path_in(&self.root, &digest).expect("a sha256 hex digest is a valid key");
        if target.exists() {
            return Ok(digest);
        }
        self.file.flush()?;
        self.file.get_ref().sync_all()?;
        std::fs::create_dir_all(target.parent().unwrap_or(&self.root))?;
        std::fs::rename(&self.tmp, &target)?;
        self.stored = true;
        // The rename is durable only once its directory is synced.
        if let Some(dir) = target.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(digest)
    }
}

impl Drop for StoreWriter {
    fn drop(&mut self) {
        if !self.stored {
            // Best effort: `FileStore::open` removes what is left.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

impl Write for StoreWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// A stored file to be read in pieces (see [`FileStore::source`]).
pub struct Stored<'a> {
    store: &'a FileStore,
    sha256: &'a str,
    len: u64,
}

impl Source for Stored<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.store.open_verified(self.sha256)?))
    }

    fn open_seekable(&self) -> std::io::Result<Box<dyn ReadSeek + '_>> {
        let file = self.store.open_verified(self.sha256)?.checked_file()?;
        Ok(Box::new(std::io::BufReader::new(file)))
    }
}

/// A stored file being read. Its digest is computed on the way and
/// compared when the length the store announced has been read: a file
/// that no longer matches its name fails that last read, so the copy sent
/// from it stops short of its announced length and no client takes it for
/// complete. Nothing past that length is read (a file that grew).
pub struct Verified {
    file: std::fs::File,
    len: u64,
    read: u64,
    hasher: Sha256,
    expected: String,
}

impl Verified {
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The last `n` bytes (or all of a shorter file), read without moving
    /// the reader.
    pub fn last_bytes(&mut self, n: usize) -> std::io::Result<Vec<u8>> {
        let n = (n as u64).min(self.len);
        let mut last = vec![0; n as usize];
        let at = self.file.stream_position()?;
        self.file.seek(SeekFrom::Start(self.len - n))?;
        self.file.read_exact(&mut last)?;
        self.file.seek(SeekFrom::Start(at))?;
        Ok(last)
    }

    /// The file itself, to be read at any offset (a zip package), once
    /// all of it has been read through and found to match its digest;
    /// never past the length that was checked (a zip's directory is
    /// looked for from the end). Checked through the same handle that is
    /// returned: the store replaces a file by renaming, never by writing
    /// into it.
    pub fn checked_file(mut self) -> std::io::Result<CheckedFile> {
        std::io::copy(&mut self, &mut std::io::sink())?;
        self.file.seek(SeekFrom::Start(0))?;
        Ok(CheckedFile {
            file: self.file,
            len: self.len,
            pos: 0,
        })
    }

    fn corrupted(&self) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("stored file {} is corrupted", self.expected),
        )
    }
}

impl Read for Verified {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len - self.read;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 {
            // Shorter than when it was opened.
            return Err(self.corrupted());
        }
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        if self.read == self.len && hex::encode(self.hasher.clone().finalize()) != self.expected {
            return Err(self.corrupted());
        }
        Ok(n)
    }
}

/// A stored file whose digest was checked, read at any offset within the
/// length that was checked (see [`Verified::checked_file`]).
pub struct CheckedFile {
    file: std::fs::File,
    len: u64,
    pos: u64,
}

impl Read for CheckedFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.len.saturating_sub(self.pos)).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        let n = self.file.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for CheckedFile {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        self.pos = self.file.seek(SeekFrom::Start(target))?;
        Ok(self.pos)
    }
}

/// Where the file named `sha256` lies under `root`; `None` for a name
/// that is no digest.
fn path_in(root: &Path, sha256: &str) -> Option<PathBuf> {
    let valid = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    valid.then(|| root.join(&sha256[..2]).join(&sha256[2..]))
}

fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!("{}.part", ulid::Ulid::new()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `v` to its end in small pieces, as a download does.
    fn drain(mut v: Verified) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            match v.read(&mut buf)? {
                0 => return Ok(out),
                n => out.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn a_verified_read_fails_before_the_last_byte_of_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let body = b"one line of a published table\n".repeat(10);
        let sha = store.put(&body).unwrap();
        assert_eq!(drain(store.open_verified(&sha).unwrap()).unwrap(), body);
        let path = store.path_of(&sha).unwrap();

        // One byte changed: the read that would complete the file fails.
        let mut changed = body.clone();
        changed[3] ^= 1;
        std::fs::write(&path, &changed).unwrap();
        let err = drain(store.open_verified(&sha).unwrap()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);

        // Truncated after opening, grown, or emptied: never complete.
        let v = store.open_verified(&sha).unwrap();
        std::fs::write(&path, &body[..body.len() - 1]).unwrap();
        assert!(drain(v).is_err());
        std::fs::write(&path, &body).unwrap();
        let v = store.open_verified(&sha).unwrap();
        std::fs::write(&path, [body.as_slice(), b"more"].concat()).unwrap();
        assert_eq!(drain(v).unwrap(), body, "nothing past the announced length");
        std::fs::write(&path, b"").unwrap();
        assert!(store.open_verified(&sha).is_err());
    }

    /// A package is read at any offset, so it is checked through before
    /// its first byte is handed on.
    #[test]
    fn a_seekable_read_is_refused_for_a_changed_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let body = b"PK\x03\x04 a package's bytes".repeat(10);
        let sha = store.put(&body).unwrap();
        let mut whole = Vec::new();
        let source = store.source(&sha).unwrap();
        source
            .open_seekable()
            .unwrap()
            .read_to_end(&mut whole)
            .unwrap();
        assert_eq!(whole, body);
        // Seeking from the end is from the end that was checked.
        let mut file = source.open_seekable().unwrap();
        let path = store.path_of(&sha).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"appended after the check")
            .unwrap();
        file.seek(SeekFrom::End(-4)).unwrap();
        let mut tail = Vec::new();
        file.read_to_end(&mut tail).unwrap();
        assert_eq!(tail, &body[body.len() - 4..]);
        let mut changed = body.clone();
        changed[40] ^= 1;
        std::fs::write(&path, &changed).unwrap();
        let err = source.open_seekable().err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }

    /// A file written in pieces is stored under the digest of what was
    /// written; one abandoned half-way leaves nothing behind.
    #[test]
    fn a_writer_stores_what_it_was_given_and_an_abandoned_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let mut w = store.writer().unwrap();
        for piece in [&b"hello, "[..], b"world"] {
            w.write_all(piece).unwrap();
        }
        // What was written can be read back (and checked) before it is stored.
        let written = crate::extract::read_whole(&w.read_back().unwrap()).unwrap();
        assert_eq!((written.as_slice(), w.len()), (&b"hello, world"[..], 12));
        let sha = w.finish().unwrap();
        assert_eq!(sha, sha256_hex(b"hello, world"));
        assert_eq!(store.get(&sha).unwrap(), b"hello, world");
        // The same content again: stored once, the second copy dropped.
        let mut again = store.writer().unwrap();
        again.write_all(b"hello, world").unwrap();
        assert_eq!(again.finish().unwrap(), sha);
        let mut abandoned = store.writer().unwrap();
        abandoned.write_all(b"half").unwrap();
        drop(abandoned);
        let parts = std::fs::read_dir(dir.path().join("tmp")).unwrap().count();
        assert_eq!(parts, 0, "no partial file is left");
    }

    #[test]
    fn opening_removes_old_partial_writes_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let (old, _) = tempfile_in(&dir.path().join("tmp")).unwrap();
        let (fresh, _) = tempfile_in(&dir.path().join("tmp")).unwrap();
        let hours_ago = std::time::SystemTime::now() - 2 * STALE_PART;
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(hours_ago)
            .unwrap();
        drop(store);
        FileStore::open(dir.path()).unwrap();
        assert!(!old.exists(), "a crash's leftover is removed");
        assert!(fresh.exists(), "a write in progress elsewhere is kept");
    }

    #[test]
    fn stores_by_content_and_detects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        let a = store.put(b"hello").unwrap();
        assert_eq!(
            a,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(store.put(b"hello").unwrap(), a);
        assert_eq!(store.get(&a).unwrap(), b"hello");
        std::fs::write(dir.path().join("2c").join(&a[2..]), b"tampered").unwrap();
        assert_eq!(
            store.get(&a).unwrap_err().kind(),
            std::io::ErrorKind::InvalidData
        );
        assert!(store.get("../../etc/passwd").is_err());
    }
}
