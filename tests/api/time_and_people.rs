//! Time and the people around a release: stage clocks (stop, resume, 补正,
//! extension), reminders and escalations at an injected instant, recusal,
//! delegation, a hold before publication, and retraction notices.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use releasegate::db::schema::{audit_events, outbox, release_stages, releases, users};
use releasegate::policy::{Calendar, Role};
use releasegate::service::reminders;
use serde_json::json;

use crate::common::*;

/// Gives every staff account an address, so that mail can reach them.
async fn give_addresses(app: &TestApp) {
    app.db(|c| {
        let names: Vec<(String, String)> = users::table
            .select((users::id, users::username))
            .load(c)
            .unwrap();
        for (id, name) in names {
            diesel::update(users::table.find(id))
                .set(users::email.eq(format!("{name}@example.gov.cn")))
                .execute(c)
                .unwrap();
        }
    })
    .await;
}

/// Mail queued to `to` whose subject contains `words`.
async fn mails_to(app: &TestApp, to: &'static str, words: &'static str) -> usize {
    app.db(move |c| {
        outbox::table
            .filter(outbox::recipient.eq(to))
            .filter(outbox::subject.like(format!("%{words}%")))
            .count()
            .get_result::<i64>(c)
            .unwrap() as usize
    })
    .await
}

async fn events(app: &TestApp, id: &str, action: &'static str) -> Vec<serde_json::Value> {
    let id = id.to_string();
    app.db(move |c| {
        audit_events::table
            .filter(audit_events::release_id.eq(id))
            .filter(audit_events::action.eq(action))
            .order(audit_events::seq.asc())
            .select(audit_events::details)
            .load::<String>(c)
            .unwrap()
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    })
    .await
}

async fn due(app: &TestApp, at: NaiveDateTime) -> Vec<reminders::Reminder> {
    let st = app.state.clone();
    app.db(move |c| reminders::due(&st, c, at).unwrap()).await
}

/// The dashboard's release page in English, as `token`'s session sees it.
async fn release_page(app: &TestApp, id: &str, token: &str) -> String {
    let req = actix_web::test::TestRequest::get()
        .uri(&format!("/releases/{id}?lang=en"))
        .insert_header(("Cookie", format!("rg_session={token}")));
    let res = app.call(req).await;
    assert_eq!(res.status, 200);
    res.text()
}

fn time(v: &serde_json::Value) -> NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .naive_utc()
}

/// Moves the moment a stage's clock stopped back by `days` working days
/// (and its opening with it), as if the stop had lasted that long.
async fn stopped_days_ago(app: &TestApp, id: &str, stage: &'static str, days: u32) {
    let id = id.to_string();
    let calendar = app.state.policies.calendar.clone();
    app.db(move |c| {
        let now = releasegate::audit::now();
        let back = back_by(&calendar, now, days);
        diesel::update(
            release_stages::table
                .filter(release_stages::release_id.eq(id))
                .filter(release_stages::stage.eq(stage)),
        )
        .set((
            release_stages::clock_stopped_at.eq(back),
            release_stages::opened_at.eq(back - Duration::hours(1)),
        ))
        .execute(c)
        .unwrap();
    })
    .await;
}

/// The instant `days` working days before `now`, same time of day.
fn back_by(calendar: &Calendar, now: NaiveDateTime, days: u32) -> NaiveDateTime {
    let mut at = now;
    while calendar.working_days_between(at, now) < i64::from(days) {
        at -= Duration::days(1);
    }
    at
}

#[actix_web::test]
async fn a_stopped_clock_moves_the_deadline_by_exactly_the_working_days_stopped() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let clock = format!("/api/v1/releases/{id}/stages/department_review/clock");
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    let s = stage(&r, "department_review");
    assert_eq!(s["clock"], "running");
    assert_eq!(s["working_days_left"], 2, "{s}");

    // Only those who may decide the stage keep its clock; 补正 is the workflow's.
    app.post_json(
        &clock,
        Some(&cast.submitter),
        json!({"action": "stop", "reason_code": "third_party"}),
    )
    .await
    .assert_error(403, "forbidden");
    app.post_json(
        &clock,
        Some(&cast.approver),
        json!({"action": "stop", "reason_code": "supplement"}),
    )
    .await
    .assert_error(409, "not_allowed_in_state");
    app.post_json(&clock, Some(&cast.approver), json!({"action": "stop"}))
        .await
        .assert_error(422, "note_required");
    let r = app
        .post_json(
            &clock,
            Some(&cast.approver),
            json!({"action": "stop", "reason_code": "third_party", "note": "征求市场监管局意见"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = stage(&r.json(), "department_review").clone();
    assert_eq!(s["clock"], "stopped");
    assert_eq!(s["clock_reason"], "third_party");
    assert!(
        s["deadline"].is_null(),
        "a stopped clock has no deadline: {s}"
    );
    assert_eq!(s["working_days_left"], 2, "frozen where it stood: {s}");
    app.post_json(
        &clock,
        Some(&cast.approver),
        json!({"action": "stop", "reason_code": "consultation"}),
    )
    .await
    .assert_error(409, "not_open");

    // Three working days pass while it stands still.
    stopped_days_ago(&app, &id, "department_review", 3).await;
    let r = app
        .post_json(
            &clock,
            Some(&cast.approver),
            json!({"action": "resume", "note": "意见已回复"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = stage(&r.json(), "department_review").clone();
    assert_eq!(s["clock"], "running");
    let calendar = &app.state.policies.calendar;
    let opened = time(&s["opened_at"]);
    assert_eq!(
        time(&s["deadline"]),
        calendar.deadline(opened, 2 + 3),
        "{s}"
    );
    assert_eq!(
        s["working_days_left"],
        2 + 3 - calendar.working_days_between(opened, releasegate::audit::now())
    );
    app.post_json(&clock, Some(&cast.approver), json!({"action": "resume"}))
        .await
        .assert_error(409, "not_open");
    let page = release_page(&app, &id, &cast.approver).await;
    assert!(!page.contains("clock stopped"), "{page}");
    assert!(page.contains("working days left"), "{page}");
    let stops = events(&app, &id, "clock.stopped").await;
    let resumes = events(&app, &id, "clock.resumed").await;
    assert_eq!(stops.len(), 1);
    assert_eq!(stops[0]["reason_code"], "third_party");
    assert_eq!(resumes[0]["working_days_stopped"], 3);
}

#[actix_web::test]
async fn request_changes_stops_the_clock_until_the_new_version() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let r = decide(
        &app,
        &id,
        &cast.approver,
        "department_review",
        "request_changes",
    )
    .await
    .json();
    let s = stage(&r, "department_review");
    assert_eq!(s["clock"], "stopped");
    assert_eq!(s["clock_reason"], "supplement");
    // Only the new version starts it again.
    app.post_json(
        &format!("/api/v1/releases/{id}/stages/department_review/clock"),
        Some(&cast.approver),
        json!({"action": "resume"}),
    )
    .await
    .assert_error(409, "not_open");
    stopped_days_ago(&app, &id, "department_review", 4).await;
    let r = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.submitter,
            None,
            &[("a.txt", "公开统计数据（补正）\n".as_bytes())],
        )
        .await
        .json();
    let s = stage(&r, "department_review");
    assert_eq!(s["status"], "open");
    assert_eq!(s["clock"], "running");
    let opened = time(&s["opened_at"]);
    assert_eq!(
        time(&s["deadline"]),
        app.state.policies.calendar.deadline(opened, 2 + 4),
        "the four working days of 补正 are not counted: {s}"
    );
}

#[actix_web::test]
async fn extensions_are_bounded_need_the_role_and_are_announced() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let id = clean_release(&app, &cast).await;
    let extend = format!("/api/v1/releases/{id}/stages/department_review/extension");
    app.post_json(
        &extend,
        Some(&cast.approver),
        json!({"working_days": 2, "reason": "材料较多"}),
    )
    .await
    .assert_error(403, "forbidden");
    app.post_json(
        &extend,
        Some(&cast.leader),
        json!({"working_days": 2, "reason": ""}),
    )
    .await
    .assert_error(422, "note_required");
    let before = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.leader))
        .await
        .json();
    let r = app
        .post_json(
            &extend,
            Some(&cast.leader),
            json!({"working_days": 2, "reason": "材料较多"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let s = stage(&r.json(), "department_review").clone();
    assert_eq!(s["extended_by"], 2);
    let was = stage(&before, "department_review");
    let opened = time(&was["opened_at"]);
    let calendar = &app.state.policies.calendar;
    assert_eq!(time(&was["deadline"]), calendar.deadline(opened, 2));
    assert_eq!(time(&s["deadline"]), calendar.deadline(opened, 4));
    // 2 + 9 passes the policy's 10.
    app.post_json(
        &extend,
        Some(&cast.leader),
        json!({"working_days": 9, "reason": "再延"}),
    )
    .await
    .assert_error(422, "limit_reached");
    assert_eq!(
        mails_to(&app, "submitter@example.gov.cn", "Deadline extended").await,
        1
    );
    assert_eq!(
        events(&app, &id, "deadline.extended").await[0]["extended_by"],
        2
    );
}

/// A backlog of overdue stages larger than one transaction's batch: the
/// first sweep sends each reminder once (recorded, queued, audited), the
/// next sends nothing.
#[actix_web::test]
async fn a_backlog_larger_than_a_batch_is_swept_once() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let template = clean_release(&app, &cast).await;
    app.db(move |c| {
        releasegate::service::seed::seed(c, Some(&template), 600, releasegate::audit::now())
    })
    .await
    .unwrap();
    let far = releasegate::audit::now() + Duration::weeks(60);
    let pending = due(&app, far).await;
    assert!(pending.len() > 400, "{} reminders due", pending.len());
    let st = app.state.clone();
    let sent = app
        .db(move |c| reminders::sweep(&st, c, far).unwrap())
        .await;
    assert_eq!(sent.len(), pending.len());
    let st = app.state.clone();
    assert!(app
        .db(move |c| reminders::sweep(&st, c, far).unwrap())
        .await
        .is_empty());
    let (recorded, audited) = app
        .db(|c| {
            use releasegate::db::schema::{audit_events, reminders_sent};
            let recorded: i64 = reminders_sent::table.count().get_result(c).unwrap();
            let audited: i64 = audit_events::table
                .filter(audit_events::action.eq_any(["reminder.sent", "deadline.escalated"]))
                .count()
                .get_result(c)
                .unwrap();
            (recorded, audited)
        })
        .await;
    assert_eq!(recorded as usize, sent.len());
    assert_eq!(audited as usize, sent.len());
}

#[actix_web::test]
async fn reminders_before_and_escalations_after_a_deadline_are_sent_once() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    app.user("approver2", &[Role::DeptApprover], Some("FGW"))
        .await;
    give_addresses(&app).await;
    let id = clean_release(&app, &cast).await;
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    let deadline = time(&stage(&r, "department_review")["deadline"]);
    let calendar = app.state.policies.calendar.clone();
    let kinds = |found: &[reminders::Reminder]| -> Vec<(String, Vec<String>)> {
        found
            .iter()
            .map(|r| (r.kind.as_str().to_string(), r.recipients.clone()))
            .collect()
    };
    // On the deadline's morning, the approvers of FGW (not the submitter).
    let morning = deadline - Duration::hours(8);
    assert_eq!(
        kinds(&due(&app, morning).await),
        [(
            "due_today".to_string(),
            vec![
                "approver2@example.gov.cn".to_string(),
                "approver@example.gov.cn".to_string()
            ]
        )]
    );
    // One working day late: the stage's escalation role (supervisor).
    let after = |days: i64| {
        (1..14)
            .map(|d| deadline + Duration::days(d))
            .find(|t| calendar.working_days_between(deadline, *t) == days)
            .unwrap()
    };
    let late = after(1);
    assert_eq!(
        kinds(&due(&app, late).await),
        [(
            "escalation".to_string(),
            vec!["supervisor@example.gov.cn".to_string()]
        )]
    );
    // Three working days late: the leader too.
    let later = after(3);
    let found = kinds(&due(&app, later).await);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[1],
        (
            "leader_escalation".to_string(),
            vec!["leader@example.gov.cn".to_string()]
        )
    );

    // The sweep sends what is due once, and audits it.
    let st = app.state.clone();
    let sent = app
        .db(move |c| reminders::sweep(&st, c, later).unwrap())
        .await;
    assert_eq!(sent.len(), 2);
    let st = app.state.clone();
    assert!(app
        .db(move |c| reminders::sweep(&st, c, later).unwrap())
        .await
        .is_empty());
    assert_eq!(
        mails_to(&app, "supervisor@example.gov.cn", "overdue").await,
        1
    );
    assert_eq!(mails_to(&app, "leader@example.gov.cn", "overdue").await, 1);
    assert_eq!(events(&app, &id, "deadline.escalated").await.len(), 2);
    // Escalation tells; it decides nothing.
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    assert_eq!(stage(&r, "department_review")["status"], "open");
}

#[actix_web::test]
async fn a_delegate_hears_while_the_delegation_runs() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    app.user("approver2", &[Role::DeptApprover], Some("FGW"))
        .await;
    app.user("stats-approver", &[Role::DeptApprover], Some("TJJ"))
        .await;
    give_addresses(&app).await;
    let post = |to: &'static str, from: &'static str, until: &'static str| {
        app.post_json(
            "/api/v1/delegations",
            Some(&cast.approver),
            json!({"to": to, "from": from, "until": until, "note": "出差"}),
        )
    };
    post(
        "stats-approver",
        "2026-01-01T00:00:00Z",
        "2026-01-10T00:00:00Z",
    )
    .await
    .assert_error(422, "invalid_delegation");
    post("approver2", "2026-01-10T00:00:00Z", "2026-01-01T00:00:00Z")
        .await
        .assert_error(422, "invalid_delegation");
    app.post_json(
        "/api/v1/delegations",
        Some(&cast.submitter),
        json!({"to": "approver2", "from": "2026-01-01T00:00:00Z", "until": "2026-01-10T00:00:00Z"}),
    )
    .await
    .assert_error(403, "forbidden");
    let now = releasegate::audit::now();
    let fmt = |t: NaiveDateTime| releasegate::audit::format_time(&t);
    let made = app
        .post_json(
            "/api/v1/delegations",
            Some(&cast.approver),
            json!({"to": "approver2", "from": fmt(now - Duration::days(1)), "until": fmt(now + Duration::days(30)), "note": "出差"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let made = made.json();
    let id = clean_release(&app, &cast).await;
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    let deadline = time(&stage(&r, "department_review")["deadline"]);
    // The approver is away: only the delegate is written to.
    let found = due(&app, deadline - Duration::hours(8)).await;
    assert_eq!(found[0].recipients, ["approver2@example.gov.cn"]);
    // Listed for both sides; ended by the delegator only.
    let listed = app
        .get("/api/v1/delegations", Some(&cast.approver))
        .await
        .json();
    assert_eq!(listed[0]["to"], "approver2");
    let end = format!("/api/v1/delegations/{}", made["id"].as_str().unwrap());
    let other = app
        .user("approver3", &[Role::DeptApprover], Some("FGW"))
        .await;
    app.delete(&end, Some(&other))
        .await
        .assert_error(403, "forbidden");
    let ended = app.delete(&end, Some(&cast.approver)).await;
    assert_eq!(ended.status, 200, "{}", ended.text());
    app.delete(&end, Some(&cast.approver))
        .await
        .assert_error(409, "exists");
    let found = due(&app, deadline - Duration::hours(8)).await;
    assert_eq!(
        found[0].recipients,
        ["approver2@example.gov.cn", "approver@example.gov.cn"],
        "back from leave"
    );
}

#[actix_web::test]
async fn a_recused_reviewer_leaves_the_queue_and_decides_nothing() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let recuse = format!("/api/v1/releases/{id}/recusal");
    app.post_json(
        &recuse,
        Some(&cast.approver),
        json!({"stage": "department_review", "reason": ""}),
    )
    .await
    .assert_error(422, "note_required");
    app.post_json(
        &recuse,
        Some(&cast.submitter),
        json!({"stage": "department_review", "reason": "x"}),
    )
    .await
    .assert_error(403, "forbidden");
    let queue = app.get("/api/v1/queue", Some(&cast.approver)).await.json();
    assert_eq!(queue["items"].as_array().unwrap().len(), 1);
    let r = app
        .post_json(
            &recuse,
            Some(&cast.approver),
            json!({"stage": "department_review", "reason": "申报单位负责人为本人近亲属"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let queue = app.get("/api/v1/queue", Some(&cast.approver)).await.json();
    assert!(queue["items"].as_array().unwrap().is_empty(), "{queue}");
    decide(&app, &id, &cast.approver, "department_review", "approve")
        .await
        .assert_error(403, "forbidden");
    app.post_json(
        &recuse,
        Some(&cast.approver),
        json!({"stage": "department_review", "reason": "再次"}),
    )
    .await
    .assert_error(409, "already_decided");
    // The pool is intact: a colleague decides.
    let colleague = app
        .user("approver2", &[Role::DeptApprover], Some("FGW"))
        .await;
    let r = decide(&app, &id, &colleague, "department_review", "approve").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        events(&app, &id, "reviewer.recused").await[0]["stage"],
        "department_review"
    );
}

#[actix_web::test]
async fn a_hold_stops_an_embargoed_release_until_it_is_lifted() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let mut m = meta(&[]);
    m["publish_at"] = json!("2999-01-01T00:00:00Z");
    let r = app
        .post_multipart(
            "/api/v1/releases",
            &cast.submitter,
            Some(m),
            &[("a.txt", "公开统计数据\n".as_bytes())],
        )
        .await
        .json();
    let id = r["id"].as_str().unwrap().to_string();
    let hold = format!("/api/v1/releases/{id}/hold");
    // Nothing to hold while in review.
    app.post_json(&hold, Some(&cast.leader), json!({"reason": "待核实"}))
        .await
        .assert_error(409, "not_allowed_in_state");
    let r = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(r["state"], "approved");
    app.post_json(&hold, Some(&cast.submitter), json!({"reason": "待核实"}))
        .await
        .assert_error(403, "forbidden");
    let held = app
        .post_json(
            &hold,
            Some(&cast.secrecy),
            json!({"reason": "收到举报，待核实"}),
        )
        .await;
    assert_eq!(held.status, 200, "{}", held.text());
    assert_eq!(held.json()["hold"]["reason"], "收到举报，待核实");
    assert!(release_page(&app, &id, &cast.leader)
        .await
        .contains("Held before publication: 收到举报，待核实"));
    app.post_json(&hold, Some(&cast.leader), json!({"reason": "再次"}))
        .await
        .assert_error(409, "not_allowed_in_state");

    // The embargo passes: a held release stays in.
    let idc = id.clone();
    app.db(move |c| {
        diesel::update(releases::table.find(idc))
            .set(releases::publish_at.eq(releasegate::audit::now() - Duration::minutes(1)))
            .execute(c)
            .unwrap();
    })
    .await;
    let publish_due = || {
        let st = app.state.clone();
        app.db(move |c| releasegate::service::releases::publish_due(&st, c).unwrap())
    };
    assert_eq!(publish_due().await, 0);
    app.get(&format!("/public/releases/{id}"), None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        mails_to(&app, "submitter@example.gov.cn", "Held before publication").await,
        1
    );
    assert_eq!(
        mails_to(&app, "supervisor@example.gov.cn", "Held before publication").await,
        1
    );

    let lifted = app
        .post_json(
            &format!("{hold}/lift"),
            Some(&cast.leader),
            json!({"reason": "核实无误"}),
        )
        .await;
    assert_eq!(lifted.status, 200, "{}", lifted.text());
    assert!(lifted.json()["hold"].is_null());
    // Its time has passed: lifting the hold publishes it.
    assert_eq!(lifted.json()["state"], "published");
    assert_eq!(publish_due().await, 0);
    assert_eq!(
        app.get(&format!("/public/releases/{id}"), None)
            .await
            .status,
        200
    );
    assert_eq!(events(&app, &id, "release.held").await.len(), 1);
    assert_eq!(events(&app, &id, "release.hold_lifted").await.len(), 1);
}

#[actix_web::test]
async fn a_retraction_answers_410_keeps_a_tombstone_and_tells_its_people() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let id = clean_release(&app, &cast).await;
    let r = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(r["state"], "published");
    let r = app
        .post_json(
            &format!("/api/v1/releases/{id}/retract"),
            Some(&cast.secrecy),
            json!({"reason": "发现未脱敏信息"}),
        )
        .await
        .json();
    assert_eq!(r["state"], "retracted");
    for path in [
        format!("/public/releases/{id}"),
        format!("/public/releases/{id}/files/a.txt"),
    ] {
        let gone = app.get(&path, None).await;
        gone.assert_error(410, "retracted");
        assert_eq!(gone.json()["reason"], "发现未脱敏信息", "{path}");
        assert_eq!(gone.json()["retracted_at"], r["retracted_at"], "{path}");
    }
    let catalog = app.get("/public/catalog", None).await.json();
    assert!(
        catalog.to_string().contains(&id),
        "the catalogue keeps a tombstone"
    );
    for who in ["submitter", "approver", "secrecy", "leader", "supervisor"] {
        let to: &'static str = Box::leak(format!("{who}@example.gov.cn").into_boxed_str());
        assert_eq!(mails_to(&app, to, "Retracted").await, 1, "{who}");
    }
    assert_eq!(
        mails_to(&app, "privacy@example.gov.cn", "Retracted").await,
        0
    );
}

/// A form POST from the release page as `token`'s session.
async fn act(app: &TestApp, id: &str, token: &str, fields: &[(&str, &str)]) -> Response {
    let csrf = app.state.tokens.mac(format!("csrf|{token}").as_bytes());
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &csrf));
    app.call(
        actix_web::test::TestRequest::post()
            .uri(&format!("/releases/{id}/actions"))
            .insert_header(("Cookie", format!("rg_session={token}")))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(serde_urlencoded::to_string(&fields).unwrap()),
    )
    .await
}

#[actix_web::test]
async fn the_release_page_offers_exactly_the_actions_the_rules_allow_and_they_work() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let id = clean_release(&app, &cast).await;
    let approver = release_page(&app, &id, &cast.approver).await;
    assert!(
        approver.contains("id=\"act-stop_clock-department_review\""),
        "{approver}"
    );
    assert!(approver.contains("id=\"act-recuse-department_review\""));
    assert!(!approver.contains("id=\"act-resume_clock"));
    assert!(!approver.contains("id=\"act-withdraw\""));
    let submitter = release_page(&app, &id, &cast.submitter).await;
    assert!(submitter.contains("id=\"act-withdraw\""));
    assert!(
        !submitter.contains("act-stop_clock"),
        "authors keep no clock"
    );
    let secrecy = release_page(&app, &id, &cast.secrecy).await;
    assert!(
        !secrecy.contains("act-stop_clock"),
        "the secrecy stage is not open yet"
    );
    assert!(
        !secrecy.contains("id=\"act-hold\""),
        "nothing approved to hold"
    );

    // Stopping the clock through the page, then resuming it.
    let res = act(
        &app,
        &id,
        &cast.approver,
        &[
            ("action", "stop_clock"),
            ("stage", "department_review"),
            ("reason_code", "consultation"),
            ("reason", "会商"),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    assert_eq!(
        stage(&r, "department_review")["clock_reason"],
        "consultation"
    );
    let approver = release_page(&app, &id, &cast.approver).await;
    assert!(approver.contains("id=\"act-resume_clock-department_review\""));
    assert!(!approver.contains("id=\"act-stop_clock"));
    // Someone the rules refuse gets the page's error, and nothing changes.
    let res = act(
        &app,
        &id,
        &cast.submitter,
        &[("action", "resume_clock"), ("stage", "department_review")],
    )
    .await;
    assert_eq!(res.status, 403);
    let res = act(
        &app,
        &id,
        &cast.approver,
        &[("action", "resume_clock"), ("stage", "department_review")],
    )
    .await;
    assert_eq!(res.status, 303);
    // The submitter withdraws through the page.
    let res = act(
        &app,
        &id,
        &cast.submitter,
        &[("action", "withdraw"), ("reason", "数据需更新")],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(r["state"], "withdrawn");
}

#[actix_web::test]
async fn reminders_dry_run_prints_tomorrows_mail_and_sends_nothing() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let id = clean_release(&app, &cast).await;
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    let deadline = time(&stage(&r, "department_review")["deadline"]);
    let calendar = app.state.policies.calendar.clone();
    let late = (1..14)
        .map(|d| deadline + Duration::days(d))
        .find(|t| calendar.working_days_between(deadline, *t) == 1)
        .unwrap();
    let at = releasegate::audit::format_time(&late);
    let out = run_cli(&app.db, &["reminders", "--at", &at, "--dry-run"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["kind"], "escalation");
    assert_eq!(lines[0]["release"], id.as_str());
    assert_eq!(lines[0]["stage"], "department_review");
    assert_eq!(lines[0]["recipients"], json!(["supervisor@example.gov.cn"]));
    assert_eq!(
        lines[0]["deadline"],
        stage(&r, "department_review")["deadline"]
    );
    // A dry run sends and records nothing; the real pass does, once.
    assert_eq!(
        mails_to(&app, "supervisor@example.gov.cn", "overdue").await,
        0
    );
    let out = run_cli(&app.db, &["reminders", "--at", &at], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(
        mails_to(&app, "supervisor@example.gov.cn", "overdue").await,
        1
    );
    let out = run_cli(&app.db, &["reminders", "--at", &at], None);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 0);
    let out = run_cli(&app.db, &["reminders", "--at", "tomorrow"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at \"tomorrow\""));
}

#[actix_web::test]
async fn the_supervisor_sees_missed_deadlines_and_who_was_told() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let id = clean_release(&app, &cast).await;
    let page = |token: String| {
        let app = &app;
        async move {
            let req = actix_web::test::TestRequest::get()
                .uri("/overview?lang=en")
                .insert_header(("Cookie", format!("rg_session={token}")));
            app.call(req).await.text()
        }
    };
    assert!(page(cast.supervisor.clone())
        .await
        .contains("No stage is past its deadline."));
    // The department review's deadline passed a week ago.
    let now = releasegate::audit::now();
    let idc = id.clone();
    app.db(move |c| {
        diesel::update(
            release_stages::table
                .filter(release_stages::release_id.eq(idc))
                .filter(release_stages::stage.eq("department_review")),
        )
        .set(release_stages::deadline.eq(now - Duration::days(7)))
        .execute(c)
        .unwrap();
    })
    .await;
    let st = app.state.clone();
    let sent = app
        .db(move |c| reminders::sweep(&st, c, now).unwrap())
        .await;
    let kinds: Vec<_> = sent.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["escalation", "leader_escalation"]);
    let overview = page(cast.supervisor.clone()).await;
    let row = format!("id=\"breach-{id}-department_review\"");
    assert!(overview.contains(&row), "{overview}");
    let row = &overview[overview.find(&row).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("the stage&#39;s escalation role, the leader"),
        "{row}"
    );
    assert!(row.contains("overdue by"), "{row}");
}

#[actix_web::test]
async fn a_reviewer_sets_on_leave_until_on_the_dashboard() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    app.user("approver2", &[Role::DeptApprover], Some("FGW"))
        .await;
    let post = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let csrf = app
            .state
            .tokens
            .mac(format!("csrf|{}", cast.approver).as_bytes());
        let mut fields: Vec<(&str, String)> = fields
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect();
        fields.push(("csrf_token", csrf));
        app.call(
            actix_web::test::TestRequest::post()
                .uri(path)
                .insert_header(("Cookie", format!("rg_session={}", cast.approver)))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(serde_urlencoded::to_string(&fields).unwrap()),
        )
    };
    let res = post(
        "/leave",
        vec![
            ("to", "approver2"),
            ("from", "2026-12-07"),
            ("until", "2026-12-11"),
            ("note", "年休假"),
        ],
    )
    .await;
    assert_eq!(res.status, 303, "{}", res.text());
    let listed = app
        .get("/api/v1/delegations", Some(&cast.approver))
        .await
        .json();
    // Whole local days: 7 Dec 00:00 to 12 Dec 00:00 China Standard Time.
    assert_eq!(listed[0]["from"], "2026-12-06T16:00:00.000000Z");
    assert_eq!(listed[0]["until"], "2026-12-11T16:00:00.000000Z");
    let page = {
        let req = actix_web::test::TestRequest::get()
            .uri("/leave?lang=en")
            .insert_header(("Cookie", format!("rg_session={}", cast.approver)));
        app.call(req).await.text()
    };
    assert!(
        page.contains("approver2") && page.contains("End now"),
        "{page}"
    );
    let id = listed[0]["id"].as_str().unwrap().to_string();
    let end: &'static str = Box::leak(format!("/leave/{id}/end").into_boxed_str());
    assert_eq!(post(end, vec![]).await.status, 303);
    let listed = app
        .get("/api/v1/delegations", Some(&cast.approver))
        .await
        .json();
    assert!(listed[0]["revoked_at"].is_string(), "{listed}");
    // A colleague of another department cannot stand in.
    let res = post(
        "/leave",
        vec![
            ("to", "approver-tjj"),
            ("from", "2026-12-07"),
            ("until", "2026-12-11"),
        ],
    )
    .await;
    assert_eq!(res.status, 422);
}

#[actix_web::test]
async fn mail_never_carries_a_raw_value_from_a_title() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    give_addresses(&app).await;
    let mut m = meta(&[]);
    m["title"] = json!(format!("关于{ID_NUMBER}同志补贴的公示"));
    let r = app
        .file_release(&cast.submitter, m, "a.txt", "公开统计数据\n".as_bytes())
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    let deadline = time(&stage(&r, "department_review")["deadline"]);
    let st = app.state.clone();
    let sent = app
        .db(move |c| reminders::sweep(&st, c, deadline - Duration::hours(8)).unwrap())
        .await;
    assert_eq!(sent.len(), 1);
    let mails: Vec<(String, String)> = app
        .db(|c| {
            outbox::table
                .select((outbox::subject, outbox::body))
                .load(c)
                .unwrap()
        })
        .await;
    assert!(
        mails.len() >= 2,
        "the stage opened, and its reminder: {mails:?}"
    );
    for (subject, body) in &mails {
        assert!(
            !subject.contains(ID_NUMBER) && !body.contains(ID_NUMBER),
            "{subject}\n{body}"
        );
        assert!(subject.contains("同志补贴的公示"), "{subject}");
    }
}

/// The shipped policies, with co-department silence taken as consent two
/// working days after the 会签 deadline.
fn policies_with_consent_on_silence() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut stack = vec![shipped.clone()];
    while let Some(from) = stack.pop() {
        for entry in std::fs::read_dir(&from).unwrap() {
            let path = entry.unwrap().path();
            let to = dir.path().join(path.strip_prefix(&shipped).unwrap());
            if path.is_dir() {
                std::fs::create_dir_all(&to).unwrap();
                stack.push(path);
            } else {
                std::fs::copy(&path, &to).unwrap();
            }
        }
    }
    let workflow = dir.path().join("workflow.toml");
    let text = std::fs::read_to_string(&workflow).unwrap().replacen(
        "required_when = \"co_departments\"",
        "required_when = \"co_departments\"\nconsent_on_silence_after = 2",
        1,
    );
    std::fs::write(&workflow, text).unwrap();
    dir
}

#[actix_web::test]
async fn a_co_department_silent_past_the_bound_is_taken_to_consent_where_the_policy_says_so() {
    let policies = policies_with_consent_on_silence();
    let dir = policies.path().to_path_buf();
    let (app, cast) = TestApp::builder()
        .settings(move |s| s.policy_dir = Some(dir))
        .with_cast()
        .await;
    let r = app
        .file_release(
            &cast.submitter,
            meta(&["TJJ"]),
            "a.txt",
            "公开统计数据\n".as_bytes(),
        )
        .await;
    let id = r["id"].as_str().unwrap().to_string();
    decide(&app, &id, &cast.approver, "department_review", "approve").await;
    let r = decide(&app, &id, &cast.secrecy, "secrecy_review", "approve")
        .await
        .json();
    let cosign = stage(&r, "co_unit_signoff");
    assert_eq!(cosign["status"], "open", "{r}");
    let deadline = time(&cosign["deadline"]);
    let calendar = app.state.policies.calendar.clone();
    let late = |days: i64| {
        (1..14)
            .map(|d| deadline + Duration::days(d))
            .find(|t| calendar.working_days_between(deadline, *t) == days)
            .unwrap()
    };
    // One working day late: told, not yet consent.
    let kinds: Vec<_> = due(&app, late(1))
        .await
        .iter()
        .map(|r| r.kind.as_str())
        .collect();
    assert_eq!(kinds, ["escalation"]);
    let st = app.state.clone();
    let at = late(2);
    let sent = app.db(move |c| reminders::sweep(&st, c, at).unwrap()).await;
    let consent: Vec<_> = sent
        .iter()
        .filter(|r| r.kind == reminders::ReminderKind::ConsentBySilence)
        .collect();
    assert_eq!(consent.len(), 1, "{sent:?}");
    assert_eq!(consent[0].recipients, ["TJJ"]);
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.leader))
        .await
        .json();
    assert_eq!(stage(&r, "co_unit_signoff")["status"], "approved", "{r}");
    assert_eq!(stage(&r, "final_signoff")["status"], "open");
    decide(&app, &id, &cast.approver_tjj, "co_unit_signoff", "approve")
        .await
        .assert_error(409, "not_open");
    let events = events(&app, &id, "stage.consent_by_silence").await;
    assert_eq!(events[0]["departments"], json!(["TJJ"]));
    assert_eq!(events[0]["state"], "in_review");
    // Silence signs nothing else: the leader still decides the final stage.
    let r = decide(&app, &id, &cast.leader, "final_signoff", "approve")
        .await
        .json();
    assert_eq!(r["state"], "published");
}
