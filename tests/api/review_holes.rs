//! The two holes an outside probe found in the review rules, and the pool
//! that uploads used to drain: each test fails on the code before the fix.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::*;
use actix_web::web;
use diesel::prelude::*;
use releasegate::auth::CurrentUser;
use releasegate::db::models::User;
use releasegate::db::schema::users;
use releasegate::ids::ReleaseId;
use releasegate::jobs::JobState;
use releasegate::policy::Role;
use releasegate::service::releases::{self, Upload};
use serde_json::{json, Value};

async fn current_user(app: &TestApp, username: &'static str) -> CurrentUser {
    app.db(move |c| {
        let row: User = users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .first(c)
            .unwrap();
        CurrentUser::from_row(row).unwrap()
    })
    .await
}

#[actix_web::test]
async fn the_author_of_a_new_version_cannot_approve_it() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let dual = app
        .user("dual", &[Role::Submitter, Role::DeptApprover], Some("FGW"))
        .await;
    let id = clean_release(&app, &cast).await;
    let id = id.as_str();
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &dual,
            None,
            &[("a.txt", "公开统计数据（修订）\n".as_bytes())],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let msg = decide(&app, id, &dual, "department_review", "approve")
        .await
        .assert_error(403, "forbidden");
    assert!(msg.contains("authored"), "{msg}");
    // A colleague who filed nothing may.
    let res = decide(&app, id, &cast.approver, "department_review", "approve").await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// The slow half of a new version (storing the upload, no connection
/// held), as the service runs it between its two reads.
async fn prepared_version(
    app: &TestApp,
    id: &str,
) -> (CurrentUser, releases::VersionBasis, Vec<releases::Stored>) {
    let user = current_user(app, "submitter").await;
    let (state, me, id) = (app.state.clone(), user.clone(), ReleaseId::from(id));
    let basis = app
        .db(move |c| releases::version_basis(&state, c, &me, &id, None))
        .await
        .expect("the release takes a new version before the race");
    let state = app.state.clone();
    let stored = web::block(move || {
        let mut spool = state.store.writer().unwrap();
        spool
            .write_all("公开统计数据（第二版）\n".as_bytes())
            .unwrap();
        let uploads = vec![Upload {
            name: "a.txt".into(),
            spool,
        }];
        releases::store_uploads(&state, uploads)
    })
    .await
    .unwrap();
    (user, basis, stored.unwrap())
}

async fn record_version(
    app: &TestApp,
    id: &str,
    prepared: (CurrentUser, releases::VersionBasis, Vec<releases::Stored>),
) -> Result<releases::ReleaseView, releasegate::error::AppError> {
    let (user, basis, stored) = prepared;
    let (state, id) = (app.state.clone(), ReleaseId::from(id));
    let view = app
        .db(move |c| releases::add_version(&state, c, &user, &id, basis, stored))
        .await;
    app.run_jobs().await;
    view
}

fn assert_conflict(
    result: Result<releases::ReleaseView, releasegate::error::AppError>,
    code: &str,
) {
    match result {
        Err(releasegate::error::AppError::Rule { code: got, message }) => {
            assert_eq!(got.as_str(), code, "{message}")
        }
        Err(other) => panic!("expected 409 {code}, got {other:?}"),
        Ok(view) => panic!("expected 409 {code}, the version landed: {}", view.state),
    }
}

async fn state_of(app: &TestApp, id: &str, token: &str) -> Value {
    app.get(&format!("/api/v1/releases/{id}"), Some(token))
        .await
        .json()["state"]
        .clone()
}

async fn audit_intact(app: &TestApp, token: &str) {
    let verify = app.get("/api/v1/audit/verify", Some(token)).await.json();
    assert_eq!(verify["ok"], true, "{verify}");
}

/// What lands while a new version is being inspected.
enum Meanwhile {
    FinalSignOff,
    Veto,
    Withdrawal,
}

/// A new version is inspected; meanwhile a final change lands; then the
/// version is recorded. It must be refused and leave the release as the
/// final change left it, with the audit chain intact.
async fn version_races(meanwhile: Meanwhile) {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let id = id.as_str();
    let approve = |token, stage| decide(&app, id, token, stage, "approve");
    assert_eq!(
        approve(&cast.approver, "department_review").await.status,
        200
    );
    if let Meanwhile::FinalSignOff = meanwhile {
        assert_eq!(approve(&cast.secrecy, "secrecy_review").await.status, 200);
    }
    let prepared = prepared_version(&app, id).await;
    let (landed, expected) = match meanwhile {
        Meanwhile::FinalSignOff => (approve(&cast.leader, "final_signoff").await, "published"),
        Meanwhile::Veto => (
            decide(&app, id, &cast.secrecy, "secrecy_review", "reject").await,
            "rejected",
        ),
        Meanwhile::Withdrawal => (
            app.post_json(
                &format!("/api/v1/releases/{id}/withdraw"),
                Some(&cast.submitter),
                json!({"reason": "数据有误"}),
            )
            .await,
            "withdrawn",
        ),
    };
    assert_eq!(landed.json()["state"], expected, "{}", landed.text());
    assert_conflict(
        record_version(&app, id, prepared).await,
        "not_allowed_in_state",
    );
    assert_eq!(state_of(&app, id, &cast.submitter).await, expected);
    if expected == "published" {
        let public = app.get(&format!("/public/releases/{id}"), None).await;
        assert_eq!(public.status, 200, "still public: {}", public.text());
    }
    audit_intact(&app, &cast.supervisor).await;
}

#[actix_web::test]
async fn a_new_version_inspected_during_the_final_sign_off_cannot_unpublish_it() {
    version_races(Meanwhile::FinalSignOff).await;
}

#[actix_web::test]
async fn a_new_version_inspected_during_a_veto_cannot_revive_the_release() {
    version_races(Meanwhile::Veto).await;
}

#[actix_web::test]
async fn a_new_version_inspected_during_a_withdrawal_cannot_revive_the_release() {
    version_races(Meanwhile::Withdrawal).await;
}

#[actix_web::test]
async fn two_versions_inspected_at_once_do_not_overwrite_each_other() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let first = prepared_version(&app, &id).await;
    let second = prepared_version(&app, &id).await;
    let landed = record_version(&app, &id, first).await.expect("first lands");
    assert_eq!(landed.version, 2);
    assert_conflict(record_version(&app, &id, second).await, "release_changed");
}

/// A raw HTTP/1.1 exchange: status code and elapsed time.
fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, Duration) {
    let started = Instant::now();
    let (status, _) = raw_http(addr, head, body).unwrap();
    (status, started.elapsed())
}

#[actix_web::test]
async fn cheap_reads_stay_fast_while_many_large_uploads_are_inspected() {
    const UPLOADS: usize = 20;
    let db = TestDb::new();
    let mut s = settings(&db);
    // A pool smaller than the number of uploads: holding a connection while
    // waiting for an inspection slot would starve every other request.
    s.pool_size = 4;
    s.max_concurrent_scans = 2;
    let state = web::block(move || releasegate::app::AppState::build(s))
        .await
        .unwrap()
        .unwrap();
    let app_state = state.clone();
    let queue = state.clone();
    let (server, addr) = releasegate::http::server(state.clone(), "127.0.0.1:0").unwrap();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    // As `serve` does: the workers that inspect the uploads.
    releasegate::jobs::spawn_workers(&state);
    let tokens = web::block(move || {
        let conn = &mut app_state.pool.get().unwrap();
        releasegate::service::accounts::add_department(conn, "FGW", "市发展改革委").unwrap();
        let user = releasegate::service::accounts::add_user(
            conn,
            &releasegate::service::accounts::NewUser {
                username: "submitter",
                password: PASSWORD,
                roles: &[Role::Submitter],
                department: Some("FGW"),
                email: None,
            },
        )
        .unwrap();
        app_state
            .tokens
            .issue(&user.id, &user.username, None)
            .unwrap()
            .0
    })
    .await
    .unwrap();
    // Just under the test upload limit: a dense roster, every row a finding.
    let mut csv = String::from("姓名,身份证号,手机\n");
    while csv.len() < 1_000_000 {
        csv.push_str(&format!("张建国,{ID_NUMBER},{MOBILE}\n"));
    }
    let (content_type, body) = multipart(Some(meta(&[])), &[("roster.csv", csv.as_bytes())]);
    let token = tokens.clone();
    let uploads = std::thread::spawn(move || {
        let threads: Vec<_> = (0..UPLOADS)
            .map(|_| {
                let head = format!(
                    "POST /api/v1/releases HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let body = body.clone();
                std::thread::spawn(move || exchange(addr, &head, &body))
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect::<Vec<_>>()
    });
    let me = format!(
        "GET /api/v1/me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {tokens}\r\nConnection: close\r\n\r\n"
    );
    // Jobs still queued or running: the inspections are not over.
    let inspecting = move || {
        let conn = &mut queue.pool.get().unwrap();
        [JobState::Queued, JobState::Running].into_iter().any(|s| {
            !releasegate::jobs::list(conn, Some(s), None, 1)
                .unwrap()
                .is_empty()
        })
    };
    let reads = std::thread::spawn(move || {
        let mut slowest = Duration::ZERO;
        let mut count = 0;
        while !uploads.is_finished() || inspecting() {
            let (status, took) = exchange(addr, &me, b"");
            assert_eq!(status, 200);
            slowest = slowest.max(took);
            count += 1;
            std::thread::sleep(Duration::from_millis(50));
        }
        (uploads.join().unwrap(), slowest, count)
    });
    let (results, slowest, reads) = web::block(move || reads.join().unwrap()).await.unwrap();
    handle.stop(true).await;
    let statuses: Vec<u16> = results.iter().map(|(s, _)| *s).collect();
    let longest = results.iter().map(|(_, t)| *t).max().unwrap_or_default();
    eprintln!(
        "{UPLOADS} uploads of {} bytes: slowest upload {longest:?}; {reads} reads of /api/v1/me meanwhile, slowest {slowest:?}",
        csv.len()
    );
    assert!(
        statuses.iter().all(|s| *s == 201),
        "uploads answered {statuses:?}"
    );
    assert!(reads > 3, "only {reads} reads ran during the uploads");
    assert!(
        slowest < Duration::from_secs(1),
        "GET /api/v1/me took {slowest:?} while uploads were inspected"
    );
}

/// A co-department list that does not parse is an error, never "no
/// co-departments" (which would drop the 会签 stage without a word).
#[actix_web::test]
async fn a_corrupt_co_department_list_is_an_error_not_a_missing_stage() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let release = app
        .file_release(
            &cast.submitter,
            meta(&["TJJ"]),
            "a.txt",
            "公开统计数据\n".as_bytes(),
        )
        .await;
    let id = release["id"].as_str().unwrap().to_string();
    let target = id.clone();
    app.db(move |c| {
        diesel::sql_query(format!(
            "UPDATE releases SET co_departments = 'TJJ' WHERE id = '{target}'"
        ))
        .execute(c)
        .unwrap()
    })
    .await;
    app.get(&format!("/api/v1/releases/{id}"), Some(&cast.supervisor))
        .await
        .assert_error(500, "internal");
    decide(&app, &id, &cast.approver, "department_review", "approve")
        .await
        .assert_error(500, "internal");
}
