//! Operator commands that work on the database and policies.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::usage_error;
use crate::app::AppState;
use crate::audit::{Event, Verifier};
use crate::config::{parse_duration, Settings};
use crate::error::AppError;
use crate::policy::{Policies, Role};
use crate::service::{accounts, audit_log};

fn state() -> Result<AppState, i32> {
    let settings = Settings::from_env().map_err(usage_error)?;
    AppState::build(settings).map_err(|e| usage_error(format!("{e:#}")))
}

/// Maps a service error to an exit code: input problems are 2, the rest 1.
fn report(err: AppError) -> i32 {
    match err {
        AppError::Internal(e) => {
            eprintln!("error: {e:#}");
            1
        }
        other => usage_error(other),
    }
}

pub fn migrate() -> i32 {
    match state() {
        Ok(_) => {
            eprintln!("database is up to date");
            0
        }
        Err(code) => code,
    }
}

pub fn add_department(code: &str, name: &str) -> i32 {
    let state = match state() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let result = state
        .pool
        .get()
        .map_err(AppError::from)
        .and_then(|mut conn| accounts::add_department(&mut conn, code, name));
    match result {
        Ok(d) => {
            println!("{}\t{}", d.code, d.name);
            0
        }
        Err(e) => report(e),
    }
}

pub fn add_user(
    username: &str,
    roles: &[String],
    department: Option<&str>,
    email: Option<&str>,
) -> i32 {
    let roles: Vec<Role> = match roles
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, String>>()
    {
        Ok(r) => r,
        Err(e) => return usage_error(e),
    };
    let mut password = String::new();
    if std::io::stdin().lock().read_line(&mut password).is_err() {
        return usage_error("cannot read the password from stdin");
    }
    let password = password.trim_end_matches(['\r', '\n']);
    let state = match state() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let new = accounts::NewUser {
        username,
        password,
        roles: &roles,
        department,
        email,
    };
    match state
        .pool
        .get()
        .map_err(AppError::from)
        .and_then(|mut conn| accounts::add_user(&mut conn, &new))
    {
        Ok(user) => {
            println!("{}\t{}", user.id, user.username);
            0
        }
        Err(e) => report(e),
    }
}

pub fn issue_token(username: &str, ttl: &str) -> i32 {
    let ttl = match parse_duration(ttl) {
        Ok(t) => t,
        Err(e) => return usage_error(format!("--ttl: {e}")),
    };
    let state = match state() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let user = match state
        .pool
        .get()
        .map_err(AppError::from)
        .and_then(|mut conn| accounts::find_user(&mut conn, username))
    {
        Ok(u) => u,
        Err(e) => return report(e),
    };
    match state.tokens.issue(&user.id, &user.username, Some(ttl)) {
        Ok((token, _)) => {
            println!("{token}");
            0
        }
        Err(e) => report(AppError::internal(e)),
    }
}

pub fn audit_verify(file: Option<&Path>) -> i32 {
    let report = match file {
        Some(path) => match verify_file(path) {
            Ok(r) => r,
            Err(e) => return usage_error(e),
        },
        None => {
            let state = match state() {
                Ok(s) => s,
                Err(code) => return code,
            };
            match state
                .pool
                .get()
                .map_err(AppError::from)
                .and_then(|mut c| Ok(audit_log::verify(&mut c, &state.checkpoint_key)?))
            {
                Ok(r) => r,
                Err(e) => return report(e),
            }
        }
    };
    println!("{}", serde_json::to_string(&report).unwrap_or_default());
    match (report.ok, report.first_bad_seq) {
        (true, _) => {
            eprintln!(
                "audit chain intact: {} events, head {}",
                report.events, report.head
            );
            0
        }
        (false, seq) => {
            eprintln!(
                "audit chain BROKEN at event {}: {}",
                seq.unwrap_or_default(),
                report.problem.as_deref().unwrap_or("unknown problem")
            );
            1
        }
    }
}

fn verify_file(path: &Path) -> Result<crate::audit::Report, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut verifier = Verifier::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: line {}: {e}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{}: line {}: not an audit event: {e}",
                path.display(),
                n + 1
            )
        })?;
        verifier.push(&event, None);
    }
    Ok(verifier.finish())
}

pub fn audit_checkpoint() -> i32 {
    let state = match state() {
        Ok(s) => s,
        Err(code) => return code,
    };
    match state
        .pool
        .get()
        .map_err(AppError::from)
        .and_then(|mut c| Ok(audit_log::checkpoint(&mut c, &state.checkpoint_key)?))
    {
        Ok(Some(seq)) => {
            println!("{seq}");
            eprintln!("signed checkpoint at event {seq}");
            0
        }
        Ok(None) => {
            eprintln!("the head is already checkpointed");
            0
        }
        Err(e) => report(e),
    }
}

pub fn audit_export(
    from: Option<&str>,
    to: Option<&str>,
    release: Option<String>,
    format: &str,
) -> i32 {
    let csv = match format {
        "csv" => true,
        "ndjson" => false,
        other => return usage_error(format!("--format {other:?}: use ndjson or csv")),
    };
    let parse =
        |name: &str, v: Option<&str>| v.map(|t| crate::http::parse_time(name, t)).transpose();
    let (from, to) = match (parse("--from", from), parse("--to", to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return usage_error(e),
    };
    let state = match state() {
        Ok(s) => s,
        Err(code) => return code,
    };
    let filter = audit_log::Filter {
        release,
        actor: None,
        action: None,
        from,
        to,
    };
    let result = state
        .pool
        .get()
        .map_err(anyhow::Error::from)
        .and_then(|mut conn| {
            crate::http::export::write_export(&mut conn, &filter, csv, std::io::stdout().lock())
        });
    match result {
        Ok(n) => {
            eprintln!("exported {n} events");
            0
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            1
        }
    }
}

pub fn policy_check(dir: Option<PathBuf>) -> i32 {
    let dir = dir.unwrap_or_else(|| {
        Settings::from_env()
            .map(|s| s.policy_dir)
            .unwrap_or_else(|_| "./policies".into())
    });
    match Policies::load(&dir) {
        Ok(p) => {
            let detectors = p.scanner.detector_ids().count();
            println!(
                "policies in {} are valid: {} stages, {} detectors, digest {}",
                dir.display(),
                p.workflow.stages.len(),
                detectors,
                p.digest
            );
            0
        }
        Err(e) => usage_error(e),
    }
}
