//! Filing releases, new versions, reading them, withdrawal and retraction.

use actix_multipart::Multipart;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::super::multipart;
use super::super::params::{Limit, PageQuery, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::ids::ReleaseId;
use crate::policy::Role;
use crate::service::releases::{
    self, FindingView, ListFilter, NewRelease, Page, ReleaseMeta, ReleaseSummary, ReleaseView,
};
use crate::workflow::{Note, State};

/// Rejects an oversized request from its Content-Length before reading it.
fn check_length(req: &HttpRequest, max: u64) -> AppResult<()> {
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Multipart framing adds a little; the exact limit is enforced while streaming.
    if declared.is_some_and(|n| n > max + 64 * 1024) {
        return Err(AppError::TooLarge(format!(
            "the upload exceeds the limit of {max} bytes"
        )));
    }
    Ok(())
}

/// The multipart body of a filing, as `http::multipart::read` reads it.
/// Only the API document uses these two types: the parts are streamed, not
/// deserialized into them.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Filing {
    /// The release's metadata, as JSON.
    meta: ReleaseMeta,
    /// One part per file, each with a filename.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    file: Vec<Vec<u8>>,
}

/// The multipart body of a new version.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Revision {
    /// New metadata, as JSON; absent or null keeps the current metadata.
    meta: Option<ReleaseMeta>,
    /// One part per file, each with a filename.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    file: Vec<Vec<u8>>,
}

/// Files a release: the files are stored and the release answers at once
/// in `scanning`; the inspection job then moves it into review (or blocks
/// it on what was found, or on a file it could not read: `SCAN_FAILED`).
#[utoipa::path(
    tag = "releases",
    request_body(content = Filing, content_type = "multipart/form-data"),
    responses(
        (status = CREATED, body = ReleaseView),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNSUPPORTED_MEDIA_TYPE, description = "a file of a kind the service cannot read", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_department`, `co_departments_invalid`, `invalid_file`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases")]
pub(super) async fn submit_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    user.require(Role::Submitter)?;
    let max = state.settings.max_upload_bytes;
    check_length(&req, max)?;
    let form = multipart::read(payload, &state.store, max).await?;
    let meta = form
        .meta
        .ok_or_else(|| AppError::BadRequest("the \"meta\" part is required".into()))?;
    let release =
        releases::file_release(&state, user, NewRelease::try_from(meta)?, form.files).await?;
    Ok(HttpResponse::Created().json(release))
}

/// A new version of a release: approvals of the old one are dismissed and
/// the release is `scanning` again until its files are inspected.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    request_body(content = Revision, content_type = "multipart/form-data"),
    responses(
        (status = CREATED, body = ReleaseView),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`, `release_changed`", body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNSUPPORTED_MEDIA_TYPE, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`department_fixed`, `unknown_department`, `co_departments_invalid`, `invalid_file`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/versions")]
pub(super) async fn add_version(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    req: HttpRequest,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    user.require(Role::Submitter)?;
    let max = state.settings.max_upload_bytes;
    check_length(&req, max)?;
    let form = multipart::read(payload, &state.store, max).await?;
    let meta = form.meta.map(NewRelease::try_from).transpose()?;
    let release = releases::revise_release(&state, user, id.into_inner(), meta, form.files).await?;
    Ok(HttpResponse::Created().json(release))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<State>,
    /// A department code.
    department: Option<String>,
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Releases the caller may read, newest first.
#[utoipa::path(
    tag = "releases",
    params(ListQuery),
    responses((status = OK, body = Page<ReleaseSummary>)),
    security(("bearer" = []))
)]
#[get("/releases")]
pub(super) async fn list_releases(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| {
            let filter = ListFilter {
                state: q.state,
                department: q.department,
            };
            releases::list(
                conn,
                &user,
                &filter,
                q.cursor.as_deref(),
                Limit::get(q.limit),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A release with its versions, stages, decisions and finding counts.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses((status = OK, body = ReleaseView), (status = NOT_FOUND, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/releases/{id}")]
pub(super) async fn get_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
) -> AppResult<HttpResponse> {
    let release = state
        .call(move |st, conn| releases::view(st, conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Findings of the current version, values masked.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path), PageQuery),
    responses((status = OK, body = Page<FindingView>), (status = NOT_FOUND, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/releases/{id}/findings")]
pub(super) async fn list_findings(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| releases::findings_page(conn, &user, &id, q.cursor.as_deref(), q.limit()))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReasonBody {
    pub(super) reason: Note,
}

/// The submitter (or the department's approver) withdraws a release before publication.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/withdraw")]
pub(super) async fn withdraw_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    body: web::Json<ReasonBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::withdraw(st, conn, &user, &id, &body.reason))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Takes a published release off the public catalogue (emergency).
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/retract")]
pub(super) async fn retract_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    body: web::Json<ReasonBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::retract(st, conn, &user, &id, &body.reason))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}
