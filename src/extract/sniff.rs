//! File type detection: magic bytes first (a renamed PDF is still a PDF),
//! then the extension.

use std::io::{Read, Seek};

use zip::ZipArchive;

use super::{ExtractError, FileKind};

const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG", "PNG image"),
    (b"\xFF\xD8\xFF", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"II*\0", "TIFF image"),
    (b"MM\0*", "TIFF image"),
    (b"RIFF", "RIFF media (WAV/AVI/WebP)"),
    (b"\x7FELF", "ELF executable"),
    (b"MZ", "Windows executable"),
    (b"\xCF\xFA\xED\xFE", "Mach-O executable"),
    (b"\x1F\x8B", "gzip archive"),
    (b"Rar!", "RAR archive"),
    (b"7z\xBC\xAF", "7-Zip archive"),
    (b"BZh", "bzip2 archive"),
    (b"\xFD7zXZ", "xz archive"),
    (b"{\\rtf", "RTF document"),
    (b"SQLite format 3", "SQLite database"),
];

const ZIP_MAGIC: [&[u8]; 2] = [b"PK\x03\x04", b"PK\x05\x06"];
const PDF_MAGIC: &[u8] = b"%PDF-";

/// Bytes enough to see every magic number above.
pub(crate) const HEAD_BYTES: usize = 16;

/// Whether a file whose first bytes are `head` is a zip package.
pub(crate) fn is_zip(head: &[u8]) -> bool {
    ZIP_MAGIC.iter().any(|m| head.starts_with(m))
}

/// Whether a file whose first bytes are `head` is a package (zip, OLE)
/// whose kind only its directory tells.
pub(crate) fn is_package(head: &[u8]) -> bool {
    ZIP_MAGIC
        .into_iter()
        .chain([super::legacy::OLE_MAGIC])
        .any(|m| head.starts_with(m))
}

/// The kind of a file whose first bytes are `head` when it is one read in
/// pieces: a CSV or TSV table or a plain text by its name, carrying no
/// other format's magic.
pub(crate) fn read_in_pieces(file_name: &str, head: &[u8]) -> Option<FileKind> {
    let magic = is_package(head)
        || head.starts_with(PDF_MAGIC)
        || MAGIC.iter().any(|(m, _)| head.starts_with(m));
    match sniff(file_name, head) {
        Ok(kind @ (FileKind::Csv | FileKind::Text)) if !magic => Some(kind),
        _ => None,
    }
}

fn extension(file_name: &str) -> String {
    file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

pub(crate) fn sniff(file_name: &str, bytes: &[u8]) -> Result<FileKind, ExtractError> {
    let ext = extension(file_name);
    if is_zip(bytes) {
        return sniff_zip(std::io::Cursor::new(bytes));
    }
    if bytes.starts_with(PDF_MAGIC) {
        return Ok(FileKind::Pdf);
    }
    if bytes.starts_with(super::legacy::OLE_MAGIC) {
        return super::legacy::sniff(bytes);
    }
    if let Some((_, name)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Err(ExtractError::Unsupported {
            detected: (*name).to_owned(),
        });
    }
    Ok(match ext.as_str() {
        "xls" | "et" | "doc" | "wps" => {
            return Err(ExtractError::malformed(format!(
                ".{ext} file is not an Office 97–2003 compound file"
            )));
        }
        "xlsx" | "docx" | "ofd" | "odt" | "ods" | "ott" | "ots" => {
            return Err(ExtractError::malformed(format!(
                ".{ext} file is not a zip package"
            )));
        }
        "pdf" => {
            return Err(ExtractError::malformed(
                ".pdf file does not start with %PDF-",
            ))
        }
        "csv" | "tsv" => FileKind::Csv,
        "json" => FileKind::Json,
        // .txt, .md and unknown names: anything that decodes as text is scanned as text.
        _ => FileKind::Text,
    })
}

/// The kind of a zip package from its directory (and an OpenDocument
/// file's `mimetype`), reading nothing else.
pub(crate) fn sniff_zip(file: impl Read + Seek) -> Result<FileKind, ExtractError> {
    let mut archive = ZipArchive::new(file)
        .map_err(|e| ExtractError::malformed(format!("broken zip package: {e}")))?;
    if let Some(mimetype) = super::odf::mimetype(&mut archive) {
        let kind = super::odf::kind_of(&mimetype)?;
        if super::odf::is_encrypted(&mut archive) {
            return Err(ExtractError::Unsupported {
                detected: "password-protected OpenDocument file".into(),
            });
        }
        return Ok(kind);
    }
    let has = |name: &str| archive.index_for_name(name).is_some();
    if has("word/document.xml") {
        Ok(FileKind::Docx)
    } else if has("xl/workbook.xml") {
        Ok(FileKind::Xlsx)
    } else if has("OFD.xml") {
        Ok(FileKind::Ofd)
    } else {
        let detected = if has("ppt/presentation.xml") {
            "PowerPoint presentation (PPTX)"
        } else {
            "zip archive (not an XLSX workbook or DOCX document)"
        };
        Err(ExtractError::Unsupported {
            detected: detected.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_beats_extension() {
        assert_eq!(sniff("report.txt", b"%PDF-1.7 ...").unwrap(), FileKind::Pdf);
        let err = sniff("a.csv", b"\x89PNG\r\n\x1a\n").unwrap_err();
        assert_eq!(err.to_string(), "unsupported file type: PNG image");
        assert!(matches!(
            sniff("a.xlsx", b"not zip"),
            Err(ExtractError::Malformed { .. })
        ));
    }

    #[test]
    fn extension_decides_text_kinds() {
        assert_eq!(sniff("a.TSV", b"x").unwrap(), FileKind::Csv);
        assert_eq!(sniff("a.json", b"{}").unwrap(), FileKind::Json);
        assert_eq!(sniff("README.md", b"# t").unwrap(), FileKind::Text);
        assert_eq!(sniff("noext", b"t").unwrap(), FileKind::Text);
    }
}
