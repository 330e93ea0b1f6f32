//! actix-web adapters. Handlers are glue: parse, authorise (the
//! `CurrentUser` extractor), call a service, map the result.

mod api;
mod dashboard;
pub mod export;
pub mod identity;
mod multipart;
mod nul;
pub mod openapi;
mod params;
mod public;

use std::net::SocketAddr;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{get, middleware, web, App, HttpRequest, HttpResponse, HttpServer};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};

use crate::app::AppState;
use crate::error::{AppError, ErrorBody};

pub use api::parse_time;

/// Every route of the service, in one place. Each handler is registered
/// with `.service`, which also adds its `#[utoipa::path]` to the API
/// document: a route cannot exist undocumented.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz)
        .service(metrics)
        .service(get_openapi)
        .service(scope("/api/v1").configure(api::configure))
        .service(scope("/public").configure(public::configure))
        .configure(public::configure_ckan)
        .configure(dashboard::configure)
        .app_data(
            web::JsonConfig::default()
                .limit(nul::MAX_BODY)
                .error_handler(|err, _| {
                    AppError::BadRequest(format!("invalid JSON body: {err}")).into()
                }),
        )
        .app_data(
            web::QueryConfig::default().error_handler(|err, _| {
                AppError::BadRequest(format!("invalid query: {err}")).into()
            }),
        )
        .app_data(
            web::PathConfig::default().error_handler(|err, _| {
                AppError::BadRequest(format!("invalid path: {err}")).into()
            }),
        )
        .default_service(web::to(openapi::no_route));
}

/// The application: every route and middleware over `state`. The server
/// and the tests build the same one.
pub fn build_app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .into_utoipa_app()
        .app_data(state)
        .configure(configure)
        .into_app()
        .wrap(middleware::from_fn(nul::refuse_nul))
        .wrap(middleware::from_fn(public::guard))
        .wrap(middleware::Logger::default())
}

/// Binds the service to `bind` (port 0 picks a free port) and returns the
/// server to run and the address it listens on.
pub fn server(state: AppState, bind: &str) -> std::io::Result<(Server, SocketAddr)> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || build_app(data.clone())).bind(bind)?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| std::io::Error::other("bound to no address"))?;
    Ok((server.run(), addr))
}

/// Prometheus metrics, for the scraper only: with `RELEASEGATE_METRICS_TOKEN`
/// set it must be presented as a bearer token; without, only a client on the
/// loopback interface (not through a proxy) is answered.
#[utoipa::path(
    tag = "service",
    responses(
        (status = OK, content_type = "text/plain", body = String, description = "Prometheus text format"),
        (status = UNAUTHORIZED, body = ErrorBody),
    ),
    security(("metrics" = []), ())
)]
#[get("/metrics")]
async fn metrics(state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    let allowed = match &state.settings.metrics_token {
        Some(expected) => identity::presented_token(&req, identity::Credential::Bearer)
            .is_some_and(|t| crate::auth::token_digest(&t) == crate::auth::token_digest(expected)),
        None => {
            let peer = req.peer_addr().map(|a| a.ip());
            peer.is_some_and(|p| p.is_loopback() && !state.settings.trusted_proxies.contains(&p))
                && req.headers().get("X-Forwarded-For").is_none()
        }
    };
    if !allowed {
        return Err(AppError::Unauthorized(
            "metrics need RELEASEGATE_METRICS_TOKEN as a bearer token, or a loopback client".into(),
        ));
    }
    let text = state.run(crate::service::metrics::render).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text))
}

/// This document (OpenAPI 3.1), generated from the handlers.
#[utoipa::path(
    tag = "service",
    responses((status = OK, content_type = "application/json", body = Object))
)]
#[get("/api/openapi.json")]
async fn get_openapi() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(openapi::document_json())
}

#[derive(serde::Serialize, ToSchema)]
struct Health {
    /// Always `ok` while the process serves requests.
    status: &'static str,
}

/// Liveness.
#[utoipa::path(tag = "service", responses((status = OK, body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}
