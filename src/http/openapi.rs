//! The API document, generated from the handlers' `#[utoipa::path]`
//! attributes and the types they read and write, and the route table taken
//! from it that answers an undeclared method with 405 and `Allow`.

use std::sync::OnceLock;

use actix_web::dev::ResourceDef;
use actix_web::{App, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{AppError, ErrorCode};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "releasegate",
        description = "Secrecy-review gate for public data releases: filing, scanning, staged \
                       review, publication and a tamper-evident audit log. Errors are \
                       `{\"error\": {\"code\", \"message\"}}`; each error status lists the codes \
                       it can carry. See docs/api.md.",
    ),
    tags(
        (name = "auth", description = "Signing in and out with bearer tokens"),
        (name = "accounts", description = "Accounts, for administrators"),
        (name = "releases", description = "Filing releases and reading them"),
        (name = "review", description = "Dispositions, decisions and the reviewer's queue"),
        (name = "audit", description = "The audit log, for supervisors"),
        (name = "opening", description = "The opening catalogue (开放目录) and the annual opening plan (年度开放计划)"),
        (name = "reports", description = "Department assessment (督查考评), for supervisors"),
        (name = "public", description = "The public catalogue (no sign-in), public accounts, keys and applications for conditional data"),
        (name = "service", description = "Health, metrics and this document"),
        (name = "dashboard", description = "The reviewers' HTML pages (session cookie, CSRF token on every form)"),
    ),
    modifiers(&Security)
)]
struct Base;

struct Security;

impl Modify for Security {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("POST /api/v1/auth/login answers the token"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "public_bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "POST /public/auth/login answers the token (audience releasegate-public)",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(
                crate::http::identity::API_KEY_HEADER,
            ))),
        );
        components.add_security_scheme(
            "metrics",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("RELEASEGATE_METRICS_TOKEN"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::http::identity::SESSION_COOKIE,
            ))),
        );
    }
}

struct Document {
    json: String,
    routes: Vec<(ResourceDef, Vec<String>)>,
}

fn document() -> &'static Document {
    static DOCUMENT: OnceLock<Document> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let value = generate();
        Document {
            json: serde_json::to_string_pretty(&value).expect("a JSON value serialises"),
            routes: routes(&value),
        }
    })
}

/// The document as served at /api/openapi.json.
pub fn document_json() -> &'static str {
    &document().json
}

/// The document as JSON: what utoipa collected while the routes were
/// registered, with the error answers made exact (see `exact_errors`).
pub fn generate() -> Value {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(Base::openapi())
        .configure(super::configure)
        .split_for_parts();
    let mut doc = serde_json::to_value(api).expect("the document serialises");
    exact_errors(&mut doc);
    link_releases(&mut doc);
    closed_multipart(&mut doc);
    doc
}

/// A multipart body takes only the parts its schema lists
/// (`http::multipart::read` refuses any other).
fn closed_multipart(doc: &mut Value) {
    let mut names = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for method in METHODS {
            let schema = &item[method]["requestBody"]["content"]["multipart/form-data"]["schema"];
            if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
                names.push(name.to_string());
            }
        }
    }
    for name in names {
        doc["components"]["schemas"][&name]["additionalProperties"] = Value::Bool(false);
    }
}

/// OpenAPI links from every answer that is a release to the operations on
/// that release, so a client (or a contract tester) can follow its `id`.
fn link_releases(doc: &mut Value) {
    const PREFIX: &str = "/api/v1/releases/{id}";
    let release = json!({"$ref": "#/components/schemas/ReleaseView"});
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    let targets: Vec<String> = paths
        .iter()
        .filter(|(path, _)| path.starts_with(PREFIX) && path.matches('{').count() == 1)
        .flat_map(|(_, item)| METHODS.iter().filter_map(|m| item.get(*m)))
        .filter_map(|op| op["operationId"].as_str().map(str::to_string))
        .collect();
    for item in paths.values_mut() {
        for method in METHODS {
            let Some(responses) = item.get_mut(method).and_then(|op| op.get_mut("responses"))
            else {
                continue;
            };
            for status in ["200", "201"] {
                let Some(response) = responses.get_mut(status) else {
                    continue;
                };
                if response["content"]["application/json"]["schema"] != release {
                    continue;
                }
                let links: Map<String, Value> = targets
                    .iter()
                    .map(|op| {
                        let link =
                            json!({"operationId": op, "parameters": {"id": "$response.body#/id"}});
                        (op.clone(), link)
                    })
                    .collect();
                response["links"] = Value::Object(links);
            }
        }
    }
}

/// Every JSON error answer names the codes its status can carry, and every
/// operation lists the answers every request of its shape can get: 401
/// where a bearer token is required, 400 where it takes parameters or a
/// body, 403 (`blocked`) and 429 on the public side (`http::public::guard`).
fn exact_errors(doc: &mut Value) {
    let mut statuses = std::collections::BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let guarded = super::public::is_guarded(path);
            // CKAN's action API answers its own error shape (`http::public::ckan`).
            let ckan = super::public::is_ckan(path);
            for method in METHODS {
                let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) else {
                    continue;
                };
                let html = op["responses"]
                    .as_object()
                    .is_some_and(|r| r.values().any(|v| v["content"].get("text/html").is_some()));
                if html {
                    continue;
                }
                let bearer = op
                    .get("security")
                    .and_then(Value::as_array)
                    .is_some_and(|s| {
                        s.iter().any(|r| {
                            ["bearer", "public_bearer", "api_key"]
                                .iter()
                                .any(|scheme| r.get(scheme).is_some())
                        })
                    });
                let takes_input = op.get("parameters").is_some() || op.get("requestBody").is_some();
                let responses = op["responses"].as_object_mut().expect("responses");
                let mut add = |status: u16| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| error_response(status));
                };
                if bearer {
                    add(401);
                }
                if takes_input {
                    add(400);
                }
                if guarded {
                    add(403);
                    add(429);
                }
                if ckan {
                    // A NUL character is refused before the action runs
                    // (`http::nul`), in the service's own shape.
                    let schema = &mut responses["400"]["content"]["application/json"]["schema"];
                    *schema = json!({"oneOf": [schema.clone(), {"$ref": "#/components/schemas/Error400"}]});
                    statuses.insert(400);
                }
                for (status, response) in responses.iter_mut() {
                    let Ok(status) = status.parse::<u16>() else {
                        continue;
                    };
                    if status < 400 || (ckan && status != 403 && status != 429) {
                        continue;
                    }
                    if let Some(content) = response
                        .get_mut("content")
                        .and_then(|c| c.get_mut("application/json"))
                    {
                        content["schema"] =
                            json!({"$ref": format!("#/components/schemas/Error{status}")});
                        statuses.insert(status);
                    }
                }
            }
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object_mut()
        .expect("components.schemas");
    for status in statuses {
        let codes: Vec<&str> = ErrorCode::ALL
            .iter()
            .filter(|c| c.status().as_u16() == status)
            .map(|c| c.as_str())
            .collect();
        let mut schema = error_schema(&codes);
        if status == 410 {
            // A retracted release says when and why (API.md).
            schema["required"] = json!(["error", "retracted_at", "reason"]);
            schema["properties"]["retracted_at"] = json!({"type": "string", "format": "date-time"});
            schema["properties"]["reason"] = json!({"type": "string"});
        }
        schemas.insert(format!("Error{status}"), schema);
    }
}

fn error_response(status: u16) -> Value {
    let description = match status {
        401 => "no valid credentials",
        400 => "a parameter or the body is malformed; the message names it",
        403 => "`blocked`: an administrator refused this account, key or address",
        429 => "too many requests from this client; `Retry-After` says when to come back",
        410 => "`retracted`: the release was taken off the catalogue; the answer says when and why",
        _ => "error",
    };
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/Error{status}")}}},
    })
}

fn error_schema(codes: &[&str]) -> Value {
    json!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string"},
                },
            },
        },
    })
}

/// Path templates and the methods each answers, in registration order
/// (the order actix matches in).
fn routes(doc: &Value) -> Vec<(ResourceDef, Vec<String>)> {
    let empty = Map::new();
    doc["paths"]
        .as_object()
        .unwrap_or(&empty)
        .iter()
        .map(|(path, item)| {
            let methods = METHODS
                .into_iter()
                .filter(|key| item.get(*key).is_some())
                .map(str::to_uppercase)
                .collect();
            (ResourceDef::new(path.as_str()), methods)
        })
        .collect()
}

/// The answer when no route matched: 405 with `Allow` for a known path
/// asked with another method, else 404.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let path = req.path();
    Err(
        match document().routes.iter().find(|(def, _)| def.is_match(path)) {
            Some((_, methods)) => AppError::MethodNotAllowed(methods.clone()),
            None => AppError::NotFound("no such route".into()),
        },
    )
}
