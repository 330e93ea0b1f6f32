//! A reviewer on leave hands their work to a colleague of the same roles and
//! department for a period (`POST /api/v1/delegations`). Queues are pools,
//! so the colleague can already act; what moves is who hears: reminders of
//! the stages the absent reviewer could act on go to the delegate in their
//! place until the period ends.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::CurrentUser;
use crate::db::models::User;
use crate::db::schema::{delegations, users};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::policy::Role;
use crate::service::audit_log;
use crate::workflow::Note;

/// The longest a delegation may run: longer absences are a change of roles.
const MAX_DAYS: i64 = 92;

/// Roles whose work a delegation hands over (not filing, not administration).
fn reviewing(roles: &[Role]) -> Vec<Role> {
    roles
        .iter()
        .copied()
        .filter(|r| !matches!(r, Role::Submitter | Role::Admin | Role::Supervisor))
        .collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DelegationView {
    pub id: String,
    /// Who is away.
    pub from_user: String,
    /// Who acts and hears for them.
    pub to: String,
    pub from: String,
    pub until: String,
    pub note: String,
    pub revoked_at: Option<String>,
}

type Row = (
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    String,
    Option<NaiveDateTime>,
);

fn view(conn: &mut DbConn, row: Row) -> AppResult<DelegationView> {
    let (id, from_user, to_user, starts_at, until, note, revoked_at) = row;
    let mut name = |id: &str| -> AppResult<String> {
        Ok(users::table.find(id).select(users::username).first(conn)?)
    };
    Ok(DelegationView {
        id,
        from_user: name(&from_user)?,
        to: name(&to_user)?,
        from: crate::audit::format_time(&starts_at),
        until: crate::audit::format_time(&until),
        note,
        revoked_at: revoked_at.as_ref().map(crate::audit::format_time),
    })
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::Rule {
        code: ErrorCode::InvalidDelegation,
        message: message.into(),
    }
}

pub fn add(
    conn: &mut DbConn,
    user: &CurrentUser,
    to: &str,
    (from, until): (NaiveDateTime, NaiveDateTime),
    note: &Note,
) -> AppResult<DelegationView> {
    let mine = reviewing(&user.roles);
    if mine.is_empty() {
        return Err(AppError::Forbidden(
            "only reviewers and approvers delegate their work".into(),
        ));
    }
    if until <= from || until - from > chrono::Duration::days(MAX_DAYS) {
        return Err(invalid(format!(
            "a delegation runs from before it ends, for at most {MAX_DAYS} days"
        )));
    }
    let delegate: User = users::table
        .filter(users::username.eq(to))
        .filter(users::active.eq(true))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| invalid(format!("no active user {to:?}")))?;
    let theirs = &delegate.roles;
    if delegate.id == user.id
        || delegate.department != user.department
        || !mine.iter().all(|r| theirs.contains(r))
    {
        return Err(invalid(format!(
            "{to} must be someone else of the same department holding {}",
            mine.iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let id = ulid::Ulid::new().to_string();
    let now = crate::audit::now();
    write_tx(conn, |conn| {
        diesel::insert_into(delegations::table)
            .values((
                delegations::id.eq(&id),
                delegations::from_user.eq(&user.id),
                delegations::to_user.eq(&delegate.id),
                delegations::starts_at.eq(from),
                delegations::until.eq(until),
                delegations::note.eq(note.as_str()),
                delegations::created_at.eq(now),
            ))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::DelegationAdded,
                None,
                serde_json::json!({
                    "id": id, "to": to, "from": crate::audit::format_time(&from),
                    "until": crate::audit::format_time(&until), "note": note.as_str(),
                }),
            ),
        )?;
        Ok::<_, AppError>(())
    })?;
    get(conn, &id)
}

fn get(conn: &mut DbConn, id: &str) -> AppResult<DelegationView> {
    let row: Row = delegations::table
        .find(id)
        .select(columns())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no delegation {id}")))?;
    view(conn, row)
}

#[allow(clippy::type_complexity)]
fn columns() -> (
    delegations::id,
    delegations::from_user,
    delegations::to_user,
    delegations::starts_at,
    delegations::until,
    delegations::note,
    delegations::revoked_at,
) {
    (
        delegations::id,
        delegations::from_user,
        delegations::to_user,
        delegations::starts_at,
        delegations::until,
        delegations::note,
        delegations::revoked_at,
    )
}

/// Delegations the caller gave or received that have not ended (supervisors
/// and administrators: everyone's), newest first.
pub fn list(conn: &mut DbConn, user: &CurrentUser) -> AppResult<Vec<DelegationView>> {
    let now = crate::audit::now();
    let mut query = delegations::table
        .filter(delegations::until.gt(now))
        .order(delegations::created_at.desc())
        .limit(200)
        .select(columns())
        .into_boxed();
    if !user
        .roles
        .iter()
        .any(|r| matches!(r, Role::Supervisor | Role::Admin))
    {
        query = query.filter(
            delegations::from_user
                .eq(user.id.clone())
                .or(delegations::to_user.eq(user.id.clone())),
        );
    }
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter().map(|row| view(conn, row)).collect()
}

/// Ends a delegation early: the delegator or an administrator.
pub fn revoke(conn: &mut DbConn, user: &CurrentUser, id: &str) -> AppResult<DelegationView> {
    let (from_user, revoked): (String, Option<NaiveDateTime>) = delegations::table
        .find(id)
        .select((delegations::from_user, delegations::revoked_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no delegation {id}")))?;
    if from_user != user.id && !user.roles.contains(&Role::Admin) {
        return Err(AppError::Forbidden(
            "only the delegator or an administrator ends a delegation".into(),
        ));
    }
    if revoked.is_some() {
        return Err(AppError::Rule {
            code: ErrorCode::Exists,
            message: "this delegation was already ended".into(),
        });
    }
    let now = crate::audit::now();
    write_tx(conn, |conn| {
        diesel::update(delegations::table.find(id))
            .set(delegations::revoked_at.eq(now))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::DelegationRevoked,
                None,
                serde_json::json!({"id": id}),
            ),
        )?;
        Ok::<_, AppError>(())
    })?;
    get(conn, id)
}
