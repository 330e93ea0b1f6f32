//! A stage's clock by hand: stopped and resumed by whoever may decide the
//! stage (for a reason the rules recognise), extended by the policy's role.
//! Each is one audited change through `commit`; `evaluate` recomputes the
//! deadline from what is written here.

use diesel::prelude::*;

use super::change::{commit, Applied};
use super::publish::Renditions;
use super::review::note_required;
use super::views::{self, ReleaseView};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::schema::{release_stages, silent_consents};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::ReleaseId;
use crate::workflow::{Action, ClockReason, Note};

/// What a request does to a stage's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    Stop(ClockReason),
    Resume,
}

pub fn change_clock(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    stage: &str,
    change: ClockChange,
    note: &Note,
) -> AppResult<ReleaseView> {
    let (action, event) = match change {
        ClockChange::Stop(_) => (
            Action::StopClock { stage },
            crate::audit::Action::ClockStopped,
        ),
        ClockChange::Resume => (
            Action::ResumeClock { stage },
            crate::audit::Action::ClockResumed,
        ),
    };
    let calendar = &state.policies.calendar;
    commit(
        state,
        conn,
        user,
        release_id,
        (action, event),
        &Renditions::none(),
        |conn, _, _, now| {
            let row = release_stages::table
                .filter(release_stages::release_id.eq(release_id))
                .filter(release_stages::stage.eq(stage));
            let details = match change {
                ClockChange::Stop(reason) => {
                    if !reason.is_manual() {
                        return Err(AppError::Rule {
                            code: ErrorCode::NotAllowedInState,
                            message: "the clock stops for 补正 (supplement) only when changes are requested".into(),
                        });
                    }
                    diesel::update(row)
                        .set((
                            release_stages::clock_stopped_at.eq(now),
                            release_stages::clock_reason.eq(reason.as_str()),
                        ))
                        .execute(conn)?;
                    serde_json::json!({"stage": stage, "reason_code": reason.as_str(), "note": note.as_str()})
                }
                ClockChange::Resume => {
                    let (since, days): (Option<chrono::NaiveDateTime>, i32) = row
                        .select((
                            release_stages::clock_stopped_at,
                            release_stages::stopped_days,
                        ))
                        .first(conn)?;
                    let stopped =
                        since.map_or(0, |at| calendar.working_days_between(at, now).max(0));
                    diesel::update(row)
                        .set((
                            release_stages::clock_stopped_at.eq(None::<chrono::NaiveDateTime>),
                            release_stages::clock_reason.eq(None::<String>),
                            release_stages::stopped_days.eq(days + stopped as i32),
                        ))
                        .execute(conn)?;
                    serde_json::json!({"stage": stage, "working_days_stopped": stopped, "note": note.as_str()})
                }
            };
            Ok(Applied { value: (), details })
        },
    )?;
    views::view(state, conn, user, release_id)
}

/// 会签 by silence, where the policy allows it: every co-department that has
/// not signed `stage` of the current version is taken to consent, as one
/// audited change by the system. Answers the departments (none when the
/// stage is no longer open, or nobody was silent).
pub fn consent_by_silence(
    state: &AppState,
    conn: &mut DbConn,
    release_id: &ReleaseId,
    stage: &str,
    now: chrono::NaiveDateTime,
) -> AppResult<Vec<String>> {
    let policy = &state.policies.workflow;
    crate::db::write_tx(conn, |conn| {
        let mut release = super::load(conn, release_id)?;
        let facts = super::evaluate::release_facts(conn, policy, &release)?;
        let evaluation = facts.evaluation(policy);
        let Some(st) = evaluation.stage(stage) else {
            return Ok(Vec::new());
        };
        if !facts.state.under_review() || st.status != crate::workflow::StageStatus::Open {
            return Ok(Vec::new());
        }
        let signed: Vec<&str> = facts
            .in_force
            .iter()
            .filter(|d| d.stage == stage && d.decision == crate::workflow::Decision::Approve)
            .filter_map(|d| d.actor_department.as_deref())
            .collect();
        let silent: Vec<String> = st
            .departments
            .iter()
            .flatten()
            .filter(|d| !signed.contains(&d.as_str()))
            .cloned()
            .collect();
        if silent.is_empty() {
            return Ok(silent);
        }
        for department in &silent {
            diesel::insert_into(silent_consents::table)
                .values((
                    silent_consents::release_id.eq(release_id),
                    silent_consents::stage.eq(stage),
                    silent_consents::version.eq(release.version),
                    silent_consents::department.eq(department),
                    silent_consents::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        let change = super::change::Change {
            from: facts.state,
            event: crate::audit::Action::ConsentBySilence,
            details: serde_json::json!({"stage": stage, "departments": silent}),
        };
        super::change::settle(
            state,
            conn,
            super::SYSTEM_ACTOR,
            &mut release,
            change,
            &Renditions::none(),
            now,
        )?;
        Ok(silent)
    })
}

/// Moves a stage's deadline by `working_days`, for good; the submitter is told.
pub fn extend(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    stage: &str,
    working_days: u32,
    reason: &Note,
) -> AppResult<ReleaseView> {
    let action = Action::Extend {
        stage,
        working_days,
    };
    commit(
        state,
        conn,
        user,
        release_id,
        (action, crate::audit::Action::DeadlineExtended),
        &Renditions::none(),
        |conn, release, facts, now| {
            note_required(reason, "an extension")?;
            let total = facts.clocks.get(stage).map_or(0, |c| c.extended_days) + working_days;
            diesel::update(
                release_stages::table
                    .filter(release_stages::release_id.eq(release_id))
                    .filter(release_stages::stage.eq(stage)),
            )
            .set(release_stages::extended_days.eq(total as i32))
            .execute(conn)?;
            let name = state
                .policies
                .workflow
                .stage(stage)
                .map_or(stage, |s| s.name.as_str());
            crate::notify::deadline_extended(
                conn,
                &super::notices::for_mail(state, release),
                name,
                working_days,
                reason.as_str(),
                &state.settings.public_url,
                now,
            )?;
            Ok(Applied {
                value: (),
                details: serde_json::json!({
                    "stage": stage, "working_days": working_days,
                    "extended_by": total, "reason": reason.as_str(),
                }),
            })
        },
    )?;
    views::view(state, conn, user, release_id)
}
