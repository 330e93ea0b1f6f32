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
use crate::policy::{join_roles, Role};

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
            return Err(AppError::Conflict {
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
                "department.added",
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

pub fn add_user(conn: &mut DbConn, new: &NewUser) -> AppResult<User> {
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
    if new.password.chars().count() < 10 {
        return Err(AppError::BadRequest(
            "password must be at least 10 characters".into(),
        ));
    }
    if new.roles.is_empty() {
        return Err(AppError::BadRequest(
            "a user needs at least one --role".into(),
        ));
    }
    if new.roles.iter().any(|r| r.is_departmental()) && new.department.is_none() {
        return Err(AppError::BadRequest(
            "submitters and department approvers need --department".into(),
        ));
    }
    let password_hash =
        hash_password(new.password).map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    write_tx(conn, |conn| {
        if let Some(code) = new.department {
            if departments::table
                .find(code)
                .count()
                .get_result::<i64>(conn)?
                == 0
            {
                return Err(AppError::BadRequest(format!("unknown department {code}")));
            }
        }
        if users::table
            .filter(users::username.eq(new.username))
            .count()
            .get_result::<i64>(conn)?
            > 0
        {
            return Err(AppError::Conflict {
                code: ErrorCode::Exists,
                message: format!("user {} already exists", new.username),
            });
        }
        let user = User {
            id: ulid::Ulid::new().to_string(),
            username: new.username.into(),
            password_hash,
            roles: join_roles(new.roles),
            department: new.department.map(Into::into),
            email: new.email.map(Into::into),
            active: true,
            failed_logins: 0,
            locked_until: None,
            created_at: crate::audit::now(),
        };
        diesel::insert_into(users::table)
            .values(&user)
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                CLI_ACTOR,
                "user.added",
                None,
                serde_json::json!({"username": user.username, "roles": user.roles, "department": user.department}),
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
    let Some(user) = user.filter(|u| u.active) else {
        verify_password(password, &DUMMY_HASH);
        return Err(wrong());
    };
    let ok = verify_password(password, &user.password_hash);
    write_tx(conn, |conn| {
        let target = users::table.find(&user.id);
        let (failures, action) = if ok {
            diesel::update(target)
                .set(users::failed_logins.eq(0))
                .execute(conn)?;
            (0, "user.login")
        } else {
            // Incremented in SQL: concurrent failures never overwrite each other.
            let failures: i32 = diesel::update(target)
                .set(users::failed_logins.eq(users::failed_logins + 1))
                .returning(users::failed_logins)
                .get_result(conn)?;
            (failures, "user.login_failed")
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

#[derive(Debug, Serialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
}

/// A demo account and its generated password, printed once by `serve --demo`.
pub struct DemoUser {
    pub username: String,
    pub password: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
}

/// Demo data: four departments and one user per role, with generated
/// passwords. Users that already exist are left alone.
/// Ends one session: its token (by digest) is refused from now on, until it
/// would have expired anyway; tokens that have expired are forgotten here.
pub fn end_session(
    conn: &mut DbConn,
    username: &str,
    token_digest: &str,
    expires_at: chrono::NaiveDateTime,
) -> AppResult<()> {
    write_tx(conn, |conn| {
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
            audit_log::append(
                conn,
                audit_log::draft(username, "user.logout", None, serde_json::json!({})),
            )?;
        }
        Ok(())
    })
}

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
        add_user(
            conn,
            &NewUser {
                username,
                password: &password,
                roles,
                department: dept,
                email: None,
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
        roles: crate::policy::parse_roles(&user.roles).unwrap_or_default(),
        department: user.department.clone(),
    }
}
