//! JSON: the trace as blanks after the value (RFC 8259 allows whitespace
//! there), so every parser reads the same value.

use super::TRACE_PREFIX;
use crate::extract::encoding::TextEncoding;
use crate::extract::ExtractError;

/// One byte of the trace as eight blanks, most significant bit first: a
/// space for 0, a tab for 1.
const BITS: [u8; 2] = [b' ', b'\t'];

/// The trace after the JSON value: a line break, its UTF-8 bytes as
/// blanks, a line break. Only where a blank is one byte, as in UTF-8, GBK
/// and GB18030.
pub(super) fn trailing_whitespace(
    encoding: TextEncoding,
    trace: &str,
) -> Result<Option<Vec<u8>>, ExtractError> {
    if encoding.encode(" ")? != b" " {
        return Ok(None);
    }
    let mut tail = vec![b'\n'];
    for byte in trace.bytes() {
        tail.extend((0..8).rev().map(|bit| BITS[usize::from(byte >> bit & 1)]));
    }
    tail.push(b'\n');
    Ok(Some(tail))
}

/// The trace [`trailing_whitespace`] wrote, if the file ends with one.
pub(super) fn whitespace_trace(bytes: &[u8]) -> Option<String> {
    let body = bytes.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|b| !BITS.contains(b))?;
    let blanks = &body[start + 1..];
    if body[start] != b'\n' || blanks.is_empty() || blanks.len() % 8 != 0 {
        return None;
    }
    let decoded: Vec<u8> = blanks
        .chunks(8)
        .map(|bits| {
            bits.iter()
                .fold(0u8, |byte, b| byte << 1 | u8::from(*b == BITS[1]))
        })
        .collect();
    String::from_utf8(decoded)
        .ok()
        .filter(|t| t.starts_with(TRACE_PREFIX))
}
