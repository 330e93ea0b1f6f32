//! Reading OOXML zip packages under the limits: member count and
//! decompressed bytes, counted while inflating rather than trusted from
//! headers, so a zip bomb stops at the limit instead of filling memory.

use std::io::{BufRead, BufReader, Cursor, Read};

use zip::read::ZipFile;
use zip::ZipArchive;

use super::source::ReadSeek;
use super::xml::Ns;
use super::{ExtractError, Limits};

/// A zip package read under the limits, from memory or from a file: a
/// trait object, so the readers of every format take one type whatever
/// the bytes come from (the zip crate buffers its own reads).
pub(crate) struct Package<'a> {
    archive: ZipArchive<Box<dyn ReadSeek + 'a>>,
    /// Decompressed bytes still allowed for the rest of this package.
    remaining: u64,
    limit: u64,
}

impl<'a> Package<'a> {
    pub fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, ExtractError> {
        Self::read_from(Box::new(Cursor::new(bytes)), limits)
    }

    /// A package read from `file` as its members are asked for, never held
    /// whole.
    pub fn read_from(file: Box<dyn ReadSeek + 'a>, limits: &Limits) -> Result<Self, ExtractError> {
        let archive = ZipArchive::new(file)
            .map_err(|e| ExtractError::malformed(format!("broken zip package: {e}")))?;
        if archive.len() > limits.max_zip_members {
            return Err(ExtractError::too_large(
                format!("zip member count {}", archive.len()),
                limits.max_zip_members,
            ));
        }
        let declared = archive.decompressed_size();
        if let Some(declared) = declared.filter(|&d| d > u128::from(limits.max_decompressed_bytes))
        {
            return Err(ExtractError::too_large(
                format!("declared decompressed size {declared} bytes"),
                limits.max_decompressed_bytes,
            ));
        }
        Ok(Self {
            archive,
            remaining: limits.max_decompressed_bytes,
            limit: limits.max_decompressed_bytes,
        })
    }

    pub fn names(&self) -> Vec<String> {
        self.archive.file_names().map(str::to_owned).collect()
    }

    /// Inflates one member, charging its bytes to the package budget.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ExtractError> {
        let Some(member) = member(&mut self.archive, name)? else {
            return Ok(None);
        };
        let mut data = Vec::new();
        member
            .take(self.remaining.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| member_error(name, e))?;
        if data.len() as u64 > self.remaining {
            return Err(ExtractError::too_large("decompressed size", self.limit));
        }
        self.remaining -= data.len() as u64;
        Ok(Some(data))
    }

    /// One member as a stream, inflated as it is read and charged to the
    /// package budget on the way: what a large sheet is parsed from.
    pub fn stream(&mut self, name: &str) -> Result<Option<Member<'_>>, ExtractError> {
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        // Not through `member`: the stream borrows the budget beside it.
        let file = self
            .archive
            .by_index(index)
            .map_err(|e| member_error(name, e))?;
        Ok(Some(Member {
            inner: Box::new(BufReader::with_capacity(1 << 16, file)),
            remaining: &mut self.remaining,
            limit: self.limit,
            exceeded: false,
        }))
    }

    /// The namespace prefix a member's root element binds (see
    /// [`Ns::detect`]), read from at most its first 64 KiB and not charged
    /// to the budget: the root element opens the part.
    pub fn root_namespace(
        &mut self,
        name: &str,
        uris: &[&str],
    ) -> Result<Option<Ns>, ExtractError> {
        const HEAD: u64 = 64 << 10;
        let Some(file) = member(&mut self.archive, name)? else {
            return Ok(None);
        };
        Ok(Some(Ns::detect_in(
            BufReader::new(file.take(HEAD)),
            uris,
            "",
        )))
    }

    /// Like [`Package::read`], for members that must exist and be UTF-8 XML.
    pub fn read_xml(&mut self, name: &str) -> Result<Option<String>, ExtractError> {
        match self.read(name)? {
            None => Ok(None),
            Some(data) => String::from_utf8(data)
                .map(Some)
                .map_err(|e| ExtractError::malformed(format!("{name} is not UTF-8 XML: {e}"))),
        }
    }
}

/// The member of `archive` named `name`, ready to inflate.
fn member<'p, 'a>(
    archive: &'p mut ZipArchive<Box<dyn ReadSeek + 'a>>,
    name: &str,
) -> Result<Option<ZipFile<'p, Box<dyn ReadSeek + 'a>>>, ExtractError> {
    let Some(index) = archive.index_for_name(name) else {
        return Ok(None);
    };
    let file = archive.by_index(index).map_err(|e| member_error(name, e))?;
    Ok(Some(file))
}

fn member_error(name: &str, e: impl std::fmt::Display) -> ExtractError {
    ExtractError::malformed(format!("zip member {name}: {e}"))
}

/// A member being inflated (see [`Package::stream`]).
pub(crate) struct Member<'p> {
    inner: Box<dyn BufRead + 'p>,
    remaining: &'p mut u64,
    limit: u64,
    exceeded: bool,
}

impl Member<'_> {
    /// The error for a stream whose parsing failed: the package budget,
    /// when reading ran past it; otherwise what the parser saw.
    pub fn explain(&self, parse: ExtractError) -> ExtractError {
        if self.exceeded {
            ExtractError::too_large("decompressed size", self.limit)
        } else {
            parse
        }
    }
}

impl Read for Member<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Member<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let available = self.inner.fill_buf()?;
        if available.len() as u64 > *self.remaining {
            self.exceeded = true;
            return Err(std::io::Error::other("decompressed size exceeds the limit"));
        }
        Ok(available)
    }

    fn consume(&mut self, n: usize) {
        // `fill_buf` refused more than the budget holds; saturating all the same.
        *self.remaining = self.remaining.saturating_sub(n as u64);
        self.inner.consume(n);
    }
}

pub(crate) fn open_archive(bytes: &[u8]) -> Result<ZipArchive<Cursor<&[u8]>>, ExtractError> {
    ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ExtractError::malformed(format!("broken zip package: {e}")))
}

/// Zip member name of a relationship target relative to folder `base`.
pub(crate) fn resolve(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|p| !p.is_empty()).collect()
    };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The folder whose members the relationships in `rels_member` point
/// from: `word/_rels/document.xml.rels` → `word`, `_rels/.rels` → ``.
pub(crate) fn rels_base(rels_member: &str) -> &str {
    let dir = rels_member.rsplit_once('/').map_or("", |(d, _)| d);
    dir.strip_suffix("_rels")
        .map_or(dir, |d| d.strip_suffix('/').unwrap_or(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relationship_targets_resolve_against_their_base() {
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl", "/xl/worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(
            resolve("xl", "../customXml/item1.xml"),
            "customXml/item1.xml"
        );
        assert_eq!(resolve("", "docProps/core.xml"), "docProps/core.xml");
        assert_eq!(rels_base("word/_rels/document.xml.rels"), "word");
        assert_eq!(rels_base("_rels/.rels"), "");
    }
}
