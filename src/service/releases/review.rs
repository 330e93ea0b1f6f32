//! Reviewers' actions: dispositions and stage decisions; and the two ways a
//! release leaves review early, withdrawal and (after publication) retraction.

use diesel::prelude::*;
use serde::Deserialize;

use super::evaluate::{cast_of, facts, history, pending_for, reevaluate};
use super::{
    load, require_submitter_of, state_of, views, FindingView, ReleaseView, State,
    COLUMN_SUMMARY_SEGMENT,
};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::models::{Finding, Release, StageDecision};
use crate::db::schema::{findings, releases, stage_decisions};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::policy::{Role, Stage, WorkflowPolicy};
use crate::scan::{Category, Severity};
use crate::service::audit_log;
use crate::workflow::{self, Actor, Decision, DecisionRequest, StageStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    FalsePositive,
    Accepted,
    Redact,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FalsePositive => "false_positive",
            Self::Accepted => "accepted",
            Self::Redact => "redact",
        }
    }
}

impl std::str::FromStr for Disposition {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "false_positive" => Ok(Self::FalsePositive),
            "accepted" => Ok(Self::Accepted),
            "redact" => Ok(Self::Redact),
            other => Err(format!(
                "unknown disposition {other:?} (false_positive, accepted, redact)"
            )),
        }
    }
}

fn note_required(text: &str, what: &str) -> AppResult<()> {
    if text.trim().is_empty() {
        return Err(AppError::Unprocessable {
            code: "note_required",
            message: format!("{what} needs a note saying why"),
        });
    }
    Ok(())
}

pub fn dispose(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &str,
    finding_id: &str,
    disposition: Disposition,
    note: &str,
) -> AppResult<FindingView> {
    if note.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "note must be at most 2000 characters".into(),
        ));
    }
    let policy = &state.policies.workflow;
    write_tx(conn, |conn| {
        let mut release = load(conn, release_id)?;
        let finding = load_finding(conn, release_id, finding_id)?;
        let owner = require_owner(policy, user, &release, &finding)?;
        if finding.version != release.version {
            return Err(AppError::Conflict {
                code: "stale_version",
                message: format!(
                    "finding {finding_id} belongs to version {}, the release is at version {}",
                    finding.version, release.version
                ),
            });
        }
        let current = state_of(&release)?;
        if !matches!(current, State::Blocked | State::InReview) {
            return Err(AppError::Conflict {
                code: "not_open",
                message: format!("the release is {}, not in review", current.as_str()),
            });
        }
        let owner_status = release_stage_status(conn, release_id, &owner.key)?;
        if owner_status.as_deref() == Some(StageStatus::Approved.as_str()) {
            return Err(AppError::Conflict {
                code: "stage_decided",
                message: format!("stage {} has already approved this version", owner.key),
            });
        }
        if finding.severity == Severity::Block.as_str() && disposition != Disposition::FalsePositive
        {
            return Err(AppError::Unprocessable {
                code: "blocking_finding",
                message: "a blocking finding is cleared only as false_positive; otherwise the submitter must file a new version without it".into(),
            });
        }
        if disposition != Disposition::Redact {
            note_required(note, disposition.as_str())?;
        }
        let now = crate::audit::now();
        let values = (
            findings::disposition.eq(disposition.as_str()),
            findings::disposition_note.eq(note.trim()),
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
        let transition = reevaluate(state, conn, &mut release, now)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                "finding.dispositioned",
                Some((&release.id, release.version)),
                serde_json::json!({
                    "finding_id": finding_id, "type": finding.entity, "severity": finding.severity,
                    "location": serde_json::from_str::<serde_json::Value>(&finding.location).unwrap_or_default(),
                    "previous": finding.disposition, "disposition": disposition.as_str(), "note": note.trim(),
                    "column": finding.column_ref, "cells": cells,
                    "state": transition.to.as_str(),
                }),
            ),
        )?;
        Ok(())
    })?;
    views::finding(conn, finding_id)
}

/// The stage owning the finding's category, if `user` holds its role and did
/// not submit the release: who may disposition a finding, or see its value.
pub(super) fn require_owner<'p>(
    policy: &'p WorkflowPolicy,
    user: &CurrentUser,
    release: &Release,
    finding: &Finding,
) -> AppResult<&'p Stage> {
    let category: Category = finding
        .category
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let owner = policy
        .owner_of(category)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no owner for {category:?}")))?;
    if !user.has(owner.role) {
        return Err(AppError::Forbidden(format!(
            "{} findings are the {}'s ({})",
            category.as_str(),
            owner.role,
            owner.key
        )));
    }
    if user.id == release.submitter_id {
        return Err(AppError::Forbidden(
            "nobody may review findings of a release they submitted".into(),
        ));
    }
    Ok(owner)
}

/// One finding of one release, or 404.
pub(super) fn load_finding(
    conn: &mut DbConn,
    release_id: &str,
    finding_id: &str,
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

fn release_stage_status(
    conn: &mut DbConn,
    release_id: &str,
    stage: &str,
) -> AppResult<Option<String>> {
    use crate::db::schema::release_stages;
    Ok(release_stages::table
        .find((release_id, stage))
        .select(release_stages::status)
        .first(conn)
        .optional()?)
}

pub fn decide(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &str,
    stage_key: &str,
    decision: Decision,
    comment: &str,
) -> AppResult<ReleaseView> {
    if comment.chars().count() > 4000 {
        return Err(AppError::BadRequest(
            "comment must be at most 4000 characters".into(),
        ));
    }
    if decision != Decision::Approve {
        note_required(comment, decision.as_str())?;
    }
    let policy = &state.policies.workflow;
    write_tx(conn, |conn| {
        let mut release = load(conn, release_id)?;
        if state_of(&release)?.is_final() || state_of(&release)? == State::Approved {
            return Err(AppError::Conflict {
                code: "not_open",
                message: format!("the release is {}, not in review", release.state),
            });
        }
        let facts = facts(conn, &release)?;
        let all = history(conn, release_id)?;
        let in_force: Vec<StageDecision> = all.iter().filter(|d| !d.dismissed).cloned().collect();
        let cast = cast_of(&in_force);
        let evaluation = workflow::evaluate(policy, &facts, &cast);
        let pending = match policy.stage(stage_key) {
            Some(stage) => pending_for(conn, policy, stage, &release)?,
            None => Vec::new(),
        };
        let request = DecisionRequest {
            stage: stage_key,
            decision,
            actor: Actor {
                id: &user.id,
                roles: &user.roles,
                department: user.department.as_deref(),
            },
        };
        workflow::check_decision(
            policy,
            &facts,
            &evaluation,
            &cast_of(&all),
            &cast,
            &pending,
            &request,
        )?;
        let digest: String = {
            use crate::db::schema::release_versions;
            release_versions::table
                .filter(release_versions::release_id.eq(release_id))
                .filter(release_versions::version.eq(release.version))
                .select(release_versions::digest)
                .first(conn)?
        };
        let now = crate::audit::now();
        diesel::insert_into(stage_decisions::table)
            .values(StageDecision {
                id: ulid::Ulid::new().to_string(),
                release_id: release_id.into(),
                version: release.version,
                stage: stage_key.into(),
                actor_id: user.id.clone(),
                actor_department: user.department.clone(),
                decision: decision.as_str().into(),
                comment: comment.trim().into(),
                digest: digest.clone(),
                dismissed: false,
                created_at: now,
            })
            .execute(conn)?;
        let transition = reevaluate(state, conn, &mut release, now)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                "stage.decided",
                Some((&release.id, release.version)),
                serde_json::json!({
                    "stage": stage_key, "decision": decision.as_str(), "comment": comment.trim(),
                    "digest": digest, "from_state": transition.from.as_str(), "state": transition.to.as_str(),
                }),
            ),
        )?;
        super::publish::after_transition(
            state,
            conn,
            &mut release,
            &transition,
            &user.username,
            now,
        )?;
        Ok::<_, AppError>(())
    })?;
    views::view(state, conn, user, release_id)
}

/// How a release leaves review outside the workflow.
struct Ending {
    allowed: &'static [State],
    to: State,
    action: &'static str,
}

const WITHDRAWAL: Ending = Ending {
    allowed: &[
        State::Blocked,
        State::InReview,
        State::ChangesRequested,
        State::Approved,
    ],
    to: State::Withdrawn,
    action: "release.withdrawn",
};

const RETRACTION: Ending = Ending {
    allowed: &[State::Published],
    to: State::Retracted,
    action: "release.retracted",
};

/// Sets a release to a final state outside the workflow, with a reason.
fn end_release(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &str,
    reason: &str,
    ending: Ending,
) -> AppResult<ReleaseView> {
    let Ending {
        allowed,
        to,
        action,
    } = ending;
    note_required(reason, action)?;
    write_tx(conn, |conn| {
        let release = load(conn, release_id)?;
        let from = state_of(&release)?;
        if !allowed.contains(&from) {
            return Err(AppError::Conflict {
                code: "not_allowed_in_state",
                message: format!("a {} release cannot be {}", from.as_str(), to.as_str()),
            });
        }
        let now = crate::audit::now();
        diesel::update(releases::table.find(release_id))
            .set((
                releases::state.eq(to.as_str()),
                releases::updated_at.eq(now),
            ))
            .execute(conn)?;
        use crate::db::schema::release_stages;
        diesel::update(release_stages::table.filter(release_stages::release_id.eq(release_id)))
            .set(release_stages::actionable.eq(false))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                action,
                Some((release_id, release.version)),
                serde_json::json!({"reason": reason.trim(), "from_state": from.as_str(), "state": to.as_str()}),
            ),
        )?;
        Ok::<_, AppError>(())
    })?;
    views::view(state, conn, user, release_id)
}

pub fn withdraw(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &str,
    reason: &str,
) -> AppResult<ReleaseView> {
    let release = load(conn, release_id)?;
    require_submitter_of(user, &release.department)?;
    end_release(state, conn, user, release_id, reason, WITHDRAWAL)
}

/// Emergency retraction of a published release: a secrecy reviewer, a
/// leader or an administrator takes it off the public catalogue.
pub fn retract(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &str,
    reason: &str,
) -> AppResult<ReleaseView> {
    if ![Role::SecrecyReviewer, Role::Leader, Role::Admin]
        .iter()
        .any(|r| user.has(*r))
    {
        return Err(AppError::Forbidden(
            "retraction needs the role secrecy_reviewer, leader or admin".into(),
        ));
    }
    end_release(state, conn, user, release_id, reason, RETRACTION)
}
