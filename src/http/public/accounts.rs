//! Public accounts, their keys and their applications for conditional data.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::super::identity::{client_address, presented_token, Credential, PublicUser};
use super::super::params::{Limit, PageQuery, Query};
use crate::app::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::ids::ReleaseId;
use crate::service::public::{
    self, AccountView, ApplicationState, ApplicationView, KeyView, NewKey, Registration,
};
use crate::service::releases::{clamp_limit, Page};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register_account)
        .service(verify_account)
        .service(public_login)
        .service(public_logout)
        .service(create_key)
        .service(list_keys)
        .service(revoke_key)
        .service(apply_for_release)
        .service(my_applications);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    /// One account per address (compared without case).
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    #[schema(max_length = 200)]
    organisation: Option<String>,
    #[schema(min_length = 10)]
    password: String,
}

/// Registers a member of the public; a mail with the verification token is
/// queued, and the account signs in once the token comes back.
#[utoipa::path(
    tag = "public",
    responses(
        (status = CREATED, body = AccountView),
        (status = CONFLICT, description = "an account for this address exists", body = ErrorBody),
    )
)]
#[post("/accounts")]
async fn register_account(
    state: web::Data<AppState>,
    body: web::Json<NewAccount>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let account = state
        .call(move |st, conn| {
            public::register(
                st,
                conn,
                &Registration {
                    email: &body.email,
                    name: &body.name,
                    organisation: body.organisation.as_deref(),
                    password: &body.password,
                },
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(account))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Verification {
    /// The token from the registration mail.
    token: String,
}

/// Confirms an account's e-mail address with the mailed token.
#[utoipa::path(
    tag = "public",
    responses(
        (status = OK, body = AccountView),
        (status = NOT_FOUND, description = "the token is unknown, used or expired", body = ErrorBody),
    )
)]
#[post("/accounts/verify")]
async fn verify_account(
    state: web::Data<AppState>,
    body: web::Json<Verification>,
) -> AppResult<HttpResponse> {
    let token = body.into_inner().token;
    let account = state
        .run(move |conn| public::verify_email(conn, &token))
        .await?;
    Ok(HttpResponse::Ok().json(account))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PublicLogin {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
struct PublicSignedIn {
    /// A bearer token for `/public` (audience `releasegate-public`; never valid on `/api/v1`).
    token: String,
    #[schema(format = DateTime)]
    expires_at: String,
    account: AccountView,
}

/// Signs a member of the public in; repeated failures are throttled.
#[utoipa::path(
    tag = "public",
    responses(
        (status = OK, body = PublicSignedIn),
        (status = UNAUTHORIZED, description = "wrong e-mail address or password", body = ErrorBody),
        (status = FORBIDDEN, description = "the address is not confirmed yet", body = ErrorBody),
        (status = TOO_MANY_REQUESTS, description = "too many attempts: see Retry-After", body = ErrorBody),
    )
)]
#[post("/auth/login")]
async fn public_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<PublicLogin>,
) -> AppResult<HttpResponse> {
    let PublicLogin { email, password } = body.into_inner();
    let address = client_address(&req, &state.settings.trusted_proxies);
    let account = state
        .call(move |st, conn| public::sign_in(st, conn, &email, &password, address))
        .await?;
    let (token, expires) = state
        .tokens
        .issue_public(&account.id, &account.email)
        .map_err(AppError::internal)?;
    Ok(HttpResponse::Ok().json(PublicSignedIn {
        token,
        expires_at: expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        account: AccountView::from(&account),
    }))
}

/// Signs the caller out: the token presented is refused from now on (keys
/// are revoked one by one with `DELETE /public/keys/{id}`).
#[utoipa::path(
    tag = "public",
    responses(
        (status = NO_CONTENT, description = "the token no longer works"),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "presented with a key rather than a token", body = ErrorBody),
    ),
    security(("public_bearer" = []))
)]
#[post("/auth/logout")]
async fn public_logout(
    state: web::Data<AppState>,
    user: PublicUser,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    signed_in_with_token(&user)?;
    let token = presented_token(&req, Credential::Bearer).unwrap_or_default();
    state
        .call(move |st, conn| public::sign_out(st, conn, &token))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Keys are managed with a signed-in token: a key cannot mint or revoke keys.
fn signed_in_with_token(user: &PublicUser) -> AppResult<&str> {
    match user.0.key_id {
        None => Ok(&user.0.account_id),
        Some(_) => Err(AppError::Forbidden(
            "API keys are managed with a signed-in token, not with a key".into(),
        )),
    }
}

/// Creates an API key; the key is in this answer only.
#[utoipa::path(
    tag = "public",
    responses(
        (status = CREATED, body = NewKey),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "presented with a key rather than a token", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`limit_reached`: too many active keys", body = ErrorBody),
    ),
    security(("public_bearer" = []))
)]
#[post("/keys")]
async fn create_key(state: web::Data<AppState>, user: PublicUser) -> AppResult<HttpResponse> {
    let account = signed_in_with_token(&user)?.to_string();
    let key = state
        .run(move |conn| public::create_key(conn, &account))
        .await?;
    Ok(HttpResponse::Created().json(key))
}

/// The caller's keys (never their secrets), newest first.
#[utoipa::path(
    tag = "public",
    params(PageQuery),
    responses(
        (status = OK, body = Page<KeyView>),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "presented with a key rather than a token", body = ErrorBody),
    ),
    security(("public_bearer" = []))
)]
#[get("/keys")]
async fn list_keys(
    state: web::Data<AppState>,
    user: PublicUser,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let account = signed_in_with_token(&user)?.to_string();
    let q = q.into_inner();
    let limit = clamp_limit(q.limit());
    let page = state
        .run(move |conn| public::list_keys(conn, &account, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Revokes one of the caller's keys; it stops working at once.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path)),
    responses(
        (status = NO_CONTENT, description = "the key no longer works"),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = FORBIDDEN, description = "presented with a key rather than a token", body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
    ),
    security(("public_bearer" = []))
)]
#[delete("/keys/{id}")]
async fn revoke_key(
    state: web::Data<AppState>,
    user: PublicUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let account = signed_in_with_token(&user)?.to_string();
    state
        .run(move |conn| public::revoke_key(conn, &account, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewApplication {
    /// Why the data is needed.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    purpose: String,
    /// What it will be used for, and how.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    intended_use: String,
}

/// Applies for a conditional release's files; a dept_approver of the
/// owning department decides.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path)),
    responses(
        (status = CREATED, body = ApplicationView),
        (status = UNAUTHORIZED, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`exists`: an application is pending or approved", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`not_conditional`: the release is open to all", body = ErrorBody),
    ),
    security(("public_bearer" = []), ("api_key" = []))
)]
#[post("/releases/{id}/applications")]
async fn apply_for_release(
    state: web::Data<AppState>,
    user: PublicUser,
    id: web::Path<ReleaseId>,
    body: web::Json<NewApplication>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let caller = user.0;
    let application = state
        .write(move |st, conn| {
            public::apply(
                conn,
                &caller,
                &id,
                &body.purpose,
                &body.intended_use,
                &st.settings.public_url,
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(application))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApplicationQuery {
    #[param(inline)]
    pub state: Option<ApplicationState>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    #[param(inline)]
    pub limit: Option<Limit>,
}

/// The caller's own applications, newest first.
#[utoipa::path(
    tag = "public",
    params(ApplicationQuery),
    responses(
        (status = OK, body = Page<ApplicationView>),
        (status = UNAUTHORIZED, body = ErrorBody),
    ),
    security(("public_bearer" = []), ("api_key" = []))
)]
#[get("/applications")]
async fn my_applications(
    state: web::Data<AppState>,
    user: PublicUser,
    q: Query<ApplicationQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let caller = user.0;
    let limit = clamp_limit(Limit::get(q.limit));
    let page = state
        .run(move |conn| public::list_mine(conn, &caller, q.state, q.cursor.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
