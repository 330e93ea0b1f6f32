//! Content-addressed file store: a file lives at `<root>/ab/cdef…` under its
//! SHA-256, written to a temporary file and renamed into place so a reader
//! never sees half a file. Identical uploads are stored once.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl FileStore {
    pub fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root })
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        valid.then(|| self.root.join(&sha256[..2]).join(&sha256[2..]))
    }

    /// Stores `bytes` and returns their SHA-256 (hex).
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let digest = sha256_hex(bytes);
        let target = self
            .path_of(&digest)
            .expect("a sha256 hex digest is a valid key");
        if target.exists() {
            return Ok(digest);
        }
        std::fs::create_dir_all(target.parent().unwrap_or(&self.root))?;
        let mut tmp = tempfile_in(&self.root.join("tmp"))?;
        tmp.1.write_all(bytes)?;
        tmp.1.sync_all()?;
        std::fs::rename(&tmp.0, &target)?;
        Ok(digest)
    }

    pub fn get(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        let path = self.path_of(sha256).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a sha256 digest")
        })?;
        let bytes = std::fs::read(path)?;
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
