//! Re-evaluating a release after any change: the workflow engine decides the
//! stages and the state; this writes them back (stage rows feed the queue).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::COLUMN_SUMMARY_SEGMENT;
use crate::app::AppState;
use crate::db::models::{Release, ReleaseStage, StageDecision};
use crate::db::schema::{
    files, findings, recusals, release_stages, release_versions, releases, silent_consents,
    stage_decisions,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::extract::FileKind;
use crate::policy::{Stage, WorkflowPolicy};
use crate::scan::{Category, Severity};
use crate::workflow::{
    self, CastDecision, ClockFacts, ClockReason, Disposition, Evaluation, Facts, ReleaseFacts,
    StageStatus, State,
};

/// Queue rank of stages without a deadline: after every dated one.
const NO_DEADLINE: &str = "9999-12-31T23:59:59";

pub fn facts(conn: &mut DbConn, release: &Release) -> AppResult<Facts> {
    // One seek per category into `findings_category_severity`: a version
    // with millions of findings is never read through to learn which
    // categories it has or how many blocking findings stand.
    let mut categories = BTreeSet::new();
    let mut open_blocking: i64 = 0;
    for category in Category::ALL {
        let of_category = || {
            findings::table
                .filter(findings::release_id.eq(&release.id))
                .filter(findings::version.eq(release.version))
                .filter(findings::category.eq(category.as_str()))
        };
        if !diesel::select(diesel::dsl::exists(of_category())).get_result::<bool>(conn)? {
            continue;
        }
        categories.insert(category);
        // Column summaries stand for their cells, which are counted themselves.
        open_blocking += of_category()
            .filter(findings::severity.eq(Severity::Block.as_str()))
            .filter(findings::segment.ne(COLUMN_SUMMARY_SEGMENT))
            .filter(
                findings::disposition
                    .is_null()
                    .or(findings::disposition.ne(Disposition::FalsePositive)),
            )
            .count()
            .get_result::<i64>(conn)?;
    }
    let version_authors: Vec<String> = release_versions::table
        .filter(release_versions::release_id.eq(&release.id))
        .select(release_versions::created_by)
        .distinct()
        .load(conn)?;
    Ok(Facts {
        department: release.department.clone(),
        co_departments: release.co_departments.to_vec(),
        cross_border: release.cross_border,
        submitter_id: release.submitter_id.clone(),
        version_authors: version_authors.into_iter().collect(),
        categories,
        open_blocking: open_blocking as usize,
    })
}

fn cast_of(row: &StageDecision) -> AppResult<CastDecision> {
    Ok(CastDecision {
        stage: row.stage.clone(),
        actor_id: row.actor_id.clone(),
        actor_department: row.actor_department.clone(),
        decision: row.decision,
    })
}

/// Who a co-department's consent by silence is recorded as.
const SILENCE: &str = "silence";

/// Every decision ever cast on the release, oldest first, and the ones in
/// force — among those, the signatures co-departments gave by silence to
/// this version (`silent_consents`).
fn history(
    conn: &mut DbConn,
    release: &Release,
) -> AppResult<(Vec<CastDecision>, Vec<CastDecision>)> {
    let release_id = release.id.as_str();
    let rows: Vec<StageDecision> = stage_decisions::table
        .filter(stage_decisions::release_id.eq(release_id))
        .order(stage_decisions::created_at.asc())
        .select(StageDecision::as_select())
        .load(conn)?;
    let mut all = Vec::with_capacity(rows.len());
    let mut in_force = Vec::new();
    for row in &rows {
        let cast = cast_of(row)?;
        if !row.dismissed {
            in_force.push(cast.clone());
        }
        all.push(cast);
    }
    let silent: Vec<(String, String)> = silent_consents::table
        .filter(silent_consents::release_id.eq(release_id))
        .filter(silent_consents::version.eq(release.version))
        .select((silent_consents::stage, silent_consents::department))
        .load(conn)?;
    in_force.extend(silent.into_iter().map(|(stage, department)| CastDecision {
        stage,
        actor_id: SILENCE.into(),
        actor_department: Some(department),
        decision: workflow::Decision::Approve,
    }));
    Ok((all, in_force))
}

/// Everything the workflow rules look at for `release`, read in the
/// caller's transaction.
pub fn release_facts(
    conn: &mut DbConn,
    policy: &WorkflowPolicy,
    release: &Release,
) -> AppResult<ReleaseFacts> {
    let (history, in_force) = history(conn, release)?;
    let (mut pending, mut unredactable) = (BTreeMap::new(), BTreeMap::new());
    for stage in policy.stages.iter().filter(|s| !s.owns.is_empty()) {
        pending.insert(
            stage.key.clone(),
            pending_for(conn, policy, stage, release)?,
        );
        unredactable.insert(stage.key.clone(), unredactable_for(conn, stage, release)?);
    }
    let clocks = release_stages::table
        .filter(release_stages::release_id.eq(&release.id))
        .filter(
            release_stages::status
                .eq(StageStatus::Open.as_str())
                .or(release_stages::clock_stopped_at.is_not_null()),
        )
        .select((
            release_stages::stage,
            release_stages::clock_reason,
            release_stages::extended_days,
        ))
        .load::<(String, Option<String>, i32)>(conn)?
        .into_iter()
        .map(|(stage, reason, extended)| {
            let stopped = reason
                .map(|r| {
                    r.parse::<ClockReason>()
                        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))
                })
                .transpose()?;
            Ok((
                stage,
                ClockFacts {
                    stopped,
                    extended_days: extended.max(0) as u32,
                },
            ))
        })
        .collect::<AppResult<_>>()?;
    let recused = recusals::table
        .filter(recusals::release_id.eq(&release.id))
        .select(recusals::user_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    Ok(ReleaseFacts {
        state: release.state,
        version: release.version,
        facts: facts(conn, release)?,
        history,
        in_force,
        pending,
        unredactable,
        clocks,
        recused,
        held: release.held_at.is_some(),
        publish_at: release.publish_at,
    })
}

/// Ids of findings the stage owns, dispositioned `redact`, that no
/// rendition can honour (at most 20): in a place no rendition rewrites (a
/// whole part of a file such as an image or an embedded object — a
/// rendition masks values, never a picture — or a sheet name), or in the
/// content of a file of a kind the service does not rewrite (OFD). A file's
/// name is always redactable.
fn unredactable_for(conn: &mut DbConn, stage: &Stage, release: &Release) -> AppResult<Vec<String>> {
    let owned: Vec<&str> = stage.owns.iter().map(|c| c.as_str()).collect();
    let read_only: Vec<&str> = FileKind::READ_ONLY.iter().map(|k| k.as_str()).collect();
    let read_only_files: Vec<String> = files::table
        .filter(files::release_id.eq(&release.id))
        .filter(files::version.eq(release.version))
        .filter(files::kind.eq_any(read_only))
        .select(files::id)
        .load(conn)?;
    // Two index ranges, never the version's findings read through: places
    // no rendition rewrites (`findings_unrewritable`, written as `NOT
    // rewritable` so that both databases match it to the partial index),
    // and the content of read-only files (`findings_file`).
    let mut ids: Vec<String> = findings::table
        .filter(findings::release_id.eq(&release.id))
        .filter(findings::version.eq(release.version))
        .filter(diesel::dsl::not(findings::rewritable))
        .filter(findings::disposition.eq(Disposition::Redact))
        .filter(findings::category.eq_any(&owned))
        .order(findings::id.asc())
        .limit(20)
        .select(findings::id)
        .load(conn)?;
    if !read_only_files.is_empty() {
        ids.extend(
            findings::table
                .filter(findings::file_id.eq_any(&read_only_files))
                .filter(findings::field.is_null())
                .filter(findings::disposition.eq(Disposition::Redact))
                .filter(findings::category.eq_any(&owned))
                .order(findings::id.asc())
                .limit(20)
                .select(findings::id)
                .load::<String>(conn)?,
        );
        ids.sort();
        ids.dedup();
        ids.truncate(20);
    }
    Ok(ids)
}

/// Ids of findings the stage owns that are at or above the threshold and
/// still lack a disposition (at most 20, enough to name them).
fn pending_for(
    conn: &mut DbConn,
    policy: &WorkflowPolicy,
    stage: &Stage,
    release: &Release,
) -> AppResult<Vec<String>> {
    if stage.owns.is_empty() {
        return Ok(Vec::new());
    }
    let owned: Vec<&str> = stage.owns.iter().map(|c| c.as_str()).collect();
    Ok(findings::table
        .filter(findings::release_id.eq(&release.id))
        .filter(findings::version.eq(release.version))
        .filter(findings::disposition.is_null())
        .filter(findings::segment.ne(COLUMN_SUMMARY_SEGMENT))
        .filter(findings::severity_rank.ge(policy.disposition_threshold as i32))
        .filter(findings::category.eq_any(owned))
        .order(findings::id.asc())
        .limit(20)
        .select(findings::id)
        .load(conn)?)
}

/// What changed when a release was re-evaluated.
pub struct Transition {
    pub from: State,
    pub to: State,
}

/// Recomputes stages and state of `release` (in the caller's transaction),
/// writes both back and returns the transition from `from`, the state before
/// the change (an ending has already set the final state). Publication
/// itself is the caller's next step when `to` is `Published`.
pub fn reevaluate(
    state: &AppState,
    conn: &mut DbConn,
    release: &mut Release,
    from: State,
    now: NaiveDateTime,
) -> AppResult<Transition> {
    let policy = &state.policies.workflow;
    let current = release.state;
    let facts = facts(conn, release)?;
    let (_, in_force) = history(conn, release)?;
    let evaluation = workflow::evaluate(policy, &facts, &in_force);
    let to = current.after(
        evaluation.outcome,
        release.publish_at,
        release.held_at.is_some(),
        now,
    );
    let waiting_before = super::notices::actionable_stages(conn, &release.id)?;
    write_stages(state, conn, release, &evaluation, to, now)?;
    super::notices::announce(state, conn, release, &waiting_before, (from, to), now)?;
    if to != current {
        release.state = to;
        release.updated_at = now;
        diesel::update(releases::table.find(&release.id))
            .set((
                releases::state.eq(release.state.as_str()),
                releases::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(Transition { from, to })
}

fn write_stages(
    state: &AppState,
    conn: &mut DbConn,
    release: &Release,
    evaluation: &Evaluation,
    release_state: State,
    now: NaiveDateTime,
) -> AppResult<()> {
    let policy = &state.policies.workflow;
    let previous: BTreeMap<String, ReleaseStage> = release_stages::table
        .filter(release_stages::release_id.eq(&release.id))
        .select(ReleaseStage::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| (row.stage.clone(), row))
        .collect();
    let blocked = release_state == State::Blocked;
    let live = !release_state.is_final()
        && !matches!(release_state, State::ChangesRequested | State::Scanning);
    let rows: Vec<ReleaseStage> = policy
        .stages
        .iter()
        .zip(&evaluation.stages)
        .enumerate()
        .map(|(position, (stage, st))| {
            let open = st.status == StageStatus::Open;
            let prev = previous.get(&stage.key);
            let clock = clock_after(
                prev,
                st.status,
                release_state,
                now,
                &state.policies.calendar,
            );
            let (opened_at, decided_at) = (clock.opened_at, clock.decided_at);
            let deadline = match (opened_at.filter(|_| open), stage.sla_working_days) {
                (Some(at), Some(days)) if clock.stopped_at.is_none() => {
                    let days = days + (clock.stopped_days + clock.extended_days).max(0) as u32;
                    Some(state.policies.calendar.deadline(at, days))
                }
                _ => None,
            };
            let provisional = match (opened_at, deadline) {
                (Some(from), Some(to)) => state.policies.calendar.is_provisional(from, to),
                _ => false,
            };
            // While blocked only the stage owning the blocking findings can act.
            let actionable = live
                && st.status != StageStatus::NotRequired
                && if blocked {
                    stage.owns.contains(&Category::Secrecy)
                } else {
                    open
                };
            let rank_time = deadline
                .or(opened_at.filter(|_| open))
                .map(|t| crate::audit::format_time(&t));
            ReleaseStage {
                release_id: release.id.clone(),
                stage: stage.key.clone(),
                position: position as i32,
                status: st.status,
                role: stage.role,
                departments: st
                    .departments
                    .as_ref()
                    .map(|d| format!(",{},", d.join(","))),
                required_approvals: st.required_approvals as i32,
                approvals: st.approvals as i32,
                actionable,
                opened_at,
                decided_at,
                deadline,
                queue_rank: match (deadline, rank_time) {
                    (Some(_), Some(t)) => t,
                    (None, Some(t)) => format!("{NO_DEADLINE}|{t}"),
                    _ => NO_DEADLINE.into(),
                },
                clock_stopped_at: clock.stopped_at,
                clock_reason: clock.reason.map(|r| r.as_str().to_string()),
                stopped_days: clock.stopped_days,
                extended_days: clock.extended_days,
                provisional,
            }
        })
        .collect();
    diesel::delete(release_stages::table.filter(release_stages::release_id.eq(&release.id)))
        .execute(conn)?;
    crate::insert_batch!(conn, release_stages::table, rows);
    Ok(())
}

/// A stage's clock after re-evaluation.
struct Clock {
    opened_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    stopped_at: Option<NaiveDateTime>,
    reason: Option<ClockReason>,
    stopped_days: i32,
    extended_days: i32,
}

/// Carries a stage's clock from its previous row to its new `status`. A
/// stage keeps its clock while it stays open and restarts it when it
/// (re)opens — except a clock stopped for 补正: a request for changes stops
/// the clock of every open stage, and when the new version reopens the
/// stage (at once, or after the earlier stages it waits for) its clock
/// starts again where it stood, the working days between not counted.
/// Deciding a stage ends its clock: `opened_at` stays and `decided_at` is
/// set, so the supervisor overview can tell how long stages take; both stay
/// while the decision stands.
fn clock_after(
    prev: Option<&ReleaseStage>,
    status: StageStatus,
    release_state: State,
    now: NaiveDateTime,
    calendar: &crate::policy::Calendar,
) -> Clock {
    let open = status == StageStatus::Open;
    let decided = matches!(
        status,
        StageStatus::Approved | StageStatus::Rejected | StageStatus::ChangesRequested
    );
    let idle = |opened_at, decided_at| Clock {
        opened_at,
        decided_at,
        stopped_at: None,
        reason: None,
        stopped_days: 0,
        extended_days: 0,
    };
    let Some(p) = prev else {
        return idle(open.then_some(now), None);
    };
    let was_open = p.status == StageStatus::Open;
    let decided_at = match () {
        _ if decided && was_open => Some(now),
        _ if decided && p.status == status => p.decided_at,
        _ => None,
    };
    let reason: Option<ClockReason> = p.clock_reason.as_deref().and_then(|r| r.parse().ok());
    let carried = Clock {
        opened_at: p.opened_at,
        decided_at,
        stopped_at: p.clock_stopped_at,
        reason,
        stopped_days: p.stopped_days,
        extended_days: p.extended_days,
    };
    let supplement = reason == Some(ClockReason::Supplement);
    if release_state == State::ChangesRequested && (was_open || supplement) {
        // A stop already running for another reason keeps its start and reason.
        return Clock {
            stopped_at: carried.stopped_at.or(Some(now)),
            reason: carried.reason.or(Some(ClockReason::Supplement)),
            ..carried
        };
    }
    // Sent back to wait for an earlier stage: the clock stays stopped until
    // the stage opens again.
    if supplement && status == StageStatus::Waiting {
        return carried;
    }
    if open && supplement {
        let stopped = p
            .clock_stopped_at
            .map_or(0, |at| calendar.working_days_between(at, now).max(0) as i32);
        return Clock {
            stopped_at: None,
            reason: None,
            stopped_days: p.stopped_days + stopped,
            ..carried
        };
    }
    match () {
        _ if open && was_open => carried,
        _ if open => idle(Some(now), None),
        _ if decided_at.is_some() => idle(p.opened_at, decided_at),
        _ => idle(None, None),
    }
}
