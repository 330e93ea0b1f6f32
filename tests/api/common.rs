//! Test harness: a fresh database per test — a SQLite file by default, or a
//! new PostgreSQL database when RELEASEGATE_TEST_DATABASE_URL points at a
//! server (dropped again at the end) — and the real app on it.

use std::path::PathBuf;

use actix_http::Request;
use actix_service::boxed::{self, BoxService};
use actix_service::ServiceExt;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::{test, web};
use diesel::{Connection, RunQueryDsl};
use releasegate::app::AppState;
use releasegate::config::Settings;
use releasegate::db::DbTarget;
use releasegate::policy::Role;
use releasegate::service::accounts::{self, NewUser};
use serde_json::Value;

pub const PASSWORD: &str = "correct-horse-battery";

/// One database for one test.
pub struct TestDb {
    pub target: DbTarget,
    admin_url: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Default for TestDb {
    fn default() -> Self {
        Self::new()
    }
}

impl TestDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        match std::env::var("RELEASEGATE_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(base) => {
                let name = format!("rg_test_{}", ulid::Ulid::new().to_string().to_lowercase());
                let mut conn = diesel::PgConnection::establish(&base)
                    .expect("connect to the test PostgreSQL server");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .unwrap();
                let url = match base.rfind('/') {
                    Some(i) if i > "postgres://".len() => format!("{}/{name}", &base[..i]),
                    _ => panic!("RELEASEGATE_TEST_DATABASE_URL must end in /DATABASE"),
                };
                TestDb {
                    target: DbTarget::parse(&url).unwrap(),
                    admin_url: Some((base, name)),
                    _dir: dir,
                }
            }
            None => {
                let path = dir.path().join("releasegate.db");
                TestDb {
                    target: DbTarget::Sqlite(path),
                    admin_url: None,
                    _dir: dir,
                }
            }
        }
    }

    pub fn url(&self) -> String {
        match &self.target {
            DbTarget::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbTarget::Postgres(u) => u.clone(),
        }
    }

    pub fn dir(&self) -> PathBuf {
        self._dir.path().to_path_buf()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.admin_url {
            if let Ok(mut conn) = diesel::PgConnection::establish(base) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn);
            }
        }
    }
}

pub fn settings(db: &TestDb) -> Settings {
    Settings {
        database: db.target.clone(),
        data_dir: db.dir().join("data"),
        policy_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies")),
        jwt_secret: Some("test-secret-test-secret-test-secret!".into()),
        jwt_secret_file: db.dir().join("token-secret.key"),
        max_token_ttl: chrono::Duration::hours(24),
        trusted_proxies: Vec::new(),
        metrics_token: None,
        token_ttl: chrono::Duration::hours(1),
        max_upload_bytes: 2 * 1024 * 1024,
        limits: releasegate::extract::Limits {
            max_file_bytes: Some(2 * 1024 * 1024),
            ..releasegate::extract::Limits::service_default()
        },
        pool_size: 4,
        max_concurrent_scans: 2,
        public_rate_limit: 600,
        access_log_days: 365,
        job_lease: chrono::Duration::seconds(60),
        max_files_per_release: 20,
        audit_key_file: db.dir().join("audit-signing.key"),
        audit_origin: None,
        audit_cosigners: Vec::new(),
        smtp_url: None,
        mail_from: "releasegate <releasegate@localhost>".into(),
        public_url: "http://releasegate.test".into(),
        licence: Default::default(),
    }
}

pub struct TestApp {
    pub state: AppState,
    /// Runs due jobs after each request, as a `serve` worker would (off for
    /// tests that watch a release in `scanning`).
    pub runs_jobs: bool,
    svc: BoxService<Request, ServiceResponse<BoxBody>, actix_web::Error>,
    pub db: TestDb,
}

pub struct Response {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.bytes)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts the status and the API.md error envelope.
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text());
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "body: {body}");
        body["error"]["message"].as_str().unwrap().to_string()
    }
}

/// A change to one test's settings.
type Tweak = Box<dyn FnOnce(&mut Settings)>;

/// Builds a `TestApp`: a database (fresh unless given), settings tweaked
/// per test, and the app from the same factory the server uses.
pub struct TestAppBuilder {
    db: Option<TestDb>,
    tweaks: Vec<Tweak>,
    runs_jobs: bool,
}

impl Default for TestAppBuilder {
    fn default() -> Self {
        Self {
            db: None,
            tweaks: Vec::new(),
            runs_jobs: true,
        }
    }
}

impl TestAppBuilder {
    /// Runs the app on `db` (a database an earlier app used, say).
    pub fn db(mut self, db: TestDb) -> Self {
        self.db = Some(db);
        self
    }

    /// Leaves queued jobs alone: the test runs them with `run_jobs`.
    pub fn manual_jobs(mut self) -> Self {
        self.runs_jobs = false;
        self
    }

    pub fn settings(mut self, tweak: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    pub async fn build(self) -> TestApp {
        let db = self.db.unwrap_or_default();
        let mut s = settings(&db);
        for tweak in self.tweaks {
            tweak(&mut s);
        }
        let state = web::block(move || AppState::build(s))
            .await
            .unwrap()
            .expect("app state");
        let app =
            test::init_service(releasegate::http::build_app(web::Data::new(state.clone()))).await;
        TestApp {
            state,
            runs_jobs: self.runs_jobs,
            svc: boxed::service(app.map(ServiceResponse::map_into_boxed_body)),
            db,
        }
    }

    /// The app with the default workflow's cast (departments and one user per role).
    pub async fn with_cast(self) -> (TestApp, Cast) {
        let app = self.build().await;
        let cast = app.cast().await;
        (app, cast)
    }
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    pub async fn new() -> Self {
        Self::builder().build().await
    }

    /// The response as the service gives it, body unread: for a body that
    /// fails half-way.
    pub async fn call_raw(&self, req: test::TestRequest) -> ServiceResponse<BoxBody> {
        test::call_service(&self.svc, req.to_request()).await
    }

    pub async fn call(&self, req: test::TestRequest) -> Response {
        let res = test::call_service(&self.svc, req.to_request()).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await.to_vec();
        if self.runs_jobs {
            self.run_jobs().await;
        }
        Response {
            status,
            headers,
            bytes,
        }
    }

    /// Runs every due job to the end (inspections, above all); how many ran.
    pub async fn run_jobs(&self) -> usize {
        let state = self.state.clone();
        web::block(move || releasegate::jobs::drain(&state))
            .await
            .unwrap()
            .expect("jobs run")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = test::TestRequest::get().uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        self.call(req).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = test::TestRequest::delete().uri(path);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        self.call(req).await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        let mut req = test::TestRequest::post().uri(path).set_json(body);
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        self.call(req).await
    }

    /// Files a release with one file as `token`'s user; asserts 201 and
    /// returns the release.
    pub async fn file_release(&self, token: &str, meta: Value, name: &str, bytes: &[u8]) -> Value {
        let res = self
            .post_multipart("/api/v1/releases", token, Some(meta), &[(name, bytes)])
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()
    }

    /// Posts a filing or a new version. The answer is `scanning`; unless the
    /// app runs jobs by hand, the body returned is the release as a client
    /// polling it sees once its inspection is done (status and headers stay
    /// those of the POST).
    pub async fn post_multipart(
        &self,
        path: &str,
        token: &str,
        meta: Option<Value>,
        files: &[(&str, &[u8])],
    ) -> Response {
        let (content_type, body) = multipart(meta, files);
        let req = test::TestRequest::post()
            .uri(path)
            .insert_header(("Authorization", format!("Bearer {token}")))
            .insert_header(("Content-Type", content_type))
            .set_payload(body);
        let mut res = self.call(req).await;
        if self.runs_jobs && res.status == StatusCode::CREATED {
            let filed = res.json();
            assert_eq!(
                filed["state"], "scanning",
                "a new upload answers in scanning"
            );
            let id = filed["id"].as_str().expect("release id");
            let settled = self
                .get(&format!("/api/v1/releases/{id}"), Some(token))
                .await;
            assert_eq!(settled.status, 200, "{}", settled.text());
            res.bytes = settled.bytes;
        }
        res
    }

    /// Runs blocking database work against the app's pool.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut releasegate::db::DbConn) -> T + Send + 'static,
    ) -> T {
        let pool = self.state.pool.clone();
        web::block(move || f(&mut pool.get().unwrap()))
            .await
            .unwrap()
    }

    pub async fn department(&self, code: &'static str, name: &'static str) {
        self.db(move |c| accounts::add_department(c, code, name).unwrap())
            .await;
    }

    /// Creates a user and returns a token for them.
    pub async fn user(
        &self,
        username: &'static str,
        roles: &'static [Role],
        dept: Option<&'static str>,
    ) -> String {
        let user = self
            .db(move |c| {
                accounts::add_user(
                    c,
                    &NewUser {
                        username,
                        password: PASSWORD,
                        roles,
                        department: dept,
                        email: None,
                    },
                )
                .unwrap()
            })
            .await;
        self.state
            .tokens
            .issue(&user.id, &user.username, None)
            .unwrap()
            .0
    }
}

pub fn multipart(meta: Option<Value>, files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----releasegate-test-boundary-7d1f";
    let mut body = Vec::new();
    if let Some(meta) = meta {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n").as_bytes());
        body.extend_from_slice(meta.to_string().as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// What an owner with full database access does first: drop the
/// append-only triggers. Everything the verifier catches below is what such
/// an owner can still do.
pub fn owner_drops_the_guards(c: &mut releasegate::db::DbConn) {
    use diesel::connection::SimpleConnection;
    let sql = match c {
        releasegate::db::DbConn::Sqlite(_) => {
            "DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete; \
             DROP TRIGGER audit_checkpoints_no_update; DROP TRIGGER audit_checkpoints_no_delete; \
             DROP TRIGGER audit_tree_no_update; DROP TRIGGER audit_tree_no_delete;"
        }
        releasegate::db::DbConn::Postgres(_) => {
            "ALTER TABLE audit_events DISABLE TRIGGER USER; \
             ALTER TABLE audit_checkpoints DISABLE TRIGGER USER; \
             ALTER TABLE audit_tree DISABLE TRIGGER USER;"
        }
    };
    c.batch_execute(sql).unwrap();
}

/// The `releasegate` binary on `db`'s database and file store, output piped.
pub fn cli_command(db: &TestDb, args: &[&str]) -> std::process::Command {
    use std::process::Stdio;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_releasegate"));
    cmd.args(args)
        .env("DATABASE_URL", db.url())
        .env("RELEASEGATE_DATA_DIR", db.dir().join("data"))
        // The key the test service signs checkpoints with.
        .env(
            "RELEASEGATE_AUDIT_KEY_FILE",
            db.dir().join("audit-signing.key"),
        )
        .env(
            "RELEASEGATE_POLICY_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/policies"),
        )
        .env("RELEASEGATE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the binary to completion, with `stdin` (if any) as its input.
pub fn run_cli(db: &TestDb, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = cli_command(db, args).spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// One HTTP/1.1 exchange on a fresh connection (`Connection: close` in
/// `head`): the status and the body.
pub fn raw_http(
    addr: std::net::SocketAddr,
    head: &str,
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let status = String::from_utf8_lossy(&response[..12.min(response.len())])
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = match response.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => response[i + 4..].to_vec(),
        None => Vec::new(),
    };
    Ok((status, body))
}

/// A dashboard form as a browser sends it: text fields, then `files` parts.
pub fn form_multipart(fields: &[(&str, &str)], files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----dashboard-form-boundary";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/plain\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The cast of the default workflow, with a token each.
pub struct Cast {
    pub submitter: String,
    pub approver: String,
    pub approver_tjj: String,
    pub secrecy: String,
    pub privacy: String,
    pub crossborder: String,
    pub leader: String,
    pub supervisor: String,
}

impl TestApp {
    pub async fn cast(&self) -> Cast {
        self.department("FGW", "市发展改革委").await;
        self.department("TJJ", "市统计局").await;
        self.department("BMJ", "市国家保密局").await;
        Cast {
            submitter: self
                .user("submitter", &[Role::Submitter], Some("FGW"))
                .await,
            approver: self
                .user("approver", &[Role::DeptApprover], Some("FGW"))
                .await,
            approver_tjj: self
                .user("approver-tjj", &[Role::DeptApprover], Some("TJJ"))
                .await,
            secrecy: self
                .user("secrecy", &[Role::SecrecyReviewer], Some("BMJ"))
                .await,
            privacy: self.user("privacy", &[Role::PrivacyOfficer], None).await,
            crossborder: self
                .user("crossborder", &[Role::CrossBorderAssessor], None)
                .await,
            leader: self.user("leader", &[Role::Leader], None).await,
            supervisor: self.user("supervisor", &[Role::Supervisor], None).await,
        }
    }
}

/// Files a release with one clean text file (no findings) as the cast's
/// submitter; returns its id.
pub async fn clean_release(app: &TestApp, cast: &Cast) -> String {
    let release = app
        .file_release(
            &cast.submitter,
            meta(&[]),
            "a.txt",
            "公开统计数据\n".as_bytes(),
        )
        .await;
    release["id"].as_str().unwrap().to_string()
}

/// A valid resident ID number (check character included) and where it sits.
pub const ID_NUMBER: &str = "420704198503121233";
pub const MOBILE: &str = "13812345678";

pub fn sample_text() -> Vec<u8> {
    format!("机密★10年\n关于2026年补贴发放情况的说明\n联系人：张建国，身份证号{ID_NUMBER}，手机{MOBILE}。\n本表共计发放补贴12笔。\n").into_bytes()
}

pub fn meta(co: &[&str]) -> Value {
    serde_json::json!({
        "title": "2026年第一季度补贴发放情况",
        "description": "季度补贴发放汇总",
        "department": "FGW",
        "co_departments": co,
        "data_category": "subsidy",
        "open_mode": "unconditional",
        "cross_border": false,
    })
}

pub fn stage<'a>(release: &'a Value, key: &str) -> &'a Value {
    release["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no stage {key}"))
}

pub async fn findings(app: &TestApp, id: &str, token: &str) -> Vec<Value> {
    app.get(
        &format!("/api/v1/releases/{id}/findings?limit=200"),
        Some(token),
    )
    .await
    .json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn finding_of<'a>(items: &'a [Value], kind: &str) -> &'a Value {
    items
        .iter()
        .find(|f| f["type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {items:?}"))
}

/// A valid 18-digit resident ID for a 17-digit body.
pub fn id_number(body: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    format!(
        "{body}{}",
        "10X98765432".as_bytes()[(sum % 11) as usize] as char
    )
}

impl TestApp {
    /// Takes a release through every stage of the default workflow:
    /// marks cleared as false positives, the rest dispositioned `personal`
    /// (redact unless said otherwise), every required stage not yet
    /// approved approved.
    pub async fn approve_all(
        &self,
        id: &str,
        cast: &Cast,
        disposition_for: impl Fn(&Value) -> &'static str,
    ) -> Value {
        for f in findings(self, id, &cast.secrecy).await {
            if f["disposition"].is_null() && f["category"] != "personal" {
                let res = self
                    .post_json(
                        &format!(
                            "/api/v1/releases/{id}/findings/{}/disposition",
                            f["id"].as_str().unwrap()
                        ),
                        Some(&cast.secrecy),
                        serde_json::json!({"disposition": "false_positive", "note": "测试样例"}),
                    )
                    .await;
                assert_eq!(res.status, 200, "{}", res.text());
            }
        }
        // Column summaries first: they disposition their cells.
        let mut personal: Vec<Value> = findings(self, id, &cast.privacy)
            .await
            .into_iter()
            .filter(|f| f["category"] == "personal")
            .collect();
        personal.sort_by_key(|f| !f["column_summary"].as_bool().unwrap_or(false));
        for f in personal {
            let current = self
                .get(
                    &format!("/api/v1/releases/{id}/findings?limit=200"),
                    Some(&cast.privacy),
                )
                .await
                .json();
            let fresh = current["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["id"] == f["id"])
                .unwrap()
                .clone();
            if fresh["disposition"].is_null() {
                let res = self
                    .post_json(
                        &format!(
                            "/api/v1/releases/{id}/findings/{}/disposition",
                            f["id"].as_str().unwrap()
                        ),
                        Some(&cast.privacy),
                        serde_json::json!({"disposition": disposition_for(&f), "note": "依规处理"}),
                    )
                    .await;
                assert_eq!(res.status, 200, "{}", res.text());
            }
        }
        let mut release = Value::Null;
        for (stage, token) in [
            ("department_review", &cast.approver),
            ("secrecy_review", &cast.secrecy),
            ("privacy_review", &cast.privacy),
            ("cross_border_assessment", &cast.crossborder),
            ("co_unit_signoff", &cast.approver_tjj),
            ("final_signoff", &cast.leader),
        ] {
            let current = self
                .get(&format!("/api/v1/releases/{id}"), Some(&cast.supervisor))
                .await
                .json();
            if ["not_required", "approved"].contains(&stage_status(&current, stage).as_str()) {
                continue;
            }
            let res = self
                .post_json(
                    &format!("/api/v1/releases/{id}/decisions"),
                    Some(token),
                    serde_json::json!({"stage": stage, "decision": "approve", "comment": "同意"}),
                )
                .await;
            assert_eq!(res.status, 200, "{stage}: {}", res.text());
            release = res.json();
        }
        release
    }
}

/// `POST /decisions` on one stage, with a comment.
pub async fn decide(app: &TestApp, id: &str, token: &str, stage: &str, decision: &str) -> Response {
    app.post_json(
        &format!("/api/v1/releases/{id}/decisions"),
        Some(token),
        serde_json::json!({"stage": stage, "decision": decision, "comment": "审查意见"}),
    )
    .await
}

/// `POST /findings/{finding}/disposition`.
pub async fn dispose(
    app: &TestApp,
    id: &str,
    token: &str,
    finding: &str,
    disposition: &str,
    note: &str,
) -> Response {
    app.post_json(
        &format!("/api/v1/releases/{id}/findings/{finding}/disposition"),
        Some(token),
        serde_json::json!({"disposition": disposition, "note": note}),
    )
    .await
}

pub fn stage_status(release: &Value, key: &str) -> String {
    stage(release, key)["status"].as_str().unwrap().to_string()
}

/// Median time of `n` successful calls of `request`, printed with min/max
/// under `label` (render-time tests).
pub async fn median_time(
    app: &TestApp,
    n: usize,
    label: &str,
    request: impl Fn() -> test::TestRequest,
) -> std::time::Duration {
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = std::time::Instant::now();
        let res = app.call(request()).await;
        times.push(started.elapsed());
        assert_eq!(res.status, 200, "{label}: {}", res.text());
    }
    times.sort();
    let median = times[times.len() / 2];
    eprintln!(
        "{label}: median {median:?}, min {:?}, max {:?} ({n} renders)",
        times[0],
        times[times.len() - 1]
    );
    median
}
