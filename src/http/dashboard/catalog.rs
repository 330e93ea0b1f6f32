//! The public catalogue page: published releases and their files, no sign-in.

use super::HtmlPage;
use actix_web::get;
use actix_web::web::Query;
use askama::Template;
use serde::Deserialize;

use super::{render, Ctx, Departments, PageResult, Shell};
use crate::service::releases::{self, PublicFilter, PublicRelease};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Words in a title or description, or a department's name.
    q: Option<String>,
    cursor: Option<String>,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    s: Shell,
    depts: Departments,
    items: Vec<PublicRelease>,
    /// What was searched for, shown back in the search box.
    q: String,
    /// The next page's address, the search kept.
    next: Option<String>,
}

impl CatalogPage {
    /// The translation key of a rating dimension.
    fn rating_key(dimension: &str) -> String {
        format!("rating.{dimension}")
    }
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/catalog")]
pub async fn show_catalog(ctx: Ctx, q: Query<CatalogQuery>) -> PageResult {
    let CatalogQuery { q, cursor } = q.into_inner();
    let q: String = q.unwrap_or_default().trim().chars().take(200).collect();
    let filter = PublicFilter {
        q: Some(q.clone()),
        ..PublicFilter::default()
    };
    let (page, depts) = ctx
        .state
        .run(move |conn| {
            let page = releases::public_list(conn, &filter, cursor.as_deref(), None)?;
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
            next: page.next_cursor.map(|cursor| {
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("q", &q)
                    .append_pair("cursor", &cursor)
                    .finish();
                format!("/catalog?{query}")
            }),
            q,
        },
    )
}
