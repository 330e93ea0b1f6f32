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
    LineLimit::new(limits.max_line_bytes).check(&decoded.text)?;
    Ok(decoded)
}

/// Holds every line of a text to a length, the text arriving whole or in
/// pieces (a line may run across them).
pub(crate) struct LineLimit {
    max: usize,
    /// The line being read (1-based) and its length so far.
    line: usize,
    len: usize,
}

impl LineLimit {
    pub fn new(max: usize) -> Self {
        Self {
            max,
            line: 1,
            len: 0,
        }
    }

    /// Checks the next piece of the text.
    pub fn check(&mut self, piece: &str) -> Result<(), ExtractError> {
        if self.len + piece.len() <= self.max && !piece.contains('\n') {
            self.len += piece.len();
            return Ok(());
        }
        let mut chunks = piece.as_bytes().split(|&b| b == b'\n').peekable();
        while let Some(chunk) = chunks.next() {
            self.len += chunk.len();
            if self.len > self.max {
                return Err(ExtractError::too_large(
                    format!("line {} length {} bytes", self.line, self.len),
                    self.max,
                ));
            }
            if chunks.peek().is_some() {
                self.line += 1;
                self.len = 0;
            }
        }
        Ok(())
    }
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
