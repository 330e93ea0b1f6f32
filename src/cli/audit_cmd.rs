//! `releasegate audit …`: verify the log (the database's or an export)
//! against the checkpoints an auditor kept, save a checkpoint, export.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use signed_note::StandardVerifier;

use super::admin::{finish, with_db};
use super::usage_error;
use crate::audit::{checkpoint, receipt, Event, Report, Verifier};
use crate::error::AppError;
use crate::service::audit_log::{self, SavedCheckpoint};
use crate::service::audit_tree;

/// Verifies the database's log, or the export `file`, against the signed
/// checkpoints it holds and every `saved` checkpoint file. `key` is a file
/// of verifier keys (`/public/audit/key`); the deployment's own key when absent.
pub fn verify(file: Option<&Path>, saved: &[PathBuf], key: Option<&Path>) -> i32 {
    let verifiers = match key.map(read_verifiers).transpose() {
        Ok(v) => v,
        Err(e) => return usage_error(e),
    };
    let report = match file {
        Some(path) => {
            let Some(verifiers) = verifiers.as_deref() else {
                if saved.is_empty() {
                    return report_exit(verify_file(path, &[]).map_err(usage_error));
                }
                return usage_error(
                    "--checkpoint with --file needs --key KEYFILE (the log's verifier key)",
                );
            };
            match load_saved(saved, verifiers) {
                Ok(saved) => verify_file(path, &saved).map_err(usage_error),
                Err(code) => return code,
            }
        }
        None => with_db(|state, conn| {
            let own = checkpoint::verifier(&state.checkpoint_key.verifier_key())
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            let trusted = verifiers.unwrap_or_else(|| vec![own]);
            match load_saved(saved, &trusted) {
                Ok(saved) => audit_log::verify(conn, &state.checkpoint_key, &saved).map(Ok),
                Err(code) => Ok(Err(code)),
            }
        })
        .and_then(|report| report),
    };
    report_exit(report)
}

fn report_exit(report: Result<Report, i32>) -> i32 {
    let report = match report {
        Ok(r) => r,
        Err(code) => return code,
    };
    println!("{}", serde_json::to_string(&report).unwrap_or_default());
    if report.ok {
        eprintln!(
            "audit log intact: {} events, {} signed checkpoints, root {}",
            report.events, report.checkpoints, report.root
        );
        0
    } else {
        eprintln!(
            "audit log BROKEN at event {}: {}",
            report.first_bad_seq.unwrap_or_default(),
            report.problem.as_deref().unwrap_or("unknown problem")
        );
        1
    }
}

/// Verifier keys, one per line.
fn read_verifiers(path: &Path) -> Result<Vec<StandardVerifier>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let keys: Vec<StandardVerifier> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| checkpoint::verifier(l).map_err(|e| format!("{}: {e}", path.display())))
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err(format!("{} holds no verifier key", path.display()));
    }
    Ok(keys)
}

/// Opens each saved checkpoint with the first trusted key (the log's own).
/// A file that is not a checkpoint is a usage error (exit 2); one that is
/// not signed by the log's key fails verification (exit 1), named.
fn load_saved(
    files: &[PathBuf],
    trusted: &[StandardVerifier],
) -> Result<Vec<SavedCheckpoint>, i32> {
    let Some(log_key) = trusted.first() else {
        return Ok(Vec::new());
    };
    let origin = signed_note::Verifier::name(log_key).to_string();
    files
        .iter()
        .map(|path| {
            let label = format!("checkpoint {}", path.display());
            let note = std::fs::read(path)
                .map_err(|e| usage_error(format!("cannot read {}: {e}", path.display())))?;
            match checkpoint::open(&note, &origin, std::slice::from_ref(log_key)) {
                Ok(signed) => Ok(SavedCheckpoint {
                    label,
                    size: signed.size,
                    root: signed.root,
                }),
                Err(problem) => {
                    eprintln!("audit log NOT PROVEN: {label}: {problem}");
                    Err(1)
                }
            }
        })
        .collect()
}

fn verify_file(path: &Path, saved: &[SavedCheckpoint]) -> Result<Report, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let mut verifier = Verifier::new();
    for c in saved {
        verifier.expect_checkpoint(c.size, c.root, c.label.clone());
    }
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}: line {}: {e}", path.display(), n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let event: Event = serde_json::from_str(&line).map_err(|e| {
            format!(
                "{}: line {}: not an audit event: {e}",
                path.display(),
                n + 1
            )
        })?;
        verifier.push(&event, None);
    }
    Ok(verifier.finish())
}

/// Checks a receipt file offline against the log's verifier key.
pub fn verify_receipt(file: &Path, key: &Path) -> i32 {
    let keys = match read_verifiers(key) {
        Ok(keys) => keys,
        Err(e) => return usage_error(e),
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => return usage_error(format!("cannot read {}: {e}", file.display())),
    };
    match receipt::verify(&bytes, &keys[0]) {
        Ok((receipt, signed)) => {
            println!(
                "{}",
                serde_json::to_string(&receipt.event).unwrap_or_default()
            );
            eprintln!(
                "receipt valid: event {} ({}) is in the log {} of {} events",
                receipt.event.seq, receipt.event.action, signed.origin, signed.size
            );
            0
        }
        Err(problem) => {
            eprintln!("receipt INVALID: {problem}");
            1
        }
    }
}

/// Signs the tree head if it moved, then prints (or saves to `out`) the
/// newest checkpoint.
pub fn checkpoint(out: Option<&Path>) -> i32 {
    let newest = with_db(|state, conn| audit_tree::checkpoint(conn, &state.checkpoint_key));
    let newest = match newest {
        Ok(Some(newest)) => newest,
        Ok(None) => return usage_error("the audit log is empty: there is nothing to sign"),
        Err(code) => return code,
    };
    let (row, signed) = newest;
    match out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &row.note) {
                return usage_error(format!("cannot write {}: {e}", path.display()));
            }
        }
        None => print!("{}", row.note),
    }
    let what = if signed { "signed" } else { "newest" };
    eprintln!("{what} checkpoint: {} events", row.size);
    0
}

pub fn export(from: Option<&str>, to: Option<&str>, release: Option<String>, format: &str) -> i32 {
    let csv = match format {
        "csv" => true,
        "ndjson" => false,
        other => return usage_error(format!("--format {other:?}: use ndjson or csv")),
    };
    let parse =
        |name: &str, v: Option<&str>| v.map(|t| crate::http::parse_time(name, t)).transpose();
    let (from, to) = match (parse("--from", from), parse("--to", to)) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(e), _) | (_, Err(e)) => return usage_error(e),
    };
    let filter = audit_log::Filter {
        release,
        from,
        to,
        ..Default::default()
    };
    let exported = with_db(|_, conn| {
        let what = if csv { "export.csv" } else { "export.ndjson" };
        audit_log::record_read(conn, crate::service::accounts::CLI_ACTOR, what, &filter)?;
        crate::http::export::write_export(conn, &filter, csv, std::io::stdout().lock())
            .map_err(AppError::Internal)
    });
    finish(exported, |n| eprintln!("exported {n} events"))
}
