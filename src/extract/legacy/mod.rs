//! Office 97–2003 binary files, which WPS Office writes too: an OLE
//! compound file (MS-CFB) holding a `Workbook` stream (Excel `.xls`, WPS
//! `.et`) or a `WordDocument` stream (Word `.doc`, WPS `.wps`).
//!
//! Workbooks are read with calamine (cells of every sheet, hidden ones
//! included, located `{sheet, cell}`); documents with the piece table of
//! MS-DOC (`doc`), every story located `{part, paragraph}`. The
//! `SummaryInformation` property sets are properties, as in OOXML.
//! Embedded objects, pictures and macros are `UNREADABLE_CONTENT`.
//!
//! Read-only: the published rendition is the file as submitted, so a
//! finding dispositioned `redact` in one needs a redacted version.

mod doc;
mod properties;
mod xls;

use std::io::{Cursor, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};

use cfb::CompoundFile;

use super::{ExtractError, FileKind, Limits, Location, Parsed, Part, Unreadable};

/// The signature every compound file starts with.
pub(crate) const OLE_MAGIC: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

type Ole<'a> = CompoundFile<Cursor<&'a [u8]>>;

/// What a compound file holds: a workbook, a document, or something this
/// service does not read (named, for the 415 answer).
pub(crate) fn sniff(bytes: &[u8]) -> Result<FileKind, ExtractError> {
    guarded(|| {
        let ole = open(bytes)?;
        let has = |name: &str| ole.is_stream(name);
        if has("/Workbook") || has("/Book") {
            Ok(FileKind::Xls)
        } else if has("/WordDocument") {
            Ok(FileKind::Doc)
        } else {
            let detected = if has("/EncryptedPackage") {
                "password-protected Office document"
            } else if has("/PowerPoint Document") {
                "PowerPoint 97–2003 presentation (.ppt)"
            } else {
                "OLE compound file (not a .doc, .wps, .xls or .et file)"
            };
            Err(ExtractError::Unsupported {
                detected: detected.into(),
            })
        }
    })
}

pub(crate) fn parse(kind: FileKind, bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    guarded(|| {
        let mut ole = open(bytes)?;
        let mut parsed = match kind {
            FileKind::Xls => xls::parse(&mut ole, limits)?,
            _ => doc::parse(&mut ole, limits)?,
        };
        let extracted = &mut parsed.extracted;
        extracted
            .segments
            .extend(properties::read(&mut ole, limits)?);
        extracted.unreadable.extend(unreadable_storages(&ole));
        Ok(parsed)
    })
}

/// The compound file reader panics on some malformed files; a panic is a
/// malformed file here, never a crashed inspection.
fn guarded<T>(f: impl FnOnce() -> Result<T, ExtractError>) -> Result<T, ExtractError> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(ExtractError::malformed(
            "the compound file (OLE) reader failed on this file",
        ))
    })
}

fn open(bytes: &[u8]) -> Result<Ole<'_>, ExtractError> {
    CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| ExtractError::malformed(format!("not a readable compound file: {e}")))
}

/// A whole stream, held to the decompressed-size limit; `None` when absent.
fn read_stream(
    ole: &mut Ole<'_>,
    path: &str,
    limits: &Limits,
) -> Result<Option<Vec<u8>>, ExtractError> {
    if !ole.is_stream(path) {
        return Ok(None);
    }
    let mut stream = ole
        .open_stream(path)
        .map_err(|e| ExtractError::malformed(format!("stream {path}: {e}")))?;
    if stream.len() > limits.max_decompressed_bytes {
        return Err(ExtractError::too_large(
            format!("stream {path} of {} bytes", stream.len()),
            limits.max_decompressed_bytes,
        ));
    }
    let mut out = Vec::with_capacity(stream.len() as usize);
    stream
        .read_to_end(&mut out)
        .map_err(|e| ExtractError::malformed(format!("stream {path}: {e}")))?;
    Ok(Some(out))
}

/// A little-endian `u16` at `at`, if the bytes reach that far.
fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

/// A little-endian `u32` at `at`, if the bytes reach that far.
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Storages and streams that hold what no reader here reads: embedded
/// OLE objects (`ObjectPool` in documents, `MBD…` in workbooks), macros,
/// and the pictures of a document (its `Data` stream).
fn unreadable_storages(ole: &Ole<'_>) -> Vec<Unreadable> {
    let mut out = Vec::new();
    for entry in ole.read_root_storage() {
        let name = entry.name();
        let what = if name == "ObjectPool" || name.starts_with("MBD") {
            "embedded object"
        } else if matches!(name, "Macros" | "_VBA_PROJECT_CUR") {
            "macro project"
        } else if name == "Data" && entry.is_stream() && !entry.is_empty() {
            "pictures"
        } else {
            continue;
        };
        out.push(Unreadable {
            location: Location::Package {
                part: Part::Embedded,
                name: name.to_owned(),
            },
            what: what.into(),
        });
    }
    out
}
