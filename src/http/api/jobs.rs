//! The job queue for administrators: what is queued, running, parked, and
//! the retry of a parked job.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppResult, ErrorBody};
use crate::http::params::{Limit, Query};
use crate::jobs::{JobState, JobView};
use crate::policy::Role;
use crate::service::job_queue;
use crate::service::releases::Page;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct JobsQuery {
    /// Only jobs in this state.
    state: Option<JobState>,
    /// The `next_cursor` of the page before; absent for the first page.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Jobs, newest first; `next_cursor` continues the list.
#[utoipa::path(
    tag = "jobs",
    params(JobsQuery),
    responses((status = OK, body = Page<JobView>), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/jobs")]
pub(super) async fn list_jobs(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<JobsQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let q = q.into_inner();
    let limit = Limit::get(q.limit).unwrap_or(50);
    let page = state
        .run(move |conn| job_queue::page(conn, q.state, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Queues a parked (`failed`) job again with a fresh set of attempts.
#[utoipa::path(
    tag = "jobs",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = JobView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`: the job is not parked", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/jobs/{id}/retry")]
pub(super) async fn retry_job(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let job = state
        .write(move |_, conn| job_queue::retry(conn, &user.username, &id))
        .await?;
    Ok(HttpResponse::Ok().json(job))
}
