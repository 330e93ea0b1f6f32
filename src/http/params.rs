//! Query parameters shared by the paged routes, typed so that they are
//! validated exactly as the API document describes them: a value the
//! document allows is never refused, one it forbids is a 400 naming it.

use serde::Deserialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

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
