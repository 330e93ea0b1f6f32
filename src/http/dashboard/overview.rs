//! The supervisor's overview of the departments (`service::overview`).

use super::HtmlPage;
use actix_web::get;
use askama::Template;

use super::{render, Ctx, PageResult, Shell};
use crate::policy::Role;
use crate::service::overview::{self, Overview, MEDIAN_SAMPLE};

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    s: Shell,
    o: Overview,
    sample: i64,
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/overview")]
pub async fn show_overview(ctx: Ctx) -> PageResult {
    let user = ctx.with_role(&[Role::Supervisor])?.clone();
    let o = ctx
        .state
        .call(move |st, conn| overview::overview(st, conn, &user))
        .await
        .map_err(|e| ctx.fail(e))?;
    render(
        &ctx,
        &OverviewPage {
            s: ctx.shell(),
            o,
            sample: MEDIAN_SAMPLE,
        },
    )
}
