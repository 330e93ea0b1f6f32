//! The authorization matrix of docs/security.md, enforced: the table must
//! list exactly the routes the code registers (read from the route
//! declarations in src/http), and every route answers every principal as
//! its row says. A new route without a row fails this test.

use std::collections::BTreeSet;

use actix_web::test::TestRequest;
use serde_json::{json, Value};

use crate::common::*;
use releasegate::policy::Role;

/// (method, path) of every route the code registers.
/// Every (method, path) the app serves: the generated API document is the
/// route table (`contract::routes_are_registered_only_through_the_document`).
fn registered_routes() -> BTreeSet<(String, String)> {
    let doc = releasegate::http::openapi::generate();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

const PRINCIPALS: [&str; 10] = [
    "anon",
    "submitter",
    "approver",
    "secrecy",
    "privacy",
    "crossborder",
    "leader",
    "supervisor",
    "admin",
    "other",
];

/// The rows of the matrix: (method, path, one verdict per principal).
fn matrix() -> Vec<(String, String, Vec<String>)> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/security.md")).unwrap();
    let table = &doc[doc
        .find("## Authorization matrix")
        .expect("the matrix section")..];
    table
        .lines()
        .filter(|l| {
            ["| GET", "| POST", "| PUT", "| PATCH", "| DELETE"]
                .iter()
                .any(|m| l.starts_with(m))
        })
        .map(|l| {
            let cells: Vec<String> = l
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect();
            assert_eq!(cells.len(), 2 + PRINCIPALS.len(), "row {l}");
            (cells[0].clone(), cells[1].clone(), cells[2..].to_vec())
        })
        .collect()
}

/// The stage each reviewer would decide.
fn stage_of(who: &str) -> &'static str {
    match who {
        "secrecy" => "secrecy_review",
        "privacy" => "privacy_review",
        "crossborder" => "cross_border_assessment",
        "leader" => "final_signoff",
        _ => "department_review",
    }
}

struct World {
    app: TestApp,
    tokens: Vec<(&'static str, Option<String>)>,
    release: String,
    mark: String,
    personal: String,
    /// That member of the public, a registered bulk user.
    member: String,
    /// A pending application of a member of the public for `release`.
    application: String,
    /// An active blocklist entry (an address range nobody here uses).
    block: String,
    /// An open data request to FGW.
    demand: String,
    /// An FGW catalogue item planned for 2026, and its plan item.
    catalogue_item: String,
    plan_item: String,
    /// FGW's approver away, their colleague standing in.
    delegation: String,
    /// The finished inspection job of `release`.
    job: String,
}

/// An FGW catalogue item and its 2026 plan item, as FGW's approver keeps
/// them. Answers (catalogue item, plan item).
async fn opening_plan(app: &TestApp, approver: &str) -> (String, String) {
    let item = app
        .post_json(
            "/api/v1/catalogue",
            Some(approver),
            json!({"title": "政府投资项目清单", "description": "年度项目", "openness": "unconditional",
                   "update_frequency": "annual", "fields": ["项目名称", "投资额"]}),
        )
        .await;
    assert_eq!(item.status, 201, "{}", item.text());
    let item = item.json()["id"].as_str().unwrap().to_string();
    let plan = app
        .post_json(
            "/api/v1/plans/2026",
            Some(approver),
            json!({"catalogue_item": item, "due": "2026-12-31"}),
        )
        .await;
    assert_eq!(plan.status, 201, "{}", plan.text());
    let plan = plan.json()["id"].as_str().unwrap().to_string();
    (item, plan)
}

/// A verified member of the public, a registered bulk user, with a pending
/// application for `release` and an open data request to FGW, written
/// straight to the tables: who may decide them is the question here, not
/// how they came about. Answers (account, application, demand).
async fn public_side(app: &TestApp, release: &str) -> (String, String, String) {
    use diesel::prelude::*;
    use releasegate::db::models::{AccessApplication, DemandRow, PublicAccount};
    use releasegate::db::schema::{access_applications, demands, public_accounts};
    use releasegate::service::public::ApplicationState;
    let release = release.to_string();
    app.db(move |c| {
        let now = chrono::Utc::now().naive_utc();
        let account = PublicAccount {
            id: ulid::Ulid::new().to_string(),
            email: "member@example.org".into(),
            name: "公众用户".into(),
            organisation: Some("某数据研究院".into()),
            password_hash: "-".into(),
            verify_digest: None,
            verify_expires_at: None,
            verified_at: Some(now),
            active: true,
            created_at: now,
            requests_per_minute: Some(1200),
        };
        diesel::insert_into(public_accounts::table)
            .values(&account)
            .execute(c)
            .unwrap();
        let demand = DemandRow {
            id: ulid::Ulid::new().to_string(),
            account_id: account.id.clone(),
            title: "历年补贴数据".into(),
            description: "希望开放".into(),
            department: Some("FGW".into()),
            contact: "member@example.org".into(),
            status: "open".into(),
            answer: None,
            reason: None,
            withheld_reason: None,
            answered_by: None,
            answered_at: None,
            due_at: now,
            created_at: now,
            reminded_at: None,
            public_title: None,
            public_description: None,
        };
        diesel::insert_into(demands::table)
            .values(&demand)
            .execute(c)
            .unwrap();
        let application = AccessApplication {
            id: ulid::Ulid::new().to_string(),
            release_id: release.into(),
            account_id: account.id.clone(),
            purpose: "研究".into(),
            intended_use: "分析".into(),
            state: ApplicationState::Pending,
            created_at: now,
            decided_by: None,
            decided_at: None,
            reason: None,
        };
        diesel::insert_into(access_applications::table)
            .values(application.clone())
            .execute(c)
            .unwrap();
        (account.id, application.id, demand.id)
    })
    .await
}

async fn world() -> World {
    let (app, cast) = TestApp::builder().with_cast().await;
    app.department("DSJ", "市政府电子政务办").await;
    let admin = app.user("admin", &[Role::Admin], None).await;
    let block = app
        .post_json(
            "/api/v1/blocklist",
            Some(&admin),
            json!({"kind": "ip", "value": "192.0.2.0/24", "reason": "测试"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let other = app
        .user("dsj-submitter", &[Role::Submitter], Some("DSJ"))
        .await;
    let release = app
        .file_release(&cast.submitter, meta(&[]), "notice.txt", &sample_text())
        .await;
    let release = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &release, &cast.supervisor).await;
    let mark = finding_of(&items, "CLASSIFICATION_MARK")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let personal = finding_of(&items, "CN_ID_CARD")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (catalogue_item, plan_item) = opening_plan(&app, &cast.approver).await;
    let tokens = vec![
        ("anon", None),
        ("submitter", Some(cast.submitter)),
        ("approver", Some(cast.approver)),
        ("secrecy", Some(cast.secrecy)),
        ("privacy", Some(cast.privacy)),
        ("crossborder", Some(cast.crossborder)),
        ("leader", Some(cast.leader)),
        ("supervisor", Some(cast.supervisor)),
        ("admin", Some(admin)),
        ("other", Some(other)),
    ];
    let (member, application, demand) = public_side(&app, &release).await;
    app.user("approver2", &[Role::DeptApprover], Some("FGW"))
        .await;
    let delegation = app
        .post_json(
            "/api/v1/delegations",
            tokens[2].1.as_deref(),
            json!({"to": "approver2", "from": "2026-07-01T00:00:00Z", "until": "2026-07-15T00:00:00Z", "note": "年假"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = app
        .db(|c| {
            use diesel::prelude::*;
            use releasegate::db::schema::jobs;
            jobs::table.select(jobs::id).first::<String>(c).unwrap()
        })
        .await;
    World {
        app,
        job,
        tokens,
        release,
        mark,
        personal,
        member,
        application,
        block,
        demand,
        catalogue_item,
        plan_item,
        delegation,
    }
}

impl World {
    /// The request `who` sends to `method path`: a real one, with a body that
    /// passes the route's parsing, so the answer is about who is asking.
    fn request(&self, method: &str, template: &str, who: &str, token: Option<&str>) -> TestRequest {
        let finding = if who == "privacy" {
            &self.personal
        } else {
            &self.mark
        };
        let id = if template.starts_with("/api/v1/applications/") {
            &self.application
        } else if template.starts_with("/api/v1/blocklist/") {
            &self.block
        } else if template.starts_with("/api/v1/public-accounts/") {
            &self.member
        } else if template.contains("/demands/") {
            &self.demand
        } else if template.starts_with("/api/v1/plans/") {
            &self.plan_item
        } else if template.starts_with("/api/v1/delegations/") || template.starts_with("/leave/") {
            &self.delegation
        } else if template.starts_with("/api/v1/jobs/") || template.starts_with("/jobs/") {
            &self.job
        } else {
            &self.release
        };
        let path = template
            .replace("{id}", id)
            .replace("{finding}", finding)
            .replace("{name}", "notice.txt")
            .replace("{username}", "submitter")
            .replace("{year}", "2026")
            .replace("{format}", "csv")
            .replace("{action}", "package_list")
            .replace("{seq}", "1")
            .replace("{stage}", stage_of(who))
            .replace("{size}", "1");
        // The proofs need the event or tree size they are about.
        let path = match path.as_str() {
            "/api/v1/audit/proofs/inclusion" => format!("{path}?seq=1"),
            "/api/v1/audit/proofs/consistency" => format!("{path}?from=1"),
            _ => path,
        };
        let page = !(path.starts_with("/api")
            || path.starts_with("/public")
            || path == "/healthz"
            || path == "/metrics");
        let mut req = match method {
            "GET" => TestRequest::get(),
            "PATCH" => TestRequest::patch(),
            "DELETE" => TestRequest::delete(),
            "PUT" => TestRequest::put(),
            _ => TestRequest::post(),
        }
        .uri(&path);
        if let Some(t) = token {
            req = if page {
                req.insert_header(("Cookie", format!("rg_session={t}")))
            } else {
                req.insert_header(("Authorization", format!("Bearer {t}")))
            };
        }
        let csrf = token
            .map(|t| self.app.state.tokens.mac(format!("csrf|{t}").as_bytes()))
            .unwrap_or_default();
        let json_body = |req: TestRequest, v: Value| req.set_json(v);
        let form = |req: TestRequest, fields: &[(&str, &str)]| {
            req.insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .set_payload(serde_urlencoded::to_string(fields).unwrap())
        };
        let clean = "公开统计数据\n".as_bytes();
        match (method, template) {
            ("GET", _) => req,
            ("POST", "/api/v1/auth/login") => {
                json_body(req, json!({"username": "nobody", "password": "guess"}))
            }
            ("POST", "/public/auth/login") => json_body(
                req,
                json!({"email": "nobody@example.org", "password": "guess"}),
            ),
            ("POST", "/public/accounts") => json_body(
                req,
                json!({"email": format!("{who}@example.org"), "name": who, "password": "long-password-1"}),
            ),
            ("POST", "/public/accounts/verify") => json_body(req, json!({"token": "0"})),
            ("POST", "/public/releases/{id}/applications") => {
                json_body(req, json!({"purpose": "研究", "intended_use": "分析"}))
            }
            ("POST", "/api/3/action/{action}" | "/api/action/{action}") => {
                json_body(req, json!({}))
            }
            ("POST", "/api/v1/demands/{id}/answer") => {
                json_body(req, json!({"answer": "列入明年计划", "status": "planned"}))
            }
            ("POST", "/api/v1/catalogue") => json_body(
                req,
                json!({"title": format!("{who} 的目录"), "description": "资源", "openness": "conditional",
                       "update_frequency": "monthly", "fields": ["字段"]}),
            ),
            ("POST", "/api/v1/plans/{year}") => json_body(
                req,
                json!({"catalogue_item": self.catalogue_item, "due": "2026-06-30"}),
            ),
            ("POST", "/api/v1/plans/{year}/items/{id}/fulfilment") => {
                json_body(req, json!({"release": self.release}))
            }
            ("POST", "/public/demands") => json_body(
                req,
                json!({"title": "数据", "description": "需要", "contact": "x@example.org"}),
            ),
            ("POST", "/public/releases/{id}/ratings") => json_body(
                req,
                json!({"availability": 5, "completeness": 4, "accuracy": 4, "timeliness": 3, "security": 5}),
            ),
            ("PUT", "/api/v1/public-accounts/{id}/quota") => json_body(
                req,
                json!({"requests_per_minute": 3000, "reason": "数据服务协议"}),
            ),
            ("POST", "/api/v1/audit/checkpoints/{size}/cosignatures") => {
                json_body(req, json!({"signature": "— secrecy.office AAAAAAA="}))
            }
            ("POST", "/api/v1/blocklist") => json_body(
                req,
                json!({"kind": "ip", "value": "198.51.100.0/24", "reason": "测试"}),
            ),
            ("POST", "/api/v1/applications/{id}/decision") => {
                json_body(req, json!({"decision": "refuse", "reason": "用途不明"}))
            }
            ("POST", "/api/v1/users") => json_body(
                req,
                json!({"username": format!("made-by-{who}"), "password": "long-password-1", "roles": ["leader"]}),
            ),
            ("PATCH", _) => json_body(req, json!({"email": "submitter@example.gov.cn"})),
            ("POST", "/api/v1/releases") => {
                let (kind, body) = multipart(Some(meta(&[])), &[("a.txt", clean)]);
                req.insert_header(("Content-Type", kind)).set_payload(body)
            }
            ("POST", "/api/v1/releases/{id}/versions") => {
                let (kind, body) = multipart(None, &[("notice.txt", clean)]);
                req.insert_header(("Content-Type", kind)).set_payload(body)
            }
            ("POST", "/api/v1/releases/{id}/findings/{finding}/disposition") => {
                json_body(req, json!({"disposition": "false_positive", "note": ""}))
            }
            ("POST", "/api/v1/releases/{id}/decisions") => json_body(
                req,
                json!({"stage": stage_of(who), "decision": "reject", "comment": ""}),
            ),
            (
                "POST",
                "/api/v1/releases/{id}/withdraw"
                | "/api/v1/releases/{id}/retract"
                | "/api/v1/releases/{id}/hold"
                | "/api/v1/releases/{id}/hold/lift",
            ) => json_body(req, json!({"reason": ""})),
            ("POST", "/api/v1/releases/{id}/stages/{stage}/clock") => json_body(
                req,
                json!({"action": "stop", "reason_code": "third_party", "note": "征求意见"}),
            ),
            ("POST", "/api/v1/releases/{id}/stages/{stage}/extension") => {
                json_body(req, json!({"working_days": 1, "reason": "材料多"}))
            }
            ("POST", "/api/v1/releases/{id}/recusal") => {
                json_body(req, json!({"stage": stage_of(who), "reason": "利益冲突"}))
            }
            ("POST", "/api/v1/delegations") => json_body(
                req,
                json!({"to": "nobody", "from": "2026-07-01T00:00:00Z", "until": "2026-07-02T00:00:00Z"}),
            ),
            ("POST", "/login") => form(
                req,
                &[
                    ("username", "nobody"),
                    ("password", "guess"),
                    ("csrf_token", &csrf),
                ],
            ),
            ("POST", "/releases") => {
                let fields = [
                    ("csrf_token", csrf.as_str()),
                    ("title", "季度统计"),
                    ("department", "FGW"),
                    ("data_category", "statistics"),
                    ("open_mode", "unconditional"),
                ];
                let (kind, body) = form_multipart(&fields, &[("a.txt", clean)]);
                req.insert_header(("Content-Type", kind)).set_payload(body)
            }
            ("POST", "/releases/{id}/versions") => {
                let (kind, body) =
                    form_multipart(&[("csrf_token", &csrf)], &[("notice.txt", clean)]);
                req.insert_header(("Content-Type", kind)).set_payload(body)
            }
            ("POST", "/releases/{id}/actions") => form(
                req,
                &[("action", "hold"), ("reason", ""), ("csrf_token", &csrf)],
            ),
            ("POST", "/releases/{id}/decide") => form(
                req,
                &[
                    ("stage", stage_of(who)),
                    ("decision", "reject"),
                    ("comment", ""),
                    ("csrf_token", &csrf),
                ],
            ),
            ("POST", "/releases/{id}/dispositions") => form(
                req,
                &[
                    ("finding", finding),
                    ("disposition", "false_positive"),
                    ("note", ""),
                    ("csrf_token", &csrf),
                ],
            ),
            ("POST", _) if page => form(req, &[("csrf_token", &csrf)]),
            _ => req,
        }
    }
}

/// Whether `status` (and redirect target) is what `verdict` promises. On
/// `/public` a staff token is no credential at all: 401 refuses it.
fn agrees(verdict: &str, who: &str, path: &str, res: &Response) -> bool {
    let status = res.status.as_u16();
    let to_login = status == 303
        && res
            .headers
            .get("location")
            .is_some_and(|l| l.to_str().unwrap_or_default() == "/login");
    let refused = if who == "anon" {
        status == 401 || status == 403 || to_login
    } else {
        status == 403 || status == 404 || (status == 401 && path.starts_with("/public"))
    };
    match verdict {
        "p" => status < 500,
        "y" => status < 500 && !refused && status != 401,
        "n" => refused,
        other => panic!("unknown verdict {other:?} (y, n, p)"),
    }
}

#[actix_web::test]
async fn every_route_answers_every_principal_as_the_matrix_says() {
    let rows = matrix();
    let documented: BTreeSet<(String, String)> = rows
        .iter()
        .map(|(m, p, _)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(documented.len(), rows.len(), "a route is listed twice");
    let registered = registered_routes();
    let missing: Vec<_> = registered.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes with no row in docs/security.md: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&registered).collect();
    assert!(
        stale.is_empty(),
        "rows for routes that do not exist: {stale:?}"
    );

    let w = world().await;
    let mut cells = 0;
    let mut wrong = Vec::new();
    // Sign-out routes come last in the table: they end the sessions used above.
    for (method, path, verdicts) in &rows {
        for ((who, token), verdict) in w.tokens.iter().zip(verdicts) {
            let res = w
                .app
                .call(w.request(method, path, who, token.as_deref()))
                .await;
            cells += 1;
            if !agrees(verdict, who, path, &res) {
                wrong.push(format!(
                    "{method} {path} as {who}: expected {verdict}, got {} {}",
                    res.status,
                    res.text().chars().take(160).collect::<String>()
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {cells} cells disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(cells, rows.len() * PRINCIPALS.len());
}
