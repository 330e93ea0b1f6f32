//! The audit log on the database: append inside the caller's transaction,
//! verify and page through it without loading the whole table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit_tree;
use crate::audit::checkpoint::{self, CheckpointKey};
use crate::audit::{self, merkle, Draft, Event, Report, Verifier};
use crate::db::models::AuditRow;
use crate::db::schema::{audit_events, audit_head, releases};
use crate::db::DbConn;
use crate::error::AppResult;

const BATCH: i64 = 1000;

/// Events older than this must be covered by a signed checkpoint. The
/// service signs one every 5 minutes (and at every publication); twice
/// that leaves room for one late sweep.
pub const CHECKPOINT_GRACE: chrono::Duration = chrono::Duration::minutes(10);

/// Appends one event to the chain and the tree. Must run inside
/// `db::write_tx`, which holds the chain lock.
pub fn append(conn: &mut DbConn, draft: Draft) -> QueryResult<Event> {
    let (seq, prev, tree_size): (i64, String, i64) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash, audit_head::tree_size))
        .first(conn)?;
    if tree_size < seq {
        // Events an earlier version wrote before the tree existed.
        audit_tree::catch_up(conn)?;
    }
    let (event, canonical) = audit::seal(draft, seq + 1, &prev);
    audit_tree::add_leaf(conn, seq as u64, &canonical)?;
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

/// Appends `count` synthetic `dev.seeded` events in transactions of 10,000
/// (`releasegate dev audit-events`): how the log is grown to a million
/// events to measure verification and proofs. The service never calls it.
pub fn seed(conn: &mut DbConn, count: u64) -> QueryResult<u64> {
    let mut done = 0;
    while done < count {
        let batch = (count - done).min(10_000);
        crate::db::write_tx(conn, |conn| {
            for n in done..done + batch {
                let details = serde_json::json!({"n": n});
                append(conn, draft("dev", audit::Action::DevSeeded, None, details))?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        done += batch;
    }
    Ok(done)
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

/// The event a row holds, and its stored canonical bytes.
fn into_event(row: AuditRow) -> (Event, Vec<u8>) {
    let event = Event {
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        action: row.action,
        release_id: row.release_id,
        version: row.version,
        // Unparseable details cannot match the canonical bytes: verification names the event.
        details: serde_json::from_str(&row.details).unwrap_or(serde_json::Value::Null),
        prev_hash: row.prev_hash,
        hash: row.hash,
    };
    (event, row.canonical)
}

pub fn to_event(row: &AuditRow) -> Event {
    into_event(row.clone()).0
}

/// A checkpoint kept outside the database (`audit checkpoint --out`), which
/// the log must still contain.
pub struct SavedCheckpoint {
    /// What to call it in a report: its file name.
    pub label: String,
    pub size: u64,
    pub root: merkle::Hash,
}

/// Verifies the whole log in batches: every event's bytes, hash and link,
/// the recorded head, the tree's root at every signed checkpoint (by `key`:
/// a checkpoint signed by any other key proves nothing and is reported) and
/// at every `saved` one, and that every event older than
/// [`CHECKPOINT_GRACE`] is covered by a checkpoint.
pub fn verify(
    conn: &mut DbConn,
    key: &CheckpointKey,
    saved: &[SavedCheckpoint],
) -> AppResult<Report> {
    // The log keeps growing while it is read (background jobs append
    // too): events, checkpoints and head are read from one snapshot.
    let trusted = checkpoint::verifier(&key.verifier_key())
        .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!(e)))?;
    Ok(crate::db::read_snapshot(conn, |conn| {
        verify_snapshot(conn, key, &trusted, saved)
    })?)
}

fn verify_snapshot(
    conn: &mut DbConn,
    key: &CheckpointKey,
    trusted: &signed_note::StandardVerifier,
    saved: &[SavedCheckpoint],
) -> QueryResult<Report> {
    let mut verifier = Verifier::new();
    verifier.require_checkpoints_before(audit::now() - CHECKPOINT_GRACE);
    for c in saved {
        verifier.expect_checkpoint(c.size, c.root, c.label.clone());
    }
    let mut after = 0i64;
    loop {
        let signed = audit_tree::checkpoints_between(conn, after, after + BATCH)?;
        expect_signed(&mut verifier, key, trusted, signed);
        let rows: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(BATCH)
            .select(AuditRow::as_select())
            .load(conn)?;
        let full = rows.len() as i64 == BATCH;
        let last = rows.last().map(|r| r.seq);
        for row in rows {
            let (event, canonical) = into_event(row);
            verifier.push(&event, Some(&canonical));
        }
        match last {
            Some(last) if full => after = last,
            _ => break,
        }
    }
    // Checkpoints beyond the last event: the tail behind them was cut.
    let beyond = audit_tree::checkpoints_between(conn, after + BATCH, i64::MAX)?;
    expect_signed(&mut verifier, key, trusted, beyond);
    let (seq, hash, tree_size): (i64, String, i64) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash, audit_head::tree_size))
        .first(conn)?;
    verifier.expect_head(seq, &hash);
    // Proofs are served from the stored tree: it must agree with the events.
    if tree_size == seq && audit_tree::root(conn, tree_size as u64).ok() != Some(verifier.root()) {
        verifier.fail(
            seq,
            "the stored Merkle tree does not match the events (its proofs would not verify)".into(),
        );
    }
    Ok(verifier.finish())
}

/// Hands stored checkpoints to the verifier once their signatures hold.
fn expect_signed(
    verifier: &mut Verifier,
    key: &CheckpointKey,
    trusted: &signed_note::StandardVerifier,
    rows: Vec<crate::db::models::CheckpointRow>,
) {
    for c in rows {
        let label = format!("the signed checkpoint at size {}", c.size);
        match checkpoint::open(
            c.note.as_bytes(),
            key.origin(),
            std::slice::from_ref(trusted),
        ) {
            Ok(signed) if signed.size == c.size as u64 => {
                verifier.expect_checkpoint(signed.size, signed.root, label)
            }
            Ok(_) => verifier.fail(c.size, format!("{label} signs another size")),
            Err(_) => verifier.fail(
                c.size,
                format!("{label} is not signed by this deployment's key"),
            ),
        }
    }
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

impl Filter {
    /// Whether it leaves events out (an export of a part of the log).
    pub fn is_partial(&self) -> bool {
        self.release.is_some()
            || self.actor.is_some()
            || self.action.is_some()
            || self.department.is_some()
            || self.from.is_some()
            || self.to.is_some()
    }

    fn to_json(&self) -> serde_json::Value {
        let time = |t: &Option<NaiveDateTime>| t.as_ref().map(audit::format_time);
        serde_json::json!({
            "release": self.release,
            "actor": self.actor,
            "action": self.action,
            "department": self.department,
            "from": time(&self.from),
            "to": time(&self.to),
        })
    }
}

/// Records that `reader` searched (`what`: `search`), exported
/// (`export.ndjson`, `export.csv`) or verified (`verify`) the log with
/// `filter`: reading the audit trail is itself on the trail.
pub fn record_read(
    conn: &mut DbConn,
    reader: &str,
    what: &str,
    filter: &Filter,
) -> QueryResult<()> {
    let details = serde_json::json!({"what": what, "filter": filter.to_json()});
    crate::db::write_tx(conn, |conn| {
        append(conn, draft(reader, audit::Action::AuditRead, None, details)).map(|_| ())
    })
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
/// The sink gets the connection too (to prove what it writes).
pub fn for_each(
    conn: &mut DbConn,
    filter: &Filter,
    mut sink: impl FnMut(&mut DbConn, &Event) -> anyhow::Result<()>,
) -> anyhow::Result<u64> {
    let mut after = 0;
    let mut count = 0;
    loop {
        let events = page(conn, filter, after, BATCH)?;
        for event in &events {
            sink(conn, event)?;
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
