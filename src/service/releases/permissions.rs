//! What a user may do to a release right now, every answer from
//! `workflow::allowed` on the release's current facts: the dashboard shows
//! exactly these buttons, and the same rules refuse the request otherwise.

use std::sync::Arc;

use super::evaluate::release_facts;
use super::load_readable;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::ids::ReleaseId;
use crate::policy::Policies;
use crate::scan::{Category, Severity};
use crate::workflow::{self, Action, Decision, Disposition, ReleaseFacts};

pub struct Permissions {
    policies: Arc<Policies>,
    user: CurrentUser,
    facts: ReleaseFacts,
}

pub fn permissions(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &ReleaseId,
) -> AppResult<Permissions> {
    let release = load_readable(conn, user, id)?;
    Ok(Permissions {
        facts: release_facts(conn, &state.policies.workflow, &release)?,
        policies: state.policies.clone(),
        user: user.clone(),
    })
}

impl Permissions {
    pub fn may(&self, action: &Action) -> bool {
        workflow::allowed(
            &self.policies.workflow,
            &self.facts,
            &self.user.actor(),
            action,
        )
        .is_ok()
    }

    /// The decisions the user may take on `stage` now.
    pub fn decisions(&self, stage: &str) -> Vec<Decision> {
        Decision::ALL
            .into_iter()
            .filter(|&decision| self.may(&Action::Decide { stage, decision }))
            .collect()
    }

    /// Whether some disposition of this finding is open to the user (a
    /// blocking finding takes only `false_positive`, which every other
    /// finding takes too).
    pub fn may_dispose(
        &self,
        category: Category,
        severity: Severity,
        version: i32,
        inspected: bool,
    ) -> bool {
        self.may(&Action::Dispose {
            category,
            severity,
            version,
            disposition: Disposition::FalsePositive,
            inspected,
        })
    }
}
