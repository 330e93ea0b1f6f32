//! Applications for conditionally open data (有条件开放): a verified member
//! of the public states purpose and intended use; a dept_approver of the
//! owning department approves or refuses with a reason, and may later
//! revoke. Every step is audited and the other side is mailed.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::accounts::PublicCaller;
use super::{audit_actor, ApplicationState};
use crate::auth::CurrentUser;
use crate::db::models::{AccessApplication, PublicAccount, Release};
use crate::db::schema::{access_applications, public_accounts, releases};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::ReleaseId;
use crate::policy::Role;
use crate::service::audit_log;
use crate::service::fields::required_text;
use crate::service::releases::{OpenMode, Page};
use crate::workflow::State;

/// Longest purpose or intended use accepted, in characters.
const MAX_STATEMENT: usize = 2000;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Applicant {
    pub name: String,
    pub email: String,
    pub organisation: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationView {
    pub id: String,
    pub release_id: String,
    /// The release's published title.
    pub release_title: String,
    pub department: String,
    pub state: ApplicationState,
    pub purpose: String,
    pub intended_use: String,
    pub applicant: Applicant,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    pub reason: Option<String>,
}

fn view(app: AccessApplication, release: &Release, account: &PublicAccount) -> ApplicationView {
    ApplicationView {
        id: app.id,
        release_id: app.release_id.into(),
        release_title: release.public_title.clone().unwrap_or_default(),
        department: release.department.clone(),
        state: app.state,
        purpose: app.purpose,
        intended_use: app.intended_use,
        applicant: Applicant {
            name: account.name.clone(),
            email: account.email.clone(),
            organisation: account.organisation.clone(),
        },
        created_at: crate::audit::format_time(&app.created_at),
        decided_at: app.decided_at.as_ref().map(crate::audit::format_time),
        reason: app.reason,
    }
}

/// Applies for a published conditional release. One open application per
/// account and release: a second while one is pending or approved is refused.
pub fn apply(
    conn: &mut DbConn,
    caller: &PublicCaller,
    release_id: &ReleaseId,
    purpose: &str,
    intended_use: &str,
    public_url: &str,
) -> AppResult<ApplicationView> {
    let purpose = required_text("purpose", purpose, MAX_STATEMENT)?;
    let intended_use = required_text("intended_use", intended_use, MAX_STATEMENT)?;
    write_tx(conn, |conn| {
        let release = published(conn, release_id)?;
        if release.open_mode != OpenMode::Conditional {
            return Err(AppError::Rule {
                code: ErrorCode::NotConditional,
                message: format!(
                    "release {release_id} is open without conditions: its files need no application"
                ),
            });
        }
        let open: i64 = access_applications::table
            .filter(access_applications::release_id.eq(release_id))
            .filter(access_applications::account_id.eq(&caller.account_id))
            .filter(access_applications::state.eq_any([
                ApplicationState::Pending.as_str(),
                ApplicationState::Approved.as_str(),
            ]))
            .count()
            .get_result(conn)?;
        if open > 0 {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!(
                    "you already have a pending or approved application for {release_id}"
                ),
            });
        }
        let now = crate::audit::now();
        let app = AccessApplication {
            id: ulid::Ulid::new().to_string(),
            release_id: release.id.clone(),
            account_id: caller.account_id.clone(),
            purpose,
            intended_use,
            state: ApplicationState::Pending,
            created_at: now,
            decided_by: None,
            decided_at: None,
            reason: None,
        };
        diesel::insert_into(access_applications::table)
            .values(app.clone())
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &audit_actor(&caller.account_id),
                crate::audit::Action::AccessApplied,
                Some((&release.id, release.version)),
                serde_json::json!({"application": app.id, "account": caller.account_id}),
            ),
        )?;
        crate::notify::application_received(
            conn,
            &release.department,
            release.public_title.as_deref().unwrap_or_default(),
            &app.id,
            public_url,
            now,
        )?;
        let account = account(conn, &caller.account_id)?;
        Ok(view(app, &release, &account))
    })
}

fn published(conn: &mut DbConn, release_id: &ReleaseId) -> AppResult<Release> {
    releases::table
        .find(release_id)
        .filter(releases::state.eq(State::Published.as_str()))
        .select(Release::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no published release {release_id}")))
}

fn account(conn: &mut DbConn, id: &str) -> AppResult<PublicAccount> {
    Ok(public_accounts::table
        .find(id)
        .select(PublicAccount::as_select())
        .first(conn)?)
}

/// Who may list applications, and whose.
enum Scope<'a> {
    Applicant(&'a str),
    Department(&'a str),
    Everyone,
}

fn list(
    conn: &mut DbConn,
    scope: Scope<'_>,
    state: Option<ApplicationState>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<ApplicationView>> {
    let mut query = access_applications::table
        .inner_join(releases::table)
        .inner_join(public_accounts::table)
        .order(access_applications::id.desc())
        .into_boxed();
    query = match scope {
        Scope::Applicant(id) => query.filter(access_applications::account_id.eq(id.to_string())),
        Scope::Department(code) => query.filter(releases::department.eq(code.to_string())),
        Scope::Everyone => query,
    };
    if let Some(state) = state {
        query = query.filter(access_applications::state.eq(state.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(access_applications::id.lt(before.to_string()));
    }
    let rows: Vec<(AccessApplication, Release, PublicAccount)> = query
        .limit(limit + 1)
        .select((
            AccessApplication::as_select(),
            Release::as_select(),
            PublicAccount::as_select(),
        ))
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |(a, _, _)| a.id.clone(),
        |(app, release, account)| view(app, &release, &account),
    ))
}

/// The caller's own applications, newest first.
pub fn list_mine(
    conn: &mut DbConn,
    caller: &PublicCaller,
    state: Option<ApplicationState>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<ApplicationView>> {
    list(
        conn,
        Scope::Applicant(&caller.account_id),
        state,
        before,
        limit,
    )
}

/// Applications for staff: a dept_approver sees those for their
/// department's releases, a supervisor all; nobody else any.
pub fn list_for_staff(
    conn: &mut DbConn,
    user: &CurrentUser,
    state: Option<ApplicationState>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<ApplicationView>> {
    let scope = if user.has(Role::Supervisor) {
        Scope::Everyone
    } else {
        match (user.has(Role::DeptApprover), user.department.as_deref()) {
            (true, Some(dept)) => Scope::Department(dept),
            _ => {
                return Err(AppError::Forbidden(
                    "applications are decided by a dept_approver of the owning department and read by supervisors".into(),
                ))
            }
        }
    };
    list(conn, scope, state, before, limit)
}

/// What a dept_approver decides about an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationDecision {
    /// A pending application: the applicant may download.
    Approve,
    /// A pending application, with a reason.
    Refuse,
    /// An approved application, with a reason: downloads stop at once.
    Revoke,
}

impl ApplicationDecision {
    /// The state it moves from and to.
    fn transition(self) -> (ApplicationState, ApplicationState) {
        match self {
            Self::Approve => (ApplicationState::Pending, ApplicationState::Approved),
            Self::Refuse => (ApplicationState::Pending, ApplicationState::Refused),
            Self::Revoke => (ApplicationState::Approved, ApplicationState::Revoked),
        }
    }
}

/// Decides an application as `user`, who must be a dept_approver of the
/// release's department. A refusal or revocation needs a reason.
pub fn decide(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &str,
    decision: ApplicationDecision,
    reason: Option<&str>,
    public_url: &str,
) -> AppResult<ApplicationView> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if decision != ApplicationDecision::Approve && reason.is_none() {
        return Err(AppError::Rule {
            code: ErrorCode::NoteRequired,
            message: "a refusal or revocation needs a reason".into(),
        });
    }
    if let Some(r) = reason {
        required_text("reason", r, MAX_STATEMENT)?;
    }
    write_tx(conn, |conn| {
        let found: Option<(AccessApplication, Release, PublicAccount)> = access_applications::table
            .find(id)
            .inner_join(releases::table)
            .inner_join(public_accounts::table)
            .select((
                AccessApplication::as_select(),
                Release::as_select(),
                PublicAccount::as_select(),
            ))
            .first(conn)
            .optional()?;
        let (mut app, release, account) =
            found.ok_or_else(|| AppError::NotFound(format!("no application {id}")))?;
        if !(user.has(Role::DeptApprover)
            && user.department.as_deref() == Some(&release.department))
        {
            return Err(AppError::Forbidden(format!(
                "applications for {}'s releases are decided by its dept_approver",
                release.department
            )));
        }
        let (from, to) = decision.transition();
        if app.state != from {
            return Err(AppError::Rule {
                code: ErrorCode::AlreadyDecided,
                message: format!("the application is {}, not {from}", app.state),
            });
        }
        let now = crate::audit::now();
        // Conditional on the state read: two approvers deciding at once
        // cannot both win.
        let changed = diesel::update(
            access_applications::table
                .find(id)
                .filter(access_applications::state.eq(from.as_str())),
        )
        .set((
            access_applications::state.eq(to.as_str()),
            access_applications::decided_by.eq(&user.id),
            access_applications::decided_at.eq(now),
            access_applications::reason.eq(reason),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(AppError::Rule {
                code: ErrorCode::AlreadyDecided,
                message: "the application was decided meanwhile".into(),
            });
        }
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::AccessDecided,
                Some((&release.id, release.version)),
                serde_json::json!({
                    "application": app.id,
                    "account": account.id,
                    "decision": to.as_str(),
                    "reason": reason,
                }),
            ),
        )?;
        crate::notify::application_decided(
            conn,
            &crate::notify::Decided {
                email: &account.email,
                release_id: &release.id,
                release_title: release.public_title.as_deref().unwrap_or_default(),
                state: to.as_str(),
                reason,
            },
            public_url,
            now,
        )?;
        app.state = to;
        app.decided_at = Some(now);
        app.reason = reason.map(Into::into);
        Ok(view(app, &release, &account))
    })
}

/// The approved application that lets `account_id` download `release_id`'s files.
pub(super) fn approved_grant(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    account_id: &str,
) -> AppResult<Option<String>> {
    Ok(access_applications::table
        .filter(access_applications::release_id.eq(release_id))
        .filter(access_applications::account_id.eq(account_id))
        .filter(access_applications::state.eq(ApplicationState::Approved.as_str()))
        .select(access_applications::id)
        .first(conn)
        .optional()?)
}
