//! Time and the people around a release: a stage's clock (stop, resume,
//! extend), a reviewer's recusal, and a hold before publication.

use actix_web::{post, web, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

use super::releases::ReasonBody;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::ids::ReleaseId;
use crate::service::releases::{self, ClockChange, ReleaseView};
use crate::workflow::{ClockReason, Note};

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum ClockAction {
    Stop,
    Resume,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ClockBody {
    action: ClockAction,
    /// Why the clock stops (required with `stop`): `third_party`,
    /// `secrecy_authority` or `consultation`; `supplement` (补正) is set by a
    /// request for changes only.
    reason_code: Option<ClockReason>,
    #[serde(default)]
    note: Note,
}

/// Stops or resumes the clock of an open stage: the deadline moves by the
/// working days it stood still.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path), ("stage" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_open` (the stage is not open, or its clock already stopped or running), `not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_stage`, `note_required` (a stop without reason_code)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/stages/{stage}/clock")]
pub(super) async fn change_clock(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(ReleaseId, String)>,
    body: web::Json<ClockBody>,
) -> AppResult<HttpResponse> {
    let (id, stage) = path.into_inner();
    let body = body.into_inner();
    let change = match (body.action, body.reason_code) {
        (ClockAction::Resume, _) => Ok(ClockChange::Resume),
        (ClockAction::Stop, Some(reason)) => Ok(ClockChange::Stop(reason)),
        (ClockAction::Stop, None) => Err(crate::error::AppError::Rule {
            code: crate::error::ErrorCode::NoteRequired,
            message: "stopping a clock needs a reason_code".into(),
        }),
    };
    let release = state
        .write(move |st, conn| {
            releases::change_clock(st, conn, &user, &id, &stage, change?, &body.note)
        })
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ExtensionBody {
    #[schema(minimum = 1, maximum = 365)]
    #[serde(deserialize_with = "crate::service::fields::whole_number")]
    working_days: i32,
    reason: Note,
}

/// Extends an open stage's deadline for good (the policy's role and bound);
/// the submitter is told.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path), ("stage" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_open`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_stage`, `note_required`, `limit_reached` (past the policy's bound)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/stages/{stage}/extension")]
pub(super) async fn extend_deadline(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(ReleaseId, String)>,
    body: web::Json<ExtensionBody>,
) -> AppResult<HttpResponse> {
    let (id, stage) = path.into_inner();
    // Zero or less is past no bound: the rule refuses it (422 limit_reached).
    let days = u32::try_from(body.working_days).unwrap_or(0);
    let release = state
        .write(move |st, conn| releases::extend(st, conn, &user, &id, &stage, days, &body.reason))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct RecusalBody {
    stage: String,
    reason: Note,
}

/// A reviewer recuses themselves from a release (conflict of interest):
/// it leaves their queue and they may decide nothing of it.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`already_decided` (recused already, or decided), `not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_stage`, `note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/recusal")]
pub(super) async fn recuse(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    body: web::Json<RecusalBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::recuse(st, conn, &user, &id, &body.stage, &body.reason))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Holds an approved (embargoed) release before it goes out.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state` (not approved, or held already)", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/hold")]
pub(super) async fn hold_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    body: web::Json<ReasonBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::hold(st, conn, &user, &id, &body.reason, false))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Lifts a hold: the release goes out at its `publish_at` (at once if that has passed).
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state` (no hold in force)", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/hold/lift")]
pub(super) async fn lift_hold(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<ReleaseId>,
    body: web::Json<ReasonBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::hold(st, conn, &user, &id, &body.reason, true))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}
