//! Release states and finding dispositions: the vocabulary of the state
//! machine, and how a review outcome becomes a release state.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::text_enum::text_enum;

/// Release states of API.md. A release is `scanning` from filing (or a new
/// version) until the inspection job has read every file.
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
pub enum State {
    Scanning,
    Blocked,
    InReview,
    ChangesRequested,
    Rejected,
    Approved,
    Published,
    Withdrawn,
    Retracted,
}

impl State {
    pub const ALL: [State; 9] = [
        Self::Scanning,
        Self::Blocked,
        Self::InReview,
        Self::ChangesRequested,
        Self::Rejected,
        Self::Approved,
        Self::Published,
        Self::Withdrawn,
        Self::Retracted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scanning => "scanning",
            Self::Blocked => "blocked",
            Self::InReview => "in_review",
            Self::ChangesRequested => "changes_requested",
            Self::Rejected => "rejected",
            Self::Approved => "approved",
            Self::Published => "published",
            Self::Withdrawn => "withdrawn",
            Self::Retracted => "retracted",
        }
    }

    /// No review action can change these any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Rejected | Self::Published | Self::Withdrawn | Self::Retracted
        )
    }

    /// Findings can be dispositioned and stages decided.
    pub fn under_review(self) -> bool {
        matches!(self, Self::Blocked | Self::InReview)
    }

    /// The state a review outcome puts a live release in: an approved
    /// release waits for its embargo (`publish_at`), and while `held`,
    /// before it is published.
    /// A final state never changes by re-evaluation, nor does `scanning`:
    /// only the finished inspection moves a release on.
    pub fn after(
        self,
        outcome: Outcome,
        publish_at: Option<NaiveDateTime>,
        held: bool,
        now: NaiveDateTime,
    ) -> State {
        if self.is_final() || self == Self::Scanning {
            return self;
        }
        match outcome {
            Outcome::Blocked => Self::Blocked,
            Outcome::InReview => Self::InReview,
            Outcome::ChangesRequested => Self::ChangesRequested,
            Outcome::Rejected => Self::Rejected,
            Outcome::Approved if held || publish_at.is_some_and(|at| at > now) => Self::Approved,
            Outcome::Approved => Self::Published,
        }
    }
}

// The `state` column: a value that is not a state is an error, never a default.
text_enum!(State, "state");

/// Who may download a release: anyone, or only registered users whose
/// application was approved (and every download is traced).
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
pub enum OpenMode {
    Unconditional,
    Conditional,
}

impl OpenMode {
    pub const ALL: [OpenMode; 2] = [Self::Unconditional, Self::Conditional];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconditional => "unconditional",
            Self::Conditional => "conditional",
        }
    }
}

// The `open_mode` column: a value that is not a mode is an error, never a
// default (a default would decide who may download).
text_enum!(OpenMode, "open mode");

/// Where an application for conditional data stands.
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
pub enum ApplicationState {
    /// Waiting for a dept_approver of the owning department.
    Pending,
    /// The applicant may download the release's files.
    Approved,
    Refused,
    /// Approved once, then withdrawn: downloads stop at once.
    Revoked,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 4] =
        [Self::Pending, Self::Approved, Self::Refused, Self::Revoked];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Refused => "refused",
            Self::Revoked => "revoked",
        }
    }
}

// The `access_applications.state` column.
text_enum!(ApplicationState, "application state");

/// What a reviewer decided about one finding.
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
pub enum Disposition {
    FalsePositive,
    Accepted,
    Redact,
}

impl Disposition {
    pub const ALL: [Disposition; 3] = [Self::FalsePositive, Self::Accepted, Self::Redact];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::FalsePositive => "false_positive",
            Self::Accepted => "accepted",
            Self::Redact => "redact",
        }
    }

    /// Redaction speaks for itself; clearing or accepting a finding says why.
    pub fn needs_note(self) -> bool {
        self != Self::Redact
    }
}

text_enum!(Disposition, "disposition");

/// How a release leaves review outside the stage decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ending {
    pub from: &'static [State],
    pub to: State,
}

/// The submitter takes the release back before it goes out.
pub const WITHDRAWAL: Ending = Ending {
    from: &[
        State::Scanning,
        State::Blocked,
        State::InReview,
        State::ChangesRequested,
        State::Approved,
    ],
    to: State::Withdrawn,
};

/// An emergency: a published release leaves the public catalogue.
pub const RETRACTION: Ending = Ending {
    from: &[State::Published],
    to: State::Retracted,
};
