//! The trace a copy of conditional data carries (有条件开放): a trailing
//! line or row naming the applicant and the grant, in the file's own
//! encoding, so a leaked copy says whose it was.

use crate::extract::encoding::TextEncoding;
use crate::extract::{ExtractError, FileKind};

/// Appends `trace` as a last line (text) or a last one-field row (CSV) to
/// a rendition of `kind` stored in `encoding`. Answers whether the format
/// took one; formats without a place for it are left as they are.
pub fn append_trace(
    kind: FileKind,
    encoding: Option<&str>,
    bytes: &mut Vec<u8>,
    trace: &str,
) -> Result<bool, ExtractError> {
    let line = match kind {
        FileKind::Text => trace.to_string(),
        // One quoted field: a CSV reader sees an ordinary short row.
        FileKind::Csv => format!("\"{}\"", trace.replace('"', "\"\"")),
        _ => return Ok(false),
    };
    let encoding = encoding
        .and_then(TextEncoding::by_name)
        .unwrap_or(TextEncoding::Utf8);
    let newline = encoding.encode("\n")?;
    if !bytes.is_empty() && !bytes.ends_with(&newline) {
        bytes.extend_from_slice(&newline);
    }
    bytes.extend_from_slice(&encoding.encode(&line)?);
    bytes.extend_from_slice(&newline);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_lands_on_its_own_line_in_the_files_encoding() {
        let mut csv = "姓名,金额\n某某,100".as_bytes().to_vec();
        assert!(append_trace(
            FileKind::Csv,
            Some("UTF-8"),
            &mut csv,
            "issued to \"李\" grant 1"
        )
        .unwrap());
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "姓名,金额\n某某,100\n\"issued to \"\"李\"\" grant 1\"\n"
        );
        let mut gbk = encoding_rs::GBK.encode("统计\n").0.into_owned();
        assert!(append_trace(FileKind::Text, Some("GBK"), &mut gbk, "发放给 李").unwrap());
        assert_eq!(encoding_rs::GBK.decode(&gbk).0, "统计\n发放给 李\n");
        let mut pdf = b"%PDF-1.7".to_vec();
        assert!(!append_trace(FileKind::Pdf, None, &mut pdf, "x").unwrap());
        assert_eq!(pdf, b"%PDF-1.7");
    }
}
