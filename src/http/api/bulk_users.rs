//! Public accounts for administrators, and the quota of a registered bulk
//! user (注册登记).

use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::params::{Limit, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::service::public::{self, AccountAdminView, AccountFilter};
use crate::service::releases::{clamp_limit, Page};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountQuery {
    /// A piece of the e-mail address, name or organisation (any case).
    #[param(max_length = 200)]
    q: Option<String>,
    /// `true`: only registered bulk users.
    bulk: Option<bool>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Public accounts, newest first.
#[utoipa::path(
    tag = "accounts",
    params(AccountQuery),
    responses((status = OK, body = Page<AccountAdminView>), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/public-accounts")]
pub(super) async fn list_public_accounts(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<AccountQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = clamp_limit(Limit::get(q.limit));
    let filter = AccountFilter {
        q: q.q,
        bulk: q.bulk.unwrap_or(false),
    };
    let page = state
        .run(move |conn| public::list_accounts(conn, &user, &filter, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct QuotaBody {
    /// Requests per minute for the account as a whole, in place of the
    /// default; not capped per address.
    #[schema(minimum = 1, maximum = 60000)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    requests_per_minute: i32,
    /// Why (the agreement or use it serves); kept in the audit log.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    reason: String,
}

/// Registers an organisation's account as a bulk user with its own quota,
/// or changes the quota. Applies on the account's next request.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path)),
    request_body = QuotaBody,
    responses(
        (status = OK, body = AccountAdminView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "no such account", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`organisation_required`: the account names no organisation", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/public-accounts/{id}/quota")]
pub(super) async fn set_quota(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<QuotaBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let view = state
        .write(move |_, conn| {
            public::set_quota(conn, &user, &id, body.requests_per_minute, &body.reason)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Puts a bulk user back on the default quota.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path)),
    responses(
        (status = NO_CONTENT, description = "back on the default quota"),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "no such account, or it has no quota of its own", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/public-accounts/{id}/quota")]
pub(super) async fn remove_quota(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    state
        .write(move |_, conn| public::remove_quota(conn, &user, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
