//! Read models of releases and findings, as the API returns them.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use super::{clamp_limit, load_readable, Page, State, COLUMN_SUMMARY_SEGMENT};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::models::{Finding, Release, ReleaseStage, ReleaseVersion, StoredFile};
use crate::db::schema::{
    files, finding_tallies, findings, release_stages, release_versions, releases, stage_decisions,
    users,
};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::ids::{FindingId, ReleaseId};
use crate::policy::Role;
use crate::workflow::{ClockReason, Decision, Disposition, OpenMode, StageStatus};

mod time {
    use chrono::NaiveDateTime;
    use serde::Serializer;

    pub fn opt<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&crate::audit::format_time(t)),
            None => s.serialize_none(),
        }
    }

    pub fn one<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::audit::format_time(t))
    }
}

/// A decision joined with its actor's username.
#[derive(Queryable, Selectable)]
#[diesel(table_name = stage_decisions)]
struct DecisionRow {
    stage: String,
    #[diesel(select_expression = users::username)]
    actor: String,
    decision: Decision,
    comment: String,
    version: i32,
    digest: String,
    dismissed: bool,
    created_at: NaiveDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub actor: String,
    pub decision: Decision,
    pub comment: String,
    pub version: i32,
    pub digest: String,
    pub dismissed: bool,
    #[serde(serialize_with = "time::one")]
    pub at: NaiveDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StageView {
    pub key: String,
    pub name: String,
    pub status: StageStatus,
    pub role: Role,
    pub required_approvals: i32,
    pub approvals: i32,
    #[serde(serialize_with = "time::opt")]
    pub opened_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "time::opt")]
    pub deadline: Option<NaiveDateTime>,
    /// `running` or `stopped` while the stage is open; null otherwise.
    pub clock: Option<ClockState>,
    /// Why the clock stands still, and since when.
    pub clock_reason: Option<ClockReason>,
    #[serde(serialize_with = "time::opt")]
    pub clock_stopped_at: Option<NaiveDateTime>,
    /// Working days to the deadline (negative once missed); while the clock
    /// is stopped, what was left when it stopped.
    pub working_days_left: Option<i64>,
    /// Working days added by extensions.
    pub extended_by: i32,
    /// `provisional` when the deadline runs through a year without a
    /// calendar file (counted Monday–Friday), else `official`; null without one.
    pub calendar: Option<CalendarBasis>,
    pub decisions: Vec<DecisionView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    Running,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CalendarBasis {
    Official,
    Provisional,
}

/// A hold on an approved release.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    #[serde(serialize_with = "time::one")]
    pub at: NaiveDateTime,
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub kind: String,
    pub encoding: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub digest: String,
    #[serde(serialize_with = "time::one")]
    pub created_at: NaiveDateTime,
    pub files: Vec<FileView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingCounts {
    pub total: i64,
    pub by_severity: BTreeMap<String, i64>,
    pub undispositioned: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub department: String,
    pub co_departments: Vec<String>,
    pub data_category: String,
    pub open_mode: OpenMode,
    pub cross_border: bool,
    #[serde(serialize_with = "time::opt")]
    pub publish_at: Option<NaiveDateTime>,
    pub state: State,
    pub version: i32,
    pub submitter: String,
    pub policy_digest: String,
    pub stages: Vec<StageView>,
    pub versions: Vec<VersionView>,
    pub findings: FindingCounts,
    /// While the release is `scanning`: how far the inspection of its files got.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanProgress>,
    #[serde(serialize_with = "time::one")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "time::one")]
    pub updated_at: NaiveDateTime,
    #[serde(serialize_with = "time::opt")]
    pub published_at: Option<NaiveDateTime>,
    /// Set while an approved release is held back from publication.
    pub hold: Option<HoldView>,
    #[serde(serialize_with = "time::opt")]
    pub retracted_at: Option<NaiveDateTime>,
    pub retraction_reason: Option<String>,
}

/// The inspection of the current version's files, as far as it got.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct ScanProgress {
    pub files_done: i64,
    pub files_total: i64,
    pub bytes_done: i64,
    pub bytes_total: i64,
}

fn scan_progress(
    conn: &mut DbConn,
    release: &Release,
    files: &[StoredFile],
) -> AppResult<Option<ScanProgress>> {
    if release.state != State::Scanning {
        return Ok(None);
    }
    let current = files.iter().filter(|f| f.version == release.version);
    let reported = crate::jobs::progress_of(conn, &release.id)?;
    let done = |key: &str| reported.as_ref().and_then(|p| p[key].as_i64()).unwrap_or(0);
    Ok(Some(ScanProgress {
        files_done: done("files_done"),
        files_total: current.clone().count() as i64,
        bytes_done: done("bytes_done"),
        bytes_total: current.map(|f| f.size).sum(),
    }))
}

pub fn counts(conn: &mut DbConn, release: &Release) -> AppResult<FindingCounts> {
    let tallied: Vec<(String, i64)> = finding_tallies::table
        .filter(finding_tallies::release_id.eq(&release.id))
        .filter(finding_tallies::version.eq(release.version))
        .select((finding_tallies::severity, finding_tallies::findings))
        .load(conn)?;
    // A version still being inspected has no tallies yet: it is counted.
    let by_severity: BTreeMap<String, i64> = match tallied.is_empty() {
        true => count_by_severity(conn, &release.id, release.version)?,
        false => tallied,
    }
    .into_iter()
    .collect();
    let undispositioned = super::backlog::undispositioned(conn, &release.id, release.version)?;
    Ok(FindingCounts {
        total: by_severity.values().sum(),
        by_severity,
        undispositioned,
    })
}

/// A version's findings by severity, counted over the findings themselves
/// (column summaries aside, which stand for cells already counted).
pub(super) fn count_by_severity(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    version: i32,
) -> AppResult<Vec<(String, i64)>> {
    Ok(findings::table
        .filter(findings::release_id.eq(release_id))
        .filter(findings::version.eq(version))
        .filter(findings::segment.ne(COLUMN_SUMMARY_SEGMENT))
        .group_by(findings::severity)
        .select((findings::severity, count_star()))
        .load(conn)?)
}

pub fn view(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &ReleaseId,
) -> AppResult<ReleaseView> {
    let release = load_readable(conn, user, id)?;
    build(state, conn, release)
}

pub(super) fn build(
    state: &AppState,
    conn: &mut DbConn,
    release: Release,
) -> AppResult<ReleaseView> {
    let submitter: String = users::table
        .find(&release.submitter_id)
        .select(users::username)
        .first(conn)?;
    let decisions: Vec<DecisionRow> = stage_decisions::table
        .inner_join(users::table.on(users::id.eq(stage_decisions::actor_id)))
        .filter(stage_decisions::release_id.eq(&release.id))
        .order(stage_decisions::created_at.asc())
        .select(DecisionRow::as_select())
        .load(conn)?;
    let rows: Vec<ReleaseStage> = release_stages::table
        .filter(release_stages::release_id.eq(&release.id))
        .order(release_stages::position.asc())
        .select(ReleaseStage::as_select())
        .load(conn)?;
    let now = crate::audit::now();
    let calendar = &state.policies.calendar;
    let stages = rows
        .into_iter()
        .map(|row| StageView {
            name: state
                .policies
                .workflow
                .stage(&row.stage)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            clock: match (&row.clock_stopped_at, row.status == StageStatus::Open) {
                (Some(_), _) => Some(ClockState::Stopped),
                (None, true) => Some(ClockState::Running),
                (None, false) => None,
            },
            clock_reason: row.clock_reason.as_deref().and_then(|r| r.parse().ok()),
            clock_stopped_at: row.clock_stopped_at,
            working_days_left: match (row.deadline, row.clock_stopped_at, row.opened_at) {
                (Some(deadline), _, _) => Some(calendar.working_days_between(now, deadline)),
                (None, Some(stopped), Some(opened)) => state
                    .policies
                    .workflow
                    .stage(&row.stage)
                    .and_then(|s| s.sla_working_days)
                    .map(|sla| {
                        i64::from(sla) + i64::from(row.stopped_days + row.extended_days)
                            - calendar.working_days_between(opened, stopped)
                    }),
                _ => None,
            },
            extended_by: row.extended_days,
            calendar: row.deadline.map(|_| {
                if row.provisional {
                    CalendarBasis::Provisional
                } else {
                    CalendarBasis::Official
                }
            }),
            decisions: decisions
                .iter()
                .filter(|d| d.stage == row.stage)
                .map(|d| DecisionView {
                    actor: d.actor.clone(),
                    decision: d.decision,
                    comment: d.comment.clone(),
                    version: d.version,
                    digest: d.digest.clone(),
                    dismissed: d.dismissed,
                    at: d.created_at,
                })
                .collect(),
            key: row.stage,
            status: row.status,
            role: row.role,
            required_approvals: row.required_approvals,
            approvals: row.approvals,
            opened_at: row.opened_at,
            deadline: row.deadline,
        })
        .collect();
    let version_rows: Vec<ReleaseVersion> = release_versions::table
        .filter(release_versions::release_id.eq(&release.id))
        .order(release_versions::version.asc())
        .select(ReleaseVersion::as_select())
        .load(conn)?;
    let file_rows: Vec<StoredFile> = files::table
        .filter(files::release_id.eq(&release.id))
        .order((files::version.asc(), files::name.asc()))
        .select(StoredFile::as_select())
        .load(conn)?;
    let versions = version_rows
        .into_iter()
        .map(|v| VersionView {
            files: file_rows
                .iter()
                .filter(|f| f.version == v.version)
                .map(|f| FileView {
                    name: f.name.clone(),
                    sha256: f.sha256.clone(),
                    size: f.size,
                    kind: f.kind.clone(),
                    encoding: f.encoding.clone(),
                })
                .collect(),
            version: v.version,
            digest: v.digest,
            created_at: v.created_at,
        })
        .collect();
    let findings = counts(conn, &release)?;
    let scan = scan_progress(conn, &release, &file_rows)?;
    Ok(ReleaseView {
        co_departments: release.co_departments.to_vec(),
        id: release.id.into(),
        title: release.title,
        description: release.description,
        department: release.department,
        data_category: release.data_category,
        open_mode: release.open_mode,
        cross_border: release.cross_border,
        publish_at: release.publish_at,
        state: release.state,
        version: release.version,
        submitter,
        policy_digest: release.policy_digest,
        stages,
        versions,
        findings,
        scan,
        created_at: release.created_at,
        updated_at: release.updated_at,
        published_at: release.published_at,
        hold: release.held_at.map(|at| HoldView {
            at,
            reason: release.hold_reason.clone().unwrap_or_default(),
        }),
        retracted_at: release.retracted_at,
        retraction_reason: release.retraction_reason.clone(),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReleaseSummary {
    pub id: String,
    pub title: String,
    pub department: String,
    pub state: State,
    pub version: i32,
    #[serde(serialize_with = "time::one")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "time::one")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default)]
pub struct ListFilter {
    pub state: Option<State>,
    pub department: Option<String>,
}

/// Releases the caller may read, newest first, keyset-paged on the id
/// (ULIDs sort by creation time).
pub fn list(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &ListFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<ReleaseSummary>> {
    let limit = clamp_limit(limit);
    let mut query = releases::table.into_boxed();
    let dept = user.department.clone().unwrap_or_default();
    let own = releases::department
        .eq(dept.clone())
        .or(releases::co_departments.like(format!("%\"{dept}\"%")));
    let overseer = user.has(Role::Supervisor) || user.has(Role::Admin);
    let reviewer = user.roles.iter().any(|r| !r.is_departmental());
    // The same rule as `workflow::may_read`, as one query.
    if !reviewer {
        query = query.filter(own);
    } else if !overseer {
        let ended = [State::Rejected.as_str(), State::Withdrawn.as_str()];
        let took_part = diesel::dsl::exists(
            stage_decisions::table
                .filter(stage_decisions::release_id.eq(releases::id))
                .filter(stage_decisions::actor_id.eq(user.id.clone())),
        );
        query = query.filter(own.or(releases::state.ne_all(ended)).or(took_part));
    }
    if let Some(s) = filter.state {
        query = query.filter(releases::state.eq(s.as_str()));
    }
    if let Some(d) = &filter.department {
        query = query.filter(releases::department.eq(d.clone()));
    }
    if let Some(c) = cursor {
        query = query.filter(releases::id.lt(c.to_string()));
    }
    let rows: Vec<Release> = query
        .order(releases::id.desc())
        .limit(limit + 1)
        .select(Release::as_select())
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.to_string(),
        |r| ReleaseSummary {
            id: r.id.into(),
            title: r.title,
            department: r.department,
            state: r.state,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        },
    ))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DispositionView {
    pub disposition: Disposition,
    pub note: Option<String>,
    pub by: Option<String>,
    #[serde(serialize_with = "time::opt")]
    pub at: Option<NaiveDateTime>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FindingView {
    pub id: String,
    pub version: i32,
    #[serde(rename = "type")]
    pub entity: String,
    pub detector: String,
    pub category: String,
    pub severity: String,
    pub confidence: f64,
    pub location: serde_json::Value,
    /// `Sheet1!C` for findings in a table column.
    pub column: Option<String>,
    /// True for a column summary: its disposition applies to the column.
    pub column_summary: bool,
    pub excerpt: String,
    pub masked_value: String,
    pub disposition: Option<DispositionView>,
}

fn finding_view(f: Finding, by: Option<String>) -> FindingView {
    FindingView {
        location: f.location.0,
        column_summary: f.segment == COLUMN_SUMMARY_SEGMENT,
        column: f.column_ref,
        disposition: f.disposition.map(|d| DispositionView {
            disposition: d,
            note: f.disposition_note,
            by,
            at: f.disposed_at,
        }),
        id: f.id.into(),
        version: f.version,
        entity: f.entity,
        detector: f.detector,
        category: f.category.into(),
        severity: f.severity.into(),
        confidence: f.confidence,
        excerpt: f.excerpt,
        masked_value: f.masked_value,
    }
}

fn with_disposer(
    conn: &mut DbConn,
    rows: Vec<Finding>,
) -> AppResult<Vec<(Finding, Option<String>)>> {
    let ids: Vec<String> = rows.iter().filter_map(|f| f.disposed_by.clone()).collect();
    let names: BTreeMap<String, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::username))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|f| {
            let by = f.disposed_by.as_ref().and_then(|id| names.get(id).cloned());
            (f, by)
        })
        .collect())
}

pub fn finding(conn: &mut DbConn, id: &FindingId) -> AppResult<FindingView> {
    let row: Finding = findings::table
        .find(id)
        .select(Finding::as_select())
        .first(conn)?;
    let mut rows = with_disposer(conn, vec![row])?;
    let (f, by) = rows.remove(0);
    Ok(finding_view(f, by))
}

/// Findings of the current version, in file order, values masked.
pub fn findings_page(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &ReleaseId,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<FindingView>> {
    let release = load_readable(conn, user, id)?;
    let limit = clamp_limit(limit);
    let mut query = findings::table
        .filter(findings::release_id.eq(&release.id))
        .filter(findings::version.eq(release.version))
        .into_boxed();
    if let Some(c) = cursor {
        query = query.filter(findings::id.gt(c.to_string()));
    }
    let rows: Vec<Finding> = query
        .order(findings::id.asc())
        .limit(limit + 1)
        .select(Finding::as_select())
        .load(conn)?;
    let rows = with_disposer(conn, rows)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(f, _)| f.id.to_string(),
        |(f, by)| finding_view(f, by),
    ))
}

/// What changed between a version and the one before it: findings only in
/// the new one (`added`) or only in the old one (`removed`), matched by type,
/// location and masked value. Each side stops at `limit` rows (`truncated`
/// says so), so a version with 100,000 findings is never loaded whole.
#[derive(Debug, Serialize)]
pub struct VersionDiff {
    pub added: Vec<FindingView>,
    pub removed: Vec<FindingView>,
    pub truncated: bool,
}

pub fn version_diff(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &ReleaseId,
    version: i32,
    limit: i64,
) -> AppResult<VersionDiff> {
    let release = load_readable(conn, user, id)?;
    let (added, more_added) = only_in(conn, &release.id, version, version - 1, limit)?;
    let (removed, more_removed) = only_in(conn, &release.id, version - 1, version, limit)?;
    Ok(VersionDiff {
        added,
        removed,
        truncated: more_added || more_removed,
    })
}

/// Findings of `version` without a match in `other`, first `limit` by id.
/// The match is a correlated NOT EXISTS (diesel has no typed form for one),
/// answered from the `findings_diff` index. Its `OFFSET 0` keeps PostgreSQL
/// from turning it into an anti-join: with statistics that predate a large
/// upload, the planner would pick a nested loop over the whole version for
/// every row (quadratic); as a subplan it is one index probe per row.
fn only_in(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    version: i32,
    other: i32,
    limit: i64,
) -> AppResult<(Vec<FindingView>, bool)> {
    let unmatched = diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "NOT EXISTS (SELECT 1 FROM findings o WHERE o.release_id = findings.release_id \
         AND o.version = {other} AND o.entity = findings.entity \
         AND o.masked_value = findings.masked_value AND o.location = findings.location \
         LIMIT 1 OFFSET 0)"
    ));
    let mut rows: Vec<Finding> = findings::table
        .filter(findings::release_id.eq(release_id))
        .filter(findings::version.eq(version))
        .filter(unmatched)
        .order(findings::id.asc())
        .limit(limit + 1)
        .select(Finding::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((
        rows.into_iter().map(|f| finding_view(f, None)).collect(),
        more,
    ))
}
