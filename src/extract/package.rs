//! Reading OOXML zip packages under the limits: member count and
//! decompressed bytes, counted while inflating rather than trusted from
//! headers, so a zip bomb stops at the limit instead of filling memory.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::{ExtractError, Limits};

pub(crate) struct Package<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Decompressed bytes still allowed for the rest of this package.
    remaining: u64,
    limit: u64,
}

impl<'a> Package<'a> {
    pub fn open(bytes: &'a [u8], limits: &Limits) -> Result<Self, ExtractError> {
        let archive = open_archive(bytes)?;
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
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        let member = self
            .archive
            .by_index(index)
            .map_err(|e| ExtractError::malformed(format!("zip member {name}: {e}")))?;
        let mut data = Vec::new();
        member
            .take(self.remaining.saturating_add(1))
            .read_to_end(&mut data)
            .map_err(|e| ExtractError::malformed(format!("zip member {name}: {e}")))?;
        if data.len() as u64 > self.remaining {
            return Err(ExtractError::too_large("decompressed size", self.limit));
        }
        self.remaining -= data.len() as u64;
        Ok(Some(data))
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
