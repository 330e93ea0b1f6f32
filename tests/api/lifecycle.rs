//! The life of a release through the HTTP API, on SQLite or (with
//! RELEASEGATE_TEST_DATABASE_URL) PostgreSQL.

use crate::common::*;
use serde_json::json;

#[actix_web::test]
async fn a_release_goes_from_submission_to_publication_with_values_masked() {
    let app = TestApp::new().await;
    let cast = app.cast().await;

    let res = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&["TJJ"])),
            &[("subsidy.txt", &sample_text())],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let release = res.json();
    let id = release["id"].as_str().unwrap().to_string();
    assert_eq!(
        release["state"], "blocked",
        "a classification mark blocks the release"
    );
    assert_eq!(
        stage(&release, "privacy_review")["status"],
        "waiting",
        "personal findings make privacy review required"
    );
    assert_eq!(
        stage(&release, "cross_border_assessment")["status"],
        "not_required"
    );
    assert_eq!(release["findings"]["by_severity"]["block"], 1);

    // Nothing leaks before publication.
    app.get(&format!("/public/releases/{id}"), None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        app.get("/public/releases", None).await.json()["items"],
        json!([])
    );

    // The blocked release is in the secrecy reviewer's queue, not the approver's.
    let queue = app.get("/api/v1/queue", Some(&cast.secrecy)).await.json();
    assert_eq!(queue["items"][0]["release_id"], id.as_str());
    assert_eq!(
        app.get("/api/v1/queue", Some(&cast.approver)).await.json()["items"],
        json!([])
    );
    decide(&app, &id, &cast.approver, "department_review", "approve")
        .await
        .assert_error(409, "not_open");

    let items = findings(&app, &id, &cast.secrecy).await;
    let mark = finding_of(&items, "CLASSIFICATION_MARK")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let id_card = finding_of(&items, "CN_ID_CARD");
    assert!(
        !id_card["excerpt"].as_str().unwrap().contains(ID_NUMBER),
        "excerpts are masked"
    );
    assert!(
        id_card["location"]["line"] == 3 && id_card["location"]["file"] == "subsidy.txt",
        "{id_card}"
    );
    let id_card = id_card["id"].as_str().unwrap().to_string();

    dispose(&app, &id, &cast.secrecy, &mark, "false_positive", "")
        .await
        .assert_error(422, "note_required");
    dispose(&app, &id, &cast.secrecy, &mark, "accepted", "x")
        .await
        .assert_error(422, "blocking_finding");
    dispose(&app, &id, &cast.privacy, &mark, "false_positive", "x")
        .await
        .assert_error(403, "forbidden");
    let res = dispose(
        &app,
        &id,
        &cast.secrecy,
        &mark,
        "false_positive",
        "样例文本中的示例标志，非真实密级",
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["disposition"]["by"], "secrecy");
    let release = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(release["state"], "in_review");

    let release = decide(&app, &id, &cast.approver, "department_review", "approve")
        .await
        .json();
    assert_eq!(stage(&release, "department_review")["status"], "approved");
    assert_eq!(stage(&release, "secrecy_review")["status"], "open");
    assert_eq!(
        stage(&release, "privacy_review")["status"],
        "open",
        "parallel group opens together"
    );

    decide(&app, &id, &cast.secrecy, "secrecy_review", "approve").await;
    // Personal findings at or above the threshold must be dispositioned first.
    let msg = decide(&app, &id, &cast.privacy, "privacy_review", "approve")
        .await
        .assert_error(409, "undispositioned_findings");
    assert!(
        msg.contains(&id_card),
        "the refusal names the findings: {msg}"
    );
    for f in findings(&app, &id, &cast.privacy).await {
        if f["category"] == "personal" {
            let d = if f["type"] == "PERSON_NAME" {
                "accepted"
            } else {
                "redact"
            };
            let res = dispose(
                &app,
                &id,
                &cast.privacy,
                f["id"].as_str().unwrap(),
                d,
                "经办人姓名可公开",
            )
            .await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
    }
    let release = decide(&app, &id, &cast.privacy, "privacy_review", "approve")
        .await
        .json();
    assert_eq!(stage(&release, "co_unit_signoff")["status"], "open");
    assert_eq!(stage(&release, "co_unit_signoff")["required_approvals"], 1);
    decide(&app, &id, &cast.approver_tjj, "co_unit_signoff", "approve").await;
    let release = decide(&app, &id, &cast.leader, "final_signoff", "approve")
        .await
        .json();
    assert_eq!(release["state"], "published");
    assert!(release["published_at"].is_string());

    let public = app
        .get(&format!("/public/releases/{id}"), None)
        .await
        .json();
    let url = public["files"][0]["url"].as_str().unwrap().to_string();
    let file = app.get(&url, None).await;
    assert_eq!(file.status, 200);
    let text = file.text();
    assert!(
        !text.contains(ID_NUMBER) && !text.contains(MOBILE),
        "published rendition leaks: {text}"
    );
    assert!(
        text.contains("420704") && text.contains("1233"),
        "masked keeps first/last digits: {text}"
    );
    assert!(text.contains("张建国"), "an accepted name stays: {text}");
    assert!(
        text.contains("本表共计发放补贴12笔。"),
        "everything else is unchanged"
    );
    // The original is kept as submitted.
    let original = app
        .state
        .store
        .get(
            release["versions"][0]["files"][0]["sha256"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(original, sample_text());

    let catalog = app.get("/public/catalog", None).await.json();
    assert_eq!(catalog["dcat:dataset"][0]["dct:identifier"], id.as_str());

    let verify = app
        .get("/api/v1/audit/verify", Some(&cast.supervisor))
        .await
        .json();
    assert_eq!(verify["ok"], true, "{verify}");
    let events = app
        .get(
            &format!("/api/v1/audit?release={id}&limit=200"),
            Some(&cast.supervisor),
        )
        .await
        .json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.first(), Some(&"release.submitted"));
    assert_eq!(actions.last(), Some(&"release.published"));
    assert_eq!(actions.iter().filter(|a| **a == "stage.decided").count(), 5);
    let all = app
        .get("/api/v1/audit?format=ndjson", Some(&cast.supervisor))
        .await
        .text();
    assert!(
        !all.contains(ID_NUMBER) && !all.contains(MOBILE),
        "raw values never enter the audit trail"
    );
}

#[actix_web::test]
async fn nobody_decides_their_own_release_or_two_stages() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    use releasegate::policy::Role;
    let both = app
        .user("both", &[Role::Submitter, Role::DeptApprover], Some("FGW"))
        .await;
    let dual = app
        .user("dual", &[Role::SecrecyReviewer, Role::PrivacyOfficer], None)
        .await;
    let text = format!("联系人：张建国，身份证号{ID_NUMBER}\n").into_bytes();
    let release = app
        .post_multipart(
            "/api/v1/releases",
            &both,
            Some(meta(&[])),
            &[("a.txt", &text)],
        )
        .await
        .json();
    let id = release["id"].as_str().unwrap();
    let msg = decide(&app, id, &both, "department_review", "approve")
        .await
        .assert_error(403, "forbidden");
    assert!(msg.contains("submitted"), "{msg}");
    // Outside the lead department's scope.
    decide(&app, id, &cast.approver_tjj, "department_review", "approve")
        .await
        .assert_error(403, "forbidden");
    assert_eq!(
        decide(&app, id, &cast.approver, "department_review", "approve")
            .await
            .status,
        200
    );
    // Wrong role for the stage.
    decide(&app, id, &cast.approver, "secrecy_review", "approve")
        .await
        .assert_error(403, "forbidden");
    assert_eq!(
        decide(&app, id, &dual, "secrecy_review", "approve")
            .await
            .status,
        200
    );
    for f in findings(&app, id, &dual).await {
        dispose(&app, id, &dual, f["id"].as_str().unwrap(), "redact", "").await;
    }
    let msg = decide(&app, id, &dual, "privacy_review", "approve")
        .await
        .assert_error(403, "forbidden");
    assert!(msg.contains("separation of duties"), "{msg}");
    // The queue does not offer what separation of duties forbids.
    assert_eq!(
        app.get("/api/v1/queue", Some(&dual)).await.json()["items"],
        json!([])
    );
    assert_eq!(
        decide(&app, id, &cast.privacy, "privacy_review", "approve")
            .await
            .status,
        200
    );
    decide(&app, id, &cast.privacy, "privacy_review", "approve")
        .await
        .assert_error(409, "not_open");
    decide(&app, id, &cast.leader, "no_such_stage", "approve")
        .await
        .assert_error(422, "unknown_stage");
}

#[actix_web::test]
async fn a_new_version_is_rescanned_and_dismisses_old_approvals() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let release = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", &sample_text())],
        )
        .await
        .json();
    let id = release["id"].as_str().unwrap().to_string();
    assert_eq!(release["state"], "blocked");

    // Version 2 removes the mark: unblocked without any disposition.
    let clean = "关于2026年补贴发放情况的说明\n本表共计发放补贴12笔。\n".as_bytes();
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", clean)],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let release = res.json();
    assert_eq!(
        (release["version"].as_i64(), release["state"].as_str()),
        (Some(2), Some("in_review"))
    );
    assert_eq!(release["findings"]["total"], 0);
    assert_eq!(stage(&release, "privacy_review")["status"], "not_required");

    let approved = decide(&app, &id, &cast.approver, "department_review", "approve")
        .await
        .json();
    let digest_v2 = approved["versions"][1]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        stage(&approved, "department_review")["decisions"][0]["digest"],
        digest_v2.as_str(),
        "approval bound to the version digest"
    );

    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", &sample_text())],
        )
        .await;
    let release = res.json();
    assert_eq!(release["version"], 3);
    assert_eq!(release["state"], "blocked", "rescanned: the mark is back");
    let dr = stage(&release, "department_review");
    assert_eq!(
        (dr["status"].as_str(), dr["approvals"].as_i64()),
        (Some("open"), Some(0))
    );
    assert_eq!(dr["decisions"][0]["dismissed"], true);
    assert_ne!(release["versions"][2]["digest"], digest_v2.as_str());

    // Only the submitter of the lead department files versions.
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.approver,
            None,
            &[("a.txt", clean)],
        )
        .await;
    res.assert_error(403, "forbidden");
}

#[actix_web::test]
async fn reject_is_final_and_request_changes_waits_for_a_new_version() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let clean = "关于2026年补贴发放情况的说明\n".as_bytes();
    let a = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("a.txt", clean)],
        )
        .await
        .json();
    let a = a["id"].as_str().unwrap();
    decide(
        &app,
        a,
        &cast.approver,
        "department_review",
        "request_changes",
    )
    .await;
    let r = app
        .get(&format!("/api/v1/releases/{a}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(r["state"], "changes_requested");
    decide(&app, a, &cast.secrecy, "secrecy_review", "approve")
        .await
        .assert_error(409, "not_open");
    let r = app
        .post_multipart(
            &format!("/api/v1/releases/{a}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", clean)],
        )
        .await
        .json();
    assert_eq!(r["state"], "in_review");
    assert_eq!(stage(&r, "department_review")["status"], "open");

    decide(&app, a, &cast.approver, "department_review", "approve").await;
    let r = decide(&app, a, &cast.secrecy, "secrecy_review", "reject")
        .await
        .json();
    assert_eq!(r["state"], "rejected");
    decide(&app, a, &cast.leader, "final_signoff", "approve")
        .await
        .assert_error(409, "not_open");
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{a}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", clean)],
        )
        .await;
    res.assert_error(409, "not_allowed_in_state");
    // A reject without a reason is refused.
    let b = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(meta(&[])),
            &[("b.txt", clean)],
        )
        .await
        .json();
    let res = app
        .post_json(
            &format!("/api/v1/releases/{}/decisions", b["id"].as_str().unwrap()),
            Some(&cast.approver),
            json!({"stage": "department_review", "decision": "reject"}),
        )
        .await;
    res.assert_error(422, "note_required");
}

/// A release approved by every stage, embargoed until 2999.
async fn approved_under_embargo(app: &TestApp, cast: &Cast, text: &str) -> String {
    let mut m = meta(&[]);
    m["publish_at"] = json!("2999-01-01T00:00:00Z");
    let r = app
        .file_release(&cast.submitter, m, "a.txt", text.as_bytes())
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    let r = app.approve_all(&id, cast, |_| "redact").await;
    assert_eq!(r["state"], "approved");
    id
}

#[actix_web::test]
async fn a_release_that_cannot_be_published_does_not_hold_back_the_next_embargo() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let broken = approved_under_embargo(&app, &cast, "关于2026年补贴发放情况的说明\n").await;
    let fine = approved_under_embargo(&app, &cast, "关于2026年补助资金情况的说明\n").await;
    // Both embargoes end, the broken one first; its row goes bad (a list
    // column no longer parses, so the release cannot be loaded).
    let (b, f) = (broken.clone(), fine.clone());
    app.db(move |c| {
        use diesel::prelude::*;
        use releasegate::db::schema::releases;
        let now = chrono::Utc::now().naive_utc();
        for (id, ago) in [(b.clone(), 60), (f, 30)] {
            diesel::update(releases::table.find(id))
                .set(releases::publish_at.eq(now - chrono::Duration::seconds(ago)))
                .execute(c)
                .unwrap();
        }
        diesel::update(releases::table.find(b))
            .set(releases::co_departments.eq("not json"))
            .execute(c)
            .unwrap();
    })
    .await;

    let st = app.state.clone();
    let published = app
        .db(move |c| releasegate::service::releases::publish_due(&st, c).unwrap())
        .await;
    assert_eq!(published, 1, "the sweep goes on past the broken release");
    assert_eq!(
        app.get(&format!("/public/releases/{fine}"), None)
            .await
            .status,
        200
    );
    let state = app
        .db(move |c| {
            use diesel::prelude::*;
            use releasegate::db::schema::releases;
            releases::table
                .find(broken)
                .select(releases::state)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        state, "approved",
        "left for the next sweep, not half published"
    );
}

#[actix_web::test]
async fn embargoed_release_waits_until_publish_at_and_can_be_retracted() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = approved_under_embargo(&app, &cast, "关于2026年补贴发放情况的说明\n").await;
    app.get(&format!("/public/releases/{id}"), None)
        .await
        .assert_error(404, "not_found");

    // The embargo passes.
    let idc = id.clone();
    app.db(move |c| {
        use diesel::prelude::*;
        use releasegate::db::schema::releases;
        diesel::update(releases::table.find(idc))
            .set(releases::publish_at.eq(chrono::Utc::now().naive_utc()))
            .execute(c)
            .unwrap();
    })
    .await;
    let st = app.state.clone();
    assert_eq!(
        app.db(move |c| releasegate::service::releases::publish_due(&st, c).unwrap())
            .await,
        1
    );
    assert_eq!(
        app.get(&format!("/public/releases/{id}"), None)
            .await
            .status,
        200
    );

    let retract = format!("/api/v1/releases/{id}/retract");
    app.post_json(&retract, Some(&cast.submitter), json!({"reason": "x"}))
        .await
        .assert_error(403, "forbidden");
    let r = app
        .post_json(
            &retract,
            Some(&cast.secrecy),
            json!({"reason": "发现未脱敏信息"}),
        )
        .await
        .json();
    assert_eq!(r["state"], "retracted");
    assert_eq!(r["retraction_reason"], "发现未脱敏信息");
    // The public learns that it is gone, since when and why.
    let gone = app.get(&format!("/public/releases/{id}"), None).await;
    gone.assert_error(410, "retracted");
    let body = gone.json();
    assert_eq!(body["reason"], "发现未脱敏信息");
    assert_eq!(body["retracted_at"], r["retracted_at"]);
}
