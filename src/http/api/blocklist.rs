//! The public blocklist (黑名单), for administrators.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::params::{Limit, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::service::public::{self, BlockKind, BlockView};
use crate::service::releases::{clamp_limit, Page};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BlockBody {
    kind: BlockKind,
    /// An account id, a key id, or an address or CIDR range.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    value: String,
    /// Why; kept on record and told to the refused caller.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    reason: String,
}

/// Blocks a public account, an API key or an address range on every
/// public route, at once.
#[utoipa::path(
    tag = "accounts",
    request_body = BlockBody,
    responses(
        (status = CREATED, body = BlockView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "no such account or key", body = ErrorBody),
        (status = CONFLICT, description = "`exists`: blocked already", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`invalid_address`: an `ip` value that is not an address or a CIDR range", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/blocklist")]
pub(super) async fn add_block(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<BlockBody>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let view = state
        .write(move |_, conn| public::add_block(conn, &user, body.kind, &body.value, &body.reason))
        .await?;
    state.blocked_ranges.invalidate();
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct BlockQuery {
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Every entry, active and removed, newest first.
#[utoipa::path(
    tag = "accounts",
    params(BlockQuery),
    responses((status = OK, body = Page<BlockView>), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/blocklist")]
pub(super) async fn list_blocks(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<BlockQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let limit = clamp_limit(Limit::get(q.limit));
    let page = state
        .run(move |conn| public::list_blocks(conn, &user, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Lifts a block; the entry stays on record with its removal time.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path)),
    responses(
        (status = NO_CONTENT, description = "lifted"),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "no active block with this id", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/blocklist/{id}")]
pub(super) async fn remove_block(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    state
        .write(move |_, conn| public::remove_block(conn, &user, &id))
        .await?;
    state.blocked_ranges.invalidate();
    Ok(HttpResponse::NoContent().finish())
}
