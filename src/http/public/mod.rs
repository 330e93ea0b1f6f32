//! The public side: the catalogue of published releases (readable by
//! anyone), downloads (conditional data to approved members of the public
//! only), and public accounts, keys and applications.

mod accounts;
mod audit;
mod ckan;
mod dcat;
mod guard;
mod participation;
mod stream;

pub use ckan::{configure as configure_ckan, is_ckan};
pub use guard::{guard, is_guarded};

use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{get, web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::identity::{client_address, public_caller};
use serde::Deserialize;
use utoipa::IntoParams;

use super::api::parse_time;
use super::params::{Limit, Query};
use crate::app::AppState;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::ids::ReleaseId;
use crate::service::public::{self, Requester};
use crate::service::releases::{self, OpenMode, Page, PublicFilter, PublicRelease};

/// Longest user agent kept in the access log.
const MAX_USER_AGENT: usize = 512;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_public_releases)
        .service(get_public_release)
        .service(download_file)
        .service(get_catalog)
        .configure(accounts::configure)
        .configure(audit::configure)
        .configure(participation::configure);
}

/// What the public searches by (`/public/releases`, `/public/catalog`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchQuery {
    /// Words in the title or description, or the department's name.
    #[param(max_length = 200)]
    q: Option<String>,
    /// A department code.
    department: Option<String>,
    /// A data category (`data_category`).
    theme: Option<String>,
    #[param(inline)]
    open_mode: Option<OpenMode>,
    /// Published at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Published before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    #[param(inline)]
    limit: Option<Limit>,
}

impl SearchQuery {
    fn filter(&self) -> AppResult<PublicFilter> {
        if self.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
            return Err(AppError::BadRequest(
                "q must be at most 200 characters".into(),
            ));
        }
        Ok(PublicFilter {
            q: self.q.clone(),
            department: self.department.clone(),
            theme: self.theme.clone(),
            open_mode: self.open_mode,
            from: self
                .from
                .as_deref()
                .map(|t| parse_time("from", t))
                .transpose()?,
            to: self
                .to
                .as_deref()
                .map(|t| parse_time("to", t))
                .transpose()?,
            tombstones: false,
        })
    }
}

/// Published releases matching the search, newest first.
#[utoipa::path(tag = "public", params(SearchQuery), responses((status = OK, body = Page<PublicRelease>)))]
#[get("/releases")]
async fn list_public_releases(
    state: web::Data<AppState>,
    q: Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = q.filter()?;
    let page = state
        .run(move |conn| {
            releases::public_list(conn, &filter, q.cursor.as_deref(), Limit::get(q.limit))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One published release.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path)),
    responses(
        (status = OK, body = PublicRelease),
        (status = NOT_FOUND, body = ErrorBody),
        (status = GONE, description = "`retracted`, with `retracted_at` and `reason`", body = ErrorBody),
    )
)]
#[get("/releases/{id}")]
async fn get_public_release(
    state: web::Data<AppState>,
    id: web::Path<ReleaseId>,
) -> AppResult<HttpResponse> {
    let release = state
        .run(move |conn| releases::public_release(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(release))
}

/// The published rendition of one file (redacted where a reviewer decided
/// so). Conditional data (有条件开放) goes only to a member of the public
/// with an approved application, and carries a trace naming them; every
/// answer is a row in the access log.
#[utoipa::path(
    tag = "public",
    params(("id" = String, Path), ("name" = String, Path)),
    responses(
        (status = OK, content_type = "application/octet-stream", body = Vec<u8>),
        (status = UNAUTHORIZED, description = "conditional data without credentials, or credentials that are not valid", body = ErrorBody),
        (status = FORBIDDEN, description = "conditional data without an approved application", body = ErrorBody),
        (status = NOT_FOUND, body = ErrorBody),
        (status = GONE, description = "`retracted`, with `retracted_at` and `reason`", body = ErrorBody),
    ),
    security((), ("public_bearer" = []), ("api_key" = []))
)]
#[get("/releases/{id}/files/{name}")]
async fn download_file(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(ReleaseId, String)>,
) -> AppResult<HttpResponse> {
    let (id, name) = path.into_inner();
    // Refused credentials are answered by `download`, so that the attempt
    // is in the access log too.
    let (caller, refused) = match public_caller(&req).await {
        Ok(caller) => (caller, None),
        Err(AppError::Unauthorized(why)) => (None, Some(why)),
        Err(other) => return Err(other),
    };
    let who = Requester {
        caller,
        refused,
        address: client_address(&req, &state.settings.trusted_proxies).to_string(),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
    };
    let download = state
        .call(move |st, conn| public::download(st, conn, &id, &name, &who))
        .await?;
    // A conditional copy is audited before it goes out.
    if let Some(draft) = download.audit {
        state
            .write(move |_, conn| public::record_conditional_download(conn, draft))
            .await?;
    }
    let (name, body) = (download.name, download.body);
    Ok(HttpResponse::Ok()
        .content_type(releases::media_type(&name))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::FilenameExt(
                actix_web::http::header::ExtendedValue {
                    charset: actix_web::http::header::Charset::Ext("UTF-8".into()),
                    language_tag: None,
                    value: name.into_bytes(),
                },
            )],
        })
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(stream::sized(body)))
}

/// DCAT 3 catalogue of published releases (JSON-LD), one page at a time,
/// filtered like `/public/releases`; releases retracted after publication
/// are listed as withdrawn tombstones.
#[utoipa::path(
    tag = "public",
    params(SearchQuery),
    responses((status = OK, content_type = "application/ld+json", body = Object))
)]
#[get("/catalog")]
async fn get_catalog(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = PublicFilter {
        tombstones: true,
        ..q.filter()?
    };
    let page = state
        .run(move |conn| {
            releases::public_list(conn, &filter, q.cursor.as_deref(), Limit::get(q.limit))
        })
        .await?;
    let base = &state.settings.public_url;
    let next = page.next_cursor.as_ref().map(|cursor| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
            if k != "cursor" {
                query.append_pair(&k, &v);
            }
        }
        query.append_pair("cursor", cursor);
        format!("{base}/public/catalog?{}", query.finish())
    });
    Ok(HttpResponse::Ok()
        .content_type("application/ld+json")
        .json(dcat::catalog(base, &state.settings.licence, &page, next)))
}
