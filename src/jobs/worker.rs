//! Running jobs: claim one, keep its lease alive while it works, record the
//! outcome. `serve` runs `RELEASEGATE_MAX_CONCURRENT_SCANS` workers per
//! instance, which is also the bound on inspections running at once.

use std::sync::mpsc;
use std::time::Duration as StdDuration;

use chrono::Duration;

use super::{claim, complete, fail, renew, Job, JobState, Task};
use crate::app::AppState;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::service::releases::inspection;

/// The job was taken over by another worker (this one's lease ran out):
/// whatever this worker still had to write is dropped.
#[derive(Debug, thiserror::Error)]
#[error("the job was taken over by another worker after its lease ran out")]
pub struct Lost;

impl From<Lost> for AppError {
    fn from(lost: Lost) -> Self {
        AppError::internal(lost)
    }
}

fn is_lost(err: &AppError) -> bool {
    matches!(err, AppError::Internal(e) if e.is::<Lost>())
}

/// What a failed attempt leaves in `jobs.last_error`: the whole cause chain.
fn describe(err: &AppError) -> String {
    match err {
        AppError::Internal(e) => format!("{e:#}"),
        other => other.to_string(),
    }
}

/// A running job as its task sees it: report progress, and mark the job
/// done in the transaction that records its result. While the task runs, a
/// second thread renews the lease every third of it.
pub struct Heartbeat<'a> {
    state: &'a AppState,
    job_id: &'a str,
    worker: &'a str,
    lease: Duration,
}

impl Heartbeat<'_> {
    pub fn progress(&self, progress: &serde_json::Value) -> AppResult<()> {
        let mut conn = self.state.pool.get()?;
        renew(
            &mut conn,
            self.job_id,
            self.worker,
            self.lease,
            Some(progress),
            crate::audit::now(),
        )
    }

    /// Runs `work` while a second thread renews the lease every third of
    /// it, so a long job keeps its lease however long one step takes.
    fn keep_alive<T: Send>(&self, work: impl FnOnce() -> T + Send) -> AppResult<T> {
        let period = (self.lease / 3)
            .to_std()
            .unwrap_or(StdDuration::from_secs(1));
        let (done, stop) = mpsc::channel::<()>();
        let (value, renewed) =
            std::thread::scope(|scope| {
                let beat = scope.spawn(move || loop {
                match stop.recv_timeout(period) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        let beat = self.state.pool.get().map_err(AppError::from).and_then(
                            |mut conn| {
                                renew(
                                    &mut conn,
                                    self.job_id,
                                    self.worker,
                                    self.lease,
                                    None,
                                    crate::audit::now(),
                                )
                            },
                        );
                        if let Err(e) = beat {
                            if is_lost(&e) {
                                return Err(e);
                            }
                            tracing::warn!(job = self.job_id, error = %e, "lease renewal failed");
                        }
                    }
                    _ => return Ok(()),
                }
            });
                let value = work();
                drop(done);
                (value, beat.join())
            });
        match renewed {
            Ok(Ok(())) => Ok(value),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(AppError::internal(anyhow::anyhow!(
                "the lease renewal thread panicked"
            ))),
        }
    }

    /// Marks the job done; call it inside the transaction that writes the
    /// job's result.
    pub fn complete(&self, conn: &mut DbConn) -> AppResult<()> {
        complete(conn, self.job_id, self.worker, crate::audit::now())
    }

    /// Confirms, inside the caller's transaction, that this worker still
    /// holds the job, and extends its lease: every partial write of a job
    /// goes through it, so a worker that stalled past its lease and was
    /// taken over writes nothing more (`Err(Lost)` rolls the write back).
    /// The row lock it takes also keeps another worker from claiming the
    /// job until the write commits.
    pub fn hold(&self, conn: &mut DbConn) -> AppResult<()> {
        renew(
            conn,
            self.job_id,
            self.worker,
            self.lease,
            None,
            crate::audit::now(),
        )
    }
}

/// Claims and runs the next due job as `worker`; `false` when none was due.
pub fn run_next(state: &AppState, worker: &str) -> AppResult<bool> {
    let lease = state.settings.job_lease;
    let claimed = claim(&mut *state.pool.get()?, worker, lease, crate::audit::now())?;
    let Some(job) = claimed else {
        return Ok(false);
    };
    run_claimed(state, job, worker)?;
    Ok(true)
}

/// Runs `job`, which `worker` claimed, and records how it ended. A job
/// taken over meanwhile by another worker is left to that one.
pub fn run_claimed(state: &AppState, job: Job, worker: &str) -> AppResult<()> {
    let lease = state.settings.job_lease;
    let beat = Heartbeat {
        state,
        job_id: &job.id,
        worker,
        lease,
    };
    let task: Result<Task, _> = serde_json::from_str(&job.payload);
    let outcome = match &task {
        // Each claim counts an attempt; past the last one, the earlier
        // workers died mid-job (the lease ran out every time).
        Ok(_) if job.attempts > job.max_attempts => Err(AppError::internal(anyhow::anyhow!(
            "stopped: its worker ended {} times before finishing",
            job.attempts - 1
        ))),
        Ok(task) => beat
            .keep_alive(|| execute(state, &beat, task))
            .and_then(|done| done),
        Err(e) => Err(AppError::internal(anyhow::anyhow!(
            "unreadable job payload: {e}"
        ))),
    };
    let Err(err) = outcome else {
        tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempts, "job done");
        return Ok(());
    };
    if is_lost(&err) {
        tracing::warn!(job = %job.id, kind = %job.kind, "{err}");
        return Ok(());
    }
    let reason = describe(&err);
    let left = fail(
        &mut *state.pool.get()?,
        &job,
        worker,
        &reason,
        crate::audit::now(),
    )?;
    tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, state = %left, error = %reason, "job failed");
    if let (JobState::Failed, Ok(task)) = (left, &task) {
        parked(state, task, &reason)?;
    }
    Ok(())
}

fn execute(state: &AppState, beat: &Heartbeat, task: &Task) -> AppResult<()> {
    match task {
        Task::Inspect {
            release_id,
            version,
        } => inspection::run(state, beat, release_id, *version),
    }
}

/// What a task leaves behind when it is given up.
fn parked(state: &AppState, task: &Task, reason: &str) -> AppResult<()> {
    match task {
        Task::Inspect {
            release_id,
            version,
        } => inspection::give_up(state, release_id, *version, reason),
    }
}

/// Runs every due job, one after another (the CLI and tests): how many ran.
pub fn drain(state: &AppState) -> AppResult<usize> {
    let worker = format!("drain-{}", ulid::Ulid::new());
    let mut ran = 0;
    while run_next(state, &worker)? {
        ran += 1;
    }
    Ok(ran)
}

/// How often an idle worker looks for due jobs (a job queued by this
/// instance wakes one at once).
const POLL: StdDuration = StdDuration::from_secs(2);

/// Starts `state.settings.max_concurrent_scans` workers on the actix runtime.
pub fn spawn_workers(state: &AppState) {
    for n in 0..state.settings.max_concurrent_scans {
        let state = state.clone();
        let worker = format!("{}-{}-{n}", std::process::id(), ulid::Ulid::new());
        actix_web::rt::spawn(async move {
            loop {
                let me = worker.clone();
                match state.off_pool(move |state| run_next(state, &me)).await {
                    Ok(true) => continue,
                    Ok(false) => {
                        let _ = actix_web::rt::time::timeout(POLL, state.job_wake.notified()).await;
                    }
                    Err(e) => {
                        tracing::warn!(worker = %worker, error = %e, "job worker error");
                        actix_web::rt::time::sleep(POLL).await;
                    }
                }
            }
        });
    }
}
