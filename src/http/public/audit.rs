//! What anyone may keep to check the audit log without trusting its
//! operator: the newest signed checkpoint and the key that signs them.

use actix_web::{get, web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::service::audit_tree;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(latest_checkpoint).service(verifier_key);
}

/// The newest signed checkpoint of the audit log: a C2SP signed note
/// (origin, tree size, base64 root hash, then the log's signature line and
/// any co-signers'). Save
/// copies; `releasegate audit verify --checkpoint FILE` proves later that
/// the log still contains each.
#[utoipa::path(
    tag = "public",
    responses(
        (status = OK, content_type = "text/plain", body = String),
        (status = NOT_FOUND, description = "no checkpoint signed yet", body = ErrorBody),
    )
)]
#[get("/audit/checkpoint")]
pub(super) async fn latest_checkpoint(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let note = state
        .run(|conn| match audit_tree::latest(conn)? {
            Some(newest) => Ok(audit_tree::with_cosignatures(conn, &newest)?),
            None => Err(AppError::NotFound(
                "no audit checkpoint is signed yet".into(),
            )),
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(note))
}

/// The key that signs the checkpoints, one per line, in the C2SP note
/// verifier format (`<origin>+<key id>+<base64 Ed25519 key>`).
#[utoipa::path(
    tag = "public",
    responses((status = OK, content_type = "text/plain", body = String))
)]
#[get("/audit/key")]
pub(super) async fn verifier_key(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(format!("{}\n", state.checkpoint_key.verifier_key()))
}
