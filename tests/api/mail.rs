//! Mail through a real SMTP server (aiosmtpd from PyPI, started here), and
//! the default: .eml files under the data directory.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use releasegate::notify;
use releasegate::policy::Role;
use releasegate::service::accounts::{self, NewUser};

struct SmtpServer {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `python3 -m aiosmtpd` with a Maildir handler, or None when the
/// module is missing (and RELEASEGATE_SMTP_TEST does not demand it).
fn smtp_server() -> Option<SmtpServer> {
    let available = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var_os("RELEASEGATE_SMTP_TEST").is_none(),
            "RELEASEGATE_SMTP_TEST is set but aiosmtpd is missing"
        );
        eprintln!("SKIPPED mail over SMTP: `pip install aiosmtpd` to run it");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = tempfile::tempdir().unwrap();
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir(maildir.path().join(sub)).unwrap();
    }
    let child = Command::new("python3")
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(SmtpServer {
        child,
        port,
        maildir,
    })
}

fn delivered(maildir: &std::path::Path) -> Vec<String> {
    let mut mails = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(sub)) {
            for e in entries.flatten() {
                mails.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    mails
}

/// The headers as stored plus the decoded subject and body: lettre sends
/// non-ASCII text as base64 (encoded words in the subject, split at byte
/// boundaries, so they are decoded together).
pub(crate) fn readable(mail: &str) -> String {
    use base64::Engine as _;
    let b64 = |text: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .unwrap_or_default()
    };
    let mail = mail.replace("\r\n", "\n");
    let (headers, body) = mail.split_once("\n\n").unwrap_or((&mail, ""));
    let mut subject = Vec::new();
    for word in headers.split("=?utf-8?b?").skip(1) {
        subject.extend(b64(word.split("?=").next().unwrap_or_default()));
    }
    let body = if headers.contains("Content-Transfer-Encoding: quoted-printable") {
        quoted_printable(body)
    } else {
        b64(&body.lines().map(str::trim).collect::<String>())
    };
    format!(
        "{headers}\n{}\n{}",
        String::from_utf8_lossy(&subject),
        String::from_utf8_lossy(&body)
    )
}

/// RFC 2045 quoted-printable: `=XX` is a byte, `=` at a line's end joins lines.
fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (line, joined) = match line.strip_suffix('=') {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let hex = (bytes[i] == b'=')
                .then(|| line.get(i + 1..i + 3))
                .flatten()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(b) => {
                    out.push(b);
                    i += 3;
                }
                None => {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
        }
        if !joined {
            out.push(b'\n');
        }
    }
    out
}

#[actix_web::test]
async fn reviewers_in_scope_are_mailed_when_a_stage_opens_and_values_stay_out() {
    let Some(smtp) = smtp_server() else { return };
    let port = smtp.port;
    let (app, cast) = TestApp::builder()
        .settings(move |s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
        .with_cast()
        .await;
    app.db(|c| {
        for (username, roles, dept, email) in [
            (
                "fgw-head",
                &[Role::DeptApprover][..],
                Some("FGW"),
                "fgw-head@example.gov.cn",
            ),
            (
                "tjj-head",
                &[Role::DeptApprover][..],
                Some("TJJ"),
                "tjj-head@example.gov.cn",
            ),
            (
                "filer",
                &[Role::Submitter][..],
                Some("FGW"),
                "filer@example.gov.cn",
            ),
        ] {
            accounts::add_user(
                c,
                &NewUser {
                    username,
                    password: PASSWORD,
                    roles,
                    department: dept,
                    email: Some(email),
                },
            )
            .unwrap();
        }
    })
    .await;
    let filer = {
        let user = app.db(|c| accounts::find_user(c, "filer").unwrap()).await;
        app.state
            .tokens
            .issue(&user.id, &user.username, None)
            .unwrap()
            .0
    };
    let text = format!("关于补贴发放的说明\n申请人身份证号{ID_NUMBER}\n").into_bytes();
    let res = app
        .post_multipart(
            "/api/v1/releases",
            &filer,
            Some(meta(&[])),
            &[("a.txt", &text)],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_string();
    let _ = &cast;

    let mailer = app.state.mailer.clone();
    let delivery = app
        .db(move |c| notify::deliver_due(c, &mailer).unwrap())
        .await;
    assert_eq!(
        delivery,
        notify::Delivery { sent: 1, failed: 0 },
        "only the lead department's approver"
    );
    let mails = delivered(smtp.maildir.path());
    assert_eq!(mails.len(), 1);
    let mail = readable(&mails[0]);
    assert!(mail.contains("To: fgw-head@example.gov.cn"), "{mail}");
    assert!(
        mail.contains("处室负责人初审")
            && mail.contains(&format!("http://releasegate.test/releases/{id}")),
        "{mail}"
    );
    assert!(!mail.contains(ID_NUMBER), "no finding value in mail");

    // Nothing is sent twice.
    let mailer = app.state.mailer.clone();
    assert_eq!(
        app.db(move |c| notify::deliver_due(c, &mailer).unwrap())
            .await,
        notify::Delivery::default()
    );
}

#[actix_web::test]
async fn without_smtp_mail_is_written_to_files_and_a_dead_server_is_retried() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    app.db(|c| {
        accounts::add_user(
            c,
            &NewUser {
                username: "fgw-head",
                password: PASSWORD,
                roles: &[Role::DeptApprover],
                department: Some("FGW"),
                email: Some("fgw-head@example.gov.cn"),
            },
        )
        .unwrap();
    })
    .await;
    app.post_multipart(
        "/api/v1/releases",
        &cast.submitter,
        Some(meta(&[])),
        &[("a.txt", "说明".as_bytes())],
    )
    .await;
    let mailer = app.state.mailer.clone();
    assert_eq!(
        app.db(move |c| notify::deliver_due(c, &mailer).unwrap())
            .await
            .sent,
        1
    );
    let files: Vec<_> = std::fs::read_dir(app.db.dir().join("data/mail"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1);

    // An unreachable server: the mail stays queued with its error and is not lost.
    let dead = notify::Mailer::new(
        Some("smtp://127.0.0.1:1"),
        "releasegate <r@localhost>",
        app.db.dir(),
    )
    .unwrap();
    app.post_multipart(
        "/api/v1/releases",
        &cast.submitter,
        Some(meta(&[])),
        &[("b.txt", "说明".as_bytes())],
    )
    .await;
    let d = app
        .db(move |c| notify::deliver_due(c, &dead).unwrap())
        .await;
    assert_eq!((d.sent, d.failed), (0, 1));
    let (attempts, error): (i32, Option<String>) = app
        .db(|c| {
            use diesel::prelude::*;
            use releasegate::db::schema::outbox;
            outbox::table
                .filter(outbox::sent_at.is_null())
                .select((outbox::attempts, outbox::last_error))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(attempts, 1);
    assert!(error.is_some());
}

#[actix_web::test]
async fn a_missed_deadline_reaches_the_reviewer_then_the_supervisor_over_smtp() {
    let Some(smtp) = smtp_server() else { return };
    let port = smtp.port;
    let (app, cast) = TestApp::builder()
        .settings(move |s| s.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
        .with_cast()
        .await;
    app.db(|c| {
        use diesel::prelude::*;
        use releasegate::db::schema::users;
        for name in ["approver", "supervisor"] {
            diesel::update(users::table.filter(users::username.eq(name)))
                .set(users::email.eq(format!("{name}@example.gov.cn")))
                .execute(c)
                .unwrap();
        }
    })
    .await;
    let id = clean_release(&app, &cast).await;
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.approver))
        .await
        .json();
    let deadline = chrono::DateTime::parse_from_rfc3339(
        stage(&r, "department_review")["deadline"].as_str().unwrap(),
    )
    .unwrap()
    .naive_utc();
    let calendar = app.state.policies.calendar.clone();
    let late = (1..14)
        .map(|d| deadline + chrono::Duration::days(d))
        .find(|t| calendar.working_days_between(deadline, *t) == 1)
        .unwrap();
    for at in [deadline - chrono::Duration::hours(8), late] {
        let st = app.state.clone();
        app.db(move |c| releasegate::service::reminders::sweep(&st, c, at).unwrap())
            .await;
    }
    let mailer = app.state.mailer.clone();
    let delivery = app
        .db(move |c| notify::deliver_due(c, &mailer).unwrap())
        .await;
    assert_eq!(delivery.failed, 0);
    let mails: Vec<String> = delivered(smtp.maildir.path())
        .iter()
        .map(|m| readable(m))
        .collect();
    let to = |who: &str, words: &str| {
        mails
            .iter()
            .filter(|m| m.contains(&format!("To: {who}")) && m.contains(words))
            .count()
    };
    // The subject's English half is folded across header lines; its Chinese
    // half is what `readable` decodes.
    assert_eq!(
        to("approver@example.gov.cn", "审查今日到期"),
        1,
        "{mails:?}"
    );
    assert_eq!(
        to("supervisor@example.gov.cn", "审查已逾期（督办）"),
        1,
        "{mails:?}"
    );
    assert!(
        mails.iter().all(|m| m.contains("办理期限 / Due")),
        "{mails:?}"
    );
}
