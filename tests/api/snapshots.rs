//! The API's shapes, pinned: a change to the release view, the error
//! envelope or the API document shows in review as a snapshot diff. Ids,
//! digests and times are redacted; everything else is compared as is.

use crate::common::*;
use serde_json::json;

/// Redacts a time but keeps a null a null (a stage with no deadline).
fn time() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value, _| match value.as_str() {
        Some(_) => "[time]".into(),
        None => value,
    })
}

#[actix_web::test]
async fn the_release_view() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let release = app
        .file_release(
            &cast.submitter,
            meta(&["TJJ"]),
            "notice.txt",
            &sample_text(),
        )
        .await;
    insta::assert_json_snapshot!(release, {
        ".id" => "[id]",
        ".policy_digest" => "[digest]",
        ".created_at" => time(),
        ".updated_at" => time(),
        ".stages[].opened_at" => time(),
        ".stages[].deadline" => time(),
        ".versions[].digest" => "[digest]",
        ".versions[].created_at" => time(),
    });
}

#[actix_web::test]
async fn the_error_envelope() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let id = clean_release(&app, &cast).await;
    let id = id.as_str();
    let refused = app
        .post_json(
            &format!("/api/v1/releases/{id}/decisions"),
            Some(&cast.approver),
            json!({"stage": "final_signoff", "decision": "approve", "comment": ""}),
        )
        .await;
    assert_eq!(refused.status, 403);
    insta::assert_json_snapshot!("forbidden", refused.json());
    let conflict = app
        .post_json(
            &format!("/api/v1/releases/{id}/decisions"),
            Some(&cast.leader),
            json!({"stage": "final_signoff", "decision": "approve", "comment": ""}),
        )
        .await;
    assert_eq!(conflict.status, 409);
    insta::assert_json_snapshot!("conflict", conflict.json());
}

#[actix_web::test]
async fn the_api_document() {
    let app = TestApp::new().await;
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    insta::assert_json_snapshot!(doc.json());
}
