//! The periodic sweeps of a running service (embargoed publication, the
//! mail outbox, audit checkpoints, deadline reminders and escalations,
//! data-request reminders, access-log retention), each on its own timer. Each is safe on
//! several instances at once: it claims its work under the write lock.

use std::time::Duration;

use crate::app::AppState;
use crate::db::DbConn;
use crate::error::AppError;
use crate::notify;
use crate::service::{audit_tree, public, releases};

/// A sweep: does what is due, and says what it did (`None`: nothing).
pub type Sweep = fn(&AppState, &mut DbConn) -> Result<Option<String>, AppError>;

/// The service's sweeps and how often each runs.
pub const SWEEPS: [(&str, Duration, Sweep); 6] = [
    // Approved releases whose `publish_at` has come.
    ("publish_due", Duration::from_secs(30), publish_due),
    ("outbox", Duration::from_secs(15), deliver_mail),
    // Signs the audit chain head when it moved.
    ("checkpoint", Duration::from_secs(300), checkpoint),
    // Stage deadlines: reminders before, escalations after.
    ("reminders", Duration::from_secs(900), remind_deadlines),
    // Data requests falling due: their department is reminded once.
    (
        "demand_reminders",
        Duration::from_secs(3600),
        remind_demands,
    ),
    // The access log keeps `RELEASEGATE_ACCESS_LOG_DAYS` days.
    (
        "access_log_retention",
        Duration::from_secs(3600),
        prune_access_log,
    ),
];

fn publish_due(state: &AppState, conn: &mut DbConn) -> Result<Option<String>, AppError> {
    let n = releases::publish_due(state, conn)?;
    Ok((n > 0).then(|| format!("published {n} embargoed release(s)")))
}

fn deliver_mail(state: &AppState, conn: &mut DbConn) -> Result<Option<String>, AppError> {
    let d = notify::deliver_due(conn, &state.mailer)?;
    Ok((d.sent + d.failed > 0).then(|| format!("sent {}, failed {}", d.sent, d.failed)))
}

fn checkpoint(state: &AppState, conn: &mut DbConn) -> Result<Option<String>, AppError> {
    let signed = audit_tree::checkpoint(conn, &state.checkpoint_key)?;
    Ok(signed
        .filter(|(_, new)| *new)
        .map(|(c, _)| format!("signed an audit checkpoint of {} events", c.size)))
}

fn remind_deadlines(state: &AppState, conn: &mut DbConn) -> Result<Option<String>, AppError> {
    let sent = crate::service::reminders::sweep(state, conn, crate::audit::now())?;
    Ok((!sent.is_empty())
        .then(|| format!("sent {} deadline reminder(s) and escalation(s)", sent.len())))
}

fn remind_demands(state: &AppState, conn: &mut DbConn) -> Result<Option<String>, AppError> {
    let n = public::remind_due_demands(conn, &state.policies.calendar, &state.settings.public_url)?;
    Ok((n > 0).then(|| format!("reminded departments of {n} data request(s) falling due")))
}

fn prune_access_log(state: &AppState, conn: &mut DbConn) -> Result<Option<String>, AppError> {
    let n = public::prune_access_log(conn, state.settings.access_log_days)?;
    Ok((n > 0).then(|| format!("deleted {n} access-log row(s) past retention")))
}

/// Runs `sweep` every `period` on the actix runtime, logging what it did.
fn spawn_every(state: AppState, name: &'static str, period: Duration, sweep: Sweep) {
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(period);
        loop {
            interval.tick().await;
            match state.call(sweep).await {
                Ok(Some(done)) => tracing::info!(job = name, "{done}"),
                Ok(None) => {}
                Err(e) => tracing::warn!(job = name, error = %e, "background job failed"),
            }
        }
    });
}

/// Starts every sweep of [`SWEEPS`].
pub fn spawn_sweeps(state: &AppState) {
    for (name, period, sweep) in SWEEPS {
        spawn_every(state.clone(), name, period, sweep);
    }
}
