//! The life of a release request: filing and new versions (`submit`),
//! dispositions and decisions (`review`), publication and the public reads
//! (`publish`), the reviewer queue (`queue`), and the read models here.

mod evaluate;
mod notices;
mod publish;
mod queue;
mod reveal;
mod review;
mod submit;
mod views;

pub use publish::{public_file, public_list, public_release, publish_due, PublicRelease};
pub use queue::{open_stages, queue, severity_counts, QueueFilter, QueueItem};
pub use reveal::reveal;
pub use review::{decide, dispose, retract, withdraw};
pub use submit::{add_version, submit, ReleaseMeta, Upload};
pub use views::{
    findings_page, list, version_diff, view, FindingView, ListFilter, ReleaseSummary, ReleaseView,
    StageView, VersionDiff,
};

use std::str::FromStr;

use diesel::prelude::*;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::db::models::Release;
use crate::db::schema::releases;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::policy::Role;

/// `findings.segment` of a column summary: it stands for the findings of one
/// table column, and dispositioning it dispositions them.
pub const COLUMN_SUMMARY_SEGMENT: i32 = -1;

/// Release states of API.md (scans run inside the submit request, so a
/// release is never observed in `scanning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Blocked,
    InReview,
    ChangesRequested,
    Rejected,
    Approved,
    Published,
    Withdrawn,
    Retracted,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::InReview => "in_review",
            Self::ChangesRequested => "changes_requested",
            Self::Rejected => "rejected",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
            Self::Retracted => "retracted",
        }
    }

    /// No review action can change these any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Published | Self::Withdrawn | Self::Retracted
        )
    }
}

impl FromStr for State {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [
            Self::Blocked,
            Self::InReview,
            Self::ChangesRequested,
            Self::Rejected,
            Self::Approved,
            Self::Published,
            Self::Withdrawn,
            Self::Retracted,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
        .ok_or_else(|| format!("unknown state {s:?}"))
    }
}

/// A release's state column, parsed.
pub fn state_of(release: &Release) -> AppResult<State> {
    release
        .state
        .parse()
        .map_err(|e: String| AppError::internal(anyhow::anyhow!(e)))
}

pub fn co_departments(release: &Release) -> Vec<String> {
    serde_json::from_str(&release.co_departments).unwrap_or_default()
}

/// City-wide roles read every release; everyone else reads the releases of
/// their own department, lead or co-responsible.
pub fn can_read(user: &CurrentUser, release: &Release) -> bool {
    let city_wide = user.roles.iter().any(|r| !r.is_departmental());
    city_wide
        || user.department.as_deref().is_some_and(|d| {
            d == release.department || co_departments(release).iter().any(|c| c == d)
        })
}

pub fn load(conn: &mut DbConn, id: &str) -> AppResult<Release> {
    releases::table
        .find(id)
        .select(Release::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no release {id}")))
}

/// Loads a release the caller may read.
pub fn load_readable(conn: &mut DbConn, user: &CurrentUser, id: &str) -> AppResult<Release> {
    let release = load(conn, id)?;
    if !can_read(user, &release) {
        return Err(AppError::Forbidden(
            "this release belongs to another department".into(),
        ));
    }
    Ok(release)
}

/// The submitter of a department acts for it: files, revises, withdraws.
fn require_submitter_of(user: &CurrentUser, department: &str) -> AppResult<()> {
    user.require(Role::Submitter)?;
    if user.department.as_deref() != Some(department) {
        return Err(AppError::Forbidden(format!(
            "submitters act only for their own department, not {department}"
        )));
    }
    Ok(())
}

/// Keyset cursor: the opaque string is the last item's sort key.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub fn clamp_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(50).clamp(1, 200)
}
