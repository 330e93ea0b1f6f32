//! The release state machine as pure logic: given the policy, the facts of a
//! release and its decisions, which stages are required and open (`evaluate`),
//! what state the release is in (`state`), and whether an actor may act
//! (`rules::allowed`). Nothing outside this folder compares states.

mod clock;
mod note;
mod rules;
mod state;

pub use clock::{ClockFacts, ClockReason};
pub use note::Note;
pub use rules::{allowed, entitled, may_file, may_read, Action, Actor, Refusal, ReleaseFacts};
pub use state::{ApplicationState, Disposition, Ending, OpenMode, State, RETRACTION, WITHDRAWAL};

use std::collections::BTreeSet;

use crate::text_enum::text_enum;
use serde::{Deserialize, Serialize};

use crate::policy::{Condition, Rule, Scope, Stage, WorkflowPolicy};
use crate::scan::Category;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    utoipa::ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
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
    pub const ALL: [StageStatus; 6] = [
        Self::NotRequired,
        Self::Waiting,
        Self::Open,
        Self::Approved,
        Self::Rejected,
        Self::ChangesRequested,
    ];

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

// The `release_stages.status` column.
text_enum!(StageStatus, "stage status");

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
pub enum Decision {
    Approve,
    Reject,
    RequestChanges,
}

impl Decision {
    pub const ALL: [Decision; 3] = [Self::Approve, Self::Reject, Self::RequestChanges];

    /// Turning a release down or sending it back says why.
    pub fn needs_note(self) -> bool {
        self != Self::Approve
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::RequestChanges => "request_changes",
        }
    }
}

text_enum!(Decision, "decision");

/// What the engine needs to know about a release's current version.
#[derive(Debug, Clone)]
pub struct Facts {
    pub department: String,
    pub co_departments: Vec<String>,
    pub cross_border: bool,
    pub submitter_id: String,
    /// Whoever filed a version of the release (the submitter included).
    pub version_authors: BTreeSet<String>,
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

#[cfg(test)]
mod tests;
