//! `releasegate reminders [--at T] [--dry-run]`: one pass of the reminder
//! and escalation sweep, as the running service does it every quarter
//! hour; one JSON line per reminder on stdout. `--dry-run` sends and
//! records nothing, so operators can see tomorrow's mail today.

use super::admin::{finish, with_db};
use super::usage_error;
use crate::service::reminders;

pub fn run(at: Option<&str>, dry_run: bool) -> i32 {
    let at = match at {
        None => crate::audit::now(),
        Some(text) => match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.naive_utc(),
            Err(e) => return usage_error(format!("--at {text:?} is not an RFC 3339 time: {e}")),
        },
    };
    let found = with_db(|state, conn| {
        if dry_run {
            reminders::due(state, conn, at)
        } else {
            reminders::sweep(state, conn, at)
        }
    });
    finish(found, |found| {
        for reminder in found {
            println!("{}", serde_json::json!(reminder));
        }
    })
}
