//! The administrator's hand on the job queue (`jobs`): a page of jobs and
//! the retry of a parked one. A retry runs an inspection or a mail again, so
//! it is audited, from the CLI and from the page alike.

use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::jobs::{self, JobState, JobView};
use crate::service::audit_log;
use crate::service::releases::Page;

/// A page of `limit` jobs, newest first, after `cursor` (the last id of the
/// previous page).
pub fn page(
    conn: &mut DbConn,
    state: Option<JobState>,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Page<JobView>> {
    let rows = jobs::list(conn, state, cursor, limit + 1)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |j| j.id.clone(),
        JobView::from,
    ))
}

/// Queues the parked job `job_id` again and records who did it.
pub fn retry(conn: &mut DbConn, actor: &str, job_id: &str) -> AppResult<JobView> {
    write_tx(conn, |conn| {
        let job = jobs::retry(conn, job_id, crate::audit::now())?;
        audit_log::append(
            conn,
            audit_log::draft(
                actor,
                crate::audit::Action::JobRetried,
                None,
                serde_json::json!({"job": job.id, "kind": job.kind, "subject": job.subject}),
            ),
        )?;
        Ok::<_, AppError>(JobView::from(job))
    })
}
