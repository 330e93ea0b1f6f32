//! The generated API document against the running routes: every documented
//! operation is routed, every other method on a known path is 405 with
//! `Allow`, unknown paths are 404, and error answers carry exactly the
//! codes the document lists for their status.

use actix_web::test::TestRequest;
use serde_json::Value;

use crate::common::*;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn request(method: &str) -> TestRequest {
    let method = actix_web::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    TestRequest::default().method(method)
}

/// `/api/v1/releases/{id}/files/{name}` with every parameter filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').unwrap() + open;
        out.push_str("01NOSUCHTHING");
        rest = &rest[close + 1..];
    }
    out + rest
}

async fn document(app: &TestApp) -> Value {
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    doc.json()
}

#[actix_web::test]
async fn every_documented_operation_is_routed_and_every_other_method_is_405() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let doc = document(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 40, "{} paths", paths.len());
    for (path, item) in paths {
        let declared: Vec<&str> = METHODS
            .into_iter()
            .filter(|m| item.get(*m).is_some())
            .collect();
        assert!(!declared.is_empty(), "{path} has no operation");
        for method in METHODS {
            let res = app
                .call(
                    request(method)
                        .uri(&concrete(path))
                        .insert_header(("Authorization", format!("Bearer {}", cast.supervisor))),
                )
                .await;
            if declared.contains(&method) {
                let unrouted = res.status == 404 && res.text().contains("no such route");
                assert!(!unrouted, "{method} {path} is documented but not routed");
                assert_ne!(res.status, 405, "{method} {path} is documented but refused");
            } else {
                res.assert_error(405, "method_not_allowed");
                let allow = res.headers.get("allow").unwrap().to_str().unwrap();
                let expected: Vec<String> = declared.iter().map(|m| m.to_uppercase()).collect();
                assert_eq!(allow, expected.join(", "), "Allow of {path}");
            }
        }
    }
    app.get("/api/v1/nothing-here", Some(&cast.supervisor))
        .await
        .assert_error(404, "not_found");
}

/// Handlers are registered only with `.service(handler)`, which puts their
/// `#[utoipa::path]` into the document; a bare `.route(..)` or
/// `web::resource(..)` would serve a path the document does not show.
#[test]
fn routes_are_registered_only_through_the_document() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/http");
    let mut stack = vec![std::path::PathBuf::from(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            // The documented scope is `utoipa_actix_web::scope`.
            let text = std::fs::read_to_string(&path)
                .unwrap()
                .replace("utoipa_actix_web::scope(", "");
            for bypass in [".route(", "web::resource(", "web::scope(", ".to(handler"] {
                assert!(
                    !text.contains(bypass),
                    "{} registers a route with {bypass}, which the API document cannot see",
                    path.display()
                );
            }
        }
    }
}

/// Client generators name a function after each operation id: two JSON
/// operations alike (say, staff and public sign-in) would collide. The
/// dashboard's pages are not for clients and share their actions' names.
#[test]
fn operation_ids_are_unique() {
    let doc = releasegate::http::openapi::generate();
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let page = op["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&"dashboard".into()));
            if let Some(id) = op
                .get("operationId")
                .and_then(Value::as_str)
                .filter(|_| !page)
            {
                if let Some(before) = seen.insert(id.to_string(), format!("{method} {path}")) {
                    panic!("operationId {id} is used by {before} and {method} {path}");
                }
            }
        }
    }
    assert!(seen.len() > 30, "{} operations", seen.len());
}

#[actix_web::test]
async fn every_error_status_lists_the_codes_it_can_carry() {
    let app = TestApp::new().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op["tags"][0] == "dashboard" {
                continue;
            }
            let bearer = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            let responses = op["responses"].as_object().unwrap();
            if bearer {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            // CKAN's action API refuses in CKAN's own shape; only the
            // public guard's answers (403, 429) are ours there.
            let ckan = path.starts_with("/api/3/action/") || path.starts_with("/api/action/");
            for (status, response) in responses {
                if status.as_str() < "400" || (ckan && !["403", "429"].contains(&status.as_str())) {
                    continue;
                }
                let reference = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path} {status} has no error schema"));
                let name = reference.rsplit('/').next().unwrap();
                let codes = schemas[name]["properties"]["error"]["properties"]["code"]["enum"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{name} lists no codes"));
                assert!(!codes.is_empty(), "{name}");
                seen += 1;
            }
        }
    }
    assert!(seen > 50, "{seen} error answers documented");
    // A real answer carries a code its status lists.
    let res = app
        .call(
            TestRequest::post()
                .uri("/api/v1/auth/login")
                .set_json(serde_json::json!({"username": "nobody", "password": "x"})),
        )
        .await;
    res.assert_error(401, "unauthorized");
    let listed = &schemas["Error401"]["properties"]["error"]["properties"]["code"]["enum"];
    assert_eq!(listed, &serde_json::json!(["unauthorized"]));
}
