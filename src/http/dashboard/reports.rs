//! The supervisor's department report (督查考评) as a page, with the link to
//! the same report as CSV (`service::reports`).

use std::borrow::Borrow;

use super::HtmlPage;
use actix_web::get;
use actix_web::web::Query;
use askama::Template;
use serde::Deserialize;

use super::{render, Ctx, PageResult, Shell};
use crate::policy::Role;
use crate::service::reports::{self, AssessmentReport};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportPageQuery {
    /// The local calendar year; this year when absent.
    year: Option<i32>,
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportPage {
    s: Shell,
    r: AssessmentReport,
}

// Templates pass fields by value or by reference: both are taken.
impl ReportPage {
    /// A rate from 0 to 1 as a percentage people read, `—` when there is none.
    fn percent(&self, rate: impl Borrow<Option<f64>>) -> String {
        rate.borrow()
            .map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
    }

    /// A number to one decimal, `—` when there is none.
    fn decimal(&self, value: impl Borrow<Option<f64>>) -> String {
        value
            .borrow()
            .map_or_else(|| "—".into(), |v| format!("{v:.1}"))
    }
}

#[utoipa::path(tag = "dashboard", params(ReportPageQuery), responses(HtmlPage))]
#[get("/reports")]
pub async fn show_reports(ctx: Ctx, q: Query<ReportPageQuery>) -> PageResult {
    ctx.with_role(&[Role::Supervisor])?;
    let year = q.year.unwrap_or_else(reports::this_year);
    let r = ctx
        .state
        .call(move |st, conn| reports::departments_report(conn, year, &st.policies))
        .await
        .map_err(|e| ctx.fail(e))?;
    render(&ctx, &ReportPage { s: ctx.shell(), r })
}
