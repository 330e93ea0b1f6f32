//! "On leave until": a reviewer hands their work to a colleague for a period
//! (`service::delegations`), sees the delegations they gave or received, and
//! ends one early.

use actix_web::web::{Form, Path};
use actix_web::{get, post};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{render, see_other, shown_time, Ctx, FormAnswer, HtmlPage, PageResult, Shell};
use crate::error::AppError;
use crate::policy::{Calendar, Role};
use crate::service::delegations::{self, DelegationView};
use crate::workflow::Note;

pub struct Row {
    pub d: DelegationView,
    pub from: String,
    pub until: String,
    /// I gave it, so I may end it.
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "leave.html")]
struct LeavePage {
    s: Shell,
    rows: Vec<Row>,
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/leave")]
pub async fn show_leave(ctx: Ctx) -> PageResult {
    let user = ctx.with_role(&Role::REVIEWERS)?.clone();
    let me = user.username.clone();
    let rows = ctx
        .state
        .run(move |conn| delegations::list(conn, &user))
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .map(|d| Row {
            from: shown_time(&d.from),
            until: shown_time(&d.until),
            mine: d.from_user == me && d.revoked_at.is_none(),
            d,
        })
        .collect();
    render(
        &ctx,
        &LeavePage {
            s: ctx.shell(),
            rows,
        },
    )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LeaveForm {
    #[serde(default)]
    to: String,
    /// First day away (local date).
    #[serde(default)]
    from: String,
    /// Last day away (local date), inclusive.
    #[serde(default)]
    until: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    csrf_token: String,
}

fn day(name: &str, text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| AppError::BadRequest(format!("{name} {text:?} is not a date: {e}")))
}

#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/leave")]
pub async fn add_leave(ctx: Ctx, form: Form<LeaveForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.with_role(&Role::REVIEWERS)?.clone();
    let form = form.into_inner();
    let period = day("from", &form.from)
        .and_then(|from| Ok((from, day("until", &form.until)?)))
        .map_err(|e| ctx.fail(e))?;
    let note = Note::parse(&form.note).map_err(|e| ctx.fail(AppError::BadRequest(e)))?;
    // Whole local days: from the first day's start to the end of the last.
    let (from, until) = (
        Calendar::local_day_start(period.0),
        Calendar::local_day_start(period.1) + chrono::Duration::days(1),
    );
    ctx.state
        .write(move |_, conn| delegations::add(conn, &user, form.to.trim(), (from, until), &note))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other("/leave"))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct EndForm {
    #[serde(default)]
    csrf_token: String,
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), responses(FormAnswer))]
#[post("/leave/{id}/end")]
pub async fn end_leave(ctx: Ctx, id: Path<String>, form: Form<EndForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let user = ctx.signed_in()?.clone();
    let id = id.into_inner();
    ctx.state
        .write(move |_, conn| delegations::revoke(conn, &user, &id))
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other("/leave"))
}
