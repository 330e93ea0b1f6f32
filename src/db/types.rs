//! Column types richer than their SQL: parsed when a row is read, so a bad
//! stored value is an error at the boundary rather than a silent default.

use std::ops::Deref;

/// A JSON array of codes or names in a text column (`releases.co_departments`,
/// `catalogue_items.fields`). A
/// value that does not parse fails the read: an empty list would silently
/// drop the co-department sign-off stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodeList(pub Vec<String>);

impl TryFrom<String> for CodeList {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        serde_json::from_str(&text)
            .map(Self)
            .map_err(|e| format!("{text:?} is not a JSON list of codes: {e}"))
    }
}

impl From<CodeList> for String {
    fn from(list: CodeList) -> String {
        // A list of strings always serialises.
        serde_json::to_string(&list.0).unwrap_or_else(|_| "[]".into())
    }
}

impl Deref for CodeList {
    type Target = [String];
    fn deref(&self) -> &[String] {
        &self.0
    }
}

/// A JSON value in a text column (`findings.location`). Text that is not
/// JSON fails the read: a finding whose place cannot be shown would
/// otherwise reach a reviewer as `null`.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonText(pub serde_json::Value);

impl TryFrom<String> for JsonText {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        serde_json::from_str(&text)
            .map(Self)
            .map_err(|e| format!("{text:?} is not JSON: {e}"))
    }
}

impl From<JsonText> for String {
    fn from(json: JsonText) -> String {
        json.0.to_string()
    }
}

impl From<serde_json::Value> for JsonText {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

/// A snake_case enum read back from its text column by its serde name. An
/// unknown value fails the read like any other bad column: the column holds
/// what we wrote.
pub fn stored_enum<T: serde::de::DeserializeOwned>(
    what: &str,
    value: &str,
) -> Result<T, diesel::result::Error> {
    serde_json::from_value(serde_json::Value::String(value.into())).map_err(|_| {
        diesel::result::Error::DeserializationError(
            format!("unknown stored {what} {value:?}").into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_a_list() {
        let list = CodeList(vec!["TJJ".into(), "DSJ".into()]);
        let text: String = list.clone().into();
        assert_eq!(CodeList::try_from(text).unwrap(), list);
        assert!(CodeList::try_from("TJJ,DSJ".to_string()).is_err());
        assert!(CodeList::try_from("{\"a\":1}".to_string()).is_err());
    }

    #[test]
    fn json_text_round_trips_and_refuses_what_is_not_json() {
        let json = JsonText(serde_json::json!({"file": "a.csv", "cell": "B2"}));
        let text: String = json.clone().into();
        assert_eq!(JsonText::try_from(text).unwrap(), json);
        assert!(JsonText::try_from("{\"file\": ".to_string()).is_err());
    }
}
