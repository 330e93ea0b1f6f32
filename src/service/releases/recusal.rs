//! A reviewer steps back from a release (conflict of interest): it stays in
//! the pool for their colleagues and leaves their queue, and the rules bar
//! them from deciding, dispositioning or revealing anything of it.

use diesel::prelude::*;

use super::change::{commit, Applied};
use super::publish::Renditions;
use super::review::note_required;
use super::views::{self, ReleaseView};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::schema::recusals;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::ids::ReleaseId;
use crate::workflow::{Action, Note};

pub fn recuse(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    stage: &str,
    reason: &Note,
) -> AppResult<ReleaseView> {
    commit(
        state,
        conn,
        user,
        release_id,
        (
            Action::Recuse { stage },
            crate::audit::Action::ReviewerRecused,
        ),
        &Renditions::none(),
        |conn, _, _, now| {
            note_required(reason, "a recusal")?;
            diesel::insert_into(recusals::table)
                .values((
                    recusals::id.eq(ulid::Ulid::new().to_string()),
                    recusals::release_id.eq(release_id),
                    recusals::user_id.eq(&user.id),
                    recusals::stage.eq(stage),
                    recusals::reason.eq(reason.as_str()),
                    recusals::created_at.eq(now),
                ))
                .execute(conn)?;
            Ok(Applied {
                value: (),
                details: serde_json::json!({"stage": stage, "reason": reason.as_str()}),
            })
        },
    )?;
    views::view(state, conn, user, release_id)
}
