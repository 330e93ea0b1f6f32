//! Mail about a release beyond "a stage opened" and "it was decided": an
//! extended deadline, a hold, a retraction, reminders and escalations.
//! Every mail is bilingual (zh-CN first, then English), names the release
//! and the stage and links the page — never a finding's value.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::enqueue;
use crate::db::models::Release;
use crate::db::schema::{stage_decisions, users};
use crate::db::DbConn;
use crate::policy::{Role, Roles};

fn link(public_url: &str, release: &Release) -> String {
    format!(
        "{}/releases/{}",
        public_url.trim_end_matches('/'),
        release.id
    )
}

/// The addresses of the submitter, of everyone who decided a stage of the
/// release, and of every active holder of `roles`; each once.
pub fn release_people(
    conn: &mut DbConn,
    release: &Release,
    roles: &[Role],
) -> QueryResult<Vec<String>> {
    let deciders: Vec<String> = stage_decisions::table
        .filter(stage_decisions::release_id.eq(&release.id))
        .select(stage_decisions::actor_id)
        .distinct()
        .load(conn)?;
    let candidates: Vec<(String, Option<String>, String)> = users::table
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .select((users::id, users::email, users::roles))
        .load(conn)?;
    let mut out = Vec::new();
    for (id, email, held) in candidates {
        let held: Roles = held
            .parse()
            .map_err(|e: String| diesel::result::Error::DeserializationError(e.into()))?;
        let told = id == release.submitter_id
            || deciders.contains(&id)
            || roles.iter().any(|r| held.contains(r));
        out.extend(email.filter(|_| told));
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn submitter_email(conn: &mut DbConn, release: &Release) -> QueryResult<Option<String>> {
    users::table
        .find(&release.submitter_id)
        .filter(users::active.eq(true))
        .select(users::email)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Tells the submitter that a stage's deadline moved, by how much and why.
#[allow(clippy::too_many_arguments)]
pub fn deadline_extended(
    conn: &mut DbConn,
    release: &Release,
    stage_name: &str,
    working_days: u32,
    reason: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let Some(email) = submitter_email(conn, release)? else {
        return Ok(());
    };
    let subject = format!(
        "[releasegate] 审查期限延长 / Deadline extended: {}（{stage_name}）",
        release.title
    );
    let body = format!(
        "{title}\n环节 / Stage: {stage_name}\n延长 / Extended by: {working_days} 个工作日 / working days\n理由 / Reason: {reason}\n\n{url}\n",
        title = release.title,
        url = link(public_url, release),
    );
    enqueue(conn, &email, &subject, &body, now)
}

/// What happened to a release that its people must hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseNotice {
    Held,
    HoldLifted,
    Retracted,
}

impl ReleaseNotice {
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Held => ("暂缓发布", "Held before publication"),
            Self::HoldLifted => ("解除暂缓", "Hold lifted"),
            Self::Retracted => ("撤销发布", "Retracted"),
        }
    }
}

/// Tells the submitter, the reviewers who decided the release and every
/// supervisor; answers how many mails were queued.
pub fn release_notice(
    conn: &mut DbConn,
    release: &Release,
    notice: ReleaseNotice,
    reason: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (zh, en) = notice.words();
    let subject = format!("[releasegate] {zh} / {en}: {}", release.title);
    let body = format!(
        "{title}\n{zh} / {en}\n理由 / Reason: {reason}\n\n{url}\n",
        title = release.title,
        url = link(public_url, release),
    );
    let recipients = release_people(conn, release, &[Role::Supervisor])?;
    for email in &recipients {
        enqueue(conn, email, &subject, &body, now)?;
    }
    Ok(recipients.len())
}
