//! The account lifecycle: administrators add, change, disable and re-enable
//! users through the API and the CLI; a new password, a disabled account or
//! a role taken away ends the user's sessions at once; all of it audited.

use crate::common::*;
use releasegate::policy::Role;
use serde_json::json;

async fn login(app: &TestApp, username: &str, password: &str) -> Response {
    app.post_json(
        "/api/v1/auth/login",
        None,
        json!({"username": username, "password": password}),
    )
    .await
}

async fn patch(app: &TestApp, admin: &str, username: &str, body: serde_json::Value) -> Response {
    app.call(
        actix_web::test::TestRequest::patch()
            .uri(&format!("/api/v1/users/{username}"))
            .insert_header(("Authorization", format!("Bearer {admin}")))
            .set_json(body),
    )
    .await
}

#[actix_web::test]
async fn changes_to_an_account_end_its_sessions_at_once() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let admin = app.user("admin", &[Role::Admin], None).await;
    // Only an administrator manages accounts.
    app.get("/api/v1/users", Some(&cast.supervisor))
        .await
        .assert_error(403, "forbidden");
    let created = app
        .post_json(
            "/api/v1/users",
            Some(&admin),
            json!({"username": "wang", "password": "first-password-1", "roles": ["secrecy_reviewer", "privacy_officer"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let token = login(&app, "wang", "first-password-1").await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);

    // Adding a role keeps the session; taking one away ends it.
    let res = patch(
        &app,
        &admin,
        "wang",
        json!({"roles": ["secrecy_reviewer", "privacy_officer", "leader"]}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);
    patch(&app, &admin, "wang", json!({"roles": ["secrecy_reviewer"]})).await;
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_error(401, "unauthorized");

    // A new password ends the session; the new one works at once.
    let token = login(&app, "wang", "first-password-1").await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    patch(
        &app,
        &admin,
        "wang",
        json!({"password": "second-password-2"}),
    )
    .await;
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_error(401, "unauthorized");
    login(&app, "wang", "first-password-1")
        .await
        .assert_error(401, "unauthorized");
    let token = login(&app, "wang", "second-password-2").await.json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, 200);

    // Disabled: the session ends and sign-in fails with the usual message.
    let res = patch(&app, &admin, "wang", json!({"active": false})).await;
    assert_eq!(res.json()["active"], false);
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_error(401, "unauthorized");
    let msg = login(&app, "wang", "second-password-2")
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(msg, "wrong username or password");
    patch(&app, &admin, "wang", json!({"active": true})).await;
    assert_eq!(login(&app, "wang", "second-password-2").await.status, 200);

    // Bad changes are refused with a reason, and change nothing.
    patch(&app, &admin, "wang", json!({"roles": ["submitter"]}))
        .await
        .assert_error(422, "department_required");
    patch(&app, &admin, "wang", json!({"password": "short"}))
        .await
        .assert_error(400, "bad_request");
    patch(&app, &admin, "nobody", json!({"active": false}))
        .await
        .assert_error(404, "not_found");

    let events = app
        .db(|c| releasegate::service::audit_log::page(c, &Default::default(), 0, 500).unwrap())
        .await;
    let updates: Vec<_> = events
        .iter()
        .filter(|e| e.action == "user.updated")
        .collect();
    assert_eq!(updates.len(), 5, "every change is audited");
    assert!(updates.iter().all(|e| e.actor == "admin"));
    assert!(!events
        .iter()
        .any(|e| e.details.to_string().contains("second-password")));
    let listed = app.get("/api/v1/users?limit=2", Some(&admin)).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert!(listed["next_cursor"].is_string());
}

#[test]
fn the_cli_disables_enables_and_changes_passwords_and_roles() {
    let db = TestDb::new();
    let run = |args: &[&str], stdin: Option<&str>| run_cli(&db, args, stdin);
    let ok = |out: std::process::Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ok(run(
        &[
            "user",
            "add",
            "--username",
            "lili",
            "--role",
            "leader",
            "--password-stdin",
        ],
        Some("leader-password-1\n"),
    ));
    let shown = ok(run(&["user", "disable", "--username", "lili"], None));
    assert!(shown.contains("\"active\":false"), "{shown}");
    ok(run(&["user", "enable", "--username", "lili"], None));
    ok(run(
        &["user", "passwd", "--username", "lili", "--password-stdin"],
        Some("leader-password-2\n"),
    ));
    let shown = ok(run(
        &[
            "user",
            "roles",
            "--username",
            "lili",
            "--role",
            "leader",
            "--role",
            "supervisor",
        ],
        None,
    ));
    assert!(shown.contains("supervisor"), "{shown}");
    let bad = run(
        &["user", "roles", "--username", "lili", "--role", "emperor"],
        None,
    );
    assert_eq!(bad.status.code(), Some(2));
    let short = run(
        &["user", "passwd", "--username", "lili", "--password-stdin"],
        Some("short\n"),
    );
    assert_eq!(short.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 10"));
}
