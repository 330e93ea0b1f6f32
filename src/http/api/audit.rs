//! The audit log for supervisors: search and export, verify, checkpoints.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::super::export;
use super::super::params::{Limit, Query};
use crate::app::AppState;
use crate::audit::{merkle, Event, Report};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::policy::Role;
use crate::service::releases::{self, Page};
use crate::service::{audit_log, audit_tree};

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum AuditFormat {
    /// One page of events: `{items, next_cursor}`.
    #[default]
    Json,
    /// Every matching event, one per line (each followed by its inclusion
    /// proof when a filter leaves events out), then the checkpoint signed for
    /// the export: verifiable offline with `releasegate audit verify --file X --key K`.
    Ndjson,
    /// Every matching event as CSV.
    Csv,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    /// A release id.
    release: Option<String>,
    /// A username.
    actor: Option<String>,
    /// An action name, e.g. `decision`.
    action: Option<String>,
    /// A department code.
    department: Option<String>,
    /// Events at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Events before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    #[param(inline)]
    format: Option<AuditFormat>,
    /// The `next_cursor` of the page before (an event seq).
    #[param(minimum = 0, maximum = 9223372036854775807_i64)]
    cursor: Option<u64>,
    #[param(inline)]
    limit: Option<Limit>,
}

pub fn parse_time(name: &str, value: &str) -> AppResult<NaiveDateTime> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.naive_utc())
        .map_err(|e| {
            AppError::BadRequest(format!("{name}: {value:?} is not an RFC 3339 time ({e})"))
        })
}

/// Searches the audit log (supervisors); `format=ndjson|csv` streams every match.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses(
        (status = OK, content(
            (Page<Event> = "application/json"),
            (String = "application/x-ndjson"),
            (String = "text/csv"),
        )),
        (status = FORBIDDEN, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/audit")]
pub(super) async fn search_audit(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let q = q.into_inner();
    let filter = audit_log::Filter {
        release: q.release,
        actor: q.actor,
        action: q.action,
        department: q.department,
        from: q
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?,
        to: q.to.as_deref().map(|t| parse_time("to", t)).transpose()?,
    };
    let format = q.format.unwrap_or_default();
    let what = match format {
        AuditFormat::Json => "search",
        AuditFormat::Ndjson => "export.ndjson",
        AuditFormat::Csv => "export.csv",
    };
    let (reader, read) = (user.username.clone(), filter.clone());
    state
        .write(move |_, conn| Ok(audit_log::record_read(conn, &reader, what, &read)?))
        .await?;
    match format {
        AuditFormat::Json => {
            let after = i64::try_from(q.cursor.unwrap_or(0))
                .map_err(|_| AppError::BadRequest("cursor: not an event seq".into()))?;
            let limit = releases::clamp_limit(Limit::get(q.limit));
            let events = state
                .run(move |conn| Ok(audit_log::page(conn, &filter, after, limit + 1)?))
                .await?;
            let page = Page {
                next_cursor: (events.len() as i64 > limit)
                    .then(|| events[limit as usize - 1].seq.to_string()),
                items: events.into_iter().take(limit as usize).collect::<Vec<_>>(),
            };
            Ok(HttpResponse::Ok().json(page))
        }
        AuditFormat::Ndjson => Ok(export::audit(&state, filter, false)),
        AuditFormat::Csv => Ok(export::audit(&state, filter, true)),
    }
}

/// Verifies the whole log: every event, the chain, and the Merkle tree's
/// root at every signed checkpoint; events older than ten minutes must be
/// covered by one.
#[utoipa::path(
    tag = "audit",
    responses((status = OK, body = Report), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/audit/verify")]
pub(super) async fn verify_audit(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let reader = user.username.clone();
    state
        .write(move |_, conn| {
            let all = audit_log::Filter::default();
            Ok(audit_log::record_read(conn, &reader, "verify", &all)?)
        })
        .await?;
    let key = state.checkpoint_key.clone();
    let report = state
        .run(move |conn| audit_log::verify(conn, &key, &[]))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Serialize, ToSchema)]
struct SignedCheckpoint {
    /// Events the newest checkpoint covers; null while the log is empty.
    tree_size: Option<i64>,
    /// Whether this call signed it (false: the log had not grown since the last one).
    signed: bool,
    /// The newest checkpoint as a C2SP signed note (as `/public/audit/checkpoint` serves it).
    checkpoint: Option<String>,
}

/// Signs the current tree head now (the server also does so every 5
/// minutes and at every publication).
#[utoipa::path(
    tag = "audit",
    responses((status = OK, body = SignedCheckpoint), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/audit/checkpoints")]
pub(super) async fn sign_checkpoint(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let newest = state
        .run(move |conn| audit_tree::checkpoint(conn, &key))
        .await?;
    Ok(HttpResponse::Ok().json(SignedCheckpoint {
        tree_size: newest.as_ref().map(|(c, _)| c.size),
        signed: newest.as_ref().is_some_and(|(_, new)| *new),
        checkpoint: newest.map(|(c, _)| c.note),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CosignatureBody {
    /// A C2SP signed-note signature line over the checkpoint's text,
    /// `— <key name> <base64 key id ‖ signature>` (`releasegate audit cosign`).
    #[schema(max_length = 1000)]
    signature: String,
}

#[derive(Serialize, ToSchema)]
struct Cosigned {
    size: i64,
    /// The co-signer's key name.
    cosigner: String,
}

/// Adds a co-signature to a checkpoint (from a key in
/// `RELEASEGATE_AUDIT_COSIGNERS`, e.g. the secrecy office's); served with
/// it from then on by `/public/audit/checkpoint`.
#[utoipa::path(
    tag = "audit",
    params(("size" = i64, Path, description = "The checkpoint's tree size")),
    request_body = CosignatureBody,
    responses(
        (status = CREATED, body = Cosigned),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, description = "no checkpoint of that size", body = ErrorBody),
        (status = CONFLICT, description = "`exists`: this key co-signed it already", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_cosigner`: a key not allowed to co-sign; `bad_cosignature`: not a signature of this checkpoint", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/audit/checkpoints/{size}/cosignatures")]
pub(super) async fn add_cosignature(
    state: web::Data<AppState>,
    user: CurrentUser,
    size: web::Path<i64>,
    body: web::Json<CosignatureBody>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let size = size.into_inner();
    let line = body.into_inner().signature;
    let cosigner = state
        .write(move |st, conn| {
            audit_tree::add_cosignature(conn, &user.username, size, &line, &st.cosigners)
        })
        .await?;
    Ok(HttpResponse::Created().json(Cosigned { size, cosigner }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct InclusionQuery {
    /// The event.
    #[param(minimum = 1)]
    seq: u64,
    /// The tree size to prove against; default: the newest signed checkpoint's.
    #[param(minimum = 1)]
    size: Option<u64>,
}

#[derive(Serialize, ToSchema)]
struct InclusionProof {
    /// The event's leaf: its seq - 1.
    leaf_index: u64,
    tree_size: u64,
    /// The audit path (RFC 6962 §2.1.1), hex, nearest the leaf first.
    hashes: Vec<String>,
}

/// The RFC 6962 inclusion proof of one event in the tree of `size` events.
#[utoipa::path(
    tag = "audit",
    params(InclusionQuery),
    responses(
        (status = OK, body = InclusionProof),
        (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`outside_log`: no such event or tree size", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/audit/proofs/inclusion")]
pub(super) async fn inclusion_proof(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<InclusionQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let q = q.into_inner();
    let (size, hashes) = state
        .run(move |conn| audit_tree::inclusion_proof(conn, q.seq, q.size))
        .await?;
    Ok(HttpResponse::Ok().json(InclusionProof {
        leaf_index: q.seq - 1,
        tree_size: size,
        hashes: hashes.iter().map(merkle::to_hex).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ConsistencyQuery {
    /// The smaller tree size (a checkpoint kept earlier).
    from: u64,
    /// The larger; default: the newest signed checkpoint's.
    #[param(minimum = 1)]
    to: Option<u64>,
}

#[derive(Serialize, ToSchema)]
struct ConsistencyProof {
    from: u64,
    to: u64,
    /// The consistency proof (RFC 6962 §2.1.2), hex.
    hashes: Vec<String>,
}

/// The RFC 6962 proof that the tree of `from` events is a prefix of the
/// tree of `to`: the log was only appended to in between.
#[utoipa::path(
    tag = "audit",
    params(ConsistencyQuery),
    responses(
        (status = OK, body = ConsistencyProof),
        (status = FORBIDDEN, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`outside_log`: a size the log has not reached, or `from` > `to`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/audit/proofs/consistency")]
pub(super) async fn consistency_proof(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<ConsistencyQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let q = q.into_inner();
    let (to, hashes) = state
        .run(move |conn| audit_tree::consistency_proof(conn, q.from, q.to))
        .await?;
    Ok(HttpResponse::Ok().json(ConsistencyProof {
        from: q.from,
        to,
        hashes: hashes.iter().map(merkle::to_hex).collect(),
    }))
}
