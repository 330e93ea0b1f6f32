//! The command line, run as a process: exit codes, stdout/stderr discipline.

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn administration_token_and_audit_commands() {
    let db = TestDb::new();
    let out = run_cli(
        &db,
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
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run_cli(
        &db,
        &["department", "add", "--code", "FGW", "--name", "again"],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("already exists"));
    let out = run_cli(
        &db,
        &[
            "user",
            "add",
            "--username",
            "alice",
            "--role",
            "submitter",
            "--department",
            "FGW",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = run_cli(
        &db,
        &[
            "user",
            "add",
            "--username",
            "bob",
            "--role",
            "mayor",
            "--password-stdin",
        ],
        Some("a-long-password\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown role \"mayor\""));

    let out = run_cli(
        &db,
        &["token", "issue", "--username", "alice", "--ttl", "10m"],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).trim().starts_with("eyJ"));
    assert_eq!(
        run_cli(&db, &["token", "issue", "--username", "ghost"], None)
            .status
            .code(),
        Some(2)
    );

    let out = run_cli(&db, &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["events"], 2);

    let export = run_cli(&db, &["audit", "export"], None);
    assert_eq!(export.status.code(), Some(0));
    let file = db.dir().join("export.ndjson");
    std::fs::write(&file, &export.stdout).unwrap();
    let out = run_cli(
        &db,
        &["audit", "verify", "--file", file.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    // An altered export line is named.
    let tampered = text(&export.stdout).replacen("\"cli\"", "\"mallory\"", 1);
    std::fs::write(&file, tampered).unwrap();
    let out = run_cli(
        &db,
        &["audit", "verify", "--file", file.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("BROKEN at event 1"),
        "{}",
        text(&out.stderr)
    );

    let csv = run_cli(&db, &["audit", "export", "--format", "csv"], None);
    assert!(text(&csv.stdout).starts_with("seq,at,actor,action"));
    assert_eq!(
        run_cli(&db, &["audit", "export", "--from", "monday"], None)
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn audit_verify_fails_on_a_tampered_database() {
    let db = TestDb::new();
    run_cli(
        &db,
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
    run_cli(
        &db,
        &["department", "add", "--code", "TJJ", "--name", "市统计局"],
        None,
    );
    let target = db.target.clone();
    let pool = releasegate::db::connect(&target, 1).unwrap();
    use diesel::RunQueryDsl;
    let conn = &mut *pool.get().unwrap();
    owner_drops_the_guards(conn);
    diesel::sql_query("UPDATE audit_events SET action = 'department.removed' WHERE seq = 1")
        .execute(conn)
        .unwrap();
    drop(pool);
    let out = run_cli(&db, &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["first_bad_seq"], 1);
}

#[test]
fn policy_check_names_file_line_and_problem() {
    let db = TestDb::new();
    let ok = run_cli(&db, &["policy", "check"], None);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("6 stages"));

    let dir = db.dir().join("policies");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"),
        &dir,
    );
    let workflow = dir.join("workflow.toml");
    let bad = std::fs::read_to_string(&workflow).unwrap().replacen(
        "rule = \"all\"",
        "rule = \"most\"",
        1,
    );
    std::fs::write(&workflow, &bad).unwrap();
    let line = bad.lines().position(|l| l.contains("\"most\"")).unwrap() + 1;
    let out = run_cli(&db, &["policy", "check", dir.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("workflow.toml:{line}:")) && err.contains("unknown rule \"most\""),
        "{err}"
    );
}

/// With no policy directory anywhere, the binary scans with the policies
/// built into it, and `policy show` prints what that is; a directory that
/// was named but is not there is an error, never a silent fallback.
#[test]
fn scan_works_without_a_policy_directory_and_policy_show_prints_the_effective_policy() {
    let db = TestDb::new();
    let empty = db.dir().join("elsewhere");
    std::fs::create_dir_all(&empty).unwrap();
    let file = empty.join("notice.txt");
    std::fs::write(&file, sample_text()).unwrap();
    let bare = |args: &[&str]| {
        let mut cmd = cli_command(&db, args);
        cmd.env_remove("RELEASEGATE_POLICY_DIR").current_dir(&empty);
        cmd.output().unwrap()
    };

    let out = bare(&["scan", "--format", "json", "notice.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["type"] == "CN_ID_CARD"));

    let shown = bare(&["policy", "show"]);
    assert_eq!(shown.status.code(), Some(0), "{}", text(&shown.stderr));
    let listing = text(&shown.stdout);
    assert!(listing.starts_with("# releasegate policies from the built-in defaults"));
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/workflow.toml"),
    )
    .unwrap();
    assert!(listing.contains("# ===== detectors/personal.toml"));
    assert!(
        listing.contains(shipped.trim_end()),
        "workflow.toml is printed whole"
    );

    // The same digest as the shipped directory: the same policy.
    let from_dir = run_cli(&db, &["policy", "check"], None);
    let digest = |s: &str| s.split("digest ").nth(1).unwrap().trim().to_string();
    assert_eq!(
        digest(&text(&from_dir.stdout)),
        digest(listing.lines().nth(1).unwrap())
    );

    let missing = bare(&["scan", "--policy-dir", "no-such-dir", "notice.txt"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("policy directory not found"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn scan_prints_one_json_document_and_fails_on_request() {
    let db = TestDb::new();
    let file = db.dir().join("notice.txt");
    std::fs::write(&file, sample_text()).unwrap();
    let path = file.to_str().unwrap();
    let out = run_cli(&db, &["scan", "--format", "json", path], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let findings = doc["files"][0]["findings"].as_array().unwrap();
    assert!(findings
        .iter()
        .any(|f| f["type"] == "CN_ID_CARD" && f["location"]["line"] == 3));
    assert!(
        !text(&out.stdout).contains(ID_NUMBER),
        "raw values are not printed"
    );

    let out = run_cli(&db, &["scan", "--fail-on", "block", path], None);
    assert_eq!(out.status.code(), Some(1));
    let clean = db.dir().join("clean.txt");
    std::fs::write(&clean, "本表共计发放补贴12笔。").unwrap();
    assert_eq!(
        run_cli(
            &db,
            &["scan", "--fail-on", "low", clean.to_str().unwrap()],
            None
        )
        .status
        .code(),
        Some(0)
    );

    let sarif = run_cli(&db, &["scan", "--format", "sarif", path], None);
    let doc: serde_json::Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert!(!doc["runs"][0]["results"].as_array().unwrap().is_empty());

    assert_eq!(
        run_cli(&db, &["scan", "--fail-on", "urgent", path], None)
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run_cli(&db, &["scan", "/no/such/file.txt"], None)
            .status
            .code(),
        Some(2)
    );
    let png = db.dir().join("x.png");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = run_cli(&db, &["scan", png.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("unsupported"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn unknown_database_schemes_are_refused() {
    let db = TestDb::new();
    let out = Command::new(env!("CARGO_BIN_EXE_releasegate"))
        .arg("migrate")
        .env("DATABASE_URL", "mysql://root@localhost/x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("sqlite:// or postgres://"));
    drop(db);
}

/// Peak resident memory (bytes) of `cmd` run to the end, with its exit
/// code: the kernel's high-water mark (`VmHWM`) read from /proc while it
/// runs. (`wait4`'s ru_maxrss would carry over this test process's own
/// size from before the exec.)
fn peak_rss(mut cmd: Command) -> (Option<i32>, u64) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak = peak.max(hwm.unwrap_or(0) * 1024);
        }
        if let Some(exit) = child.try_wait().unwrap() {
            return (exit.code(), peak);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Memory stays bounded by the row, not the table: a dense roster of
/// 60,000 rows (240,000 findings, 5 MB) is inspected and written out in
/// well under what holding its findings takes (`--format sarif`, which
/// must collect them all, peaks at 2 GB on the same file).
#[test]
fn scanning_a_large_table_holds_no_more_than_a_row_of_findings() {
    let db = TestDb::new();
    let roster = db.dir().join("roster.csv");
    let out = run_cli(
        &db,
        &[
            "dev",
            "roster",
            "--rows",
            "60000",
            "--out",
            roster.to_str().unwrap(),
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::metadata(&roster).unwrap().len() > 5_000_000);
    let mut scan = cli_command(&db, &["scan", "--format", "json", roster.to_str().unwrap()]);
    scan.stdin(std::process::Stdio::null());
    let (status, peak) = peak_rss(scan);
    assert_eq!(status, Some(0));
    eprintln!("peak RSS scanning 60,000 dense rows: {} MiB", peak >> 20);
    assert!(peak < 100 << 20, "peak RSS {} MiB", peak >> 20);
}

/// The same roster as a workbook: its sheet is read as a stream from the
/// package, so memory stays bounded the same way, and its cells give the
/// findings the CSV's give, at the same cells, whether the cells hold their
/// texts or index a shared-string table.
#[test]
fn a_large_workbook_is_scanned_like_the_same_table_as_csv() {
    let db = TestDb::new();
    let write = |name: &str, rows: &str, more: &[&str]| {
        let path = db.dir().join(name);
        let mut args = vec![
            "dev",
            "roster",
            "--rows",
            rows,
            "--out",
            path.to_str().unwrap(),
        ];
        args.extend(more);
        let out = run_cli(&db, &args, None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        path
    };
    let scan = |path: &std::path::Path| {
        let out = run_cli(
            &db,
            &["scan", "--format", "json", path.to_str().unwrap()],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut found: Vec<(String, String, String)> = report["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let cell = f["location"]["cell"]
                    .as_str()
                    .or(f["location"]["column"].as_str());
                (
                    f["type"].as_str().unwrap().to_owned(),
                    cell.unwrap_or_default().to_owned(),
                    f["masked_value"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let (csv, book) = (
        write("small.csv", "300", &[]),
        write("small.xlsx", "300", &[]),
    );
    let shared = write("shared.xlsx", "300", &["--shared-strings"]);
    let from_csv = scan(&csv);
    assert!(from_csv.len() > 1200, "{}", from_csv.len());
    assert_eq!(scan(&book), from_csv);
    assert_eq!(scan(&shared), from_csv);

    let book = write("roster.xlsx", "60000", &[]);
    let mut scan = cli_command(&db, &["scan", "--format", "json", book.to_str().unwrap()]);
    scan.stdin(std::process::Stdio::null());
    let (status, peak) = peak_rss(scan);
    assert_eq!(status, Some(0));
    eprintln!(
        "peak RSS scanning a workbook of 60,000 dense rows: {} MiB",
        peak >> 20
    );
    assert!(peak < 100 << 20, "peak RSS {} MiB", peak >> 20);
}

/// `dev seed` copies a filed release; with none to copy it says so.
#[test]
fn seeding_needs_a_release_to_copy() {
    let db = TestDb::new();
    let out = run_cli(&db, &["dev", "seed", "--releases", "10"], None);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(text(&out.stderr).contains("no release to copy"), "{out:?}");
}

/// A backup restored onto a fresh directory holds the log a checkpoint
/// saved before the backup signed; a damaged backup restores nothing.
#[test]
fn backup_then_restore_on_a_fresh_machine_verifies_against_an_earlier_checkpoint() {
    let db = TestDb::new();
    for (code, name) in [("FGW", "市发展改革委"), ("TJJ", "市统计局")] {
        let out = run_cli(
            &db,
            &["department", "add", "--code", code, "--name", name],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
    }
    let saved = db.dir().join("saved.checkpoint");
    let saved = saved.to_str().unwrap();
    let out = run_cli(&db, &["audit", "checkpoint", "--out", saved], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    run_cli(
        &db,
        &["department", "add", "--code", "SJJ", "--name", "市数据局"],
        None,
    );

    let backup = db.dir().join("backup");
    let backup_arg = backup.to_str().unwrap();
    if matches!(db.target, releasegate::db::DbTarget::Postgres(_)) {
        let out = run_cli(&db, &["backup", "--to", backup_arg], None);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        eprintln!("skipped the restore: PostgreSQL databases are restored with pg_restore (docs/postgresql.md)");
        return;
    }
    let out = run_cli(&db, &["backup", "--to", backup_arg], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = run_cli(&db, &["backup", "--to", backup_arg], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a second backup into the same directory: {out:?}"
    );

    // A new machine: another directory, the signing key restored by hand.
    let fresh = TestDb::new();
    std::fs::copy(
        db.dir().join("audit-signing.key"),
        fresh.dir().join("audit-signing.key"),
    )
    .unwrap();
    let out = run_cli(&fresh, &["restore", "--from", backup_arg], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = run_cli(&fresh, &["audit", "verify", "--checkpoint", saved], None);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let out = run_cli(&fresh, &["restore", "--from", backup_arg], None);
    assert_eq!(
        out.status.code(),
        Some(2),
        "restoring over a database: {out:?}"
    );

    // One changed byte in the copy: nothing is restored.
    let database = backup.join("releasegate.db");
    let mut bytes = std::fs::read(&database).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&database, bytes).unwrap();
    let other = TestDb::new();
    let out = run_cli(&other, &["restore", "--from", backup_arg], None);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("releasegate.db does not match the manifest")
    );
    match &other.target {
        releasegate::db::DbTarget::Sqlite(path) => assert!(!path.exists()),
        releasegate::db::DbTarget::Postgres(_) => unreachable!(),
    }
}
