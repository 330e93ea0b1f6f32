use std::future::Future;
use std::pin::Pin;

use actix_web::{web, FromRequest, HttpRequest};
use diesel::prelude::*;

use crate::app::AppState;
use crate::db::models::User;
use crate::db::schema::{revoked_tokens, users};
use crate::error::AppError;
use crate::policy::{parse_roles, Role};

/// Name of the dashboard's session cookie (the same JWT as the API's bearer token).
pub const SESSION_COOKIE: &str = "rg_session";

/// The signed-in user, loaded fresh from the database on every request so a
/// deactivated account or a changed role takes effect at once.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: String,
    pub username: String,
    pub roles: Vec<Role>,
    pub department: Option<String>,
}

impl CurrentUser {
    /// The user as the workflow rules see them.
    pub fn actor(&self) -> crate::workflow::Actor<'_> {
        crate::workflow::Actor {
            id: &self.id,
            roles: &self.roles,
            department: self.department.as_deref(),
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.has(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("this needs the role {role}")))
        }
    }

    pub fn from_row(user: User) -> Result<Self, AppError> {
        let roles = parse_roles(&user.roles).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
        Ok(Self {
            id: user.id,
            username: user.username,
            roles,
            department: user.department,
        })
    }
}

/// The token the request presents: the bearer header, else the session cookie.
pub fn presented_token(req: &HttpRequest) -> Option<String> {
    if let Some(value) = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
    {
        return value.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    req.cookie(SESSION_COOKIE).map(|c| c.value().to_string())
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = presented_token(req);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
            let token =
                token.ok_or_else(|| AppError::Unauthorized("missing bearer token".into()))?;
            let claims = state
                .tokens
                .verify(&token)
                .map_err(|e| AppError::Unauthorized(format!("invalid token: {e}")))?;
            let digest = super::token_digest(&token);
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
        })
    }
}
