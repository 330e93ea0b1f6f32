//! The job queue for administrators (`service::job_queue`): queued, running
//! and parked jobs with their last error, a filter by state, and a retry
//! button on each parked job.

use actix_web::web::{Form, Path};
use actix_web::{get, post};
use askama::Template;
use serde::Deserialize;

use super::{render, see_other, shown_time, Ctx, FormAnswer, HtmlPage, PageResult, Shell};
use crate::http::params::Query;
use crate::jobs::{JobState, JobView};
use crate::policy::Role;
use crate::service::job_queue;

/// Jobs per page.
const PER_PAGE: i64 = 50;

pub struct Row {
    pub j: JobView,
    pub run_at: String,
    pub updated_at: String,
    /// Parked: the page offers a retry.
    pub parked: bool,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    s: Shell,
    rows: Vec<Row>,
    states: [JobState; 4],
    /// The state filtered on, if any.
    current: Option<JobState>,
    /// The query string of the next page, when there is one.
    next: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsPageQuery {
    /// Only jobs in this state.
    state: Option<JobState>,
    /// The last job id of the page before.
    cursor: Option<String>,
}

#[utoipa::path(tag = "dashboard", params(JobsPageQuery), responses(HtmlPage))]
#[get("/jobs")]
pub async fn show_jobs(ctx: Ctx, q: Query<JobsPageQuery>) -> PageResult {
    ctx.with_role(&[Role::Admin])?;
    let JobsPageQuery { state, cursor } = q.into_inner();
    let page = ctx
        .state
        .run(move |conn| job_queue::page(conn, state, cursor.as_deref(), PER_PAGE))
        .await
        .map_err(|e| ctx.fail(e))?;
    let next = page.next_cursor.map(|c| match state {
        Some(st) => format!("state={st}&cursor={c}"),
        None => format!("cursor={c}"),
    });
    let rows = page
        .items
        .into_iter()
        .map(|j| Row {
            run_at: shown_time(&j.run_at),
            updated_at: shown_time(&j.updated_at),
            parked: j.state == JobState::Failed,
            j,
        })
        .collect();
    render(
        &ctx,
        &JobsPage {
            s: ctx.shell(),
            rows,
            states: JobState::ALL,
            current: state,
            next,
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RetryForm {
    #[serde(default)]
    csrf_token: String,
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(FormAnswer))]
#[post("/jobs/{id}/retry")]
pub async fn retry_job(ctx: Ctx, id: Path<String>, form: Form<RetryForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let actor = ctx.with_role(&[Role::Admin])?.username.clone();
    let id = id.into_inner();
    ctx.state
        .write(move |_, conn| job_queue::retry(conn, &actor, &id))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other("/jobs?state=queued"))
}
