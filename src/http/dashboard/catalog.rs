//! The public catalogue page: published releases and their files, no
//! sign-in; searched like `GET /public/releases` (words, department,
//! theme, open mode, publication dates in local days), keyset-paged.

use super::HtmlPage;
use actix_web::get;
use actix_web::web::Query;
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{render, Ctx, Departments, PageResult, Shell};
use crate::error::AppError;
use crate::policy::Calendar;
use crate::service::releases::{self, OpenMode, PublicFilter, PublicRelease};

/// The search form as sent; empty fields are no filter.
#[derive(Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogQuery {
    /// Words in a title or description, or a department's name.
    #[serde(default)]
    q: String,
    /// A department code.
    #[serde(default)]
    department: String,
    /// A data category (theme).
    #[serde(default)]
    theme: String,
    /// `unconditional` or `conditional`.
    #[serde(default)]
    open_mode: String,
    /// Published on or after this local day (`YYYY-MM-DD`).
    #[serde(default)]
    from: String,
    /// Published on or before this local day (`YYYY-MM-DD`).
    #[serde(default)]
    to: String,
    cursor: Option<String>,
}

impl CatalogQuery {
    /// The search as a catalogue filter; a field that does not parse is a
    /// 400 naming it.
    fn filter(&self) -> Result<PublicFilter, AppError> {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let day = |name: &str, value: &str| {
            some(value)
                .map(|v| {
                    NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                        AppError::BadRequest(format!("{name}: {v:?} is not a date (YYYY-MM-DD)"))
                    })
                })
                .transpose()
        };
        let open_mode = match self.open_mode.trim() {
            "" => None,
            "unconditional" => Some(OpenMode::Unconditional),
            "conditional" => Some(OpenMode::Conditional),
            other => {
                return Err(AppError::BadRequest(format!(
                    "open_mode: {other:?} is neither unconditional nor conditional"
                )))
            }
        };
        Ok(PublicFilter {
            q: some(&self.q).map(|q| q.chars().take(200).collect()),
            department: some(&self.department),
            theme: some(&self.theme),
            open_mode,
            from: day("from", &self.from)?.map(Calendar::local_day_start),
            // Through the end of that local day.
            to: day("to", &self.to)?
                .and_then(|d| d.succ_opt())
                .map(Calendar::local_day_start),
            tombstones: false,
        })
    }

    /// The search again, for the next page's link.
    fn with_cursor(&self, cursor: &str) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("department", &self.department),
            ("theme", &self.theme),
            ("open_mode", &self.open_mode),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.trim().is_empty() {
                query.append_pair(name, value);
            }
        }
        format!("/catalog?{}", query.append_pair("cursor", cursor).finish())
    }
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    s: Shell,
    depts: Departments,
    items: Vec<PublicRelease>,
    /// What was searched for, shown back in the form.
    search: CatalogQuery,
    /// The next page's address, the search kept.
    next: Option<String>,
}

impl CatalogPage {
    /// The translation key of a rating dimension.
    fn rating_key(dimension: &str) -> String {
        format!("rating.{dimension}")
    }
}

#[utoipa::path(tag = "dashboard", params(CatalogQuery), responses(HtmlPage))]
#[get("/catalog")]
pub async fn show_catalog(ctx: Ctx, q: Query<CatalogQuery>) -> PageResult {
    let search = q.into_inner();
    let filter = search.filter().map_err(|e| ctx.fail(e))?;
    let cursor = search.cursor.clone();
    let (page, depts) = ctx
        .state
        .run(move |conn| {
            let page = releases::public_list(conn, &filter, cursor.as_deref(), None)?;
            Ok((page, Departments::load(conn)?))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let next = page.next_cursor.map(|cursor| search.with_cursor(&cursor));
    render(
        &ctx,
        &CatalogPage {
            s: ctx.shell(),
            depts,
            items: page.items,
            search,
            next,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_page_keeps_every_field_of_the_search() {
        let search = CatalogQuery {
            q: "技改 补贴".into(),
            department: "FGW".into(),
            open_mode: "conditional".into(),
            from: "2026-01-01".into(),
            ..CatalogQuery::default()
        };
        assert_eq!(
            search.with_cursor("abc"),
            "/catalog?q=%E6%8A%80%E6%94%B9+%E8%A1%A5%E8%B4%B4&department=FGW&open_mode=conditional&from=2026-01-01&cursor=abc"
        );
    }
}
