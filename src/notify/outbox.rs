use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::Mailer;
use crate::db::models::{OutboxMail, Release, User};
use crate::db::schema::{outbox, users};
use crate::db::{write_tx, DbConn};
use crate::policy::Stage;

/// Attempts before a mail is given up (it stays in the outbox, unsent, with its last error).
const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed mail is reserved for the instance sending it.
const LEASE: i64 = 300;
const BATCH: i64 = 50;

/// Queues a mail; call inside the transaction of the change it reports.
pub fn enqueue(
    conn: &mut DbConn,
    recipient: &str,
    subject: &str,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(OutboxMail {
            id: ulid::Ulid::new().to_string(),
            recipient: recipient.into(),
            subject: subject.into(),
            body: body.into(),
            created_at: now,
            next_attempt_at: now,
            attempts: 0,
            sent_at: None,
            last_error: None,
        })
        .execute(conn)
        .map(drop)
}

/// A deadline as the office reads it: Beijing time, to the minute.
pub fn local_deadline(at: &NaiveDateTime) -> String {
    (*at + Duration::hours(8))
        .format("%Y-%m-%d %H:%M (UTC+8)")
        .to_string()
}

/// Tells everyone who may act on a newly opened stage (role and department
/// scope, with an e-mail address, not the submitter).
pub fn stage_opened(
    conn: &mut DbConn,
    release: &Release,
    stage: &Stage,
    departments: Option<&[String]>,
    deadline: Option<NaiveDateTime>,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let candidates: Vec<User> = users::table
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .filter(users::roles.like(format!("%{}%", stage.role.as_str())))
        .filter(users::id.ne(&release.submitter_id))
        .select(User::as_select())
        .load(conn)?;
    let due = deadline
        .map(|d| format!("\n办理期限 / Due: {}", local_deadline(&d)))
        .unwrap_or_default();
    let subject = format!(
        "[releasegate] 待审查 / To review: {}（{}）",
        release.title, stage.name
    );
    let body = format!(
        "{title}\n环节 / Stage: {name} / {name_en}\n部门 / Department: {dept}{due}\n\n{url}/releases/{id}\n",
        title = release.title,
        name = stage.name,
        name_en = stage.name_en,
        dept = release.department,
        url = public_url.trim_end_matches('/'),
        id = release.id,
    );
    let mut sent = 0;
    for user in candidates {
        let holds = user.roles.contains(&stage.role);
        let in_scope =
            departments.is_none_or(|d| user.department.as_ref().is_some_and(|u| d.contains(u)));
        if let (true, true, Some(email)) = (holds, in_scope, user.email.as_deref()) {
            enqueue(conn, email, &subject, &body, now)?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// Tells the submitter what became of their release.
pub fn submitter_told(
    conn: &mut DbConn,
    release: &Release,
    state: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let email: Option<String> = users::table
        .find(&release.submitter_id)
        .select(users::email)
        .first(conn)?;
    let Some(email) = email else { return Ok(()) };
    let subject = format!("[releasegate] {}：{}", release.title, state);
    let body = format!(
        "{}\n状态 / State: {state}\n\n{}/releases/{}\n",
        release.title,
        public_url.trim_end_matches('/'),
        release.id
    );
    enqueue(conn, &email, &subject, &body, now)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub failed: usize,
}

/// Sends what is due. Mails are claimed under the write lock (so several
/// instances never send the same mail) and sent outside any transaction,
/// so a slow SMTP server holds no lock; failures back off exponentially.
pub fn deliver_due(conn: &mut DbConn, mailer: &Mailer) -> QueryResult<Delivery> {
    let now = crate::audit::now();
    let claimed: Vec<OutboxMail> = write_tx(conn, |conn| {
        let due: Vec<OutboxMail> = outbox::table
            .filter(outbox::sent_at.is_null())
            .filter(outbox::attempts.lt(MAX_ATTEMPTS))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::next_attempt_at.asc())
            .limit(BATCH)
            .select(OutboxMail::as_select())
            .load(conn)?;
        let ids: Vec<&str> = due.iter().map(|m| m.id.as_str()).collect();
        diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
            .set(outbox::next_attempt_at.eq(now + Duration::seconds(LEASE)))
            .execute(conn)?;
        Ok::<_, diesel::result::Error>(due)
    })?;
    let mut delivery = Delivery::default();
    for mail in claimed {
        let row = outbox::table.find(&mail.id);
        match mailer.send(&mail.recipient, &mail.subject, &mail.body) {
            Ok(()) => {
                diesel::update(row)
                    .set(outbox::sent_at.eq(crate::audit::now()))
                    .execute(conn)?;
                delivery.sent += 1;
            }
            Err(e) => {
                let backoff = Duration::minutes(1i64 << mail.attempts.clamp(0, 10));
                diesel::update(row)
                    .set((
                        outbox::attempts.eq(mail.attempts + 1),
                        outbox::last_error.eq(e.to_string()),
                        outbox::next_attempt_at.eq(crate::audit::now() + backoff),
                    ))
                    .execute(conn)?;
                tracing::warn!(mail = %mail.id, error = %e, "mail not sent");
                delivery.failed += 1;
            }
        }
    }
    Ok(delivery)
}
