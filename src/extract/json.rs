//! JSON: one segment per non-empty string value, and per integer literal of
//! 7+ digits (phone numbers and IDs stored as numbers), located by
//! `json_path`. Keys that carry data are segments too (`{"王建国": …}`,
//! `{"420704…": …}`), located by the member's path with a `~` suffix (the
//! JSONPath-Plus mark for a property name); schema names (short ASCII
//! identifiers such as `phone`) are not, so an ordinary document does not
//! double its segments.
//!
//! A small recursive-descent reader rather than `serde_json::Value`, because
//! redaction needs each value's span and big integers must keep every digit.

use super::text::finish;
use super::{
    encoding, ExtractError, FileKind, Limits, Location, Parsed, Reserialise, Segment, SourceSpan,
};

/// Deeper nesting is refused: it is never real data and would exhaust the stack.
const MAX_DEPTH: usize = 256;
/// Integer literals with at least this many digits are scanned as text.
const ID_LIKE_DIGITS: usize = 7;

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let decoded = encoding::decode(bytes)?;
    let mut reader = Reader {
        text: &decoded.text,
        pos: 0,
        path: String::from("$"),
        segments: Vec::new(),
        spans: Vec::new(),
    };
    reader.skip_ws();
    reader.value(0)?;
    reader.skip_ws();
    if reader.pos < reader.text.len() {
        return Err(reader.error("unexpected content after the JSON value"));
    }
    let (segments, spans) = (reader.segments, reader.spans);
    if segments.len() > limits.max_cells {
        return Err(ExtractError::too_large(
            "JSON value count",
            limits.max_cells,
        ));
    }
    Ok(finish(FileKind::Json, decoded, segments, spans))
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    path: String,
    segments: Vec<Segment>,
    spans: Vec<SourceSpan>,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn error(&self, what: &str) -> ExtractError {
        let before = &self.text[..self.pos.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        ExtractError::malformed(format!(
            "invalid JSON at line {line} column {column}: {what}"
        ))
    }

    fn expect(&mut self, b: u8) -> Result<(), ExtractError> {
        self.skip_ws();
        if self.peek() != Some(b) {
            return Err(self.error(&format!("expected '{}'", b as char)));
        }
        self.pos += 1;
        Ok(())
    }

    fn push(&mut self, text: String, start: usize, how: Reserialise) {
        self.segments.push(Segment {
            text,
            location: Location::Json {
                json_path: self.path.clone(),
            },
            column: None,
        });
        self.spans.push(SourceSpan {
            start,
            end: self.pos,
            how,
        });
    }

    fn value(&mut self, depth: usize) -> Result<(), ExtractError> {
        if depth > MAX_DEPTH {
            return Err(ExtractError::too_large("JSON nesting depth", MAX_DEPTH));
        }
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => {
                let s = self.string()?;
                if !s.is_empty() {
                    self.push(s, start, Reserialise::JsonString);
                }
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                let literal = &self.text[start..self.pos];
                let digits = literal.trim_start_matches('-');
                if digits.len() >= ID_LIKE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
                    self.push(literal.to_owned(), start, Reserialise::JsonNumber);
                }
                Ok(())
            }
            _ => {
                for word in ["true", "false", "null"] {
                    if self.text[self.pos..].starts_with(word) {
                        self.pos += word.len();
                        return Ok(());
                    }
                }
                Err(self.error("expected a value"))
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), ExtractError> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let len = self.path.len();
            push_key(&mut self.path, &key);
            if !is_schema_name(&key) {
                self.path.push('~');
                self.push(key, key_start, Reserialise::JsonString);
                self.path.pop();
            }
            self.expect(b':')?;
            self.value(depth + 1)?;
            self.path.truncate(len);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), ExtractError> {
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        for index in 0.. {
            let len = self.path.len();
            self.path.push_str(&format!("[{index}]"));
            self.value(depth + 1)?;
            self.path.truncate(len);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
        Ok(())
    }

    fn number(&mut self) -> Result<(), ExtractError> {
        let bytes = self.text.as_bytes();
        let digits = |pos: &mut usize| {
            let from = *pos;
            while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos > from
        };
        let mut pos = self.pos;
        if bytes.get(pos) == Some(&b'-') {
            pos += 1;
        }
        let mut ok = digits(&mut pos);
        if bytes.get(pos) == Some(&b'.') {
            pos += 1;
            ok &= digits(&mut pos);
        }
        if matches!(bytes.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            if matches!(bytes.get(pos), Some(b'+' | b'-')) {
                pos += 1;
            }
            ok &= digits(&mut pos);
        }
        self.pos = pos;
        if ok {
            Ok(())
        } else {
            Err(self.error("malformed number"))
        }
    }

    /// Reads a string literal at `pos` (which is `"`) and returns its value.
    fn string(&mut self) -> Result<String, ExtractError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(stop) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') else {
                return Err(self.error("unterminated string"));
            };
            out.push_str(&rest[..stop]);
            self.pos += stop;
            match self.text.as_bytes()[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                _ => return Err(self.error("control character in string")),
            }
        }
    }

    fn escape(&mut self) -> Result<char, ExtractError> {
        let Some(b) = self.peek() else {
            return Err(self.error("unterminated escape"));
        };
        if !b"\"\\/bfnrtu".contains(&b) {
            return Err(self.error("invalid escape"));
        }
        self.pos += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                if (0xD800..0xDC00).contains(&hi) && self.text[self.pos..].starts_with("\\u") {
                    self.pos += 2;
                    let lo = self.hex4()?;
                    let combined =
                        0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                    char::from_u32(combined).unwrap_or('\u{FFFD}')
                } else {
                    // A lone surrogate cannot be represented; keep a visible marker.
                    char::from_u32(hi).unwrap_or('\u{FFFD}')
                }
            }
            _ => '\u{FFFD}',
        })
    }

    fn hex4(&mut self) -> Result<u32, ExtractError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some(hex) = hex else {
            return Err(self.error("invalid \\u escape"));
        };
        self.pos += 4;
        u32::from_str_radix(hex, 16).map_err(|_| self.error("invalid \\u escape"))
    }
}

/// Longest key read as a schema name rather than as data.
const MAX_SCHEMA_NAME: usize = 15;

/// A key that names a field (`phone`, `id_card`, `createdAt`) rather than
/// holding a value: short, ASCII, starting with a letter or `_`.
fn is_schema_name(key: &str) -> bool {
    let mut chars = key.chars();
    key.len() <= MAX_SCHEMA_NAME
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
}

/// Appends `.key` for identifier-like keys (Unicode letters allowed, so
/// `$.身份证号` reads naturally), `['key']` otherwise.
fn push_key(path: &mut String, key: &str) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str("['");
        path.push_str(&key.replace('\\', "\\\\").replace('\'', "\\'"));
        path.push_str("']");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(json: &str) -> Vec<(String, String)> {
        let parsed = parse(json.as_bytes(), &Limits::unlimited()).unwrap();
        parsed
            .extracted
            .segments
            .into_iter()
            .map(|s| match s.location {
                Location::Json { json_path } => (json_path, s.text),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn string_values_and_id_numbers_with_paths() {
        let json = r#"{"items":[{"name":"张三","phone":13812345678,"age":30}],"a b":"x\"y","身份证号":"420106198501011234","n":null,"big":420106198501011234567}"#;
        assert_eq!(
            paths(json),
            vec![
                ("$.items[0].name".into(), "张三".into()),
                ("$.items[0].phone".into(), "13812345678".into()),
                ("$['a b']~".into(), "a b".into()),
                ("$['a b']".into(), "x\"y".into()),
                ("$.身份证号~".into(), "身份证号".into()),
                ("$.身份证号".into(), "420106198501011234".into()),
                ("$.big".into(), "420106198501011234567".into()),
            ]
        );
        assert_eq!(paths(r#""top""#), vec![("$".into(), "top".into())]);
        assert_eq!(
            paths(r#"["\u4e2d\ud83d\ude00"]"#),
            vec![("$[0]".into(), "中😀".into())]
        );
    }

    #[test]
    fn malformed_json_names_the_place() {
        let err = parse(b"{\n  \"a\": tru }", &Limits::unlimited())
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "malformed file: invalid JSON at line 2 column 8: expected a value"
        );
        assert!(parse(b"[1,2", &Limits::unlimited()).is_err());
        assert!(parse(b"{} x", &Limits::unlimited()).is_err());
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse(deep.as_bytes(), &Limits::unlimited()),
            Err(ExtractError::TooLarge { .. })
        ));
    }
}
