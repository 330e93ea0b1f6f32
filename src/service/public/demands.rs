//! 需求征集: members of the public ask for data; the responsible
//! department answers within 20 working days (from the calendar). Requests
//! and answers are public unless a department withholds one, with a
//! reason; the requester's contact is never public.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::accounts::PublicCaller;
use crate::auth::CurrentUser;
use crate::db::models::{DemandRow, PublicAccount};
use crate::db::schema::{demands, departments, public_accounts};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::policy::{Calendar, Policies, Role};
use crate::scan::Scanner;
use crate::service::audit_log;
use crate::service::fields::{optional_text, required_text};
use crate::service::releases::Page;
use crate::text_enum::text_enum;

/// Working days a department has to answer (the open-government rules).
pub const ANSWER_WITHIN_WORKING_DAYS: u32 = 20;
const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 4000;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum DemandStatus {
    /// Waiting for the department's answer.
    Open,
    /// The data will be opened.
    Accepted,
    /// In the department's opening plan.
    Planned,
    /// Not opened; the reason is public.
    Declined,
}

impl DemandStatus {
    pub const ALL: [DemandStatus; 4] = [Self::Open, Self::Accepted, Self::Planned, Self::Declined];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Planned => "planned",
            Self::Declined => "declined",
        }
    }
}

text_enum!(DemandStatus, "status");

/// What a member of the public asks for.
pub struct NewDemand<'a> {
    pub title: &'a str,
    pub description: &'a str,
    pub department: Option<&'a str>,
    pub contact: &'a str,
}

/// A request as the public sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DemandView {
    pub id: String,
    pub title: String,
    pub description: String,
    /// The department that answers; `null` until one takes it.
    pub department: Option<String>,
    pub status: DemandStatus,
    pub answer: Option<String>,
    pub reason: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The answer is due by then (20 working days).
    #[schema(format = DateTime)]
    pub due_at: String,
    #[schema(format = DateTime)]
    pub answered_at: Option<String>,
    /// Not answered and past `due_at`, or answered after it.
    pub late: bool,
}

/// A request as staff see it: with the requester and their contact.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffDemandView {
    #[serde(flatten)]
    pub demand: DemandView,
    pub requester: String,
    pub contact: String,
    pub withheld_reason: Option<String>,
    /// The title and description as sent, when the public is shown them
    /// masked (the scanner found personal data or a credential in them).
    pub title_as_sent: Option<String>,
    pub description_as_sent: Option<String>,
}

fn view(d: &DemandRow, now: NaiveDateTime) -> AppResult<DemandView> {
    Ok(DemandView {
        id: d.id.clone(),
        title: d.public_title.clone().unwrap_or_else(|| d.title.clone()),
        description: d
            .public_description
            .clone()
            .unwrap_or_else(|| d.description.clone()),
        department: d.department.clone(),
        status: crate::db::types::stored_enum("demand status", &d.status)?,
        answer: d.answer.clone(),
        reason: d.reason.clone(),
        created_at: crate::audit::format_time(&d.created_at),
        due_at: crate::audit::format_time(&d.due_at),
        answered_at: d.answered_at.as_ref().map(crate::audit::format_time),
        late: d.answered_at.unwrap_or(now) > d.due_at,
    })
}

fn staff_view(
    d: DemandRow,
    account: &PublicAccount,
    now: NaiveDateTime,
) -> AppResult<StaffDemandView> {
    Ok(StaffDemandView {
        demand: view(&d, now)?,
        requester: account.name.clone(),
        title_as_sent: d.public_title.is_some().then(|| d.title.clone()),
        description_as_sent: d
            .public_description
            .is_some()
            .then(|| d.description.clone()),
        contact: d.contact,
        withheld_reason: d.withheld_reason,
    })
}

pub fn submit(
    conn: &mut DbConn,
    caller: &PublicCaller,
    new: &NewDemand<'_>,
    policies: &Policies,
    public_url: &str,
) -> AppResult<DemandView> {
    let title = required_text("title", new.title, MAX_TITLE)?;
    let description = required_text("description", new.description, MAX_TEXT)?;
    let (public_title, public_description) = (
        masked(&policies.scanner, &title),
        masked(&policies.scanner, &description),
    );
    let contact = required_text("contact", new.contact, MAX_TITLE)?;
    let department = new.department.map(str::trim).filter(|d| !d.is_empty());
    write_tx(conn, |conn| {
        if let Some(code) = department {
            let known: i64 = departments::table.find(code).count().get_result(conn)?;
            if known == 0 {
                return Err(AppError::Rule {
                    code: ErrorCode::UnknownDepartment,
                    message: format!("no department {code:?}"),
                });
            }
        }
        let now = crate::audit::now();
        let row = DemandRow {
            id: ulid::Ulid::new().to_string(),
            account_id: caller.account_id.clone(),
            title,
            description,
            department: department.map(str::to_string),
            contact,
            status: DemandStatus::Open.as_str().into(),
            answer: None,
            reason: None,
            withheld_reason: None,
            answered_by: None,
            answered_at: None,
            due_at: policies.calendar.deadline(now, ANSWER_WITHIN_WORKING_DAYS),
            created_at: now,
            reminded_at: None,
            public_title,
            public_description,
        };
        diesel::insert_into(demands::table)
            .values(&row)
            .execute(conn)?;
        if let Some(department) = &row.department {
            notify_department(conn, &row, department, false, public_url, now)?;
        }
        view(&row, now)
    })
}

/// `text` with what the scanner finds in it masked, or `None` when it finds
/// nothing: a request is published as the public wrote it, so an ID number
/// or a phone in it would otherwise be published too.
fn masked(scanner: &Scanner, text: &str) -> Option<String> {
    let found = scanner.scan(text);
    (!found.is_empty()).then(|| crate::scan::mask_all(text, &found))
}

/// Mails the department's approvers about `demand`: new, or falling due.
fn notify_department(
    conn: &mut DbConn,
    demand: &DemandRow,
    department: &str,
    reminder: bool,
    public_url: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    crate::notify::demand_waiting(
        conn,
        &crate::notify::DemandNotice {
            department,
            id: &demand.id,
            title: &demand.title,
            due: &format!("{} (UTC)", crate::audit::format_time(&demand.due_at)),
            reminder,
        },
        public_url,
        now,
    )?;
    Ok(())
}

/// Working days before its deadline at which a department is reminded of
/// an unanswered request.
pub const REMIND_WORKING_DAYS_BEFORE: u32 = 3;
/// Requests reminded per sweep; the next sweep takes the rest.
const REMIND_BATCH: i64 = 200;

/// Reminds each department, once, of its unanswered requests due within
/// `REMIND_WORKING_DAYS_BEFORE` working days (or already late). Answers how
/// many were reminded.
pub fn remind_due(conn: &mut DbConn, calendar: &Calendar, public_url: &str) -> AppResult<usize> {
    write_tx(conn, |conn| {
        let now = crate::audit::now();
        let horizon = calendar.deadline(now, REMIND_WORKING_DAYS_BEFORE);
        let due: Vec<DemandRow> = demands::table
            .filter(demands::status.eq(DemandStatus::Open.as_str()))
            .filter(demands::reminded_at.is_null())
            .filter(demands::department.is_not_null())
            .filter(demands::due_at.le(horizon))
            .order(demands::due_at.asc())
            .limit(REMIND_BATCH)
            .select(DemandRow::as_select())
            .load(conn)?;
        for demand in &due {
            if let Some(department) = &demand.department {
                notify_department(conn, demand, department, true, public_url, now)?;
            }
            diesel::update(demands::table.find(&demand.id))
                .set(demands::reminded_at.eq(now))
                .execute(conn)?;
        }
        Ok(due.len())
    })
}

/// Requests that are not withheld, newest first.
pub fn list_public(
    conn: &mut DbConn,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<DemandView>> {
    let mut query = demands::table
        .filter(demands::withheld_reason.is_null())
        .order(demands::id.desc())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(demands::id.lt(before.to_string()));
    }
    let rows: Vec<DemandRow> = query
        .limit(limit + 1)
        .select(DemandRow::as_select())
        .load(conn)?;
    let now = crate::audit::now();
    Page::from_rows(rows, limit, |d| d.id.clone(), |d| d).try_map(|d| view(&d, now))
}

pub fn get_public(conn: &mut DbConn, id: &str) -> AppResult<DemandView> {
    let row: DemandRow = demands::table
        .find(id)
        .filter(demands::withheld_reason.is_null())
        .select(DemandRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::NotFound(format!("no public data request {id}")))?;
    view(&row, crate::audit::now())
}

/// The department a staff member answers for, or why they answer none.
fn answering_department(user: &CurrentUser) -> AppResult<&str> {
    match (user.has(Role::DeptApprover), user.department.as_deref()) {
        (true, Some(dept)) => Ok(dept),
        _ => Err(AppError::Forbidden(
            "data requests are answered by a dept_approver of the responsible department".into(),
        )),
    }
}

/// Requests for staff, newest first: a dept_approver sees their
/// department's and the unassigned, a supervisor all.
pub fn list_for_staff(
    conn: &mut DbConn,
    user: &CurrentUser,
    status: Option<DemandStatus>,
    before: Option<&str>,
    limit: i64,
) -> AppResult<Page<StaffDemandView>> {
    let mut query = demands::table
        .inner_join(public_accounts::table)
        .order(demands::id.desc())
        .into_boxed();
    if !user.has(Role::Supervisor) {
        let dept = answering_department(user)?;
        query = query.filter(
            demands::department
                .eq(dept.to_string())
                .or(demands::department.is_null()),
        );
    }
    if let Some(status) = status {
        query = query.filter(demands::status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(demands::id.lt(before.to_string()));
    }
    let rows: Vec<(DemandRow, PublicAccount)> = query
        .limit(limit + 1)
        .select((DemandRow::as_select(), PublicAccount::as_select()))
        .load(conn)?;
    let now = crate::audit::now();
    Page::from_rows(rows, limit, |(d, _)| d.id.clone(), |r| r)
        .try_map(|(d, a)| staff_view(d, &a, now))
}

/// A department's answer to a request.
pub struct Answer<'a> {
    pub answer: &'a str,
    pub status: DemandStatus,
    /// Required to decline; public.
    pub reason: Option<&'a str>,
    /// Withholds the request and its answer from the public, with this reason.
    pub withhold_reason: Option<&'a str>,
}

/// Answers (or answers again) a request of the caller's department, or an
/// unassigned one, which the department thereby takes. Audited; the
/// requester is mailed.
pub fn answer(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &str,
    answer: &Answer<'_>,
    public_url: &str,
) -> AppResult<StaffDemandView> {
    let dept = answering_department(user)?;
    let text = required_text("answer", answer.answer, MAX_TEXT)?;
    let reason = optional_text("reason", answer.reason, MAX_TEXT)?;
    let withheld = optional_text("withhold_reason", answer.withhold_reason, MAX_TEXT)?;
    if answer.status == DemandStatus::Open {
        return Err(AppError::BadRequest(
            "status must be accepted, planned or declined".into(),
        ));
    }
    if answer.status == DemandStatus::Declined && reason.is_none() {
        return Err(AppError::Rule {
            code: ErrorCode::NoteRequired,
            message: "declining a data request needs a reason".into(),
        });
    }
    write_tx(conn, |conn| {
        let (mut row, account): (DemandRow, PublicAccount) = demands::table
            .find(id)
            .inner_join(public_accounts::table)
            .select((DemandRow::as_select(), PublicAccount::as_select()))
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::NotFound(format!("no data request {id}")))?;
        if row.department.as_deref().is_some_and(|d| d != dept) {
            return Err(AppError::Forbidden(format!(
                "data request {id} is for another department to answer"
            )));
        }
        let now = crate::audit::now();
        row.department = Some(dept.to_string());
        row.status = answer.status.as_str().into();
        row.answer = Some(text.clone());
        row.reason = reason.clone();
        row.withheld_reason = withheld.clone();
        row.answered_by = Some(user.id.clone());
        // The first answer is the one the deadline is measured by.
        row.answered_at = row.answered_at.or(Some(now));
        diesel::update(demands::table.find(id))
            .set((
                demands::department.eq(&row.department),
                demands::status.eq(&row.status),
                demands::answer.eq(&row.answer),
                demands::reason.eq(&row.reason),
                demands::withheld_reason.eq(&row.withheld_reason),
                demands::answered_by.eq(&row.answered_by),
                demands::answered_at.eq(row.answered_at),
            ))
            .execute(conn)?;
        audit_log::append(
            conn,
            audit_log::draft(
                &user.username,
                crate::audit::Action::DemandAnswered,
                None,
                serde_json::json!({
                    "demand": id,
                    "department": dept,
                    "status": row.status,
                    "withheld": withheld.is_some(),
                }),
            ),
        )?;
        crate::notify::demand_answered(
            conn,
            &crate::notify::DemandAnswer {
                email: &account.email,
                title: &row.title,
                status: &row.status,
                answer: &text,
                reason: reason.as_deref(),
                link: &format!("{}/public/demands/{id}", public_url.trim_end_matches('/')),
            },
            now,
        )?;
        staff_view(row, &account, now)
    })
}
