//! Operator commands that work on the database and policies. Each returns
//! its exit code; `with_db` maps every failure to one.

use std::io::BufRead;
use std::path::PathBuf;

use super::{policy_dir, usage_error};
use crate::app::AppState;
use crate::config::{parse_duration, Settings};
use crate::db::DbConn;
use crate::error::AppError;
use crate::policy::{Policies, Role};
use crate::service::accounts;

/// Opens the database (creating and migrating it) and runs `f` on one
/// connection. Errors become exit codes: bad input 2, anything else 1.
pub(super) fn with_db<T>(
    f: impl FnOnce(&AppState, &mut DbConn) -> Result<T, AppError>,
) -> Result<T, i32> {
    let settings = Settings::from_env().map_err(usage_error)?;
    let state = AppState::build(settings).map_err(|e| usage_error(format!("{e:#}")))?;
    let result = state
        .pool
        .get()
        .map_err(AppError::from)
        .and_then(|mut conn| f(&state, &mut conn));
    result.map_err(|err| match err {
        AppError::Internal(e) => {
            eprintln!("error: {e:#}");
            1
        }
        other => usage_error(other),
    })
}

/// Prints what a command produced on success, or passes its exit code on.
pub(super) fn finish<T>(result: Result<T, i32>, print: impl FnOnce(T)) -> i32 {
    match result {
        Ok(value) => {
            print(value);
            0
        }
        Err(code) => code,
    }
}

pub fn migrate() -> i32 {
    finish(with_db(|_, _| Ok(())), |()| {
        eprintln!("database is up to date")
    })
}

pub fn add_department(code: &str, name: &str) -> i32 {
    finish(
        with_db(|_, conn| accounts::add_department(conn, code, name)),
        |d| println!("{}\t{}", d.code, d.name),
    )
}

fn parse_role_args(roles: &[String]) -> Result<Vec<Role>, i32> {
    roles
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, String>>()
        .map_err(usage_error)
}

/// One line from stdin, without its line ending.
fn password_from_stdin() -> Result<String, i32> {
    let mut password = String::new();
    if std::io::stdin().lock().read_line(&mut password).is_err() {
        return Err(usage_error("cannot read the password from stdin"));
    }
    Ok(password.trim_end_matches(['\r', '\n']).to_string())
}

/// What `user disable|enable|passwd|roles` changes.
pub enum Change {
    Active(bool),
    Password,
    Roles(Vec<String>),
}

pub fn change_user(username: &str, change: Change) -> i32 {
    let change = match change {
        Change::Active(active) => accounts::UserChange {
            active: Some(active),
            ..Default::default()
        },
        Change::Password => match password_from_stdin() {
            Ok(p) => accounts::UserChange {
                password: Some(p),
                ..Default::default()
            },
            Err(code) => return code,
        },
        Change::Roles(roles) => match parse_role_args(&roles) {
            Ok(r) => accounts::UserChange {
                roles: Some(r),
                ..Default::default()
            },
            Err(code) => return code,
        },
    };
    finish(
        with_db(|_, conn| accounts::update_user(conn, accounts::CLI_ACTOR, username, change)),
        |user| {
            let view = accounts::user_view(&user);
            println!("{}", serde_json::to_string(&view).unwrap_or_default())
        },
    )
}

pub fn add_user(
    username: &str,
    roles: &[String],
    department: Option<&str>,
    email: Option<&str>,
) -> i32 {
    let roles = match parse_role_args(roles) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let password = match password_from_stdin() {
        Ok(p) => p,
        Err(code) => return code,
    };
    let password = password.as_str();
    let new = accounts::NewUser {
        username,
        password,
        roles: &roles,
        department,
        email,
    };
    finish(with_db(|_, conn| accounts::add_user(conn, &new)), |user| {
        println!("{}\t{}", user.id, user.username)
    })
}

pub fn issue_token(username: &str, ttl: &str) -> i32 {
    let ttl = match parse_duration(ttl) {
        Ok(t) => t,
        Err(e) => return usage_error(format!("--ttl: {e}")),
    };
    let token = with_db(|state, conn| {
        if ttl > state.settings.max_token_ttl {
            return Err(AppError::BadRequest(format!(
                "--ttl {} is longer than RELEASEGATE_MAX_TOKEN_TTL allows ({} s)",
                ttl.num_seconds(),
                state.settings.max_token_ttl.num_seconds()
            )));
        }
        let user = accounts::find_user(conn, username)?;
        state
            .tokens
            .issue(&user.id, &user.username, Some(ttl))
            .map_err(AppError::internal)
    });
    finish(token, |(token, _)| println!("{token}"))
}

pub fn policy_check(dir: Option<PathBuf>) -> i32 {
    match Policies::resolve(policy_dir(dir).as_deref()) {
        Ok(p) => {
            let detectors = p.scanner.detector_ids().count();
            println!(
                "policies in {} are valid: {} stages, {} detectors, digest {}",
                p.files.describe(),
                p.workflow.stages.len(),
                detectors,
                p.digest
            );
            if let Some(year) = p.calendar.next_year_missing(crate::audit::now()) {
                eprintln!(
                    "warning: calendar/{year}.toml is missing: deadlines in {year} count Monday to Friday and are flagged provisional"
                );
            }
            0
        }
        Err(e) => usage_error(e),
    }
}

/// `releasegate policy show`: every file of the effective policy, each under
/// a comment naming it, so an operator sees exactly what the service runs
/// and can start a policy directory from it.
pub fn policy_show(dir: Option<PathBuf>) -> i32 {
    match Policies::resolve(policy_dir(dir).as_deref()) {
        Ok(p) => {
            println!("# releasegate policies from {}", p.files.describe());
            println!("# digest {}", p.digest);
            for (path, source) in p.files.iter() {
                println!("\n# ===== {path}\n{}", source.trim_end());
            }
            0
        }
        Err(e) => usage_error(e),
    }
}
