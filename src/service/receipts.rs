//! Receipts for a release's decisions and publications, each proven
//! against the newest signed checkpoint (`audit::receipt`).

use diesel::prelude::*;

use super::{audit_log, audit_tree};
use crate::audit::receipt::Receipt;
use crate::audit::{Action, Event};
use crate::auth::CurrentUser;
use crate::db::models::{AuditRow, CheckpointRow};
use crate::db::schema::audit_events;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::ids::ReleaseId;

/// One receipt per decision, publication, withdrawal and retraction of the
/// release that the newest checkpoint covers, oldest first (each signs a
/// checkpoint as it is written, so all of them are).
/// Readable by whoever may read the release.
pub fn for_release(
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    only_seq: Option<i64>,
) -> AppResult<Vec<Receipt>> {
    super::releases::load_readable(conn, user, release_id)?;
    let Some(newest) = audit_tree::latest(conn)? else {
        return Ok(Vec::new());
    };
    let rows = receipted(conn, release_id, newest.size, only_seq)?;
    rows.iter().map(|row| receipt(conn, row, &newest)).collect()
}

/// The release's events that have a receipt, without their proofs (what
/// the release page lists).
pub fn events(
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
) -> AppResult<Vec<Event>> {
    super::releases::load_readable(conn, user, release_id)?;
    let Some(newest) = audit_tree::latest(conn)? else {
        return Ok(Vec::new());
    };
    let rows = receipted(conn, release_id, newest.size, None)?;
    Ok(rows.iter().map(audit_log::to_event).collect())
}

fn receipted(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    upto: i64,
    only_seq: Option<i64>,
) -> AppResult<Vec<AuditRow>> {
    let mut query = audit_events::table
        .filter(audit_events::release_id.eq(release_id))
        .filter(audit_events::action.eq_any(Action::RECEIPTED.map(Action::as_str)))
        .filter(audit_events::seq.le(upto))
        .into_boxed();
    if let Some(seq) = only_seq {
        query = query.filter(audit_events::seq.eq(seq));
    }
    Ok(query
        .order(audit_events::seq.asc())
        .select(AuditRow::as_select())
        .load(conn)?)
}

fn receipt(conn: &mut DbConn, row: &AuditRow, newest: &CheckpointRow) -> AppResult<Receipt> {
    let size = newest.size as u64;
    let (_, proof) = audit_tree::inclusion_proof(conn, row.seq as u64, Some(size))?;
    Ok(Receipt::new(
        audit_log::to_event(row),
        size,
        &proof,
        newest.note.clone(),
    ))
}

/// The receipt of event `seq` of the release, as a file.
pub fn one(
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    seq: i64,
) -> AppResult<Vec<u8>> {
    for_release(conn, user, release_id, Some(seq))?
        .first()
        .map(Receipt::to_bytes)
        .ok_or_else(|| {
            AppError::NotFound(format!(
                "event {seq} is no decision or publication of this release that a checkpoint covers"
            ))
        })
}

/// The newest event `actor` wrote with `action` on the release: the one a
/// call just made, whose receipt the call answers with.
pub fn newest_by(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    actor: &str,
    action: Action,
) -> AppResult<Option<i64>> {
    Ok(audit_events::table
        .filter(audit_events::release_id.eq(release_id))
        .filter(audit_events::actor.eq(actor))
        .filter(audit_events::action.eq(action.as_str()))
        .order(audit_events::seq.desc())
        .select(audit_events::seq)
        .first(conn)
        .optional()?)
}
