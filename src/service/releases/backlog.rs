//! How many findings of a version still want a disposition. Written when
//! the inspection concludes, lowered by each disposition (one is never
//! withdrawn), read by every view of the release: counting them instead
//! took 0.19 s on a two-million-cell table nobody had reviewed yet.

use diesel::prelude::*;

use super::COLUMN_SUMMARY_SEGMENT;
use crate::db::schema::{finding_backlogs, findings};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::ids::ReleaseId;

/// Counts the version's findings without a disposition, column summaries
/// aside (they stand for cells already counted).
fn count(conn: &mut DbConn, release_id: &ReleaseId, version: i32) -> AppResult<i64> {
    Ok(findings::table
        .filter(findings::release_id.eq(release_id))
        .filter(findings::version.eq(version))
        .filter(findings::segment.ne(COLUMN_SUMMARY_SEGMENT))
        .filter(findings::disposition.is_null())
        .count()
        .get_result(conn)?)
}

/// Records the backlog of a version whose inspection has just concluded.
pub(super) fn record(conn: &mut DbConn, release_id: &ReleaseId, version: i32) -> AppResult<()> {
    let undispositioned = count(conn, release_id, version)?;
    diesel::delete(finding_backlogs::table.find((release_id, version))).execute(conn)?;
    diesel::insert_into(finding_backlogs::table)
        .values((
            finding_backlogs::release_id.eq(release_id),
            finding_backlogs::version.eq(version),
            finding_backlogs::undispositioned.eq(undispositioned),
        ))
        .execute(conn)?;
    Ok(())
}

/// `settled` findings of the version have just had their first disposition.
pub(super) fn lower(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    version: i32,
    settled: i64,
) -> AppResult<()> {
    if settled > 0 {
        diesel::update(finding_backlogs::table.find((release_id, version)))
            .set(finding_backlogs::undispositioned.eq(finding_backlogs::undispositioned - settled))
            .execute(conn)?;
    }
    Ok(())
}

/// The version's backlog; counted when it has none recorded (still being
/// inspected, or copied by `dev seed`).
pub(super) fn undispositioned(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    version: i32,
) -> AppResult<i64> {
    let recorded = finding_backlogs::table
        .find((release_id, version))
        .select(finding_backlogs::undispositioned)
        .first(conn)
        .optional()?;
    match recorded {
        Some(n) => Ok(n),
        None => count(conn, release_id, version),
    }
}
