//! The release state machine as pure logic: given the policy, the facts of a
//! release and its decisions, which stages are required, which are open, what
//! state the release is in, and whether an actor may take a decision.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::policy::{Condition, Role, Rule, Scope, Stage, WorkflowPolicy};
use crate::scan::Category;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageStatus {
    NotRequired,
    Waiting,
    Open,
    Approved,
    Rejected,
    ChangesRequested,
}

impl StageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRequired => "not_required",
            Self::Waiting => "waiting",
            Self::Open => "open",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::ChangesRequested => "changes_requested",
        }
    }

    fn is_done(self) -> bool {
        matches!(self, Self::Approved | Self::NotRequired)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::RequestChanges => "request_changes",
        }
    }
}

impl FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "approve" => Ok(Self::Approve),
            "reject" => Ok(Self::Reject),
            "request_changes" => Ok(Self::RequestChanges),
            other => Err(format!(
                "unknown decision {other:?} (approve, reject, request_changes)"
            )),
        }
    }
}

/// What the engine needs to know about a release's current version.
#[derive(Debug, Clone)]
pub struct Facts {
    pub department: String,
    pub co_departments: Vec<String>,
    pub cross_border: bool,
    pub submitter_id: String,
    /// Categories of the findings in the current version.
    pub categories: BTreeSet<Category>,
    /// Blocking findings not yet dispositioned false positive.
    pub open_blocking: usize,
}

/// A decision still in force (not dismissed by a newer version).
#[derive(Debug, Clone)]
pub struct CastDecision {
    pub stage: String,
    pub actor_id: String,
    pub actor_department: Option<String>,
    pub decision: Decision,
}

#[derive(Debug, Clone, Serialize)]
pub struct StageState {
    pub key: String,
    pub status: StageStatus,
    pub required_approvals: u32,
    pub approvals: u32,
    /// Departments whose members may act; `None` is city-wide.
    pub departments: Option<Vec<String>>,
}

/// Where the review stands, before publication timing is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Blocked,
    InReview,
    ChangesRequested,
    Rejected,
    Approved,
}

#[derive(Debug, Clone)]
pub struct Evaluation {
    pub stages: Vec<StageState>,
    pub outcome: Outcome,
}

impl Evaluation {
    pub fn stage(&self, key: &str) -> Option<&StageState> {
        self.stages.iter().find(|s| s.key == key)
    }
}

fn is_required(stage: &Stage, facts: &Facts) -> bool {
    match stage.required_when {
        Condition::Always => true,
        Condition::CrossBorder => facts.cross_border,
        Condition::CoDepartments => !facts.co_departments.is_empty(),
        Condition::Findings(category) => facts.categories.contains(&category),
    }
}

fn scope_departments(stage: &Stage, facts: &Facts) -> Option<Vec<String>> {
    match stage.scope {
        Scope::LeadDepartment => Some(vec![facts.department.clone()]),
        Scope::CoDepartments => Some(facts.co_departments.clone()),
        Scope::CityWide => None,
    }
}

/// Counts approvals the way the stage's rule counts them, and tells whether a
/// reject has made the rule impossible to meet.
fn tally(stage: &Stage, depts: &Option<Vec<String>>, cast: &[&CastDecision]) -> (u32, u32, bool) {
    let approvers = cast.iter().filter(|d| d.decision == Decision::Approve);
    let rejecters: Vec<_> = cast
        .iter()
        .filter(|d| d.decision == Decision::Reject)
        .collect();
    match stage.rule {
        Rule::All => {
            let depts = depts.as_deref().unwrap_or_default();
            let signed: BTreeSet<_> = approvers
                .filter_map(|d| d.actor_department.as_deref())
                .collect();
            let approvals = depts.iter().filter(|d| signed.contains(d.as_str())).count() as u32;
            // Under 会签 a department that rejects can no longer sign.
            let impossible = !rejecters.is_empty();
            (depts.len() as u32, approvals, impossible)
        }
        Rule::Any => (1, approvers.count().min(1) as u32, false),
        Rule::Threshold(k) => {
            let distinct: BTreeSet<_> = approvers.map(|d| d.actor_id.as_str()).collect();
            (k, distinct.len() as u32, false)
        }
    }
}

pub fn evaluate(policy: &WorkflowPolicy, facts: &Facts, cast: &[CastDecision]) -> Evaluation {
    let mut stages = Vec::with_capacity(policy.stages.len());
    let mut earlier_groups_done = true;
    let mut group_done = true;
    let mut current_order = policy.stages.first().map(|s| s.order);
    for stage in &policy.stages {
        if Some(stage.order) != current_order {
            earlier_groups_done &= group_done;
            group_done = true;
            current_order = Some(stage.order);
        }
        let departments = scope_departments(stage, facts);
        let mine: Vec<&CastDecision> = cast.iter().filter(|d| d.stage == stage.key).collect();
        let (required_approvals, approvals, impossible) = tally(stage, &departments, &mine);
        let status = if !is_required(stage, facts) {
            StageStatus::NotRequired
        } else if mine.iter().any(|d| d.decision == Decision::Reject) && (stage.veto || impossible)
        {
            StageStatus::Rejected
        } else if mine.iter().any(|d| d.decision == Decision::RequestChanges) {
            StageStatus::ChangesRequested
        } else if approvals >= required_approvals {
            StageStatus::Approved
        } else if earlier_groups_done {
            StageStatus::Open
        } else {
            StageStatus::Waiting
        };
        group_done &= status.is_done();
        stages.push(StageState {
            key: stage.key.clone(),
            status,
            required_approvals,
            approvals,
            departments,
        });
    }
    let any = |s: StageStatus| stages.iter().any(|st| st.status == s);
    let outcome = if any(StageStatus::Rejected) {
        Outcome::Rejected
    } else if any(StageStatus::ChangesRequested) {
        Outcome::ChangesRequested
    } else if facts.open_blocking > 0 {
        Outcome::Blocked
    } else if stages.iter().all(|s| s.status.is_done()) {
        Outcome::Approved
    } else {
        Outcome::InReview
    };
    Evaluation { stages, outcome }
}

/// The person asking to act.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub roles: &'a [Role],
    pub department: Option<&'a str>,
}

/// Why a decision is refused; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownStage(String),
    /// 403: the actor lacks the role or the department scope.
    NotEntitled(String),
    /// 403: the actor submitted the release.
    OwnRelease,
    /// 403: the actor already decided another stage of this release.
    SeparationOfDuties {
        other_stage: String,
    },
    /// 409: the release or stage is not in a state that takes this decision.
    NotOpen(String),
    /// 409: the actor (or their department, under 会签) already decided.
    AlreadyDecided,
    /// 409: findings this stage owns still need a disposition.
    Undispositioned(Vec<String>),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownStage(key) => write!(f, "unknown stage {key:?}"),
            Self::NotEntitled(why) => f.write_str(why),
            Self::OwnRelease => f.write_str("nobody may decide on a release they submitted"),
            Self::SeparationOfDuties { other_stage } => write!(
                f,
                "separation of duties: you already decided stage {other_stage} of this release"
            ),
            Self::NotOpen(why) => f.write_str(why),
            Self::AlreadyDecided => {
                f.write_str("this decision has already been given for this version")
            }
            Self::Undispositioned(ids) => write!(
                f,
                "{} finding(s) at or above the disposition threshold need a disposition first: {}",
                ids.len(),
                ids.join(", ")
            ),
        }
    }
}

/// Whether `actor` may be the one to act for `stage` at all (role and scope).
pub fn entitled(stage: &Stage, facts: &Facts, actor: &Actor) -> Result<(), Refusal> {
    if !actor.roles.contains(&stage.role) {
        return Err(Refusal::NotEntitled(format!(
            "stage {} needs the role {}",
            stage.key, stage.role
        )));
    }
    let in_scope = match stage.scope {
        Scope::CityWide => true,
        Scope::LeadDepartment => actor.department == Some(facts.department.as_str()),
        Scope::CoDepartments => actor
            .department
            .is_some_and(|d| facts.co_departments.iter().any(|c| c == d)),
    };
    if !in_scope {
        return Err(Refusal::NotEntitled(format!(
            "stage {} is decided by the {} of {}",
            stage.key,
            stage.role,
            match stage.scope {
                Scope::LeadDepartment => "the lead department",
                _ => "a co-responsible department",
            }
        )));
    }
    Ok(())
}

/// Checks a decision against every rule. `history` holds every decision ever
/// cast on the release (dismissed ones too: separation of duties is about
/// people, across versions); `cast` the ones in force; `pending` the ids of
/// findings at or above the threshold that the stage owns and nobody has
/// dispositioned.
pub struct DecisionRequest<'a> {
    pub stage: &'a str,
    pub decision: Decision,
    pub actor: Actor<'a>,
}

pub fn check_decision(
    policy: &WorkflowPolicy,
    facts: &Facts,
    evaluation: &Evaluation,
    history: &[CastDecision],
    cast: &[CastDecision],
    pending: &[String],
    request: &DecisionRequest,
) -> Result<(), Refusal> {
    let stage = policy
        .stage(request.stage)
        .ok_or_else(|| Refusal::UnknownStage(request.stage.to_string()))?;
    entitled(stage, facts, &request.actor)?;
    if request.actor.id == facts.submitter_id {
        return Err(Refusal::OwnRelease);
    }
    if let Some(other) = history
        .iter()
        .find(|d| d.actor_id == request.actor.id && d.stage != stage.key)
    {
        return Err(Refusal::SeparationOfDuties {
            other_stage: other.stage.clone(),
        });
    }
    let state = evaluation
        .stage(&stage.key)
        .map(|s| s.status)
        .unwrap_or(StageStatus::NotRequired);
    // A blocked release can still be turned down by the stage that owns the
    // blocking (secrecy) findings; nothing can be approved while it is blocked.
    let blocked_owner =
        evaluation.outcome == Outcome::Blocked && stage.owns.contains(&Category::Secrecy);
    match (evaluation.outcome, request.decision) {
        (Outcome::Blocked, Decision::Approve) => {
            return Err(Refusal::NotOpen(
                "the release is blocked by a classification mark: a secrecy reviewer must disposition it first".into(),
            ))
        }
        (Outcome::Blocked, _) if blocked_owner => {}
        (Outcome::Rejected | Outcome::ChangesRequested | Outcome::Approved, _) => {
            return Err(Refusal::NotOpen("the release is not in review".into()))
        }
        _ if state != StageStatus::Open => {
            return Err(Refusal::NotOpen(format!("stage {} is {}, not open", stage.key, state.as_str())))
        }
        _ => {}
    }
    let already = cast.iter().any(|d| {
        d.stage == stage.key
            && (d.actor_id == request.actor.id
                || (stage.rule == Rule::All
                    && d.decision == Decision::Approve
                    && d.actor_department.as_deref() == request.actor.department))
    });
    if already {
        return Err(Refusal::AlreadyDecided);
    }
    if request.decision == Decision::Approve && !pending.is_empty() {
        return Err(Refusal::Undispositioned(pending.to_vec()));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
