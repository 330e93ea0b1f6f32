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
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
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

/// The roles a user holds, stored on the user row as a comma-separated list
/// (`users.roles`). A stored name that is not a role fails the read: read as
/// "no such role", a corrupt row would quietly take a reviewer out of every
/// queue and mail list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Roles(pub Vec<Role>);

impl std::str::FromStr for Roles {
    type Err = String;
    fn from_str(list: &str) -> Result<Self, String> {
        list.split(',')
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TryFrom<String> for Roles {
    type Error = String;
    fn try_from(list: String) -> Result<Self, String> {
        list.parse()
    }
}

/// The stored form: role names joined by commas.
impl std::fmt::Display for Roles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, role) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(role.as_str())?;
        }
        Ok(())
    }
}

impl From<Roles> for String {
    fn from(roles: Roles) -> String {
        roles.to_string()
    }
}

impl From<&[Role]> for Roles {
    fn from(roles: &[Role]) -> Self {
        Self(roles.to_vec())
    }
}

impl std::ops::Deref for Roles {
    type Target = [Role];
    fn deref(&self) -> &[Role] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_list_round_trips_and_refuses_an_unknown_name() {
        let roles = Roles(vec![Role::Submitter, Role::DeptApprover]);
        let stored = String::from(roles.clone());
        assert_eq!(stored, "submitter,dept_approver");
        assert_eq!(Roles::try_from(stored), Ok(roles));
        assert_eq!("".parse::<Roles>(), Ok(Roles::default()));
        let err = "submitter,approver".parse::<Roles>().unwrap_err();
        assert!(err.contains("\"approver\""), "{err}");
    }
}
