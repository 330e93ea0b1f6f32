//! The JSON API under /api/v1.

use actix_multipart::Multipart;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime};
use serde::Deserialize;

use super::identity::{client_address, presented_token, Credential};
use super::multipart;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::policy::Role;
use crate::service::releases::{self, ListFilter};
use crate::service::{accounts, audit_log};
use crate::workflow::{Decision, Disposition, Note};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/me", web::get().to(me))
        .route("/users", web::get().to(list_users))
        .route("/users", web::post().to(add_user))
        .route("/users/{username}", web::patch().to(update_user))
        .route("/releases", web::post().to(submit))
        .route("/releases", web::get().to(list))
        .route("/releases/{id}", web::get().to(get))
        .route("/releases/{id}/findings", web::get().to(findings))
        .route("/releases/{id}/versions", web::post().to(add_version))
        .route(
            "/releases/{id}/findings/{finding}/disposition",
            web::post().to(dispose),
        )
        .route(
            "/releases/{id}/findings/{finding}/reveal",
            web::post().to(reveal),
        )
        .route("/releases/{id}/decisions", web::post().to(decide))
        .route("/releases/{id}/withdraw", web::post().to(withdraw))
        .route("/releases/{id}/retract", web::post().to(retract))
        .route("/queue", web::get().to(queue))
        .route("/audit", web::get().to(audit))
        .route("/audit/verify", web::get().to(audit_verify))
        .route("/audit/checkpoints", web::post().to(audit_checkpoint));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    username: String,
    password: String,
}

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
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": token,
        "expires_at": expires.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "user": accounts::user_view(&user),
    })))
}

/// Revokes the token this request presents (until it would have expired).
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

#[derive(Deserialize)]
struct UsersQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

/// Accounts, for administrators.
async fn list_users(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<UsersQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let q = q.into_inner();
    let (rows, next) = state
        .run(move |conn| {
            accounts::list_users(conn, q.cursor.as_deref(), releases::clamp_limit(q.limit))
        })
        .await?;
    let items: Vec<_> = rows.iter().map(accounts::user_view).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({"items": items, "next_cursor": next})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUserBody {
    username: String,
    password: String,
    roles: Vec<Role>,
    department: Option<String>,
    email: Option<String>,
}

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

async fn update_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    username: web::Path<String>,
    body: web::Json<accounts::UserChange>,
) -> AppResult<HttpResponse> {
    user.require(Role::Admin)?;
    let change = body.into_inner();
    let updated = state
        .write(move |_, conn| accounts::update_user(conn, &user.username, &username, change))
        .await?;
    Ok(HttpResponse::Ok().json(accounts::user_view(&updated)))
}

async fn me(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({
        "id": user.id, "username": user.username, "roles": user.roles, "department": user.department,
    }))
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

async fn submit(
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

#[derive(Deserialize)]
struct ListQuery {
    state: Option<String>,
    department: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| {
            let filter = ListFilter {
                state: q.state,
                department: q.department,
            };
            releases::list(conn, &user, &filter, q.cursor.as_deref(), q.limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn get(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let release = state
        .call(move |st, conn| releases::view(st, conn, &user, &id))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

#[derive(Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<i64>,
}

async fn findings(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: web::Path<String>,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| releases::findings_page(conn, &user, &id, q.cursor.as_deref(), q.limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DispositionBody {
    disposition: Disposition,
    #[serde(default)]
    note: Note,
}

async fn dispose(
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

/// One finding's raw value, for its owner; audited, never cached.
async fn reveal(
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
        .json(serde_json::json!({ "value": value })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    stage: String,
    decision: Decision,
    #[serde(default)]
    comment: Note,
}

async fn decide(
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: Note,
}

async fn withdraw(
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

async fn retract(
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

async fn queue(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let page = state
        .run(move |conn| {
            releases::queue(
                conn,
                &user,
                &releases::QueueFilter::default(),
                q.cursor.as_deref(),
                q.limit,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

#[derive(Deserialize)]
struct AuditQuery {
    release: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    department: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

pub fn parse_time(name: &str, value: &str) -> AppResult<NaiveDateTime> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.naive_utc())
        .map_err(|e| {
            AppError::BadRequest(format!("{name}: {value:?} is not an RFC 3339 time ({e})"))
        })
}

async fn audit(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: web::Query<AuditQuery>,
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
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let after = match q.cursor.as_deref() {
                Some(c) => c
                    .parse()
                    .map_err(|_| AppError::BadRequest("cursor must be an event seq".into()))?,
                None => 0,
            };
            let limit = releases::clamp_limit(q.limit);
            let events = state
                .run(move |conn| Ok(audit_log::page(conn, &filter, after, limit + 1)?))
                .await?;
            let page = releases::Page {
                next_cursor: (events.len() as i64 > limit)
                    .then(|| events[limit as usize - 1].seq.to_string()),
                items: events.into_iter().take(limit as usize).collect::<Vec<_>>(),
            };
            Ok(HttpResponse::Ok().json(page))
        }
        format @ ("ndjson" | "csv") => Ok(super::export::stream(&state, filter, format == "csv")),
        other => Err(AppError::BadRequest(format!(
            "unknown format {other:?} (json, ndjson, csv)"
        ))),
    }
}

async fn audit_verify(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let report = state
        .run(move |conn| Ok(audit_log::verify(conn, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Signs the current chain head now (the server also does so periodically).
async fn audit_checkpoint(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(Role::Supervisor)?;
    let key = state.checkpoint_key.clone();
    let seq = state
        .run(move |conn| Ok(audit_log::checkpoint(conn, &key)?))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"checkpoint_seq": seq})))
}
