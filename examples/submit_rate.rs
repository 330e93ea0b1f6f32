//! Filings per second on the embedded SQLite default: each filing is two
//! audited transactions (the release with its version, file and queued
//! inspection; then the inspection's findings, stages and audit event), so
//! this measures what the durability setting costs.
//!
//! `cargo run --release --example submit_rate [COUNT]` (a fresh database in
//! a temporary directory; nothing else is touched).

use std::io::Write;
use std::time::Instant;

use releasegate::app::AppState;
use releasegate::auth::CurrentUser;
use releasegate::config::Settings;
use releasegate::policy::Role;
use releasegate::service::accounts::{self, NewUser};
use releasegate::service::releases::{self, NewRelease, ReleaseMeta, Upload};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args().nth(1).map_or(Ok(200), |n| n.parse())?;
    let dir = std::env::temp_dir().join(format!("releasegate-rate-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::env::set_var(
        "DATABASE_URL",
        format!("sqlite://{}", dir.join("rate.db").display()),
    );
    std::env::set_var("RELEASEGATE_DATA_DIR", dir.join("data"));
    std::env::set_var(
        "RELEASEGATE_POLICY_DIR",
        concat!(env!("CARGO_MANIFEST_DIR"), "/policies"),
    );
    let state = AppState::build(Settings::from_env()?)?;
    let mut conn = state.pool.get()?;
    accounts::add_department(&mut conn, "FGW", "市发展改革委")?;
    let row = accounts::add_user(
        &mut conn,
        &NewUser {
            username: "submitter",
            password: "rate-rate-rate-rate",
            roles: &[Role::Submitter],
            department: Some("FGW"),
            email: None,
        },
    )?;
    let user = CurrentUser::from_row(row)?;
    let meta: ReleaseMeta = serde_json::from_value(serde_json::json!({
        "title": "季度统计", "department": "FGW", "data_category": "statistics",
        "open_mode": "unconditional",
    }))?;
    let meta = NewRelease::try_from(meta)?;
    let started = Instant::now();
    for i in 0..count {
        let text = format!("第{i}期统计数据\n联系人：张建国，手机13812345678。\n");
        let mut spool = state.store.writer()?;
        spool.write_all(text.as_bytes())?;
        let uploads = vec![Upload {
            name: "stats.txt".into(),
            spool,
        }];
        let stored = releases::store_uploads(&state, uploads)?;
        releases::submit(&state, &mut conn, &user, meta.clone(), stored)?;
        releasegate::jobs::drain(&state)?;
    }
    let took = started.elapsed();
    println!(
        "{count} filings in {:.2} s: {:.1} filings/s",
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
    drop(conn);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
