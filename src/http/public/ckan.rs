//! A CKAN-compatible read API (action API, version 3) over the published
//! catalogue, so that portal harvesters and CKAN clients such as `ckanapi`
//! pull releasegate unchanged: `package_list`, `package_show`,
//! `package_search` and `organization_list`, under `/api/3/action/` and
//! `/api/action/`, with a query string (GET) or a JSON object (POST),
//! answering `{"help", "success", "result"}` or CKAN's error shape.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::config::Licence;
use crate::error::AppError;
use crate::ids::ReleaseId;
use crate::service::releases::{self, PublicFilter, PublicRelease};

const PREFIX: &str = "/api/3/action";
const UNVERSIONED_PREFIX: &str = "/api/action";
/// CKAN's own default and ceiling for `rows`.
const DEFAULT_ROWS: i64 = 10;
const MAX_ROWS: i64 = 1000;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(scope(PREFIX).service(ckan_get).service(ckan_post))
        .service(
            scope(UNVERSIONED_PREFIX)
                .service(ckan_get_unversioned)
                .service(ckan_post_unversioned),
        );
}

pub fn is_ckan(path: &str) -> bool {
    [PREFIX, UNVERSIONED_PREFIX].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with('/'))
    })
}

/// The actions served; CKAN's others answer 400 as CKAN does.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Action {
    PackageList,
    PackageShow,
    PackageSearch,
    OrganizationList,
}

impl Action {
    fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(Value::String(name.into())).ok()
    }
}

/// The parameters the actions take (all as text, as CKAN reads a query
/// string); each action reads its own and ignores the rest.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query string; the handler reads it raw
struct ActionParams {
    /// `package_show`: the dataset's id or name.
    id: Option<String>,
    /// `package_search`: words to find (`*:*` or empty: everything).
    q: Option<String>,
    /// `package_search`: filters, `organization:CODE`, `tags:WORD`,
    /// `res_format:CSV`, `license_id:ID`, space-separated.
    fq: Option<String>,
    /// `package_search`: how many (default 10, at most 1000).
    rows: Option<String>,
    /// `package_search`: how many to skip.
    start: Option<String>,
    /// `package_list`: how many (at most 1000) and how many to skip.
    limit: Option<String>,
    offset: Option<String>,
    /// `organization_list`: `true` for objects instead of names.
    all_fields: Option<String>,
}

/// What every CKAN action answers.
#[derive(Serialize, ToSchema)]
struct CkanAnswer {
    help: String,
    success: bool,
    /// A list or an object, as the action gives.
    result: Value,
}

/// CKAN's error answer: `error.__type` is `Bad Request`, `Not Found
/// Error`, `Validation Error` or `Search Query Error`.
#[derive(Serialize, ToSchema)]
struct CkanError {
    help: String,
    success: bool,
    #[schema(value_type = Object)]
    error: Value,
}

/// Why an action gives no result: refused in CKAN's terms, or failed here.
enum Failure {
    Refused(Refusal),
    App(AppError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

/// A refusal in CKAN's terms.
struct Refusal {
    status: StatusCode,
    error: Value,
}

impl Refusal {
    fn bad_request(message: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: json!({"__type": "Bad Request", "message": format!("Bad request - {message}")}),
        }
    }

    fn invalid(field: &str, message: &str) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            error: json!({"__type": "Validation Error", field: [message]}),
        }
    }

    fn bad_query(message: impl std::fmt::Display) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            error: json!({"__type": "Search Query Error", "message": format!("Search Query is invalid: {message}")}),
        }
    }

    fn not_found() -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error: json!({"__type": "Not Found Error", "message": "Not found"}),
        }
    }
}

macro_rules! action_routes {
    ($get:ident, $post:ident, $path:literal, $get_id:literal, $post_id:literal) => {
        /// A CKAN action with its parameters in the query string.
        #[utoipa::path(
            tag = "public",
            operation_id = $get_id,
            params(("action" = inline(Action), Path, description = "The action."), ActionParams),
            responses(
                (status = OK, body = CkanAnswer),
                (status = BAD_REQUEST, description = "not an action served here, or a body that is not a JSON object", body = CkanError),
                (status = NOT_FOUND, description = "no such dataset", body = CkanError),
                (status = CONFLICT, description = "a parameter is missing or not valid", body = CkanError),
            )
        )]
        #[get($path)]
        async fn $get(
            state: web::Data<AppState>,
            req: HttpRequest,
            action: web::Path<String>,
        ) -> Result<HttpResponse, AppError> {
            let params = form_urlencoded::parse(req.query_string().as_bytes())
                .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
                .collect();
            answer(&state, &action, Ok(params)).await
        }

        /// A CKAN action with its parameters in a JSON object.
        #[utoipa::path(
            tag = "public",
            operation_id = $post_id,
            params(("action" = inline(Action), Path, description = "The action.")),
            request_body(content = Option<Object>, content_type = "application/json", description = "The parameters; none when empty."),
            responses(
                (status = OK, body = CkanAnswer),
                (status = BAD_REQUEST, description = "not an action served here, or a body that is not a JSON object", body = CkanError),
                (status = NOT_FOUND, description = "no such dataset", body = CkanError),
                (status = CONFLICT, description = "a parameter is missing or not valid", body = CkanError),
            )
        )]
        #[post($path)]
        async fn $post(
            state: web::Data<AppState>,
            action: web::Path<String>,
            body: web::Bytes,
        ) -> Result<HttpResponse, AppError> {
            answer(&state, &action, json_params(&body)).await
        }
    };
}

action_routes!(
    ckan_get,
    ckan_post,
    "/{action}",
    "ckan_action_get",
    "ckan_action_post"
);
action_routes!(
    ckan_get_unversioned,
    ckan_post_unversioned,
    "/{action}",
    "ckan_unversioned_action_get",
    "ckan_unversioned_action_post"
);

fn json_params(body: &[u8]) -> Result<Map<String, Value>, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(params)) => Ok(params),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(Refusal::bad_request("the body must be a JSON object")),
        Err(e) => Err(Refusal::bad_request(format!("JSON Error: {e}"))),
    }
}

async fn answer(
    state: &web::Data<AppState>,
    name: &str,
    params: Result<Map<String, Value>, Refusal>,
) -> Result<HttpResponse, AppError> {
    let base = state.settings.public_url.clone();
    let help = format!("{base}{PREFIX}/help_show?name={name}");
    let outcome = match (Action::parse(name), params) {
        (None, _) => Err(Refusal::bad_request(format!("Action name not known: {name}")).into()),
        (_, Err(refusal)) => Err(refusal.into()),
        (Some(action), Ok(params)) => run(state, action, params).await,
    };
    match outcome {
        Ok(result) => Ok(HttpResponse::Ok().json(CkanAnswer {
            help,
            success: true,
            result,
        })),
        Err(Failure::Refused(Refusal { status, error })) => {
            Ok(HttpResponse::build(status).json(CkanError {
                help,
                success: false,
                error,
            }))
        }
        Err(Failure::App(e)) => Err(e),
    }
}

/// A text parameter, from a query string or JSON.
fn text(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// A non-negative integer parameter at most `max`.
fn count(params: &Map<String, Value>, name: &str, default: i64, max: i64) -> Result<i64, Refusal> {
    let Some(raw) = text(params, name) else {
        return Ok(default);
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Ok(n),
        Ok(_) => Err(Refusal::invalid(
            name,
            &format!("Must be between 0 and {max}"),
        )),
        Err(_) => Err(Refusal::invalid(name, "Invalid integer")),
    }
}

fn flag(params: &Map<String, Value>, name: &str) -> bool {
    match params.get(name) {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.to_ascii_lowercase().as_str(), "true" | "1" | "yes"),
        _ => false,
    }
}

async fn run(
    state: &web::Data<AppState>,
    action: Action,
    params: Map<String, Value>,
) -> Result<Value, Failure> {
    let base = state.settings.public_url.clone();
    let licence = state.settings.licence.clone();
    match action {
        Action::PackageList => {
            let limit = count(&params, "limit", MAX_ROWS, MAX_ROWS)?;
            let offset = count(&params, "offset", 0, i64::MAX)?;
            let (_, found) = state
                .run(move |conn| {
                    releases::public_offset_page(conn, &PublicFilter::default(), offset, limit)
                })
                .await?;
            Ok(found.iter().map(|r| json!(package_name(r))).collect())
        }
        Action::PackageShow => {
            let Some(id) = text(&params, "id").filter(|id| !id.trim().is_empty()) else {
                return Err(Refusal::invalid("id", "Missing value").into());
            };
            let id = ReleaseId::from(id.trim().to_ascii_uppercase());
            match state
                .run(move |conn| releases::public_release(conn, &id))
                .await
            {
                Ok(release) => Ok(package(&base, &licence, &release)),
                // CKAN answers a deleted dataset as not found; DCAT keeps the tombstone.
                Err(AppError::NotFound(_) | AppError::Retracted { .. }) => {
                    Err(Refusal::not_found().into())
                }
                Err(e) => Err(e.into()),
            }
        }
        Action::PackageSearch => {
            let rows = count(&params, "rows", DEFAULT_ROWS, MAX_ROWS)?;
            let start = count(&params, "start", 0, i64::MAX)?;
            let Some(filter) = search_filter(&params, &licence)? else {
                return Ok(search_result(0, Vec::new()));
            };
            let (total, found) = state
                .run(move |conn| releases::public_offset_page(conn, &filter, start, rows))
                .await?;
            let results = found.iter().map(|r| package(&base, &licence, r)).collect();
            Ok(search_result(total, results))
        }
        Action::OrganizationList => {
            let all_fields = flag(&params, "all_fields");
            let publishers = state.run(releases::publishers).await?;
            Ok(publishers
                .into_iter()
                .map(|p| {
                    if all_fields {
                        json!({
                            "id": p.code,
                            "name": p.code,
                            "title": p.name,
                            "display_name": p.name,
                            "type": "organization",
                            "is_organization": true,
                            "state": "active",
                            "package_count": p.published,
                        })
                    } else {
                        json!(p.code)
                    }
                })
                .collect())
        }
    }
}

fn search_result(count: i64, results: Vec<Value>) -> Value {
    json!({
        "count": count,
        "results": results,
        "sort": "metadata_modified desc",
        "facets": {},
        "search_facets": {},
    })
}

/// `fq` as terms: `key:value` or `key:"quoted value"`, a leading `+`
/// allowed, separated by spaces.
fn filter_terms(fq: &str) -> Vec<(String, String)> {
    let mut terms = Vec::new();
    let mut rest = fq.trim();
    while !rest.is_empty() {
        let term = rest.trim_start_matches('+');
        let (key, after) = term.split_once(':').unwrap_or((term, ""));
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else if after.starts_with('[') {
            let end = after.find(']').map_or(after.len(), |i| i + 1);
            (&after[..end], &after[end..])
        } else {
            let end = after.find(char::is_whitespace).unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        terms.push((key.to_string(), value.to_string()));
        rest = next.trim_start();
    }
    terms
}

/// The search as a catalogue filter; `None` when it can match nothing
/// (another licence, another dataset type).
fn search_filter(
    params: &Map<String, Value>,
    licence: &Licence,
) -> Result<Option<PublicFilter>, Refusal> {
    let mut filter = PublicFilter {
        q: text(params, "q").filter(|q| !matches!(q.trim(), "" | "*:*")),
        ..PublicFilter::default()
    };
    if filter.q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(Refusal::bad_query("q must be at most 200 characters"));
    }
    for (key, value) in filter_terms(&text(params, "fq").unwrap_or_default()) {
        match key.as_str() {
            "organization" | "owner_org" => filter.department = Some(value),
            "tags" => filter.theme = Some(value),
            "license_id" if value != licence.id => return Ok(None),
            "dataset_type" if value != "dataset" => return Ok(None),
            "license_id" | "dataset_type" => {}
            // Incremental harvesting asks for what changed since a time:
            // `metadata_modified:[2026-01-01T00:00:00Z TO *]`.
            "metadata_modified" => {
                let since = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(" TO *]"))
                    .ok_or_else(|| {
                        Refusal::bad_query(format!(
                            "metadata_modified:{value}: only [TIME TO *] is supported"
                        ))
                    })?;
                let since = chrono::DateTime::parse_from_rfc3339(since.trim())
                    .map_err(|e| Refusal::bad_query(format!("metadata_modified: {e}")))?;
                filter.from = Some(since.naive_utc());
            }
            _ => return Err(Refusal::bad_query(format!("cannot filter by {key:?}"))),
        }
    }
    Ok(Some(filter))
}

/// A dataset's CKAN name: its id in lower case (CKAN names are lower case).
fn package_name(r: &PublicRelease) -> String {
    r.id.to_ascii_lowercase()
}

/// A file's CKAN format: its extension in capitals.
fn format_of(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_uppercase())
        .unwrap_or_default()
}

/// A published release as a CKAN package dict.
fn package(base: &str, licence: &Licence, r: &PublicRelease) -> Value {
    let resources: Vec<Value> = r
        .files
        .iter()
        .enumerate()
        .map(|(position, f)| {
            json!({
                "id": format!("{}-{position}", r.id),
                "package_id": r.id,
                "name": f.name,
                "url": format!("{base}{}", f.url),
                "format": format_of(&f.name),
                "mimetype": f.media_type,
                "hash": format!("sha256:{}", f.sha256),
                "position": position,
                "state": "active",
                "created": r.published_at,
                "last_modified": r.modified,
            })
        })
        .collect();
    json!({
        "id": r.id,
        "name": package_name(r),
        "title": r.title,
        "notes": r.description,
        "type": "dataset",
        "state": "active",
        "private": false,
        "url": format!("{base}/public/releases/{}", r.id),
        "version": r.version.to_string(),
        "license_id": licence.id,
        "license_title": licence.id,
        "license_url": licence.url,
        "owner_org": r.department,
        "organization": {
            "id": r.department,
            "name": r.department,
            "title": r.department_name,
            "type": "organization",
            "is_organization": true,
            "state": "active",
        },
        "metadata_created": r.published_at,
        "metadata_modified": r.modified,
        "tags": [{"name": r.data_category, "display_name": r.data_category, "state": "active"}],
        "num_tags": 1,
        "groups": [],
        "extras": [{"key": "open_mode", "value": r.open_mode}],
        "num_resources": resources.len(),
        "resources": resources,
    })
}
