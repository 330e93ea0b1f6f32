//! The published catalogue as the public reads it: releases and their
//! files (only what publication wrote), searched and paged by cursor for
//! the API and by offset for CKAN clients; retracted releases as
//! tombstones, so that harvesters learn a dataset is gone.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{clamp_limit, Page, State};
use crate::db::models::Release;
use crate::db::schema::{departments, files, releases};
use crate::db::{contains_pattern, lower, DbConn, MultiBackend};
use crate::error::{AppError, AppResult};
use crate::extract::FileKind;
use crate::ids::ReleaseId;
use crate::service::opening::UpdateFrequency;
use crate::service::public::RatingSummary;
use crate::workflow::OpenMode;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicFile {
    pub name: String,
    pub sha256: String,
    /// Path of the download, relative to the service's public address.
    pub url: String,
    /// IANA media type, from the file's name.
    pub media_type: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PublicRelease {
    pub id: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub department_name: String,
    pub data_category: String,
    pub open_mode: OpenMode,
    pub version: i32,
    #[schema(format = DateTime)]
    pub published_at: Option<String>,
    /// The last change: publication, or the retraction of a tombstone.
    #[schema(format = DateTime)]
    pub modified: String,
    /// Set on a tombstone (a release withdrawn from the public after
    /// publication); it has no files.
    #[schema(format = DateTime)]
    pub retracted_at: Option<String>,
    pub files: Vec<PublicFile>,
    /// The public's ratings (社会评价), averaged; `null` before the first.
    pub rating: Option<crate::service::public::RatingSummary>,
    /// How often it is updated: that of the opening-catalogue item whose
    /// plan item it fulfils; `null` when it fulfils none.
    pub update_frequency: Option<UpdateFrequency>,
}

/// The media type the public gets a file with, from its name.
pub fn media_type(name: &str) -> &'static str {
    let ext = name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "json" => "application/json",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "ofd" => "application/ofd",
        "xls" | "et" => "application/vnd.ms-excel",
        "doc" | "wps" => "application/msword",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "ott" => "application/vnd.oasis.opendocument.text-template",
        "ots" => "application/vnd.oasis.opendocument.spreadsheet-template",
        "pdf" => "application/pdf",
        "txt" | "md" => "text/plain",
        _ => "application/octet-stream",
    }
}

/// A published release, or 410 for one retracted after publication (its
/// date and reason are public), or 404.
fn load_published(conn: &mut DbConn, id: &ReleaseId) -> AppResult<Release> {
    let release = releases::table
        .find(id)
        .filter(releases::state.eq_any([State::Published.as_str(), State::Retracted.as_str()]))
        .filter(releases::published_at.is_not_null())
        .select(Release::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no published release {id}")))?;
    if release.state == State::Retracted {
        return Err(AppError::Retracted {
            at: release.retracted_at.unwrap_or(release.updated_at),
            reason: release.retraction_reason.unwrap_or_default(),
        });
    }
    Ok(release)
}

/// What the public view of a page of releases needs beyond their rows, read
/// with one query each for the whole page (not four per release).
struct PageExtras {
    /// Per release: the published files of its current version, by name.
    files: BTreeMap<String, Vec<(String, String)>>,
    department_names: BTreeMap<String, String>,
    ratings: BTreeMap<String, RatingSummary>,
    frequencies: BTreeMap<String, UpdateFrequency>,
}

impl PageExtras {
    fn load(conn: &mut DbConn, rows: &[Release]) -> AppResult<Self> {
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let current: BTreeMap<&str, i32> =
            rows.iter().map(|r| (r.id.as_str(), r.version)).collect();
        let mut files: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let published: Vec<(String, i32, Option<String>, Option<String>)> = files::table
            .filter(files::release_id.eq_any(&ids))
            .filter(files::public_name.is_not_null())
            .filter(files::published_sha256.is_not_null())
            .order(files::public_name.asc())
            .select((
                files::release_id,
                files::version,
                files::public_name,
                files::published_sha256,
            ))
            .load(conn)?;
        for (release, version, name, sha) in published {
            if let (Some(name), Some(sha)) = (name, sha) {
                if current.get(release.as_str()) == Some(&version) {
                    files.entry(release).or_default().push((name, sha));
                }
            }
        }
        let codes: BTreeSet<&str> = rows.iter().map(|r| r.department.as_str()).collect();
        let department_names = departments::table
            .filter(departments::code.eq_any(codes))
            .select((departments::code, departments::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        Ok(Self {
            files,
            department_names,
            ratings: crate::service::public::rating_summaries(conn, &ids)?,
            frequencies: crate::service::opening::update_frequencies(conn, &ids)?,
        })
    }
}

fn public_view(release: Release, extras: &mut PageExtras) -> PublicRelease {
    let retracted = release.state == State::Retracted;
    let files = if retracted {
        Vec::new()
    } else {
        extras.files.remove(release.id.as_str()).unwrap_or_default()
    }
    .into_iter()
    .map(|(name, sha256)| PublicFile {
        url: format!(
            "/public/releases/{}/files/{}",
            release.id,
            percent_encode(&name)
        ),
        media_type: media_type(&name).to_string(),
        name,
        sha256,
    })
    .collect();
    let department_name = extras
        .department_names
        .get(&release.department)
        .cloned()
        .unwrap_or_else(|| release.department.clone());
    let modified = crate::audit::format_time(&release.updated_at);
    // Only what publication wrote goes out; the submitted metadata may
    // hold values a reviewer chose to redact.
    PublicRelease {
        rating: extras.ratings.remove(release.id.as_str()),
        update_frequency: extras.frequencies.remove(release.id.as_str()),
        id: release.id.into(),
        title: release.public_title.unwrap_or_default(),
        description: release.public_description.unwrap_or_default(),
        department: release.department,
        department_name,
        data_category: release.data_category,
        open_mode: release.open_mode,
        version: release.version,
        published_at: release.published_at.as_ref().map(crate::audit::format_time),
        retracted_at: retracted.then(|| {
            crate::audit::format_time(&release.retracted_at.unwrap_or(release.updated_at))
        }),
        modified,
        files,
    }
}

fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What the public searches published releases by; every part optional.
#[derive(Debug, Default, Clone)]
pub struct PublicFilter {
    /// Words in the published title or description, or the department's
    /// name (case-insensitive, taken literally: `%` and `_` are not wildcards).
    pub q: Option<String>,
    pub department: Option<String>,
    /// The release's data category.
    pub theme: Option<String>,
    pub open_mode: Option<OpenMode>,
    /// Published at or after / before.
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Also releases retracted after publication, as tombstones.
    pub tombstones: bool,
}

/// The releases `filter` matches, unordered.
fn matching(filter: &PublicFilter) -> releases::BoxedQuery<'static, MultiBackend> {
    let mut query = if filter.tombstones {
        releases::table
            .filter(releases::state.eq_any([State::Published.as_str(), State::Retracted.as_str()]))
            // Retracted before publication: never public, no tombstone.
            .filter(releases::published_at.is_not_null())
            .into_boxed()
    } else {
        releases::table
            .filter(releases::state.eq(State::Published.as_str()))
            .into_boxed()
    };
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = contains_pattern(q);
        let named = departments::table
            .filter(
                lower(departments::name.nullable())
                    .like(pattern.clone())
                    .escape('\\'),
            )
            .select(departments::code);
        query = query.filter(
            lower(releases::public_title)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(releases::public_description)
                    .like(pattern)
                    .escape('\\'))
                .or(releases::department.eq_any(named).nullable()),
        );
    }
    if let Some(d) = &filter.department {
        query = query.filter(releases::department.eq(d.clone()));
    }
    if let Some(t) = &filter.theme {
        query = query.filter(releases::data_category.eq(t.clone()));
    }
    if let Some(m) = filter.open_mode {
        query = query.filter(releases::open_mode.eq(m.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(releases::published_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(releases::published_at.lt(to));
    }
    query
}

fn views(conn: &mut DbConn, rows: Vec<Release>) -> AppResult<Vec<PublicRelease>> {
    let mut extras = PageExtras::load(conn, &rows)?;
    Ok(rows
        .into_iter()
        .map(|r| public_view(r, &mut extras))
        .collect())
}

/// Published releases matching `filter`, newest first, keyset-paged.
pub fn public_list(
    conn: &mut DbConn,
    filter: &PublicFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<PublicRelease>> {
    let limit = clamp_limit(limit);
    let mut query = matching(filter);
    if let Some(c) = cursor {
        query = query.filter(releases::id.lt(c.to_string()));
    }
    let rows: Vec<Release> = query
        .order(releases::id.desc())
        .limit(limit + 1)
        .select(Release::as_select())
        .load(conn)?;
    let page = Page::from_rows(rows, limit, |r| r.id.to_string(), |r| r);
    Ok(Page {
        items: views(conn, page.items)?,
        next_cursor: page.next_cursor,
    })
}

/// How many releases match `filter`, and `rows` of them from `start`,
/// newest first: the paging CKAN clients expect. `rows` is bounded by the
/// caller.
pub fn public_offset_page(
    conn: &mut DbConn,
    filter: &PublicFilter,
    start: i64,
    rows: i64,
) -> AppResult<(i64, Vec<PublicRelease>)> {
    let count: i64 = matching(filter).count().get_result(conn)?;
    let found: Vec<Release> = matching(filter)
        .order(releases::id.desc())
        .offset(start)
        .limit(rows)
        .select(Release::as_select())
        .load(conn)?;
    Ok((count, views(conn, found)?))
}

pub fn public_release(conn: &mut DbConn, id: &ReleaseId) -> AppResult<PublicRelease> {
    let release = load_published(conn, id)?;
    let mut views = views(conn, vec![release])?;
    views
        .pop()
        .ok_or_else(|| AppError::NotFound(format!("no published release {id}")))
}

/// One file of a published release as the public gets it: the release,
/// and the file's rendition (digest), kind and encoding. Whether the caller
/// may have it is `service::public::download`'s question.
pub fn published_file(conn: &mut DbConn, id: &ReleaseId, name: &str) -> AppResult<PublishedFile> {
    let release = load_published(conn, id)?;
    let found: Option<(Option<String>, String, Option<String>)> = files::table
        .filter(files::release_id.eq(&release.id))
        .filter(files::version.eq(release.version))
        .filter(files::public_name.eq(name))
        .select((files::published_sha256, files::kind, files::encoding))
        .first(conn)
        .optional()?;
    let Some((Some(sha256), kind, encoding)) = found else {
        return Err(AppError::NotFound(format!("no published file {name:?}")));
    };
    let kind = FileKind::parse(&kind)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown stored file kind {kind:?}")))?;
    Ok(PublishedFile {
        release,
        name: name.to_string(),
        sha256,
        kind,
        encoding,
    })
}

pub struct PublishedFile {
    pub release: Release,
    pub name: String,
    pub sha256: String,
    pub kind: FileKind,
    pub encoding: Option<String>,
}

/// A department as a publisher, with how many releases it has published.
pub struct Publisher {
    pub code: String,
    pub name: String,
    pub published: i64,
}

/// Every department, by code, with its count of published releases.
pub fn publishers(conn: &mut DbConn) -> AppResult<Vec<Publisher>> {
    let counts: std::collections::HashMap<String, i64> = releases::table
        .filter(releases::state.eq(State::Published.as_str()))
        .group_by(releases::department)
        .select((releases::department, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    let departments: Vec<(String, String)> = departments::table
        .order(departments::code.asc())
        .select((departments::code, departments::name))
        .load(conn)?;
    Ok(departments
        .into_iter()
        .map(|(code, name)| Publisher {
            published: counts.get(&code).copied().unwrap_or(0),
            code,
            name,
        })
        .collect())
}
