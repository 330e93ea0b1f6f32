//! `releasegate serve`: the HTTP service plus its background sweeps (`jobs`).

use super::usage_error;
use crate::app::AppState;
use crate::config::Settings;
use crate::error::AppError;
use crate::service::accounts;

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
    if let Some(year) = state
        .policies
        .calendar
        .next_year_missing(crate::audit::now())
    {
        tracing::warn!(
            "policies/calendar/{year}.toml is missing: deadlines running into {year} are counted Monday to Friday and flagged provisional"
        );
    }
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
    crate::jobs::spawn_sweeps(&state);
    crate::jobs::spawn_workers(&state);
    let (server, addr) = crate::http::server(state, &bind)?;
    tracing::info!(%addr, "listening");
    server.await
}
