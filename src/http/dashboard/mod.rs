//! The dashboard: server-rendered pages (askama) over the same services as
//! the JSON API. Every page goes through [`Ctx`] (language, signed-in user,
//! CSRF token) and the `page_headers` middleware (CSP and friends, language
//! cookie); errors render as an HTML page with the service's status.

mod audit;
mod catalog;
mod demands;
mod i18n;
mod jobs;
mod leave;
mod overview;
mod participation;
mod queue;
mod release;
mod reports;
mod session;
mod stewardship;
mod submit;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{get, web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use utoipa::PartialSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::http::identity::{self, authenticate, presented_token, Credential};
use crate::policy::Role;

pub use i18n::{Lang, Tr};

const LANG_COOKIE: &str = "rg_lang";
/// Binds the login form's CSRF token before there is a session.
const PRE_SESSION_COOKIE: &str = "rg_presession";
const CSP: &str = "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self'; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const CSS: &str = include_str!("../../../templates/app.css");

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope("")
            .wrap(from_fn(page_headers))
            .service(session::show_home)
            .service(session::show_login)
            .service(session::sign_in)
            .service(session::sign_out)
            .service(queue::show_queue)
            .service(submit::show_new_release)
            .service(submit::show_my_releases)
            .service(submit::file_release)
            .service(release::show_release)
            .service(release::download_receipt)
            .service(release::decide_stage)
            .service(release::dispose_findings)
            .service(stewardship::act_on_release)
            .service(leave::show_leave)
            .service(leave::add_leave)
            .service(leave::end_leave)
            .service(jobs::show_jobs)
            .service(jobs::retry_job)
            .service(release::reveal_finding)
            .service(submit::add_version)
            .service(overview::show_overview)
            .service(reports::show_reports)
            .service(demands::show_demands)
            .service(demands::answer_demand)
            .service(audit::search_audit)
            .service(audit::export_audit)
            .service(audit::verify_audit)
            .service(catalog::show_catalog)
            .service(participation::show_member_login)
            .service(participation::member_sign_in)
            .service(participation::member_sign_out)
            .service(participation::show_public_demands)
            .service(participation::file_demand)
            .service(participation::rate_release)
            .service(stylesheet),
    );
}

/// What a dashboard page answers, for the API document: the page, a
/// redirect (to /login when signed out), or an error page.
pub struct HtmlPage;

/// What a dashboard form post answers: post/redirect/get, or the form
/// again (or an error page) with the problem named.
pub struct FormAnswer;

fn html(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content(
            "text/html",
            utoipa::openapi::ContentBuilder::new()
                .schema(Some(String::schema()))
                .build(),
        )
        .into()
}

fn redirect(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .into()
}

impl utoipa::IntoResponses for HtmlPage {
    fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([
            ("200".into(), html("the page")),
            ("303".into(), redirect("signed out: to /login")),
            ("400".into(), html("a parameter is malformed")),
            (
                "403".into(),
                html("the caller's roles do not allow this page"),
            ),
            ("404".into(), html("no such release")),
        ])
    }
}

impl utoipa::IntoResponses for FormAnswer {
    fn responses() -> BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        BTreeMap::from([
            (
                "200".into(),
                html("the result, or the form again with the problem named"),
            ),
            (
                "303".into(),
                redirect("done: to the page that shows the result"),
            ),
            ("400".into(), html("a field is malformed")),
            (
                "403".into(),
                html("no valid csrf_token, or the caller may not do this"),
            ),
            ("404".into(), html("no such release or finding")),
            (
                "409".into(),
                html("the release's state does not allow this"),
            ),
            ("413".into(), html("the upload is too large")),
            (
                "415".into(),
                html("a file of a kind the service cannot read"),
            ),
            ("422".into(), html("a rule refused it")),
        ])
    }
}

#[utoipa::path(
    tag = "dashboard",
    responses((status = OK, description = "the dashboard's stylesheet", content_type = "text/css", body = String))
)]
#[get("/static/app.css")]
async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(CSS)
}

/// Security headers on every dashboard response, and the language cookie
/// when `?lang=` chose one.
async fn page_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let chosen = query_lang(req.request());
    let secure = is_tls(req.request());
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Some(lang) = chosen {
        let cookie = Cookie::build(LANG_COOKIE, lang.code())
            .path("/")
            .same_site(SameSite::Lax)
            .secure(secure)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(res)
}

fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default()
}

fn query_lang(req: &HttpRequest) -> Option<Lang> {
    query_pairs(req)
        .iter()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// The request's query without `lang`, ready to have `lang=…` appended, so
/// switching the language keeps the page's filters and cursor.
fn query_keeping(req: &HttpRequest) -> String {
    let kept: Vec<(String, String)> = query_pairs(req)
        .into_iter()
        .filter(|(k, _)| k != "lang")
        .collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(q) if !q.is_empty() => format!("{q}&"),
        _ => String::new(),
    }
}

/// The request came over TLS, directly or through a configured proxy that says so.
fn is_tls(req: &HttpRequest) -> bool {
    let proxies = req
        .app_data::<web::Data<crate::app::AppState>>()
        .map(|s| s.settings.trusted_proxies.as_slice())
        .unwrap_or_default();
    identity::is_tls(req, proxies)
}

/// What every page handler needs: language, the signed-in user (if any) and
/// the CSRF token bound to the session.
pub struct Ctx {
    pub lang: Lang,
    pub user: Option<CurrentUser>,
    pub state: web::Data<crate::app::AppState>,
    /// A member of the public signed in on the catalogue pages.
    pub member: Option<participation::Member>,
    /// What the CSRF token is bound to: the staff session token when signed
    /// in, else the member's, else the pre-session cookie of a login form.
    binding: Option<String>,
    pub secure: bool,
    /// The client's address (`identity::client_address`).
    pub address: std::net::IpAddr,
    /// See [`query_keeping`].
    query_keep: String,
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let lang = query_lang(req)
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
            .unwrap_or_default();
        let state = req.app_data::<web::Data<crate::app::AppState>>().cloned();
        let token = presented_token(req, Credential::Session);
        let pre_session = req
            .cookie(PRE_SESSION_COOKIE)
            .map(|c| c.value().to_string());
        let member_token = req
            .cookie(participation::MEMBER_COOKIE)
            .map(|c| c.value().to_string());
        let secure = is_tls(req);
        let address = identity::client_address(
            req,
            state
                .as_ref()
                .map(|s| s.settings.trusted_proxies.as_slice())
                .unwrap_or_default(),
        );
        let query_keep = query_keeping(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| {
                actix_web::Error::from(AppError::internal(anyhow::anyhow!("AppState missing")))
            })?;
            // A missing, expired or foreign session is simply "not signed in".
            let user = authenticate(&state, token.clone()).await.ok();
            let member = participation::Member::authenticate(&state, member_token).await;
            let binding = match (&user, &member) {
                (Some(_), _) => token,
                (None, Some(member)) => Some(member.token.clone()),
                (None, None) => pre_session,
            };
            Ok(Ctx {
                lang,
                user,
                member,
                state,
                binding,
                secure,
                address,
                query_keep,
            })
        })
    }
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        Tr(self.lang)
    }

    /// The CSRF token for forms on this page (empty when nothing binds it yet).
    pub fn csrf(&self) -> String {
        self.binding
            .as_deref()
            .map(|b| csrf_for(&self.state, b))
            .unwrap_or_default()
    }

    /// Refuses a form whose token does not match the session: 403, before
    /// anything is read from or written to the database.
    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        let ok = self.binding.as_deref().is_some_and(|b| {
            self.state
                .tokens
                .verify_mac(format!("csrf|{b}").as_bytes(), token)
        });
        if ok {
            Ok(())
        } else {
            Err(self.fail(AppError::Forbidden(
                "the form's CSRF token is missing or does not match the session".into(),
            )))
        }
    }

    /// The signed-in user, or a redirect to the login page.
    pub fn signed_in(&self) -> Result<&CurrentUser, PageError> {
        self.user
            .as_ref()
            .ok_or_else(|| self.fail(AppError::Unauthorized("sign in first".into())))
    }

    /// The signed-in user holding one of `roles`; 403 otherwise.
    pub fn with_role(&self, roles: &[Role]) -> Result<&CurrentUser, PageError> {
        let user = self.signed_in()?;
        if roles.iter().any(|r| user.has(*r)) {
            Ok(user)
        } else {
            Err(self.fail(AppError::Forbidden(
                "your role may not use this page".into(),
            )))
        }
    }

    pub fn fail(&self, err: AppError) -> PageError {
        PageError {
            err,
            shell: Box::new(self.shell()),
        }
    }

    /// Layout data every template extends.
    pub fn shell(&self) -> Shell {
        Shell {
            lang: self.lang,
            tr: self.tr(),
            user: self.user.as_ref().map(Nav::of),
            member: self.member.as_ref().map(|m| m.caller.name.clone()),
            csrf: self.csrf(),
            query_keep: self.query_keep.clone(),
        }
    }
}

fn csrf_for(state: &crate::app::AppState, binding: &str) -> String {
    state.tokens.mac(format!("csrf|{binding}").as_bytes())
}

/// Which menu entries the signed-in user sees.
pub struct Nav {
    pub username: String,
    pub queue: bool,
    pub submit: bool,
    /// Supervisors: the audit trail and the overview.
    pub supervisor: bool,
    /// Departments' approvers and supervisors: data requests from the public.
    pub demands: bool,
    /// Administrators: the job queue.
    pub admin: bool,
}

impl Nav {
    fn of(user: &CurrentUser) -> Self {
        Nav {
            username: user.username.clone(),
            queue: Role::REVIEWERS.iter().any(|r| user.has(*r)),
            submit: user.has(Role::Submitter),
            supervisor: user.has(Role::Supervisor),
            demands: user.has(Role::DeptApprover) || user.has(Role::Supervisor),
            admin: user.has(Role::Admin),
        }
    }
}

pub struct Shell {
    pub lang: Lang,
    pub tr: Tr,
    pub user: Option<Nav>,
    /// The signed-in member of the public's name.
    pub member: Option<String>,
    pub csrf: String,
    /// The page's query minus `lang`, for the language-switch links.
    pub query_keep: String,
}

impl Shell {
    /// A stored time as people read it (templates pass fields by value or reference).
    pub fn time(&self, t: impl std::borrow::Borrow<chrono::NaiveDateTime>) -> String {
        local_time(t.borrow())
    }
}

/// Department names by code, so pages say 市发展改革委 rather than FGW.
#[derive(Debug, Default)]
pub struct Departments(std::collections::BTreeMap<String, String>);

impl Departments {
    pub fn load(conn: &mut crate::db::DbConn) -> Result<Self, AppError> {
        crate::service::accounts::department_names(conn).map(Self)
    }

    /// Every department as `(code, name)`, by code.
    pub fn all(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(code, name)| (code.clone(), name.clone()))
            .collect()
    }

    /// The department's name, or its code when it has none.
    pub fn name<'a>(&'a self, code: &'a str) -> &'a str {
        self.0.get(code).map_or(code, String::as_str)
    }

    pub fn names(&self, codes: &[String]) -> String {
        codes
            .iter()
            .map(|c| self.name(c))
            .collect::<Vec<_>>()
            .join("、")
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    s: &'a Shell,
    status: u16,
    /// What went wrong, in the page's language (from the error code).
    summary: &'static str,
    /// The service's own message, with the specifics (ids, stages).
    message: String,
}

/// An error shown as a page: 401 sends the browser to the login form, the
/// rest render the service's message with its status.
#[derive(Debug)]
pub struct PageError {
    err: AppError,
    /// Boxed: keeps `Result<_, PageError>` small on the happy path.
    shell: Box<Shell>,
}

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.lang.code())
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.err.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.err.status_code()
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self.err, AppError::Unauthorized(_)) {
            return see_other("/login");
        }
        if let AppError::Internal(err) = &self.err {
            tracing::error!(error = format!("{err:#}"), "page failed");
        }
        let page = ErrorPage {
            s: &self.shell,
            status: self.status_code().as_u16(),
            summary: self.shell.tr.error(self.err.code()),
            message: self.err.to_string(),
        };
        match page.render() {
            Ok(html) => {
                let mut res = HttpResponse::build(self.status_code());
                if let AppError::TooManyRequests(seconds) = &self.err {
                    res.insert_header(("Retry-After", seconds.to_string()));
                }
                res.content_type("text/html; charset=utf-8").body(html)
            }
            Err(_) => self.err.error_response(),
        }
    }
}

pub type PageResult<T = HttpResponse> = Result<T, PageError>;

/// Renders a template as a 200 page.
pub fn render(ctx: &Ctx, page: &impl Template) -> PageResult {
    let html = page.render().map_err(|e| ctx.fail(AppError::internal(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// Post/redirect/get: 303 to `to`.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Formats a stored UTC time as Beijing time for people to read.
pub fn local_time(t: &chrono::NaiveDateTime) -> String {
    (*t + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// An RFC 3339 time of a service view as [`local_time`] shows it.
pub fn shown_time(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| local_time(&t.naive_utc()))
        .unwrap_or_else(|_| t.to_string())
}

/// Parses a form time: RFC 3339, or a `datetime-local` / date value read as
/// Beijing time (what people in the office type).
/// A time stored as RFC 3339 text as people read it (the text itself when
/// it does not parse).
pub fn rfc3339_local(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|t| local_time(&t.naive_utc()))
        .unwrap_or_else(|_| t.to_string())
}

pub fn parse_form_time(name: &str, value: &str) -> Result<chrono::NaiveDateTime, AppError> {
    let local = chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        });
    match local {
        Ok(t) => Ok(t - chrono::Duration::hours(8)),
        Err(_) => crate::http::parse_time(name, value),
    }
}
