//! Delegations: a reviewer on leave hands their work to a colleague.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::parse_time;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::service::delegations::{self, DelegationView};
use crate::workflow::Note;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DelegationBody {
    /// The colleague's username (same department, same reviewing roles).
    to: String,
    /// Start of the absence (RFC 3339).
    #[schema(format = DateTime)]
    from: String,
    /// End of the absence (RFC 3339), at most 92 days after `from`.
    #[schema(format = DateTime)]
    until: String,
    #[serde(default)]
    note: Note,
}

/// Hands the caller's work to a colleague for a period.
#[utoipa::path(
    tag = "review",
    responses(
        (status = CREATED, body = DelegationView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`invalid_delegation`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/delegations")]
pub(super) async fn add_delegation(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<DelegationBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let period = (
        parse_time("from", &body.from)?,
        parse_time("until", &body.until)?,
    );
    let made = state
        .write(move |_, conn| delegations::add(conn, &user, &body.to, period, &body.note))
        .await?;
    Ok(HttpResponse::Created().json(made))
}

/// Delegations the caller gave or received that have not ended.
#[utoipa::path(
    tag = "review",
    responses((status = OK, body = Vec<DelegationView>)),
    security(("bearer" = []))
)]
#[get("/delegations")]
pub(super) async fn list_delegations(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    let rows = state
        .run(move |conn| delegations::list(conn, &user))
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Ends a delegation early.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = DelegationView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`exists`: already ended", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/delegations/{id}")]
pub(super) async fn revoke_delegation(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let ended = state
        .write(move |_, conn| delegations::revoke(conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(ended))
}
