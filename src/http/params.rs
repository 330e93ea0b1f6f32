//! Query parameters shared by the paged routes, typed so that they are
//! validated exactly as the API document describes them: a value the
//! document allows is never refused, one it forbids is a 400 naming it.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

use crate::error::{AppError, AppResult};

/// The query string as `T`, like `web::Query`, but a refusal names the
/// parameter: `400 invalid query parameter state: unknown variant ...`.
pub struct Query<T>(T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> AppResult<T> {
    let parsed = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(parsed).map_err(|err| {
        let parameter = err.path().to_string();
        let problem = err.into_inner();
        AppError::BadRequest(match parameter.as_str() {
            "." => format!("invalid query: {problem}"),
            name => format!("invalid query parameter {name}: {problem}"),
        })
    })
}

/// Items per page: 1 to 200, 50 when absent.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
pub struct Limit(i64);

pub const MAX_LIMIT: i64 = 200;

impl TryFrom<i64> for Limit {
    type Error = String;

    fn try_from(n: i64) -> Result<Self, String> {
        if (1..=MAX_LIMIT).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("limit must be between 1 and {MAX_LIMIT}, not {n}"))
        }
    }
}

impl Limit {
    pub fn get(limit: Option<Limit>) -> Option<i64> {
        limit.map(|l| l.0)
    }
}

impl PartialSchema for Limit {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_LIMIT))
            .default(Some(50.into()))
            .into()
    }
}

impl ToSchema for Limit {}

/// `?cursor=&limit=` of a keyset-paged list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// The `next_cursor` of the page before; absent for the first page.
    pub cursor: Option<String>,
    #[param(inline)]
    pub limit: Option<Limit>,
}

impl PageQuery {
    pub fn limit(&self) -> Option<i64> {
        Limit::get(self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        state: Option<crate::workflow::State>,
        limit: Option<Limit>,
    }

    fn refusal(query: &str) -> String {
        match parse_query::<Sample>(query) {
            Err(AppError::BadRequest(message)) => message,
            other => panic!("{query}: {other:?}"),
        }
    }

    #[test]
    fn a_refused_query_names_its_parameter() {
        assert!(parse_query::<Sample>("state=published&limit=200").is_ok());
        assert!(refusal("limit=0").starts_with("invalid query parameter limit: limit must be"));
        assert!(refusal("limit=x").starts_with("invalid query parameter limit:"));
        assert!(refusal("state=nope").starts_with("invalid query parameter state: unknown variant"));
        assert!(
            refusal("colour=red").contains("colour"),
            "{}",
            refusal("colour=red")
        );
    }
}
