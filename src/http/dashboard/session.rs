//! Signing in and out, and the start page that sends each role home.

use super::{FormAnswer, HtmlPage};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{get, post};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{csrf_for, render, see_other, Ctx, PageResult, Shell, PRE_SESSION_COOKIE};
use crate::error::AppError;
use crate::http::identity::SESSION_COOKIE;
use crate::policy::Role;
use crate::service::accounts;

/// The signed-in user's home: their queue, their releases, or the audit trail.
#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/")]
pub async fn show_home(ctx: Ctx) -> PageResult {
    let Some(user) = &ctx.user else {
        return Ok(see_other("/login"));
    };
    let to = if Role::REVIEWERS.iter().any(|r| user.has(*r)) {
        "/queue"
    } else if user.has(Role::Submitter) {
        "/releases/mine"
    } else if user.has(Role::Supervisor) {
        "/audit"
    } else {
        "/catalog"
    };
    Ok(see_other(to))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    s: Shell,
    username: String,
    failed: bool,
}

/// The login form. Before there is a session the CSRF token is bound to a
/// random pre-session cookie (so a foreign site cannot sign a victim in).
#[utoipa::path(tag = "dashboard", responses(HtmlPage))]
#[get("/login")]
pub async fn show_login(ctx: Ctx) -> PageResult {
    login_form(&ctx, |s| LoginPage {
        s,
        username: String::new(),
        failed: false,
    })
}

/// A sign-in form (staff or member of the public), with the pre-session
/// cookie its CSRF token is bound to when the browser has none yet.
pub(super) fn login_form<T: Template>(ctx: &Ctx, page: impl FnOnce(Shell) -> T) -> PageResult {
    let mut s = ctx.shell();
    let fresh = match ctx.binding.is_some() {
        true => None,
        false => {
            let value = hex::encode(rand::random::<[u8; 16]>());
            s.csrf = csrf_for(&ctx.state, &value);
            Some(value)
        }
    };
    let mut res = render(ctx, &page(s))?;
    if let Some(value) = fresh {
        let cookie = Cookie::build(PRE_SESSION_COOKIE, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(ctx.secure)
            .finish();
        res.add_cookie(&cookie)
            .map_err(|e| ctx.fail(AppError::internal(e)))?;
    }
    Ok(res)
}

/// A redirect to `to` that sets the session cookie `name` to `token` for
/// `ttl` and drops the pre-session cookie.
pub(super) fn signed_in_as(
    ctx: &Ctx,
    to: &str,
    name: &'static str,
    token: String,
    ttl: chrono::Duration,
) -> PageResult {
    let session = Cookie::build(name, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(ctx.secure)
        .max_age(actix_web::cookie::time::Duration::seconds(
            ttl.num_seconds(),
        ))
        .finish();
    let mut res = see_other(to);
    res.add_cookie(&session)
        .map_err(|e| ctx.fail(AppError::internal(e)))?;
    res.add_removal_cookie(&Cookie::build(PRE_SESSION_COOKIE, "").path("/").finish())
        .map_err(|e| ctx.fail(AppError::internal(e)))?;
    Ok(res)
}

/// A redirect to `to` that drops the session cookie `name`.
pub(super) fn signed_out_of(ctx: &Ctx, to: &str, name: &'static str) -> PageResult {
    let mut res: HttpResponse = see_other(to);
    res.add_removal_cookie(&Cookie::build(name, "").path("/").finish())
        .map_err(|e| ctx.fail(AppError::internal(e)))?;
    Ok(res)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf_token: String,
}

#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/login")]
pub async fn sign_in(ctx: Ctx, form: web::Form<LoginForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    let LoginForm {
        username, password, ..
    } = form.into_inner();
    let name = username.clone();
    let address = ctx.address;
    let result = ctx
        .state
        .call(move |st, conn| accounts::sign_in(st, conn, &name, &password, address))
        .await;
    let user = match result {
        Ok(user) => user,
        Err(AppError::Unauthorized(_)) => {
            let mut page = render(
                &ctx,
                &LoginPage {
                    s: ctx.shell(),
                    username,
                    failed: true,
                },
            )?;
            *page.status_mut() = actix_web::http::StatusCode::UNAUTHORIZED;
            return Ok(page);
        }
        Err(e) => return Err(ctx.fail(e)),
    };
    let (token, _) = ctx
        .state
        .tokens
        .issue(&user.id, &user.username, None)
        .map_err(|e| ctx.fail(AppError::internal(e)))?;
    signed_in_as(&ctx, "/", SESSION_COOKIE, token, ctx.state.tokens.ttl)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

/// Ends the session: its token is revoked server-side (a copied cookie or
/// the same token used as a bearer gets 401 from now on; other sessions of
/// the user stay signed in) and the cookie is dropped.
#[utoipa::path(tag = "dashboard", responses(FormAnswer))]
#[post("/logout")]
pub async fn sign_out(ctx: Ctx, form: web::Form<CsrfForm>) -> PageResult {
    ctx.check_csrf(&form.csrf_token)?;
    if let (Some(user), Some(token)) = (&ctx.user, &ctx.binding) {
        let claims = ctx
            .state
            .tokens
            .verify(token)
            .map_err(|e| ctx.fail(AppError::internal(e)))?;
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0)
            .unwrap_or_default()
            .naive_utc();
        let (username, digest) = (user.username.clone(), crate::auth::token_digest(token));
        ctx.state
            .run(move |conn| accounts::end_session(conn, &username, &digest, expires_at))
            .await
            .map_err(|e| ctx.fail(e))?;
    }
    signed_out_of(&ctx, "/login", SESSION_COOKIE)
}
