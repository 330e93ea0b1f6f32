//! The supervisor's overview: per department, how much waits for a decision,
//! for how long, how much is overdue, and how long each stage usually takes.
//! Every number comes from a grouped or bounded query; no table is loaded
//! whole.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::schema::{departments, release_stages, releases, reminders_sent};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::policy::Role;

/// How many of the latest decisions of each stage key the medians look at.
pub const MEDIAN_SAMPLE: i64 = 1000;

#[derive(Debug, Serialize)]
pub struct DepartmentOverview {
    pub code: String,
    pub name: String,
    /// Stages of live releases waiting for a decision.
    pub open_stages: i64,
    /// Working days since the oldest of them opened.
    pub oldest_open_days: Option<i64>,
    /// Open stages past their deadline (only stages with an SLA have one).
    pub overdue: i64,
    /// Median working days from open to decision, one per `Overview::stages`
    /// key; `None` without a decided stage in the sample.
    pub median_days: Vec<Option<f64>>,
}

#[derive(Debug, Serialize)]
pub struct Overview {
    /// Stage keys in workflow order: the columns of `median_days`.
    pub stages: Vec<String>,
    pub departments: Vec<DepartmentOverview>,
    /// Open stages past their deadline, the longest overdue first.
    pub breaches: Vec<Breach>,
}

/// How many breaches the overview lists (the count per department is exact).
pub const BREACHES_SHOWN: i64 = 100;

/// An open stage past its deadline, and who has been told.
#[derive(Debug, Serialize)]
pub struct Breach {
    pub release_id: String,
    pub title: String,
    pub department: String,
    pub stage: String,
    pub deadline: NaiveDateTime,
    /// Working days past the deadline.
    pub overdue_days: i64,
    /// The escalations sent for this deadline (`escalation`, `leader_escalation`).
    pub escalations: Vec<String>,
}

pub fn overview(state: &AppState, conn: &mut DbConn, user: &CurrentUser) -> AppResult<Overview> {
    user.require(Role::Supervisor)?;
    let calendar = &state.policies.calendar;
    let now = crate::audit::now();
    // Open and actionable: a live release really waits for someone.
    let open = release_stages::table
        .inner_join(releases::table)
        .filter(release_stages::status.eq("open"))
        .filter(release_stages::actionable.eq(true));
    let open_by_dept: BTreeMap<String, (i64, Option<NaiveDateTime>)> = open
        .group_by(releases::department)
        .select((
            releases::department,
            count_star(),
            min(release_stages::opened_at),
        ))
        .load::<(String, i64, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .map(|(dept, n, oldest)| (dept, (n, oldest)))
        .collect();
    let overdue_by_dept: BTreeMap<String, i64> = open
        .filter(release_stages::deadline.lt(now))
        .group_by(releases::department)
        .select((releases::department, count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    let stages: Vec<String> = state
        .policies
        .workflow
        .stages
        .iter()
        .map(|s| s.key.clone())
        .collect();
    // Durations per (department, stage), from the latest MEDIAN_SAMPLE
    // decisions of each stage key city-wide: bounded work, at the price that
    // a quiet department's median rests on fewer (and older-biased) samples
    // than the busy ones'.
    let mut durations: BTreeMap<(String, usize), Vec<i64>> = BTreeMap::new();
    for (column, key) in stages.iter().enumerate() {
        let rows: Vec<(String, Option<NaiveDateTime>, Option<NaiveDateTime>)> =
            release_stages::table
                .inner_join(releases::table)
                .filter(release_stages::stage.eq(key))
                .filter(release_stages::decided_at.is_not_null())
                .filter(release_stages::opened_at.is_not_null())
                .order(release_stages::decided_at.desc())
                .limit(MEDIAN_SAMPLE)
                .select((
                    releases::department,
                    release_stages::opened_at,
                    release_stages::decided_at,
                ))
                .load(conn)?;
        for (dept, opened, decided) in rows {
            if let (Some(opened), Some(decided)) = (opened, decided) {
                durations
                    .entry((dept, column))
                    .or_default()
                    .push(calendar.working_days_between(opened, decided));
            }
        }
    }
    let departments = departments::table
        .order(departments::code.asc())
        .select((departments::code, departments::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(code, name)| {
            let (open_stages, oldest) = open_by_dept.get(&code).copied().unwrap_or_default();
            DepartmentOverview {
                open_stages,
                oldest_open_days: oldest.map(|at| calendar.working_days_between(at, now)),
                overdue: overdue_by_dept.get(&code).copied().unwrap_or_default(),
                median_days: (0..stages.len())
                    .map(|column| {
                        durations
                            .get_mut(&(code.clone(), column))
                            .map(|d| median(d))
                    })
                    .collect(),
                code,
                name,
            }
        })
        .collect();
    let breaches = breaches(conn, calendar, now)?;
    Ok(Overview {
        stages,
        departments,
        breaches,
    })
}

fn breaches(
    conn: &mut DbConn,
    calendar: &crate::policy::Calendar,
    now: NaiveDateTime,
) -> AppResult<Vec<Breach>> {
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = release_stages::table
        .inner_join(releases::table)
        .filter(release_stages::status.eq("open"))
        .filter(release_stages::actionable.eq(true))
        .filter(release_stages::deadline.lt(now))
        .order(release_stages::deadline.asc())
        .limit(BREACHES_SHOWN)
        .select((
            release_stages::release_id,
            releases::title,
            releases::department,
            release_stages::stage,
            release_stages::deadline.assume_not_null(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(release_id, title, department, stage, deadline)| {
            let escalations = reminders_sent::table
                .filter(reminders_sent::release_id.eq(&release_id))
                .filter(reminders_sent::stage.eq(&stage))
                .filter(reminders_sent::deadline.eq(deadline))
                .filter(reminders_sent::kind.eq_any(["escalation", "leader_escalation"]))
                .order(reminders_sent::sent_at.asc())
                .select(reminders_sent::kind)
                .load(conn)?;
            Ok(Breach {
                overdue_days: calendar.working_days_between(deadline, now),
                release_id,
                title,
                department,
                stage,
                deadline,
                escalations,
            })
        })
        .collect()
}

/// Median of a non-empty sample (the mean of the middle two when even).
fn median(values: &mut [i64]) -> f64 {
    values.sort_unstable();
    let mid = values.len() / 2;
    match values.len() % 2 {
        1 => values[mid] as f64,
        _ => (values[mid - 1] + values[mid]) as f64 / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn medians_of_odd_and_even_samples() {
        assert_eq!(median(&mut [5, 1, 3]), 3.0);
        assert_eq!(median(&mut [4, 1, 2, 3]), 2.5);
    }
}
