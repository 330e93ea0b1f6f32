//! The opening catalogue (开放目录), the annual plan (年度开放计划) and the
//! supervisor's department report (督查考评): kept by the department,
//! fulfilled by a published release, and counted back in the report with
//! the weights of `policies/assessment.toml`.

use chrono::Datelike;
use serde_json::{json, Value};

use crate::common::*;
use crate::public_access::verified_member;

/// This year in the deployment's time zone (China Standard Time).
fn this_year() -> i32 {
    (chrono::Utc::now() + chrono::Duration::hours(8)).year()
}

async fn add_item(app: &TestApp, token: &str, title: &str, openness: &str) -> Response {
    let mut body = json!({
        "title": title,
        "description": "按年度更新的资源",
        "openness": openness,
        "update_frequency": "annual",
        "fields": ["项目名称", "投资额", "建设单位"],
    });
    if openness == "closed" {
        body["legal_basis"] = json!("《中华人民共和国保守国家秘密法》第十三条");
    }
    app.post_json("/api/v1/catalogue", Some(token), body).await
}

async fn plan_item(app: &TestApp, token: &str, year: i32, item: &str, due: &str) -> Response {
    app.post_json(
        &format!("/api/v1/plans/{year}"),
        Some(token),
        json!({"catalogue_item": item, "due": due}),
    )
    .await
}

fn id(res: &Response) -> String {
    assert!(res.status.as_u16() < 300, "{} {}", res.status, res.text());
    res.json()["id"].as_str().unwrap().to_string()
}

fn department<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["department"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

#[actix_web::test]
async fn a_department_keeps_its_catalogue_and_plan_and_a_release_fulfils_it() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let year = this_year();

    // The catalogue: a closed resource needs its legal basis; titles are
    // the department's own; only its dept_approver lists them.
    let open = id(&add_item(&app, &cast.approver, "政府投资项目清单", "unconditional").await);
    let mut closed = json!({"title": "在建涉密工程", "description": "不予开放",
        "openness": "closed", "update_frequency": "irregular", "fields": ["名称"]});
    app.post_json("/api/v1/catalogue", Some(&cast.approver), closed.clone())
        .await
        .assert_error(422, "note_required");
    closed["legal_basis"] = json!("《保密法》");
    let closed = id(&app
        .post_json("/api/v1/catalogue", Some(&cast.approver), closed)
        .await);
    add_item(&app, &cast.approver, "政府投资项目清单", "conditional")
        .await
        .assert_error(409, "exists");
    add_item(&app, &cast.submitter, "企业名录", "unconditional")
        .await
        .assert_error(403, "forbidden");
    let twice = app
        .post_json(
            "/api/v1/catalogue",
            Some(&cast.approver),
            json!({"title": "x", "description": "y", "openness": "unconditional",
                   "update_frequency": "daily", "fields": ["名称", "名称"]}),
        )
        .await;
    assert!(twice.assert_error(400, "bad_request").contains("名称"));
    let late = id(&add_item(&app, &cast.approver, "补贴发放名单", "conditional").await);
    let tjj = id(&add_item(&app, &cast.approver_tjj, "人口抽样调查", "unconditional").await);

    let listed = app
        .get("/api/v1/catalogue?openness=closed", Some(&cast.leader))
        .await
        .json();
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], closed.as_str());
    assert_eq!(items[0]["legal_basis"], "《保密法》");
    let fgw = app
        .get(
            "/api/v1/catalogue?department=FGW&limit=2",
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(fgw["items"].as_array().unwrap().len(), 2);
    let cursor = fgw["next_cursor"].as_str().expect("a second page");
    let rest = app
        .get(
            &format!("/api/v1/catalogue?department=FGW&limit=2&cursor={cursor}"),
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);

    // The plan: not what is closed, not another department's, once a year,
    // due in its year.
    let due = format!("{year}-12-31");
    plan_item(&app, &cast.approver, year, &closed, &due)
        .await
        .assert_error(422, "not_openable");
    plan_item(&app, &cast.approver, year, &tjj, &due)
        .await
        .assert_error(403, "forbidden");
    plan_item(
        &app,
        &cast.approver,
        year,
        &open,
        &format!("{}-01-01", year + 1),
    )
    .await
    .assert_error(422, "outside_year");
    let planned = id(&plan_item(&app, &cast.approver, year, &open, &due).await);
    plan_item(&app, &cast.approver, year, &open, &due)
        .await
        .assert_error(409, "exists");
    let overdue = id(&plan_item(
        &app,
        &cast.approver,
        year - 1,
        &late,
        &format!("{}-06-30", year - 1),
    )
    .await);
    app.get("/api/v1/plans/1999", Some(&cast.leader))
        .await
        .assert_error(400, "bad_request");

    // A release fulfils it once published, and only a release of the
    // department.
    let release = clean_release(&app, &cast).await;
    let fulfil = |year: i32, item: &str, release: &str, token: &str| {
        let (app, path) = (
            &app,
            format!("/api/v1/plans/{year}/items/{item}/fulfilment"),
        );
        let body = json!({"release": release});
        let token = token.to_string();
        async move { app.post_json(&path, Some(&token), body).await }
    };
    fulfil(year, &planned, &release, &cast.approver)
        .await
        .assert_error(409, "not_allowed_in_state");
    assert_eq!(
        app.approve_all(&release, &cast, |_| "redact").await["state"],
        "published"
    );
    fulfil(year, &planned, &release, &cast.approver_tjj)
        .await
        .assert_error(403, "forbidden");
    let done = fulfil(year, &planned, &release, &cast.approver).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json()["status"], "delivered");
    assert_eq!(done.json()["release"], release.as_str());
    fulfil(year, &planned, &release, &cast.approver)
        .await
        .assert_error(409, "exists");
    // The public catalogue now knows how often it is updated.
    let shown = app
        .get(&format!("/public/releases/{release}"), None)
        .await
        .json();
    assert_eq!(shown["update_frequency"], "annual");
    let catalog = app.get("/public/catalog", None).await.json();
    assert_eq!(
        catalog["dcat:dataset"][0]["dct:accrualPeriodicity"]["@id"],
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
    );

    let plan = app
        .get(&format!("/api/v1/plans/{year}"), Some(&cast.leader))
        .await
        .json();
    assert_eq!(
        plan["departments"],
        json!([{"department": "FGW", "planned": 1, "delivered": 1, "delivered_late": 0, "overdue": 0}])
    );
    assert_eq!(plan["items"][0]["title"], "政府投资项目清单");
    let last_year = app
        .get(&format!("/api/v1/plans/{}", year - 1), Some(&cast.leader))
        .await
        .json();
    assert_eq!(last_year["items"][0]["id"], overdue.as_str());
    assert_eq!(last_year["items"][0]["status"], "overdue");
    assert_eq!(last_year["departments"][0]["overdue"], 1);

    let audit = app
        .get("/api/v1/audit?limit=200", Some(&cast.supervisor))
        .await
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "catalogue.item_added",
        "plan.item_added",
        "plan.item_fulfilled",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[actix_web::test]
async fn the_supervisor_report_counts_each_department_and_weighs_its_score() {
    let (app, cast) = TestApp::builder().with_cast().await;
    let year = this_year();
    let item = id(&add_item(&app, &cast.approver, "政府投资项目清单", "unconditional").await);
    let planned = id(&plan_item(&app, &cast.approver, year, &item, &format!("{year}-12-31")).await);
    let release = clean_release(&app, &cast).await;
    app.approve_all(&release, &cast, |_| "redact").await;
    let fulfilled = app
        .post_json(
            &format!("/api/v1/plans/{year}/items/{planned}/fulfilment"),
            Some(&cast.approver),
            json!({"release": release}),
        )
        .await;
    assert_eq!(fulfilled.status, 200, "{}", fulfilled.text());

    // The public rates it and asks FGW for data, answered at once.
    let (member, _) = verified_member(&app).await;
    let rated = app
        .post_json(
            &format!("/public/releases/{release}/ratings"),
            Some(&member),
            json!({"availability": 5, "completeness": 4, "accuracy": 4, "timeliness": 3, "security": 5}),
        )
        .await;
    assert_eq!(rated.status, 201, "{}", rated.text());
    let demand = app
        .post_json(
            "/public/demands",
            Some(&member),
            json!({"title": "项目清单", "description": "历年", "department": "FGW", "contact": "x@example.org"}),
        )
        .await
        .json();
    let answered = app
        .post_json(
            &format!("/api/v1/demands/{}/answer", demand["id"].as_str().unwrap()),
            Some(&cast.approver),
            json!({"answer": "已开放", "status": "accepted"}),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.text());

    let path = format!("/api/v1/reports/departments?year={year}");
    app.get(&path, Some(&cast.leader))
        .await
        .assert_error(403, "forbidden");
    let res = app.get(&path, Some(&cast.supervisor)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let report = res.json();
    assert_eq!(report["year"], year);
    assert_eq!(report["weights"]["plan_fulfilment"], 30.0);
    let fgw = department(&report, "FGW");
    assert_eq!(fgw["releases_opened"], 1);
    // A clean release: department review, secrecy review, final sign-off.
    assert_eq!(fgw["stages_decided"], 3, "{fgw}");
    assert_eq!(fgw["on_time_rate"], 1.0);
    assert_eq!(fgw["overdue_stages"], 0);
    assert_eq!(fgw["median_review_working_days"], 0.0);
    assert_eq!(
        (fgw["demands_due"].clone(), fgw["demands_on_time"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(fgw["ratings"]["count"], 1);
    assert_eq!(fgw["average_rating"], 4.2);
    assert_eq!(fgw["plan"]["delivered"], 1);
    assert_eq!(fgw["plan_fulfilment"], 1.0);
    // 30 × 1 + 20 × 1 + 30 × 1 + 20 × (4.2 − 1) / 4, out of 100.
    assert_eq!(fgw["score"], 96.0);
    let tjj = department(&report, "TJJ");
    assert_eq!(tjj["releases_opened"], 0);
    assert_eq!(tjj["score"], Value::Null);

    // Last year FGW did nothing: nothing to count, no score.
    let before = app
        .get(
            &format!("/api/v1/reports/departments?year={}", year - 1),
            Some(&cast.supervisor),
        )
        .await
        .json();
    assert_eq!(department(&before, "FGW")["releases_opened"], 0);
    assert_eq!(department(&before, "FGW")["score"], Value::Null);

    let csv = app
        .get(&format!("{path}&format=csv"), Some(&cast.supervisor))
        .await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    let mut lines = text.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("department,name,releases_opened,"));
    let fgw_row = lines.find(|l| l.starts_with("FGW,")).expect("an FGW row");
    assert!(
        fgw_row.contains(",96,") || fgw_row.contains(",96.0,"),
        "{fgw_row}"
    );

    // The same report as a page, for supervisors only.
    let html = app
        .call(
            actix_web::test::TestRequest::get()
                .uri(&format!("/reports?year={year}&lang=en"))
                .insert_header(("Cookie", format!("rg_session={}", cast.supervisor))),
        )
        .await;
    assert_eq!(html.status, 200);
    let text = html.text();
    assert!(text.contains("href=\"/reports\""), "linked from the menu");
    let row = text
        .split("<tr id=\"dept-FGW\"")
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .expect("an FGW row");
    assert!(row.contains("<td class=\"score\">96.0</td>"), "{row}");
    assert!(
        row.contains("<td class=\"on-time\">100.0% (3/3)</td>"),
        "{row}"
    );
    let refused = app
        .call(
            actix_web::test::TestRequest::get()
                .uri("/reports")
                .insert_header(("Cookie", format!("rg_session={}", cast.approver))),
        )
        .await;
    assert_eq!(refused.status, 403);

    app.get(
        "/api/v1/reports/departments?year=1999",
        Some(&cast.supervisor),
    )
    .await
    .assert_error(400, "bad_request");
}

#[actix_web::test]
async fn a_stage_is_on_time_in_the_report_when_its_stopped_clock_moved_its_deadline() {
    use diesel::prelude::*;
    use releasegate::db::schema::release_stages;
    let (app, cast) = TestApp::builder().with_cast().await;
    let release = clean_release(&app, &cast).await;
    app.approve_all(&release, &cast, |_| "redact").await;
    // The secrecy review (5 working days) opened six weeks before it was
    // decided, with the clock stopped for `stopped` working days meanwhile.
    let set_clock = |stopped: i32| {
        let release = release.clone();
        move |c: &mut releasegate::db::DbConn| {
            let stage = release_stages::table
                .filter(release_stages::release_id.eq(&release))
                .filter(release_stages::stage.eq("secrecy_review"));
            let decided: Option<chrono::NaiveDateTime> =
                stage.select(release_stages::decided_at).first(c).unwrap();
            diesel::update(stage)
                .set((
                    release_stages::opened_at.eq(decided.map(|d| d - chrono::Duration::weeks(6))),
                    release_stages::stopped_days.eq(stopped),
                ))
                .execute(c)
                .unwrap();
        }
    };
    let path = format!("/api/v1/reports/departments?year={}", this_year());
    let on_time = |report: Value| {
        let fgw = department(&report, "FGW");
        (fgw["stages_decided"].clone(), fgw["stages_on_time"].clone())
    };
    app.db(set_clock(0)).await;
    let late = app.get(&path, Some(&cast.supervisor)).await.json();
    assert_eq!(on_time(late), (json!(3), json!(2)));
    app.db(set_clock(30)).await;
    let moved = app.get(&path, Some(&cast.supervisor)).await.json();
    assert_eq!(on_time(moved), (json!(3), json!(3)));
}
