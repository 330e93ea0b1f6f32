//! Authentication, authorisation, input limits and the public boundary.

use crate::common::*;
use releasegate::policy::Role;
use serde_json::json;

#[actix_web::test]
async fn login_and_token_checks() {
    let app = TestApp::new().await;
    app.department("FGW", "市发展改革委").await;
    app.user("alice", &[Role::Submitter], Some("FGW")).await;

    let res = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "alice", "password": "wrong password"}),
        )
        .await;
    res.assert_error(401, "unauthorized");
    let res = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "nobody", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        res.assert_error(401, "unauthorized"),
        "wrong username or password",
        "no hint which part was wrong"
    );
    let res = app
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 200);
    let body = res.json();
    assert_eq!(body["user"]["roles"], json!(["submitter"]));
    let token = body["token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/v1/me", Some(token)).await.json()["username"],
        "alice"
    );

    app.get("/api/v1/me", None)
        .await
        .assert_error(401, "unauthorized");
    app.get("/api/v1/me", Some("not.a.token"))
        .await
        .assert_error(401, "unauthorized");
    // A token signed with another secret, or for another audience, is refused.
    let foreign = releasegate::auth::TokenKeys::hs256(
        b"some-other-secret-some-other-secret",
        chrono::Duration::hours(1),
    );
    let (forged, _) = foreign.issue("x", "alice", None).unwrap();
    app.get("/api/v1/me", Some(&forged))
        .await
        .assert_error(401, "unauthorized");
    let expired = app
        .state
        .tokens
        .issue("x", "alice", Some(chrono::Duration::hours(-1)))
        .unwrap()
        .0;
    app.get("/api/v1/me", Some(&expired))
        .await
        .assert_error(401, "unauthorized");

    app.post_json("/api/v1/auth/login", None, json!({"username": "alice"}))
        .await
        .assert_error(400, "bad_request");
}

#[actix_web::test]
async fn roles_and_departments_bound_every_route() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    app.department("DSJ", "市政府电子政务办").await;
    let other_submitter = app
        .user("dsj-submitter", &[Role::Submitter], Some("DSJ"))
        .await;
    let clean = "关于2026年补贴发放情况的说明\n".as_bytes();

    // Only submitters file, and only for their own department.
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.approver,
            Some(meta(&[])),
            &[("a.txt", clean)],
        )
        .await;
    res.assert_error(403, "forbidden");
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &other_submitter,
            Some(meta(&[])),
            &[("a.txt", clean)],
        )
        .await;
    res.assert_error(403, "forbidden");
    let release = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", clean)],
        )
        .await
        .json();
    let id = release["id"].as_str().unwrap();

    // Another department cannot read it, nor learn that it exists (404 as
    // for a missing id); a city-wide reviewer can read it.
    app.get(&format!("/api/v1/releases/{id}"), Some(&other_submitter))
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get(&format!("/api/v1/releases/{id}"), Some(&cast.privacy))
            .await
            .status,
        200
    );
    assert_eq!(
        app.get("/api/v1/releases", Some(&other_submitter))
            .await
            .json()["items"],
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/releases", Some(&cast.submitter))
            .await
            .json()["items"][0]["id"],
        id
    );

    // The audit trail is for supervisors.
    app.get("/api/v1/audit", Some(&cast.secrecy))
        .await
        .assert_error(403, "forbidden");
    app.get("/api/v1/audit/verify", Some(&cast.submitter))
        .await
        .assert_error(403, "forbidden");
    app.get("/api/v1/audit?format=xml", Some(&cast.supervisor))
        .await
        .assert_error(400, "bad_request");
    app.get("/api/v1/audit?from=yesterday", Some(&cast.supervisor))
        .await
        .assert_error(400, "bad_request");

    app.get("/api/v1/releases/nope", Some(&cast.secrecy))
        .await
        .assert_error(404, "not_found");
    app.get("/no/such/route", None)
        .await
        .assert_error(404, "not_found");
}

#[actix_web::test]
async fn bad_uploads_are_refused_with_a_reason_and_store_nothing() {
    let (app, cast) = TestApp::builder()
        .settings(|s| s.max_upload_bytes = 64 * 1024)
        .with_cast()
        .await;
    let upload = |files: Vec<(&'static str, Vec<u8>)>, m: Option<serde_json::Value>| {
        let token = cast.submitter.clone();
        let app = &app;
        async move {
            let files: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
            app.post_multipart("/api/v1/releases", &token, m, &files)
                .await
        }
    };
    let big = vec![b'a'; 80 * 1024];
    upload(vec![("big.txt", big)], Some(meta(&[])))
        .await
        .assert_error(413, "payload_too_large");
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let msg = upload(vec![("logo.png", png)], Some(meta(&[])))
        .await
        .assert_error(415, "unsupported_media_type");
    assert!(msg.contains("logo.png"), "{msg}");
    upload(vec![("a.txt", b"x".to_vec())], None)
        .await
        .assert_error(400, "bad_request");
    upload(vec![], Some(meta(&[])))
        .await
        .assert_error(400, "bad_request");
    upload(vec![("../etc/passwd", b"x".to_vec())], Some(meta(&[])))
        .await
        .assert_error(422, "invalid_file");
    upload(
        vec![("a.txt", b"x".to_vec()), ("a.txt", b"y".to_vec())],
        Some(meta(&[])),
    )
    .await
    .assert_error(422, "invalid_file");
    // Refused files were spooled into the store as they arrived; none is
    // kept, stored or partial.
    let data = app.db.dir().join("data");
    let sha = |b: &[u8]| releasegate::store::sha256_hex(b);
    for refused in [&b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"[..], b"y"] {
        let digest = sha(refused);
        assert!(!data.join(&digest[..2]).join(&digest[2..]).exists());
    }
    assert_eq!(std::fs::read_dir(data.join("tmp")).unwrap().count(), 0);
    let mut m = meta(&["NOPE"]);
    upload(vec![("a.txt", b"x".to_vec())], Some(m.clone()))
        .await
        .assert_error(422, "unknown_department");
    m["co_departments"] = json!(["FGW"]);
    upload(vec![("a.txt", b"x".to_vec())], Some(m.clone()))
        .await
        .assert_error(422, "co_departments_invalid");
    m["title"] = json!("");
    upload(vec![("a.txt", b"x".to_vec())], Some(m))
        .await
        .assert_error(400, "bad_request");
    let mut m = meta(&[]);
    m["unexpected"] = json!(1);
    upload(vec![("a.txt", b"x".to_vec())], Some(m))
        .await
        .assert_error(400, "bad_request");

    // Nothing was recorded by any of those.
    assert_eq!(
        app.get("/api/v1/releases", Some(&cast.secrecy))
            .await
            .json()["items"],
        json!([])
    );
}

#[actix_web::test]
async fn public_endpoints_show_published_releases_only() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let r = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", &sample_text())],
        )
        .await
        .json();
    let id = r["id"].as_str().unwrap();
    for path in [
        format!("/public/releases/{id}"),
        format!("/public/releases/{id}/files/a.txt"),
    ] {
        app.get(&path, None).await.assert_error(404, "not_found");
    }
    assert_eq!(
        app.get("/public/catalog", None).await.json()["dcat:dataset"],
        json!([])
    );
}

#[actix_web::test]
async fn metrics_are_for_the_local_scraper() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    app.post_multipart(
        "/api/v1/releases",
        &cast.submitter,
        Some(meta(&[])),
        &[("a.txt", &sample_text())],
    )
    .await;
    let from = |peer: &str| {
        actix_web::test::TestRequest::get()
            .uri("/metrics")
            .peer_addr(peer.parse().unwrap())
    };
    // Metrics are for the local scraper: a remote client, or anyone through
    // a proxy, is refused without the metrics token.
    app.call(from("203.0.113.9:4000"))
        .await
        .assert_error(401, "unauthorized");
    app.call(from("127.0.0.1:4000").insert_header(("X-Forwarded-For", "203.0.113.9")))
        .await
        .assert_error(401, "unauthorized");
    let metrics = app.call(from("127.0.0.1:4000")).await.text();
    assert!(
        metrics.contains("releasegate_releases{state=\"blocked\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("releasegate_open_stages{stage=\"department_review\"} 1"),
        "{metrics}"
    );
}

#[actix_web::test]
async fn password_guessing_is_throttled_per_address_not_locked_per_account() {
    let app = TestApp::new().await;
    app.department("FGW", "市发展改革委").await;
    app.user("alice", &[Role::Submitter], Some("FGW")).await;
    let login = |password: &'static str, from: &'static str| {
        app.call(
            actix_web::test::TestRequest::post()
                .uri("/api/v1/auth/login")
                .peer_addr(from.parse().unwrap())
                .set_json(json!({"username": "alice", "password": password})),
        )
    };
    for _ in 0..5 {
        login("guess", "203.0.113.9:1")
            .await
            .assert_error(401, "unauthorized");
    }
    // The guesser waits, told how long; even the right password is not checked.
    let throttled = login(PASSWORD, "203.0.113.9:1").await;
    throttled.assert_error(429, "too_many_requests");
    let retry: u64 = throttled
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0);
    // The owner, elsewhere, is not locked out by the stranger's guesses.
    assert_eq!(login(PASSWORD, "198.51.100.7:1").await.status, 200);
    let events = app
        .db(|c| releasegate::service::audit_log::page(c, &Default::default(), 0, 100).unwrap())
        .await;
    let failed = events
        .iter()
        .filter(|e| e.action == "user.login_failed")
        .count();
    assert_eq!(failed, 5, "every checked guess is audited");
}

/// Sixty guesses at once from one address: the throttle admits exactly five
/// to the password check (the old lockout read a stale count and let ~40
/// through), and the failure counter counts every one of them.
#[actix_web::test]
async fn parallel_guesses_cannot_race_past_the_throttle() {
    let app = TestApp::new().await;
    app.department("FGW", "市发展改革委").await;
    app.user("alice", &[Role::Submitter], Some("FGW")).await;
    let guesses = (0..60).map(|_| {
        app.post_json(
            "/api/v1/auth/login",
            None,
            json!({"username": "alice", "password": "guess"}),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status.as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    eprintln!("60 parallel guesses: {checked} checked, {throttled} throttled");
    assert_eq!((checked, throttled), (5, 55), "{statuses:?}");
    let failures: i32 = app
        .db(|c| {
            use diesel::prelude::*;
            use releasegate::db::schema::users;
            users::table.select(users::failed_logins).first(c).unwrap()
        })
        .await;
    assert_eq!(
        failures, 5,
        "concurrent failures are counted, not overwritten"
    );
}

/// An unknown username costs the same password hash as a wrong password
/// and gets the same answer, so neither timing nor wording tells them apart.
#[actix_web::test]
async fn unknown_users_and_wrong_passwords_look_the_same() {
    let app = TestApp::new().await;
    app.department("FGW", "市发展改革委").await;
    app.user("alice", &[Role::Submitter], Some("FGW")).await;
    let mut timings = Vec::new();
    let attempts = ["alice", "nobody"].iter().cycle().take(10);
    for (n, username) in attempts.enumerate() {
        // A fresh address each time: the throttle is not what is measured.
        let from = format!("198.51.100.{}:1", n + 1);
        let started = std::time::Instant::now();
        let res = app
            .call(
                actix_web::test::TestRequest::post()
                    .uri("/api/v1/auth/login")
                    .peer_addr(from.parse().unwrap())
                    .set_json(json!({"username": username, "password": "guess"})),
            )
            .await;
        timings.push((username.to_string(), started.elapsed()));
        let msg = res.assert_error(401, "unauthorized");
        assert_eq!(msg, "wrong username or password");
    }
    // The fastest of each: other tests share the machine, and load only
    // ever makes a request slower, so a skipped hash still shows as a
    // minimum far below the other one.
    let fastest = |who: &str| {
        timings
            .iter()
            .filter(|(u, _)| u == who)
            .map(|(_, t)| t.as_secs_f64())
            .fold(f64::INFINITY, f64::min)
    };
    let (known, unknown) = (fastest("alice"), fastest("nobody"));
    eprintln!(
        "wrong password {:.1} ms, unknown user {:.1} ms",
        known * 1e3,
        unknown * 1e3
    );
    assert!(
        unknown > known * 0.5,
        "an unknown user answers much faster: {unknown} vs {known}"
    );
}

#[actix_web::test]
async fn a_zip_bomb_is_accepted_then_blocks_the_release_as_scan_failed_naming_the_limit() {
    use std::io::Write;
    let (app, cast) = TestApp::builder()
        .settings(|s| s.limits.max_decompressed_bytes = 1024 * 1024)
        .with_cast()
        .await;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(&vec![b' '; 8 * 1024 * 1024]).unwrap();
    let bomb = zip.finish().unwrap().into_inner();
    assert!(
        bomb.len() < 64 * 1024,
        "small on the wire: {} bytes",
        bomb.len()
    );
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("bomb.docx", &bomb)],
        )
        .await;
    // Small on the wire, so the upload is taken; its inspection finds the
    // limit, and a file nobody could read blocks the release.
    assert_eq!(res.status, 201, "{}", res.text());
    let release = res.json();
    assert_eq!(release["state"], "blocked", "{release}");
    let id = release["id"].as_str().unwrap();
    let found = findings(&app, id, &cast.secrecy).await;
    let failed = finding_of(&found, "SCAN_FAILED");
    assert_eq!(failed["severity"], "block");
    assert_eq!(failed["location"], serde_json::json!({"file": "bomb.docx"}));
    let why = failed["excerpt"].as_str().unwrap();
    assert!(
        why.contains("bomb.docx") && why.contains("1048576"),
        "{why}"
    );
    // No disposition clears it: only a new version with a readable file does.
    let fid = failed["id"].as_str().unwrap();
    let res = app
        .post_json(
            &format!("/api/v1/releases/{id}/findings/{fid}/disposition"),
            Some(&cast.secrecy),
            serde_json::json!({"disposition": "false_positive", "note": "looks fine"}),
        )
        .await;
    let msg = res.assert_error(422, "blocking_finding");
    assert!(msg.contains("could not be inspected"), "{msg}");
}

/// The API authenticates by the Authorization header alone: a browser that
/// holds the dashboard's session cookie cannot be made to drive it from
/// another site (no CSRF token guards `/api/v1`).
#[actix_web::test]
async fn the_api_ignores_the_session_cookie() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let cookie = format!("rg_session={}", cast.submitter);
    let with_cookie =
        |req: actix_web::test::TestRequest| req.insert_header(("Cookie", cookie.clone()));
    let (content_type, body) =
        multipart(Some(meta(&[])), &[("a.txt", "公开统计数据\n".as_bytes())]);
    let submit = with_cookie(actix_web::test::TestRequest::post().uri("/api/v1/releases"))
        .insert_header(("Content-Type", content_type))
        .set_payload(body);
    app.call(submit).await.assert_error(401, "unauthorized");
    let me = with_cookie(actix_web::test::TestRequest::get().uri("/api/v1/me"));
    app.call(me).await.assert_error(401, "unauthorized");
    let logout = with_cookie(actix_web::test::TestRequest::post().uri("/api/v1/auth/logout"));
    app.call(logout).await.assert_error(401, "unauthorized");
    // The same token as a bearer header works, and was not signed out.
    assert_eq!(
        app.get("/api/v1/me", Some(&cast.submitter)).await.status,
        200
    );
    // Pages still take the cookie.
    let page = with_cookie(actix_web::test::TestRequest::get().uri("/releases/new"));
    assert_eq!(app.call(page).await.status, 200);
}

/// 有条件开放 data is never served to the public: the catalogue lists it as
/// restricted and its files answer 401, while open data downloads as before.
#[actix_web::test]
async fn conditional_data_is_not_served_to_the_public() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let mut conditional = meta(&[]);
    conditional["open_mode"] = json!("conditional");
    let mut ids = Vec::new();
    for m in [conditional, meta(&[])] {
        let r = app
            .file_release(&cast.submitter, m, "stats.txt", "公开统计数据\n".as_bytes())
            .await;
        let id = r["id"].as_str().unwrap().to_string();
        assert_eq!(
            app.approve_all(&id, &cast, |_| "redact").await["state"],
            "published"
        );
        ids.push(id);
    }
    let (restricted, open) = (&ids[0], &ids[1]);
    app.get(
        &format!("/public/releases/{restricted}/files/stats.txt"),
        None,
    )
    .await
    .assert_error(401, "unauthorized");
    let res = app
        .get(&format!("/public/releases/{open}/files/stats.txt"), None)
        .await;
    assert_eq!(res.status, 200);
    let catalog = app.get("/public/catalog", None).await.json();
    let rights = |id: &str| {
        catalog["dcat:dataset"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["dct:identifier"] == id)
            .map(|d| d["dct:accessRights"]["@id"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert!(rights(restricted).ends_with("/RESTRICTED"));
    assert!(rights(open).ends_with("/PUBLIC"));
}

#[actix_web::test]
async fn metrics_with_a_token_are_answered_to_that_token_only() {
    let app = TestApp::builder()
        .settings(|s| s.metrics_token = Some("scrape-me-scrape-me".into()))
        .build()
        .await;
    let remote = || {
        actix_web::test::TestRequest::get()
            .uri("/metrics")
            .peer_addr("203.0.113.9:4000".parse().unwrap())
    };
    app.call(remote()).await.assert_error(401, "unauthorized");
    app.call(remote().insert_header(("Authorization", "Bearer wrong")))
        .await
        .assert_error(401, "unauthorized");
    let ok = app
        .call(remote().insert_header(("Authorization", "Bearer scrape-me-scrape-me")))
        .await;
    assert_eq!(ok.status, 200);
}

/// A NUL character in any text input is a 400 on both backends (PostgreSQL
/// answered 500: its text type cannot hold one).
#[actix_web::test]
async fn nul_in_any_text_input_is_a_bad_request() {
    use actix_web::test::TestRequest;
    let (app, cast) = TestApp::builder().with_cast().await;
    let id = clean_release(&app, &cast).await;
    let id = id.as_str();
    let bearer = |req: TestRequest, token: &str| {
        req.insert_header(("Authorization", format!("Bearer {token}")))
    };
    let json_body = |uri: &str, body: &str| {
        TestRequest::post()
            .uri(uri)
            .insert_header(("Content-Type", "application/json"))
            .set_payload(body.to_string())
    };
    let mut nul_title = meta(&[]);
    nul_title["title"] = json!("标题\u{0}");
    let (content_type, multipart_body) =
        multipart(Some(nul_title), &[("a.txt", "数据\n".as_bytes())]);
    let cases: Vec<(&str, TestRequest)> = vec![
        (
            "login",
            json_body(
                "/api/v1/auth/login",
                r#"{"username":"submitter\u0000","password":"x"}"#,
            ),
        ),
        (
            "dashboard login",
            TestRequest::post()
                .uri("/login")
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload("username=a%00&password=x&csrf_token=x"),
        ),
        (
            "public read",
            TestRequest::get().uri("/public/releases/abc%00"),
        ),
        (
            "public file",
            TestRequest::get().uri(&format!("/public/releases/{id}/files/a%00.txt")),
        ),
        (
            "public cursor",
            TestRequest::get().uri("/public/releases?cursor=%00"),
        ),
        (
            "path id",
            bearer(
                TestRequest::get().uri("/api/v1/releases/x%00y"),
                &cast.supervisor,
            ),
        ),
        (
            "filter",
            bearer(
                TestRequest::get().uri("/api/v1/releases?department=FGW%00"),
                &cast.supervisor,
            ),
        ),
        (
            "audit filter",
            bearer(
                TestRequest::get().uri("/api/v1/audit?actor=%00"),
                &cast.supervisor,
            ),
        ),
        (
            "comment",
            bearer(
                json_body(
                    &format!("/api/v1/releases/{id}/decisions"),
                    r#"{"stage":"department_review","decision":"reject","comment":"no\u0000"}"#,
                ),
                &cast.approver,
            ),
        ),
        (
            "reason",
            bearer(
                json_body(
                    &format!("/api/v1/releases/{id}/withdraw"),
                    r#"{"reason":"\u0000"}"#,
                ),
                &cast.submitter,
            ),
        ),
        (
            "title",
            bearer(
                TestRequest::post()
                    .uri("/api/v1/releases")
                    .insert_header(("Content-Type", content_type.clone()))
                    .set_payload(multipart_body.clone()),
                &cast.submitter,
            ),
        ),
        (
            "queue filter",
            bearer(
                TestRequest::get().uri("/api/v1/queue?stage=%00"),
                &cast.secrecy,
            ),
        ),
    ];
    for (what, req) in cases {
        let res = app.call(req).await;
        assert_eq!(res.status, 400, "{what}: {}", res.text());
    }
    // Nothing was changed by any of them.
    let after = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(after["state"], "in_review");
}

/// A zero-width space inside an ID number used to hide it from the scan,
/// and the raw number reached /public after plain approvals. Now it is a
/// finding like any other, and the redacted rendition masks it whole.
#[actix_web::test]
async fn an_id_number_with_an_invisible_character_does_not_reach_the_public() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let hidden = format!("{}\u{200B}{}", &ID_NUMBER[..6], &ID_NUMBER[6..]);
    let text = format!("补贴发放名单\n联系人身份证号{hidden}。\n");
    let release = app
        .file_release(&cast.submitter, meta(&[]), "list.txt", text.as_bytes())
        .await;
    let id = release["id"].as_str().unwrap();
    let items = findings(&app, id, &cast.privacy).await;
    assert_eq!(finding_of(&items, "CN_ID_CARD")["category"], "personal");
    assert_eq!(
        app.approve_all(id, &cast, |_| "redact").await["state"],
        "published"
    );
    let public = app
        .get(&format!("/public/releases/{id}/files/list.txt"), None)
        .await
        .text();
    let digits: String = public.chars().filter(char::is_ascii_digit).collect();
    assert!(
        !digits.contains(&ID_NUMBER[6..14]),
        "the birth date is published: {public}"
    );
    assert!(
        !public.contains('\u{200B}'),
        "the hidden character went out: {public:?}"
    );
}
