//! The public side of conditional data (有条件开放): registration with the
//! verification mail read back from the `.eml` outbox, sign-in, API keys,
//! an application decided by the owning department, downloads refused and
//! allowed exactly as the grant says, each one traced in the access log.

use serde_json::{json, Value};

use crate::common::*;
use crate::mail::readable;
use releasegate::policy::Role;

pub(crate) const MEMBER_EMAIL: &str = "Li.Ming@Example.org";
pub(crate) const MEMBER_PASSWORD: &str = "a long enough passphrase";

/// Publishes a conditional release with one CSV file; returns its id.
async fn conditional_release(app: &TestApp, cast: &Cast) -> String {
    let mut m = meta(&[]);
    m["open_mode"] = json!("conditional");
    let r = app
        .file_release(
            &cast.submitter,
            m,
            "stats.csv",
            "区,户数\n梁子湖区,120\n".as_bytes(),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.approve_all(&id, cast, |_| "redact").await["state"],
        "published"
    );
    id
}

/// Every mail the default mailer wrote, decoded.
async fn delivered_mails(app: &TestApp) -> Vec<String> {
    let state = app.state.clone();
    app.db(move |c| releasegate::notify::deliver_due(c, &state.mailer).unwrap())
        .await;
    let dir = app.state.settings.data_dir.join("mail");
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| readable(&std::fs::read_to_string(e.path()).unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

/// Registers, reads the token from the mail, verifies and signs in;
/// returns the public token and the account id.
pub(crate) async fn verified_member(app: &TestApp) -> (String, String) {
    let res = app
        .post_json(
            "/public/accounts",
            None,
            json!({"email": MEMBER_EMAIL, "name": "李明", "organisation": "某数据公司", "password": MEMBER_PASSWORD}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let account = res.json();
    assert_eq!(account["email"], "li.ming@example.org");
    assert_eq!(account["verified"], false);
    let login = json!({"email": MEMBER_EMAIL, "password": MEMBER_PASSWORD});
    app.post_json("/public/auth/login", None, login.clone())
        .await
        .assert_error(403, "forbidden");
    let mails = delivered_mails(app).await;
    let mail = mails
        .iter()
        .find(|m| m.contains("To: li.ming@example.org"))
        .expect("a verification mail");
    let token = mail
        .split("Verification token: ")
        .nth(1)
        .and_then(|rest| rest.get(..64))
        .unwrap_or_else(|| panic!("no token in {mail}"))
        .to_string();
    app.post_json(
        "/public/accounts/verify",
        None,
        json!({"token": "0".repeat(64)}),
    )
    .await
    .assert_error(404, "not_found");
    let verified = app
        .post_json("/public/accounts/verify", None, json!({"token": token}))
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(verified.json()["verified"], true);
    app.post_json("/public/accounts/verify", None, json!({"token": token}))
        .await
        .assert_error(404, "not_found");
    app.post_json(
        "/public/auth/login",
        None,
        json!({"email": MEMBER_EMAIL, "password": "not the passphrase"}),
    )
    .await
    .assert_error(401, "unauthorized");
    let signed_in = app.post_json("/public/auth/login", None, login).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    let body = signed_in.json();
    (
        body["token"].as_str().unwrap().to_string(),
        body["account"]["id"].as_str().unwrap().to_string(),
    )
}

/// A fresh API key of the member signed in with `token`.
async fn new_key(app: &TestApp, token: &str) -> String {
    let key = app.post_json("/public/keys", Some(token), json!({})).await;
    assert_eq!(key.status, 201, "{}", key.text());
    key.json()["key"].as_str().unwrap().to_string()
}

async fn download_with_key(app: &TestApp, path: &str, key: &str) -> Response {
    app.call(
        actix_web::test::TestRequest::get()
            .uri(path)
            .insert_header(("X-API-Key", key))
            .insert_header(("User-Agent", "ckan-harvester/2.10")),
    )
    .await
}

async fn decide_application(app: &TestApp, token: &str, id: &str, body: Value) -> Response {
    app.post_json(
        &format!("/api/v1/applications/{id}/decision"),
        Some(token),
        body,
    )
    .await
}

#[actix_web::test]
async fn conditional_data_goes_to_an_approved_member_only_and_every_access_is_traced() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let id = conditional_release(&app, &cast).await;
    let file = format!("/public/releases/{id}/files/stats.csv");

    let (token, account) = verified_member(&app).await;
    // A public token is never a staff token, nor a staff token a public one.
    app.get("/api/v1/me", Some(&token))
        .await
        .assert_error(401, "unauthorized");
    app.get(&file, Some(&cast.approver))
        .await
        .assert_error(401, "unauthorized");

    let created = app.post_json("/public/keys", Some(&token), json!({})).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let created = created.json();
    let key = created["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("rgk_") && key.len() > 60, "{key}");
    let keys = app.get("/public/keys", Some(&token)).await;
    assert_eq!(keys.status, 200);
    assert!(!keys.text().contains(&key), "a key is shown once only");
    assert_eq!(keys.json()["items"][0]["prefix"], created["prefix"]);
    // A key cannot mint keys.
    let minted = app
        .call(
            actix_web::test::TestRequest::post()
                .uri("/public/keys")
                .insert_header(("X-API-Key", key.as_str())),
        )
        .await;
    minted.assert_error(403, "forbidden");

    app.get(&file, None).await.assert_error(401, "unauthorized");
    download_with_key(&app, &file, &key)
        .await
        .assert_error(403, "forbidden");

    let applied = app
        .post_json(
            &format!("/public/releases/{id}/applications"),
            Some(&token),
            json!({"purpose": "研究各区户数分布", "intended_use": "内部统计分析，不再转发"}),
        )
        .await;
    assert_eq!(applied.status, 201, "{}", applied.text());
    let application = applied.json();
    assert_eq!(application["state"], "pending");
    let app_id = application["id"].as_str().unwrap().to_string();
    app.post_json(
        &format!("/public/releases/{id}/applications"),
        Some(&token),
        json!({"purpose": "再次申请", "intended_use": "同上"}),
    )
    .await
    .assert_error(409, "exists");
    download_with_key(&app, &file, &key)
        .await
        .assert_error(403, "forbidden");

    // The owning department decides; another department neither sees nor decides it.
    let pending = app
        .get("/api/v1/applications?state=pending", Some(&cast.approver))
        .await
        .json();
    assert_eq!(pending["items"][0]["id"], app_id.as_str());
    assert_eq!(
        pending["items"][0]["applicant"]["organisation"],
        "某数据公司"
    );
    let elsewhere = app
        .get("/api/v1/applications", Some(&cast.approver_tjj))
        .await
        .json();
    assert_eq!(elsewhere["items"], json!([]));
    decide_application(
        &app,
        &cast.approver_tjj,
        &app_id,
        json!({"decision": "approve"}),
    )
    .await
    .assert_error(403, "forbidden");
    app.get("/api/v1/applications", Some(&cast.submitter))
        .await
        .assert_error(403, "forbidden");
    let approved = decide_application(
        &app,
        &cast.approver,
        &app_id,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    assert_eq!(approved.json()["state"], "approved");
    decide_application(
        &app,
        &cast.approver,
        &app_id,
        json!({"decision": "approve"}),
    )
    .await
    .assert_error(409, "already_decided");

    // The approved member downloads, with the key or the token; the copy names them.
    let got = download_with_key(&app, &file, &key).await;
    assert_eq!(got.status, 200, "{}", got.text());
    let text = got.text();
    assert!(text.starts_with("区,户数\n梁子湖区,120\n"), "{text}");
    let trace = text.lines().last().unwrap();
    assert!(
        trace.contains("li.ming@example.org") && trace.contains(&app_id),
        "the copy carries its trace: {trace}"
    );
    assert_eq!(app.get(&file, Some(&token)).await.status, 200);

    // Revocation needs a reason and takes effect at once.
    decide_application(&app, &cast.approver, &app_id, json!({"decision": "revoke"}))
        .await
        .assert_error(422, "note_required");
    let revoked = decide_application(
        &app,
        &cast.approver,
        &app_id,
        json!({"decision": "revoke", "reason": "用途超出申请范围"}),
    )
    .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text());
    download_with_key(&app, &file, &key)
        .await
        .assert_error(403, "forbidden");
    let mine = app.get("/public/applications", Some(&token)).await.json();
    assert_eq!(mine["items"][0]["state"], "revoked");
    assert_eq!(mine["items"][0]["reason"], "用途超出申请范围");

    // A revoked key stops working at once.
    let key_id = created["id"].as_str().unwrap();
    let gone = app
        .call(
            actix_web::test::TestRequest::delete()
                .uri(&format!("/public/keys/{key_id}"))
                .insert_header(("Authorization", format!("Bearer {token}"))),
        )
        .await;
    assert_eq!(gone.status, 204);
    download_with_key(&app, &file, &key)
        .await
        .assert_error(401, "unauthorized");

    // The supervisor sees exactly those accesses, newest first; others cannot.
    app.get("/api/v1/access-log", Some(&cast.approver))
        .await
        .assert_error(403, "forbidden");
    let log = app
        .get(
            &format!("/api/v1/access-log?release={id}"),
            Some(&cast.supervisor),
        )
        .await
        .json();
    let statuses: Vec<i64> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|r| r["status"].as_i64().unwrap())
        .collect();
    // a staff token (401), anonymous (401), key before applying (403),
    // pending (403), key (200), token (200), after revocation (403), the
    // revoked key (401): refused credentials name nobody, but the attempt
    // and its address are on record.
    assert_eq!(statuses, [401, 401, 403, 403, 200, 200, 403, 401]);
    let refused = &log["items"][0];
    assert_eq!(refused["account"], Value::Null);
    assert_eq!(refused["bytes"], 0);
    let download = &log["items"][2];
    assert_eq!(download["account"], account.as_str());
    assert_eq!(download["key"], Value::Null);
    let by_key = &log["items"][3];
    assert_eq!(by_key["key"], key_id);
    assert_eq!(by_key["user_agent"], "ckan-harvester/2.10");
    assert_eq!(by_key["bytes"].as_i64().unwrap() as usize, got.bytes.len());
    let csv = app
        .get(
            &format!("/api/v1/access-log?account={account}&format=csv"),
            Some(&cast.supervisor),
        )
        .await;
    assert_eq!(csv.status, 200);
    let csv = csv.text();
    assert!(csv.starts_with("id,at,release_id,file,account,key,address,user_agent,status,bytes\n"));
    assert_eq!(csv.lines().count(), 1 + 5, "{csv}");

    // Applications, decisions and conditional downloads are audit events.
    let audit = app
        .get(
            &format!("/api/v1/audit?release={id}&limit=200"),
            Some(&cast.supervisor),
        )
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for (action, times) in [
        ("access.applied", 1),
        ("access.decided", 2),
        ("release.downloaded", 2),
    ] {
        assert_eq!(
            actions.iter().filter(|a| **a == action).count(),
            times,
            "{action} in {actions:?}"
        );
    }
    // And the applicant heard of each decision.
    let mails = delivered_mails(&app).await;
    let told: Vec<&String> = mails
        .iter()
        .filter(|m| m.contains("To: li.ming@example.org") && m.contains("申请状态"))
        .collect();
    assert_eq!(told.len(), 2, "approved and revoked");
    assert!(told.iter().any(|m| m.contains("用途超出申请范围")));
}

#[actix_web::test]
async fn bad_registrations_and_applications_are_refused_by_name() {
    let (app, cast) = TestApp::builder().with_cast().await;
    for (body, needle) in [
        (
            json!({"email": "not-an-address", "name": "李明", "password": MEMBER_PASSWORD}),
            "email",
        ),
        (
            json!({"email": "a@example.org", "name": "  ", "password": MEMBER_PASSWORD}),
            "name",
        ),
        (
            json!({"email": "a@example.org", "name": "李明", "password": "short"}),
            "password",
        ),
    ] {
        let message = app
            .post_json("/public/accounts", None, body)
            .await
            .assert_error(400, "bad_request");
        assert!(message.contains(needle), "{message}");
    }
    let (token, _) = verified_member(&app).await;
    app.post_json(
        "/public/accounts",
        None,
        json!({"email": MEMBER_EMAIL.to_uppercase(), "name": "又一个", "password": MEMBER_PASSWORD}),
    )
    .await
    .assert_error(409, "exists");
    let open = clean_release(&app, &cast).await;
    app.approve_all(&open, &cast, |_| "redact").await;
    app.post_json(
        &format!("/public/releases/{open}/applications"),
        Some(&token),
        json!({"purpose": "研究", "intended_use": "分析"}),
    )
    .await
    .assert_error(422, "not_conditional");
    app.post_json(
        &format!("/public/releases/{open}/applications"),
        None,
        json!({"purpose": "研究", "intended_use": "分析"}),
    )
    .await
    .assert_error(401, "unauthorized");
    let conditional = conditional_release(&app, &cast).await;
    let message = app
        .post_json(
            &format!("/public/releases/{conditional}/applications"),
            Some(&token),
            json!({"purpose": " ", "intended_use": "分析"}),
        )
        .await
        .assert_error(400, "bad_request");
    assert!(message.contains("purpose"), "{message}");
    // A garbled key is refused, never taken for anonymous.
    app.call(
        actix_web::test::TestRequest::get()
            .uri("/public/releases")
            .insert_header(("X-API-Key", "rgk_nope")),
    )
    .await;
    let refused = app
        .call(
            actix_web::test::TestRequest::get()
                .uri(&format!("/public/releases/{conditional}/files/stats.csv"))
                .insert_header(("X-API-Key", "rgk_nope")),
        )
        .await;
    refused.assert_error(401, "unauthorized");
}

#[actix_web::test]
async fn the_public_finds_releases_by_keyword_department_theme_and_open_mode() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let mut roster = meta(&[]);
    roster["title"] = json!("2026年GDP季度统计");
    roster["data_category"] = json!("statistics");
    let stats = app
        .file_release(
            &cast.submitter,
            roster,
            "a.txt",
            "公开统计数据\n".as_bytes(),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.approve_all(&stats, &cast, |_| "redact").await;
    let conditional = conditional_release(&app, &cast).await;
    let ids = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let search = |query: &'static str| {
        let app = &app;
        async move {
            let res = app.get(&format!("/public/releases?{query}"), None).await;
            assert_eq!(res.status, 200, "{query}: {}", res.text());
            res.json()
        }
    };
    // Title words, ASCII without case; the department by its name.
    assert_eq!(ids(search("q=gdp").await), [stats.as_str()]);
    let by_department = ids(search("q=%E5%8F%91%E5%B1%95%E6%94%B9%E9%9D%A9").await); // 发展改革
    assert_eq!(by_department, [conditional.clone(), stats.clone()]);
    // `%` and `_` are literal, not wildcards.
    assert_eq!(ids(search("q=%25").await), Vec::<String>::new());
    assert_eq!(ids(search("q=_").await), Vec::<String>::new());
    assert_eq!(ids(search("theme=statistics").await), [stats.as_str()]);
    assert_eq!(
        ids(search("open_mode=conditional").await),
        [conditional.as_str()]
    );
    assert_eq!(ids(search("department=TJJ").await), Vec::<String>::new());
    assert_eq!(
        ids(search("department=FGW&open_mode=unconditional&q=GDP").await),
        [stats.as_str()]
    );
    let first = search("limit=1").await;
    assert_eq!(ids(first.clone()), [conditional.as_str()]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = app
        .get(&format!("/public/releases?limit=1&cursor={cursor}"), None)
        .await
        .json();
    assert_eq!(ids(second), [stats.as_str()]);
    app.get("/public/releases?open_mode=secret", None)
        .await
        .assert_error(400, "bad_request");
    // The catalogue page searches the same way and keeps the search in its box.
    let page = app.get("/catalog?q=GDP", None).await.text();
    assert!(
        page.contains("2026年GDP季度统计") && page.contains(r#"value="GDP""#),
        "{page}"
    );
    assert!(
        !page.contains(&format!("/public/releases/{conditional}/")),
        "{page}"
    );
}

fn from_address(req: actix_web::test::TestRequest, address: &str) -> actix_web::test::TestRequest {
    req.peer_addr(format!("{address}:40000").parse().unwrap())
}

#[actix_web::test]
async fn a_conditional_copy_in_any_format_names_its_applicant_and_releasegate_trace_reads_it() {
    use std::io::Read;
    let (app, cast) = TestApp::builder().with_cast().await;
    let pdf = crate::pdf::pdf(
        &[crate::pdf::PdfPage::Text(&["各区户数统计"])],
        &[("Title", "户数统计")],
    );
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "区").unwrap();
    sheet.write_string(0, 1, "户数").unwrap();
    sheet.write_string(1, 0, "梁子湖区").unwrap();
    sheet.write_number(1, 1, 120.0).unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    let json_file = r#"[{"区": "梁子湖区", "户数": 120}]"#.as_bytes().to_vec();
    let ofd_file = crate::ofd::ofd(
        &[("Title", "户数统计")],
        None,
        &[crate::ofd::page(&[(20.0, "各区户数统计")])],
        &[],
    );
    let mut m = meta(&[]);
    m["open_mode"] = json!("conditional");
    let filed = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(m),
            &[
                ("stats.pdf", &pdf),
                ("stats.xlsx", &xlsx),
                ("stats.json", &json_file),
                ("stats.ofd", &ofd_file),
            ],
        )
        .await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let id = filed.json()["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.approve_all(&id, &cast, |_| "redact").await["state"],
        "published"
    );
    let (token, _) = verified_member(&app).await;
    let key = new_key(&app, &token).await;
    let application = app
        .post_json(
            &format!("/public/releases/{id}/applications"),
            Some(&token),
            json!({"purpose": "研究", "intended_use": "统计分析"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approved = decide_application(
        &app,
        &cast.approver,
        &application,
        json!({"decision": "approve"}),
    )
    .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let names_the_grant = |trace: &str| {
        assert!(
            trace.contains("li.ming@example.org") && trace.contains(&application),
            "{trace}"
        );
    };

    let got = download_with_key(
        &app,
        &format!("/public/releases/{id}/files/stats.pdf"),
        &key,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());
    assert!(
        got.bytes.starts_with(&pdf),
        "the published bytes, then the update"
    );
    let doc = lopdf::Document::load_mem(&got.bytes).unwrap();
    let info = doc
        .get_dictionary(doc.trailer.get(b"Info").unwrap().as_reference().unwrap())
        .unwrap();
    names_the_grant(
        &lopdf::decode_text_string(info.get(b"ConditionalDataTrace").unwrap()).unwrap(),
    );
    assert_eq!(
        lopdf::decode_text_string(info.get(b"Title").unwrap()).unwrap(),
        "户数统计"
    );

    let got = download_with_key(
        &app,
        &format!("/public/releases/{id}/files/stats.xlsx"),
        &key,
    )
    .await;
    assert_eq!(got.status, 200, "{}", got.text());
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(got.bytes.clone())).unwrap();
    let mut custom = String::new();
    zip.by_name("docProps/custom.xml")
        .unwrap()
        .read_to_string(&mut custom)
        .unwrap();
    assert!(
        custom.contains(r#"name="ConditionalDataTrace""#),
        "{custom}"
    );
    names_the_grant(&custom);
    // Still the same workbook to a spreadsheet reader.
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(got.bytes)).unwrap();
    let range = workbook.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(range.get_value((1, 0)).unwrap().to_string(), "梁子湖区");
    assert_eq!(range.get_value((1, 1)).unwrap().to_string(), "120");

    // Every format's copy, read back by the command a supervisor runs on a
    // leaked file; JSON still parses to the published value.
    let copies = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for name in ["stats.pdf", "stats.xlsx", "stats.json", "stats.ofd"] {
        let got =
            download_with_key(&app, &format!("/public/releases/{id}/files/{name}"), &key).await;
        assert_eq!(got.status, 200, "{name}: {}", got.text());
        if name == "stats.json" {
            let value: serde_json::Value = serde_json::from_slice(&got.bytes).unwrap();
            assert_eq!(
                value,
                serde_json::from_slice::<serde_json::Value>(&json_file).unwrap()
            );
        }
        let path = copies.path().join(name);
        std::fs::write(&path, &got.bytes).unwrap();
        paths.push(path);
    }
    let traced = std::process::Command::new(env!("CARGO_BIN_EXE_releasegate"))
        .arg("trace")
        .args(&paths)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&traced.stdout);
    assert_eq!(
        traced.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&traced.stderr)
    );
    assert_eq!(out.lines().count(), 4, "{out}");
    out.lines().for_each(names_the_grant);
    // The published copy carries no trace: exit 1, said plainly.
    let public = copies.path().join("published.json");
    std::fs::write(&public, &json_file).unwrap();
    let untraced = std::process::Command::new(env!("CARGO_BIN_EXE_releasegate"))
        .args(["trace".as_ref(), public.as_os_str()])
        .output()
        .unwrap();
    assert_eq!(untraced.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&untraced.stdout).ends_with("published.json: no trace\n"));
}

#[actix_web::test]
async fn signing_out_ends_the_public_session_at_once() {
    let app = TestApp::new().await;
    let (token, _) = verified_member(&app).await;
    let key = new_key(&app, &token).await;
    let with_key = actix_web::test::TestRequest::post()
        .uri("/public/auth/logout")
        .insert_header(("X-API-Key", key.as_str()));
    app.call(with_key).await.assert_error(403, "forbidden");
    assert_eq!(app.get("/public/keys", Some(&token)).await.status, 200);
    let out = app
        .post_json("/public/auth/logout", Some(&token), json!({}))
        .await;
    assert_eq!(out.status, 204, "{}", out.text());
    app.get("/public/keys", Some(&token))
        .await
        .assert_error(401, "unauthorized");
    // The key lives on until it is revoked.
    let listed = app.call(
        actix_web::test::TestRequest::get()
            .uri("/public/applications")
            .insert_header(("X-API-Key", key.as_str())),
    );
    assert_eq!(listed.await.status, 200);
}

#[actix_web::test]
async fn each_public_client_gets_its_quota_then_429_with_retry_after() {
    let (app, cast) = TestApp::builder()
        .settings(|s| s.public_rate_limit = 2)
        .with_cast()
        .await;
    let list = |address: &'static str| {
        from_address(
            actix_web::test::TestRequest::get().uri("/public/releases"),
            address,
        )
    };
    for _ in 0..2 {
        assert_eq!(app.call(list("198.51.100.7")).await.status, 200);
    }
    let over = app.call(list("198.51.100.7")).await;
    over.assert_error(429, "too_many_requests");
    let wait: u64 = over
        .headers
        .get("Retry-After")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "Retry-After: {wait}");
    // Another address has its own quota, and staff routes are not counted.
    assert_eq!(app.call(list("198.51.100.8")).await.status, 200);
    assert_eq!(
        app.get("/api/v1/me", Some(&cast.approver)).await.status,
        200
    );
}

#[actix_web::test]
async fn an_administrator_gives_a_registered_bulk_user_a_quota_of_its_own() {
    // Twelve a minute: room for the seven anonymous requests of signing up.
    let (app, cast) = TestApp::builder()
        .settings(|s| s.public_rate_limit = 12)
        .with_cast()
        .await;
    let admin = app.user("admin", &[Role::Admin], None).await;
    let (token, account) = verified_member(&app).await;
    let key = new_key(&app, &token).await;
    let with_key = || {
        app.call(
            actix_web::test::TestRequest::get()
                .uri("/public/releases")
                .insert_header(("X-API-Key", key.as_str())),
        )
    };
    assert_eq!(with_key().await.status, 200);
    let quota = |id: &str, per_minute: Value| {
        app.call(
            actix_web::test::TestRequest::put()
                .uri(&format!("/api/v1/public-accounts/{id}/quota"))
                .insert_header(("Authorization", format!("Bearer {admin}")))
                .set_json(
                    json!({"requests_per_minute": per_minute, "reason": "数据服务协议 2026-17 号"}),
                ),
        )
    };
    // 40.0 is a whole number as JSON Schema counts; 0 is below the floor.
    quota(&account, json!(0))
        .await
        .assert_error(400, "bad_request");
    let set = quota(&account, json!(40.0)).await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(set.json()["requests_per_minute"], 40);
    assert_eq!(set.json()["organisation"], "某数据公司");
    // The next admitted request makes the key known as the bulk user's;
    // from then on 40 a minute, three times the default and past it.
    assert_eq!(with_key().await.status, 200);
    let mut admitted = 0;
    for _ in 0..60 {
        match with_key().await.status.as_u16() {
            200 => admitted += 1,
            429 => break,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(admitted, 40);
    with_key().await.assert_error(429, "too_many_requests");

    // Administrators find bulk users; nobody else may list accounts.
    let listed = app
        .get(
            "/api/v1/public-accounts?bulk=true&q=%E6%95%B0%E6%8D%AE%E5%85%AC%E5%8F%B8",
            Some(&admin),
        )
        .await
        .json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], account.as_str());
    app.get("/api/v1/public-accounts", Some(&cast.supervisor))
        .await
        .assert_error(403, "forbidden");

    // Only an account that names its organisation is a bulk user.
    let private = app
        .post_json(
            "/public/accounts",
            None,
            json!({"email": "someone@example.org", "name": "某人", "password": MEMBER_PASSWORD}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    quota(&private, json!(100))
        .await
        .assert_error(422, "organisation_required");
    quota("01J0000000000000000000NONE", json!(100))
        .await
        .assert_error(404, "not_found");

    let remove = |id: &str| {
        app.call(
            actix_web::test::TestRequest::delete()
                .uri(&format!("/api/v1/public-accounts/{id}/quota"))
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
    };
    assert_eq!(remove(&account).await.status, 204);
    remove(&account).await.assert_error(404, "not_found");
    let bulk_users = app
        .get("/api/v1/public-accounts?bulk=true", Some(&admin))
        .await
        .json();
    assert_eq!(bulk_users["items"], json!([]), "{bulk_users}");
    let audit = app
        .get(
            "/api/v1/audit?action=bulk_user.quota_set",
            Some(&cast.supervisor),
        )
        .await
        .json();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["details"]["requests_per_minute"], 40);
}

#[actix_web::test]
async fn an_administrator_blocks_an_account_a_key_or_a_range_at_once() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let admin = app.user("admin", &[Role::Admin], None).await;
    let (token, account) = verified_member(&app).await;
    let key = app
        .post_json("/public/keys", Some(&token), json!({}))
        .await
        .json();
    let (key_id, key) = (key["id"].as_str().unwrap(), key["key"].as_str().unwrap());
    let block = |kind: &str, value: &str| json!({"kind": kind, "value": value, "reason": "批量爬取，违反协议"});
    let keys_with_key = || {
        app.call(
            actix_web::test::TestRequest::get()
                .uri("/public/releases")
                .insert_header(("X-API-Key", key)),
        )
    };

    // Only an administrator blocks, and only what exists or parses.
    app.post_json(
        "/api/v1/blocklist",
        Some(&cast.supervisor),
        block("account", &account),
    )
    .await
    .assert_error(403, "forbidden");
    app.post_json(
        "/api/v1/blocklist",
        Some(&admin),
        block("account", "01NOSUCHACCOUNT"),
    )
    .await
    .assert_error(404, "not_found");
    let message = app
        .post_json(
            "/api/v1/blocklist",
            Some(&admin),
            block("ip", "10.0.0.0/33"),
        )
        .await
        .assert_error(422, "invalid_address");
    assert!(message.contains("10.0.0.0/33"), "{message}");

    // A blocked account is refused with its token and with its keys.
    let blocked = app
        .post_json(
            "/api/v1/blocklist",
            Some(&admin),
            block("account", &account),
        )
        .await;
    assert_eq!(blocked.status, 201, "{}", blocked.text());
    let account_block = blocked.json()["id"].as_str().unwrap().to_string();
    app.post_json(
        "/api/v1/blocklist",
        Some(&admin),
        block("account", &account),
    )
    .await
    .assert_error(409, "exists");
    let message = app
        .get("/public/keys", Some(&token))
        .await
        .assert_error(403, "blocked");
    assert!(message.contains("批量爬取"), "{message}");
    keys_with_key().await.assert_error(403, "blocked");
    let lifted = app
        .call(
            actix_web::test::TestRequest::delete()
                .uri(&format!("/api/v1/blocklist/{account_block}"))
                .insert_header(("Authorization", format!("Bearer {admin}"))),
        )
        .await;
    assert_eq!(lifted.status, 204);
    assert_eq!(app.get("/public/keys", Some(&token)).await.status, 200);

    // A blocked key is refused; the account's token still works.
    app.post_json("/api/v1/blocklist", Some(&admin), block("key", key_id))
        .await;
    keys_with_key().await.assert_error(403, "blocked");
    assert_eq!(app.get("/public/keys", Some(&token)).await.status, 200);

    // A range refuses every address in it, with or without credentials.
    let range = app
        .post_json(
            "/api/v1/blocklist",
            Some(&admin),
            block("ip", "203.0.113.9/24"),
        )
        .await
        .json();
    assert_eq!(range["value"], "203.0.113.0/24", "stored in canonical form");
    let inside = from_address(
        actix_web::test::TestRequest::get().uri("/public/catalog"),
        "203.0.113.77",
    );
    app.call(inside).await.assert_error(403, "blocked");
    let outside = from_address(
        actix_web::test::TestRequest::get().uri("/public/catalog"),
        "203.0.114.1",
    );
    assert_eq!(app.call(outside).await.status, 200);
    // The catalogue's pages for members too: sign-in, requests, ratings.
    for page in ["/catalog", "/catalog/login", "/catalog/demands"] {
        let inside = from_address(
            actix_web::test::TestRequest::get().uri(page),
            "203.0.113.77",
        );
        assert_eq!(app.call(inside).await.status, 403, "{page}");
        let outside = from_address(actix_web::test::TestRequest::get().uri(page), "203.0.114.1");
        assert_eq!(app.call(outside).await.status, 200, "{page}");
    }

    // The record keeps lifted entries; every change is audited.
    let list = app.get("/api/v1/blocklist", Some(&admin)).await.json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["kind"], "ip");
    assert!(items[2]["removed_at"].is_string(), "{:?}", items[2]);
    assert!(items[1]["removed_at"].is_null());
    let audit = app
        .get("/api/v1/audit?limit=200", Some(&cast.supervisor))
        .await
        .json();
    let count = |action: &str| {
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .count()
    };
    assert_eq!(
        (count("blocklist.added"), count("blocklist.removed")),
        (3, 1)
    );
}

#[actix_web::test]
async fn the_public_asks_for_data_and_the_department_answers_in_public() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let (token, _) = verified_member(&app).await;
    let ask = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { app.post_json("/public/demands", Some(&token), body).await }
    };
    let asked = ask(json!({
        "title": "历年政府投资项目清单",
        "description": "用于研究投资结构",
        "department": "FGW",
        "contact": "13900001111",
    }))
    .await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    let demand = asked.json();
    let id = demand["id"].as_str().unwrap().to_string();
    assert_eq!(demand["status"], "open");
    assert_eq!(demand["late"], false);
    let (created, due) = (
        chrono::DateTime::parse_from_rfc3339(demand["created_at"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(demand["due_at"].as_str().unwrap()).unwrap(),
    );
    // Twenty working days end on the fourth Friday or later: a request
    // filed late on a Sunday is due 25 days and some hours later, one filed
    // on a weekday at least 28 days later.
    assert!((due - created).num_days() >= 25, "{created} → {due}");
    ask(json!({"title": "x", "description": "y", "department": "NOPE", "contact": "z"}))
        .await
        .assert_error(422, "unknown_department");
    app.post_json(
        "/public/demands",
        None,
        json!({"title": "x", "description": "y", "contact": "z"}),
    )
    .await
    .assert_error(401, "unauthorized");

    // Anyone reads requests; nobody outside the department sees the contact.
    let public = app.get("/public/demands", None).await;
    assert_eq!(public.status, 200);
    assert!(!public.text().contains("13900001111"), "{}", public.text());
    assert_eq!(public.json()["items"][0]["id"], id.as_str());

    // Only the department asked answers; declining needs a reason.
    let answer_path = format!("/api/v1/demands/{id}/answer");
    let tjj = app
        .get("/api/v1/demands", Some(&cast.approver_tjj))
        .await
        .json();
    assert_eq!(tjj["items"], json!([]));
    app.post_json(
        &answer_path,
        Some(&cast.approver_tjj),
        json!({"answer": "不予开放", "status": "declined", "reason": "不属本部门"}),
    )
    .await
    .assert_error(403, "forbidden");
    app.get("/api/v1/demands", Some(&cast.submitter))
        .await
        .assert_error(403, "forbidden");
    let staff = app
        .get("/api/v1/demands", Some(&cast.approver))
        .await
        .json();
    assert_eq!(staff["items"][0]["contact"], "13900001111");
    assert_eq!(staff["items"][0]["requester"], "李明");
    app.post_json(
        &answer_path,
        Some(&cast.approver),
        json!({"answer": "不予开放", "status": "declined"}),
    )
    .await
    .assert_error(422, "note_required");
    let answered = app
        .post_json(
            &answer_path,
            Some(&cast.approver),
            json!({"answer": "该数据涉及在建项目，暂不开放", "status": "declined", "reason": "涉及商业秘密"}),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.text());
    let shown = app.get(&format!("/public/demands/{id}"), None).await.json();
    assert_eq!(shown["status"], "declined");
    assert_eq!(shown["reason"], "涉及商业秘密");
    assert!(shown["answered_at"].is_string());
    let mails = delivered_mails(&app).await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("To: li.ming@example.org") && m.contains("涉及商业秘密")),
        "the requester is told"
    );

    // An unassigned request goes to the first department that answers; a
    // withheld one leaves the public list.
    let open =
        ask(json!({"title": "企业名录", "description": "全市企业", "contact": "li@example.org"}))
            .await
            .json();
    let open_id = open["id"].as_str().unwrap();
    let taken = app
        .post_json(
            &format!("/api/v1/demands/{open_id}/answer"),
            Some(&cast.approver_tjj),
            json!({"answer": "已列入计划", "status": "planned", "withhold_reason": "含第三方信息"}),
        )
        .await
        .json();
    assert_eq!(taken["department"], "TJJ");
    app.get(&format!("/public/demands/{open_id}"), None)
        .await
        .assert_error(404, "not_found");
    let listed = app.get("/public/demands", None).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let audit = app
        .get("/api/v1/audit?limit=200", Some(&cast.supervisor))
        .await
        .json();
    let answers = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "demand.answered")
        .count();
    assert_eq!(answers, 2);
}

#[actix_web::test]
async fn a_department_hears_of_a_masked_data_request_and_is_reminded_once_before_it_falls_due() {
    use diesel::prelude::*;
    use releasegate::db::schema::{demands, users};
    let (app, cast) = TestApp::builder().with_cast().await;
    app.db(|c| {
        diesel::update(users::table.filter(users::username.eq("approver")))
            .set(users::email.eq("approver@fgw.example.gov.cn"))
            .execute(c)
            .unwrap()
    })
    .await;
    let (token, _) = verified_member(&app).await;
    let asked = app
        .post_json(
            "/public/demands",
            Some(&token),
            json!({"title": "历年政府投资项目清单", "description": format!("研究用。本人身份证号{ID_NUMBER}"),
                   "department": "FGW", "contact": "x@example.org"}),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    let id = asked.json()["id"].as_str().unwrap().to_string();
    // What the public wrote is scanned before it is shown: the ID number is
    // masked for everyone, as sent for the department.
    let shown = app.get(&format!("/public/demands/{id}"), None).await.text();
    assert!(!shown.contains(ID_NUMBER), "{shown}");
    assert!(shown.contains("420704********1233"), "{shown}");
    assert!(!app
        .get("/public/demands", None)
        .await
        .text()
        .contains(ID_NUMBER));
    let staff = app
        .get("/api/v1/demands", Some(&cast.approver))
        .await
        .json();
    assert!(staff["items"][0]["description"]
        .as_str()
        .unwrap()
        .contains("********"));
    assert_eq!(
        staff["items"][0]["description_as_sent"],
        format!("研究用。本人身份证号{ID_NUMBER}")
    );
    assert_eq!(staff["items"][0]["title_as_sent"], Value::Null);
    let to_approver = |mails: &[String], what: &str| {
        mails
            .iter()
            .filter(|m| m.contains("To: approver@fgw.example.gov.cn") && m.contains(what))
            .count()
    };
    let mails = delivered_mails(&app).await;
    assert_eq!(
        to_approver(&mails, "新的数据需求"),
        1,
        "the department is told"
    );

    let remind = || {
        let state = app.state.clone();
        app.db(move |c| {
            releasegate::service::public::remind_due_demands(
                c,
                &state.policies.calendar,
                &state.settings.public_url,
            )
            .unwrap()
        })
    };
    assert_eq!(remind().await, 0, "twenty working days away");
    // Two days before the deadline (inside three working days).
    let soon = releasegate::audit::now() + chrono::Duration::days(2);
    let id_for_update = id.clone();
    app.db(move |c| {
        diesel::update(demands::table.find(id_for_update))
            .set(demands::due_at.eq(soon))
            .execute(c)
            .unwrap()
    })
    .await;
    assert_eq!(remind().await, 1);
    assert_eq!(remind().await, 0, "once");
    let mails = delivered_mails(&app).await;
    assert_eq!(to_approver(&mails, "即将到期"), 1, "{mails:?}");
    assert!(mails.iter().any(|m| m.contains(&id)));
}

#[actix_web::test]
async fn a_member_rates_a_published_release_once_and_may_change_it() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let (token, _) = verified_member(&app).await;
    let id = clean_release(&app, &cast).await;
    let path = format!("/public/releases/{id}/ratings");
    let scores = |a: i32, s: i32| json!({"availability": a, "completeness": 4, "accuracy": 4, "timeliness": 3, "security": s, "comment": "字段齐全"});
    // Not published yet: nothing to rate.
    app.post_json(&path, Some(&token), scores(5, 5))
        .await
        .assert_error(404, "not_found");
    app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(
        app.get(&format!("/public/releases/{id}"), None)
            .await
            .json()["rating"],
        Value::Null
    );
    app.post_json(&path, None, scores(5, 5))
        .await
        .assert_error(401, "unauthorized");
    let message = app
        .post_json(&path, Some(&token), scores(6, 5))
        .await
        .assert_error(400, "bad_request");
    assert!(message.contains("availability"), "{message}");
    let first = app.post_json(&path, Some(&token), scores(5, 5)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let changed = app.post_json(&path, Some(&token), scores(2, 3)).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let rating = &app
        .get(&format!("/public/releases/{id}"), None)
        .await
        .json()["rating"];
    assert_eq!(rating["count"], 1, "one rating per member: {rating}");
    assert_eq!(rating["availability"], 2.0);
    assert_eq!(rating["security"], 3.0);
    assert_eq!(rating["timeliness"], 3.0);
    // The catalogue page shows the averages too.
    let catalog = app.get("/catalog", None).await.text();
    assert!(
        catalog.contains("1 人评价")
            && catalog.contains("可用性 2.0")
            && catalog.contains("安全性 3.0"),
        "{catalog}"
    );
}

#[actix_web::test]
async fn the_access_log_forgets_rows_past_its_retention() {
    use diesel::prelude::*;
    use releasegate::db::models::AccessLogRow;
    use releasegate::db::schema::access_log;
    let app = TestApp::new().await;
    let now = releasegate::audit::now();
    let row = |days_ago: i64| AccessLogRow {
        id: ulid::Ulid::new().to_string(),
        at: now - chrono::Duration::days(days_ago),
        release_id: "01RELEASE".into(),
        file_name: "stats.csv".into(),
        account_id: None,
        key_id: None,
        address: "203.0.113.9".into(),
        user_agent: None,
        status: 200,
        bytes: 10,
    };
    let rows = vec![row(400), row(31), row(29), row(0)];
    let left = app
        .db(move |c| {
            for r in &rows {
                diesel::insert_into(access_log::table)
                    .values(r)
                    .execute(c)
                    .unwrap();
            }
            let pruned = releasegate::service::public::prune_access_log(c, 30).unwrap();
            let left: i64 = access_log::table.count().get_result(c).unwrap();
            (pruned, left)
        })
        .await;
    assert_eq!(left, (2, 2));
}
