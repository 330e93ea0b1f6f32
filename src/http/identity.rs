//! Who is calling: the one place that reads a request's credentials and
//! turns them into a `CurrentUser`. The JSON API takes the bearer header
//! only, so a browser's session cookie can never drive it (no CSRF through
//! `/api/v1`); pages take the session cookie and check a CSRF token on
//! every form.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use diesel::prelude::*;

use crate::app::AppState;
use crate::auth::{token_digest, CurrentUser};
use crate::db::models::User;
use crate::db::schema::{revoked_tokens, users};
use crate::error::AppError;
use crate::service::public::{self, PublicCaller};

/// Name of the dashboard's session cookie (the same JWT as the API's bearer token).
pub const SESSION_COOKIE: &str = "rg_session";

/// Where a credential may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer …` only: the JSON API.
    Bearer,
    /// The session cookie, else a bearer header: the dashboard pages.
    Session,
}

/// The token the request presents under `credential`'s rule.
pub fn presented_token(req: &HttpRequest, credential: Credential) -> Option<String> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    match credential {
        Credential::Bearer => bearer,
        Credential::Session => req
            .cookie(SESSION_COOKIE)
            .map(|c| c.value().to_string())
            .or(bearer),
    }
}

/// The client's address: the peer, or — when the peer is a configured
/// reverse proxy — the last address it appended to `X-Forwarded-For`.
/// Headers from anyone else are ignored, so they cannot choose the address
/// the sign-in throttle sees.
pub fn client_address(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    if !trusted_proxies.contains(&peer) {
        return peer;
    }
    req.headers()
        .get("X-Forwarded-For")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|a| a.trim().parse().ok())
        .unwrap_or(peer)
}

/// Whether the request reached the service over TLS: `X-Forwarded-Proto`
/// counts only from a configured proxy.
pub fn is_tls(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> bool {
    let from_proxy = req
        .peer_addr()
        .is_some_and(|a| trusted_proxies.contains(&a.ip()));
    if from_proxy {
        req.connection_info().scheme() == "https"
    } else {
        req.app_config().secure()
    }
}

/// Verifies `token` and loads its user, fresh from the database, so a
/// disabled account or a changed role takes effect at once.
pub async fn authenticate(
    state: &AppState,
    token: Option<String>,
) -> Result<CurrentUser, AppError> {
    let token = token.ok_or_else(|| AppError::Unauthorized("missing bearer token".into()))?;
    let claims = state
        .tokens
        .verify(&token)
        .map_err(|e| AppError::Unauthorized(format!("invalid token: {e}")))?;
    let digest = token_digest(&token);
    // One round trip: the user and whether this token was signed out.
    let found: Option<(User, bool)> = state
        .run(move |conn| {
            let revoked = diesel::dsl::exists(revoked_tokens::table.find(digest));
            Ok(users::table
                .find(&claims.sub)
                .select((User::as_select(), revoked))
                .first(conn)
                .optional()?)
        })
        .await?;
    let user = match found {
        Some((_, true)) => {
            return Err(AppError::Unauthorized(
                "this session was ended by signing out".into(),
            ))
        }
        Some((user, false)) => Some(user),
        None => None,
    };
    let issued = chrono::DateTime::from_timestamp_millis(claims.iat_ms).map(|t| t.naive_utc());
    let superseded = |user: &User| {
        user.sessions_valid_after
            .is_some_and(|after| issued.is_none_or(|at| at < after))
    };
    match user {
        Some(user) if superseded(&user) => Err(AppError::Unauthorized(
            "this session ended when the account changed (password, roles or status): sign in again".into(),
        )),
        Some(user) if user.active => CurrentUser::from_row(user),
        _ => Err(AppError::Unauthorized(
            "the token's user no longer exists or is disabled".into(),
        )),
    }
}

/// The API's caller, from the bearer header alone.
impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = presented_token(req, Credential::Bearer);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
            authenticate(&state, token).await
        })
    }
}

/// Header a member of the public presents an API key in.
pub const API_KEY_HEADER: &str = "X-API-Key";

/// A member of the public who must be signed in (401 without).
pub struct PublicUser(pub PublicCaller);

/// The public caller once resolved for a request (by `http::public::guard`),
/// so that the extractors do not look the credentials up again.
#[derive(Clone)]
struct ResolvedCaller(Option<PublicCaller>);

/// The member of the public the request's token or API key names, if any;
/// an invalid or blocked credential is an error, never anonymous.
pub async fn public_caller(req: &HttpRequest) -> Result<Option<PublicCaller>, AppError> {
    if let Some(ResolvedCaller(caller)) = req.extensions().get::<ResolvedCaller>().cloned() {
        return Ok(caller);
    }
    let caller = look_up_public_caller(req).await?;
    req.extensions_mut().insert(ResolvedCaller(caller.clone()));
    Ok(caller)
}

async fn look_up_public_caller(req: &HttpRequest) -> Result<Option<PublicCaller>, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
    let key = req
        .headers()
        .get(API_KEY_HEADER)
        .map(|v| v.to_str().map(str::to_string));
    let token = presented_token(req, Credential::Bearer);
    match (key, token) {
        (Some(Err(_)), _) => Err(AppError::Unauthorized(format!(
            "{API_KEY_HEADER} is not a valid header value"
        ))),
        (Some(Ok(key)), _) => state
            .run(move |conn| public::authenticate_key(conn, &key))
            .await
            .map(Some),
        (None, Some(token)) => state
            .call(move |st, conn| public::authenticate_token(st, conn, &token))
            .await
            .map(Some),
        (None, None) => Ok(None),
    }
}

impl FromRequest for PublicUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            public_caller(&req).await?.map(PublicUser).ok_or_else(|| {
                AppError::Unauthorized(format!(
                    "sign in (POST /public/auth/login) and present the token, or present an {API_KEY_HEADER}"
                ))
            })
        })
    }
}
