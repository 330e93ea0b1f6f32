//! An emergency stop before publication: a secrecy reviewer, a leader or an
//! administrator holds an approved (embargoed) release so that its
//! `publish_at` passes without it going out, and lifts the hold when the
//! doubt is settled. The release stays `approved`; the people around it are
//! told either way.

use diesel::prelude::*;

use super::change::{commit, Applied};
use super::publish::Renditions;
use super::review::note_required;
use super::views::{self, ReleaseView};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::schema::releases;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::ids::ReleaseId;
use crate::notify::{self, ReleaseNotice};
use crate::workflow::{Action, Note};

pub fn hold(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    reason: &Note,
    lift: bool,
) -> AppResult<ReleaseView> {
    let (action, event, notice) = if lift {
        (
            Action::LiftHold,
            crate::audit::Action::HoldLifted,
            ReleaseNotice::HoldLifted,
        )
    } else {
        (
            Action::Hold,
            crate::audit::Action::ReleaseHeld,
            ReleaseNotice::Held,
        )
    };
    commit(
        state,
        conn,
        user,
        release_id,
        (action, event),
        &Renditions::none(),
        |conn, release, _, now| {
            note_required(reason, event.as_str())?;
            let (at, by, why) = if lift {
                (None, None, None)
            } else {
                (
                    Some(now),
                    Some(user.id.clone()),
                    Some(reason.as_str().to_string()),
                )
            };
            diesel::update(releases::table.find(release_id))
                .set((
                    releases::held_at.eq(at),
                    releases::held_by.eq(&by),
                    releases::hold_reason.eq(&why),
                ))
                .execute(conn)?;
            (release.held_at, release.held_by, release.hold_reason) = (at, by, why);
            let told = notify::release_notice(
                conn,
                &super::notices::for_mail(state, release),
                notice,
                reason.as_str(),
                &state.settings.public_url,
                now,
            )?;
            Ok(Applied {
                value: (),
                details: serde_json::json!({"reason": reason.as_str(), "notified": told}),
            })
        },
    )?;
    views::view(state, conn, user, release_id)
}
