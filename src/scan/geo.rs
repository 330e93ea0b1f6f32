//! Latitude/longitude pairs: decimal degrees with at least four decimals,
//! or two after a hemisphere in words (`北纬29.62度`: about a kilometre;
//! `东经114.1度` describes a region) (`°` or `度` after them), or
//! degrees-minutes-seconds, each with optional hemisphere prefix (`北纬`, `N`)
//! and suffix letter, separated by a comma, `、`, `;`, `/` or whitespace.

use super::context::TextCtx;
use super::kinds::{Coded, Found};
use super::normalize::{fold_char, is_blank, is_digit, skip_chars, Window};

pub struct GeoDetector;

const HAN_HEMISPHERES: [&str; 4] = ["北纬", "南纬", "东经", "西经"];
const MIN_DECIMALS: usize = 4;

fn digits_len(s: &str) -> usize {
    s.chars()
        .take_while(|c| is_digit(*c))
        .map(char::len_utf8)
        .sum()
}

/// One coordinate starting exactly at `pos`; returns its end.
fn coordinate(text: &str, pos: usize) -> Option<usize> {
    let mut p = pos;
    // A hemisphere in words says what the number is: then two decimals
    // (about a kilometre) do (`北纬29.62度`), where a bare pair needs four
    // to be no other pair of numbers; one (`东经114.1度`) names a region.
    let mut min_decimals = MIN_DECIMALS;
    if let Some(h) = HAN_HEMISPHERES.iter().find(|h| text[p..].starts_with(*h)) {
        // `北纬 30°…`: notices often leave a blank after the hemisphere.
        p = skip_chars(text, p + h.len(), 2, is_blank);
        min_decimals = 2;
    } else if let Some(c) = text[p..]
        .chars()
        .next()
        .filter(|c| "NSEW".contains(fold_char(*c)))
    {
        p += c.len_utf8();
        p += text[p..].starts_with(' ') as usize;
    }
    let int = digits_len(&text[p..]);
    // Degrees: at most 180 (up to three digits, ASCII or full-width).
    let digits = text[p..p + int]
        .chars()
        .map(|c| fold_char(c) as u32 - '0' as u32);
    let count = text[p..p + int].chars().count();
    if !(1..=3).contains(&count) || digits.fold(0, |acc, d| acc * 10 + d) > 180 {
        return None;
    }
    p += int;
    let rest = &text[p..];
    if rest.starts_with('.') || rest.starts_with('．') {
        let dot = rest.chars().next().map_or(1, char::len_utf8);
        let frac = digits_len(&rest[dot..]);
        if rest[dot..dot + frac].chars().count() < min_decimals {
            return None;
        }
        p += dot + frac;
        // `30.5928°`, or `30.5928度` as notices write it in words.
        if let Some(sign) = text[p..].chars().next().filter(|c| matches!(c, '°' | '度')) {
            p += sign.len_utf8();
        }
    } else if text[p..].starts_with('°') {
        p += '°'.len_utf8();
        // minutes and seconds
        for marks in [&['′', '\''][..], &['″', '"'][..]] {
            let d = digits_len(&text[p..]);
            if d == 0 {
                break;
            }
            let mut q = p + d;
            if text[q..].starts_with('.') {
                q += 1 + digits_len(&text[q + 1..]);
            }
            match text[q..].chars().next().filter(|c| marks.contains(c)) {
                Some(c) => p = q + c.len_utf8(),
                None => break,
            }
        }
        if !text[pos..p].contains(['′', '\'']) {
            return None;
        }
    } else {
        return None;
    }
    if let Some(c) = text[p..].chars().next().filter(|c| "NSEW".contains(*c)) {
        p += c.len_utf8();
    }
    // Not a coordinate when glued to more digits/letters (`30.391245a`).
    match text[p..].chars().next() {
        Some(c) if c.is_ascii_alphanumeric() => None,
        _ => Some(p),
    }
}

/// Separator between the two coordinates; returns where the second begins.
fn separator(text: &str, pos: usize) -> Option<usize> {
    let mut p = pos;
    let mut seen = false;
    for c in text[pos..].chars() {
        match c {
            ',' | '，' | '、' | ';' | '；' | '/' if !seen => seen = true,
            ' ' | '\u{3000}' => {}
            _ => break,
        }
        p += c.len_utf8();
    }
    (p > pos).then_some(p)
}

impl Coded for GeoDetector {
    fn wants_windows(&self) -> bool {
        true
    }

    /// Coordinates always contain digits, so every pair overlaps a window;
    /// try each token start in the window (and the Han prefix just before it).
    fn on_window(&self, cx: &TextCtx, w: &Window, out: &mut Vec<Found>) {
        if !w.folded.contains(['.', '°']) {
            return;
        }
        let text = cx.text;
        let mut p = w.start;
        while p < w.end {
            let c = text[p..].chars().next().unwrap_or(' ');
            let token_start = text[..p]
                .chars()
                .next_back()
                .is_none_or(|b| !fold_char(b).is_ascii_alphanumeric() && b != '.');
            if token_start && (is_digit(c) || "NSEW".contains(fold_char(c))) {
                let before = text[..p].trim_end_matches(is_blank);
                let start = HAN_HEMISPHERES
                    .iter()
                    .find(|h| before.ends_with(*h))
                    .map_or(p, |h| before.len() - h.len());
                if let Some(first) = coordinate(text, start) {
                    let second =
                        separator(text, first).and_then(|s| Some((s, coordinate(text, s)?)));
                    if let Some((_, end)) = second {
                        out.push(Found {
                            start,
                            end,
                            confidence: 0.9,
                        });
                        p = end.max(p + c.len_utf8());
                        continue;
                    }
                }
            }
            p += c.len_utf8();
        }
    }
}
