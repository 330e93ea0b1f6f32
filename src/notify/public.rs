//! Mail to and about members of the public: the verification token, an
//! application for conditional data to the department that decides it, and
//! the decision to the applicant.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::enqueue;
use crate::db::models::User;
use crate::db::schema::users;
use crate::db::DbConn;
use crate::policy::Role;

fn base(public_url: &str) -> &str {
    public_url.trim_end_matches('/')
}

/// The token that confirms a new account's address.
pub fn verification_mail(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    token: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let body = format!(
        "{name}，您好：\n\n请确认您的邮箱以启用 releasegate 公众账户。\nConfirm your e-mail address to enable your account.\n\n\
         验证码 / Verification token: {token}\n\n\
         POST {url}/public/accounts/verify  {{\"token\": \"{token}\"}}\n\n\
         48 小时内有效 / Valid for 48 hours. 如非本人操作，请忽略本邮件 / If you did not register, ignore this mail.\n",
        url = base(public_url),
    );
    enqueue(
        conn,
        email,
        "[releasegate] 请确认邮箱 / Confirm your e-mail address",
        &body,
        now,
    )
}

/// Queues one mail to each active dept_approver of `department` who has an
/// address; answers how many.
fn department_approvers_told(
    conn: &mut DbConn,
    department: &str,
    subject: &str,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let approvers: Vec<User> = users::table
        .filter(users::active.eq(true))
        .filter(users::department.eq(department))
        .filter(users::email.is_not_null())
        .select(User::as_select())
        .load(conn)?;
    let mut sent = 0;
    for user in approvers {
        let decides = user.roles.contains(&Role::DeptApprover);
        if let (true, Some(email)) = (decides, user.email.as_deref()) {
            enqueue(conn, email, subject, body, now)?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// Tells the dept_approvers of `department` (with an address) that an
/// application waits for them.
pub fn application_received(
    conn: &mut DbConn,
    department: &str,
    release_title: &str,
    application_id: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let subject = format!("[releasegate] 有条件开放申请 / Application for: {release_title}");
    let body = format!(
        "{release_title}\n申请 / Application: {application_id}\n\n{}/api/v1/applications?state=pending\n",
        base(public_url)
    );
    department_approvers_told(conn, department, &subject, &body, now)
}

/// A data request a department is to answer.
pub struct DemandNotice<'a> {
    pub department: &'a str,
    pub id: &'a str,
    pub title: &'a str,
    /// When the answer is due, as people read it.
    pub due: &'a str,
    /// A reminder that the deadline is near, rather than the first notice.
    pub reminder: bool,
}

/// Tells a department's approvers that the public asks them for data, or
/// reminds them that the answer falls due.
pub fn demand_waiting(
    conn: &mut DbConn,
    notice: &DemandNotice<'_>,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let what = if notice.reminder {
        "数据需求即将到期 / Data request due soon"
    } else {
        "新的数据需求 / New data request"
    };
    let subject = format!("[releasegate] {what}: {}", notice.title);
    let body = format!(
        "{}\n需求 / Request: {}\n答复期限 / Answer by: {}\n\n{}/api/v1/demands?status=open\n",
        notice.title,
        notice.id,
        notice.due,
        base(public_url)
    );
    department_approvers_told(conn, notice.department, &subject, &body, now)
}

/// An application's outcome, for its applicant.
pub struct Decided<'a> {
    pub email: &'a str,
    pub release_id: &'a str,
    pub release_title: &'a str,
    pub state: &'a str,
    pub reason: Option<&'a str>,
}

/// Tells an applicant what became of their application.
pub fn application_decided(
    conn: &mut DbConn,
    decided: &Decided<'_>,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let Decided {
        email,
        release_id,
        release_title,
        state,
        reason,
    } = decided;
    let reason = reason
        .map(|r| format!("\n理由 / Reason: {r}"))
        .unwrap_or_default();
    enqueue(
        conn,
        email,
        &format!("[releasegate] {release_title}：{state}"),
        &format!(
            "{release_title}\n申请状态 / Application: {state}{reason}\n\n{}/public/releases/{release_id}\n",
            base(public_url)
        ),
        now,
    )
}

/// A data request's answer, for its requester.
pub struct DemandAnswer<'a> {
    pub email: &'a str,
    pub title: &'a str,
    pub status: &'a str,
    pub answer: &'a str,
    pub reason: Option<&'a str>,
    pub link: &'a str,
}

/// Tells a member of the public how their data request was answered.
pub fn demand_answered(
    conn: &mut DbConn,
    a: &DemandAnswer<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let reason = a
        .reason
        .map(|r| format!("\n理由 / Reason: {r}"))
        .unwrap_or_default();
    enqueue(
        conn,
        a.email,
        &format!(
            "[releasegate] 数据需求答复 / Your data request: {}",
            a.title
        ),
        &format!(
            "{}\n状态 / Status: {}\n答复 / Answer: {}{reason}\n\n{}\n",
            a.title, a.status, a.answer, a.link
        ),
        now,
    )
}
