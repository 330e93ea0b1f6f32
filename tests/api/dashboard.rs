//! The dashboard pages through the actix test service: sessions, CSRF,
//! escaping, role checks, language; SQLite or (with
//! RELEASEGATE_TEST_DATABASE_URL) PostgreSQL.

use crate::common::*;
use actix_web::test::TestRequest;
use releasegate::policy::Role;
use serde_json::json;

/// A GET as the holder of `token`'s session cookie.
pub(crate) async fn page(app: &TestApp, path: &str, token: Option<&str>) -> Response {
    let mut req = TestRequest::get().uri(path);
    if let Some(t) = token {
        req = req.insert_header(("Cookie", format!("rg_session={t}")));
    }
    app.call(req).await
}

/// A form POST as the holder of `token`'s session cookie.
pub(crate) async fn post_form(
    app: &TestApp,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> Response {
    let body = serde_urlencoded::to_string(form).unwrap();
    app.call(
        TestRequest::post()
            .uri(path)
            .insert_header(("Cookie", format!("rg_session={token}")))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(body),
    )
    .await
}

/// The CSRF token a page's forms carry.
pub(crate) fn csrf_of(res: &Response) -> String {
    let text = res.text();
    let re = regex::Regex::new(r#"name="csrf_token" value="([0-9a-f]+)""#).unwrap();
    re.captures(&text)
        .unwrap_or_else(|| panic!("no CSRF token in {text}"))[1]
        .to_string()
}

fn set_cookies(res: &Response) -> Vec<String> {
    res.headers
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

fn location(res: &Response) -> &str {
    res.headers.get("location").unwrap().to_str().unwrap()
}

async fn submit(app: &TestApp, token: &str, meta: serde_json::Value, text: &[u8]) -> String {
    let res = app
        .post_multipart(
            "/api/v1/releases",
            token,
            Some(meta),
            &[("subsidy.txt", text)],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn login_sets_an_httponly_strict_session_cookie_and_pages_send_strict_headers() {
    let app = TestApp::new().await;
    app.cast().await;

    let form = page(&app, "/login", None).await;
    assert_eq!(form.status, 200);
    let csp = form.headers.get("content-security-policy").unwrap();
    assert!(csp.to_str().unwrap().contains("default-src 'self'"));
    assert!(!csp.to_str().unwrap().contains("unsafe-inline"));
    assert_eq!(form.headers.get("x-frame-options").unwrap(), "DENY");
    assert_eq!(
        form.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let pre = set_cookies(&form)
        .into_iter()
        .find(|c| c.starts_with("rg_presession="))
        .expect("the login form binds its CSRF token to a pre-session cookie");
    let pre = pre.split(';').next().unwrap().to_string();
    let csrf = csrf_of(&form);

    let login = |password: &'static str, csrf: String, pre: String| {
        let body = serde_urlencoded::to_string([
            ("username", "secrecy"),
            ("password", password),
            ("csrf_token", &csrf),
        ])
        .unwrap();
        TestRequest::post()
            .uri("/login")
            .insert_header(("Cookie", pre))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(body)
    };
    let wrong = app.call(login("wrong", csrf.clone(), pre.clone())).await;
    assert_eq!(wrong.status, 401);
    assert!(set_cookies(&wrong)
        .iter()
        .all(|c| !c.starts_with("rg_session=")));

    let forged = app
        .call(login(PASSWORD, "00".repeat(32), pre.clone()))
        .await;
    assert_eq!(
        forged.status, 403,
        "a login without the form's token is refused"
    );

    let ok = app.call(login(PASSWORD, csrf, pre)).await;
    assert_eq!(ok.status, 303);
    assert_eq!(location(&ok), "/");
    let session = set_cookies(&ok)
        .into_iter()
        .find(|c| c.starts_with("rg_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: no Secure flag");
    let token = session
        .trim_start_matches("rg_session=")
        .split(';')
        .next()
        .unwrap();
    let home = page(&app, "/", Some(token)).await;
    assert_eq!(home.status, 303);
    assert_eq!(location(&home), "/queue");

    // X-Forwarded-Proto from anyone but a configured proxy is ignored.
    let claimed = app
        .call(
            TestRequest::get()
                .uri("/login")
                .peer_addr("203.0.113.9:4000".parse().unwrap())
                .insert_header(("X-Forwarded-Proto", "https")),
        )
        .await;
    assert!(set_cookies(&claimed).iter().all(|c| !c.contains("Secure")));
}

#[actix_web::test]
async fn behind_a_configured_tls_proxy_the_cookies_are_secure() {
    let app = TestApp::builder()
        .settings(|s| s.trusted_proxies = vec!["10.0.0.1".parse().unwrap()])
        .build()
        .await;
    let form = app
        .call(
            TestRequest::get()
                .uri("/login")
                .peer_addr("10.0.0.1:4000".parse().unwrap())
                .insert_header(("X-Forwarded-Proto", "https")),
        )
        .await;
    let cookies = set_cookies(&form);
    assert!(
        !cookies.is_empty() && cookies.iter().all(|c| c.contains("Secure")),
        "{cookies:?}"
    );
}

#[actix_web::test]
async fn a_form_post_without_a_valid_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = submit(&app, &cast.submitter, meta(&[]), &sample_text()).await;
    let mark = finding_of(
        &findings(&app, &id, &cast.secrecy).await,
        "CLASSIFICATION_MARK",
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other_session_csrf = csrf_of(&page(&app, "/queue", Some(&cast.privacy)).await);

    for token in [None, Some(""), Some(other_session_csrf.as_str())] {
        let mut form = vec![
            ("finding", mark.as_str()),
            ("disposition", "false_positive"),
            ("note", "不是密级标志"),
        ];
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let res = post_form(
            &app,
            &format!("/releases/{id}/dispositions"),
            &cast.secrecy,
            &form,
        )
        .await;
        assert_eq!(res.status, 403, "{}", res.text());
        let mut form = vec![
            ("stage", "secrecy_review"),
            ("decision", "reject"),
            ("comment", "x"),
        ];
        if let Some(t) = token {
            form.push(("csrf_token", t));
        }
        let res = post_form(
            &app,
            &format!("/releases/{id}/decide"),
            &cast.secrecy,
            &form,
        )
        .await;
        assert_eq!(res.status, 403, "{}", res.text());
    }
    let res = post_form(&app, "/logout", &cast.secrecy, &[]).await;
    assert_eq!(res.status, 403);

    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.secrecy))
        .await
        .json();
    assert_eq!(release["state"], "blocked");
    assert_eq!(
        release["findings"]["undispositioned"],
        release["findings"]["total"]
    );
    let audit = app
        .get("/api/v1/audit?limit=200", Some(&cast.supervisor))
        .await
        .json();
    assert!(audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] != "finding.dispositioned" && e["action"] != "stage.decided"));

    // The same form with the page's own token goes through.
    let csrf = csrf_of(&page(&app, &format!("/releases/{id}"), Some(&cast.secrecy)).await);
    let res = post_form(
        &app,
        &format!("/releases/{id}/dispositions"),
        &cast.secrecy,
        &[
            ("finding", &mark),
            ("disposition", "false_positive"),
            ("note", "示例文件中的标志"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.secrecy))
        .await
        .json();
    assert_eq!(release["state"], "in_review");
}

#[actix_web::test]
async fn a_script_in_a_title_shows_as_text() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let mut m = meta(&[]);
    m["title"] = json!("<script>alert(1)</script>");
    let id = submit(&app, &cast.submitter, m, "公开统计数据\n".as_bytes()).await;
    for (path, token) in [
        (format!("/releases/{id}"), &cast.submitter),
        ("/releases/mine".to_string(), &cast.submitter),
        ("/queue".to_string(), &cast.approver),
    ] {
        let res = page(&app, &path, Some(token)).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let body = res.text();
        assert!(
            !body.contains("<script>"),
            "{path} renders markup from data"
        );
        assert!(
            body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{path}: {body}"
        );
    }
}

#[actix_web::test]
async fn a_submitter_gets_no_decision_form_on_their_own_release_and_a_post_is_refused() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let both = app
        .user("both", &[Role::Submitter, Role::DeptApprover], Some("FGW"))
        .await;
    let id = submit(&app, &both, meta(&[]), "公开统计数据\n".as_bytes()).await;
    let action = format!("action=\"/releases/{id}/decide\"");

    let own = page(&app, &format!("/releases/{id}"), Some(&both)).await;
    assert_eq!(own.status, 200);
    assert!(
        !own.text().contains(&action),
        "no decision form on one's own release"
    );
    let res = post_form(
        &app,
        &format!("/releases/{id}/decide"),
        &both,
        &[
            ("stage", "department_review"),
            ("decision", "approve"),
            ("comment", ""),
            ("csrf_token", &csrf_of(&own)),
        ],
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.text());

    // The other approver of the department gets the form and it works.
    let theirs = page(&app, &format!("/releases/{id}"), Some(&cast.approver)).await;
    assert!(theirs.text().contains(&action));
    let res = post_form(
        &app,
        &format!("/releases/{id}/decide"),
        &cast.approver,
        &[
            ("stage", "department_review"),
            ("decision", "approve"),
            ("comment", "同意"),
            ("csrf_token", &csrf_of(&theirs)),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    assert_eq!(stage(&release, "department_review")["status"], "approved");
    // Decided: no second form for the same person.
    let again = page(&app, &format!("/releases/{id}"), Some(&cast.approver)).await;
    assert!(!again.text().contains(&action));
}

#[actix_web::test]
async fn pages_answer_403_to_roles_that_may_not_use_them() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    for (path, token) in [
        ("/queue", &cast.submitter),
        ("/queue", &cast.supervisor),
        ("/audit", &cast.submitter),
        ("/audit", &cast.secrecy),
        ("/audit/export.csv", &cast.leader),
        ("/releases/new", &cast.secrecy),
        ("/releases/mine", &cast.supervisor),
    ] {
        let res = page(&app, path, Some(token)).await;
        assert_eq!(res.status, 403, "{path}");
        assert!(
            res.text().contains("<html lang=\"zh-CN\">"),
            "an HTML error page"
        );
    }
    // The department's release is not readable from another department.
    let id = submit(
        &app,
        &cast.submitter,
        meta(&[]),
        "公开统计数据\n".as_bytes(),
    )
    .await;
    let res = page(&app, &format!("/releases/{id}"), Some(&cast.approver_tjj)).await;
    assert_eq!(
        res.status, 404,
        "another department's release is not confirmed to exist"
    );

    // Signed out: the start page and the pages send the browser to sign in;
    // the catalogue is public.
    for path in ["/", "/queue", "/audit"] {
        let res = page(&app, path, None).await;
        assert_eq!(res.status, 303, "{path}");
        assert_eq!(location(&res), "/login");
    }
    assert_eq!(page(&app, "/catalog", None).await.status, 200);
    // The dashboard's routes leave unknown paths to the API's 404.
    page(&app, "/no-such-page", None)
        .await
        .assert_error(404, "not_found");
    for (token, home) in [
        (&cast.supervisor, "/audit"),
        (&cast.submitter, "/releases/mine"),
        (&cast.leader, "/queue"),
    ] {
        assert_eq!(location(&page(&app, "/", Some(token)).await), home);
    }
    for (path, token) in [
        ("/queue", &cast.secrecy),
        ("/audit", &cast.supervisor),
        ("/releases/new", &cast.submitter),
        ("/releases/mine", &cast.submitter),
    ] {
        assert_eq!(page(&app, path, Some(token)).await.status, 200, "{path}");
    }
}

#[actix_web::test]
async fn the_language_switch_sets_html_lang_and_is_remembered() {
    let app = TestApp::new().await;
    let zh = page(&app, "/catalog", None).await;
    assert!(zh.text().contains("<html lang=\"zh-CN\">"));
    assert!(zh.text().contains("公开数据目录"));

    let en = page(&app, "/catalog?lang=en", None).await;
    assert!(en.text().contains("<html lang=\"en\">"));
    assert!(en.text().contains("Public data catalogue"));
    let cookie = set_cookies(&en)
        .into_iter()
        .find(|c| c.starts_with("rg_lang=en"))
        .expect("the choice is remembered");

    let again = app
        .call(
            TestRequest::get()
                .uri("/login")
                .insert_header(("Cookie", cookie.split(';').next().unwrap().to_string())),
        )
        .await;
    assert!(again.text().contains("<html lang=\"en\">"));
    let back = page(&app, "/login?lang=zh-CN", None).await;
    assert!(back.text().contains("<html lang=\"zh-CN\">"));

    // The switch links keep the page's other parameters.
    let filtered = page(&app, "/catalog?q=%E8%A1%A5%E8%B4%B4&lang=en", None).await;
    let html = filtered.text();
    assert!(
        html.contains("href=\"?q=%E8%A1%A5%E8%B4%B4&#38;lang=zh-CN\""),
        "{html}"
    );
    assert!(html.contains("href=\"?q=%E8%A1%A5%E8%B4%B4&#38;lang=en\""));
    assert!(!html.contains("lang=en&#38;lang="));
}

#[actix_web::test]
async fn the_queue_shows_stage_counts_and_deadline_and_filters() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = submit(&app, &cast.submitter, meta(&[]), &sample_text()).await;
    let res = page(&app, "/queue?lang=en", Some(&cast.secrecy)).await;
    let body = res.text();
    assert!(body.contains(&format!("/releases/{id}")), "{body}");
    assert!(body.contains("Secrecy review"));
    assert!(body.contains("sev-block"), "finding counts by severity");
    assert!(
        body.contains("waiting 0 days"),
        "a blocked stage has no deadline yet: {body}"
    );
    let filtered = page(&app, "/queue?stage=final_signoff", Some(&cast.secrecy)).await;
    assert!(!filtered.text().contains(&format!("/releases/{id}")));

    let css = page(&app, "/static/app.css", None).await;
    assert_eq!(css.status, 200);
    assert!(css
        .headers
        .get("cache-control")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("max-age"));
}

async fn post_multipart_form(
    app: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Response {
    let (content_type, body) = form_multipart(fields, files);
    app.call(
        TestRequest::post()
            .uri(path)
            .insert_header(("Cookie", format!("rg_session={token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body),
    )
    .await
}

fn fields(csrf: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", "补贴发放情况"),
        ("description", ""),
        ("department", "FGW"),
        ("co_departments", "TJJ"),
        ("data_category", "subsidy"),
        ("open_mode", "unconditional"),
        ("publish_at", ""),
        ("csrf_token", csrf),
    ]
}

#[actix_web::test]
async fn a_submitter_files_and_revises_through_the_forms_and_sees_the_findings_diff() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let csrf = csrf_of(&page(&app, "/releases/new", Some(&cast.submitter)).await);
    let text = sample_text();
    let files: &[(&str, &[u8])] = &[("subsidy.txt", &text)];
    let refused = post_multipart_form(&app, "/releases", &cast.submitter, &fields(""), files).await;
    assert_eq!(refused.status, 403);
    let list = app
        .get("/api/v1/releases", Some(&cast.submitter))
        .await
        .json();
    assert_eq!(list["items"], json!([]), "a refused form files nothing");

    let res = post_multipart_form(&app, "/releases", &cast.submitter, &fields(&csrf), files).await;
    assert_eq!(res.status, 303, "{}", res.text());
    let id = location(&res).trim_start_matches("/releases/").to_string();
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(release["state"], "blocked");
    assert_eq!(release["co_departments"], json!(["TJJ"]));

    let mine = page(&app, "/releases/mine", Some(&cast.submitter))
        .await
        .text();
    assert!(mine.contains("密级标志待保密审查员处置"), "{mine}");

    // A new version without the mark: the page shows what disappeared.
    let clean = "关于2026年补贴发放情况的说明\n本表共计发放补贴12笔。\n";
    let res = post_multipart_form(
        &app,
        &format!("/releases/{id}/versions"),
        &cast.submitter,
        &[("csrf_token", &csrf)],
        &[("subsidy.txt", clean.as_bytes())],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let body = page(
        &app,
        &format!("/releases/{id}?lang=en"),
        Some(&cast.submitter),
    )
    .await
    .text();
    assert!(
        body.contains("Compared with the previous version"),
        "{body}"
    );
    assert!(body.contains("class=\"removed\""), "{body}");
    assert!(body.contains("CLASSIFICATION_MARK"));
}

#[actix_web::test]
async fn a_bulk_disposition_is_all_or_nothing() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = submit(&app, &cast.submitter, meta(&[]), &sample_text()).await;
    let items = findings(&app, &id, &cast.secrecy).await;
    let mark = finding_of(&items, "CLASSIFICATION_MARK")["id"]
        .as_str()
        .unwrap();
    let id_card = finding_of(&items, "CN_ID_CARD")["id"].as_str().unwrap();
    let csrf = csrf_of(&page(&app, &format!("/releases/{id}"), Some(&cast.secrecy)).await);
    // The ID number is the privacy officer's: the whole batch is refused.
    let res = post_form(
        &app,
        &format!("/releases/{id}/dispositions"),
        &cast.secrecy,
        &[
            ("finding", mark),
            ("finding", id_card),
            ("disposition", "false_positive"),
            ("note", "批量处置"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(res.status, 403, "{}", res.text());
    let after = findings(&app, &id, &cast.secrecy).await;
    assert!(
        after.iter().all(|f| f["disposition"].is_null()),
        "{after:?}"
    );
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.secrecy))
        .await
        .json();
    assert_eq!(release["state"], "blocked");
}

#[actix_web::test]
async fn the_owner_of_a_category_reveals_one_value_and_only_the_fact_is_audited() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = submit(&app, &cast.submitter, meta(&[]), &sample_text()).await;
    let items = findings(&app, &id, &cast.privacy).await;
    let id_card = finding_of(&items, "CN_ID_CARD")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let api = format!("/api/v1/releases/{id}/findings/{id_card}/reveal");

    // The submitter and a role that does not own `personal` get nothing.
    for token in [&cast.submitter, &cast.secrecy] {
        app.post_json(&api, Some(token), json!({}))
            .await
            .assert_error(403, "forbidden");
    }

    let res = app.post_json(&api, Some(&cast.privacy), json!({})).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["value"], ID_NUMBER);
    assert_eq!(res.headers.get("cache-control").unwrap(), "no-store");

    // The page: a reveal button for the owner, the value after the POST.
    let release = page(&app, &format!("/releases/{id}"), Some(&cast.privacy)).await;
    let html = release.text();
    assert!(html.contains(&format!("/releases/{id}/findings/{id_card}/reveal")));
    assert!(!html.contains(ID_NUMBER));
    let path = format!("/releases/{id}/findings/{id_card}/reveal");
    let forged = post_form(&app, &path, &cast.privacy, &[("csrf_token", "00")]).await;
    assert_eq!(forged.status, 403);
    let shown = post_form(
        &app,
        &path,
        &cast.privacy,
        &[("csrf_token", &csrf_of(&release)), ("finding", "ignored")],
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert_eq!(shown.headers.get("cache-control").unwrap(), "no-store");
    assert!(shown
        .text()
        .contains(&format!("id=\"revealed-{id_card}\">{ID_NUMBER}</code>")));
    let other = page(&app, &format!("/releases/{id}"), Some(&cast.secrecy)).await;
    assert!(
        !other.text().contains(&path),
        "no reveal button for a role that does not own the finding"
    );

    let events = app
        .db(|c| releasegate::service::audit_log::page(c, &Default::default(), 0, 1000).unwrap())
        .await;
    let revealed: Vec<_> = events
        .iter()
        .filter(|e| e.action == "finding.revealed")
        .collect();
    assert_eq!(revealed.len(), 2, "one event per reveal (API and page)");
    assert_eq!(revealed[0].actor, "privacy");
    assert_eq!(revealed[0].details["finding_id"], id_card.as_str());
    assert_eq!(revealed[0].details["type"], "CN_ID_CARD");
    assert!(revealed[0].details["location"].is_object());
    let ndjson = app
        .get("/api/v1/audit?format=ndjson", Some(&cast.supervisor))
        .await;
    assert_eq!(ndjson.status, 200);
    assert!(ndjson.text().contains("finding.revealed"));
    assert!(
        !ndjson.text().contains(ID_NUMBER),
        "the raw value never enters the audit trail"
    );
}

#[actix_web::test]
async fn the_overview_counts_open_overdue_and_median_stage_times_per_department() {
    use chrono::{Duration, NaiveDate};
    use diesel::prelude::*;
    use releasegate::db::schema::release_stages as rs;

    let app = TestApp::new().await;
    let cast = app.cast().await;
    let clean = "公开统计数据\n".as_bytes();
    let waiting = submit(&app, &cast.submitter, meta(&[]), clean).await;
    let mut decided = Vec::new();
    for _ in 0..2 {
        let id = submit(&app, &cast.submitter, meta(&[]), clean).await;
        let res = app
            .post_json(
                &format!("/api/v1/releases/{id}/decisions"),
                Some(&cast.approver),
                json!({"stage": "department_review", "decision": "approve", "comment": "同意"}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        decided.push(id);
    }
    // The decision kept the stage's opening time and stamped the decision.
    let stamps = {
        let id = decided[0].clone();
        app.db(move |c| {
            rs::table
                .find((id, "department_review"))
                .select((rs::opened_at, rs::decided_at))
                .first::<(Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>)>(c)
                .unwrap()
        })
        .await
    };
    assert!(stamps.0.is_some() && stamps.1 >= stamps.0, "{stamps:?}");

    // Known times: one stage open for ten days and past its deadline, two
    // decisions that took Monday→Wednesday and Monday→Friday.
    let now = releasegate::audit::now();
    let at = |d: u32| {
        NaiveDate::from_ymd_opt(2026, 11, d)
            .unwrap()
            .and_hms_opt(2, 0, 0)
            .unwrap()
    };
    let opened = now - Duration::days(10);
    let (w, d0, d1) = (waiting.clone(), decided[0].clone(), decided[1].clone());
    app.db(move |c| {
        diesel::update(rs::table.find((w, "department_review")))
            .set((
                rs::opened_at.eq(opened),
                rs::deadline.eq(now - Duration::days(1)),
            ))
            .execute(c)
            .unwrap();
        for (id, end) in [(d0, at(4)), (d1, at(6))] {
            diesel::update(rs::table.find((id, "department_review")))
                .set((rs::opened_at.eq(at(2)), rs::decided_at.eq(end)))
                .execute(c)
                .unwrap();
        }
    })
    .await;

    let mut open = 0;
    for id in decided.iter().chain([&waiting]) {
        let release = app
            .get(&format!("/api/v1/releases/{id}"), Some(&cast.supervisor))
            .await
            .json();
        open += release["stages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "open")
            .count() as i64;
    }
    let state = app.state.clone();
    let o = app
        .db(move |c| {
            let supervisor = releasegate::auth::CurrentUser {
                id: "x".into(),
                username: "supervisor".into(),
                roles: vec![Role::Supervisor],
                department: None,
            };
            releasegate::service::overview::overview(&state, c, &supervisor).unwrap()
        })
        .await;
    let calendar = &app.state.policies.calendar;
    let fgw = o.departments.iter().find(|d| d.code == "FGW").unwrap();
    assert_eq!(fgw.open_stages, open);
    assert_eq!(
        fgw.oldest_open_days,
        Some(calendar.working_days_between(opened, now))
    );
    assert_eq!(fgw.overdue, 1);
    let column = o
        .stages
        .iter()
        .position(|k| k == "department_review")
        .unwrap();
    let expected = (calendar.working_days_between(at(2), at(4))
        + calendar.working_days_between(at(2), at(6))) as f64
        / 2.0;
    assert_eq!(expected, 3.0, "Mon→Wed and Mon→Fri: 2 and 4 working days");
    assert_eq!(fgw.median_days[column], Some(expected));
    let tjj = o.departments.iter().find(|d| d.code == "TJJ").unwrap();
    assert_eq!(
        (tjj.open_stages, tjj.oldest_open_days, tjj.overdue),
        (0, None, 0)
    );
    assert!(tjj.median_days.iter().all(Option::is_none));

    // The page: supervisors only, linked from their menu.
    let html = page(&app, "/overview?lang=en", Some(&cast.supervisor)).await;
    assert_eq!(html.status, 200);
    let text = html.text();
    assert!(text.contains("href=\"/overview\""));
    assert!(text.contains("<td class=\"median\">3.0</td>"), "{text}");
    assert_eq!(
        page(&app, "/overview", Some(&cast.approver)).await.status,
        403
    );
}

#[actix_web::test]
async fn the_audit_search_narrows_to_one_department_and_keeps_paging() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let tjj_submitter = app
        .user("submitter-tjj", &[Role::Submitter], Some("TJJ"))
        .await;
    let fgw = submit(&app, &cast.submitter, meta(&[]), &sample_text()).await;
    let mut tjj_meta = meta(&[]);
    tjj_meta["department"] = json!("TJJ");
    let tjj = submit(&app, &tjj_submitter, tjj_meta, &sample_text()).await;
    let expected = app
        .get(
            &format!("/api/v1/audit?release={tjj}&limit=200"),
            Some(&cast.supervisor),
        )
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert!(expected >= 1);

    // One event per page, following the cursor.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let res = app
            .get(
                &format!("/api/v1/audit?department=TJJ&limit=1{cursor}"),
                Some(&cast.supervisor),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        for e in body["items"].as_array().unwrap() {
            assert_eq!(e["release_id"], tjj.as_str(), "{e}");
            seen.push(e["seq"].as_i64().unwrap());
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), expected);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    let html = page(&app, "/audit?department=TJJ", Some(&cast.supervisor))
        .await
        .text();
    assert!(html.contains(&tjj));
    assert!(!html.contains(&fgw));
    assert!(
        html.contains("department=TJJ"),
        "the export links keep the filter: {html}"
    );
}

#[actix_web::test]
async fn the_release_page_shows_findings_200_at_a_time_with_a_more_link() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let mut csv = String::from("序号,手机\n");
    for i in 0..260 {
        csv.push_str(&format!("{i},{}\n", 13_800_000_000u64 + i * 7));
    }
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("phones.csv", csv.as_bytes())],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_string();
    let row_ids = |html: &str| -> Vec<String> {
        regex::Regex::new(r#"id="reveal-([0-9A-Z]+)""#)
            .unwrap()
            .captures_iter(html)
            .map(|c| c[1].to_string())
            .collect()
    };

    let first = page(&app, &format!("/releases/{id}"), Some(&cast.privacy))
        .await
        .text();
    let first_ids = row_ids(&first);
    assert_eq!(
        first.matches("<span class=\"sev sev-").count(),
        200,
        "one page of findings"
    );
    let next =
        regex::Regex::new(r#"href="(/releases/[^"]+\?after=[0-9A-Z]+)#findings" rel="next""#)
            .unwrap()
            .captures(&first)
            .expect("a link to the next findings")[1]
            .to_string();
    let second = page(&app, &next, Some(&cast.privacy)).await.text();
    let second_ids = row_ids(&second);
    assert!(!second_ids.is_empty());
    assert!(second_ids.iter().all(|f| !first_ids.contains(f)));
    assert!(
        !second.contains("rel=\"next\""),
        "the last page has no more link"
    );
    // A reveal from the second page stays on the second page.
    assert!(second.contains(&format!(
        "/releases/{id}/findings/{}/reveal?after=",
        second_ids[0]
    )));
}

#[actix_web::test]
async fn signing_out_revokes_the_session_token_but_not_the_users_other_sessions() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let other = {
        let user = app
            .db(|c| releasegate::service::accounts::find_user(c, "secrecy").unwrap())
            .await;
        app.state
            .tokens
            .issue(&user.id, &user.username, None)
            .unwrap()
            .0
    };
    let queue = page(&app, "/queue", Some(&cast.secrecy)).await;
    assert_eq!(queue.status, 200);
    let res = post_form(
        &app,
        "/logout",
        &cast.secrecy,
        &[("csrf_token", &csrf_of(&queue))],
    )
    .await;
    assert_eq!(res.status, 303);
    assert_eq!(location(&res), "/login");

    let again = page(&app, "/queue", Some(&cast.secrecy)).await;
    assert_eq!(again.status, 303, "the old cookie no longer signs in");
    assert_eq!(location(&again), "/login");
    app.get("/api/v1/me", Some(&cast.secrecy))
        .await
        .assert_error(401, "unauthorized");
    // Only this session ended.
    assert_eq!(app.get("/api/v1/me", Some(&other)).await.status, 200);
    let events = app
        .db(|c| releasegate::service::audit_log::page(c, &Default::default(), 0, 1000).unwrap())
        .await;
    assert!(events
        .iter()
        .any(|e| e.action == "user.logout" && e.actor == "secrecy"));
}

/// The (stage, decision) pairs the release page offers.
fn offered_decisions(page: &str) -> std::collections::BTreeSet<(String, String)> {
    let form = regex::Regex::new(r#"(?s)name="stage" value="([a-z_]+)">(.*?)</form>"#).unwrap();
    let radio = regex::Regex::new(r#"name="decision" value="([a-z_]+)""#).unwrap();
    form.captures_iter(page)
        .flat_map(|f| {
            let stage = f[1].to_string();
            radio
                .captures_iter(&f[2])
                .map(move |r| (stage.clone(), r[1].to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Compares, for each person, the decision buttons of the release page
/// with what `workflow::allowed` permits them (through `Permissions`, the
/// service's one question); returns (people checked, buttons offered).
async fn buttons_match_the_rules(
    app: &TestApp,
    id: &str,
    people: &[(String, String)],
) -> (usize, usize) {
    use releasegate::service::releases;
    let stages: Vec<String> = app
        .state
        .policies
        .workflow
        .stages
        .iter()
        .map(|s| s.key.clone())
        .collect();
    let mut seen = (0, 0);
    for (username, token) in people {
        let html = page(app, &format!("/releases/{id}"), Some(token))
            .await
            .text();
        let offered = offered_decisions(&html);
        let (state, rid, name, stages) = (
            app.state.clone(),
            id.to_string(),
            username.clone(),
            stages.clone(),
        );
        let allowed = app
            .db(move |c| {
                let user = releases_user(c, &name);
                let may = releases::permissions(&state, c, &user, &rid.as_str().into()).unwrap();
                stages
                    .iter()
                    .flat_map(|s| {
                        may.decisions(s)
                            .into_iter()
                            .map(move |d| (s.clone(), d.as_str().to_string()))
                    })
                    .collect::<std::collections::BTreeSet<_>>()
            })
            .await;
        assert_eq!(offered, allowed, "{username} on {id}");
        seen.0 += 1;
        seen.1 += offered.len();
    }
    seen
}

/// The release page shows a decision button exactly where the workflow's
/// `allowed` says yes, for every member of the cast, as releases move from
/// blocked through review to publication.
#[actix_web::test]
async fn decision_buttons_are_exactly_what_the_rules_allow() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let people: Vec<(String, String)> = [
        ("submitter", &cast.submitter),
        ("approver", &cast.approver),
        ("approver-tjj", &cast.approver_tjj),
        ("secrecy", &cast.secrecy),
        ("privacy", &cast.privacy),
        ("leader", &cast.leader),
    ]
    .into_iter()
    .map(|(u, t)| (u.to_string(), t.clone()))
    .collect();
    let mut totals = (0, 0);
    let mut add = |(n, k): (usize, usize)| {
        totals.0 += n;
        totals.1 += k;
    };
    // Blocked by the mark: only the secrecy review may turn it down.
    let id = submit(&app, &cast.submitter, meta(&["TJJ"]), &sample_text()).await;
    add(buttons_match_the_rules(&app, &id, &people).await);
    app.approve_all(&id, &cast, |_| "redact").await;
    add(buttons_match_the_rules(&app, &id, &people).await);
    // A second release, before and after its first stage.
    let id2 = submit(
        &app,
        &cast.submitter,
        meta(&["TJJ"]),
        "公开统计数据\n".as_bytes(),
    )
    .await;
    add(buttons_match_the_rules(&app, &id2, &people).await);
    let res = app
        .post_json(
            &format!("/api/v1/releases/{id2}/decisions"),
            Some(&cast.approver),
            json!({"stage": "department_review", "decision": "approve", "comment": ""}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    add(buttons_match_the_rules(&app, &id2, &people).await);
    assert_eq!(totals.0, 4 * people.len());
    assert!(totals.1 >= 6, "some buttons were offered: {}", totals.1);
}

fn releases_user(
    c: &mut releasegate::db::DbConn,
    username: &str,
) -> releasegate::auth::CurrentUser {
    use diesel::prelude::*;
    use releasegate::db::models::User;
    use releasegate::db::schema::users;
    let row: User = users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(c)
        .unwrap();
    releasegate::auth::CurrentUser::from_row(row).unwrap()
}

#[actix_web::test]
async fn the_release_page_speaks_the_reviewers_language() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let csv = format!("姓名,身份证号\n张建国,{ID_NUMBER}\n");
    let mut m = meta(&["TJJ"]);
    m["title"] = json!("名册");
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(m),
            &[("roster.csv", csv.as_bytes())],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_string();
    let zh = page(&app, &format!("/releases/{id}"), Some(&cast.privacy))
        .await
        .text();
    for words in [
        "市发展改革委",
        "市统计局",
        "身份证号",
        "CN_ID_CARD",
        "个人信息",
        "roster.csv · B2",
    ] {
        assert!(zh.contains(words), "the page lacks {words}");
    }
    assert!(!zh.contains("<dd>FGW</dd>"), "department shown as a code");
    let en = page(
        &app,
        &format!("/releases/{id}?lang=en"),
        Some(&cast.privacy),
    )
    .await
    .text();
    assert!(en.contains("ID card number"), "English finding type");
    // Service errors are explained in the page's language.
    let missing = page(
        &app,
        "/releases/01J0000000000000000000000",
        Some(&cast.privacy),
    )
    .await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.text().contains("找不到该内容"),
        "{}",
        missing.text()
    );
}

#[actix_web::test]
async fn a_department_answers_a_data_request_on_its_page_and_the_public_reads_the_answer() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let (member, _) = crate::public_access::verified_member(&app).await;
    let asked = app
        .post_json(
            "/public/demands",
            Some(&member),
            json!({"title": "历年补贴名单", "description": "请联系13812345678", "department": "FGW", "contact": "li@example.org"}),
        )
        .await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    let id = asked.json()["id"].as_str().unwrap().to_string();

    // The approver sees it with the contact, the text as sent and the
    // masked version the public sees, and an answer form.
    let list = page(&app, "/demands", Some(&cast.approver)).await;
    assert_eq!(list.status, 200);
    let html = list.text();
    assert!(html.contains(&format!("id=\"demand-{id}\"")), "{html}");
    assert!(html.contains("li@example.org") && html.contains("13812345678"));
    assert!(html.contains(&format!("action=\"/demands/{id}/answer\"")));
    // Supervisors read without a form; submitters may not use the page.
    let supervised = page(&app, "/demands", Some(&cast.supervisor)).await.text();
    assert!(supervised.contains(&format!("id=\"demand-{id}\"")));
    assert!(!supervised.contains("/answer\""), "{supervised}");
    assert_eq!(
        page(&app, "/demands", Some(&cast.submitter)).await.status,
        403
    );
    assert_eq!(
        page(&app, "/demands?status=lost", Some(&cast.approver))
            .await
            .status,
        400
    );

    let path = format!("/demands/{id}/answer");
    let csrf = csrf_of(&list);
    let answer = |status: &'static str, reason: &'static str| {
        let csrf = csrf.clone();
        let path = path.clone();
        let approver = cast.approver.clone();
        let app = &app;
        async move {
            post_form(
                app,
                &path,
                &approver,
                &[
                    ("answer", "已有公开数据，不再单独开放"),
                    ("status", status),
                    ("reason", reason),
                    ("withhold_reason", ""),
                    ("csrf_token", &csrf),
                ],
            )
            .await
        }
    };
    // Declining without a reason is refused by name; nothing is written.
    let refused = answer("declined", "").await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(
        post_form(
            &app,
            &path,
            &cast.approver,
            &[
                ("answer", "x"),
                ("status", "accepted"),
                ("csrf_token", "00")
            ]
        )
        .await
        .status,
        403
    );
    let public = app.get(&format!("/public/demands/{id}"), None).await.json();
    assert_eq!(public["status"], "open");

    let done = answer("declined", "数据已在统计年鉴公开").await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(location(&done), format!("/demands#demand-{id}"));
    let public = app.get(&format!("/public/demands/{id}"), None).await.json();
    assert_eq!(public["status"], "declined");
    assert_eq!(public["reason"], "数据已在统计年鉴公开");
    let declined = page(&app, "/demands?status=declined", Some(&cast.approver))
        .await
        .text();
    assert!(declined.contains("数据已在统计年鉴公开"));
    let open = page(&app, "/demands?status=open", Some(&cast.approver))
        .await
        .text();
    assert!(!open.contains(&format!("demand-{id}")));
}

/// The release page lists a receipt per decision and the publication, and
/// each link downloads the same file the API serves.
#[actix_web::test]
async fn the_release_page_offers_each_receipt_for_download() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    app.approve_all(&id, &cast, |_| "redact").await;
    let html = page(&app, &format!("/releases/{id}"), Some(&cast.submitter))
        .await
        .text();
    let listed = html
        .matches(&format!("href=\"/releases/{id}/receipts/"))
        .count();
    assert!(
        listed >= 4,
        "decisions and the publication: {listed} in {html}"
    );
    let seq = html
        .split(&format!("/releases/{id}/receipts/"))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let file = page(
        &app,
        &format!("/releases/{id}/receipts/{seq}"),
        Some(&cast.submitter),
    )
    .await;
    assert_eq!(file.status, 200);
    let api = app
        .get(
            &format!("/api/v1/releases/{id}/receipts/{seq}"),
            Some(&cast.submitter),
        )
        .await;
    assert_eq!(file.text(), api.text());
}

/// The cookie `name` a response sets, as `name=value`.
fn cookie_set(res: &Response, name: &str) -> String {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {:?}", res.headers))
        .split(';')
        .next()
        .unwrap()
        .to_string()
}

/// A form POST with exactly the cookies given.
async fn post_with_cookie(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> Response {
    app.call(
        TestRequest::post()
            .uri(path)
            .insert_header(("Cookie", cookie.to_string()))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(serde_urlencoded::to_string(form).unwrap()),
    )
    .await
}

async fn get_with_cookie(app: &TestApp, path: &str, cookie: &str) -> Response {
    app.call(
        TestRequest::get()
            .uri(path)
            .insert_header(("Cookie", cookie.to_string())),
    )
    .await
}

#[actix_web::test]
async fn a_member_of_the_public_asks_for_data_and_rates_a_release_on_the_catalogue_pages() {
    use crate::public_access::{verified_member, MEMBER_EMAIL, MEMBER_PASSWORD};
    let (app, cast) = TestApp::builder().with_cast().await;
    let release = clean_release(&app, &cast).await;
    app.approve_all(&release, &cast, |_| "redact").await;
    verified_member(&app).await;

    // Signed out: the requests can be read, the forms are not offered, and
    // a post is sent to sign in without writing anything.
    let anonymous = page(&app, "/catalog/demands", None).await;
    assert_eq!(anonymous.status, 200);
    assert!(anonymous.text().contains("href=\"/catalog/login\""));
    assert!(!anonymous.text().contains("action=\"/catalog/demands\""));
    let catalog = page(&app, "/catalog", None).await.text();
    assert!(!catalog.contains("/rating\""), "no rating form signed out");

    let form = page(&app, "/catalog/login", None).await;
    let pre = cookie_set(&form, "rg_presession");
    let csrf = csrf_of(&form);
    let login = |password: &'static str, csrf: String| {
        let pre = pre.clone();
        let app = &app;
        async move {
            post_with_cookie(
                app,
                "/catalog/login",
                &pre,
                &[
                    ("email", MEMBER_EMAIL),
                    ("password", password),
                    ("csrf_token", &csrf),
                ],
            )
            .await
        }
    };
    // A form token from the sign-in page but no member: sent to sign in.
    let unsigned = post_with_cookie(
        &app,
        "/catalog/demands",
        &pre,
        &[
            ("title", "x"),
            ("description", "y"),
            ("contact", "z"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(unsigned.status, 303);
    assert_eq!(location(&unsigned), "/catalog/login");
    let wrong = login("not the passphrase", csrf.clone()).await;
    assert_eq!(wrong.status, 401);
    assert!(set_cookies(&wrong)
        .iter()
        .all(|c| !c.starts_with("rg_member=")));
    assert_eq!(login(MEMBER_PASSWORD, "00".repeat(32)).await.status, 403);
    let signed_in = login(MEMBER_PASSWORD, csrf).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.text());
    assert_eq!(location(&signed_in), "/catalog");
    let member = cookie_set(&signed_in, "rg_member");
    let raw = set_cookies(&signed_in)
        .into_iter()
        .find(|c| c.starts_with("rg_member="))
        .unwrap();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Strict"),
        "{raw}"
    );
    // A public token opens no staff page.
    let staff = get_with_cookie(&app, "/queue", &member.replace("rg_member=", "rg_session=")).await;
    assert_eq!(staff.status, 303);
    assert_eq!(location(&staff), "/login");

    // The request form, then the request on the public list, masked.
    let demands = get_with_cookie(&app, "/catalog/demands", &member).await;
    assert!(
        demands.text().contains("李明"),
        "the member's name in the header"
    );
    let csrf = csrf_of(&demands);
    let forged = post_with_cookie(
        &app,
        "/catalog/demands",
        &member,
        &[
            ("title", "x"),
            ("description", "y"),
            ("contact", "z"),
            ("csrf_token", &"0".repeat(64)),
        ],
    )
    .await;
    assert_eq!(forged.status, 403);
    let filed = post_with_cookie(
        &app,
        "/catalog/demands",
        &member,
        &[
            ("title", "历年项目清单"),
            ("description", "用于研究，联系13812345678"),
            ("department", "FGW"),
            ("contact", "li@example.org"),
            ("csrf_token", &csrf),
        ],
    )
    .await;
    assert_eq!(filed.status, 303, "{}", filed.text());
    let to = location(&filed).to_string();
    let id = to
        .strip_prefix("/catalog/demands#demand-")
        .expect(&to)
        .to_string();
    let listed = page(&app, "/catalog/demands", None).await.text();
    assert!(listed.contains(&format!("id=\"demand-{id}\"")), "{listed}");
    assert!(listed.contains("历年项目清单"));
    assert!(
        !listed.contains("13812345678"),
        "the public sees the number masked"
    );
    assert!(
        !listed.contains("li@example.org"),
        "the contact is never public"
    );
    let staff_view = app
        .get("/api/v1/demands", Some(&cast.approver))
        .await
        .json();
    assert_eq!(staff_view["items"][0]["requester"], "李明");

    // The rating form on the catalogue; a second rating changes the first.
    let catalog = get_with_cookie(&app, "/catalog", &member).await.text();
    let action = format!("action=\"/catalog/releases/{release}/rating\"");
    assert!(catalog.contains(&action), "{catalog}");
    let rate = |score: &'static str| {
        let member = member.clone();
        let app = &app;
        let release = release.clone();
        let csrf = csrf.clone();
        async move {
            post_with_cookie(
                app,
                &format!("/catalog/releases/{release}/rating"),
                &member,
                &[
                    ("availability", score),
                    ("completeness", score),
                    ("accuracy", score),
                    ("timeliness", score),
                    ("security", score),
                    ("comment", ""),
                    ("csrf_token", &csrf),
                ],
            )
            .await
        }
    };
    assert_eq!(rate("4").await.status, 303);
    let done = rate("2").await;
    assert_eq!(location(&done), format!("/catalog#release-{release}"));
    let view = app
        .get(&format!("/public/releases/{release}"), None)
        .await
        .json();
    assert_eq!(view["rating"]["count"], 1, "{view}");
    assert_eq!(view["rating"]["availability"], 2.0);
    // A score outside 1–5 is refused with the service's words.
    let bad = rate("9").await;
    assert_eq!(bad.status, 400, "{}", bad.text());
    assert!(bad.text().contains("availability"), "{}", bad.text());

    // Signing out ends the token at once.
    let out = post_with_cookie(&app, "/catalog/logout", &member, &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert!(set_cookies(&out)
        .iter()
        .any(|c| c.starts_with("rg_member=;")
            || c.starts_with("rg_member=\"\"")
            || c.contains("Max-Age=0")));
    // The old cookie no longer signs anyone in, so its form token matches
    // no session.
    assert_eq!(rate("5").await.status, 403);
    let signed_out = get_with_cookie(&app, "/catalog", &member).await.text();
    assert!(
        !signed_out.contains(&action),
        "no rating form after sign-out"
    );
    let view = app
        .get(&format!("/public/releases/{release}"), None)
        .await
        .json();
    assert_eq!(
        view["rating"]["availability"], 2.0,
        "nothing written after sign-out"
    );
}

/// Whether the catalogue page for `query` lists each of `ids`, and the page.
async fn catalogue_lists(app: &TestApp, query: &str, ids: [&str; 2]) -> ((bool, bool), String) {
    let res = page(app, &format!("/catalog?{query}"), None).await;
    assert_eq!(res.status, 200, "{query}: {}", res.text());
    let text = res.text();
    let has = |id: &str| text.contains(&format!("id=\"release-{id}\""));
    ((has(ids[0]), has(ids[1])), text)
}

#[actix_web::test]
async fn the_catalogue_page_searches_by_department_theme_open_mode_and_local_day() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let open = clean_release(&app, &cast).await;
    app.approve_all(&open, &cast, |_| "redact").await;
    let mut m = meta(&[]);
    m["title"] = json!("企业技改补贴汇总");
    m["open_mode"] = json!("conditional");
    m["data_category"] = json!("statistics");
    let conditional = app
        .file_release(&cast.submitter, m, "b.txt", "公开统计数据\n".as_bytes())
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.approve_all(&conditional, &cast, |_| "redact").await;
    let ids = [open.as_str(), conditional.as_str()];

    let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    for (query, expected) in [
        (String::new(), (true, true)),
        ("open_mode=conditional".into(), (false, true)),
        ("theme=statistics&department=FGW".into(), (false, true)),
        ("department=TJJ".into(), (false, false)),
        ("q=%E6%8A%80%E6%94%B9".into(), (false, true)), // 技改
        // Local days, both ends inclusive.
        (
            format!("from={}&to={}", day(today), day(today)),
            (true, true),
        ),
        (
            format!("from={}", day(today.succ_opt().unwrap())),
            (false, false),
        ),
        (
            format!("to={}", day(today.pred_opt().unwrap())),
            (false, false),
        ),
    ] {
        let (got, _) = catalogue_lists(&app, &query, ids).await;
        assert_eq!(got, expected, "{query}");
    }
    let (_, text) = catalogue_lists(&app, "open_mode=conditional", ids).await;
    assert!(
        text.contains(r#"<option value="conditional" selected>"#),
        "the form keeps the search"
    );
    let bad = page(&app, "/catalog?from=2026-13-01", None).await;
    assert_eq!(bad.status, 400);
    assert!(bad.text().contains("from"), "{}", bad.text());
    let bad = page(&app, "/catalog?open_mode=secret", None).await;
    assert_eq!(bad.status, 400);
}
