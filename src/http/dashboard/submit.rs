//! The submitter's pages: file a release, my releases, upload a new version.

use super::{FormAnswer, HtmlPage};
use actix_web::{get, post};
use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::web::{Path, Query};
use askama::Template;
use serde::Deserialize;

use super::{local_time, parse_form_time, render, see_other, Ctx, PageResult, Shell};
use crate::error::AppError;
use crate::http::multipart::{read_parts, Body};
use crate::ids::ReleaseId;
use crate::policy::Role;
use crate::service::releases::{self, ListFilter, NewRelease, ReleaseMeta, ReleaseSummary, Upload};
use crate::workflow::State;

#[derive(Template)]
#[template(path = "new_release.html")]
struct NewPage {
    s: Shell,
    department: String,
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/releases/new")]
pub async fn show_new_release(ctx: Ctx) -> PageResult {
    let user = ctx.with_role(&[Role::Submitter])?;
    render(
        &ctx,
        &NewPage {
            s: ctx.shell(),
            department: user.department.clone().unwrap_or_default(),
        },
    )
}

/// A multipart form: its text fields and its files (parts with a file name;
/// an empty file input sends a part without one, which is skipped).
struct FormData {
    fields: BTreeMap<String, String>,
    files: Vec<Upload>,
}

impl FormData {
    fn get(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// Text fields beyond this are refused (descriptions are at most 10,000 characters).
const MAX_FIELD_BYTES: usize = 64 * 1024;

async fn read_form(ctx: &Ctx, payload: Multipart) -> Result<FormData, AppError> {
    let parts = read_parts(
        payload,
        &ctx.state.store,
        ctx.state.settings.max_upload_bytes,
        MAX_FIELD_BYTES,
    )
    .await?;
    let mut form = FormData {
        fields: BTreeMap::new(),
        files: Vec::new(),
    };
    for part in parts {
        match part.body {
            // An input with no file chosen sends an empty name.
            Body::File { name, spool } if part.name == "files" => {
                if !name.is_empty() {
                    form.files.push(Upload {
                        name,
                        spool: *spool,
                    });
                }
            }
            Body::File { .. } => {
                return Err(AppError::BadRequest(format!(
                    "the field {} is not a file input",
                    part.name
                )))
            }
            Body::Field(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| {
                    AppError::BadRequest(format!("the field {} is not UTF-8", part.name))
                })?;
                form.fields.insert(part.name, text);
            }
        }
    }
    Ok(form)
}

fn meta_of(form: &FormData) -> Result<NewRelease, AppError> {
    let open_mode =
        serde_json::from_value(serde_json::Value::String(form.get("open_mode").to_string()))
            .map_err(|_| {
                AppError::BadRequest("open_mode must be unconditional or conditional".into())
            })?;
    let publish_at = match form.get("publish_at").trim() {
        "" => None,
        t => Some(parse_form_time("publish_at", t)?.and_utc()),
    };
    NewRelease::try_from(ReleaseMeta {
        title: form.get("title").to_string(),
        description: form.get("description").to_string(),
        department: form.get("department").trim().to_string(),
        co_departments: form
            .get("co_departments")
            .split([',', '，', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        data_category: form.get("data_category").to_string(),
        open_mode,
        cross_border: !form.get("cross_border").is_empty(),
        publish_at,
    })
}

#[utoipa::path(
    tag = "dashboard",
    request_body(
        content = Object,
        content_type = "multipart/form-data",
        description = "the form's fields and files, with csrf_token"
    ),
    responses(FormAnswer)
)]
#[post("/releases")]
pub async fn file_release(ctx: Ctx, payload: Multipart) -> PageResult {
    // Who is asking before the upload is read; the token is inside the form.
    let user = ctx.with_role(&[Role::Submitter])?.clone();
    let form = read_form(&ctx, payload).await.map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(form.get("csrf_token"))?;
    let meta = meta_of(&form).map_err(|e| ctx.fail(e))?;
    let release = releases::file_release(&ctx.state, user, meta, form.files)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&format!("/releases/{}", release.id)))
}

#[utoipa::path(tag = "dashboard", params(("id" = String, Path)), request_body(content = Object, content_type = "multipart/form-data", description = "the form's fields and files, with csrf_token"), responses(FormAnswer))]
#[post("/releases/{id}/versions")]
pub async fn add_version(ctx: Ctx, id: Path<ReleaseId>, payload: Multipart) -> PageResult {
    // Who is asking before the upload is read; the token is inside the form.
    let user = ctx.with_role(&[Role::Submitter])?.clone();
    let form = read_form(&ctx, payload).await.map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(form.get("csrf_token"))?;
    let release = releases::revise_release(&ctx.state, user, id.into_inner(), None, form.files)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(see_other(&format!("/releases/{}", release.id)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MineQuery {
    cursor: Option<String>,
}

pub struct MineRow {
    pub r: ReleaseSummary,
    pub updated: String,
    /// Open stages, for releases in review.
    pub waiting_on: Vec<String>,
}

#[derive(Template)]
#[template(path = "mine.html")]
struct MinePage {
    s: Shell,
    rows: Vec<MineRow>,
    next: Option<String>,
}

/// The releases of my department, newest first, with what each waits for.
#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/releases/mine")]
pub async fn show_my_releases(ctx: Ctx, q: Query<MineQuery>) -> PageResult {
    let user = ctx.with_role(&[Role::Submitter])?.clone();
    let cursor = q.into_inner().cursor;
    let (page, open) = ctx
        .state
        .run(move |conn| {
            let filter = ListFilter {
                department: user.department.clone(),
                ..ListFilter::default()
            };
            let page = releases::list(conn, &user, &filter, cursor.as_deref(), None)?;
            let ids: Vec<String> = page.items.iter().map(|r| r.id.clone()).collect();
            let open = releases::open_stages(conn, &ids)?;
            Ok((page, open))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let rows = page
        .items
        .into_iter()
        .map(|r| MineRow {
            updated: local_time(&r.updated_at),
            waiting_on: open.get(&r.id).cloned().unwrap_or_default(),
            r,
        })
        .collect();
    render(
        &ctx,
        &MinePage {
            s: ctx.shell(),
            rows,
            next: page.next_cursor,
        },
    )
}
