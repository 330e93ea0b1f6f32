//! Gauges for `GET /metrics`, read from the database so every instance
//! reports the same numbers: releases by state, open and overdue stages,
//! length of the audit chain.

use std::fmt::Write;

use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::{audit_head, release_stages, releases};
use crate::db::DbConn;
use crate::error::AppResult;

pub fn render(conn: &mut DbConn) -> AppResult<String> {
    let by_state: Vec<(String, i64)> = releases::table
        .group_by(releases::state)
        .select((releases::state, count_star()))
        .load(conn)?;
    let open: Vec<(String, i64)> = release_stages::table
        .filter(release_stages::status.eq("open"))
        .group_by(release_stages::stage)
        .select((release_stages::stage, count_star()))
        .load(conn)?;
    let overdue: Vec<(String, i64)> = release_stages::table
        .filter(release_stages::status.eq("open"))
        .filter(release_stages::deadline.lt(crate::audit::now()))
        .group_by(release_stages::stage)
        .select((release_stages::stage, count_star()))
        .load(conn)?;
    let events: i64 = audit_head::table
        .find(1)
        .select(audit_head::seq)
        .first(conn)?;

    let mut out = String::new();
    let mut family = |name: &str, help: &str, label: &str, rows: &[(String, i64)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (value, count) in rows {
            let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
        }
    };
    family(
        "releasegate_releases",
        "Releases by state.",
        "state",
        &by_state,
    );
    family(
        "releasegate_open_stages",
        "Review stages open for decision.",
        "stage",
        &open,
    );
    family(
        "releasegate_overdue_stages",
        "Open stages past their deadline.",
        "stage",
        &overdue,
    );
    let _ = writeln!(
        out,
        "# HELP releasegate_audit_events Events in the audit chain.\n# TYPE releasegate_audit_events gauge\nreleasegate_audit_events {events}"
    );
    Ok(out)
}
