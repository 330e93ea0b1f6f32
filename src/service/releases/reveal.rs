//! Showing one finding's raw value to the reviewer who owns it. The value is
//! never stored: it is cut again from the original file on each request, and
//! only the fact that it was shown (which finding, where) enters the audit
//! trail.

use diesel::prelude::*;

use super::evaluate::release_facts;
use super::review::load_finding;
use super::{load_readable, COLUMN_SUMMARY_SEGMENT, WHOLE_FILE_SEGMENT};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::models::{Finding, Release};
use crate::db::schema::files;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::{self, Limits};
use crate::ids::{FindingId, ReleaseId};
use crate::workflow::{self, Action};

pub fn reveal(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    release_id: &ReleaseId,
    finding_id: &FindingId,
) -> AppResult<String> {
    let release = load_readable(conn, user, release_id)?;
    let finding = load_finding(conn, release_id, finding_id)?;
    let policy = &state.policies.workflow;
    let facts = release_facts(conn, policy, &release)?;
    let action = Action::Reveal {
        category: finding.category,
    };
    workflow::allowed(policy, &facts, &user.actor(), &action)?;
    if finding.segment == COLUMN_SUMMARY_SEGMENT {
        return Err(AppError::Rule {
            code: ErrorCode::ColumnSummary,
            message: "a column summary stands for many cells and has no single value".into(),
        });
    }
    if finding.segment == WHOLE_FILE_SEGMENT {
        return Err(AppError::Rule {
            code: ErrorCode::NoValue,
            message: "this finding stands for a part of the file (an image, an embedded object), not a value: open the original file to look at it".into(),
        });
    }
    let text = match finding.field.as_deref() {
        Some(field) => field_text(conn, &release, &finding, field)?,
        None => segment_text(state, conn, &finding)?,
    };
    let value = text
        .get(finding.start_byte as usize..finding.end_byte as usize)
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "finding {finding_id} does not point into its text any more"
            ))
        })?
        .to_string();
    // Extraction runs before the chain lock is taken; the value leaves only
    // once the event recording that it was shown has committed, with the
    // rules asked again under that lock (a release withdrawn or a stage
    // decided meanwhile).
    super::change::record(
        state,
        conn,
        user,
        (&release.id, finding.version),
        (action, crate::audit::Action::FindingRevealed),
        serde_json::json!({
            "finding_id": finding.id, "type": finding.entity,
            "location": finding.location.0,
        }),
    )?;
    Ok(value)
}

/// The metadata text a finding was found in. The release keeps only its
/// current title and description, so an older version's are gone.
fn field_text(
    conn: &mut DbConn,
    release: &Release,
    finding: &Finding,
    field: &str,
) -> AppResult<String> {
    let gone = || AppError::Rule {
        code: ErrorCode::StaleVersion,
        message: format!(
            "the {field} of version {} has since been replaced; only the current one can be shown",
            finding.version
        ),
    };
    match field {
        "file_name" => Ok(files::table
            .find(finding.file_id.as_deref().unwrap_or_default())
            .select(files::name)
            .first(conn)?),
        _ if finding.version != release.version => Err(gone()),
        "title" => Ok(release.title.clone()),
        "description" => Ok(release.description.clone()),
        other => Err(AppError::internal(anyhow::anyhow!(
            "finding {} has an unknown field {other:?}",
            finding.id
        ))),
    }
}

/// The extracted segment of the file a finding was found in, cut again from
/// the original.
fn segment_text(state: &AppState, conn: &mut DbConn, finding: &Finding) -> AppResult<String> {
    let (name, sha): (String, String) = files::table
        .find(finding.file_id.as_deref().unwrap_or_default())
        .select((files::name, files::sha256))
        .first(conn)?;
    let original = state.store.get(&sha).map_err(AppError::internal)?;
    // The stored file passed the limits once; re-reading it must not fail on them.
    let mut extracted =
        extract::extract(&name, &original, &Limits::unlimited()).map_err(AppError::internal)?;
    usize::try_from(finding.segment)
        .ok()
        .filter(|&i| i < extracted.segments.len())
        .map(|i| extracted.segments.swap_remove(i).text)
        .ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "finding {} does not point into its file any more",
                finding.id
            ))
        })
}
