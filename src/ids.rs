//! Typed row ids. Every id is a ULID in a text column; the type says whose
//! it is, so a finding's id passed where a release's is expected does not
//! compile. They read as `&str` (queries, logs, URLs) and serialise as the
//! bare string.

/// Declares an id type: `new()` mints a ULID; `From<String>` wraps one that
/// came from a URL, a row or a payload (an unknown id simply finds nothing).
macro_rules! row_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug,
            Clone,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub struct $name(String);

        impl $name {
            #[allow(clippy::new_without_default)] // a default id would be a fresh one: say so
            pub fn new() -> Self {
                Self(ulid::Ulid::new().to_string())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<ulid::Ulid> for $name {
            fn from(id: ulid::Ulid) -> Self {
                Self(id.to_string())
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(
                    bytes,
                )
                .map(Self)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $name
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    &self.0, out,
                )
            }
        }
    };
}

row_id!(
    /// A release request (`releases.id`), the unit that is reviewed and published.
    ReleaseId
);

row_id!(
    /// One finding of the scanner (`findings.id`), the unit a reviewer dispositions.
    FindingId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_fresh_ulid_and_serialises_as_the_bare_string() {
        let a = ReleaseId::new();
        assert_ne!(a, ReleaseId::new());
        assert_eq!(a.len(), 26);
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{a}\""));
        assert_eq!(serde_json::from_str::<ReleaseId>(&json).unwrap(), a);
    }
}
