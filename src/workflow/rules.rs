//! Who may do what to a release, now: the one question every caller asks
//! (`allowed`) — the API and dashboard before acting, the dashboard to
//! decide which buttons to show. Pure: facts in, a permit or a refusal out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use std::fmt;

use super::clock::ClockFacts;
use super::state::{Disposition, Ending, State, RETRACTION, WITHDRAWAL};
use super::{evaluate, CastDecision, Decision, Evaluation, Facts, Outcome, StageStatus};
use crate::policy::{Role, Rule, Scope, Stage, WorkflowPolicy};
use crate::scan::{Category, Severity};

/// Everything a rule looks at, read in one go (under the audit lock when
/// the answer leads to a write).
#[derive(Debug, Clone)]
pub struct ReleaseFacts {
    pub state: State,
    pub version: i32,
    pub facts: Facts,
    /// Every decision ever cast, dismissed ones too: separation of duties is
    /// about people, across versions.
    pub history: Vec<CastDecision>,
    /// The decisions in force (not dismissed by a newer version).
    pub in_force: Vec<CastDecision>,
    /// Per stage, findings at or above the threshold that it owns and nobody
    /// has dispositioned (at most a page of ids, enough to name them).
    pub pending: BTreeMap<String, Vec<String>>,
    /// Per stage, findings it dispositioned `redact` that no rendition can
    /// honour (at most a page of ids).
    pub unredactable: BTreeMap<String, Vec<String>>,
    /// The clock of every stage that has one (open, or stopped for 补正).
    pub clocks: BTreeMap<String, ClockFacts>,
    /// Reviewers who recused themselves from this release.
    pub recused: BTreeSet<String>,
    /// An approved release held back from publication.
    pub held: bool,
    /// When an approved release goes out (its embargo); `None`: at once.
    pub publish_at: Option<NaiveDateTime>,
}

impl ReleaseFacts {
    pub fn evaluation(&self, policy: &WorkflowPolicy) -> Evaluation {
        evaluate(policy, &self.facts, &self.in_force)
    }

    /// The state the release would be in with `decision` added to those in
    /// force (`publish_at`: its embargo).
    pub fn state_with(
        &self,
        policy: &WorkflowPolicy,
        decision: CastDecision,
        publish_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> State {
        let mut cast = self.in_force.clone();
        cast.push(decision);
        let outcome = evaluate(policy, &self.facts, &cast).outcome;
        self.state.after(outcome, publish_at, self.held, now)
    }

    /// The submitter and the author of every version: nobody reviews what
    /// they filed.
    fn authored_by(&self, actor: &Actor) -> bool {
        self.facts.submitter_id == actor.id || self.facts.version_authors.contains(actor.id)
    }
}

/// The person asking to act.
#[derive(Debug, Clone)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub roles: &'a [Role],
    pub department: Option<&'a str>,
}

impl Actor<'_> {
    fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// Everything one can do to a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    Decide {
        stage: &'a str,
        decision: Decision,
    },
    Dispose {
        category: Category,
        severity: Severity,
        /// The version the finding belongs to.
        version: i32,
        disposition: Disposition,
        /// `false` for a `SCAN_FAILED` finding: a file nobody could read
        /// takes no disposition at all.
        inspected: bool,
    },
    /// See a finding's raw value.
    Reveal {
        category: Category,
    },
    AddVersion,
    Withdraw,
    Retract,
    /// Stop a stage's clock (a reason the rules recognise, not 补正).
    StopClock {
        stage: &'a str,
    },
    ResumeClock {
        stage: &'a str,
    },
    /// Move a stage's deadline by this many working days, for good.
    Extend {
        stage: &'a str,
        working_days: u32,
    },
    /// Step back from the release for a conflict of interest.
    Recuse {
        stage: &'a str,
    },
    /// Stop an approved (embargoed) release before it goes out.
    Hold,
    /// Let a held release go out at its time again.
    LiftHold,
    /// Publish an approved release whose embargo has ended, at `now`: asked
    /// by the service's timer alone (no route offers it), so no role is
    /// checked; re-asked under the write lock, it refuses a release held,
    /// withdrawn or re-embargoed meanwhile.
    PublishDue {
        now: NaiveDateTime,
    },
}

/// Why an action is refused; each maps to one HTTP status and error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 422: the policy has no such stage.
    UnknownStage(String),
    /// 403: the actor lacks the role or the department scope.
    NotEntitled(String),
    /// 403: the actor submitted the release or authored one of its versions.
    OwnRelease,
    /// 403: the actor already decided another stage of this release.
    SeparationOfDuties { other_stage: String },
    /// 403: the actor recused themselves from this release.
    Recused,
    /// 422: extensions of the stage would pass the policy's bound.
    ExtensionLimit { max: u32, used: u32 },
    /// 409: the release or stage is not in a state that takes this decision.
    NotOpen(String),
    /// 409: the release's state does not allow a withdrawal, retraction or new version.
    NotAllowedInState { state: State, action: &'static str },
    /// 409: the actor (or their department, under 会签) already decided.
    AlreadyDecided,
    /// 409: findings this stage owns still need a disposition.
    Undispositioned(Vec<String>),
    /// 409: findings this stage dispositioned `redact` sit where the
    /// service cannot redact (an image, a PDF): only a new version can.
    CannotRedact(Vec<String>),
    /// 409: the finding belongs to an older version.
    StaleVersion { finding: i32, current: i32 },
    /// 409: the stage owning the finding has approved this version.
    StageDecided(String),
    /// 422: a blocking finding is cleared only as a false positive.
    BlockingFinding,
    /// 422: a file that could not be inspected is cleared by no disposition.
    UninspectedFile,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownStage(key) => write!(f, "unknown stage {key:?}"),
            Self::NotEntitled(why) | Self::NotOpen(why) => f.write_str(why),
            Self::OwnRelease => f.write_str(
                "nobody may review a release they submitted or authored a version of",
            ),
            Self::SeparationOfDuties { other_stage } => write!(
                f,
                "separation of duties: you already decided stage {other_stage} of this release"
            ),
            Self::Recused => f.write_str(
                "you recused yourself from this release: someone else decides it",
            ),
            Self::ExtensionLimit { max, used } => write!(
                f,
                "a stage may be extended by at most {max} working days in all; {used} are already granted"
            ),
            Self::NotAllowedInState { state, action } => {
                write!(f, "a {state} release cannot be {action}")
            }
            Self::AlreadyDecided => {
                f.write_str("this decision has already been given for this version")
            }
            Self::Undispositioned(ids) => write!(
                f,
                "{} finding(s) at or above the disposition threshold need a disposition first: {}",
                ids.len(),
                ids.join(", ")
            ),
            Self::CannotRedact(ids) => write!(
                f,
                "{} finding(s) dispositioned redact are in content the service cannot redact (an image, an embedded object, an OFD file): the submitter must upload a version with them redacted: {}",
                ids.len(),
                ids.join(", ")
            ),
            Self::StaleVersion { finding, current } => write!(
                f,
                "the finding belongs to version {finding}, the release is at version {current}"
            ),
            Self::StageDecided(stage) => {
                write!(f, "stage {stage} has already approved this version")
            }
            Self::UninspectedFile => f.write_str(
                "a file that could not be inspected cannot be dispositioned: the submitter must file a new version with a readable file",
            ),
            Self::BlockingFinding => f.write_str(
                "a blocking finding is cleared only as false_positive; otherwise the submitter must file a new version without it",
            ),
        }
    }
}

/// Whether `actor` may take `action` on the release described by `release`.
pub fn allowed(
    policy: &WorkflowPolicy,
    release: &ReleaseFacts,
    actor: &Actor,
    action: &Action,
) -> Result<(), Refusal> {
    match *action {
        Action::Decide { stage, decision } => decide(policy, release, actor, stage, decision),
        Action::Dispose {
            category,
            severity,
            version,
            disposition,
            inspected,
        } => {
            let owner = owner(policy, release, actor, category)?;
            if version != release.version {
                return Err(Refusal::StaleVersion {
                    finding: version,
                    current: release.version,
                });
            }
            if !release.state.under_review() {
                return Err(Refusal::NotOpen(format!(
                    "the release is {}, not in review",
                    release.state
                )));
            }
            let owner_status = release
                .evaluation(policy)
                .stage(&owner.key)
                .map(|s| s.status);
            if owner_status == Some(StageStatus::Approved) {
                return Err(Refusal::StageDecided(owner.key.clone()));
            }
            if !inspected {
                return Err(Refusal::UninspectedFile);
            }
            if severity == Severity::Block && disposition != Disposition::FalsePositive {
                return Err(Refusal::BlockingFinding);
            }
            Ok(())
        }
        Action::Reveal { category } => owner(policy, release, actor, category).map(|_| ()),
        Action::AddVersion => {
            may_file(actor, &release.facts.department)?;
            // While scanning, the files of the current version are still
            // being read: a new version waits for that verdict.
            if release.state.is_final() || release.state == State::Scanning {
                return Err(Refusal::NotAllowedInState {
                    state: release.state,
                    action: "given a new version",
                });
            }
            Ok(())
        }
        Action::Withdraw => {
            may_file(actor, &release.facts.department)?;
            ending(release, WITHDRAWAL, "withdrawn")
        }
        Action::Retract => {
            if !RETRACTORS.iter().any(|r| actor.has(*r)) {
                return Err(Refusal::NotEntitled(
                    "retraction needs the role secrecy_reviewer, leader or admin".into(),
                ));
            }
            ending(release, RETRACTION, "retracted")
        }
        Action::StopClock { stage } => {
            let clock = clock_keeper(policy, release, actor, stage)?;
            match clock.stopped {
                None => Ok(()),
                Some(reason) => Err(Refusal::NotOpen(format!(
                    "the clock of stage {stage} is already stopped ({reason})"
                ))),
            }
        }
        Action::ResumeClock { stage } => {
            let clock = clock_keeper(policy, release, actor, stage)?;
            match clock.stopped {
                Some(reason) if reason.is_manual() => Ok(()),
                Some(_) => Err(Refusal::NotOpen(format!(
                    "the clock of stage {stage} waits for the submitter's new version (补正)"
                ))),
                None => Err(Refusal::NotOpen(format!(
                    "the clock of stage {stage} is running"
                ))),
            }
        }
        Action::Extend {
            stage,
            working_days,
        } => {
            let role = policy.deadlines.extension_role;
            if !actor.has(role) {
                return Err(Refusal::NotEntitled(format!(
                    "extending a deadline needs the role {role}"
                )));
            }
            let clock = open_clock(policy, release, stage)?;
            let max = policy.deadlines.max_extension_working_days;
            if working_days == 0 || clock.extended_days.saturating_add(working_days) > max {
                return Err(Refusal::ExtensionLimit {
                    max,
                    used: clock.extended_days,
                });
            }
            Ok(())
        }
        Action::Recuse { stage } => {
            let stage = policy
                .stage(stage)
                .ok_or_else(|| Refusal::UnknownStage(stage.to_string()))?;
            entitled(stage, &release.facts, actor)?;
            if release.state.is_final() {
                return Err(Refusal::NotAllowedInState {
                    state: release.state,
                    action: "recused from",
                });
            }
            if release.recused.contains(actor.id) {
                return Err(Refusal::AlreadyDecided);
            }
            // A decision already given stands: recusal is for before one.
            if release.in_force.iter().any(|d| d.actor_id == actor.id) {
                return Err(Refusal::AlreadyDecided);
            }
            Ok(())
        }
        Action::PublishDue { now } => {
            if release.state != State::Approved || release.held {
                return Err(Refusal::NotAllowedInState {
                    state: release.state,
                    action: "published unless approved and not held",
                });
            }
            if release.publish_at.is_some_and(|at| at > now) {
                return Err(Refusal::NotAllowedInState {
                    state: release.state,
                    action: "published before its embargo ends",
                });
            }
            Ok(())
        }
        Action::Hold | Action::LiftHold => {
            if !RETRACTORS.iter().any(|r| actor.has(*r)) {
                return Err(Refusal::NotEntitled(
                    "a hold needs the role secrecy_reviewer, leader or admin".into(),
                ));
            }
            let wanted = *action == Action::LiftHold;
            if release.state != State::Approved || release.held != wanted {
                return Err(Refusal::NotAllowedInState {
                    state: release.state,
                    action: if wanted {
                        "released from a hold (none is in force)"
                    } else {
                        "held"
                    },
                });
            }
            Ok(())
        }
    }
}

/// The clock of an open stage of a release in review.
fn open_clock(
    policy: &WorkflowPolicy,
    release: &ReleaseFacts,
    stage: &str,
) -> Result<ClockFacts, Refusal> {
    policy
        .stage(stage)
        .ok_or_else(|| Refusal::UnknownStage(stage.to_string()))?;
    let open = release.state.under_review()
        && release.evaluation(policy).stage(stage).map(|s| s.status) == Some(StageStatus::Open);
    match release.clocks.get(stage) {
        Some(clock) if open => Ok(*clock),
        _ => Err(Refusal::NotOpen(format!(
            "stage {stage} is not open, so its clock does not run"
        ))),
    }
}

/// Who stops and resumes a stage's clock: whoever may decide the stage.
fn clock_keeper(
    policy: &WorkflowPolicy,
    release: &ReleaseFacts,
    actor: &Actor,
    stage_key: &str,
) -> Result<ClockFacts, Refusal> {
    let stage = policy
        .stage(stage_key)
        .ok_or_else(|| Refusal::UnknownStage(stage_key.to_string()))?;
    entitled(stage, &release.facts, actor)?;
    if release.authored_by(actor) {
        return Err(Refusal::OwnRelease);
    }
    if release.recused.contains(actor.id) {
        return Err(Refusal::Recused);
    }
    open_clock(policy, release, stage_key)
}

/// Who may take a published release off the catalogue in an emergency.
const RETRACTORS: [Role; 3] = [Role::SecrecyReviewer, Role::Leader, Role::Admin];

/// Who may read a release: supervisors and administrators every release;
/// members of the lead or a co-responsible department their own; city-wide
/// reviewers every release in review or published, and a rejected or
/// withdrawn one only if they took part in its review.
pub fn may_read(
    actor: &Actor,
    state: State,
    department: &str,
    co_departments: &[String],
    took_part: bool,
) -> bool {
    if actor.has(Role::Supervisor) || actor.has(Role::Admin) {
        return true;
    }
    let own = actor
        .department
        .is_some_and(|d| d == department || co_departments.iter().any(|c| c == d));
    let reviewer = actor.roles.iter().any(|r| !r.is_departmental());
    own || (reviewer && (took_part || !matches!(state, State::Rejected | State::Withdrawn)))
}

fn ending(release: &ReleaseFacts, ending: Ending, action: &'static str) -> Result<(), Refusal> {
    if ending.from.contains(&release.state) {
        Ok(())
    } else {
        Err(Refusal::NotAllowedInState {
            state: release.state,
            action,
        })
    }
}

/// The submitter of a department acts for it: files, revises, withdraws.
pub fn may_file(actor: &Actor, department: &str) -> Result<(), Refusal> {
    if !actor.has(Role::Submitter) {
        return Err(Refusal::NotEntitled("this needs the role submitter".into()));
    }
    if actor.department != Some(department) {
        return Err(Refusal::NotEntitled(format!(
            "submitters act only for their own department, not {department}"
        )));
    }
    Ok(())
}

/// The stage owning `category`, if `actor` holds its role and authored none
/// of the release: who may disposition a finding, or see its value.
fn owner<'p>(
    policy: &'p WorkflowPolicy,
    release: &ReleaseFacts,
    actor: &Actor,
    category: Category,
) -> Result<&'p Stage, Refusal> {
    let owner = policy.owner_of(category).ok_or_else(|| {
        Refusal::NotEntitled(format!("no stage owns {} findings", category.as_str()))
    })?;
    if !actor.has(owner.role) {
        return Err(Refusal::NotEntitled(format!(
            "{} findings are the {}'s ({})",
            category.as_str(),
            owner.role,
            owner.key
        )));
    }
    if release.authored_by(actor) {
        return Err(Refusal::OwnRelease);
    }
    if release.recused.contains(actor.id) {
        return Err(Refusal::Recused);
    }
    Ok(owner)
}

/// Whether `actor` may be the one to act for `stage` at all (role and scope).
pub fn entitled(stage: &Stage, facts: &Facts, actor: &Actor) -> Result<(), Refusal> {
    if !actor.has(stage.role) {
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

fn decide(
    policy: &WorkflowPolicy,
    release: &ReleaseFacts,
    actor: &Actor,
    stage_key: &str,
    decision: Decision,
) -> Result<(), Refusal> {
    let stage = policy
        .stage(stage_key)
        .ok_or_else(|| Refusal::UnknownStage(stage_key.to_string()))?;
    entitled(stage, &release.facts, actor)?;
    if release.authored_by(actor) {
        return Err(Refusal::OwnRelease);
    }
    if release.recused.contains(actor.id) {
        return Err(Refusal::Recused);
    }
    if let Some(other) = release
        .history
        .iter()
        .find(|d| d.actor_id == actor.id && d.stage != stage.key)
    {
        return Err(Refusal::SeparationOfDuties {
            other_stage: other.stage.clone(),
        });
    }
    if !release.state.under_review() {
        return Err(Refusal::NotOpen(format!(
            "the release is {}, not in review",
            release.state
        )));
    }
    let evaluation = release.evaluation(policy);
    let status = evaluation
        .stage(&stage.key)
        .map(|s| s.status)
        .unwrap_or(StageStatus::NotRequired);
    match evaluation.outcome {
        // A blocked release can only be turned down, and only by the stage
        // that owns the blocking (secrecy) findings.
        Outcome::Blocked if decision == Decision::Approve => {
            return Err(Refusal::NotOpen(
                "the release is blocked by a classification mark: a secrecy reviewer must disposition it first".into(),
            ))
        }
        Outcome::Blocked if stage.owns.contains(&Category::Secrecy) => {}
        Outcome::Blocked => {
            return Err(Refusal::NotOpen(
                "the release is blocked: only the secrecy review may act until the mark is cleared".into(),
            ))
        }
        Outcome::InReview if status == StageStatus::Open => {}
        Outcome::InReview => {
            return Err(Refusal::NotOpen(format!(
                "stage {} is {}, not open",
                stage.key,
                status.as_str()
            )))
        }
        _ => return Err(Refusal::NotOpen("the release is not in review".into())),
    }
    let already = release.in_force.iter().any(|d| {
        d.stage == stage.key
            && (d.actor_id == actor.id
                || (stage.rule == Rule::All
                    && d.decision == Decision::Approve
                    && d.actor_department.as_deref() == actor.department))
    });
    if already {
        return Err(Refusal::AlreadyDecided);
    }
    if decision != Decision::Approve {
        return Ok(());
    }
    match (
        release.pending.get(&stage.key),
        release.unredactable.get(&stage.key),
    ) {
        (Some(pending), _) if !pending.is_empty() => Err(Refusal::Undispositioned(pending.clone())),
        (_, Some(ids)) if !ids.is_empty() => Err(Refusal::CannotRedact(ids.clone())),
        _ => Ok(()),
    }
}
