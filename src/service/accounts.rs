//! Departments and users: the administrator's CLI operations and login.

use std::net::IpAddr;
use std::sync::LazyLock;

use diesel::prelude::*;
use serde::Serialize;

use super::audit_log;
use crate::app::AppState;
use crate::auth::{hash_password, verify_password};
use crate::db::models::{Department, User};
use crate::db::schema::{departments, revoked_tokens, users};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::policy::{Role, Roles};

/// Actor name of events done by an operator at the command line.
pub const CLI_ACTOR: &str = "cli";

/// Department codes appear in queries as `,CODE,` patterns, so they are kept
/// to characters that mean nothing to LIKE.
pub fn validate_department_code(code: &str) -> AppResult<()> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "department code {code:?} must be 1-32 characters of A-Z, 0-9 and '-'"
        )))
    }
}

/// Department names by code (a small table: read whole, for display).
pub fn department_names(
    conn: &mut DbConn,
) -> AppResult<std::collections::BTreeMap<String, String>> {
    Ok(departments::table
        .select((departments::code, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn add_department(conn: &mut DbConn, code: &str, name: &str) -> AppResult<Department> {
    validate_department_code(code)?;
    if name.trim().is_empty() {
        return Err(AppError::BadRequest(
            "department name must not be empty".into(),
        ));
    }
    write_tx(conn, |conn| {
        if departments::table
            .find(code)
            .count()
            .get_result::<i64>(conn)?
            > 0
        {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("department {code} already exists"),
            });
        }
        let dept = Department {
            code: code.into(),
            name: name.trim().into(),
            created_at: crate::audit::now(),
        };
        diesel::insert_into(departments::table)
            .values(&dept)
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                CLI_ACTOR,
                crate::audit::Action::DepartmentAdded,
                None,
                serde_json::json!({"code": code, "name": dept.name}),
            ),
        )?;
        Ok(dept)
    })
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub roles: &'a [Role],
    pub department: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Adds a user on the command line.
pub fn add_user(conn: &mut DbConn, new: &NewUser) -> AppResult<User> {
    add_user_by(conn, CLI_ACTOR, new)
}

pub(crate) fn check_password(password: &str) -> AppResult<()> {
    if password.chars().count() < 10 {
        return Err(AppError::BadRequest(
            "password must be at least 10 characters".into(),
        ));
    }
    Ok(())
}

fn check_roles(roles: &[Role], department: Option<&str>) -> AppResult<()> {
    if roles.is_empty() {
        return Err(AppError::BadRequest(
            "a user needs at least one role".into(),
        ));
    }
    if roles.iter().any(|r| r.is_departmental()) && department.is_none() {
        return Err(AppError::Rule {
            code: ErrorCode::DepartmentRequired,
            message: "submitters and department approvers need a department".into(),
        });
    }
    Ok(())
}

fn check_department(conn: &mut DbConn, code: Option<&str>) -> AppResult<()> {
    if let Some(code) = code {
        let known: i64 = departments::table.find(code).count().get_result(conn)?;
        if known == 0 {
            return Err(AppError::Rule {
                code: ErrorCode::UnknownDepartment,
                message: format!("unknown department {code}"),
            });
        }
    }
    Ok(())
}

/// Adds a user, audited as `actor` (an administrator, or the CLI).
pub fn add_user_by(conn: &mut DbConn, actor: &str, new: &NewUser) -> AppResult<User> {
    let name_ok = (3..=64).contains(&new.username.len())
        && new
            .username
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !name_ok {
        return Err(AppError::BadRequest(
            "username must be 3-64 characters of a-z, 0-9, '.', '_' and '-'".into(),
        ));
    }
    check_password(new.password)?;
    check_roles(new.roles, new.department)?;
    let password_hash =
        hash_password(new.password).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    write_tx(conn, |conn| {
        check_department(conn, new.department)?;
        if users::table
            .filter(users::username.eq(new.username))
            .count()
            .get_result::<i64>(conn)?
            > 0
        {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("user {} already exists", new.username),
            });
        }
        let user = User {
            id: ulid::Ulid::new().to_string(),
            username: new.username.into(),
            password_hash,
            roles: Roles::from(new.roles),
            department: new.department.map(Into::into),
            email: new.email.map(Into::into),
            active: true,
            failed_logins: 0,
            sessions_valid_after: None,
            created_at: crate::audit::now(),
        };
        diesel::insert_into(users::table)
            .values(user.clone())
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                actor,
                crate::audit::Action::UserAdded,
                None,
                serde_json::json!({"username": user.username, "roles": user.roles.to_string(), "department": user.department}),
            ),
        )?;
        Ok(user)
    })
}

pub fn find_user(conn: &mut DbConn, username: &str) -> AppResult<User> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no user {username}")))
}

/// A hash of a password nobody has, checked for unknown usernames so that
/// they take as long as a wrong password (no timing oracle).
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no such user, no such password").unwrap_or_default());

/// Checks `password` against `hash`, or — for an account that does not
/// exist — against a hash nobody has, so both take as long.
pub(crate) fn password_matches(password: &str, hash: Option<&str>) -> bool {
    match hash {
        Some(hash) => verify_password(password, hash),
        None => {
            verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

/// Signs a user in from `address`: the throttle first (before any password
/// is checked, so parallel guesses cannot race past it), then the password.
/// Every failure — unknown user, disabled account, wrong password — gets the
/// same answer after the same work.
pub fn sign_in(
    state: &AppState,
    conn: &mut DbConn,
    username: &str,
    password: &str,
    address: IpAddr,
) -> AppResult<User> {
    state
        .sign_in
        .admit(username, address)
        .map_err(|wait| AppError::TooManyRequests(wait.as_secs().max(1)))?;
    let user = authenticate(conn, username, password, address)?;
    state.sign_in.succeeded(username, address);
    Ok(user)
}

/// Checks a password, auditing the outcome. Failed attempts are counted
/// atomically in the database (for the record and the supervisor); the
/// throttle, not a lockout, stops guessing.
fn authenticate(
    conn: &mut DbConn,
    username: &str,
    password: &str,
    address: IpAddr,
) -> AppResult<User> {
    let user = users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .optional()?;
    let wrong = || AppError::Unauthorized("wrong username or password".into());
    // Hashing happens outside any transaction: it is deliberately slow.
    let user = user.filter(|u| u.active);
    let ok = password_matches(password, user.as_ref().map(|u| u.password_hash.as_str()));
    let Some(user) = user else {
        return Err(wrong());
    };
    write_tx(conn, |conn| {
        let target = users::table.find(&user.id);
        let (failures, action) = if ok {
            diesel::update(target)
                .set(users::failed_logins.eq(0))
                .execute(conn)?;
            (0, crate::audit::Action::UserLogin)
        } else {
            // Incremented in SQL: concurrent failures never overwrite each other.
            let failures: i32 = diesel::update(target)
                .set(users::failed_logins.eq(users::failed_logins + 1))
                .returning(users::failed_logins)
                .get_result(conn)?;
            (failures, crate::audit::Action::UserLoginFailed)
        };
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                action,
                None,
                serde_json::json!({"address": address.to_string(), "failures_in_a_row": failures}),
            ),
        )?;
        Ok::<_, AppError>(())
    })?;
    if ok {
        Ok(user)
    } else {
        Err(wrong())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
    pub email: Option<String>,
    pub active: bool,
}

/// What an administrator changes about a user; `None` leaves it as it is.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    #[schema(min_items = 1)]
    pub roles: Option<Vec<Role>>,
    /// `Some(None)` removes the department.
    #[serde(default, deserialize_with = "present")]
    pub department: Option<Option<String>>,
    pub active: Option<bool>,
    pub email: Option<String>,
    #[schema(min_length = 10)]
    pub password: Option<String>,
}

/// A field that is present, even as `null`, is `Some`: `null` clears it.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// Changes a user, audited as `actor`. A new password, a disabled account, a
/// role taken away or a new department ends every session of the user at
/// once: their tokens issued before now are refused.
pub fn update_user(
    conn: &mut DbConn,
    actor: &str,
    username: &str,
    change: UserChange,
) -> AppResult<User> {
    if let Some(p) = &change.password {
        check_password(p)?;
    }
    let password_hash = change
        .password
        .as_deref()
        .map(hash_password)
        .transpose()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    write_tx(conn, |conn| {
        let mut user = find_user(conn, username)?;
        let old_roles = user.roles.clone();
        let roles = change.roles.clone().unwrap_or_else(|| old_roles.to_vec());
        let department = change.department.clone().unwrap_or(user.department.clone());
        check_roles(&roles, department.as_deref())?;
        check_department(conn, department.as_deref())?;
        let lost_role = old_roles.iter().any(|r| !roles.contains(r));
        let disabled = change.active == Some(false) && user.active;
        let moved = department != user.department;
        let revoke = password_hash.is_some() || disabled || lost_role || moved;
        let now = crate::audit::now();
        user.roles = Roles(roles);
        user.department = department;
        if let Some(active) = change.active {
            user.active = active;
        }
        if let Some(email) = &change.email {
            user.email = Some(email.clone()).filter(|e| !e.trim().is_empty());
        }
        if let Some(hash) = &password_hash {
            user.password_hash = hash.clone();
        }
        if revoke {
            user.sessions_valid_after = Some(now);
        }
        diesel::update(users::table.find(&user.id))
            .set((
                users::roles.eq(user.roles.to_string()),
                users::department.eq(&user.department),
                users::active.eq(user.active),
                users::email.eq(&user.email),
                users::password_hash.eq(&user.password_hash),
                users::sessions_valid_after.eq(user.sessions_valid_after),
            ))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                actor,
                crate::audit::Action::UserUpdated,
                None,
                serde_json::json!({
                    "username": user.username, "roles": user.roles.to_string(), "department": user.department,
                    "active": user.active, "password_changed": password_hash.is_some(),
                    "sessions_ended": revoke,
                }),
            ),
        )?;
        Ok(user)
    })
}

/// Every user, by username (keyset-paged).
pub fn list_users(
    conn: &mut DbConn,
    after: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<User>, Option<String>)> {
    let mut query = users::table.order(users::username.asc()).into_boxed();
    if let Some(after) = after {
        query = query.filter(users::username.gt(after.to_string()));
    }
    let mut rows: Vec<User> = query
        .limit(limit + 1)
        .select(User::as_select())
        .load(conn)?;
    let next = (rows.len() as i64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map(|u| u.username.clone()).unwrap_or_default()
    });
    Ok((rows, next))
}

/// A demo account and its generated password, printed once by `serve --demo`.
pub struct DemoUser {
    pub username: String,
    pub password: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
}

/// Ends one session: its token (by digest) is refused from now on, until it
/// would have expired anyway; tokens that have expired are forgotten here.
pub fn end_session(
    conn: &mut DbConn,
    username: &str,
    token_digest: &str,
    expires_at: chrono::NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        if revoke_token(conn, token_digest, expires_at)? {
            audit_log::append(
                conn,
                audit_log::draft(
                    username,
                    crate::audit::Action::UserLogout,
                    None,
                    serde_json::json!({}),
                ),
            )?;
        }
        Ok(())
    })
}

/// Refuses the token with this digest from now until `expires_at`, when
/// it would have lapsed anyway (and expired entries are swept). Answers
/// whether it was not revoked already. Staff and public tokens alike.
pub fn revoke_token(
    conn: &mut DbConn,
    token_digest: &str,
    expires_at: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let now = crate::audit::now();
    diesel::delete(revoked_tokens::table.filter(revoked_tokens::expires_at.lt(now)))
        .execute(conn)?;
    let known: bool = diesel::select(diesel::dsl::exists(
        revoked_tokens::table.find(token_digest),
    ))
    .get_result(conn)?;
    if !known {
        diesel::insert_into(revoked_tokens::table)
            .values((
                revoked_tokens::token_hash.eq(token_digest),
                revoked_tokens::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
    }
    Ok(!known)
}

/// Demo data: four departments and one user per role, with generated
/// passwords. Users that already exist are left alone.
pub fn seed_demo(conn: &mut DbConn) -> AppResult<Vec<DemoUser>> {
    let depts = [
        ("FGW", "市发展改革委"),
        ("TJJ", "市统计局"),
        ("DSJ", "市政府电子政务办"),
        ("BMJ", "市国家保密局"),
    ];
    for (code, name) in depts {
        if departments::table
            .find(code)
            .count()
            .get_result::<i64>(conn)?
            == 0
        {
            add_department(conn, code, name)?;
        }
    }
    let people: [(&str, &[Role], Option<&str>); 9] = [
        ("submitter", &[Role::Submitter], Some("FGW")),
        ("approver", &[Role::DeptApprover], Some("FGW")),
        ("approver-tjj", &[Role::DeptApprover], Some("TJJ")),
        ("secrecy", &[Role::SecrecyReviewer], Some("BMJ")),
        ("privacy", &[Role::PrivacyOfficer], Some("DSJ")),
        ("crossborder", &[Role::CrossBorderAssessor], Some("DSJ")),
        ("leader", &[Role::Leader], None),
        ("supervisor", &[Role::Supervisor], None),
        ("admin", &[Role::Admin], None),
    ];
    let mut created = Vec::new();
    for (username, roles, dept) in people {
        if users::table
            .filter(users::username.eq(username))
            .count()
            .get_result::<i64>(conn)?
            > 0
        {
            continue;
        }
        let password = format!("demo-{}", &hex::encode(rand::random::<[u8; 6]>()));
        // An address under the reserved .example domain, so that the demo's
        // mails (written as .eml files by default) show who would hear what.
        let email = format!("{username}@releasegate.example");
        add_user(
            conn,
            &NewUser {
                username,
                password: &password,
                roles,
                department: dept,
                email: Some(&email),
            },
        )?;
        created.push(DemoUser {
            username: username.into(),
            password,
            roles: roles.to_vec(),
            department: dept.map(Into::into),
        });
    }
    Ok(created)
}

pub fn user_view(user: &User) -> UserView {
    UserView {
        id: user.id.clone(),
        username: user.username.clone(),
        roles: user.roles.to_vec(),
        department: user.department.clone(),
        email: user.email.clone(),
        active: user.active,
    }
}
