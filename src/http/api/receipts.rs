//! Receipts of a release's decisions and publications, to keep and check
//! offline (`releasegate audit verify-receipt`).

use actix_web::{get, web, HttpResponse};

use crate::app::AppState;
use crate::audit::receipt::Receipt;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::ids::ReleaseId;
use crate::service::receipts;

/// One receipt per decision, publication, withdrawal and retraction of the
/// release: the event, its inclusion proof and the signed checkpoint it
/// leads to.
#[utoipa::path(
    tag = "audit",
    params(("id" = String, Path)),
    responses((status = OK, body = Vec<Receipt>), (status = NOT_FOUND, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/releases/{id}/receipts")]
pub(super) async fn list_receipts(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
) -> AppResult<HttpResponse> {
    let list = state
        .run(move |conn| receipts::for_release(conn, &user, &id, None))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One receipt as a file (its canonical JSON), for `releasegate audit
/// verify-receipt FILE --key KEYFILE`.
#[utoipa::path(
    tag = "audit",
    params(("id" = String, Path), ("seq" = i64, Path, description = "The event")),
    responses(
        (status = OK, content_type = "application/json", body = Receipt),
        (status = NOT_FOUND, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/releases/{id}/receipts/{seq}")]
pub(super) async fn download_receipt(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(ReleaseId, i64)>,
) -> AppResult<HttpResponse> {
    let (id, seq) = path.into_inner();
    let file_name = crate::http::export::receipt_name(&id, seq);
    let bytes = state
        .run(move |conn| receipts::one(conn, &user, &id, seq))
        .await?;
    Ok(crate::http::export::receipt(&file_name, bytes))
}
