use serde::{Deserialize, Serialize};

use crate::text_enum::text_enum;

/// The roles of API.md. A user may hold several.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Submitter,
    DeptApprover,
    SecrecyReviewer,
    PrivacyOfficer,
    CrossBorderAssessor,
    Leader,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Submitter,
        Role::DeptApprover,
        Role::SecrecyReviewer,
        Role::PrivacyOfficer,
        Role::CrossBorderAssessor,
        Role::Leader,
        Role::Supervisor,
        Role::Admin,
    ];

    /// Roles that decide stages and so work a queue.
    pub const REVIEWERS: [Role; 5] = [
        Role::DeptApprover,
        Role::SecrecyReviewer,
        Role::PrivacyOfficer,
        Role::CrossBorderAssessor,
        Role::Leader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Submitter => "submitter",
            Role::DeptApprover => "dept_approver",
            Role::SecrecyReviewer => "secrecy_reviewer",
            Role::PrivacyOfficer => "privacy_officer",
            Role::CrossBorderAssessor => "cross_border_assessor",
            Role::Leader => "leader",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Submitters and department approvers act within their own department;
    /// the other roles act city-wide.
    pub fn is_departmental(self) -> bool {
        matches!(self, Role::Submitter | Role::DeptApprover)
    }
}

text_enum!(Role, "role");

/// Parses the comma-separated role list stored on a user row.
pub fn parse_roles(list: &str) -> Result<Vec<Role>, String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

pub fn join_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
