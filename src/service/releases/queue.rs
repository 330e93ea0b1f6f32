//! The reviewer queue: stages waiting for the caller's decision, earliest
//! deadline first, keyset-paged on (rank, release, stage). Answered by one
//! indexed query over the stage rows, whatever the number of releases.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use serde::Serialize;

use super::{clamp_limit, Page, COLUMN_SUMMARY_SEGMENT};
use crate::auth::CurrentUser;
use crate::db::schema::{
    finding_tallies, findings, recusals, release_stages, releases, stage_decisions,
};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::policy::Role;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub release_id: String,
    pub title: String,
    pub department: String,
    pub state: String,
    pub stage: String,
    pub stage_status: String,
    pub opened_at: Option<String>,
    pub deadline: Option<String>,
    /// When the release was filed: the age of items without a deadline.
    pub created_at: String,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    String,
    NaiveDateTime,
);

/// Optional narrowing of the queue; every field is an exact match.
#[derive(Debug, Default, Clone)]
pub struct QueueFilter {
    pub stage: Option<String>,
    pub department: Option<String>,
    pub state: Option<String>,
}

pub fn queue(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &QueueFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page<QueueItem>> {
    let limit = clamp_limit(limit);
    // One query per role, each an index range in queue order, merged here:
    // with `role = ANY(…)` PostgreSQL sorted every actionable stage of the
    // role (550 ms at a million releases) instead of reading the first page.
    // The merge compares the keys bytewise, as a `C` collation does; they
    // are ASCII timestamps, ULIDs and stage names.
    let mut rows: Vec<Row> = Vec::new();
    for role in &user.roles {
        rows.extend(role_queue(conn, user, *role, filter, cursor, limit)?);
    }
    rows.sort_by(|a, b| (&a.8, &a.0, &a.4).cmp(&(&b.8, &b.0, &b.4)));
    rows.truncate(limit as usize + 1);
    Ok(Page::from_rows(
        rows,
        limit,
        |r| format!("{},{},{}", r.8, r.0, r.4),
        |r| QueueItem {
            release_id: r.0,
            title: r.1,
            department: r.2,
            state: r.3,
            stage: r.4,
            stage_status: r.5,
            opened_at: r.6.as_ref().map(crate::audit::format_time),
            deadline: r.7.as_ref().map(crate::audit::format_time),
            created_at: crate::audit::format_time(&r.9),
        },
    ))
}

/// The first `limit + 1` queue rows of one role, in queue order.
fn role_queue(
    conn: &mut DbConn,
    user: &CurrentUser,
    role: Role,
    filter: &QueueFilter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<Row>> {
    let dept_pattern = format!("%,{},%", user.department.clone().unwrap_or_default());
    // Separation of duties: nothing of a release whose other stage I decided,
    // nor a stage I already decided for this version.
    let decided_elsewhere = stage_decisions::table
        .filter(stage_decisions::release_id.eq(release_stages::release_id))
        .filter(stage_decisions::actor_id.eq(user.id.clone()))
        .filter(
            stage_decisions::stage
                .ne(release_stages::stage)
                .or(stage_decisions::dismissed.eq(false)),
        );
    // A recusal takes the whole release out of my queue.
    let recused = recusals::table
        .filter(recusals::release_id.eq(release_stages::release_id))
        .filter(recusals::user_id.eq(user.id.clone()));
    let mut query = release_stages::table
        .inner_join(releases::table)
        .filter(release_stages::actionable.eq(true))
        .filter(release_stages::role.eq(role))
        .filter(
            release_stages::departments
                .is_null()
                .or(release_stages::departments.like(dept_pattern)),
        )
        .filter(releases::submitter_id.ne(user.id.clone()))
        .filter(diesel::dsl::not(diesel::dsl::exists(decided_elsewhere)))
        .filter(diesel::dsl::not(diesel::dsl::exists(recused)))
        .into_boxed();
    if let Some(stage) = &filter.stage {
        query = query.filter(release_stages::stage.eq(stage.clone()));
    }
    if let Some(dept) = &filter.department {
        query = query.filter(releases::department.eq(dept.clone()));
    }
    if let Some(state) = &filter.state {
        query = query.filter(releases::state.eq(state.clone()));
    }
    if let Some((rank, release, stage)) = cursor.and_then(parse_cursor) {
        query = query.filter(
            release_stages::queue_rank
                .gt(rank.clone())
                .or(release_stages::queue_rank
                    .eq(rank.clone())
                    .and(release_stages::release_id.gt(release.clone())))
                .or(release_stages::queue_rank
                    .eq(rank)
                    .and(release_stages::release_id.eq(release))
                    .and(release_stages::stage.gt(stage))),
        );
    }
    Ok(query
        .order((
            release_stages::queue_rank.asc(),
            release_stages::release_id.asc(),
            release_stages::stage.asc(),
        ))
        .limit(limit + 1)
        .select((
            release_stages::release_id,
            releases::title,
            releases::department,
            releases::state,
            release_stages::stage,
            release_stages::status,
            release_stages::opened_at,
            release_stages::deadline,
            release_stages::queue_rank,
            releases::created_at,
        ))
        .load(conn)?)
}

fn parse_cursor(cursor: &str) -> Option<(String, String, String)> {
    let mut parts = cursor.splitn(3, ',');
    Some((
        parts.next()?.to_string(),
        parts.next()?.to_string(),
        parts.next()?.to_string(),
    ))
}

/// Finding counts by severity of each release's current version, for a page
/// of releases: the tallies written when each inspection concluded, and for
/// a release still being inspected its findings as they stand.
pub fn severity_counts(
    conn: &mut DbConn,
    release_ids: &[String],
) -> AppResult<BTreeMap<String, BTreeMap<String, i64>>> {
    let tallied: Vec<(String, String, i64)> = finding_tallies::table
        .inner_join(
            releases::table.on(releases::id
                .eq(finding_tallies::release_id)
                .and(releases::version.eq(finding_tallies::version))),
        )
        .filter(finding_tallies::release_id.eq_any(release_ids))
        .select((
            finding_tallies::release_id,
            finding_tallies::severity,
            finding_tallies::findings,
        ))
        .load(conn)?;
    let untallied: Vec<&String> = release_ids
        .iter()
        .filter(|id| !tallied.iter().any(|(t, _, _)| t == *id))
        .collect();
    let counted: Vec<(String, String, i64)> = if untallied.is_empty() {
        Vec::new()
    } else {
        findings::table
            .inner_join(
                releases::table.on(releases::id
                    .eq(findings::release_id)
                    .and(releases::version.eq(findings::version))),
            )
            .filter(findings::release_id.eq_any(untallied))
            .filter(findings::segment.ne(COLUMN_SUMMARY_SEGMENT))
            .group_by((findings::release_id, findings::severity))
            .select((findings::release_id, findings::severity, count_star()))
            .load(conn)?
    };
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (id, severity, n) in tallied.into_iter().chain(counted) {
        out.entry(id).or_default().insert(severity, n);
    }
    Ok(out)
}

/// The stages of each release that are open (awaiting decisions), in route
/// order: what a submitter's release is waiting on.
pub fn open_stages(
    conn: &mut DbConn,
    release_ids: &[String],
) -> AppResult<BTreeMap<String, Vec<String>>> {
    let rows: Vec<(String, String)> = release_stages::table
        .filter(release_stages::release_id.eq_any(release_ids))
        .filter(release_stages::status.eq("open"))
        .order((release_stages::release_id, release_stages::position))
        .select((release_stages::release_id, release_stages::stage))
        .load(conn)?;
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, stage) in rows {
        out.entry(id).or_default().push(stage);
    }
    Ok(out)
}
