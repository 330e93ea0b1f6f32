//! A stage's clock: the deadline in working days, stopped for a reason the
//! rules recognise and moved by the days stopped and by extensions.

use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

/// Why a stage's clock stands still (the legal grounds for not counting days).
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
pub enum ClockReason {
    /// 补正: waiting for the submitter's corrected version. Set and lifted
    /// by the workflow itself: a request for changes stops every running
    /// clock of the release, the new version starts them again.
    Supplement,
    /// 征求第三方意见: a third party is asked for its opinion.
    ThirdParty,
    /// 报保密行政管理部门确定: referred to the secrecy administration.
    SecrecyAuthority,
    /// 会商: consultation with other departments.
    Consultation,
}

impl ClockReason {
    pub const ALL: [ClockReason; 4] = [
        Self::Supplement,
        Self::ThirdParty,
        Self::SecrecyAuthority,
        Self::Consultation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Supplement => "supplement",
            Self::ThirdParty => "third_party",
            Self::SecrecyAuthority => "secrecy_authority",
            Self::Consultation => "consultation",
        }
    }

    /// Only the workflow stops a clock for 补正, and only a new version
    /// starts it again; a reviewer stops and resumes for the other reasons.
    pub fn is_manual(self) -> bool {
        self != Self::Supplement
    }
}

text_enum!(ClockReason, "clock reason");

/// What the rules see of one stage's clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClockFacts {
    /// `Some` while the clock stands still.
    pub stopped: Option<ClockReason>,
    /// Working days already added by extensions.
    pub extended_days: u32,
}
