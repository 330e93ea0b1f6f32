//! Crash safety: the real server is killed with SIGKILL while submissions,
//! inspections and decisions run against it, then restarted on the same
//! database and file store. Every write it acknowledged (2xx) must be
//! there, every acknowledged filing must leave `scanning` once the server
//! is back (its inspection job survives the crash), no release may be
//! published short of its approvals, and the audit chain must verify. A
//! bounded number of rounds, on SQLite or (with
//! RELEASEGATE_TEST_DATABASE_URL) PostgreSQL.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

const ROUNDS: usize = 3;

fn cli(db: &TestDb, args: &[&str], stdin: Option<&str>) -> String {
    let out = run_cli(db, args, stdin);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn start(db: &TestDb) -> (Child, SocketAddr) {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // A short lease: a job the killed server held is claimed again soon.
    let child = cli_command(db, &["serve", "--bind", &addr.to_string()])
        .env("RELEASEGATE_JOB_LEASE", "3s")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let health = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    while raw_http(addr, health, b"").map(|r| r.0).ok() != Some(200) {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, addr)
}

fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    kind: &str,
    body: &[u8],
) -> Option<(u16, Value)> {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (status, body) = raw_http(addr, &head, body).ok()?;
    Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn get_release(addr: SocketAddr, token: &str, id: &str) -> Option<(u16, Value)> {
    call(
        addr,
        "GET",
        &format!("/api/v1/releases/{id}"),
        token,
        "application/json",
        b"",
    )
}

/// The release once it has left `scanning`; `None` if the server stopped
/// answering or `patience` ran out first.
fn settled(addr: SocketAddr, token: &str, id: &str, patience: Duration) -> Option<Value> {
    let deadline = Instant::now() + patience;
    while Instant::now() < deadline {
        let (status, release) = get_release(addr, token, id)?;
        if status == 200 && release["state"] != "scanning" {
            return Some(release);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// What the server acknowledged before it died.
#[derive(Default)]
struct Acknowledged {
    filed: Vec<String>,
    decided: Vec<(String, &'static str)>,
}

/// The departments and people of these tests, made with the CLI; their
/// tokens: submitter, approver, secrecy, leader, supervisor.
fn cast(db: &TestDb) -> Vec<String> {
    cli(
        db,
        &[
            "department",
            "add",
            "--code",
            "FGW",
            "--name",
            "市发展改革委",
        ],
        None,
    );
    let people = [
        ("submitter", "submitter", Some("FGW")),
        ("approver", "dept_approver", Some("FGW")),
        ("secrecy", "secrecy_reviewer", None),
        ("leader", "leader", None),
        ("supervisor", "supervisor", None),
    ];
    for (name, role, dept) in people {
        let mut args = vec![
            "user",
            "add",
            "--username",
            name,
            "--role",
            role,
            "--password-stdin",
        ];
        if let Some(d) = dept {
            args.extend(["--department", d]);
        }
        cli(db, &args, Some("crash-test-password\n"));
    }
    let token = |name: &str| cli(db, &["token", "issue", "--username", name], None);
    ["submitter", "approver", "secrecy", "leader", "supervisor"]
        .iter()
        .map(|n| token(n))
        .collect()
}

#[test]
fn acknowledged_writes_survive_sigkill_and_the_audit_verifies() {
    let db = TestDb::new();
    let tokens = cast(&db);
    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let (content_type, body) =
        multipart(Some(meta(&[])), &[("a.txt", "公开统计数据\n".as_bytes())]);
    for round in 0..ROUNDS {
        let (mut server, addr) = start(&db);
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (acked, stop, tokens) = (acked.clone(), stop.clone(), tokens.clone());
                let (content_type, body) = (content_type.clone(), body.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        let Some((201, release)) = call(
                            addr,
                            "POST",
                            "/api/v1/releases",
                            &tokens[0],
                            &content_type,
                            &body,
                        ) else {
                            continue;
                        };
                        let id = release["id"].as_str().unwrap().to_string();
                        acked.lock().unwrap().filed.push(id.clone());
                        if settled(addr, &tokens[0], &id, Duration::from_secs(30)).is_none() {
                            continue;
                        }
                        for (stage, token) in [
                            ("department_review", &tokens[1]),
                            ("secrecy_review", &tokens[2]),
                            ("final_signoff", &tokens[3]),
                        ] {
                            let decision = format!(
                                r#"{{"stage":"{stage}","decision":"approve","comment":""}}"#
                            );
                            match call(
                                addr,
                                "POST",
                                &format!("/api/v1/releases/{id}/decisions"),
                                token,
                                "application/json",
                                decision.as_bytes(),
                            ) {
                                Some((200, _)) => {
                                    acked.lock().unwrap().decided.push((id.clone(), stage))
                                }
                                _ => break,
                            }
                        }
                    }
                })
            })
            .collect();
        // Kill at a different point each round.
        std::thread::sleep(Duration::from_millis(400 + 350 * round as u64));
        server.kill().unwrap();
        server.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.join().unwrap();
        }
    }
    let (mut server, addr) = start(&db);
    let supervisor = &tokens[4];
    let acked = acked.lock().unwrap();
    assert!(
        acked.filed.len() >= ROUNDS,
        "the load ran: {} filings",
        acked.filed.len()
    );
    for id in &acked.filed {
        let release = settled(addr, supervisor, id, Duration::from_secs(60))
            .unwrap_or_else(|| panic!("acknowledged release {id} is gone or never inspected"));
        if release["state"] == "published" {
            for stage in release["stages"].as_array().unwrap() {
                let s = stage["status"].as_str().unwrap();
                assert!(
                    s == "approved" || s == "not_required",
                    "{id} published with {stage}"
                );
            }
        }
    }
    for (id, stage) in &acked.decided {
        let (_, release) = call(
            addr,
            "GET",
            &format!("/api/v1/releases/{id}"),
            supervisor,
            "application/json",
            b"",
        )
        .unwrap();
        let found = release["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == *stage)
            .unwrap();
        assert_eq!(
            found["status"], "approved",
            "acknowledged {stage} of {id} is lost: {release}"
        );
    }
    let (status, verify) = call(
        addr,
        "GET",
        "/api/v1/audit/verify",
        supervisor,
        "application/json",
        b"",
    )
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(verify["ok"], true, "{verify}");
    eprintln!(
        "{ROUNDS} kills: {} filings and {} decisions acknowledged, all present; audit: {verify}",
        acked.filed.len(),
        acked.decided.len()
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// An inspection cut off by SIGKILL is finished by the restarted server:
/// the job is claimed again once the dead worker's lease runs out, the
/// partial findings of the first attempt are replaced, not doubled.
#[test]
fn an_inspection_cut_off_by_a_crash_completes_after_restart() {
    let db = TestDb::new();
    let tokens = cast(&db);
    // Dense rows (a name, an ID number and a mobile each): seconds of work
    // in a debug build, so the kill lands mid-inspection.
    let rows: String = (0..30_000)
        .map(|i| format!("张建国{i},{ID_NUMBER},{MOBILE},湖北省鄂州市滨湖路{i}号\n"))
        .collect();
    let table = format!("姓名,身份证号,手机,地址\n{rows}");
    let files: Vec<(String, &[u8])> = (0..3)
        .map(|i| (format!("roster-{i}.csv"), table.as_bytes()))
        .collect();
    let named: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    let (content_type, body) = multipart(Some(meta(&[])), &named);
    let (mut server, addr) = start(&db);
    let (status, filed) = call(
        addr,
        "POST",
        "/api/v1/releases",
        &tokens[0],
        &content_type,
        &body,
    )
    .unwrap();
    assert_eq!(status, 201, "{filed}");
    assert_eq!(filed["state"], "scanning");
    assert_eq!(filed["scan"]["files_total"], 3, "{filed}");
    let id = filed["id"].as_str().unwrap().to_string();
    // Kill once the first file's findings are in and the job is still running.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, now) = get_release(addr, &tokens[0], &id).unwrap();
        assert_eq!(now["state"], "scanning", "finished before the kill: {now}");
        if now["scan"]["files_done"].as_i64().unwrap_or(0) >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the inspection never progressed");
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let jobs = cli(&db, &["jobs", "list", "--state", "running"], None);
    assert_eq!(
        jobs.lines().count(),
        1,
        "the dead worker still holds it: {jobs}"
    );

    let (mut server, addr) = start(&db);
    let release = settled(addr, &tokens[0], &id, Duration::from_secs(300))
        .expect("the release leaves scanning after the restart");
    assert_eq!(release["state"], "in_review", "{release}");
    let job: Value = serde_json::from_str(&cli(&db, &["jobs", "list"], None)).unwrap();
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["attempts"], 2, "claimed again after the crash: {job}");
    // Three times what the CLI pre-check finds in one file (column
    // summaries aside, which the counts leave out): nothing twice.
    let one = db.dir().join("roster.csv");
    std::fs::write(&one, &table).unwrap();
    let report: Value = serde_json::from_str(&cli(
        &db,
        &["scan", "--format", "json", one.to_str().unwrap()],
        None,
    ))
    .unwrap();
    let per_file = report["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["detector"] != "column_summary")
        .count();
    assert!(per_file >= 3 * 30_000, "{per_file}");
    assert_eq!(release["findings"]["total"], 3 * per_file, "{release}");
    server.kill().unwrap();
    server.wait().unwrap();
}
