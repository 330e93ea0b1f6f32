//! 督查考评: how each department did in a year — releases opened, review
//! stages on time, median review time, overdue stages, data requests
//! answered on time, the public's ratings and plan against delivery —
//! and one score out of 100, weighted by `policies/assessment.toml`.
//!
//! Every count is a GROUP BY in the database. Working days cannot be
//! counted in SQL (the calendar is policy), so the year's decided stages
//! and published releases are read in keyset batches and folded into
//! tallies and per-day histograms: memory grows with departments, not rows.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::models::Department;
use crate::db::schema::{demands, departments, release_stages, releases};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::policy::{Calendar, Policies, Weights};
use crate::service::opening::{self, DepartmentPlan};
use crate::service::public::{ratings_per_department, RatingSummary};
use crate::workflow::StageStatus;

/// One department's year.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DepartmentReport {
    pub department: String,
    pub name: String,
    /// Releases published in the year.
    pub releases_opened: i64,
    /// Median working days from filing to publication, over those releases.
    pub median_review_working_days: Option<f64>,
    /// Review stages of the department's releases decided in the year.
    pub stages_decided: i64,
    /// Of those, decided by their deadline.
    pub stages_on_time: i64,
    pub on_time_rate: Option<f64>,
    /// Decided after their deadline, or still open past it.
    pub overdue_stages: i64,
    /// Data requests answered in the year, and those whose deadline passed
    /// in it unanswered.
    pub demands_due: i64,
    /// Of those, answered within their 20 working days.
    pub demands_on_time: i64,
    pub demand_on_time_rate: Option<f64>,
    /// The public's ratings given in the year.
    pub ratings: Option<RatingSummary>,
    /// The mean of the five average ratings.
    pub average_rating: Option<f64>,
    pub plan: DepartmentPlan,
    /// Plan items delivered on time, of those delivered or overdue.
    pub plan_fulfilment: Option<f64>,
    /// Out of 100: the weighted measures that apply (`null` when none does).
    pub score: Option<f64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssessmentReport {
    pub year: i32,
    /// The period: local days, `to` inclusive.
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    pub weights: Weights,
    pub departments: Vec<DepartmentReport>,
}

/// The CSV columns, in order (`DepartmentReport::csv_record`).
pub const REPORT_CSV_HEADER: [&str; 20] = [
    "department",
    "name",
    "releases_opened",
    "median_review_working_days",
    "stages_decided",
    "stages_on_time",
    "on_time_rate",
    "overdue_stages",
    "demands_due",
    "demands_on_time",
    "demand_on_time_rate",
    "ratings",
    "average_rating",
    "plan_planned",
    "plan_delivered",
    "plan_delivered_late",
    "plan_overdue",
    "plan_fulfilment",
    "score",
    "year",
];

impl DepartmentReport {
    pub fn csv_record(&self, year: i32) -> [String; 20] {
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            self.department.clone(),
            self.name.clone(),
            self.releases_opened.to_string(),
            opt(self.median_review_working_days),
            self.stages_decided.to_string(),
            self.stages_on_time.to_string(),
            opt(self.on_time_rate),
            self.overdue_stages.to_string(),
            self.demands_due.to_string(),
            self.demands_on_time.to_string(),
            opt(self.demand_on_time_rate),
            self.ratings.as_ref().map_or(0, |r| r.count).to_string(),
            opt(self.average_rating),
            self.plan.planned.to_string(),
            self.plan.delivered.to_string(),
            self.plan.delivered_late.to_string(),
            self.plan.overdue.to_string(),
            opt(self.plan_fulfilment),
            opt(self.score),
            year.to_string(),
        ]
    }
}

/// `part / whole` to three decimals; `None` when there is no whole.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

/// How many releases took each number of working days.
type Histogram = BTreeMap<i64, i64>;

/// The median of the values a histogram counts.
fn median(histogram: &Histogram) -> Option<f64> {
    let n: i64 = histogram.values().sum();
    // The values at 0-based ranks (n-1)/2 and n/2: one value for odd n.
    let nth = |rank: i64| {
        let mut seen = 0;
        histogram.iter().find_map(|(&value, &count)| {
            seen += count;
            (seen > rank).then_some(value)
        })
    };
    match n {
        0 => None,
        _ => Some((nth((n - 1) / 2)? + nth(n / 2)?) as f64 / 2.0),
    }
}

/// Rows read per query when folding a year.
const BATCH: i64 = 5_000;

/// The weighted score out of 100 over the measures that apply.
fn score(weights: &Weights, report: &DepartmentReport) -> Option<f64> {
    let measures = [
        (weights.on_time_review, report.on_time_rate),
        (weights.demands_on_time, report.demand_on_time_rate),
        (weights.plan_fulfilment, report.plan_fulfilment),
        (
            weights.ratings,
            report.average_rating.map(|r| (r - 1.0) / 4.0),
        ),
    ];
    let (weighted, total) = measures
        .iter()
        .filter_map(|&(w, m)| m.map(|m| (w * m, w)))
        .fold((0.0, 0.0), |(a, b), (x, w)| (a + x, b + w));
    (total > 0.0).then(|| (weighted / total * 1000.0).round() / 10.0)
}

/// The local calendar year now: the report's year when none is asked for.
pub fn this_year() -> i32 {
    chrono::Datelike::year(&Calendar::local_date(crate::audit::now()))
}

/// The report for the local calendar `year`, every department.
pub fn departments_report(
    conn: &mut DbConn,
    year: i32,
    policies: &Policies,
) -> AppResult<AssessmentReport> {
    let (weights, calendar) = (&policies.assessment.weights, &policies.calendar);
    opening::check_year(year)?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a year in range");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a year in range");
    let from = Calendar::local_day_start(first);
    let to = Calendar::local_day_start(last) + chrono::Duration::days(1);
    let now = crate::audit::now();
    // What is not due yet does not count against anyone.
    let due_by = to.min(now);

    let opened = crate::count_per!(
        conn,
        releases::table
            .filter(releases::published_at.ge(from))
            .filter(releases::published_at.lt(to)),
        releases::department
    );
    let durations = review_durations(conn, from, to, calendar)?;

    let timeliness = stage_timeliness(conn, from, to, policies)?;
    let stages = || {
        release_stages::table
            .inner_join(releases::table)
            .filter(release_stages::deadline.is_not_null())
    };
    let open_overdue = crate::count_per!(
        conn,
        stages()
            .filter(release_stages::status.eq(StageStatus::Open.as_str()))
            .filter(release_stages::deadline.ge(from))
            .filter(release_stages::deadline.lt(due_by)),
        releases::department
    );

    // Requests answered in the year, and those whose deadline passed in it
    // unanswered.
    let answered = || {
        demands::table
            .filter(demands::answered_at.ge(from))
            .filter(demands::answered_at.lt(to))
    };
    let demands_answered = crate::count_per!(conn, answered(), demands::department, Option<String>);
    let demands_on_time = crate::count_per!(
        conn,
        answered().filter(demands::answered_at.le(demands::due_at.nullable())),
        demands::department,
        Option<String>
    );
    let demands_missed = crate::count_per!(
        conn,
        demands::table
            .filter(demands::answered_at.is_null())
            .filter(demands::due_at.ge(from))
            .filter(demands::due_at.lt(due_by)),
        demands::department,
        Option<String>
    );

    let mut ratings = ratings_per_department(conn, from, to)?;
    let plans: BTreeMap<String, DepartmentPlan> = opening::plan_summary(conn, year)?
        .into_iter()
        .map(|p| (p.department.clone(), p))
        .collect();

    let all: Vec<Department> = departments::table
        .order(departments::code.asc())
        .select(Department::as_select())
        .load(conn)?;
    let count = |counts: &BTreeMap<String, i64>, dept: &str| counts.get(dept).copied().unwrap_or(0);
    let reports = all
        .into_iter()
        .map(|d| {
            let code = d.code.as_str();
            let plan = plans.get(code).cloned().unwrap_or_else(|| DepartmentPlan {
                department: d.code.clone(),
                ..DepartmentPlan::default()
            });
            let (decided, on_time) = timeliness.get(code).copied().unwrap_or((0, 0));
            let due = count(&demands_answered, code) + count(&demands_missed, code);
            let answered = count(&demands_on_time, code);
            let rating = ratings.remove(code);
            let mut report = DepartmentReport {
                releases_opened: count(&opened, code),
                median_review_working_days: durations.get(code).and_then(median),
                stages_decided: decided,
                stages_on_time: on_time,
                on_time_rate: rate(on_time, decided),
                overdue_stages: decided - on_time + count(&open_overdue, code),
                demands_due: due,
                demands_on_time: answered,
                demand_on_time_rate: rate(answered, due),
                average_rating: rating.as_ref().map(RatingSummary::overall),
                ratings: rating,
                plan_fulfilment: rate(
                    plan.delivered - plan.delivered_late,
                    plan.delivered + plan.overdue,
                ),
                plan,
                score: None,
                department: d.code,
                name: d.name,
            };
            report.score = score(weights, &report);
            report
        })
        .collect();
    Ok(AssessmentReport {
        year,
        from: first,
        to: last,
        weights: *weights,
        departments: reports,
    })
}

/// A decided stage as the report reads it.
#[derive(Queryable)]
struct DecidedStage {
    release_id: String,
    stage: String,
    department: String,
    opened_at: Option<NaiveDateTime>,
    decided_at: Option<NaiveDateTime>,
    /// Working days the clock stood still, and working days of extension:
    /// both moved the deadline the stage was held to.
    stopped_days: i32,
    extended_days: i32,
}

/// Per department, the review stages decided in `[from, to)` and how many
/// of those by their deadline. A decided stage keeps no deadline, so it is
/// computed again as the stage's clock did: from when it opened, its SLA
/// in the workflow, the days its clock stopped and its extensions. A
/// stage without an SLA (or no longer in the workflow) is not counted.
fn stage_timeliness(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    policies: &Policies,
) -> AppResult<BTreeMap<String, (i64, i64)>> {
    let mut per: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut after: Option<(String, String)> = None;
    loop {
        let mut query = release_stages::table
            .inner_join(releases::table)
            .filter(release_stages::decided_at.ge(from))
            .filter(release_stages::decided_at.lt(to))
            .select((
                release_stages::release_id,
                release_stages::stage,
                releases::department,
                release_stages::opened_at,
                release_stages::decided_at,
                release_stages::stopped_days,
                release_stages::extended_days,
            ))
            .order((release_stages::release_id, release_stages::stage))
            .limit(BATCH)
            .into_boxed();
        if let Some((release, stage)) = &after {
            query = query.filter(
                release_stages::release_id
                    .gt(release.clone())
                    .or(release_stages::release_id
                        .eq(release.clone())
                        .and(release_stages::stage.gt(stage.clone()))),
            );
        }
        let rows: Vec<DecidedStage> = query.load(conn)?;
        let Some(last) = rows.last() else { break };
        after = Some((last.release_id.clone(), last.stage.clone()));
        for row in &rows {
            let sla = policies
                .workflow
                .stage(&row.stage)
                .and_then(|s| s.sla_working_days);
            if let (Some(days), Some(opened), Some(decided)) = (sla, row.opened_at, row.decided_at)
            {
                let moved = (row.stopped_days + row.extended_days).max(0) as u32;
                let deadline = policies.calendar.deadline(opened, days + moved);
                let tally = per.entry(row.department.clone()).or_default();
                tally.0 += 1;
                tally.1 += i64::from(decided <= deadline);
            }
        }
    }
    Ok(per)
}

/// Per department, how many releases published in `[from, to)` took each
/// number of working days from filing to publication.
fn review_durations(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    calendar: &Calendar,
) -> AppResult<BTreeMap<String, Histogram>> {
    let mut per: BTreeMap<String, Histogram> = BTreeMap::new();
    let mut after = String::new();
    loop {
        let rows: Vec<(String, String, NaiveDateTime, Option<NaiveDateTime>)> = releases::table
            .filter(releases::published_at.ge(from))
            .filter(releases::published_at.lt(to))
            .filter(releases::id.gt(&after))
            .order(releases::id)
            .limit(BATCH)
            .select((
                releases::id,
                releases::department,
                releases::created_at,
                releases::published_at,
            ))
            .load(conn)?;
        let Some((last, ..)) = rows.last() else { break };
        after = last.clone();
        for (_, dept, filed, published) in rows {
            if let Some(published) = published {
                *per.entry(dept)
                    .or_default()
                    .entry(calendar.working_days_between(filed, published))
                    .or_default() += 1;
            }
        }
    }
    Ok(per)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        let of = |values: &[i64]| {
            let mut histogram = Histogram::new();
            for v in values {
                *histogram.entry(*v).or_default() += 1;
            }
            median(&histogram)
        };
        assert_eq!(of(&[]), None);
        assert_eq!(of(&[4]), Some(4.0));
        assert_eq!(of(&[9, 1, 3]), Some(3.0));
        assert_eq!(of(&[1, 2, 4, 9]), Some(3.0));
        assert_eq!(of(&[2, 2, 2, 7]), Some(2.0));
        assert_eq!(of(&[1, 1, 5, 5]), Some(3.0));
    }

    #[test]
    fn a_measure_without_data_leaves_its_weight_to_the_others() {
        let weights = Weights {
            on_time_review: 30.0,
            demands_on_time: 20.0,
            plan_fulfilment: 30.0,
            ratings: 20.0,
        };
        let mut report = DepartmentReport {
            department: "FGW".into(),
            name: "市发展改革委".into(),
            releases_opened: 0,
            median_review_working_days: None,
            stages_decided: 0,
            stages_on_time: 0,
            on_time_rate: None,
            overdue_stages: 0,
            demands_due: 0,
            demands_on_time: 0,
            demand_on_time_rate: None,
            ratings: None,
            average_rating: None,
            plan: DepartmentPlan::default(),
            plan_fulfilment: None,
            score: None,
        };
        assert_eq!(score(&weights, &report), None);
        report.on_time_rate = Some(0.5);
        assert_eq!(score(&weights, &report), Some(50.0));
        // 30 × 0.5 + 20 × (5 − 1) / 4 over 50.
        report.average_rating = Some(5.0);
        assert_eq!(score(&weights, &report), Some(70.0));
        assert_eq!(rate(2, 3), Some(0.667));
        assert_eq!(rate(1, 0), None);
    }
}
