//! Plain text and Markdown, cut into segments of whole lines (see
//! [`Cuts`]); `Extracted::locate` turns offsets into line and column.

use super::encoding::{self, Decoded, DecodedPieces};
use super::{
    Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Reserialise, Segment,
    SourceSpan, VisitError,
};

/// A long text is cut at the first blank line after this many bytes of a
/// segment…
const SEGMENT_BYTES: usize = 1 << 20;
/// …or, with no blank line, at the first line end after this many.
const MAX_SEGMENT_BYTES: usize = 4 << 20;

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let mut decoded = decode_text(bytes, limits)?;
    // The segments hold the text; the redactor joins them again, so the
    // decoded copy is not kept beside them.
    let text = std::mem::take(&mut decoded.text);
    let (mut segments, mut spans) = (Vec::new(), Vec::new());
    let (mut cuts, mut next) = (Cuts::default(), NextSegment::default());
    let mut consumed = 0;
    while let Some(end) = cuts.next(&text[consumed..], true) {
        let (segment, span) = next.take(&text[consumed..consumed + end]);
        segments.push(segment);
        spans.push(span);
        consumed += end;
    }
    Ok(finish(FileKind::Text, decoded, segments, spans))
}

/// The segments of a plain text file decoded in pieces, with [`parse`]'s
/// indexes: one segment of text is held at a time, not the file.
pub(crate) fn visit_pieces(
    pieces: &mut DecodedPieces<'_>,
    limits: &Limits,
    mut visit: impl FnMut(Segment),
) -> Result<(), VisitError> {
    let mut window = String::new();
    let mut lines = LineLimit::new(limits.max_line_bytes);
    let (mut cuts, mut next) = (Cuts::default(), NextSegment::default());
    loop {
        let checked = window.len();
        let more = pieces.next_into(&mut window)?;
        lines.check(&window[checked..])?;
        // Drained once per piece: a piece may hold many short segments.
        let mut consumed = 0;
        while let Some(end) = cuts.next(&window[consumed..], !more) {
            visit(next.take(&window[consumed..consumed + end]).0);
            consumed += end;
        }
        window.drain(..consumed);
        if !more {
            return Ok(());
        }
    }
}

/// Where a plain text is cut into segments, the same whether it arrives
/// whole or in pieces: after a line of form feeds alone (the pages or
/// documents of an export, which a name or label does not cross), and in a
/// long text at the first blank line after [`SEGMENT_BYTES`], or a line end
/// after [`MAX_SEGMENT_BYTES`]. Lines are never cut, so a segment is whole
/// paragraphs and memory is bounded by the segment, not the file.
#[derive(Default)]
struct Cuts {
    /// How far into the current segment whole lines have been looked at.
    checked: usize,
}

impl Cuts {
    /// The end of the segment that opens `text` (the text from the last
    /// cut on), once it is known; `last` when the file ends with `text`.
    fn next(&mut self, text: &str, last: bool) -> Option<usize> {
        while let Some(newline) = text[self.checked..].find('\n') {
            let line_end = self.checked + newline + 1;
            let line = text[self.checked..line_end].trim_end_matches(['\n', '\r']);
            let cut = (line.contains('\x0c') && line.trim_matches(['\x0c', ' ', '\t']).is_empty())
                || (line_end >= SEGMENT_BYTES && line.trim().is_empty())
                || line_end >= MAX_SEGMENT_BYTES;
            self.checked = line_end;
            if cut {
                self.checked = 0;
                return Some(line_end);
            }
        }
        if last && !text.is_empty() {
            self.checked = 0;
            return Some(text.len());
        }
        None
    }
}

/// Where the next segment starts in the decoded text.
struct NextSegment {
    offset: usize,
    line: usize,
}

impl Default for NextSegment {
    fn default() -> Self {
        Self { offset: 0, line: 1 }
    }
}

impl NextSegment {
    /// `text`, the next segment, with its place; moves past it.
    fn take(&mut self, text: &str) -> (Segment, SourceSpan) {
        let segment = Segment {
            text: text.to_owned(),
            location: Location::Text {
                line: self.line,
                column: 1,
            },
            column: None,
        };
        let span = SourceSpan {
            start: self.offset,
            end: self.offset + text.len(),
            how: Reserialise::Verbatim,
        };
        self.offset += text.len();
        self.line += text.bytes().filter(|&b| b == b'\n').count();
        (segment, span)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{for_each_segment, source::PIECE_BYTES, InMemory};

    /// Segments and spans of `text` extracted whole, and the segments the
    /// piecewise visit gives.
    fn both_ways(text: &str) -> (Vec<Segment>, Vec<SourceSpan>, Vec<(usize, Segment)>) {
        let parsed = parse(text.as_bytes(), &Limits::unlimited()).unwrap();
        let Anchors::Text { spans, .. } = parsed.anchors else {
            panic!("text anchors")
        };
        let mut visited = Vec::new();
        let outline = for_each_segment(
            "t.txt",
            &InMemory(text.as_bytes()),
            &Limits::unlimited(),
            |index, segment| visited.push((index, segment)),
        )
        .unwrap();
        assert_eq!(outline.kind, FileKind::Text);
        (parsed.extracted.segments, spans, visited)
    }

    #[test]
    fn documents_separated_by_a_form_feed_line_are_segments() {
        let text = "第一篇\n联系人：张三\n\n\x0c\n第二篇\r\n王五\r\n\x0c\r\n末篇无换行";
        let (segments, spans, visited) = both_ways(text);
        let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "第一篇\n联系人：张三\n\n\x0c\n",
                "第二篇\r\n王五\r\n\x0c\r\n",
                "末篇无换行"
            ]
        );
        let lines: Vec<Location> = segments.iter().map(|s| s.location.clone()).collect();
        assert_eq!(
            lines,
            [1, 5, 8].map(|line| Location::Text { line, column: 1 })
        );
        // The spans tile the text, and the visit gives the same segments.
        assert_eq!(spans.last().unwrap().end, text.len());
        assert!(spans.windows(2).all(|w| w[0].end == w[1].start));
        assert_eq!(visited.len(), segments.len());
        for ((index, v), (i, s)) in visited.iter().zip(segments.iter().enumerate()) {
            assert_eq!((*index, &v.text, &v.location), (i, &s.text, &s.location));
        }
    }

    /// A long text is cut at a blank line after a megabyte, or at a line
    /// end after four; read whole or across pieces, at the same places.
    #[test]
    fn a_long_text_is_cut_at_paragraphs_the_same_way_in_pieces() {
        let mut text = String::new();
        let paragraph = "清溪县人民政府关于做好2026年度防汛工作的通知，各乡镇人民政府。\n";
        while text.len() < 3 * SEGMENT_BYTES {
            text.push_str(paragraph);
            text.push_str(paragraph);
            text.push('\n');
        }
        while text.len() < 3 * SEGMENT_BYTES + MAX_SEGMENT_BYTES + 4 * PIECE_BYTES {
            text.push_str(paragraph);
        }
        let (segments, spans, visited) = both_ways(&text);
        assert!(segments.len() >= 4, "{} segments", segments.len());
        for (segment, span) in segments.iter().zip(&spans) {
            assert!(segment.text.len() <= MAX_SEGMENT_BYTES + paragraph.len());
            assert!(segment.text.ends_with('\n'), "lines are never cut");
            assert_eq!(&text[span.start..span.end], segment.text);
        }
        assert!(segments[..3]
            .iter()
            .all(|s| s.text.ends_with("\n\n") && s.text.len() >= SEGMENT_BYTES));
        let visited: Vec<&Segment> = visited.iter().map(|(_, s)| s).collect();
        assert!(visited.iter().zip(&segments).all(|(v, s)| **v == *s));
        assert_eq!(visited.len(), segments.len());
        let Location::Text { line, .. } = segments[1].location else {
            panic!("text location")
        };
        assert_eq!(line, 1 + segments[0].text.matches('\n').count());
    }
}
