//! Who is calling: the one place that reads a request's credentials and
//! turns them into a `CurrentUser`. The JSON API takes the bearer header
//! only, so a browser's session cookie can never drive it (no CSRF through
//! `/api/v1`); pages take the session cookie and check a CSRF token on
//! every form.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use diesel::prelude::*;

use crate::app::AppState;
use crate::auth::{token_digest, CurrentUser};
use crate::db::models::User;
use crate::db::schema::{revoked_tokens, users};
use crate::error::AppError;

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
    let (user, revoked) = state
        .run(move |conn| {
            let user = users::table
                .find(&claims.sub)
                .select(User::as_select())
                .first(conn)
                .optional()?;
            let revoked: bool =
                diesel::select(diesel::dsl::exists(revoked_tokens::table.find(&digest)))
                    .get_result(conn)?;
            Ok((user, revoked))
        })
        .await?;
    if revoked {
        return Err(AppError::Unauthorized(
            "this session was ended by signing out".into(),
        ));
    }
    match user {
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
