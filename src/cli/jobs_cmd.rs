//! `releasegate jobs list|retry`: the operator's view of the job queue.

use super::admin::{finish, with_db};
use crate::jobs::{self, JobState, JobView};
use crate::service::{accounts::CLI_ACTOR, job_queue};

pub fn list(state: Option<JobState>, limit: u32) -> i32 {
    let limit = i64::from(limit.clamp(1, 10_000));
    let rows = with_db(|_, conn| jobs::list(conn, state, None, limit));
    finish(rows, |rows| {
        for job in rows {
            println!("{}", serde_json::json!(JobView::from(job)));
        }
    })
}

pub fn retry(id: &str) -> i32 {
    let job = with_db(|_, conn| job_queue::retry(conn, CLI_ACTOR, id));
    finish(job, |job| {
        eprintln!("job {} ({}) is queued again", job.id, job.kind);
    })
}
