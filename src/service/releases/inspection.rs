//! The inspection job: read and scan every file of one version, record the
//! findings, then move the release out of `scanning` (to `blocked` or
//! `in_review`) in one audited change. A file that cannot be read becomes a
//! `SCAN_FAILED` finding that blocks the release; a job that keeps failing
//! for other reasons (the store, the database) is given up the same way, so
//! a release is never in review with a file nobody has read.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::change::{settle, Change};
use super::publish::Renditions;
use super::views;
use super::{load, COLUMN_SUMMARY_SEGMENT, SYSTEM_ACTOR, WHOLE_FILE_SEGMENT};
use crate::app::AppState;
use crate::db::models::{Finding, FindingTally, Release, StoredFile};
use crate::db::schema::{files, finding_tallies, findings, releases};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::extract::VisitError;
use crate::ids::ReleaseId;
use crate::inspect::{self, Field, FileFinding, Options, Place};
use crate::jobs::Heartbeat;
use crate::workflow::State;

/// The release is still waiting for this inspection.
fn awaits(release: &Release, version: i32) -> bool {
    release.state == State::Scanning && release.version == version
}

/// Runs the inspection of `version` of `release_id` (the `inspect` job).
pub fn run(
    state: &AppState,
    beat: &Heartbeat,
    release_id: &ReleaseId,
    version: i32,
) -> AppResult<()> {
    let (release, stored) = {
        let mut conn = state.pool.get()?;
        let release = load(&mut conn, release_id)?;
        if !awaits(&release, version) {
            // Withdrawn meanwhile, or a newer version took over.
            return beat.complete(&mut conn);
        }
        // An earlier attempt may have written part of the findings.
        let stored = conn.transaction(|conn| {
            beat.hold(conn)?;
            clear_findings(conn, release_id, version)?;
            let stored = version_files(conn, release_id, version)?;
            record_metadata(state, conn, &release, &stored)?;
            AppResult::Ok(stored)
        })?;
        (release, stored)
    };
    let options = Options {
        small_cell_threshold: state
            .policies
            .statistics
            .small_cell_threshold_for(&release.data_category),
        parallel: false,
    };
    let bytes_total: i64 = stored.iter().map(|f| f.size).sum();
    let (mut bytes_done, mut summary) = (0i64, Vec::with_capacity(stored.len()));
    for (done, file) in stored.iter().enumerate() {
        summary.push(inspect_file(state, beat, &release, file, options)?);
        bytes_done += file.size;
        beat.progress(&json!({
            "files_done": done + 1, "files_total": stored.len(),
            "bytes_done": bytes_done, "bytes_total": bytes_total,
        }))?;
    }
    state.write_now(|state, conn| {
        write_tx(conn, |conn| {
            let mut release = load(conn, release_id)?;
            if awaits(&release, version) {
                conclude(
                    state,
                    conn,
                    &mut release,
                    json!({"version": version, "files": summary}),
                )?;
            }
            beat.complete(conn)
        })
    })
}

/// Reads one stored file, inspects it and records its findings as they
/// are found, in batches; returns its line of the audit summary.
fn inspect_file(
    state: &AppState,
    beat: &Heartbeat,
    release: &Release,
    file: &StoredFile,
    options: Options,
) -> AppResult<serde_json::Value> {
    let cannot_read =
        |e: std::io::Error| AppError::internal(anyhow::anyhow!("cannot read {}: {e}", file.name));
    // Read in pieces from the store (a table is never held whole); the
    // digest is checked on every reading.
    let source = state.store.source(&file.sha256).map_err(cannot_read)?;
    let mut sink = Batches::new(state, beat, release, file);
    let outcome = inspect::inspect_each(
        &state.policies.scanner,
        &file.name,
        &source,
        &state.settings.limits,
        options,
        |finding| sink.push(finding),
    );
    let (found, outline) = match outcome {
        Ok(outline) => (sink.finish()?, outline),
        // A store that cannot be read is no verdict on the file: the job
        // fails and is retried.
        Err(VisitError::Read(e)) => return Err(cannot_read(e)),
        Err(VisitError::File(e)) => {
            // Part of the file may have been recorded before the failure:
            // the file is one SCAN_FAILED finding instead.
            drop(sink);
            let failed = [inspect::scan_failed(&file.name, &e.to_string())];
            state.pool.get()?.transaction(|conn| {
                beat.hold(conn)?;
                diesel::delete(findings::table.filter(findings::file_id.eq(&file.id)))
                    .execute(conn)?;
                let mut ids = ulid::Generator::new();
                let owner = Owner::file(release, file);
                record_findings(conn, owner, &failed, &mut ids, crate::audit::now())
            })?;
            return Ok(json!({"name": file.name, "findings": 1, "scan_failed": failed[0].excerpt}));
        }
    };
    let (kind, encoding) = (outline.kind.as_str(), outline.encoding);
    state.pool.get()?.transaction(|conn| {
        beat.hold(conn)?;
        diesel::update(files::table.find(&file.id))
            .set((files::kind.eq(kind), files::encoding.eq(&encoding)))
            .execute(conn)?;
        AppResult::Ok(())
    })?;
    Ok(json!({"name": file.name, "findings": found, "encoding": encoding}))
}

/// Findings written as they come, `BATCH` at a time, each batch with a
/// connection of its own: neither the findings nor a connection are held
/// while the file is read. The first write error stops the writing and is
/// returned by `finish`.
struct Batches<'a> {
    state: &'a AppState,
    beat: &'a Heartbeat<'a>,
    release: &'a Release,
    file: &'a StoredFile,
    pending: Vec<FileFinding>,
    /// One generator for the whole file: ids stay in file order across batches.
    ids: ulid::Generator,
    written: usize,
    error: Option<AppError>,
}

const BATCH: usize = 2000;

impl<'a> Batches<'a> {
    fn new(
        state: &'a AppState,
        beat: &'a Heartbeat<'a>,
        release: &'a Release,
        file: &'a StoredFile,
    ) -> Self {
        Self {
            state,
            beat,
            release,
            file,
            pending: Vec::with_capacity(BATCH),
            ids: ulid::Generator::new(),
            written: 0,
            error: None,
        }
    }

    fn push(&mut self, finding: FileFinding) {
        if self.error.is_some() {
            return;
        }
        self.pending.push(finding);
        if self.pending.len() >= BATCH {
            if let Err(e) = self.flush() {
                self.error = Some(e);
            }
        }
    }

    fn flush(&mut self) -> AppResult<()> {
        let mut conn = self.state.pool.get()?;
        let now = crate::audit::now();
        let (release, file) = (self.release, self.file);
        conn.transaction(|conn| {
            self.beat.hold(conn)?;
            let owner = Owner::file(release, file);
            record_findings(conn, owner, &self.pending, &mut self.ids, now)
        })?;
        self.written += self.pending.len();
        self.pending.clear();
        Ok(())
    }

    /// Writes what is left; the number of findings written.
    fn finish(mut self) -> AppResult<usize> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.flush()?;
        Ok(self.written)
    }
}

/// Moves a scanned release on: the workflow decides whether it is blocked
/// or in review, the stages open and their reviewers hear of it.
fn conclude(
    state: &AppState,
    conn: &mut DbConn,
    release: &mut Release,
    details: serde_json::Value,
) -> AppResult<()> {
    let now = crate::audit::now();
    record_tallies(conn, &release.id, release.version)?;
    super::backlog::record(conn, &release.id, release.version)?;
    // Out of `scanning`; re-evaluation then says blocked or in review.
    release.state = State::InReview;
    diesel::update(releases::table.find(&release.id))
        .set(releases::state.eq(release.state.as_str()))
        .execute(conn)?;
    let change = Change {
        from: State::Scanning,
        event: crate::audit::Action::ReleaseScanned,
        details,
    };
    settle(
        state,
        conn,
        SYSTEM_ACTOR,
        release,
        change,
        &Renditions::none(),
        now,
    )?;
    Ok(())
}

/// Counts the version's findings by severity once, for every later view:
/// nothing adds a finding to a version after its inspection.
fn record_tallies(conn: &mut DbConn, release_id: &ReleaseId, version: i32) -> AppResult<()> {
    diesel::delete(
        finding_tallies::table
            .filter(finding_tallies::release_id.eq(release_id))
            .filter(finding_tallies::version.eq(version)),
    )
    .execute(conn)?;
    let rows: Vec<FindingTally> = views::count_by_severity(conn, release_id, version)?
        .into_iter()
        .map(|(severity, findings)| -> AppResult<FindingTally> {
            Ok(FindingTally {
                release_id: release_id.clone(),
                version,
                severity: severity.parse().map_err(AppError::internal)?,
                findings,
            })
        })
        .collect::<AppResult<_>>()?;
    crate::insert_batch!(conn, finding_tallies::table, rows);
    Ok(())
}

/// The inspection job was given up (`reason`): every file of the version is
/// marked `SCAN_FAILED`, which blocks the release until a new version.
pub fn give_up(
    state: &AppState,
    release_id: &ReleaseId,
    version: i32,
    reason: &str,
) -> AppResult<()> {
    state.write_now(|state, conn| {
        write_tx(conn, |conn| {
            let mut release = load(conn, release_id)?;
            if !awaits(&release, version) {
                return Ok(());
            }
            clear_findings(conn, release_id, version)?;
            let stored = version_files(conn, release_id, version)?;
            record_metadata(state, conn, &release, &stored)?;
            let why = format!("inspection failed: {reason}");
            for file in &stored {
                let failed = [inspect::scan_failed(&file.name, &why)];
                let owner = Owner::file(&release, file);
                let mut ids = ulid::Generator::new();
                record_findings(conn, owner, &failed, &mut ids, crate::audit::now())?;
            }
            conclude(
                state,
                conn,
                &mut release,
                json!({"version": version, "failed": why}),
            )
        })
    })
}

/// The files of one version, in name order (the order they are inspected in).
fn version_files(
    conn: &mut DbConn,
    release_id: &ReleaseId,
    version: i32,
) -> AppResult<Vec<StoredFile>> {
    Ok(files::table
        .filter(files::release_id.eq(release_id))
        .filter(files::version.eq(version))
        .order(files::name)
        .select(StoredFile::as_select())
        .load(conn)?)
}

fn clear_findings(conn: &mut DbConn, release_id: &ReleaseId, version: i32) -> AppResult<()> {
    diesel::delete(
        findings::table
            .filter(findings::release_id.eq(release_id))
            .filter(findings::version.eq(version)),
    )
    .execute(conn)?;
    Ok(())
}

/// What a batch of findings belongs to: a version, and a file unless they
/// are in the title or the description.
#[derive(Clone, Copy)]
struct Owner<'a> {
    release_id: &'a ReleaseId,
    version: i32,
    file_id: Option<&'a str>,
}

impl<'a> Owner<'a> {
    fn file(release: &'a Release, file: &'a StoredFile) -> Self {
        Self {
            release_id: &release.id,
            version: file.version,
            file_id: Some(&file.id),
        }
    }
}

/// Scans what is published besides the files — the title, the description
/// and every file name — and records what it finds.
fn record_metadata(
    state: &AppState,
    conn: &mut DbConn,
    release: &Release,
    stored: &[StoredFile],
) -> AppResult<()> {
    let scanner = &state.policies.scanner;
    let now = crate::audit::now();
    let mut ids = ulid::Generator::new();
    let owner = Owner {
        release_id: &release.id,
        version: release.version,
        file_id: None,
    };
    let fields = [
        (Field::Title, &release.title),
        (Field::Description, &release.description),
    ];
    for (field, text) in fields {
        let found = inspect::inspect_field(scanner, field, None, text);
        record_findings(conn, owner, &found, &mut ids, now)?;
    }
    for file in stored {
        let found = inspect::inspect_field(scanner, Field::FileName, Some(&file.name), &file.name);
        record_findings(conn, Owner::file(release, file), &found, &mut ids, now)?;
    }
    Ok(())
}

/// Writes findings in multi-row batches.
fn record_findings(
    conn: &mut DbConn,
    owner: Owner,
    found: &[FileFinding],
    ids: &mut ulid::Generator,
    now: NaiveDateTime,
) -> AppResult<()> {
    if found.is_empty() {
        return Ok(());
    }
    // Monotonic ids keep findings in file order for keyset paging.
    let rows: Vec<Finding> = found
        .iter()
        .map(|f| -> AppResult<Finding> {
            Ok(Finding {
                id: ids.generate().unwrap_or_else(|_| ulid::Ulid::new()).into(),
                release_id: owner.release_id.clone(),
                version: owner.version,
                file_id: owner.file_id.map(str::to_owned),
                entity: f.entity.clone(),
                detector: f.detector.clone(),
                category: f.category,
                severity: f.severity,
                severity_rank: f.severity as i32,
                confidence: f.confidence,
                location: serde_json::to_value(&f.location)
                    .map_err(AppError::internal)?
                    .into(),
                column_ref: f.column.clone(),
                segment: match (f.span, &f.column) {
                    (Some(span), _) => span.segment as i32,
                    (None, Some(_)) => COLUMN_SUMMARY_SEGMENT,
                    (None, None) => WHOLE_FILE_SEGMENT,
                },
                start_byte: f.span.map_or(0, |s| s.start as i32),
                end_byte: f.span.map_or(0, |s| s.end as i32),
                excerpt: f.excerpt.clone(),
                masked_value: f.masked_value.clone(),
                disposition: None,
                disposition_note: None,
                disposed_by: None,
                disposed_at: None,
                created_at: now,
                field: match f.location.place {
                    Place::Field { field } => Some(field.as_str().to_owned()),
                    _ => None,
                },
                // A whole part of a file (an image, an embedded object) or a
                // workbook's names: no rendition rewrites them.
                rewritable: (f.span.is_some() || f.column.is_some())
                    && !matches!(&f.location.place, Place::At(at) if at.is_workbook()),
            })
        })
        .collect::<AppResult<_>>()?;
    crate::insert_batch!(conn, findings::table, rows);
    Ok(())
}
