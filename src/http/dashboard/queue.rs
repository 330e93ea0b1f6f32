//! The reviewer's queue: what waits for my decision, earliest deadline first.

use super::HtmlPage;
use actix_web::get;
use std::collections::BTreeMap;

use askama::Template;
use serde::Deserialize;
use web::Query;

use actix_web::web;

use super::{local_time, render, Ctx, Departments, PageResult, Shell};
use crate::policy::Role;
use crate::service::releases::{self, QueueFilter, QueueItem};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    stage: Option<String>,
    department: Option<String>,
    state: Option<String>,
    cursor: Option<String>,
}

pub struct Row {
    pub item: QueueItem,
    pub counts: BTreeMap<String, i64>,
    pub deadline: Option<String>,
    /// Working days to the deadline (negative when overdue).
    pub days_left: Option<i64>,
    /// Calendar days since the stage opened (or the release was filed), for
    /// stages without a deadline.
    pub age_days: Option<i64>,
}

impl Row {
    pub fn overdue(&self) -> bool {
        self.days_left.is_some_and(|d| d < 0)
    }
}

#[derive(Template)]
#[template(path = "queue.html")]
struct QueuePage {
    s: Shell,
    depts: Departments,
    rows: Vec<Row>,
    stage: String,
    department: String,
    state: String,
    stages: Vec<String>,
    states: Vec<&'static str>,
    next: Option<String>,
}

#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/queue")]
pub async fn show_queue(ctx: Ctx, q: Query<QueueQuery>) -> PageResult {
    let user = ctx.with_role(&Role::REVIEWERS)?.clone();
    let q = q.into_inner();
    let nonempty = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let filter = QueueFilter {
        stage: nonempty(&q.stage),
        department: nonempty(&q.department),
        state: nonempty(&q.state),
    };
    let f = filter.clone();
    let cursor = q.cursor.clone();
    let (page, counts, depts) = ctx
        .state
        .run(move |conn| {
            let page = releases::queue(conn, &user, &f, cursor.as_deref(), None)?;
            let ids: Vec<String> = page.items.iter().map(|i| i.release_id.clone()).collect();
            let counts = releases::severity_counts(conn, &ids)?;
            Ok((page, counts, Departments::load(conn)?))
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let now = crate::audit::now();
    let calendar = &ctx.state.policies.calendar;
    let rows = page
        .items
        .into_iter()
        .map(|item| {
            let deadline = item.deadline.as_deref().and_then(parse_stored);
            let opened = (item.opened_at.as_deref())
                .or(Some(item.created_at.as_str()))
                .and_then(parse_stored);
            Row {
                counts: counts.get(&item.release_id).cloned().unwrap_or_default(),
                days_left: deadline.map(|d| calendar.working_days_between(now, d)),
                age_days: match (deadline, opened) {
                    (None, Some(o)) => Some((now - o).num_days()),
                    _ => None,
                },
                deadline: deadline.as_ref().map(local_time),
                item,
            }
        })
        .collect();
    let next = page.next_cursor.map(|c| {
        let mut query = vec![("cursor", c)];
        for (k, v) in [
            ("stage", &filter.stage),
            ("department", &filter.department),
            ("state", &filter.state),
        ] {
            if let Some(v) = v {
                query.push((k, v.clone()));
            }
        }
        serde_urlencoded::to_string(query).unwrap_or_default()
    });
    render(
        &ctx,
        &QueuePage {
            s: ctx.shell(),
            depts,
            rows,
            stage: filter.stage.unwrap_or_default(),
            department: filter.department.unwrap_or_default(),
            state: filter.state.unwrap_or_default(),
            stages: (ctx.state.policies.workflow.stages.iter())
                .map(|st| st.key.clone())
                .collect(),
            states: vec!["blocked", "in_review"],
            next,
        },
    )
}

/// Times in service views are RFC 3339 strings; the calendar wants UTC naive.
fn parse_stored(t: &str) -> Option<chrono::NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.naive_utc())
}
