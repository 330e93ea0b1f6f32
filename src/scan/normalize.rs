//! Text normalisation without losing offsets.
//!
//! Chinese prose is mostly 3-byte Han characters that no numeric or ASCII
//! detector can match, so the scan skips them wholesale and looks only at
//! *windows*: runs of ASCII and full-width (U+FF01–U+FF5E) characters plus the
//! few symbols values use (`°′″·•`, and the en and em dashes notices write
//! inside phone numbers, `0573—82632102`). Full-width forms are folded to ASCII
//! (NFKC for that block), the dashes to `-`, so one set of ASCII patterns
//! covers them all, and a byte
//! map leads every folded offset back to the original text.

use std::borrow::Cow;

/// One run of window characters, folded to ASCII.
pub struct Window<'t> {
    /// Byte range of the run in the original text.
    pub start: usize,
    pub end: usize,
    /// The run with full-width forms folded to ASCII.
    pub folded: Cow<'t, str>,
    /// How many digits and letters it holds.
    pub alnum: usize,
    /// Original offset of every folded byte (plus one past the end); `None`
    /// when nothing was folded and offsets are `start + i`.
    map: Option<Vec<usize>>,
}

impl Window<'_> {
    /// Original byte offset of a folded byte offset (which must be a char boundary
    /// of `folded` or its length).
    pub fn orig(&self, folded_offset: usize) -> usize {
        match &self.map {
            None => self.start + folded_offset,
            Some(map) => map[folded_offset],
        }
    }
}

/// Folds a full-width form (U+FF01–U+FF5E) to its ASCII twin, and the en
/// and em dashes to `-`.
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{2013}' | '\u{2014}' => '-',
        _ => c,
    }
}

pub fn is_digit(c: char) -> bool {
    fold_char(c).is_ascii_digit()
}

/// Han ideographs (the CJK Unified block and extension A), what names,
/// addresses and labels are written in.
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// ASCII space or ideographic space, the blanks written inside values.
pub fn is_blank(c: char) -> bool {
    c == ' ' || c == '\u{3000}'
}

/// Position after at most `max` characters matching `pred` from `pos`.
pub fn skip_chars(text: &str, pos: usize, max: usize, pred: impl Fn(char) -> bool) -> usize {
    pos + text[pos..]
        .chars()
        .take(max)
        .take_while(|c| pred(*c))
        .map(char::len_utf8)
        .sum::<usize>()
}

/// The largest char boundary at or before `pos + max_bytes`: bounds a search
/// that starts at `pos`.
pub fn bounded_end(text: &str, pos: usize, max_bytes: usize) -> usize {
    let mut end = pos.saturating_add(max_bytes).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// The smallest char boundary at or after `pos - max_bytes`: bounds a
/// search back from `pos`.
pub fn bounded_start(text: &str, pos: usize, max_bytes: usize) -> usize {
    let mut start = pos.saturating_sub(max_bytes);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    start
}

/// Byte length of a window character starting at `i`, or `None` when the
/// character there ends a window. Works on raw bytes so that Han text is
/// skipped without decoding it.
#[inline]
fn window_char_len(b: &[u8], i: usize) -> Option<usize> {
    let c = b[i];
    if c < 0x80 {
        return (c != b'\n' && c != b'\r').then_some(1);
    }
    let next = b.get(i + 1).copied().unwrap_or(0);
    let third = b.get(i + 2).copied().unwrap_or(0);
    match (c, next) {
        // U+FF01..U+FF3F and U+FF40..U+FF5E
        (0xEF, 0xBC) if (0x81..=0xBF).contains(&third) => Some(3),
        (0xEF, 0xBD) if (0x80..=0x9E).contains(&third) => Some(3),
        // ° and ·
        (0xC2, 0xB0) | (0xC2, 0xB7) => Some(2),
        // – — • ′ ″
        (0xE2, 0x80) if matches!(third, 0x93 | 0x94 | 0xA2 | 0xB2 | 0xB3) => Some(3),
        _ => None,
    }
}

#[inline]
fn utf8_len(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Calls `f` for every window that holds at least `min_alnum` digits/letters.
pub fn for_each_window<'t>(text: &'t str, min_alnum: usize, mut f: impl FnMut(&Window<'t>)) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Fast skip of everything that cannot start a window.
        let Some(mut len) = window_char_len(b, i) else {
            i += utf8_len(b[i]);
            continue;
        };
        let start = i;
        let mut alnum = 0usize;
        let mut folded_any = false;
        loop {
            if len == 1 {
                alnum += b[i].is_ascii_alphanumeric() as usize;
            } else if len == 3 {
                let c = text[i..i + 3].chars().next().unwrap_or(' ');
                let folded = fold_char(c);
                folded_any |= folded != c;
                alnum += folded.is_ascii_alphanumeric() as usize;
            }
            i += len;
            match (i < b.len()).then(|| window_char_len(b, i)).flatten() {
                Some(l) => len = l,
                None => break,
            }
        }
        if alnum >= min_alnum {
            f(&make_window(text, start, i, alnum, folded_any));
        }
    }
}

fn make_window(text: &str, start: usize, end: usize, alnum: usize, folded_any: bool) -> Window<'_> {
    let raw = &text[start..end];
    if !folded_any {
        return Window {
            start,
            end,
            folded: Cow::Borrowed(raw),
            alnum,
            map: None,
        };
    }
    let mut folded = String::with_capacity(raw.len());
    let mut map = Vec::with_capacity(raw.len() + 1);
    for (off, c) in raw.char_indices() {
        let f = fold_char(c);
        for _ in 0..f.len_utf8() {
            map.push(start + off);
        }
        folded.push(f);
    }
    map.push(end);
    Window {
        start,
        end,
        folded: Cow::Owned(folded),
        alnum,
        map: Some(map),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(text: &str) -> Vec<(String, usize, usize)> {
        let mut v = Vec::new();
        for_each_window(text, 1, |w| v.push((w.folded.to_string(), w.start, w.end)));
        v
    }

    #[test]
    fn splits_on_han_and_folds_full_width() {
        let t = "电话０７１１-４７０９３１７。身份证号420704x与";
        let w = windows(t);
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].0, "0711-4709317");
        assert_eq!(&t[w[0].1..w[0].2], "０７１１-４７０９３１７");
        assert_eq!(w[1].0, "420704x");
        assert_eq!(windows("电话0573—82632102")[0].0, "0573-82632102");
    }

    #[test]
    fn maps_folded_offsets_back() {
        let t = "号Ａ1";
        let mut seen = false;
        for_each_window(t, 1, |w| {
            assert_eq!(w.orig(0), 3);
            assert_eq!(w.orig(1), 6);
            assert_eq!(w.orig(2), 7);
            seen = true;
        });
        assert!(seen);
    }
}
