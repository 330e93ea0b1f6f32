//! The one write path of an audited change to a release: facts read under
//! the audit lock → `workflow::allowed` → apply → re-evaluate → one audit
//! event → publication if due, all in one transaction.

use chrono::NaiveDateTime;

use super::evaluate::{reevaluate, release_facts, Transition};
use super::load;
use super::publish::{self, Renditions};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::db::models::Release;
use crate::db::{write_tx, DbConn};
use crate::error::AppResult;
use crate::ids::ReleaseId;
use crate::service::audit_log;
use crate::workflow::{self, Action, ReleaseFacts, State};

/// What a change wrote: its result and the audit details it adds.
pub(super) struct Applied<T> {
    pub value: T,
    pub details: serde_json::Value,
}

/// Runs one audited change to an existing release. The facts `allowed`
/// judges are read inside the transaction, after the audit lock is taken,
/// so a change decided on facts another request has meanwhile changed is
/// refused instead of undoing that request.
pub(super) fn commit<T>(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    (action, event): (Action<'_>, audit::Action),
    renditions: &Renditions,
    apply: impl FnOnce(&mut DbConn, &mut Release, &ReleaseFacts, NaiveDateTime) -> AppResult<Applied<T>>,
) -> AppResult<T> {
    write_tx(conn, |conn| {
        let mut release = load(conn, release_id)?;
        let facts = release_facts(conn, &state.policies.workflow, &release)?;
        workflow::allowed(&state.policies.workflow, &facts, &user.actor(), &action)?;
        let now = crate::audit::now();
        let Applied { value, details } = apply(conn, &mut release, &facts, now)?;
        let change = Change {
            from: facts.state,
            event,
            details,
        };
        settle(
            state,
            conn,
            &user.username,
            &mut release,
            change,
            renditions,
            now,
        )?;
        Ok(value)
    })
}

/// An audited act on a release that changes nothing in it (a value shown):
/// the facts re-read under the audit lock, `allowed` asked again, one event
/// about `version`. The caller asked `allowed` before its slow work; this
/// answer is the one that counts.
pub(super) fn record(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    (release_id, version): (&ReleaseId, i32),
    (action, event): (Action<'_>, audit::Action),
    details: serde_json::Value,
) -> AppResult<()> {
    write_tx(conn, |conn| {
        let release = load(conn, release_id)?;
        let facts = release_facts(conn, &state.policies.workflow, &release)?;
        workflow::allowed(&state.policies.workflow, &facts, &user.actor(), &action)?;
        audit_log::append(
            conn,
            audit_log::draft(&user.username, event, Some((release_id, version)), details),
        )?;
        Ok::<_, crate::error::AppError>(())
    })
}

/// One change as the audit trail records it.
pub(super) struct Change {
    /// The release's state before the change.
    pub from: State,
    pub event: audit::Action,
    pub details: serde_json::Value,
}

/// The tail every audited change shares: stages and state re-evaluated from
/// `from`, the event (with both states) appended, publication if now due.
pub(super) fn settle(
    state: &AppState,
    conn: &mut DbConn,
    actor: &str,
    release: &mut Release,
    change: Change,
    renditions: &Renditions,
    now: NaiveDateTime,
) -> AppResult<Transition> {
    let Change {
        from,
        event,
        mut details,
    } = change;
    let transition = reevaluate(state, conn, release, from, now)?;
    if let Some(map) = details.as_object_mut() {
        map.insert("from_state".into(), from.as_str().into());
        map.insert("state".into(), transition.to.as_str().into());
    }
    audit_log::append(
        conn,
        audit_log::draft(actor, event, Some((&release.id, release.version)), details),
    )?;
    publish::after_transition(state, conn, release, &transition, (actor, renditions), now)?;
    // A decision, withdrawal or retraction is sealed by a checkpoint at
    // once, so its receipt exists when the call returns (publication, which
    // also runs on a timer, seals itself).
    if audit::Action::RECEIPTED.contains(&event) {
        crate::service::audit_tree::checkpoint(conn, &state.checkpoint_key)?;
    }
    Ok(transition)
}
