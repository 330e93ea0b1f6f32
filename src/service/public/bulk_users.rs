//! Registered bulk users (注册登记): organisations that use data at scale
//! and continuously get a request quota of their own from an
//! administrator, in place of the default. Administrators find accounts
//! here, set or remove the quota; each change is audited.

use diesel::prelude::*;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::db::models::PublicAccount;
use crate::db::schema::public_accounts;
use crate::db::{contains_pattern, lower, write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::policy::Role;
use crate::service::audit_log;
use crate::service::fields::{optional_text, required_text};
use crate::service::releases::Page;

/// The largest quota an administrator may set: 1,000 requests a second.
pub const MAX_REQUESTS_PER_MINUTE: i32 = 60_000;

/// A public account as an administrator sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountAdminView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub organisation: Option<String>,
    pub verified: bool,
    /// Whether the account may sign in at all.
    pub active: bool,
    /// A registered bulk user's own quota; `null`: the default
    /// (`RELEASEGATE_PUBLIC_RATE_LIMIT`).
    pub requests_per_minute: Option<u32>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<PublicAccount> for AccountAdminView {
    fn from(a: PublicAccount) -> Self {
        Self {
            verified: a.verified_at.is_some(),
            created_at: crate::audit::format_time(&a.created_at),
            requests_per_minute: a.requests_per_minute.and_then(|n| u32::try_from(n).ok()),
            id: a.id,
            email: a.email,
            name: a.name,
            organisation: a.organisation,
            active: a.active,
        }
    }
}

/// Which accounts to list.
#[derive(Debug, Default)]
pub struct AccountFilter {
    /// A piece of the e-mail address, name or organisation.
    pub q: Option<String>,
    /// Only registered bulk users.
    pub bulk: bool,
}

/// Accounts newest first, keyset-paged.
pub fn list_accounts(
    conn: &mut DbConn,
    user: &CurrentUser,
    filter: &AccountFilter,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<AccountAdminView>> {
    user.require(Role::Admin)?;
    let q = optional_text("q", filter.q.as_deref(), 200)?;
    let mut query = public_accounts::table
        .order(public_accounts::id.desc())
        .into_boxed();
    if let Some(q) = q {
        let pattern = contains_pattern(&q);
        query = query.filter(
            lower(public_accounts::email.nullable())
                .like(pattern.clone())
                .escape('\\')
                .or(lower(public_accounts::name.nullable())
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(public_accounts::organisation)
                    .like(pattern)
                    .escape('\\')),
        );
    }
    if filter.bulk {
        query = query.filter(public_accounts::requests_per_minute.is_not_null());
    }
    if let Some(before) = before {
        query = query.filter(public_accounts::id.lt(before.to_string()));
    }
    let rows: Vec<PublicAccount> = query
        .limit(limit + 1)
        .select(PublicAccount::as_select())
        .load(conn)?;
    Ok(Page::from_rows(
        rows,
        limit,
        |a| a.id.clone(),
        AccountAdminView::from,
    ))
}

/// Registers `account_id` as a bulk user with `per_minute` requests a
/// minute (or changes its quota). The account must name its organisation.
pub fn set_quota(
    conn: &mut DbConn,
    user: &CurrentUser,
    account_id: &str,
    per_minute: i32,
    reason: &str,
) -> AppResult<AccountAdminView> {
    user.require(Role::Admin)?;
    let reason = required_text("reason", reason, 2000)?;
    if !(1..=MAX_REQUESTS_PER_MINUTE).contains(&per_minute) {
        return Err(AppError::BadRequest(format!(
            "requests_per_minute must be 1 to {MAX_REQUESTS_PER_MINUTE}, not {per_minute}"
        )));
    }
    write_tx(conn, |conn| {
        let account = load(conn, account_id)?;
        let Some(organisation) = account.organisation.clone() else {
            return Err(AppError::Rule {
                code: ErrorCode::OrganisationRequired,
                message: format!(
                    "account {account_id} names no organisation; only an organisation is registered as a bulk user"
                ),
            });
        };
        diesel::update(public_accounts::table.find(account_id))
            .set(public_accounts::requests_per_minute.eq(Some(per_minute)))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::BulkQuotaSet,
                None,
                serde_json::json!({
                    "account": account_id,
                    "organisation": organisation,
                    "requests_per_minute": per_minute,
                    "was": account.requests_per_minute,
                    "reason": reason,
                }),
            ),
        )?;
        Ok(AccountAdminView::from(load(conn, account_id)?))
    })
}

/// Puts a bulk user back on the default quota.
pub fn remove_quota(conn: &mut DbConn, user: &CurrentUser, account_id: &str) -> AppResult<()> {
    user.require(Role::Admin)?;
    write_tx(conn, |conn| {
        let account = load(conn, account_id)?;
        let Some(was) = account.requests_per_minute else {
            return Err(AppError::NotFound(format!(
                "account {account_id} has no quota of its own"
            )));
        };
        diesel::update(public_accounts::table.find(account_id))
            .set(public_accounts::requests_per_minute.eq(None::<i32>))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::BulkQuotaRemoved,
                None,
                serde_json::json!({"account": account_id, "was": was}),
            ),
        )?;
        Ok(())
    })
}

fn load(conn: &mut DbConn, account_id: &str) -> AppResult<PublicAccount> {
    public_accounts::table
        .find(account_id)
        .select(PublicAccount::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no public account {account_id}")))
}
