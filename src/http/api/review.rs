//! Dispositions, decisions and the reviewer's queue.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::params::{PageQuery, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::ids::{FindingId, ReleaseId};
use crate::service::receipts;
use crate::service::releases::{self, FindingView, Page, QueueItem, ReleaseView};
use crate::workflow::{Decision, Disposition, Note};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DispositionBody {
    disposition: Disposition,
    #[serde(default)]
    note: Note,
}

/// A reviewer's disposition of one finding.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path), ("finding" = String, Path)),
    responses(
        (status = OK, body = FindingView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`, `not_open`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`, `column_summary`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/findings/{finding}/disposition")]
pub(super) async fn dispose_finding(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(ReleaseId, FindingId)>,
    body: web::Json<DispositionBody>,
) -> AppResult<HttpResponse> {
    let (id, finding) = path.into_inner();
    let DispositionBody { disposition, note } = body.into_inner();
    let view = state
        .write(move |st, conn| {
            releases::dispose(st, conn, &user, &id, &finding, disposition, &note)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
struct Revealed {
    /// The unmasked value.
    value: String,
}

/// One finding's raw value, for the reviewer who owns it; audited, never cached.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path), ("finding" = String, Path)),
    responses(
        (status = OK, body = Revealed),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`; `stale_version` for the title or description of a replaced version", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`column_summary`; `no_value` for a finding that stands for an image or an embedded object", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/findings/{finding}/reveal")]
pub(super) async fn reveal_finding(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(ReleaseId, FindingId)>,
) -> AppResult<HttpResponse> {
    let (id, finding) = path.into_inner();
    let value = state
        .write(move |st, conn| releases::reveal(st, conn, &user, &id, &finding))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Revealed { value }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// A stage key from policies/workflow.toml.
    stage: String,
    decision: Decision,
    #[serde(default)]
    comment: Note,
}

/// A decision on one stage of the release.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView, headers(("Link" = String, description = "`</api/v1/releases/{id}/receipts/{seq}>; rel=\"receipt\"`: the decision's audit receipt"))),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_open`, `not_allowed_in_state`, `already_decided`, `undispositioned_findings`, `stale_version`, `stage_decided`, `redacted_version_required`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_stage`, `note_required`, `blocking_finding`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/decisions")]
pub(super) async fn decide_stage(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    body: web::Json<DecisionBody>,
) -> AppResult<HttpResponse> {
    let DecisionBody {
        stage,
        decision,
        comment,
    } = body.into_inner();
    let (release, receipt) = state
        .write(move |st, conn| {
            let release = releases::decide(st, conn, &user, &id, &stage, decision, &comment)?;
            let action = crate::audit::Action::StageDecided;
            let seq = receipts::newest_by(conn, &id, &user.username, action)?;
            Ok((
                release,
                seq.map(|seq| format!("/api/v1/releases/{id}/receipts/{seq}")),
            ))
        })
        .await?;
    let mut res = HttpResponse::Ok();
    // The decision's receipt (sealed by a checkpoint in the same transaction).
    if let Some(receipt) = receipt {
        res.insert_header(("Link", format!("<{receipt}>; rel=\"receipt\"")));
    }
    Ok(res.json(release))
}

/// Stages waiting for the caller's decision, oldest deadline first.
#[utoipa::path(
    tag = "review",
    params(PageQuery),
    responses((status = OK, body = Page<QueueItem>)),
    security(("bearer" = []))
)]
#[get("/queue")]
pub(super) async fn get_queue(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| {
            releases::queue(
                conn,
                &user,
                &releases::QueueFilter::default(),
                q.cursor.as_deref(),
                q.limit(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
