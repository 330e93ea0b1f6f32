//! The trace of public access (行为追溯): one row per download or refused
//! download of a published file — who (account, key, address), what, when,
//! how many bytes, which client. Supervisors search and export it.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::models::AccessLogRow;
use crate::db::schema::access_log;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::service::releases::Page;

/// Rows read per query while exporting.
const BATCH: i64 = 500;

/// One access, as supervisors read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessRecord {
    pub id: String,
    #[schema(format = DateTime)]
    pub at: String,
    pub release_id: String,
    pub file: String,
    pub account: Option<String>,
    pub key: Option<String>,
    pub address: String,
    pub user_agent: Option<String>,
    /// The HTTP status answered (200 for a download, 401/403 for a refusal).
    pub status: i32,
    pub bytes: i64,
}

impl From<AccessLogRow> for AccessRecord {
    fn from(r: AccessLogRow) -> Self {
        Self {
            id: r.id,
            at: crate::audit::format_time(&r.at),
            release_id: r.release_id.into(),
            file: r.file_name,
            account: r.account_id,
            key: r.key_id,
            address: r.address,
            user_agent: r.user_agent,
            status: r.status,
            bytes: r.bytes,
        }
    }
}

pub const ACCESS_CSV_HEADER: [&str; 10] = [
    "id",
    "at",
    "release_id",
    "file",
    "account",
    "key",
    "address",
    "user_agent",
    "status",
    "bytes",
];

impl AccessRecord {
    pub fn csv_record(&self) -> [String; 10] {
        [
            self.id.clone(),
            self.at.clone(),
            self.release_id.clone(),
            self.file.clone(),
            self.account.clone().unwrap_or_default(),
            self.key.clone().unwrap_or_default(),
            self.address.clone(),
            self.user_agent.clone().unwrap_or_default(),
            self.status.to_string(),
            self.bytes.to_string(),
        ]
    }
}

#[derive(Debug, Default, Clone)]
pub struct AccessFilter {
    pub release: Option<String>,
    pub account: Option<String>,
    pub key: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

pub(super) fn record(conn: &mut DbConn, row: &AccessLogRow) -> QueryResult<()> {
    diesel::insert_into(access_log::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Newest first, `limit` rows before the cursor `before` (a row id).
fn rows(
    conn: &mut DbConn,
    filter: &AccessFilter,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AccessLogRow>> {
    let mut query = access_log::table.order(access_log::id.desc()).into_boxed();
    if let Some(r) = &filter.release {
        query = query.filter(access_log::release_id.eq(r.clone()));
    }
    if let Some(a) = &filter.account {
        query = query.filter(access_log::account_id.eq(a.clone()));
    }
    if let Some(k) = &filter.key {
        query = query.filter(access_log::key_id.eq(k.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(access_log::at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(access_log::at.lt(to));
    }
    if let Some(before) = before {
        query = query.filter(access_log::id.lt(before.to_string()));
    }
    query
        .limit(limit)
        .select(AccessLogRow::as_select())
        .load(conn)
}

pub fn list_access(
    conn: &mut DbConn,
    filter: &AccessFilter,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<AccessRecord>> {
    let rows = rows(conn, filter, before, limit + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        AccessRecord::from,
    ))
}

/// Every matching row, newest first, a batch at a time (exports of any size).
pub fn for_each_access(
    conn: &mut DbConn,
    filter: &AccessFilter,
    mut sink: impl FnMut(&AccessRecord) -> std::io::Result<()>,
) -> anyhow::Result<u64> {
    let mut before: Option<String> = None;
    let mut count = 0;
    loop {
        let batch = rows(conn, filter, before.as_deref(), BATCH)?;
        let full = batch.len() as i64 == BATCH;
        before = batch.last().map(|r| r.id.clone());
        for row in batch {
            sink(&AccessRecord::from(row))?;
            count += 1;
        }
        if !full {
            return Ok(count);
        }
    }
}

/// Rows deleted per statement when pruning, so a long-overdue prune never
/// holds the write lock for long.
const PRUNE_BATCH: i64 = 5000;

/// Deletes the rows older than `days` days (the retention setting); answers
/// how many went.
pub fn prune_access_log(conn: &mut DbConn, days: u32) -> AppResult<usize> {
    let cutoff = crate::audit::now() - chrono::Duration::days(i64::from(days));
    let mut deleted = 0;
    loop {
        let old: Vec<String> = access_log::table
            .filter(access_log::at.lt(cutoff))
            .select(access_log::id)
            .limit(PRUNE_BATCH)
            .load(conn)?;
        let n =
            diesel::delete(access_log::table.filter(access_log::id.eq_any(&old))).execute(conn)?;
        deleted += n;
        if (n as i64) < PRUNE_BATCH {
            return Ok(deleted);
        }
    }
}
