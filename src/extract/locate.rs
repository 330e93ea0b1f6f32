//! Line and column of findings in a segment: offsets to `Location`s in
//! one pass over the segment's text.

use super::{Location, Segment};

/// [`Extracted::locate_many`] for a segment on its own.
pub fn locate_in(seg: &Segment, bytes: &[usize]) -> Vec<Location> {
    if let Location::Page {
        page,
        line: Some(line),
    } = seg.location
    {
        return locate_text(&seg.text, (line, 1), bytes)
            .into_iter()
            .map(|(line, _)| Location::Page {
                page,
                line: Some(line),
            })
            .collect();
    }
    let Location::Text { line, column } = seg.location else {
        return vec![seg.location.clone(); bytes.len()];
    };
    locate_text(&seg.text, (line, column), bytes)
        .into_iter()
        .map(|(line, column)| Location::Text { line, column })
        .collect()
}

/// `(line, column)` of each byte offset of `text`, which starts at `start`.
fn locate_text(text: &str, start: (usize, usize), bytes: &[usize]) -> Vec<(usize, usize)> {
    let (line, column) = start;
    let mut order: Vec<usize> = (0..bytes.len()).collect();
    order.sort_by_key(|&i| bytes[i]);
    let mut out = vec![start; bytes.len()];
    // Walk forward once, carrying the line and the start of the current line.
    let (mut cur_line, mut line_start, mut pos) = (line, 0usize, 0usize);
    let raw = text.as_bytes();
    for i in order {
        let target = floor_char_boundary(text, bytes[i]);
        if target > pos {
            // A counting filter vectorises; the last newline is found
            // from the end. Both beat a byte loop that tracks each line.
            let span = &raw[pos..target];
            let newlines = span.iter().filter(|&&b| b == b'\n').count();
            if newlines > 0 {
                cur_line += newlines;
                line_start = pos + span.iter().rposition(|&b| b == b'\n').unwrap_or(0) + 1;
            }
            pos = target;
        }
        let chars = text[line_start..target].chars().count();
        let col = if cur_line == line {
            column + chars
        } else {
            chars + 1
        };
        out[i] = (cur_line, col);
    }
    out
}

fn floor_char_boundary(s: &str, byte: usize) -> usize {
    let mut b = byte.min(s.len());
    while !s.is_char_boundary(b) {
        b -= 1;
    }
    b
}
