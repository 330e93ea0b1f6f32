//! `releasegate backup --to DIR` and `releasegate restore --from DIR`.
//!
//! A backup holds the database (SQLite: an online copy made with `VACUUM
//! INTO`, consistent while the service runs; PostgreSQL: `pg_dump`, see
//! docs/postgresql.md, with `--files-only` here), the file store, the audit
//! log's verifier key and a checkpoint signed at backup time, and a
//! manifest of every file's SHA-256 that `restore` checks before it writes
//! anything. Secrets (the token secret, the checkpoint signing key) are not
//! copied: they are restored from wherever the operator keeps them.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::admin::with_db;
use super::usage_error;
use crate::config::Settings;
use crate::db::DbTarget;
use crate::error::AppError;
use crate::service::audit_tree;

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "releasegate.db";
const FILES: &str = "files";

#[derive(Serialize, Deserialize)]
struct Manifest {
    created_at: String,
    /// The audit log's size when the backup was taken.
    audit_events: u64,
    entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// Relative to the backup directory, `/`-separated.
    path: String,
    sha256: String,
    bytes: u64,
}

fn digest_of(path: &Path) -> std::io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((hex::encode(hasher.finalize()), bytes))
}

/// The file store's objects: `<2 hex>/<62 hex>` under the data directory.
fn store_objects(data_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(data_dir)? {
        let dir = dir?;
        let name = dir.file_name().to_string_lossy().into_owned();
        let is_prefix = name.len() == 2 && name.bytes().all(|b| b.is_ascii_hexdigit());
        if !is_prefix || !dir.file_type()?.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path())? {
            out.push(Path::new(&name).join(file?.file_name()));
        }
    }
    out.sort();
    Ok(out)
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> AppError {
    AppError::BadRequest(format!("{what} {}: {e}", path.display()))
}

pub fn backup(to: &Path, files_only: bool) -> i32 {
    if std::fs::read_dir(to).is_ok_and(|mut d| d.next().is_some()) {
        return usage_error(format!(
            "{} is not empty: back up into a new directory",
            to.display()
        ));
    }
    let made = with_db(|state, conn| {
        let database = match (&state.settings.database, files_only) {
            (DbTarget::Sqlite(_), false) => true,
            (_, true) => false,
            (DbTarget::Postgres(_), false) => {
                return Err(AppError::BadRequest(
                    "PostgreSQL is backed up with pg_dump (docs/postgresql.md); then run backup --files-only for the rest".into(),
                ))
            }
        };
        std::fs::create_dir_all(to.join(FILES)).map_err(|e| io_error("cannot create", to, e))?;
        // A checkpoint of the log as backed up, to verify the restore against.
        let newest = audit_tree::checkpoint(conn, &state.checkpoint_key)?;
        let mut written = Vec::new();
        if database {
            let target = to.join(DATABASE);
            let quoted = target.display().to_string().replace('\'', "''");
            use diesel::RunQueryDsl;
            diesel::sql_query(format!("VACUUM INTO '{quoted}'")).execute(conn)?;
            written.push(DATABASE.to_string());
        }
        for (name, text) in [
            (
                "audit.key",
                format!("{}\n", state.checkpoint_key.verifier_key()),
            ),
            (
                "checkpoint",
                newest
                    .as_ref()
                    .map(|(c, _)| c.note.clone())
                    .unwrap_or_default(),
            ),
        ] {
            std::fs::write(to.join(name), text).map_err(|e| io_error("cannot write", to, e))?;
            written.push(name.to_string());
        }
        let data_dir = &state.settings.data_dir;
        for object in store_objects(data_dir).map_err(|e| io_error("cannot read", data_dir, e))? {
            let target = to.join(FILES).join(&object);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| io_error("cannot create", parent, e))?;
            }
            std::fs::copy(data_dir.join(&object), &target)
                .map_err(|e| io_error("cannot copy", &object, e))?;
            written.push(format!(
                "{FILES}/{}",
                object.to_string_lossy().replace('\\', "/")
            ));
        }
        let entries = written
            .into_iter()
            .map(|path| {
                let (sha256, bytes) = digest_of(&to.join(&path))
                    .map_err(|e| io_error("cannot read", Path::new(&path), e))?;
                Ok(Entry {
                    path,
                    sha256,
                    bytes,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let manifest = Manifest {
            created_at: crate::audit::format_time(&crate::audit::now()),
            audit_events: newest.map(|(c, _)| c.size as u64).unwrap_or(0),
            entries,
        };
        // The manifest is written last: a backup without one is incomplete.
        let text = serde_json::to_vec_pretty(&manifest).map_err(AppError::internal)?;
        std::fs::write(to.join(MANIFEST), text).map_err(|e| io_error("cannot write", to, e))?;
        Ok(manifest)
    });
    match made {
        Ok(m) => {
            eprintln!(
                "backed up {} files and {} audit events to {}",
                m.entries.len(),
                m.audit_events,
                to.display()
            );
            0
        }
        Err(code) => code,
    }
}

/// Checks every file of the backup against its manifest; nothing is
/// written until all of them hold.
fn checked_manifest(from: &Path) -> Result<Manifest, String> {
    let path = from.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (an incomplete backup has no manifest)",
            path.display()
        )
    })?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in &manifest.entries {
        let relative = Path::new(&entry.path);
        if relative.is_absolute()
            || relative
                .components()
                .any(|c| c == std::path::Component::ParentDir)
        {
            return Err(format!(
                "{}: {:?} leaves the backup",
                path.display(),
                entry.path
            ));
        }
        let (sha256, bytes) =
            digest_of(&from.join(relative)).map_err(|e| format!("{}: {e}", entry.path))?;
        if sha256 != entry.sha256 || bytes != entry.bytes {
            return Err(format!(
                "{} does not match the manifest: the backup is damaged",
                entry.path
            ));
        }
    }
    Ok(manifest)
}

pub fn restore(from: &Path) -> i32 {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => return usage_error(e),
    };
    let manifest = match checked_manifest(from) {
        Ok(m) => m,
        Err(problem) => {
            eprintln!("restore refused: {problem}");
            return 1;
        }
    };
    let has_database = manifest.entries.iter().any(|e| e.path == DATABASE);
    if has_database {
        let DbTarget::Sqlite(target) = &settings.database else {
            return usage_error(
                "this backup holds a SQLite database; DATABASE_URL names PostgreSQL",
            );
        };
        if target.exists() {
            return usage_error(format!(
                "{} exists: restore onto a new database file (move the old one away first)",
                target.display()
            ));
        }
        if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
            if let Err(e) = std::fs::create_dir_all(parent) {
                return usage_error(format!("cannot create {}: {e}", parent.display()));
            }
        }
        if let Err(e) = copy_synced(&from.join(DATABASE), target) {
            return usage_error(format!("cannot write {}: {e}", target.display()));
        }
    }
    let mut restored = 0;
    for entry in manifest
        .entries
        .iter()
        .filter(|e| e.path.starts_with("files/"))
    {
        let target = settings.data_dir.join(&entry.path["files/".len()..]);
        if target.exists() {
            continue;
        }
        let copied = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| copy_synced(&from.join(&entry.path), &target));
        if let Err(e) = copied {
            return usage_error(format!("cannot write {}: {e}", target.display()));
        }
        restored += 1;
    }
    eprintln!(
        "restored {}{restored} stored files; the backup's log held {} events. Restore the signing key, then: releasegate audit verify --checkpoint {}",
        if has_database { "the database and " } else { "" },
        manifest.audit_events,
        from.join("checkpoint").display()
    );
    0
}

fn copy_synced(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut out = std::fs::File::create(to)?;
    std::io::copy(&mut std::fs::File::open(from)?, &mut out)?;
    out.flush()?;
    out.sync_all()
}
