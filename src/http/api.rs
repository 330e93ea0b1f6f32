//! The JSON API under /api/v1.

use actix_multipart::Multipart;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::identity::{client_address, presented_token, Credential};
use super::multipart;
use super::params::{Limit, PageQuery, Query};
use crate::app::AppState;
use crate::audit::{Event, Report};
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::policy::Role;
use crate::service::accounts::{self, UserChange, UserView};
use crate::service::audit_log;
use crate::service::releases::{
    self, FindingView, ListFilter, Page, QueueItem, ReleaseMeta, ReleaseSummary, ReleaseView,
};
use crate::workflow::{Decision, Disposition, Note, State};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(logout)
        .service(me)
        .service(list_users)
        .service(add_user)
        .service(update_user)
        .service(submit_release)
        .service(list_releases)
        .service(get_release)
        .service(list_findings)
        .service(add_version)
        .service(dispose_finding)
        .service(reveal_finding)
        .service(decide_stage)
        .service(withdraw_release)
        .service(retract_release)
        .service(get_queue)
        .service(search_audit)
        .service(verify_audit)
        .service(sign_checkpoint);
}

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
async fn login(
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
async fn logout(
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
async fn me(user: CurrentUser) -> HttpResponse {
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
async fn list_users(
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
async fn add_user(
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
async fn update_user(
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

/// Rejects an oversized request from its Content-Length before reading it.
fn check_length(req: &HttpRequest, max: u64) -> AppResult<()> {
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    // Multipart framing adds a little; the exact limit is enforced while streaming.
    if declared.is_some_and(|n| n > max + 64 * 1024) {
        return Err(AppError::TooLarge(format!(
            "the upload exceeds the limit of {max} bytes"
        )));
    }
    Ok(())
}

/// The multipart body of a filing, as `http::multipart::read` reads it.
/// Only the API document uses these two types: the parts are streamed, not
/// deserialized into them.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Filing {
    /// The release's metadata, as JSON.
    meta: ReleaseMeta,
    /// One part per file, each with a filename.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    file: Vec<Vec<u8>>,
}

/// The multipart body of a new version.
#[derive(ToSchema)]
#[allow(dead_code)]
struct Revision {
    /// New metadata, as JSON; absent or null keeps the current metadata.
    meta: Option<ReleaseMeta>,
    /// One part per file, each with a filename.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1)]
    file: Vec<Vec<u8>>,
}

/// Files a release: the files are inspected and the release enters review
/// (or is blocked by what was found).
#[utoipa::path(
    tag = "releases",
    request_body(content = Filing, content_type = "multipart/form-data"),
    responses(
        (status = CREATED, body = ReleaseView),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNSUPPORTED_MEDIA_TYPE, description = "a file of a kind the service cannot read", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_department`, `co_departments_invalid`, `invalid_file`, `unreadable_file`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases")]
async fn submit_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    req: HttpRequest,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    user.require(Role::Submitter)?;
    let max = state.settings.max_upload_bytes;
    check_length(&req, max)?;
    let form = multipart::read(payload, max).await?;
    let meta = form
        .meta
        .ok_or_else(|| AppError::BadRequest("the \"meta\" part is required".into()))?;
    let release = releases::file_release(&state, user, meta, form.files).await?;
    Ok(HttpResponse::Created().json(release))
}

/// A new version of a release: rescanned; approvals of the old one are dismissed.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    request_body(content = Revision, content_type = "multipart/form-data"),
    responses(
        (status = CREATED, body = ReleaseView),
        (status = BAD_REQUEST, body = ErrorBody),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`, `release_changed`", body = ErrorBody),
        (status = PAYLOAD_TOO_LARGE, body = ErrorBody),
        (status = UNSUPPORTED_MEDIA_TYPE, body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`department_fixed`, `unknown_department`, `co_departments_invalid`, `invalid_file`, `unreadable_file`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/versions")]
async fn add_version(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    req: HttpRequest,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    user.require(Role::Submitter)?;
    let max = state.settings.max_upload_bytes;
    check_length(&req, max)?;
    let form = multipart::read(payload, max).await?;
    let release =
        releases::revise_release(&state, user, id.into_inner(), form.meta, form.files).await?;
    Ok(HttpResponse::Created().json(release))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    state: Option<State>,
    /// A department code.
    department: Option<String>,
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

/// Releases the caller may read, newest first.
#[utoipa::path(
    tag = "releases",
    params(ListQuery),
    responses((status = OK, body = Page<ReleaseSummary>)),
    security(("bearer" = []))
)]
#[get("/releases")]
async fn list_releases(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| {
            let filter = ListFilter {
                state: q.state,
                department: q.department,
            };
            releases::list(
                conn,
                &user,
                &filter,
                q.cursor.as_deref(),
                Limit::get(q.limit),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A release with its versions, stages, decisions and finding counts.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses((status = OK, body = ReleaseView), (status = NOT_FOUND, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/releases/{id}")]
async fn get_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let release = state
        .call(move |st, conn| releases::view(st, conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Findings of the current version, values masked.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path), PageQuery),
    responses((status = OK, body = Page<FindingView>), (status = NOT_FOUND, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/releases/{id}/findings")]
async fn list_findings(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| releases::findings_page(conn, &user, &id, q.cursor.as_deref(), q.limit()))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DispositionBody {
    disposition: Disposition,
    #[serde(default)]
    note: Note,
}

/// A reviewer's disposition of one finding.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path), ("finding" = String, Path)),
    responses(
        (status = OK, body = FindingView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`, `not_open`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`, `column_summary`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/findings/{finding}/disposition")]
async fn dispose_finding(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    body: web::Json<DispositionBody>,
) -> AppResult<HttpResponse> {
    let (id, finding) = path.into_inner();
    let DispositionBody { disposition, note } = body.into_inner();
    let view = state
        .write(move |st, conn| {
            releases::dispose(st, conn, &user, &id, &finding, disposition, &note)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
struct Revealed {
    /// The unmasked value.
    value: String,
}

/// One finding's raw value, for the reviewer who owns it; audited, never cached.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path), ("finding" = String, Path)),
    responses(
        (status = OK, body = Revealed),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`column_summary`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/findings/{finding}/reveal")]
async fn reveal_finding(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, finding) = path.into_inner();
    let value = state
        .write(move |st, conn| releases::reveal(st, conn, &user, &id, &finding))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(Revealed { value }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    /// A stage key from policies/workflow.toml.
    stage: String,
    decision: Decision,
    #[serde(default)]
    comment: Note,
}

/// A decision on one stage of the release.
#[utoipa::path(
    tag = "review",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_open`, `not_allowed_in_state`, `already_decided`, `undispositioned_findings`, `stale_version`, `stage_decided`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`unknown_stage`, `note_required`, `blocking_finding`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/decisions")]
async fn decide_stage(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<DecisionBody>,
) -> AppResult<HttpResponse> {
    let DecisionBody {
        stage,
        decision,
        comment,
    } = body.into_inner();
    let release = state
        .write(move |st, conn| releases::decide(st, conn, &user, &id, &stage, decision, &comment))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: Note,
}

/// The submitter (or the department's approver) withdraws a release before publication.
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/withdraw")]
async fn withdraw_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<ReasonBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::withdraw(st, conn, &user, &id, &body.reason))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Takes a published release off the public catalogue (emergency).
#[utoipa::path(
    tag = "releases",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = ReleaseView),
        (status = FORBIDDEN, body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = CONFLICT, description = "`not_allowed_in_state`", body = ErrorBody),
        (status = UNPROCESSABLE_ENTITY, description = "`note_required`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/releases/{id}/retract")]
async fn retract_release(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    body: web::Json<ReasonBody>,
) -> AppResult<HttpResponse> {
    let release = state
        .write(move |st, conn| releases::retract(st, conn, &user, &id, &body.reason))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// Stages waiting for the caller's decision, oldest deadline first.
#[utoipa::path(
    tag = "review",
    params(PageQuery),
    responses((status = OK, body = Page<QueueItem>)),
    security(("bearer" = []))
)]
#[get("/queue")]
async fn get_queue(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| {
            releases::queue(
                conn,
                &user,
                &releases::QueueFilter::default(),
                q.cursor.as_deref(),
                q.limit(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum AuditFormat {
    /// One page of events: `{items, next_cursor}`.
    #[default]
    Json,
    /// Every matching event, one per line, verifiable with `releasegate audit verify --file`.
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
async fn search_audit(
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
    match q.format.unwrap_or_default() {
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
        AuditFormat::Ndjson => Ok(super::export::stream(&state, filter, false)),
        AuditFormat::Csv => Ok(super::export::stream(&state, filter, true)),
    }
}

/// Verifies the whole chain and every signed checkpoint.
#[utoipa::path(
    tag = "audit",
    responses((status = OK, body = Report), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/audit/verify")]
async fn verify_audit(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let report = state
        .run(move |conn| Ok(audit_log::verify(conn, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Serialize, ToSchema)]
struct Checkpoint {
    /// The seq of the event the new checkpoint signs; null while the log is empty.
    checkpoint_seq: Option<i64>,
}

/// Signs the current chain head now (the server also does so periodically).
#[utoipa::path(
    tag = "audit",
    responses((status = OK, body = Checkpoint), (status = FORBIDDEN, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/audit/checkpoints")]
async fn sign_checkpoint(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let checkpoint_seq = state
        .run(move |conn| Ok(audit_log::checkpoint(conn, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(Checkpoint { checkpoint_seq }))
}
