//! A reviewer's or submitter's free text — a disposition note, a decision
//! comment, a withdrawal or retraction reason — parsed once at the edge.

use std::fmt;

use serde::Deserialize;

/// Trimmed, at most [`Note::MAX_CHARS`] characters, no NUL (which
/// PostgreSQL cannot store in text).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Note(String);

impl Note {
    pub const MAX_CHARS: usize = 4000;

    /// The limit counts the text as sent (the API document's `maxLength`);
    /// what is stored is trimmed.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.chars().count() > Self::MAX_CHARS {
            return Err(format!(
                "a note, comment or reason must be at most {} characters",
                Self::MAX_CHARS
            ));
        }
        if text.contains('\0') {
            return Err("a note, comment or reason must not contain NUL".into());
        }
        Ok(Self(text.trim().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl TryFrom<String> for Note {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl utoipa::PartialSchema for Note {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(Note::MAX_CHARS))
            .pattern(Some("^[^\\u0000]*$"))
            .into()
    }
}

impl utoipa::ToSchema for Note {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(Note::parse("  同意 \n").unwrap().as_str(), "同意");
        assert!(Note::parse(&"字".repeat(Note::MAX_CHARS)).is_ok());
        assert!(Note::parse(&"字".repeat(Note::MAX_CHARS + 1)).is_err());
        assert!(Note::parse("a\0b").is_err());
        assert!(Note::parse("   ").unwrap().is_empty());
    }
}
