//! Signing in and out, and accounts for administrators.

use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::super::identity::{client_address, presented_token, Credential};
use super::super::params::{PageQuery, Query};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::policy::Role;
use crate::service::accounts::{self, UserChange, UserView};
use crate::service::releases::{self, Page};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct SignedIn {
    /// A bearer token for `Authorization: Bearer ...`.
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
    user: UserView,
}

/// Signs in with a username and password; repeated failures are throttled.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = OK, body = SignedIn),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = UNAUTHORIZED, description = "wrong username or password", body = ErrorBody),
        (status = TOO_MANY_REQUESTS, description = "too many attempts: see Retry-After", body = ErrorBody),
    )
)]
#[post("/auth/login")]
pub(super) async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<Login>,
) -> AppResult<HttpResponse> {
    let Login { username, password } = body.into_inner();
    let address = client_address(&req, &state.settings.trusted_proxies);
    let user = state
        .call(move |st, conn| accounts::sign_in(st, conn, &username, &password, address))
        .await?;
    let (token, expires) = state
        .tokens
        .issue(&user.id, &user.username, None)
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(SignedIn {
        token,
        expires_at: expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        user: accounts::user_view(&user),
    }))
}

/// Revokes the token this request presents (until it would have expired).
#[utoipa::path(
    tag = "auth",
    responses((status = NO_CONTENT, description = "the token no longer works")),
    security(("bearer" = []))
)]
#[post("/auth/logout")]
pub(super) async fn logout(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let token = presented_token(&req, Credential::Bearer).unwrap_or_default();
    let claims = state
        .tokens
        .verify(&token)
        .map_err(|e| AppError::Unauthorized(format!("invalid token: {e}")))?;
    let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
        .unwrap_or_default()
        .naive_utc();
    let digest = crate::auth::token_digest(&token);
    state
        .run(move |conn| accounts::end_session(conn, &user.username, &digest, expires_at))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
struct Me {
    id: String,
    username: String,
    roles: Vec<Role>,
    department: Option<String>,
}

/// Who the token belongs to.
#[utoipa::path(tag = "auth", responses((status = OK, body = Me)), security(("bearer" = [])))]
#[get("/me")]
pub(super) async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(Me {
        id: user.id,
        username: user.username,
        roles: user.roles,
        department: user.department,
    })
}

/// Accounts, for administrators, in username order.
#[utoipa::path(
    tag = "accounts",
    params(PageQuery),
    responses((status = OK, body = Page<UserView>), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/users")]
pub(super) async fn list_users(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let q = q.into_inner();
    let (rows, next_cursor) = state
        .run(move |conn| {
            accounts::list_users(conn, q.cursor.as_deref(), releases::clamp_limit(q.limit()))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page {
        items: rows.iter().map(accounts::user_view).collect::<Vec<_>>(),
        next_cursor,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    #[schema(pattern = "^[A-Za-z0-9._-]{3,64}$")]
    username: String,
    #[schema(min_length = 10)]
    password: String,
    #[schema(min_items = 1)]
    roles: Vec<Role>,
    /// A department code from policies/departments.toml.
    department: Option<String>,
    email: Option<String>,
}

/// Creates an account.
#[utoipa::path(
    tag = "accounts",
    responses(
        (status = CREATED, body = UserView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = CONFLICT, description = "`exists`: the username is taken", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_department`, `department_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/users")]
pub(super) async fn add_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: web::Json<NewUserBody>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let b = body.into_inner();
    let created = state
        .write(move |_, conn| {
            let new = accounts::NewUser {
                username: &b.username,
                password: &b.password,
                roles: &b.roles,
                department: b.department.as_deref(),
                email: b.email.as_deref(),
            };
            accounts::add_user_by(conn, &user.username, &new)
        })
        .await?;
    Ok(HttpResponse::Created().json(accounts::user_view(&created)))
}

/// Changes roles, department, email, password or whether the account is active.
#[utoipa::path(
    tag = "accounts",
    params(("username" = String, Path)),
    responses(
        (status = OK, body = UserView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_department`, `department_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/users/{username}")]
pub(super) async fn update_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    username: web::Path<String>,
    body: web::Json<UserChange>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let change = body.into_inner();
    let updated = state
        .write(move |_, conn| accounts::update_user(conn, &user.username, &username, change))
        .await?;
    Ok(HttpResponse::Ok().json(accounts::user_view(&updated)))
}
