//! Reminders and escalations of stage deadlines: what one sweep at instant
//! `at` sends. Two working days before a deadline and on its day, whoever
//! can act on the stage (and their delegate) is reminded; one working day
//! after a breach the stage's escalation role is told, three after the
//! leader. Escalation only tells: it never decides a stage. Each reminder
//! is sent once per stage, kind and deadline (`reminders_sent`), so a moved
//! deadline re-arms them; a stopped clock has no deadline and sends nothing.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::app::AppState;
use crate::db::models::{Release, User};
use crate::db::schema::{
    delegations, recusals, release_stages, release_versions, releases, reminders_sent,
    stage_decisions, users,
};
use crate::db::{write_tx, DbConn};
use crate::error::AppResult;
use crate::ids::ReleaseId;
use crate::policy::{Calendar, Role, Stage};
use crate::service::audit_log;
use crate::service::releases::SYSTEM_ACTOR;
use crate::workflow::State;

/// Leader escalation this many working days after a breach.
const LEADER_AFTER: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// Two working days (or fewer) before the deadline.
    DueSoon,
    /// On the day of the deadline.
    DueToday,
    /// One working day after a missed deadline, to the stage's escalation role.
    Escalation,
    /// Three working days after, to the leader.
    LeaderEscalation,
    /// 会签 where the policy lets silence consent: the silent co-departments
    /// are taken to sign (no mail; the release moves on).
    ConsentBySilence,
}

impl ReminderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DueSoon => "due_soon",
            Self::DueToday => "due_today",
            Self::Escalation => "escalation",
            Self::LeaderEscalation => "leader_escalation",
            Self::ConsentBySilence => "consent_by_silence",
        }
    }

    fn is_escalation(self) -> bool {
        matches!(self, Self::Escalation | Self::LeaderEscalation)
    }
}

/// One reminder as `releasegate reminders` prints it (a JSON line); for
/// `consent_by_silence`, `recipients` are the departments taken to consent.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    pub kind: ReminderKind,
    pub release: ReleaseId,
    pub stage: String,
    pub recipients: Vec<String>,
    #[serde(serialize_with = "rfc3339")]
    pub deadline: NaiveDateTime,
    /// The deadline runs through a year without a calendar file.
    pub provisional: bool,
}

fn rfc3339<S: serde::Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::audit::format_time(t))
}

/// The kinds due at `at` for a stage whose deadline is `deadline` (and
/// whose silence consents after `consent_after` working days, if ever).
pub fn kinds_due(
    calendar: &Calendar,
    deadline: NaiveDateTime,
    at: NaiveDateTime,
    consent_after: Option<u32>,
) -> Vec<ReminderKind> {
    if at < deadline {
        if Calendar::local_date(at) == Calendar::local_date(deadline) {
            return vec![ReminderKind::DueToday];
        }
        return if calendar.working_days_between(at, deadline) <= 2 {
            vec![ReminderKind::DueSoon]
        } else {
            Vec::new()
        };
    }
    let late = calendar.working_days_between(deadline, at);
    let mut kinds = Vec::new();
    if late >= 1 {
        kinds.push(ReminderKind::Escalation);
    }
    if late >= LEADER_AFTER {
        kinds.push(ReminderKind::LeaderEscalation);
    }
    if consent_after.is_some_and(|days| late >= i64::from(days)) {
        kinds.push(ReminderKind::ConsentBySilence);
    }
    kinds
}

/// Every reminder one sweep at `at` would send, not yet sent.
pub fn due(state: &AppState, conn: &mut DbConn, at: NaiveDateTime) -> AppResult<Vec<Reminder>> {
    let calendar = &state.policies.calendar;
    // Nothing is due for a deadline more than two working days (at most a
    // long holiday) away: the query reads only stages near or past theirs.
    let horizon = calendar.deadline(at, 2) + Duration::days(1);
    let rows: Vec<(ReleaseId, String, Option<String>, NaiveDateTime, bool)> = release_stages::table
        .inner_join(releases::table)
        .filter(release_stages::actionable.eq(true))
        .filter(release_stages::clock_stopped_at.is_null())
        .filter(release_stages::deadline.le(horizon))
        .filter(releases::state.eq_any([State::InReview.as_str(), State::Blocked.as_str()]))
        .select((
            release_stages::release_id,
            release_stages::stage,
            release_stages::departments,
            release_stages::deadline.assume_not_null(),
            release_stages::provisional,
        ))
        .order((
            release_stages::deadline.asc(),
            release_stages::release_id.asc(),
        ))
        .load(conn)?;
    let staff: Vec<User> = users::table
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .select(User::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for (release_id, key, departments, deadline, provisional) in rows {
        let Some(stage) = state.policies.workflow.stage(&key) else {
            continue;
        };
        let sent: BTreeSet<String> = reminders_sent::table
            .filter(reminders_sent::release_id.eq(&release_id))
            .filter(reminders_sent::stage.eq(&key))
            .filter(reminders_sent::deadline.eq(deadline))
            .select(reminders_sent::kind)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        let scope: Option<Vec<String>> = departments.map(|d| {
            d.split(',')
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        });
        for kind in kinds_due(calendar, deadline, at, stage.consent_on_silence) {
            if sent.contains(kind.as_str()) {
                continue;
            }
            let recipients = if kind == ReminderKind::ConsentBySilence {
                Vec::new()
            } else if kind.is_escalation() {
                let role = match kind {
                    ReminderKind::LeaderEscalation => Role::Leader,
                    _ => stage.escalate_to,
                };
                holders(
                    &staff,
                    role,
                    scope.as_deref().filter(|_| role.is_departmental()),
                )
            } else {
                actors(conn, &staff, stage, &release_id, scope.as_deref(), at)?
            };
            out.push(Reminder {
                kind,
                release: release_id.clone(),
                stage: key.clone(),
                recipients,
                deadline,
                provisional,
            });
        }
    }
    Ok(out)
}

/// Active staff holding `role` (within `scope` when given), by address.
fn holders(staff: &[User], role: Role, scope: Option<&[String]>) -> Vec<String> {
    let mut out: Vec<String> = staff
        .iter()
        .filter(|u| u.roles.contains(&role))
        .filter(|u| scope.is_none_or(|d| u.department.as_ref().is_some_and(|x| d.contains(x))))
        .filter_map(|u| u.email.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Who can act on the stage now — its role, in scope, not an author of
/// the release, not recused, not (or whose department has not) decided
/// it — with each who is on leave at `at` replaced by their delegate.
fn actors(
    conn: &mut DbConn,
    staff: &[User],
    stage: &Stage,
    release_id: &ReleaseId,
    scope: Option<&[String]>,
    at: NaiveDateTime,
) -> AppResult<Vec<String>> {
    let mut authors: BTreeSet<String> = release_versions::table
        .filter(release_versions::release_id.eq(release_id))
        .select(release_versions::created_by)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    authors.insert(
        releases::table
            .find(release_id)
            .select(releases::submitter_id)
            .first(conn)?,
    );
    let recused: BTreeSet<String> = recusals::table
        .filter(recusals::release_id.eq(release_id))
        .select(recusals::user_id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let decided: Vec<(String, Option<String>)> = stage_decisions::table
        .filter(stage_decisions::release_id.eq(release_id))
        .filter(stage_decisions::stage.eq(&stage.key))
        .filter(stage_decisions::dismissed.eq(false))
        .select((stage_decisions::actor_id, stage_decisions::actor_department))
        .load(conn)?;
    let can_act: Vec<&User> = staff
        .iter()
        .filter(|u| u.roles.contains(&stage.role))
        .filter(|u| scope.is_none_or(|d| u.department.as_ref().is_some_and(|x| d.contains(x))))
        .filter(|u| !authors.contains(&u.id) && !recused.contains(&u.id))
        .filter(|u| {
            !decided.iter().any(|(id, dept)| {
                *id == u.id || (scope.is_some() && dept.is_some() && *dept == u.department)
            })
        })
        .collect();
    let ids: Vec<&str> = can_act.iter().map(|u| u.id.as_str()).collect();
    // Whoever is on leave at `at` is not written to; their delegate is.
    let away: Vec<(String, Option<String>)> = delegations::table
        .inner_join(users::table.on(users::id.eq(delegations::to_user)))
        .filter(delegations::from_user.eq_any(&ids))
        .filter(delegations::revoked_at.is_null())
        .filter(delegations::starts_at.le(at))
        .filter(delegations::until.gt(at))
        .filter(users::active.eq(true))
        .select((delegations::from_user, users::email))
        .load(conn)?;
    let mut out: Vec<String> = can_act
        .iter()
        .filter(|u| !away.iter().any(|(from, _)| *from == u.id))
        .filter_map(|u| u.email.clone())
        .chain(away.iter().filter_map(|(_, email)| email.clone()))
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Reminders recorded, queued and audited per transaction: one commit per
/// reminder made the first sweep over a large backlog a storm of commits
/// on the audit lock; a batch holds it for a few milliseconds.
const BATCH: usize = 200;

/// One sweep at `at`: every reminder due is recorded as sent, queued in the
/// outbox and audited, [`BATCH`] to a transaction; answers what was sent.
pub fn sweep(state: &AppState, conn: &mut DbConn, at: NaiveDateTime) -> AppResult<Vec<Reminder>> {
    let mut sent = Vec::new();
    let (silences, reminders): (Vec<Reminder>, Vec<Reminder>) = due(state, conn, at)?
        .into_iter()
        .partition(|r| r.kind == ReminderKind::ConsentBySilence);
    let mut reminders = reminders.into_iter().peekable();
    while reminders.peek().is_some() {
        let batch: Vec<Reminder> = reminders.by_ref().take(BATCH).collect();
        // Under the write lock every instance's sweep takes, so checking
        // then inserting cannot send a reminder twice. Each reminder is a
        // savepoint: one that fails is logged and left for the next sweep,
        // the rest of the batch goes out.
        let done = write_tx(conn, |conn| {
            let mut done = Vec::with_capacity(batch.len());
            for reminder in batch {
                match conn.transaction(|conn| send(state, conn, &reminder, at)) {
                    Ok(true) => done.push(reminder),
                    Ok(false) => {}
                    Err(e) => tracing::error!(
                        release = %reminder.release, stage = %reminder.stage,
                        kind = reminder.kind.as_str(), error = %e,
                        "a reminder could not be sent; the next sweep tries again"
                    ),
                }
            }
            Ok::<_, crate::error::AppError>(done)
        })?;
        sent.extend(done);
    }
    // Last, as a stage's own reminders came before its consent by silence.
    for reminder in silences {
        let silent = crate::service::releases::consent_by_silence(
            state,
            conn,
            &reminder.release,
            &reminder.stage,
            crate::audit::now(),
        )?;
        if !silent.is_empty() {
            sent.push(Reminder {
                recipients: silent,
                ..reminder
            });
        }
    }
    Ok(sent)
}

/// Records, queues and audits one reminder in the caller's transaction;
/// `false` when another sweep already sent it.
fn send(
    state: &AppState,
    conn: &mut DbConn,
    reminder: &Reminder,
    at: NaiveDateTime,
) -> AppResult<bool> {
    let key = reminders_sent::table
        .filter(reminders_sent::release_id.eq(&reminder.release))
        .filter(reminders_sent::stage.eq(&reminder.stage))
        .filter(reminders_sent::kind.eq(reminder.kind.as_str()))
        .filter(reminders_sent::deadline.eq(reminder.deadline));
    if diesel::select(diesel::dsl::exists(key)).get_result::<bool>(conn)? {
        return Ok(false);
    }
    diesel::insert_into(reminders_sent::table)
        .values((
            reminders_sent::release_id.eq(&reminder.release),
            reminders_sent::stage.eq(&reminder.stage),
            reminders_sent::kind.eq(reminder.kind.as_str()),
            reminders_sent::deadline.eq(reminder.deadline),
            reminders_sent::sent_at.eq(at),
        ))
        .execute(conn)?;
    let release: Release = crate::service::releases::load(conn, &reminder.release)?;
    let shown = crate::service::releases::for_mail(state, &release);
    let stage = state.policies.workflow.stage(&reminder.stage);
    let name = stage.map_or(reminder.stage.as_str(), |s| s.name.as_str());
    let (subject, body) = mail(&shown, name, reminder, &state.settings.public_url);
    // Queued for delivery now, whatever instant the sweep judged.
    let now = crate::audit::now();
    for to in &reminder.recipients {
        crate::notify::enqueue(conn, to, &subject, &body, now)?;
    }
    let event = if reminder.kind.is_escalation() {
        crate::audit::Action::DeadlineEscalated
    } else {
        crate::audit::Action::ReminderSent
    };
    audit_log::append(
        conn,
        audit_log::draft(
            SYSTEM_ACTOR,
            event,
            Some((&release.id, release.version)),
            serde_json::json!({
                "stage": reminder.stage, "kind": reminder.kind.as_str(),
                "deadline": crate::audit::format_time(&reminder.deadline),
                "recipients": reminder.recipients.len(),
                "provisional": reminder.provisional,
            }),
        ),
    )?;
    Ok(true)
}

fn mail(release: &Release, stage_name: &str, r: &Reminder, public_url: &str) -> (String, String) {
    let (zh, en) = match r.kind {
        ReminderKind::DueSoon => ("审查即将到期", "Review due soon"),
        ReminderKind::DueToday => ("审查今日到期", "Review due today"),
        ReminderKind::Escalation => ("审查已逾期（督办）", "Review overdue (escalated)"),
        ReminderKind::LeaderEscalation => (
            "审查逾期三个工作日（报分管领导）",
            "Review three working days overdue (to the leader)",
        ),
        ReminderKind::ConsentBySilence => ("逾期未答复，视为同意", "No answer taken as consent"),
    };
    let provisional = if r.provisional {
        "\n（期限为暂定：该年度节假日安排尚未公布 / provisional: that year's holidays are not yet published）"
    } else {
        ""
    };
    let subject = format!(
        "[releasegate] {zh} / {en}: {}（{stage_name}）",
        release.title
    );
    let body = format!(
        "{title}\n环节 / Stage: {stage_name}\n办理期限 / Due: {due}{provisional}\n\n{url}/releases/{id}\n",
        title = release.title,
        due = crate::notify::local_deadline(&r.deadline),
        url = public_url.trim_end_matches('/'),
        id = release.id,
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn cst(m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, m, d)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
            - Duration::hours(8)
    }

    #[test]
    fn reminders_fall_two_days_before_on_the_day_and_escalations_after() {
        let mut calendar = Calendar::default();
        calendar
            .add_source(
                std::path::Path::new("2026.toml"),
                include_str!("../../policies/calendar/2026.toml"),
            )
            .unwrap();
        // Due Thu 8 Oct 2026 18:00 CST, right after the National Day week.
        let deadline = cst(10, 8, 18);
        let kinds = |at| kinds_due(&calendar, deadline, at, None);
        assert!(kinds(cst(9, 28, 9)).is_empty(), "three working days before");
        // Wed 30 Sep: the holiday lies between; 8 Oct is two working days on.
        assert_eq!(kinds(cst(9, 30, 9)), [ReminderKind::DueSoon]);
        assert_eq!(kinds(cst(10, 8, 9)), [ReminderKind::DueToday]);
        // Later the same evening: missed, but not yet one working day late.
        assert!(kinds(cst(10, 8, 20)).is_empty());
        // Fri 9 Oct: one working day late; Sat 10 Oct is a working day (调休),
        // so Mon 12 Oct is three.
        assert_eq!(kinds(cst(10, 9, 9)), [ReminderKind::Escalation]);
        assert_eq!(kinds(cst(10, 11, 9)), [ReminderKind::Escalation]);
        assert_eq!(
            kinds(cst(10, 12, 9)),
            [ReminderKind::Escalation, ReminderKind::LeaderEscalation]
        );
        // Silence consents only where the policy says so, and only late enough.
        assert!(!kinds_due(&calendar, deadline, cst(10, 9, 9), Some(2))
            .contains(&ReminderKind::ConsentBySilence));
        assert!(kinds_due(&calendar, deadline, cst(10, 10, 9), Some(2))
            .contains(&ReminderKind::ConsentBySilence));
    }
}
