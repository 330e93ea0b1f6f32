//! 年度开放计划: what each department will open in a year and by when. A
//! plan item is one catalogue item with a due date; a published release of
//! the department fulfils it. Supervisors read plan against delivery.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use super::catalogue::Openness;
use super::keeping_department;
use crate::auth::CurrentUser;
use crate::db::models::{CatalogueItemRow, PlanItemRow, Release};
use crate::db::schema::{catalogue_items, plan_items, releases};
use crate::db::types::stored_enum;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ids::ReleaseId;
use crate::policy::Calendar;
use crate::service::audit_log;
use crate::service::releases::Page;
use crate::workflow::State;

/// The years a plan may be kept for.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// Where a plan item stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanItemStatus {
    /// Not delivered yet, not due yet.
    Planned,
    /// Not delivered, and its due day has passed.
    Overdue,
    /// Delivered on or before its due day.
    Delivered,
    /// Delivered after its due day.
    DeliveredLate,
}

impl PlanItemStatus {
    fn of(row: &PlanItemRow, today: NaiveDate) -> Self {
        match row.fulfilled_on {
            Some(day) if day > row.due_on => Self::DeliveredLate,
            Some(_) => Self::Delivered,
            None if today > row.due_on => Self::Overdue,
            None => Self::Planned,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanItemView {
    pub id: String,
    pub year: i32,
    pub department: String,
    pub catalogue_item: String,
    /// The catalogue item's title.
    pub title: String,
    pub openness: Openness,
    /// The local day it is due by.
    #[schema(value_type = String, format = Date)]
    pub due: NaiveDate,
    /// The published release that fulfilled it.
    pub release: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub fulfilled_on: Option<NaiveDate>,
    pub status: PlanItemStatus,
}

fn view(row: PlanItemRow, item: &CatalogueItemRow, today: NaiveDate) -> AppResult<PlanItemView> {
    Ok(PlanItemView {
        status: PlanItemStatus::of(&row, today),
        openness: stored_enum("openness", &item.openness)?,
        title: item.title.clone(),
        id: row.id,
        year: row.year,
        department: row.department,
        catalogue_item: row.catalogue_item_id,
        due: row.due_on,
        release: row.release_id,
        fulfilled_on: row.fulfilled_on,
    })
}

/// One department's plan against its delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DepartmentPlan {
    pub department: String,
    pub planned: i64,
    pub delivered: i64,
    pub delivered_late: i64,
    pub overdue: i64,
}

/// A year's plan: the per-department summary, then a page of items.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    pub year: i32,
    pub departments: Vec<DepartmentPlan>,
    pub items: Vec<PlanItemView>,
    pub next_cursor: Option<String>,
}

/// A year a plan or a report may be asked for, or 400 naming the range.
pub fn check_year(year: i32) -> AppResult<()> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "year must be between {FIRST_YEAR} and {LAST_YEAR}, not {year}"
        )))
    }
}

fn today() -> NaiveDate {
    Calendar::local_date(crate::audit::now())
}

/// Plans a catalogue item of the caller's department for `year`. Audited.
pub fn add(
    conn: &mut DbConn,
    user: &CurrentUser,
    year: i32,
    catalogue_item: &str,
    due: NaiveDate,
) -> AppResult<PlanItemView> {
    check_year(year)?;
    let dept = keeping_department(user)?;
    if due.year() != year {
        return Err(AppError::Rule {
            code: ErrorCode::OutsideYear,
            message: format!("due must fall in {year}, not on {due}"),
        });
    }
    write_tx(conn, |conn| {
        let item: CatalogueItemRow = catalogue_items::table
            .find(catalogue_item)
            .select(CatalogueItemRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound(format!("no catalogue item {catalogue_item}")))?;
        if item.department != dept {
            return Err(AppError::Forbidden(format!(
                "catalogue item {catalogue_item} belongs to {}",
                item.department
            )));
        }
        if item.openness == Openness::Closed.as_str() {
            return Err(AppError::Rule {
                code: ErrorCode::NotOpenable,
                message: format!("{:?} is not to be opened (closed)", item.title),
            });
        }
        let planned: i64 = plan_items::table
            .filter(plan_items::year.eq(year))
            .filter(plan_items::catalogue_item_id.eq(catalogue_item))
            .count()
            .get_result(conn)?;
        if planned > 0 {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("{:?} is already in the plan for {year}", item.title),
            });
        }
        let row = PlanItemRow {
            id: ulid::Ulid::new().to_string(),
            year,
            department: dept.to_string(),
            catalogue_item_id: item.id.clone(),
            due_on: due,
            release_id: None,
            fulfilled_on: None,
            created_by: user.id.clone(),
            created_at: crate::audit::now(),
        };
        diesel::insert_into(plan_items::table)
            .values(&row)
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::PlanItemAdded,
                None,
                serde_json::json!({
                    "plan_item": row.id,
                    "year": year,
                    "department": dept,
                    "catalogue_item": item.id,
                    "due": due.to_string(),
                }),
            ),
        )?;
        view(row, &item, today())
    })
}

/// Records that a published release of the department delivers a plan
/// item. Audited, with whether it came on time.
pub fn fulfil(
    conn: &mut DbConn,
    user: &CurrentUser,
    year: i32,
    plan_item: &str,
    release_id: &ReleaseId,
) -> AppResult<PlanItemView> {
    check_year(year)?;
    let dept = keeping_department(user)?;
    write_tx(conn, |conn| {
        let (mut row, item): (PlanItemRow, CatalogueItemRow) = plan_items::table
            .inner_join(catalogue_items::table)
            .filter(plan_items::id.eq(plan_item))
            .filter(plan_items::year.eq(year))
            .select((PlanItemRow::as_select(), CatalogueItemRow::as_select()))
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound(format!("no item {plan_item} in the {year} plan")))?;
        if row.department != dept {
            return Err(AppError::Forbidden(format!(
                "plan item {plan_item} belongs to {}",
                row.department
            )));
        }
        if let Some(earlier) = &row.release_id {
            return Err(AppError::Rule {
                code: ErrorCode::Exists,
                message: format!("plan item {plan_item} was fulfilled by release {earlier}"),
            });
        }
        let release: Release = releases::table
            .find(release_id)
            .select(Release::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound(format!("no release {release_id}")))?;
        if release.department != row.department {
            return Err(AppError::Rule {
                code: ErrorCode::WrongDepartment,
                message: format!(
                    "release {release_id} is of {}, the plan item of {}",
                    release.department, row.department
                ),
            });
        }
        if release.state != State::Published {
            return Err(AppError::Rule {
                code: ErrorCode::NotAllowedInState,
                message: format!(
                    "only a published release fulfils a plan item; {release_id} is {}",
                    release.state.as_str()
                ),
            });
        }
        let today = today();
        diesel::update(plan_items::table.find(plan_item))
            .set((
                plan_items::release_id.eq(release_id),
                plan_items::fulfilled_on.eq(today),
            ))
            .execute(conn)?;
        row.release_id = Some(release_id.to_string());
        row.fulfilled_on = Some(today);
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::PlanItemFulfilled,
                Some((release_id, release.version)),
                serde_json::json!({
                    "plan_item": plan_item,
                    "year": year,
                    "department": dept,
                    "on_time": today <= row.due_on,
                }),
            ),
        )?;
        view(row, &item, today)
    })
}

/// Plan against delivery per department for `year`, counted in the
/// database (as of today).
pub fn plan_summary(conn: &mut DbConn, year: i32) -> AppResult<Vec<DepartmentPlan>> {
    check_year(year)?;
    let today = today();
    let year_items = || plan_items::table.filter(plan_items::year.eq(year));
    let planned = crate::count_per!(conn, year_items(), plan_items::department);
    let delivered = crate::count_per!(
        conn,
        year_items().filter(plan_items::release_id.is_not_null()),
        plan_items::department
    );
    let late = crate::count_per!(
        conn,
        year_items().filter(plan_items::due_on.nullable().lt(plan_items::fulfilled_on)),
        plan_items::department
    );
    let overdue = crate::count_per!(
        conn,
        year_items()
            .filter(plan_items::release_id.is_null())
            .filter(plan_items::due_on.lt(today)),
        plan_items::department
    );
    let count = |counts: &BTreeMap<String, i64>, dept: &str| counts.get(dept).copied().unwrap_or(0);
    Ok(planned
        .iter()
        .map(|(dept, &n)| DepartmentPlan {
            department: dept.clone(),
            planned: n,
            delivered: count(&delivered, dept),
            delivered_late: count(&late, dept),
            overdue: count(&overdue, dept),
        })
        .collect())
}

/// A year's plan: the summary of every department (or the one asked for),
/// and a page of its items in the order they were planned.
pub fn plan(
    conn: &mut DbConn,
    year: i32,
    department: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> AppResult<PlanView> {
    let mut departments = plan_summary(conn, year)?;
    if let Some(dept) = department {
        departments.retain(|d| d.department == dept);
    }
    let mut query = plan_items::table
        .inner_join(catalogue_items::table)
        .filter(plan_items::year.eq(year))
        .order(plan_items::id.asc())
        .into_boxed();
    if let Some(dept) = department {
        query = query.filter(plan_items::department.eq(dept.to_string()));
    }
    if let Some(after) = after {
        query = query.filter(plan_items::id.gt(after.to_string()));
    }
    let rows: Vec<(PlanItemRow, CatalogueItemRow)> = query
        .limit(limit + 1)
        .select((PlanItemRow::as_select(), CatalogueItemRow::as_select()))
        .load(conn)?;
    let today = today();
    let page = Page::from_rows(rows, limit, |(p, _)| p.id.clone(), |r| r)
        .try_map(|(p, item)| view(p, &item, today))?;
    Ok(PlanView {
        year,
        departments,
        items: page.items,
        next_cursor: page.next_cursor,
    })
}

/// How often each of `release_ids` that fulfils a plan item is updated:
/// that of the catalogue item behind its first plan item. One query.
pub fn update_frequencies(
    conn: &mut DbConn,
    release_ids: &[&str],
) -> AppResult<BTreeMap<String, super::UpdateFrequency>> {
    let rows: Vec<(Option<String>, String)> = plan_items::table
        .inner_join(catalogue_items::table)
        .filter(plan_items::release_id.eq_any(release_ids))
        .order(plan_items::id.desc())
        .select((plan_items::release_id, catalogue_items::update_frequency))
        .load(conn)?;
    // Newest first, so the first plan item of each release is inserted last.
    let mut out = BTreeMap::new();
    for (release, stored) in rows {
        if let Some(release) = release {
            out.insert(release, stored_enum("update frequency", &stored)?);
        }
    }
    Ok(out)
}
