//! The audit log for supervisors: search and export, verify, checkpoints.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::export;
use super::super::params::{Limit, Query};
use crate::app::AppState;
use crate::audit::{Event, Report};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::policy::Role;
use crate::service::audit_log;
use crate::service::releases::{self, Page};

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum AuditFormat {
    /// One page of events: `{items, next_cursor}`.
    #[default]
    Json,
    /// Every matching event, one per line, verifiable with `releasegate audit verify --file`.
    Ndjson,
    /// Every matching event as CSV.
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// A release id.
    release: Option<String>,
    /// A username.
    actor: Option<String>,
    /// An action name, e.g. `decision`.
    action: Option<String>,
    /// A department code.
    department: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    #[param(inline)]
    format: Option<AuditFormat>,
    /// The `next_cursor` of the page before (an event seq).
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    cursor: Option<u64>,
    #[param(inline)]
    limit: Option<Limit>,
}

pub fn parse_time(name: &str, value: &str) -> AppResult<NaiveDateTime> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.naive_utc())
        .map_err(|e| {
            AppError::BadRequest(format!("{name}: {value:?} is not an RFC 3339 time ({e})"))
        })
}

/// Searches the audit log (supervisors); `format=ndjson|csv` streams every match.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = OK, content(
            (Page<Event> = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = FORBIDDEN, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/audit")]
pub(super) async fn search_audit(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let q = q.into_inner();
    let filter = audit_log::Filter {
        release: q.release,
        actor: q.actor,
        action: q.action,
        department: q.department,
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
    };
    match q.format.unwrap_or_default() {
        AuditFormat::Json => {
            let after = i64::try_from(q.cursor.unwrap_or(0))
                .map_err(|_| AppError::BadRequest("cursor: not an event seq".into()))?;
            let limit = releases::clamp_limit(Limit::get(q.limit));
            let events = state
                .run(move |conn| Ok(audit_log::page(conn, &filter, after, limit + 1)?))
                .await?;
            let page = Page {
                next_cursor: (events.len() as i64 > limit)
                    .then(|| events[limit as usize - 1].seq.to_string()),
                items: events.into_iter().take(limit as usize).collect::<Vec<_>>(),
            };
            Ok(HttpResponse::Ok().json(page))
        }
        AuditFormat::Ndjson => Ok(export::audit(&state, filter, false)),
        AuditFormat::Csv => Ok(export::audit(&state, filter, true)),
    }
}

/// Verifies the whole chain and every signed checkpoint.
#[utoipa::path(
    tag = "audit",
    responses((status = OK, body = Report), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/audit/verify")]
pub(super) async fn verify_audit(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let report = state
        .run(move |conn| Ok(audit_log::verify(conn, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Serialize, ToSchema)]
struct Checkpoint {
    /// The seq of the event the new checkpoint signs; null while the log is empty.
    checkpoint_seq: Option<i64>,
}

/// Signs the current chain head now (the server also does so periodically).
#[utoipa::path(
    tag = "audit",
    responses((status = OK, body = Checkpoint), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/audit/checkpoints")]
pub(super) async fn sign_checkpoint(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let checkpoint_seq = state
        .run(move |conn| Ok(audit_log::checkpoint(conn, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(Checkpoint { checkpoint_seq }))
}
