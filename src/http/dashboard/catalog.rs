//! The public catalogue page: published releases and their files, no sign-in.

use super::HtmlPage;
use actix_web::get;
use actix_web::web::Query;
use askama::Template;
use serde::Deserialize;

use super::{render, Ctx, Departments, PageResult, Shell};
use crate::service::releases::{self, PublicRelease};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    s: Shell,
    depts: Departments,
    items: Vec<PublicRelease>,
    next: Option<String>,
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/catalog")]
pub async fn show_catalog(ctx: Ctx, q: Query<CatalogQuery>) -> PageResult {
    let cursor = q.into_inner().cursor;
    let (page, depts) = ctx
        .state
        .run(move |conn| {
            let page = releases::public_list(conn, cursor.as_deref(), None)?;
            Ok((page, Departments::load(conn)?))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    render(
        &ctx,
        &CatalogPage {
            s: ctx.shell(),
            depts,
            items: page.items,
            next: page.next_cursor,
        },
    )
}
