//! The text form of a closed set (a state, a status, a mode) as it is shown,
//! parsed and stored in a text column.

/// Gives an enum with `ALL` and `as_str` its text form: `Display`, `FromStr`
/// (an error names the values it accepts), and diesel's `FromSql`/`ToSql`
/// for a `Text` column on every backend, so a stored value that is not a
/// variant fails the read instead of becoming a default. The enum derives
/// `diesel::AsExpression` and `diesel::FromSqlRow` with
/// `#[diesel(sql_type = diesel::sql_types::Text)]`; it then reads, writes and
/// filters as itself, `Option` (a nullable column) included.
macro_rules! text_enum {
    ($type:ty, $what:literal) => {
        impl ::std::fmt::Display for $type {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $type {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL
                    .into_iter()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| {
                        let known: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        format!(
                            concat!("unknown ", $what, " {:?} ({})"),
                            s,
                            known.join(", ")
                        )
                    })
            }
        }

        impl<DB> ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB> for $type
        where
            DB: ::diesel::backend::Backend,
            String: ::diesel::deserialize::FromSql<::diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> ::diesel::deserialize::Result<Self> {
                let text = <String as ::diesel::deserialize::FromSql<
                    ::diesel::sql_types::Text,
                    DB,
                >>::from_sql(bytes)?;
                Ok(text.parse::<$type>()?)
            }
        }

        impl<DB> ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB> for $type
        where
            DB: ::diesel::backend::Backend,
            str: ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut ::diesel::serialize::Output<'b, '_, DB>,
            ) -> ::diesel::serialize::Result {
                <str as ::diesel::serialize::ToSql<::diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }
    };
}

/// The `TryFrom<String>` / `Into<String>` pair diesel reads and writes a text
/// column through (`#[diesel(deserialize_as = String, serialize_as = String)]`),
/// by the type's own `FromStr` and `as_str`: for the scanner's enums, which
/// parse their own way and keep `scan` free of the database.
macro_rules! text_column {
    ($type:ty) => {
        impl TryFrom<String> for $type {
            type Error = <$type as ::std::str::FromStr>::Err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$type> for String {
            fn from(v: $type) -> String {
                v.as_str().to_string()
            }
        }
    };
}

pub(crate) use {text_column, text_enum};

#[cfg(test)]
mod tests {
    #[derive(Debug, Clone, Copy, PartialEq, diesel::AsExpression, diesel::FromSqlRow)]
    #[diesel(sql_type = diesel::sql_types::Text)]
    enum Mode {
        On,
        Off,
    }

    impl Mode {
        const ALL: [Mode; 2] = [Mode::On, Mode::Off];
        fn as_str(self) -> &'static str {
            match self {
                Mode::On => "on",
                Mode::Off => "off",
            }
        }
    }

    super::text_enum!(Mode, "mode");

    #[test]
    fn round_trips_and_names_what_it_accepts() {
        for m in Mode::ALL {
            assert_eq!(m.to_string().parse(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        assert_eq!(
            "auto".parse::<Mode>(),
            Err("unknown mode \"auto\" (on, off)".to_string())
        );
    }
}
