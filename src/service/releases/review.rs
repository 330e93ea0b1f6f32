//! Reviewers' actions: dispositions and stage decisions; and the two ways a
//! release leaves review early, withdrawal and (after publication) retraction.

use diesel::prelude::*;

use super::change::{commit, Applied};
use super::evaluate::release_facts;
use super::publish::{prerender, Renditions};
use super::{views, FindingView, ReleaseView, COLUMN_SUMMARY_SEGMENT};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::models::{Finding, StageDecision};
use crate::db::schema::{findings, release_versions, releases, stage_decisions};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::{FindingId, ReleaseId};
use crate::workflow::{
    Action, CastDecision, Decision, Disposition, Note, State, RETRACTION, WITHDRAWAL,
};

/// Refuses an empty note where a rule wants a reason (422 `note_required`).
pub(super) fn note_required(text: &Note, what: &str) -> AppResult<()> {
    if text.is_empty() {
        return Err(AppError::Rule {
            code: ErrorCode::NoteRequired,
            message: format!("{what} needs a note saying why"),
        });
    }
    Ok(())
}

pub fn dispose(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    finding_id: &FindingId,
    disposition: Disposition,
    note: &Note,
) -> AppResult<FindingView> {
    let finding = load_finding(conn, release_id, finding_id)?;
    let action = Action::Dispose {
        category: finding.category,
        severity: finding.severity,
        version: finding.version,
        disposition,
        inspected: finding.entity != crate::inspect::SCAN_FAILED,
    };
    commit(
        state,
        conn,
        user,
        release_id,
        (action, crate::audit::Action::FindingDispositioned),
        &Renditions::none(),
        |conn, _, _, now| {
            // Checked after `allowed`: whoever may not act learns nothing more.
            if disposition.needs_note() {
                note_required(note, disposition.as_str())?;
            }
            let values = (
                findings::disposition.eq(disposition),
                findings::disposition_note.eq(note.as_str()),
                findings::disposed_by.eq(&user.id),
                findings::disposed_at.eq(now),
            );
            diesel::update(findings::table.find(finding_id))
                .set(values)
                .execute(conn)?;
            // A column summary dispositions every cell of its column that has
            // no disposition of its own yet.
            let cells = if finding.segment == COLUMN_SUMMARY_SEGMENT {
                diesel::update(
                    findings::table
                        .filter(findings::file_id.eq(&finding.file_id))
                        .filter(findings::version.eq(finding.version))
                        .filter(findings::column_ref.eq(&finding.column_ref))
                        .filter(findings::entity.eq(&finding.entity))
                        .filter(findings::segment.ne(COLUMN_SUMMARY_SEGMENT))
                        .filter(findings::disposition.is_null()),
                )
                .set(values)
                .execute(conn)?
            } else {
                0
            };
            let own = finding.disposition.is_none() && finding.segment != COLUMN_SUMMARY_SEGMENT;
            let settled = i64::from(own) + cells as i64;
            super::backlog::lower(conn, release_id, finding.version, settled)?;
            Ok(Applied {
                value: (),
                details: serde_json::json!({
                    "finding_id": finding_id, "type": finding.entity, "severity": finding.severity,
                    "location": finding.location.0, "previous": finding.disposition,
                    "disposition": disposition.as_str(), "note": note.as_str(),
                    "column": finding.column_ref, "cells": cells,
                }),
            })
        },
    )?;
    views::finding(conn, finding_id)
}

/// Several findings at once (the dashboard's checkboxes), in one
/// transaction: each disposition nests as a savepoint with its own audit
/// event, and a refusal of any one leaves all of them undone.
#[allow(clippy::too_many_arguments)]
pub fn dispose_many(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    finding_ids: &[FindingId],
    disposition: Disposition,
    note: &Note,
) -> AppResult<()> {
    crate::db::write_tx(conn, |conn| {
        finding_ids.iter().try_for_each(|finding| {
            dispose(state, conn, user, release_id, finding, disposition, note).map(drop)
        })
    })
}

/// One finding of one release, or 404.
pub(super) fn load_finding(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    finding_id: &FindingId,
) -> AppResult<Finding> {
    findings::table
        .find(finding_id)
        .filter(findings::release_id.eq(release_id))
        .select(Finding::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            AppError::NotFound(format!("no finding {finding_id} in release {release_id}"))
        })
}

pub fn decide(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    stage_key: &str,
    decision: Decision,
    comment: &Note,
) -> AppResult<ReleaseView> {
    let action = Action::Decide {
        stage: stage_key,
        decision,
    };
    // The approval that completes the review publishes: render the redacted
    // files now, before the audit lock is taken (checked again inside).
    let renditions = if completes_review(state, conn, user, release_id, stage_key, decision)? {
        prerender(state, conn, release_id)?
    } else {
        Renditions::none()
    };
    commit(
        state,
        conn,
        user,
        release_id,
        (action, crate::audit::Action::StageDecided),
        &renditions,
        |conn, release, _, now| {
            if decision.needs_note() {
                note_required(comment, decision.as_str())?;
            }
            // The approval is bound to the exact version it was given to.
            let digest: String = release_versions::table
                .filter(release_versions::release_id.eq(release_id))
                .filter(release_versions::version.eq(release.version))
                .select(release_versions::digest)
                .first(conn)?;
            diesel::insert_into(stage_decisions::table)
                .values(StageDecision {
                    id: ulid::Ulid::new().to_string(),
                    release_id: release_id.clone(),
                    version: release.version,
                    stage: stage_key.into(),
                    actor_id: user.id.clone(),
                    actor_department: user.department.clone(),
                    decision,
                    comment: comment.as_str().into(),
                    digest: digest.clone(),
                    dismissed: false,
                    created_at: now,
                })
                .execute(conn)?;
            Ok(Applied {
                value: (),
                details: serde_json::json!({
                    "stage": stage_key, "decision": decision.as_str(),
                    "comment": comment.as_str(), "digest": digest,
                }),
            })
        },
    )?;
    views::view(state, conn, user, release_id)
}

/// Whether `decision` by `user` would complete the review and publish now
/// (an embargoed release waits for its ticker, which renders then).
fn completes_review(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    stage: &str,
    decision: Decision,
) -> AppResult<bool> {
    if decision != Decision::Approve {
        return Ok(false);
    }
    let release = super::load(conn, release_id)?;
    let policy = &state.policies.workflow;
    let facts = release_facts(conn, policy, &release)?;
    let cast = CastDecision {
        stage: stage.into(),
        actor_id: user.id.clone(),
        actor_department: user.department.clone(),
        decision,
    };
    let after = facts.state_with(policy, cast, release.publish_at, crate::audit::now());
    Ok(after == State::Published)
}

/// Sets a release to a final state outside the stage decisions, with a reason.
fn end_release(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    reason: &Note,
    (action, event): (Action<'static>, crate::audit::Action),
) -> AppResult<ReleaseView> {
    let to = match action {
        Action::Withdraw => WITHDRAWAL.to,
        _ => RETRACTION.to,
    };
    commit(
        state,
        conn,
        user,
        release_id,
        (action, event),
        &Renditions::none(),
        |conn, release, _, now| {
            note_required(reason, event.as_str())?;
            release.state = to;
            release.updated_at = now;
            diesel::update(releases::table.find(release_id))
                .set((
                    releases::state.eq(to.as_str()),
                    releases::updated_at.eq(now),
                ))
                .execute(conn)?;
            let mut details = serde_json::json!({"reason": reason.as_str()});
            if to == RETRACTION.to {
                // The public is answered 410 with both; the people who put
                // the release out hear of it.
                diesel::update(releases::table.find(release_id))
                    .set((
                        releases::retracted_at.eq(now),
                        releases::retraction_reason.eq(reason.as_str()),
                    ))
                    .execute(conn)?;
                let told = crate::notify::release_notice(
                    conn,
                    &super::notices::for_mail(state, release),
                    crate::notify::ReleaseNotice::Retracted,
                    reason.as_str(),
                    &state.settings.public_url,
                    now,
                )?;
                details["notified"] = told.into();
            }
            Ok(Applied { value: (), details })
        },
    )?;
    views::view(state, conn, user, release_id)
}

pub fn withdraw(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    reason: &Note,
) -> AppResult<ReleaseView> {
    end_release(
        state,
        conn,
        user,
        release_id,
        reason,
        (Action::Withdraw, crate::audit::Action::ReleaseWithdrawn),
    )
}

/// Emergency retraction of a published release: a secrecy reviewer, a
/// leader or an administrator takes it off the public catalogue.
pub fn retract(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    reason: &Note,
) -> AppResult<ReleaseView> {
    end_release(
        state,
        conn,
        user,
        release_id,
        reason,
        (Action::Retract, crate::audit::Action::ReleaseRetracted),
    )
}
