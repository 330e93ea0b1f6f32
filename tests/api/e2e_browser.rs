//! The whole review in a real headless Chromium, driven over WebDriver
//! (chromedriver) against the real server on 127.0.0.1:0: a submitter files a
//! release with an ID number and a classification mark, the reviewers work it
//! through the dashboard's forms, the public catalogue serves it masked, and
//! a supervisor searches, exports and verifies the audit trail.
//!
//! Skips (with a message) when chromedriver is missing, unless
//! RELEASEGATE_E2E=1 (CI), which makes a missing browser a failure.
//! Screenshots: `RELEASEGATE_SCREENSHOTS=docs/screenshots` refreshes the
//! committed ones.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::*;
use fantoccini::{Client, ClientBuilder, Locator};

const MARK: &str = "机密★10年";

/// Kills chromedriver when the test ends, however it ends.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_browser(profile: &Path) -> (Driver, Client) {
    // Two rustls crypto providers are linked (ring for the service's SMTP,
    // aws-lc-rs for the WebDriver client): name the process default.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chromedriver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| find_on_path("chromedriver"))
        .expect("chromedriver");
    let port = free_port();
    let driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let mut caps = serde_json::Map::new();
    let mut chrome = serde_json::json!({
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--window-size=1280,1000", "--lang=zh-CN",
            format!("--user-data-dir={}", profile.display()),
        ],
    });
    if let Some(binary) = find_on_path("chromium") {
        chrome["binary"] = binary.display().to_string().into();
    }
    caps.insert("goog:chromeOptions".into(), chrome);
    let url = format!("http://127.0.0.1:{port}");
    // chromedriver takes a moment to listen.
    for attempt in 0.. {
        match ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(e) if attempt < 50 => {
                let _ = e;
                actix_web::rt::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot open a WebDriver session: {e}"),
        }
    }
    unreachable!()
}

struct Walk {
    c: Client,
    base: String,
}

impl Walk {
    async fn go(&self, path: &str) {
        self.c.goto(&format!("{}{path}", self.base)).await.unwrap();
    }

    async fn login(&self, username: &str) {
        // Signing out first: the logout button sits in the header of every page.
        if self
            .c
            .find(Locator::Css("form[action='/logout'] button"))
            .await
            .is_ok()
        {
            self.click("form[action='/logout'] button").await;
        }
        self.go("/login").await;
        self.c
            .find(Locator::Id("username"))
            .await
            .unwrap()
            .send_keys(username)
            .await
            .unwrap();
        self.c
            .find(Locator::Id("password"))
            .await
            .unwrap()
            .send_keys(PASSWORD)
            .await
            .unwrap();
        self.click("main form button[type=submit]").await;
        let url = self.c.current_url().await.unwrap();
        assert!(
            !url.path().starts_with("/login"),
            "{username} signed in: {}",
            self.body().await
        );
    }

    /// Whether `text` shows up on the page (which refreshes itself)
    /// within a few seconds.
    async fn wait_for(&self, text: &str) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if self.body().await.contains(text) {
                return true;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        false
    }

    async fn body(&self) -> String {
        self.c.source().await.unwrap()
    }

    async fn fill(&self, css: &str, text: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }

    /// Clicks something that loads a new page, and waits for that page:
    /// WebDriver's click may return before the navigation it starts.
    async fn click(&self, css: &str) {
        let old = self.c.find(Locator::Css("html")).await.unwrap();
        self.tick(css).await;
        for _ in 0..200 {
            if old.tag_name().await.is_err() {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
        for _ in 0..200 {
            let ready = self
                .c
                .execute("return document.readyState", vec![])
                .await
                .unwrap();
            if ready == "complete" {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks something on the page (a checkbox, a radio button).
    async fn tick(&self, css: &str) {
        self.c
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Ticks the findings of `entity`, chooses `disposition`, writes `note`.
    async fn dispose(&self, entity: &str, disposition: &str, note: &str) {
        for cb in self
            .c
            .find_all(Locator::Css(&format!(
                "input[name=finding][aria-label^='{entity}']"
            )))
            .await
            .unwrap()
        {
            cb.click().await.unwrap();
        }
        self.c
            .find(Locator::Id("disposition"))
            .await
            .unwrap()
            .select_by_value(disposition)
            .await
            .unwrap();
        self.fill("#note", note).await;
        self.click("#dispose-submit").await;
        let body = self.body().await;
        assert!(
            !body.contains("class=\"error\""),
            "disposition refused: {body}"
        );
    }

    async fn decide(&self, stage: &str, decision: &str, comment: &str) {
        self.tick(&format!(
            "form.decide input[name=stage][value={stage}] ~ fieldset input[value={decision}]"
        ))
        .await;
        self.fill(&format!("#comment-{stage}"), comment).await;
        self.click(&format!("#decide-{stage}")).await;
        let body = self.body().await;
        assert!(
            !body.contains("class=\"error\""),
            "decision refused: {body}"
        );
    }

    /// Saves a screenshot to $RELEASEGATE_SCREENSHOTS (relative to the crate;
    /// `docs/screenshots` refreshes the committed ones), else to a temporary
    /// folder, so that a test run leaves the work tree clean.
    async fn screenshot(&self, name: &str) {
        let png = self.c.screenshot().await.unwrap();
        let dir = match std::env::var_os("RELEASEGATE_SCREENSHOTS") {
            Some(dir) => Path::new(env!("CARGO_MANIFEST_DIR")).join(dir),
            None => std::env::temp_dir().join("releasegate-screenshots"),
        };
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

#[actix_web::test]
async fn a_release_is_reviewed_and_published_through_the_dashboard_in_a_real_browser() {
    let required = std::env::var("RELEASEGATE_E2E").is_ok_and(|v| v == "1");
    let has_driver =
        std::env::var_os("CHROMEDRIVER").is_some() || find_on_path("chromedriver").is_some();
    if !has_driver {
        assert!(
            !required,
            "RELEASEGATE_E2E=1 but chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "SKIPPED e2e_browser: chromedriver not found; install chromium and chromium-driver \
             or set RELEASEGATE_E2E=1 to make this a failure"
        );
        return;
    }

    let app = TestApp::new().await;
    app.cast().await;
    let (server, addr) = releasegate::http::server(app.state.clone(), "127.0.0.1:0").unwrap();
    // As `serve` does: the workers that inspect uploads.
    releasegate::jobs::spawn_workers(&app.state);
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let profile = tempfile::tempdir().unwrap();
    let (_driver, c) = start_browser(profile.path()).await;
    c.set_window_size(1280, 1000).await.unwrap();
    let w = Walk {
        c,
        base: format!("http://{addr}"),
    };

    // The submitter files a release with an ID number and a classification mark.
    let upload = app.db.dir().join("补贴名单.txt");
    std::fs::write(
        &upload,
        format!("{MARK}\n关于补贴发放的说明\n申请人身份证号{ID_NUMBER}，已核实。\n"),
    )
    .unwrap();
    w.login("submitter").await;
    w.go("/releases/new").await;
    w.fill("#title", "2026年补贴发放名单").await;
    w.fill("#description", "端到端测试").await;
    w.fill("#co_departments", "TJJ").await;
    w.fill("#data_category", "subsidy").await;
    w.fill("#files", &upload.display().to_string()).await;
    w.click("#submit-release").await;
    let url = w.c.current_url().await.unwrap();
    let id = url
        .path()
        .strip_prefix("/releases/")
        .unwrap_or_else(|| panic!("landed on {url}"))
        .to_string();
    // The page shows the inspection and refreshes itself until it is done.
    assert!(
        w.wait_for("state-blocked").await,
        "the mark blocks it: {}",
        w.body().await
    );

    // The secrecy reviewer finds it in the queue and clears the mark.
    w.login("secrecy").await;
    w.go("/queue").await;
    assert!(w.body().await.contains(&format!("/releases/{id}")));
    w.screenshot("queue").await;
    w.c.set_window_size(420, 900).await.unwrap();
    w.go("/queue").await;
    w.screenshot("queue-phone").await;
    w.c.set_window_size(1280, 1000).await.unwrap();
    w.click(&format!("a[href='/releases/{id}']")).await;
    w.dispose(
        "CLASSIFICATION_MARK",
        "false_positive",
        "样例文件中的示意标志，非真实密级文件",
    )
    .await;
    assert!(w.body().await.contains("state-in_review"));

    // 初审 by the department approver, then secrecy approves.
    w.login("approver").await;
    w.go(&format!("/releases/{id}")).await;
    w.decide("department_review", "approve", "同意").await;
    w.login("secrecy").await;
    w.go(&format!("/releases/{id}")).await;
    w.decide("secrecy_review", "approve", "经审查不涉密").await;

    // The privacy officer has the ID redacted and approves.
    w.login("privacy").await;
    w.go(&format!("/releases/{id}")).await;
    w.dispose("CN_ID_CARD", "redact", "身份证号脱敏后发布")
        .await;
    // Tall enough that the findings with their context are in the picture.
    w.c.set_window_size(1280, 1900).await.unwrap();
    w.go(&format!("/releases/{id}")).await;
    w.screenshot("release").await;
    w.c.set_window_size(1280, 1000).await.unwrap();
    w.decide("privacy_review", "approve", "已脱敏").await;

    // The co-responsible department signs (会签).
    w.login("approver-tjj").await;
    w.go(&format!("/releases/{id}")).await;
    w.decide("co_unit_signoff", "approve", "会签同意").await;

    // The leader signs off; with no embargo it is published at once.
    w.login("leader").await;
    w.go(&format!("/releases/{id}")).await;
    w.decide("final_signoff", "approve", "同意发布").await;
    assert!(w.body().await.contains("state-published"));

    // The public catalogue lists it; the download is masked.
    w.click("form[action='/logout'] button").await;
    w.go("/catalog").await;
    let link =
        w.c.find(Locator::Css("article.card a[download]"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
    let file = app.get(&link, None).await;
    assert_eq!(file.status, 200);
    let text = file.text();
    assert!(!text.contains(ID_NUMBER), "the ID number is masked: {text}");
    assert!(text.contains("关于补贴发放的说明"));

    // A member of the public signs in on the catalogue, rates the release
    // and asks for more data.
    crate::public_access::verified_member(&app).await;
    w.go("/catalog/login").await;
    w.fill("#email", crate::public_access::MEMBER_EMAIL).await;
    w.fill("#password", crate::public_access::MEMBER_PASSWORD)
        .await;
    w.click("main form button[type=submit]").await;
    w.c.find(Locator::Css(&format!(
        "#release-{id} select[name=availability]"
    )))
    .await
    .unwrap()
    .select_by_value("3")
    .await
    .unwrap();
    w.click(&format!("#release-{id} form.rating-form button"))
        .await;
    let body = w.body().await;
    assert!(body.contains("1 人评价"), "{body}");
    w.go("/catalog/demands").await;
    w.fill("#title", "历年补贴发放汇总").await;
    w.fill("#description", "用于政策研究").await;
    w.fill("#contact", "li@example.org").await;
    w.click("#new-demand button").await;
    let body = w.body().await;
    assert!(
        body.contains("历年补贴发放汇总") && !body.contains("li@example.org"),
        "{body}"
    );
    w.screenshot("public-demands").await;
    w.click("form[action='/catalog/logout'] button").await;
    assert!(w.body().await.contains("href=\"/catalog/login\""));

    // The supervisor searches the trail, exports it and verifies the chain.
    w.login("supervisor").await;
    w.go("/audit").await;
    w.fill("input[name=release]", &id).await;
    w.click("form.filters button").await;
    let body = w.body().await;
    assert!(body.contains("finding.dispositioned"), "{body}");
    w.screenshot("audit").await;
    let export =
        w.c.find(Locator::Id("export-csv"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
    assert!(export.contains(&format!("release={id}")));
    let session = w.c.get_named_cookie("rg_session").await.unwrap();
    let csv = app
        .call(
            actix_web::test::TestRequest::get()
                .uri(&export)
                .insert_header(("Cookie", format!("rg_session={}", session.value()))),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.text().starts_with("seq,at,actor,action"));
    assert!(csv.text().contains("stage.decided"));
    w.click("#verify").await;
    let result =
        w.c.find(Locator::Id("verify-result"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
    assert!(result.contains("哈希链完整"), "{result}");

    w.c.close().await.unwrap();
    handle.stop(true).await;
}
