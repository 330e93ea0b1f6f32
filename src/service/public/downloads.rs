//! Public downloads: open data to anyone, conditional data (有条件开放) only
//! to a signed-in member of the public with an approved application, each
//! copy carrying its trace. Every answer for a published file — the
//! download and the refusal alike — is a row in the access log.

use super::access_log::record;
use super::accounts::PublicCaller;
use super::applications::approved_grant;
use super::audit_actor;
use crate::app::AppState;
use crate::audit::Draft;
use crate::db::models::AccessLogRow;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::ids::ReleaseId;
use crate::redact::{Placement, LAST_BYTES};
use crate::service::audit_log;
use crate::service::releases::{published_file, OpenMode, PublishedFile};
use crate::store::Verified;

/// Who asks, as the access log records them.
pub struct Requester {
    pub caller: Option<PublicCaller>,
    /// Why the credentials presented were refused (an unknown or revoked
    /// key, a lapsed token): answered 401, and logged like any answer.
    pub refused: Option<String>,
    pub address: String,
    pub user_agent: Option<String>,
}

/// A file to send.
pub struct Download {
    pub name: String,
    pub body: Body,
    /// For conditional data: the audit event to write before the bytes go out.
    pub audit: Option<Draft>,
}

/// The bytes of a download.
pub enum Body {
    /// The stored rendition, read as it is sent, then `tail` (a text's or
    /// CSV's trace line): a large file never sits in memory.
    Stored { file: Verified, tail: Vec<u8> },
    /// A copy rewritten with its trace inside (a package, a PDF).
    Whole(Vec<u8>),
}

impl Body {
    pub fn len(&self) -> u64 {
        match self {
            Self::Stored { file, tail } => file.len() + tail.len() as u64,
            Self::Whole(bytes) => bytes.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The approved application `who` downloads conditional data under, or
/// why not: 401 with no credentials or refused ones, 403 without an
/// approved application.
fn grant(conn: &mut DbConn, file: &PublishedFile, who: &Requester) -> AppResult<Option<String>> {
    if let Some(refused) = &who.refused {
        return Err(AppError::Unauthorized(refused.clone()));
    }
    if file.release.open_mode != OpenMode::Conditional {
        return Ok(None);
    }
    let caller = who.caller.as_ref().ok_or_else(|| {
        AppError::Unauthorized(
            "this release is open only on conditions (有条件开放): sign in to /public or present an API key, with an approved application".into(),
        )
    })?;
    approved_grant(conn, &file.release.id, &caller.account_id)?
        .map(Some)
        .ok_or_else(|| {
            AppError::Forbidden(format!(
                "no approved application of yours for release {}: apply at /public/releases/{}/applications",
                file.release.id, file.release.id
            ))
        })
}

/// The published rendition of `name`, if `who` may have it. The answer is
/// logged either way (a file that does not exist is not: there is nothing
/// to trace).
pub fn download(
    state: &AppState,
    conn: &mut DbConn,
    id: &ReleaseId,
    name: &str,
    who: &Requester,
) -> AppResult<Download> {
    let file = published_file(conn, id, name)?;
    let mut row = AccessLogRow {
        id: ulid::Ulid::new().to_string(),
        at: crate::audit::now(),
        release_id: file.release.id.clone(),
        file_name: file.name.clone(),
        account_id: who.caller.as_ref().map(|c| c.account_id.clone()),
        key_id: who.caller.as_ref().and_then(|c| c.key_id.clone()),
        address: who.address.clone(),
        user_agent: who.user_agent.clone(),
        status: 200,
        bytes: 0,
    };
    let application = match grant(conn, &file, who) {
        Ok(application) => application,
        Err(refusal) => {
            row.status = i32::from(refusal.code().status().as_u16());
            record(conn, &row)?;
            return Err(refusal);
        }
    };
    let mut stored = state
        .store
        .open_verified(&file.sha256)
        .map_err(AppError::internal)?;
    let (body, audit) = match (&application, &who.caller) {
        (Some(application), Some(caller)) => {
            let trace =
                crate::redact::trace_text(&caller.name, &caller.email, application, &row.at);
            let last = stored.last_bytes(LAST_BYTES).map_err(AppError::internal)?;
            let placement =
                crate::redact::placement(file.kind, file.encoding.as_deref(), &last, &trace)
                    .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
            let (body, traced) = match placement {
                Placement::After(tail) => (Body::Stored { file: stored, tail }, true),
                Placement::None => (
                    Body::Stored {
                        file: stored,
                        tail: Vec::new(),
                    },
                    false,
                ),
                Placement::Inside => {
                    let mut bytes = state.store.get(&file.sha256).map_err(AppError::internal)?;
                    let traced = crate::redact::append_trace(
                        file.kind,
                        file.encoding.as_deref(),
                        &mut bytes,
                        &trace,
                    )
                    .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
                    (Body::Whole(bytes), traced)
                }
            };
            let audit = audit_log::draft(
                &audit_actor(&caller.account_id),
                crate::audit::Action::ReleaseDownloaded,
                Some((&file.release.id, file.release.version)),
                serde_json::json!({
                    "file": file.name,
                    "application": application,
                    "key": caller.key_id,
                    "address": who.address,
                    "traced": traced,
                    "access": row.id,
                }),
            );
            (body, Some(audit))
        }
        _ => (
            Body::Stored {
                file: stored,
                tail: Vec::new(),
            },
            None,
        ),
    };
    row.bytes = body.len() as i64;
    record(conn, &row)?;
    Ok(Download {
        name: file.name,
        body,
        audit,
    })
}

/// Writes a conditional download's audit event (under the writer's turn).
pub fn record_conditional_download(conn: &mut DbConn, draft: Draft) -> AppResult<()> {
    crate::db::write_tx(conn, |conn| {
        audit_log::append(conn, draft)?;
        Ok::<_, AppError>(())
    })
}
