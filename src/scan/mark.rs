//! Secrecy markings (`绝密★长期`, `密级：机密★5年`, `工作秘密`, `内部资料 注意保存`).
//!
//! A level word is everywhere in policy prose (`保护国家秘密`), so a bare level
//! counts only where a marking is written: alone on a header/stamp line, alone
//! in brackets, as the value of a `密级` field or cell. Forms with `★` count
//! wherever they occur, but for one quoted as an example in a sentence.

use super::context::TextCtx;
use super::engine::context_confidence;
use super::kinds::{required_lexicon, Coded, Found};
use super::normalize::{fold_char, is_blank, is_digit, is_han, skip_chars};
use super::pack::DetectorDef;
use crate::policy_error::PolicyError;

pub const LEXICON: &[&str] = &[
    "levels",
    "standalone",
    "field_labels",
    "term_words",
    "suffixes",
];

pub struct MarkDetector {
    def: DetectorDef,
    /// `绝密`, `机密`, `秘密`
    levels: Vec<String>,
    /// Markings without a level and star: `工作秘密`, `内部资料`.
    standalone: Vec<String>,
    /// `密级`: the label is inside the span.
    field_labels: Vec<String>,
    /// Terms after the star without a number: `长期`.
    term_words: Vec<String>,
    /// Phrases that may follow a standalone marking: `注意保存`.
    suffixes: Vec<String>,
}

const STAR: &str = "★";
const CHINESE_NUMERALS: &str = "〇零一二两三四五六七八九十";

impl MarkDetector {
    pub fn new(def: &DetectorDef) -> Result<Self, PolicyError> {
        Ok(Self {
            def: def.clone(),
            levels: required_lexicon(def, "levels")?.to_vec(),
            standalone: required_lexicon(def, "standalone")?.to_vec(),
            field_labels: required_lexicon(def, "field_labels")?.to_vec(),
            term_words: required_lexicon(def, "term_words")?.to_vec(),
            suffixes: super::kinds::lexicon(def, "suffixes").to_vec(),
        })
    }

    /// `level [spaces ★ [spaces term]]` at `pos`; returns (end, has_star).
    fn level_form(&self, text: &str, pos: usize) -> Option<(usize, bool)> {
        let level = self
            .levels
            .iter()
            .find(|l| text[pos..].starts_with(l.as_str()))?;
        let end = pos + level.len();
        let after = skip_chars(text, end, usize::MAX, is_blank);
        if !text[after..].starts_with(STAR) {
            return Some((end, false));
        }
        let star_end = after + STAR.len();
        let term_start = skip_chars(text, star_end, usize::MAX, is_blank);
        Some((self.term(text, term_start).unwrap_or(star_end), true))
    }

    /// `长期`, `启用前`, `N年`, `N个月` at `pos`.
    fn term(&self, text: &str, pos: usize) -> Option<usize> {
        let rest = &text[pos..];
        if let Some(w) = self
            .term_words
            .iter()
            .find(|w| rest.starts_with(w.as_str()))
        {
            return Some(pos + w.len());
        }
        // Arabic or Chinese numerals: `5年`, `三年`, `二十年`, `六个月`.
        let digits: usize = rest
            .chars()
            .take_while(|c| is_digit(*c) || CHINESE_NUMERALS.contains(*c))
            .map(char::len_utf8)
            .sum();
        if digits == 0 {
            return None;
        }
        let unit = &rest[digits..];
        ["个月", "年"]
            .iter()
            .find(|u| unit.starts_with(*u))
            .map(|u| pos + digits + u.len())
    }

    /// Whether `start..end` stands where a marking is written.
    fn in_marking_position(&self, cx: &TextCtx, start: usize, end: usize) -> bool {
        let text = cx.text;
        let line = text[cx.line_start(start)..cx.line_end(end)]
            .trim_matches(|c: char| c.is_whitespace() || "【】（）()[]〔〕".contains(c));
        if line == &text[start..end] {
            return true;
        }
        let prev = text[..start].chars().next_back();
        let next = text[end..].chars().next();
        let opens = |c: Option<char>| c.is_some_and(|c| "（(【[".contains(c));
        let closes = |c: Option<char>| c.is_some_and(|c| "）)】]".contains(c));
        if opens(prev) && closes(next) {
            return true;
        }
        let cell_edge = |c: Option<char>| c.is_none_or(|c| matches!(c, ',' | '"' | '\n' | '\r'));
        cell_edge(prev)
            && cell_edge(next)
            && cx
                .column_header(start)
                .is_some_and(|h| self.field_labels.iter().any(|l| h.contains(l.as_str())))
    }

    /// Whether `start..end` is quoted as an example in a sentence
    /// (`例如"机密★5年"表示`, `标注“秘密★启用前”的`): quotes around it and
    /// running text against either quote. A quoted marking alone on its
    /// line or after `密级：` is still one.
    fn quoted_in_prose(text: &str, start: usize, end: usize) -> bool {
        let mut before = text[..start].chars().rev();
        let mut after = text[end..].chars();
        let (Some(open), Some(close)) = (before.next(), after.next()) else {
            return false;
        };
        let quoted = matches!(
            (open, close),
            ('"', '"') | ('“', '”') | ('「', '」') | ('『', '』') | ('‘', '’')
        );
        quoted && (before.next().is_some_and(is_han) || after.next().is_some_and(is_han))
    }

    fn emit(&self, cx: &TextCtx, start: usize, end: usize, out: &mut Vec<Found>) {
        if let Some(confidence) = context_confidence(cx, &self.def, start) {
            out.push(Found {
                start,
                end,
                confidence,
            });
        }
    }
}

// Trigger groups: levels first, then standalone markings, field labels, the star.
impl Coded for MarkDetector {
    fn triggers(&self) -> Vec<String> {
        let mut t: Vec<String> = self.levels.clone();
        t.extend(self.standalone.iter().cloned());
        t.extend(self.field_labels.iter().cloned());
        t.push(STAR.to_string());
        t
    }

    fn on_trigger(
        &self,
        cx: &TextCtx,
        word: usize,
        start: usize,
        end: usize,
        out: &mut Vec<Found>,
    ) {
        let text = cx.text;
        let n_levels = self.levels.len();
        let n_standalone = self.standalone.len();
        if word < n_levels {
            if let Some((mark_end, star)) = self.level_form(text, start) {
                let marking = if star {
                    !Self::quoted_in_prose(text, start, mark_end)
                } else {
                    self.in_marking_position(cx, start, mark_end)
                };
                if marking {
                    self.emit(cx, start, mark_end, out);
                }
            }
        } else if word < n_levels + n_standalone {
            let mut mark_end = end;
            let after = text[end..].chars().next();
            if after.is_some_and(|c| matches!(fold_char(c), ' ' | ',') || c == '\u{3000}') {
                let next = end + after.map_or(0, char::len_utf8);
                if let Some(s) = self
                    .suffixes
                    .iter()
                    .find(|s| text[next..].starts_with(s.as_str()))
                {
                    mark_end = next + s.len();
                }
            }
            if self.in_marking_position(cx, start, mark_end) {
                self.emit(cx, start, mark_end, out);
            }
        } else if word < n_levels + n_standalone + self.field_labels.len() {
            // `密级：` + marking; the label is inside the span.
            let rest = &text[end..];
            let Some(colon) = rest.chars().next().filter(|c| *c == '：' || *c == ':') else {
                return;
            };
            let value = skip_chars(text, end + colon.len_utf8(), usize::MAX, is_blank);
            let form_end = self.level_form(text, value).map(|(e, _)| e).or_else(|| {
                self.standalone
                    .iter()
                    .find(|s| text[value..].starts_with(s.as_str()))
                    .map(|s| value + s.len())
            });
            if let Some(e) = form_end {
                self.emit(cx, start, e, out);
            }
        } else {
            // `★机密`
            let level = skip_chars(text, end, usize::MAX, is_blank);
            if let Some(l) = self
                .levels
                .iter()
                .find(|l| text[level..].starts_with(l.as_str()))
            {
                self.emit(cx, start, level + l.len(), out);
            }
        }
    }
}
