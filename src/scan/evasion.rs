//! A view of the text that invisible and look-alike characters cannot
//! dodge. A zero-width space inside an ID number, or 機密 for 机密, used to
//! remove the finding; the detectors now run over a view with such
//! characters removed or folded, and every finding's offsets are led back to
//! the original text — its span then covers the invisible characters inside
//! it, so the redacted rendition masks them too.
//!
//! Most text holds none of these characters and is scanned as it is.

/// What a character becomes in the view: dropped, folded, or kept.
fn view_of(c: char) -> Option<Option<char>> {
    match c {
        // Default-ignorable and format characters: zero-width space, joiners
        // and non-joiners, direction marks and bidi controls, word joiner and
        // invisible operators, soft hyphen, Mongolian vowel separator, the
        // BOM, variation selectors, interlinear annotation marks.
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{115F}'
        | '\u{1160}'
        | '\u{17B4}'
        | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFB}' => Some(None),
        // Mathematical digits (bold, double-struck, sans-serif, monospace): NFKC.
        '\u{1D7CE}'..='\u{1D7FF}' => Some(char::from_digit((c as u32 - 0x1D7CE) % 10, 10)),
        // Traditional forms of the marking words, and the hollow star.
        '機' => Some(Some('机')),
        '祕' => Some(Some('秘')),
        '絕' => Some(Some('绝')),
        '☆' => Some(Some('★')),
        _ => None,
    }
}

/// A character that is there but not seen (zero-width, bidi control, ...).
pub fn is_invisible(c: char) -> bool {
    view_of(c) == Some(None)
}

/// The text as the detectors see it, with the way back.
pub struct View {
    pub text: String,
    /// Per byte of `text`: the original byte range of the character it came from.
    origin: Vec<(usize, usize)>,
}

impl View {
    /// The view of `text`, or `None` when it has nothing to remove or fold.
    pub fn of(text: &str) -> Option<View> {
        if text.is_ascii() || !text.chars().any(|c| view_of(c).is_some()) {
            return None;
        }
        let mut view = View {
            text: String::with_capacity(text.len()),
            origin: Vec::with_capacity(text.len()),
        };
        for (at, c) in text.char_indices() {
            let range = (at, at + c.len_utf8());
            let shown = match view_of(c) {
                Some(None) => continue,
                Some(Some(folded)) => folded,
                None => c,
            };
            view.text.push(shown);
            view.origin
                .extend(std::iter::repeat_n(range, shown.len_utf8()));
        }
        Some(view)
    }

    /// The original byte range of the view's range `start..end` (a
    /// non-empty range on char boundaries).
    pub fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let first = self.origin.get(start).map(|r| r.0);
        let last = end
            .checked_sub(1)
            .and_then(|i| self.origin.get(i))
            .map(|r| r.1);
        match (first, last) {
            (Some(s), Some(e)) if e >= s => (s, e),
            // An empty range: where it would begin.
            (Some(s), _) => (s, s),
            _ => {
                let past = self.origin.last().map_or(0, |r| r.1);
                (past, past)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_and_folds_and_leads_back() {
        let text = "身份证4207\u{200B}04198503121233，𝟏𝟑8，機密★";
        let view = View::of(text).unwrap();
        assert_eq!(view.text, "身份证420704198503121233，138，机密★");
        let start = view.text.find("4207").unwrap();
        let end = start + "420704198503121233".len();
        let (s, e) = view.original(start, end);
        assert_eq!(&text[s..e], "4207\u{200B}04198503121233");
        let m = view.text.find("138").unwrap();
        let (s, e) = view.original(m, m + 3);
        assert_eq!(&text[s..e], "𝟏𝟑8");
        assert!(View::of("普通文本 plain").is_none());
    }
}
