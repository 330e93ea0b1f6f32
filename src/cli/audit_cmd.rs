//! `releasegate audit …`: verify the log (the database's or an export)
//! against the checkpoints an auditor kept, save a checkpoint, export.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use signed_note::StandardVerifier;

use super::admin::{finish, with_db};
use super::usage_error;
use crate::audit::export::{self, Line, PartialVerifier};
use crate::audit::{checkpoint, receipt, Report, Verifier};
use crate::error::AppError;
use crate::service::audit_log::{self, SavedCheckpoint};
use crate::service::audit_tree;

/// Verifies the database's log, or the export `file`, against the signed
/// checkpoints it holds and every `saved` checkpoint file. `key` is a file
/// of verifier keys (`/public/audit/key`); the deployment's own key when
/// absent. With `cosigner`, the newest checkpoint and every saved one must
/// carry that key's signature as well.
pub fn verify(
    file: Option<&Path>,
    saved: &[PathBuf],
    key: Option<&Path>,
    cosigner: Option<&Path>,
) -> i32 {
    let (verifiers, cosigner) = match (
        key.map(read_verifiers).transpose(),
        cosigner.map(read_verifiers).transpose(),
    ) {
        (Ok(v), Ok(c)) => (v, c.and_then(|c| c.into_iter().next())),
        (Err(e), _) | (_, Err(e)) => return usage_error(e),
    };
    let cosigner = cosigner.as_ref();
    let report = match file {
        Some(path) => {
            let Some(verifiers) = verifiers.as_deref() else {
                if saved.is_empty() {
                    return report_exit(verify_file(path, &[], None).map_err(usage_error));
                }
                return usage_error(
                    "--checkpoint with --file needs --key KEYFILE (the log's verifier key)",
                );
            };
            match load_saved(saved, verifiers, cosigner) {
                Ok(saved) => verify_file(path, &saved, verifiers.first()).map_err(usage_error),
                Err(code) => return code,
            }
        }
        None => with_db(|state, conn| {
            let own = checkpoint::verifier(&state.checkpoint_key.verifier_key())
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
            let trusted = verifiers.unwrap_or_else(|| vec![own]);
            let saved = match load_saved(saved, &trusted, cosigner) {
                Ok(saved) => saved,
                Err(code) => return Ok(Err(code)),
            };
            let mut report = audit_log::verify(conn, &state.checkpoint_key, &saved)?;
            if let Some(cosigner) = cosigner {
                require_cosigned(conn, &trusted[0], cosigner, &mut report)?;
            }
            Ok(Ok(report))
        })
        .and_then(|report| report),
    };
    report_exit(report)
}

/// Fails `report` unless the newest stored checkpoint, with its
/// co-signatures, is signed by `cosigner` too.
fn require_cosigned(
    conn: &mut crate::db::DbConn,
    log_key: &StandardVerifier,
    cosigner: &StandardVerifier,
    report: &mut Report,
) -> Result<(), AppError> {
    let name = signed_note::Verifier::name(cosigner).to_string();
    let problem = match audit_tree::latest(conn)? {
        None => Some((0, "no checkpoint is signed yet".to_string())),
        Some(newest) => {
            let note = audit_tree::with_cosignatures(conn, &newest)?;
            let origin = signed_note::Verifier::name(log_key);
            checkpoint::open(
                note.as_bytes(),
                origin,
                &[log_key.clone(), cosigner.clone()],
            )
            .err()
            .map(|e| {
                (
                    newest.size,
                    format!("the newest checkpoint (size {}): {e}", newest.size),
                )
            })
        }
    };
    if let (true, Some((size, problem))) = (report.ok, problem) {
        report.ok = false;
        report.first_bad_seq = Some(size);
        report.problem = Some(format!("co-signer {name}: {problem}"));
    }
    Ok(())
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

/// Opens each saved checkpoint with the first trusted key (the log's own)
/// and the co-signer's, if one is required. A file that cannot be read is a
/// usage error (exit 2); one that is not signed by them fails verification
/// (exit 1), named.
fn load_saved(
    files: &[PathBuf],
    trusted: &[StandardVerifier],
    cosigner: Option<&StandardVerifier>,
) -> Result<Vec<SavedCheckpoint>, i32> {
    let Some(log_key) = trusted.first() else {
        return Ok(Vec::new());
    };
    let origin = signed_note::Verifier::name(log_key).to_string();
    let required: Vec<StandardVerifier> =
        std::iter::once(log_key).chain(cosigner).cloned().collect();
    files
        .iter()
        .map(|path| {
            let label = format!("checkpoint {}", path.display());
            let note = std::fs::read(path)
                .map_err(|e| usage_error(format!("cannot read {}: {e}", path.display())))?;
            match checkpoint::open(&note, &origin, &required) {
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

/// The lines of an export file, parsed, with their line numbers.
fn export_lines(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(usize, Line), String>>, String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let shown = path.display().to_string();
    Ok(std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, line)| line.as_ref().map_or(true, |l| !l.trim().is_empty()))
        .map(move |(n, line)| {
            let line = line.map_err(|e| format!("{shown}: line {}: {e}", n + 1))?;
            let parsed =
                export::parse_line(&line).map_err(|e| format!("{shown}: line {}: {e}", n + 1))?;
            Ok((n + 1, parsed))
        }))
}

/// Verifies an export file: a complete one as a chain (against its own
/// checkpoint when `key` is given, and against every `saved` one); a
/// partial one, event by event, against its checkpoint (`key` required).
fn verify_file(
    path: &Path,
    saved: &[SavedCheckpoint],
    key: Option<&StandardVerifier>,
) -> Result<Report, String> {
    // First pass: the checkpoint the export ends with, and whether it
    // proves its events one by one (a partial export).
    let mut note = None;
    let mut partial = false;
    for line in export_lines(path)? {
        match line?.1 {
            Line::Checkpoint(n) => note = Some(n),
            Line::Inclusion(_) => partial = true,
            Line::Event(_) => {}
        }
    }
    let signed = match (&note, key) {
        (Some(note), Some(key)) => {
            let origin = signed_note::Verifier::name(key);
            match checkpoint::open(note.as_bytes(), origin, std::slice::from_ref(key)) {
                Ok(signed) => Some(signed),
                Err(e) => return Ok(Report::broken(0, format!("the export's checkpoint: {e}"))),
            }
        }
        _ => None,
    };
    if partial {
        let Some(signed) = signed else {
            return Err(format!(
                "{} is a partial export proven against its checkpoint: pass --key KEYFILE (the log's verifier key)",
                path.display()
            ));
        };
        if !saved.is_empty() {
            return Err("--checkpoint needs a complete export (one starting at event 1)".into());
        }
        let mut verifier = PartialVerifier::new(signed.size, signed.root);
        for line in export_lines(path)? {
            match line?.1 {
                Line::Event(event) => verifier.push_event(&event),
                Line::Inclusion(proof) => verifier.push_inclusion(&proof),
                Line::Checkpoint(_) => {}
            }
        }
        return Ok(verifier.finish());
    }
    let mut verifier = Verifier::new();
    for c in saved {
        verifier.expect_checkpoint(c.size, c.root, c.label.clone());
    }
    if let Some(signed) = signed {
        verifier.expect_checkpoint(signed.size, signed.root, "the export's checkpoint".into());
    }
    for line in export_lines(path)? {
        if let Line::Event(event) = line?.1 {
            verifier.push(&event, None);
        }
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

/// Writes a new co-signer key pair: the private key to `out` (owner-only),
/// the verifier key to stdout.
pub fn keygen(name: &str, out: &Path) -> i32 {
    if !signed_note::is_key_name_valid(name) {
        return usage_error(format!("--name {name:?}: no spaces and no '+'"));
    }
    let (private, public) = signed_note::generate_key(&mut rand::rngs::OsRng, name);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(out)
        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{private}\n").as_bytes()));
    if let Err(e) = written {
        return usage_error(format!("cannot create {}: {e}", out.display()));
    }
    println!("{public}");
    eprintln!(
        "private key in {}; give the line above to the log's operator",
        out.display()
    );
    0
}

/// Checks the log's signature on a checkpoint and prints this co-signer's
/// signature line for it.
pub fn cosign(checkpoint_file: &Path, key: &Path, log_key: &Path) -> i32 {
    let read = |path: &Path| {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let (note, private, log) = match (read(checkpoint_file), read(key), read_verifiers(log_key)) {
        (Ok(n), Ok(k), Ok(l)) => (n, k, l),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return usage_error(e),
    };
    let signer = match signed_note::StandardSigner::new(private.trim()) {
        Ok(s) => s,
        Err(e) => return usage_error(format!("{}: not a signer key: {e}", key.display())),
    };
    match checkpoint::cosign(note.as_bytes(), &log[0], &signer) {
        Ok(line) => {
            print!("{line}");
            0
        }
        Err(problem) => {
            eprintln!("not co-signed: {problem}");
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
    let exported = with_db(|state, conn| {
        let what = if csv { "export.csv" } else { "export.ndjson" };
        audit_log::record_read(conn, crate::service::accounts::CLI_ACTOR, what, &filter)?;
        let key = &state.checkpoint_key;
        crate::http::export::write_export(conn, &filter, csv, key, std::io::stdout().lock())
            .map_err(AppError::Internal)
    });
    finish(exported, |n| eprintln!("exported {n} events"))
}
