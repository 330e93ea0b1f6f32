//! Free-text fields as every service takes them: trimmed and bounded, so a
//! refusal names the field and the limit.

use crate::error::{AppError, AppResult};

/// A required field: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::BadRequest(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(AppError::BadRequest(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(value.to_string())
}

/// An optional field: blank is absent, otherwise as `required_text`.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> AppResult<Option<String>> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| required_text(field, v, max))
        .transpose()
}

/// An integer as JSON Schema counts them: `3` and `3.0` alike.
pub fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = <serde_json::Number as serde::Deserialize>::deserialize(d)?;
    n.as_i64()
        .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
        .and_then(|i| i32::try_from(i).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_bounds_and_names_the_field() {
        assert_eq!(required_text("title", "  数据 ", 5).unwrap(), "数据");
        let err = required_text("title", "   ", 5).unwrap_err().to_string();
        assert!(err.contains("title must not be empty"), "{err}");
        let err = required_text("title", "一二三四五六", 5)
            .unwrap_err()
            .to_string();
        assert!(err.contains("at most 5"), "{err}");
        assert_eq!(optional_text("reason", Some("  "), 5).unwrap(), None);
        assert_eq!(optional_text("reason", None, 5).unwrap(), None);
        assert!(optional_text("reason", Some("一二三四五六"), 5).is_err());
    }
}
