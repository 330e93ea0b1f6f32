//! The signed-in user as the rest of the program sees them. The request
//! extractor that produces one lives in `http::identity`.

use crate::db::models::User;
use crate::error::AppError;
use crate::policy::Role;

/// The signed-in user, loaded fresh from the database on every request so a
/// deactivated account or a changed role takes effect at once.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
}

impl CurrentUser {
    /// The user as the workflow rules see them.
    pub fn actor(&self) -> crate::workflow::Actor<'_> {
        crate::workflow::Actor {
            id: &self.id,
            roles: &self.roles,
            department: self.department.as_deref(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("this needs the role {role}")))
        }
    }

    pub fn from_row(user: User) -> Result<Self, AppError> {
        Ok(Self {
            id: user.id,
            username: user.username,
            roles: user.roles.0,
            department: user.department,
        })
    }
}
