//! What every public request passes first: the rate limit (429 with
//! `Retry-After`), then the blocklist (403 `blocked`) for its address and
//! for the account or key it presents — which also tells the rate limit
//! whether that is a registered bulk user's. Other credential errors are left to
//! the routes that read credentials; the routes that do not ignore them.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceRequest;
use actix_web::dev::ServiceResponse;
use actix_web::middleware::Next;
use actix_web::web;

use super::super::identity::{
    client_address, presented_token, public_caller, Credential, API_KEY_HEADER,
};
use crate::app::AppState;
use crate::error::AppError;
use crate::service::public;

/// The paths the public reaches without a staff account.
pub fn is_guarded(path: &str) -> bool {
    path.starts_with("/public/")
        || path == "/catalog"
        || path.starts_with("/catalog/")
        || super::ckan::is_ckan(path)
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| is_guarded(req.path())) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let address = client_address(req.request(), &state.settings.trusted_proxies);
    // The credential is told apart by its digest: nothing is looked up yet.
    let credential = req
        .headers()
        .get(API_KEY_HEADER)
        .map(|k| k.as_bytes().to_vec())
        .or_else(|| presented_token(req.request(), Credential::Bearer).map(String::into_bytes))
        .map(|c| crate::store::sha256_hex(&c));
    if let Err(wait) = state.public_limit.admit(credential.as_deref(), address) {
        tracing::info!(%address, "public request over the rate limit");
        let err = AppError::TooManyRequests(wait.as_secs().max(1));
        return Ok(req.error_response(err).map_into_boxed_body());
    }
    let verdict = match state.blocked_ranges.cached(address) {
        Some(verdict) => verdict,
        None => {
            let ranges = state.blocked_ranges.clone();
            state
                .run(move |conn| public::check_address(&ranges, conn, address))
                .await
        }
    };
    if let Err(err) = verdict {
        return Ok(req.error_response(err).map_into_boxed_body());
    }
    if let Some(digest) = credential.as_deref() {
        let bulk_user = match public_caller(req.request()).await {
            Err(err @ AppError::Blocked(_)) => {
                return Ok(req.error_response(err).map_into_boxed_body())
            }
            Ok(Some(caller)) => caller.requests_per_minute.map(|n| (caller.account_id, n)),
            _ => None,
        };
        let bulk_user = bulk_user
            .as_ref()
            .map(|(account, n)| (account.as_str(), *n));
        state.public_limit.learn(digest, bulk_user);
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}
