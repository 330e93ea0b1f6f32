//! `releasegate serve`: the HTTP service plus the embargo ticker.

use std::time::Duration;

use super::usage_error;
use crate::app::AppState;
use crate::config::Settings;
use crate::error::AppError;
use crate::notify;
use crate::service::{accounts, audit_log, releases};

/// How often approved releases are checked for a `publish_at` that has come.
const PUBLISH_TICK: Duration = Duration::from_secs(30);
/// How often the outbox is sent.
const MAIL_TICK: Duration = Duration::from_secs(15);
/// How often the audit chain head is signed (when it moved).
const CHECKPOINT_TICK: Duration = Duration::from_secs(300);

pub fn serve(bind: &str, demo: bool) -> i32 {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    tracing::info!(?settings, "starting");
    let state = match AppState::build(settings) {
        Ok(s) => s,
        Err(e) => return usage_error(format!("{e:#}")),
    };
    if demo {
        if let Err(code) = seed_demo(&state) {
            return code;
        }
    }
    let result = actix_web::rt::System::new().block_on(run(state, bind.to_string()));
    match result {
        Ok(()) => 0,
        Err(e) => usage_error(format!("cannot serve on {bind}: {e}")),
    }
}

fn seed_demo(state: &AppState) -> Result<(), i32> {
    let created = state
        .pool
        .get()
        .map_err(AppError::from)
        .and_then(|mut conn| accounts::seed_demo(&mut conn))
        .map_err(|e| usage_error(format!("cannot seed demo data: {e}")))?;
    if created.is_empty() {
        eprintln!("demo users already exist; their passwords were printed when they were created");
    }
    for user in created {
        let roles: Vec<_> = user.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "{:<14} {:<20} {:<24} {}",
            user.username,
            user.password,
            roles.join(","),
            user.department.unwrap_or_default()
        );
    }
    Ok(())
}

async fn run(state: AppState, bind: String) -> std::io::Result<()> {
    let ticker_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(PUBLISH_TICK);
        loop {
            interval.tick().await;
            let st = ticker_state.clone();
            match ticker_state
                .run(move |conn| releases::publish_due(&st, conn))
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(published = n, "published embargoed releases"),
                Err(e) => tracing::warn!(error = %e, "embargo publication failed"),
            }
        }
    });
    let mail_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(MAIL_TICK);
        loop {
            interval.tick().await;
            let mailer = mail_state.mailer.clone();
            match mail_state
                .run(move |conn| Ok(notify::deliver_due(conn, &mailer)?))
                .await
            {
                Ok(d) if d.sent + d.failed > 0 => {
                    tracing::info!(sent = d.sent, failed = d.failed, "outbox")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "outbox delivery failed"),
            }
        }
    });
    let checkpoint_state = state.clone();
    actix_web::rt::spawn(async move {
        let mut interval = actix_web::rt::time::interval(CHECKPOINT_TICK);
        loop {
            interval.tick().await;
            let key = checkpoint_state.checkpoint_key.clone();
            match checkpoint_state
                .run(move |conn| Ok(audit_log::checkpoint(conn, &key)?))
                .await
            {
                Ok(Some(seq)) => tracing::info!(seq, "signed an audit checkpoint"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "audit checkpoint failed"),
            }
        }
    });
    let (server, addr) = crate::http::server(state, &bind)?;
    tracing::info!(%addr, "listening");
    server.await
}
