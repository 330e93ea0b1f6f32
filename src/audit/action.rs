//! The closed set of audit event kinds.

/// Every kind of audit event: a closed set, so a search, a report or a
/// verifier can rely on the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    DepartmentAdded,
    UserAdded,
    UserUpdated,
    UserLogin,
    UserLoginFailed,
    UserLogout,
    ReleaseSubmitted,
    ReleaseVersionAdded,
    ReleaseScanned,
    FindingDispositioned,
    FindingRevealed,
    StageDecided,
    ReleaseWithdrawn,
    ReleaseRetracted,
    ReleasePublished,
    AccessApplied,
    AccessDecided,
    ReleaseDownloaded,
    BlockAdded,
    BlockRemoved,
    BulkQuotaSet,
    BulkQuotaRemoved,
    DemandAnswered,
    CatalogueItemAdded,
    PlanItemAdded,
    PlanItemFulfilled,
    /// A stage's clock was stopped (with a reason code) or resumed.
    ClockStopped,
    ClockResumed,
    DeadlineExtended,
    ReviewerRecused,
    ReleaseHeld,
    HoldLifted,
    DelegationAdded,
    DelegationRevoked,
    /// A reminder of a deadline, or an escalation of a missed one, was queued.
    ReminderSent,
    DeadlineEscalated,
    /// Co-departments silent past the policy's bound were taken to consent.
    ConsentBySilence,
    /// A supervisor searched, exported or verified the audit log.
    AuditRead,
    /// A second party co-signed a checkpoint.
    CheckpointCosigned,
    /// An administrator queued a parked job again.
    JobRetried,
    /// Synthetic events of `releasegate dev audit-events`.
    DevSeeded,
}

impl Action {
    pub const ALL: [Action; 41] = [
        Self::DepartmentAdded,
        Self::UserAdded,
        Self::UserUpdated,
        Self::UserLogin,
        Self::UserLoginFailed,
        Self::UserLogout,
        Self::ReleaseSubmitted,
        Self::ReleaseVersionAdded,
        Self::ReleaseScanned,
        Self::FindingDispositioned,
        Self::FindingRevealed,
        Self::StageDecided,
        Self::ReleaseWithdrawn,
        Self::ReleaseRetracted,
        Self::ReleasePublished,
        Self::AccessApplied,
        Self::AccessDecided,
        Self::ReleaseDownloaded,
        Self::BlockAdded,
        Self::BlockRemoved,
        Self::BulkQuotaSet,
        Self::BulkQuotaRemoved,
        Self::DemandAnswered,
        Self::CatalogueItemAdded,
        Self::PlanItemAdded,
        Self::PlanItemFulfilled,
        Self::ClockStopped,
        Self::ClockResumed,
        Self::DeadlineExtended,
        Self::ReviewerRecused,
        Self::ReleaseHeld,
        Self::HoldLifted,
        Self::DelegationAdded,
        Self::DelegationRevoked,
        Self::ReminderSent,
        Self::DeadlineEscalated,
        Self::ConsentBySilence,
        Self::AuditRead,
        Self::CheckpointCosigned,
        Self::JobRetried,
        Self::DevSeeded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::DepartmentAdded => "department.added",
            Self::UserAdded => "user.added",
            Self::UserUpdated => "user.updated",
            Self::UserLogin => "user.login",
            Self::UserLoginFailed => "user.login_failed",
            Self::UserLogout => "user.logout",
            Self::ReleaseSubmitted => "release.submitted",
            Self::ReleaseVersionAdded => "release.version_added",
            Self::ReleaseScanned => "release.scanned",
            Self::FindingDispositioned => "finding.dispositioned",
            Self::FindingRevealed => "finding.revealed",
            Self::StageDecided => "stage.decided",
            Self::ReleaseWithdrawn => "release.withdrawn",
            Self::ReleaseRetracted => "release.retracted",
            Self::ReleasePublished => "release.published",
            Self::AccessApplied => "access.applied",
            Self::AccessDecided => "access.decided",
            Self::ReleaseDownloaded => "release.downloaded",
            Self::BlockAdded => "blocklist.added",
            Self::BlockRemoved => "blocklist.removed",
            Self::BulkQuotaSet => "bulk_user.quota_set",
            Self::BulkQuotaRemoved => "bulk_user.quota_removed",
            Self::DemandAnswered => "demand.answered",
            Self::CatalogueItemAdded => "catalogue.item_added",
            Self::PlanItemAdded => "plan.item_added",
            Self::PlanItemFulfilled => "plan.item_fulfilled",
            Self::ClockStopped => "clock.stopped",
            Self::ClockResumed => "clock.resumed",
            Self::DeadlineExtended => "deadline.extended",
            Self::ReviewerRecused => "reviewer.recused",
            Self::ReleaseHeld => "release.held",
            Self::HoldLifted => "release.hold_lifted",
            Self::DelegationAdded => "delegation.added",
            Self::DelegationRevoked => "delegation.revoked",
            Self::ReminderSent => "reminder.sent",
            Self::DeadlineEscalated => "deadline.escalated",
            Self::ConsentBySilence => "stage.consent_by_silence",
            Self::AuditRead => "audit.read",
            Self::CheckpointCosigned => "checkpoint.cosigned",
            Self::JobRetried => "job.retried",
            Self::DevSeeded => "dev.seeded",
        }
    }
}

impl Action {
    /// The events of a release that get a receipt (`audit::receipt`): its
    /// decisions and what they led to. Each is sealed by a checkpoint in the
    /// transaction that writes it.
    pub const RECEIPTED: [Action; 4] = [
        Self::StageDecided,
        Self::ReleasePublished,
        Self::ReleaseWithdrawn,
        Self::ReleaseRetracted,
    ];
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind of event is written somewhere (reads the service code).
    #[test]
    fn every_action_is_recorded_somewhere() {
        let mut sources = String::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/service"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    sources.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        for action in Action::ALL {
            let name = format!("Action::{action:?}");
            assert!(sources.contains(&name), "{name} is never recorded");
        }
    }
}
