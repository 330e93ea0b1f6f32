//! The audit chain on the database: append inside the caller's transaction,
//! verify and page through it without loading the whole table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::checkpoint::{self, CheckpointKey};
use crate::audit::{self, Draft, Event, Report, Verifier};
use crate::db::models::{AuditRow, CheckpointRow};
use crate::db::schema::{audit_checkpoints, audit_events, audit_head, releases};
use crate::db::DbConn;

const BATCH: i64 = 1000;

/// Appends one event. Must run inside `db::write_tx`, which holds the chain lock.
pub fn append(conn: &mut DbConn, draft: Draft) -> QueryResult<Event> {
    let (seq, prev): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .first(conn)?;
    let (event, canonical) = audit::seal(draft, seq + 1, &prev);
    diesel::insert_into(audit_events::table)
        .values(AuditRow {
            seq: event.seq,
            at: event.at,
            actor: event.actor.clone(),
            action: event.action.clone(),
            release_id: event.release_id.clone(),
            version: event.version,
            details: event.details.to_string(),
            prev_hash: event.prev_hash.clone(),
            hash: event.hash.clone(),
            canonical,
        })
        .execute(conn)?;
    diesel::update(audit_head::table.find(1))
        .set((
            audit_head::seq.eq(event.seq),
            audit_head::hash.eq(&event.hash),
        ))
        .execute(conn)?;
    Ok(event)
}

/// Builds a draft stamped now.
pub fn draft(
    actor: &str,
    action: audit::Action,
    release: Option<(&str, i32)>,
    details: serde_json::Value,
) -> Draft {
    Draft {
        at: audit::now(),
        actor: actor.to_string(),
        action: action.as_str().to_string(),
        release_id: release.map(|(id, _)| id.to_string()),
        version: release.map(|(_, v)| v),
        details,
    }
}

fn to_event(row: &AuditRow) -> Event {
    Event {
        seq: row.seq,
        at: row.at,
        actor: row.actor.clone(),
        action: row.action.clone(),
        release_id: row.release_id.clone(),
        version: row.version,
        // Unparseable details cannot match the canonical bytes: verification names the event.
        details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
        prev_hash: row.prev_hash.clone(),
        hash: row.hash.clone(),
    }
}

/// Signs the current head unless it is already checkpointed; returns the
/// seq signed, if any. Runs under the chain lock so the head cannot move.
pub fn checkpoint(conn: &mut DbConn, key: &CheckpointKey) -> QueryResult<Option<i64>> {
    crate::db::write_tx(conn, |conn| {
        let (seq, hash): (i64, String) = audit_head::table
            .find(1)
            .select((audit_head::seq, audit_head::hash))
            .first(conn)?;
        let last: Option<i64> = audit_checkpoints::table
            .select(diesel::dsl::max(audit_checkpoints::seq))
            .first(conn)?;
        if seq == 0 || last == Some(seq) {
            return Ok(None);
        }
        diesel::insert_into(audit_checkpoints::table)
            .values(CheckpointRow {
                seq,
                at: audit::now(),
                signature: key.sign(seq, &hash),
                public_key: key.public_hex(),
                hash,
            })
            .execute(conn)?;
        Ok(Some(seq))
    })
}

/// Verifies the whole chain in batches, then the recorded head, then every
/// signed checkpoint against `key` (the one trusted key: a checkpoint signed
/// by any other key proves nothing and is reported).
pub fn verify(conn: &mut DbConn, key: &CheckpointKey) -> QueryResult<Report> {
    // The chain keeps growing while it is read (background jobs append
    // too): events, checkpoints and head are read from one snapshot.
    crate::db::read_snapshot(conn, |conn| verify_snapshot(conn, key))
}

fn verify_snapshot(conn: &mut DbConn, key: &CheckpointKey) -> QueryResult<Report> {
    let mut verifier = Verifier::new();
    let checkpoints: Vec<CheckpointRow> = audit_checkpoints::table
        .order(audit_checkpoints::seq.asc())
        .select(CheckpointRow::as_select())
        .load(conn)?;
    let trusted = key.public_hex();
    let mut signed = Vec::with_capacity(checkpoints.len());
    for c in checkpoints {
        if c.public_key != trusted
            || !checkpoint::verify(c.seq, &c.hash, &c.public_key, &c.signature)
        {
            verifier.fail(
                c.seq,
                format!(
                    "the checkpoint at event {} is not signed by this deployment's key",
                    c.seq
                ),
            );
        }
        signed.push((c.seq, c.hash));
    }
    verifier.expect_checkpoints(signed);
    let mut after = 0i64;
    loop {
        let rows: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        for row in &rows {
            verifier.push(&to_event(row), Some(&row.canonical));
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == BATCH => after = last.seq,
            _ => break,
        }
    }
    let (seq, hash): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .first(conn)?;
    verifier.expect_head(seq, &hash);
    Ok(verifier.finish())
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub release: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Department code: events of the releases it leads.
    pub department: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// One page of events matching `filter`, in seq order, after `after_seq`.
pub fn page(
    conn: &mut DbConn,
    filter: &Filter,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let mut query = audit_events::table
        .filter(audit_events::seq.gt(after_seq))
        .into_boxed();
    if let Some(r) = &filter.release {
        query = query.filter(audit_events::release_id.eq(r.clone()));
    }
    if let Some(a) = &filter.actor {
        query = query.filter(audit_events::actor.eq(a.clone()));
    }
    if let Some(a) = &filter.action {
        query = query.filter(audit_events::action.eq(a.clone()));
    }
    if let Some(d) = &filter.department {
        query = query.filter(
            audit_events::release_id.eq_any(
                releases::table
                    .filter(releases::department.eq(d.clone()))
                    .select(releases::id.nullable()),
            ),
        );
    }
    if let Some(t) = filter.from {
        query = query.filter(audit_events::at.ge(t));
    }
    if let Some(t) = filter.to {
        query = query.filter(audit_events::at.lt(t));
    }
    let rows: Vec<AuditRow> = query
        .order(audit_events::seq.asc())
        .limit(limit)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok(rows.iter().map(to_event).collect())
}

/// Streams every matching event to `sink`, page by page.
pub fn for_each(
    conn: &mut DbConn,
    filter: &Filter,
    mut sink: impl FnMut(&Event) -> std::io::Result<()>,
) -> anyhow::Result<u64> {
    let mut after = 0;
    let mut count = 0;
    loop {
        let events = page(conn, filter, after, BATCH)?;
        for event in &events {
            sink(event)?;
            count += 1;
        }
        match events.last() {
            Some(last) if events.len() as i64 == BATCH => after = last.seq,
            _ => return Ok(count),
        }
    }
}

pub const CSV_HEADER: [&str; 9] = [
    "seq",
    "at",
    "actor",
    "action",
    "release_id",
    "version",
    "details",
    "prev_hash",
    "hash",
];

pub fn csv_record(event: &Event) -> [String; 9] {
    [
        event.seq.to_string(),
        audit::format_time(&event.at),
        event.actor.clone(),
        event.action.clone(),
        event.release_id.clone().unwrap_or_default(),
        event.version.map(|v| v.to_string()).unwrap_or_default(),
        event.details.to_string(),
        event.prev_hash.clone(),
        event.hash.clone(),
    ]
}
