//! The life of a release request: filing and new versions (`submit`),
//! dispositions and decisions (`review`), publication and the public reads
//! (`publish`), the reviewer queue (`queue`), and the read models here.

mod backlog;
mod catalogue;
mod change;
mod clock;
mod evaluate;
mod hold;
pub mod inspection;
mod notices;
mod permissions;
mod publish;
mod queue;
mod recusal;
mod reveal;
mod review;
mod submit;
mod views;

pub use crate::workflow::OpenMode;
pub use catalogue::{
    media_type, public_list, public_offset_page, public_release, published_file, publishers,
    PublicFile, PublicFilter, PublicRelease, PublishedFile, Publisher,
};
pub use clock::{change_clock, consent_by_silence, extend, ClockChange};
pub use hold::hold;
pub(crate) use notices::for_mail;
pub use permissions::{permissions, Permissions};
pub use publish::publish_due;
pub use queue::{open_stages, queue, severity_counts, QueueFilter, QueueItem};
pub use recusal::recuse;
pub use reveal::reveal;
pub use review::{decide, dispose, dispose_many, retract, withdraw};
pub use submit::{
    add_version, file_release, revise_release, store_uploads, submit, version_basis, NewRelease,
    ReleaseMeta, Stored, Upload, VersionBasis,
};
pub use views::{
    findings_page, list, version_diff, view, CalendarBasis, ClockState, FindingView, ListFilter,
    ReleaseSummary, ReleaseView, StageView, VersionDiff,
};

use diesel::prelude::*;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::db::models::Release;
use crate::db::schema::{releases, stage_decisions};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::ids::ReleaseId;
use crate::workflow::{self, State};

/// The audit actor of what the service does by itself (an inspection
/// finishing, an embargo ending).
pub(crate) const SYSTEM_ACTOR: &str = "system";

/// `findings.segment` of a column summary: it stands for the findings of one
/// table column, and dispositioning it dispositions them.
pub const COLUMN_SUMMARY_SEGMENT: i32 = -1;
/// `findings.segment` of a finding about a whole file or part of one
/// (`SCAN_FAILED`, `UNREADABLE_CONTENT`): it
/// counts like any other finding, but has no value to reveal or redact.
pub(crate) const WHOLE_FILE_SEGMENT: i32 = -2;

/// The workflow's reading rule (`workflow::may_read`) for this user; whether
/// they took part in the review is asked only when it matters.
pub fn can_read(conn: &mut DbConn, user: &CurrentUser, release: &Release) -> AppResult<bool> {
    let (state, co) = (release.state, &release.co_departments);
    let may =
        |took_part| workflow::may_read(&user.actor(), state, &release.department, co, took_part);
    if may(false) {
        return Ok(true);
    }
    if !may(true) {
        return Ok(false);
    }
    let decided: i64 = stage_decisions::table
        .filter(stage_decisions::release_id.eq(&release.id))
        .filter(stage_decisions::actor_id.eq(&user.id))
        .count()
        .get_result(conn)?;
    Ok(decided > 0)
}

pub fn load(conn: &mut DbConn, id: &ReleaseId) -> AppResult<Release> {
    releases::table
        .find(id)
        .select(Release::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no release {id}")))
}

/// Loads a release the caller may read. One the caller may not read answers
/// 404 like a missing one, so its existence is not confirmed.
pub fn load_readable(conn: &mut DbConn, user: &CurrentUser, id: &ReleaseId) -> AppResult<Release> {
    let release = load(conn, id)?;
    if !can_read(conn, user, &release)? {
        return Err(AppError::NotFound(format!("no release {id}")));
    }
    Ok(release)
}

/// Keyset cursor: the opaque string is the last item's sort key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Turns `limit + 1` fetched rows into a page; the cursor is the key of
    /// its last row when there are more.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        key: impl Fn(&R) -> String,
        map: impl FnMut(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more { rows.last().map(&key) } else { None };
        Page {
            items: rows.into_iter().map(map).collect(),
            next_cursor,
        }
    }

    /// The same page with each item mapped by a fallible `f`.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }
}

pub fn clamp_limit(limit: Option<i64>) -> i64 {
    limit.unwrap_or(50).clamp(1, 200)
}
