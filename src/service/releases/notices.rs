//! Who hears about a change: reviewers when a stage starts waiting for them,
//! the submitter when their release is decided. Mails are queued in the
//! outbox inside the change's transaction (see `notify`).

use std::collections::BTreeSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::State;
use crate::app::AppState;
use crate::db::models::Release;
use crate::db::schema::release_stages;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::ids::ReleaseId;
use crate::notify;

/// The release as mail may name it: its title with whatever the scanner
/// finds in it masked (an ID number or a phone in a title must not travel
/// by mail any more than it may be published).
pub(crate) fn for_mail(state: &AppState, release: &Release) -> Release {
    let found = state.policies.scanner.scan(&release.title);
    let mut shown = release.clone();
    if !found.is_empty() {
        shown.title = crate::scan::mask_all(&release.title, &found);
    }
    shown
}

/// Stages of the release someone can act on now.
pub fn actionable_stages(
    conn: &mut DbConn,
    release_id: &ReleaseId,
) -> QueryResult<BTreeSet<String>> {
    Ok(release_stages::table
        .filter(release_stages::release_id.eq(release_id))
        .filter(release_stages::actionable.eq(true))
        .select(release_stages::stage)
        .load::<String>(conn)?
        .into_iter()
        .collect())
}

pub fn announce(
    state: &AppState,
    conn: &mut DbConn,
    release: &Release,
    waiting_before: &BTreeSet<String>,
    (from, to): (State, State),
    now: NaiveDateTime,
) -> AppResult<()> {
    let url = &state.settings.public_url;
    let release = &for_mail(state, release);
    let newly: Vec<(String, Option<String>, Option<NaiveDateTime>)> = release_stages::table
        .filter(release_stages::release_id.eq(&release.id))
        .filter(release_stages::actionable.eq(true))
        .select((
            release_stages::stage,
            release_stages::departments,
            release_stages::deadline,
        ))
        .load(conn)?;
    for (key, departments, deadline) in newly
        .into_iter()
        .filter(|(key, ..)| !waiting_before.contains(key))
    {
        let Some(stage) = state.policies.workflow.stage(&key) else {
            continue;
        };
        let departments: Option<Vec<String>> = departments.map(|d| {
            d.split(',')
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        });
        notify::stage_opened(
            conn,
            release,
            stage,
            departments.as_deref(),
            deadline,
            url,
            now,
        )?;
    }
    let decided = matches!(
        to,
        State::Rejected | State::ChangesRequested | State::Approved | State::Published
    );
    if to != from && decided {
        notify::submitter_told(conn, release, to.as_str(), url, now)?;
    }
    Ok(())
}
