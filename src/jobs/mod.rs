//! Background work persisted in the database: a job is a row in `jobs`,
//! so it survives a restart, and it is claimed with a lease so that with
//! several instances on one database no job runs twice.
//!
//! A claim is one `UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING *`:
//! on PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED`, so
//! concurrent workers pass over each other's rows instead of queueing on
//! them; on SQLite the statement runs under the database's single writer
//! lock. Every later write about a job (progress, completion, failure)
//! names the worker holding it, and so does every partial result the job
//! writes (`Heartbeat::hold`), so a worker whose lease ran out and was
//! taken over can neither finish the job a second time nor add to the
//! result of the worker that took it over.
//!
//! The periodic sweeps (`sweeps`) are not rows: each is idempotent and
//! claims its own work (due mail, due publications) under a lock.

mod sweeps;
mod worker;

use crate::ids::ReleaseId;
use crate::text_enum::text_enum;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};
use serde::{Deserialize, Serialize};

use crate::db::schema::jobs;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, ErrorCode};

pub use sweeps::{spawn_sweeps, SWEEPS};
pub use worker::{drain, run_claimed, run_next, spawn_workers, Heartbeat, Lost};

/// Where a job is in its life.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    /// Parked after its last attempt failed; `jobs retry` queues it again.
    Failed,
    Done,
}

impl JobState {
    pub const ALL: [JobState; 4] = [Self::Queued, Self::Running, Self::Failed, Self::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Failed => "failed",
            Self::Done => "done",
        }
    }
}

text_enum!(JobState, "job state");

/// A row of the `jobs` table: the queue keeps its row type beside its
/// queries (its state is the queue's own enum).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub payload: String,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: NaiveDateTime,
    pub locked_by: Option<String>,
    pub locked_until: Option<NaiveDateTime>,
    /// JSON, the job's own measure of how far it got.
    pub progress: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What a job does, stored as its payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Task {
    /// Read and scan every file of one version of a release, then move the
    /// release out of `scanning`.
    Inspect { release_id: ReleaseId, version: i32 },
}

impl Task {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Inspect { .. } => "inspect",
        }
    }

    fn subject(&self) -> Option<&str> {
        match self {
            Self::Inspect { release_id, .. } => Some(release_id),
        }
    }

    fn max_attempts(&self) -> i32 {
        match self {
            Self::Inspect { .. } => 5,
        }
    }
}

/// Queues `task` to run now, in the caller's transaction: the job exists
/// exactly when the change that needs it was committed.
pub fn enqueue(conn: &mut DbConn, task: &Task, now: NaiveDateTime) -> AppResult<String> {
    let id = ulid::Ulid::new().to_string();
    diesel::insert_into(jobs::table)
        .values(Job {
            id: id.clone(),
            kind: task.kind().into(),
            subject: task.subject().map(String::from),
            payload: serde_json::to_string(task).map_err(AppError::internal)?,
            state: JobState::Queued,
            attempts: 0,
            max_attempts: task.max_attempts(),
            run_at: now,
            locked_by: None,
            locked_until: None,
            progress: None,
            last_error: None,
            created_at: now,
            updated_at: now,
        })
        .execute(conn)?;
    Ok(id)
}

/// Claims the next due job for `worker` until `now + lease`: a queued job
/// whose time has come, or a running one whose worker stopped renewing it.
const CLAIM: &str = "UPDATE jobs SET state = 'running', attempts = attempts + 1, \
     locked_by = $1, locked_until = $2, updated_at = $3 \
     WHERE id = (SELECT id FROM jobs \
       WHERE (state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3) \
       ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
     RETURNING id";

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
}

pub fn claim(
    conn: &mut DbConn,
    worker: &str,
    lease: Duration,
    now: NaiveDateTime,
) -> AppResult<Option<Job>> {
    let until = now + lease;
    let claimed = match conn {
        DbConn::Postgres(c) => diesel::sql_query(CLAIM)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .get_result::<Claimed>(c)
            .optional()?,
        DbConn::Sqlite(c) => {
            let sql = CLAIM
                .replace(" FOR UPDATE SKIP LOCKED", "")
                .replace('$', "?");
            diesel::sql_query(sql)
                .bind::<Text, _>(worker)
                .bind::<Timestamp, _>(until)
                .bind::<Timestamp, _>(now)
                .get_result::<Claimed>(c)
                .optional()?
        }
    };
    let Some(Claimed { id }) = claimed else {
        return Ok(None);
    };
    Ok(Some(
        jobs::table.find(id).select(Job::as_select()).first(conn)?,
    ))
}

/// The job `job_id`, if `worker` still holds it.
type Held<'a> = diesel::dsl::And<
    diesel::dsl::And<
        diesel::dsl::Eq<jobs::id, &'a str>,
        diesel::dsl::Eq<jobs::state, &'static str>,
    >,
    diesel::dsl::Eq<jobs::locked_by, &'a str>,
>;

fn held<'a>(job_id: &'a str, worker: &'a str) -> Held<'a> {
    jobs::id
        .eq(job_id)
        .and(jobs::state.eq(JobState::Running.as_str()))
        .and(jobs::locked_by.eq(worker))
}

/// Extends the lease and records progress; `Err(Lost)` when another worker
/// has taken the job over.
pub fn renew(
    conn: &mut DbConn,
    job_id: &str,
    worker: &str,
    lease: Duration,
    progress: Option<&serde_json::Value>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let n = match progress {
        Some(p) => diesel::update(jobs::table.filter(held(job_id, worker)))
            .set((
                jobs::locked_until.eq(now + lease),
                jobs::progress.eq(p.to_string()),
                jobs::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(jobs::table.filter(held(job_id, worker)))
            .set((jobs::locked_until.eq(now + lease), jobs::updated_at.eq(now)))
            .execute(conn)?,
    };
    if n == 0 {
        return Err(Lost.into());
    }
    Ok(())
}

/// Marks the job done, in the caller's transaction (the one that wrote
/// its result), so a result is recorded exactly once.
pub fn complete(
    conn: &mut DbConn,
    job_id: &str,
    worker: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let n = diesel::update(jobs::table.filter(held(job_id, worker)))
        .set((
            jobs::state.eq(JobState::Done.as_str()),
            jobs::locked_by.eq(None::<String>),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(Lost.into());
    }
    Ok(())
}

/// Delay before attempt `attempts + 1`: 5 s doubling, at most 10 minutes.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 8) - 1;
    Duration::seconds((5i64 << exp).min(600))
}

/// Records a failed attempt: queued again after the back-off, or parked as
/// `failed` when it was the last one. Returns the state it is left in.
pub fn fail(
    conn: &mut DbConn,
    job: &Job,
    worker: &str,
    error: &str,
    now: NaiveDateTime,
) -> AppResult<JobState> {
    let parked = job.attempts >= job.max_attempts;
    let (state, run_at) = if parked {
        (JobState::Failed, job.run_at)
    } else {
        (JobState::Queued, now + backoff(job.attempts))
    };
    let n = diesel::update(jobs::table.filter(held(&job.id, worker)))
        .set((
            jobs::state.eq(state.as_str()),
            jobs::run_at.eq(run_at),
            jobs::locked_by.eq(None::<String>),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::last_error.eq(error),
            jobs::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        return Err(Lost.into());
    }
    Ok(state)
}

/// A page of jobs, newest first (`before`: the last id of the previous page).
pub fn list(
    conn: &mut DbConn,
    state: Option<JobState>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Vec<Job>> {
    let mut query = jobs::table
        .select(Job::as_select())
        .order(jobs::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(jobs::state.eq(state.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(jobs::id.lt(before.to_string()));
    }
    Ok(query.load(conn)?)
}

/// Queues a parked job again with a fresh set of attempts.
pub fn retry(conn: &mut DbConn, job_id: &str, now: NaiveDateTime) -> AppResult<Job> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::state.eq(JobState::Failed.as_str())),
    )
    .set((
        jobs::state.eq(JobState::Queued.as_str()),
        jobs::attempts.eq(0),
        jobs::run_at.eq(now),
        jobs::updated_at.eq(now),
    ))
    .execute(conn)?;
    let job: Option<Job> = jobs::table
        .find(job_id)
        .select(Job::as_select())
        .first(conn)
        .optional()?;
    match (job, n) {
        (Some(job), 1) => Ok(job),
        (Some(job), _) => Err(AppError::Rule {
            code: ErrorCode::NotAllowedInState,
            message: format!(
                "job {job_id} is {}; only a failed job is retried",
                job.state
            ),
        }),
        (None, _) => Err(AppError::NotFound(format!("no job {job_id}"))),
    }
}

/// A job as the operator sees it (CLI, administrator page).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub subject: Option<String>,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: String,
    pub locked_by: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub progress: Option<serde_json::Value>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        let time = crate::audit::format_time;
        Self {
            run_at: time(&job.run_at),
            created_at: time(&job.created_at),
            updated_at: time(&job.updated_at),
            progress: job
                .progress
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
            id: job.id,
            kind: job.kind,
            subject: job.subject,
            state: job.state,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            locked_by: job.locked_by,
            last_error: job.last_error,
        }
    }
}

/// The progress of the newest unfinished job about `subject`, if any.
pub fn progress_of(conn: &mut DbConn, subject: &str) -> AppResult<Option<serde_json::Value>> {
    let progress: Option<Option<String>> = jobs::table
        .filter(jobs::subject.eq(subject))
        .filter(jobs::state.eq_any([JobState::Queued.as_str(), JobState::Running.as_str()]))
        .order(jobs::id.desc())
        .select(jobs::progress)
        .first(conn)
        .optional()?;
    Ok(progress
        .flatten()
        .and_then(|p| serde_json::from_str(&p).ok()))
}
