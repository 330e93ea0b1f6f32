//! Plain text and Markdown: the whole decoded file is one segment;
//! `Extracted::locate` turns offsets into line and column.

use super::encoding::{self, Decoded};
use super::{
    Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Reserialise, Segment,
    SourceSpan,
};

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let mut decoded = decode_text(bytes, limits)?;
    // The one segment is the whole text: it is moved there rather than
    // copied, and the redactor takes it back from the segment.
    let text = std::mem::take(&mut decoded.text).into_owned();
    let spans = if text.is_empty() {
        Vec::new()
    } else {
        vec![SourceSpan {
            start: 0,
            end: text.len(),
            how: Reserialise::Verbatim,
        }]
    };
    let segments = if text.is_empty() {
        Vec::new()
    } else {
        vec![Segment {
            text,
            location: Location::Text { line: 1, column: 1 },
            column: None,
        }]
    };
    Ok(finish(FileKind::Text, decoded, segments, spans))
}

/// Decodes a line-oriented file and enforces the line-length limit.
pub(crate) fn decode_text<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<Decoded<'a>, ExtractError> {
    let decoded = encoding::decode(bytes)?;
    if decoded.text.len() <= limits.max_line_bytes {
        return Ok(decoded);
    }
    for (line, chunk) in (1..).zip(decoded.text.as_bytes().split(|&b| b == b'\n')) {
        if chunk.len() > limits.max_line_bytes {
            return Err(ExtractError::too_large(
                format!("line {line} length {} bytes", chunk.len()),
                limits.max_line_bytes,
            ));
        }
    }
    Ok(decoded)
}

/// Assembles the result shared by the text-based formats.
pub(crate) fn finish(
    kind: FileKind,
    decoded: Decoded<'_>,
    segments: Vec<Segment>,
    spans: Vec<SourceSpan>,
) -> Parsed {
    Parsed {
        extracted: Extracted {
            kind,
            encoding: Some(decoded.encoding.name().to_owned()),
            segments,
            unreadable: Vec::new(),
        },
        anchors: Anchors::Text {
            decoded: decoded.into_owned(),
            spans,
        },
    }
}
