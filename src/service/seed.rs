//! Bulk copies of a filed release (`releasegate dev seed`), to measure the
//! queue, the findings, the catalogue and the audit search at a million
//! releases. The service never calls it.
//!
//! Each copy gets its own ids, a department in turn, a creation time a
//! minute before the previous one, and the template's version, file,
//! findings and stages. Six copies in ten are published (every stage
//! approved); the rest keep the template's state, their open stages due
//! one to thirty-one weeks ahead, so no reminder is due yet: a backlog of
//! overdue stages would have the first reminder sweep write a mail and an
//! audit event for each, which is another measurement. Each batch
//! of copies is one audit event naming its first and last release: an
//! event per copy would make the chain, not the rows, the cost (grow the
//! log with `dev audit-events` to measure it at size).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::audit_log;
use crate::audit::Action;
use crate::db::models::{Finding, FindingTally, Release, ReleaseStage, ReleaseVersion, StoredFile};
use crate::db::schema::{
    departments, files, finding_tallies, findings, release_stages, release_versions, releases,
};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::ids::ReleaseId;
use crate::workflow::{StageStatus, State};

/// Copies written per transaction.
const BATCH: u64 = 1000;

/// What a seed wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub releases: u64,
    pub findings: u64,
}

/// A release and every row that hangs off it, as read from the template.
struct Template {
    release: Release,
    version: ReleaseVersion,
    files: Vec<StoredFile>,
    findings: Vec<Finding>,
    tallies: Vec<FindingTally>,
    stages: Vec<ReleaseStage>,
}

/// Writes `count` copies of `template` (the newest release when `None`).
pub fn seed(
    conn: &mut DbConn,
    template: Option<&str>,
    count: u64,
    now: NaiveDateTime,
) -> AppResult<Seeded> {
    let template = load_template(conn, template)?;
    let codes: Vec<String> = departments::table
        .select(departments::code)
        .order(departments::code)
        .load(conn)?;
    let mut ids = ulid::Generator::new();
    let mut seeded = Seeded {
        releases: 0,
        findings: 0,
    };
    while seeded.releases < count {
        let batch = (count - seeded.releases).min(BATCH);
        let first = seeded.releases;
        let found = write_tx(conn, |conn| -> AppResult<u64> {
            let mut rows = Rows::default();
            for i in first..first + batch {
                let department = &codes[i as usize % codes.len().max(1)];
                rows.copy(&template, i, department, now, &mut ids);
            }
            let found = rows.findings.len() as u64;
            // Owned: a release's typed columns are written through `String`.
            for chunk in rows.releases.chunks(200) {
                let chunk = chunk.to_vec();
                match conn {
                    DbConn::Postgres(c) => diesel::insert_into(releases::table)
                        .values(chunk)
                        .execute(c)?,
                    DbConn::Sqlite(c) => diesel::insert_into(releases::table)
                        .values(chunk)
                        .execute(c)?,
                };
            }
            crate::insert_batch!(conn, release_versions::table, rows.versions);
            crate::insert_batch!(conn, files::table, rows.files);
            crate::insert_batch!(conn, findings::table, rows.findings);
            crate::insert_batch!(conn, finding_tallies::table, rows.tallies);
            crate::insert_batch!(conn, release_stages::table, rows.stages);
            let details = serde_json::json!({
                "seeded_from": template.release.id,
                "copies": batch,
                "first": rows.releases.first().map(|r| &r.id),
                "last": rows.releases.last().map(|r| &r.id),
            });
            audit_log::append(
                conn,
                audit_log::draft("dev", Action::DevSeeded, None, details),
            )?;
            Ok(found)
        })?;
        seeded.releases += batch;
        seeded.findings += found;
    }
    // The planner's statistics, as autovacuum would gather them in time:
    // without them PostgreSQL reads four million findings to count fifty
    // releases' (830 ms against 3 ms), and SQLite has none of its own.
    diesel::sql_query("ANALYZE").execute(conn)?;
    Ok(seeded)
}

fn load_template(conn: &mut DbConn, id: Option<&str>) -> AppResult<Template> {
    let release: Option<Release> = match id {
        Some(id) => releases::table
            .find(id)
            .select(Release::as_select())
            .first(conn)
            .optional()?,
        None => releases::table
            .order(releases::created_at.desc())
            .select(Release::as_select())
            .first(conn)
            .optional()?,
    };
    let release = release.ok_or_else(|| {
        AppError::BadRequest(
            "no release to copy: file one first (README, walkthrough step 1)".into(),
        )
    })?;
    if release.state == State::Scanning {
        return Err(AppError::BadRequest(
            "the template is still being inspected; seed once it is not `scanning`".into(),
        ));
    }
    let version = release_versions::table
        .filter(release_versions::release_id.eq(&release.id))
        .filter(release_versions::version.eq(release.version))
        .select(ReleaseVersion::as_select())
        .first(conn)?;
    let files = files::table
        .filter(files::release_id.eq(&release.id))
        .filter(files::version.eq(release.version))
        .select(StoredFile::as_select())
        .load(conn)?;
    let findings = findings::table
        .filter(findings::release_id.eq(&release.id))
        .filter(findings::version.eq(release.version))
        .select(Finding::as_select())
        .load(conn)?;
    let tallies = finding_tallies::table
        .filter(finding_tallies::release_id.eq(&release.id))
        .filter(finding_tallies::version.eq(release.version))
        .select(FindingTally::as_select())
        .load(conn)?;
    let stages = release_stages::table
        .filter(release_stages::release_id.eq(&release.id))
        .select(ReleaseStage::as_select())
        .load(conn)?;
    Ok(Template {
        release,
        version,
        files,
        findings,
        tallies,
        stages,
    })
}

/// One transaction's rows.
#[derive(Default)]
struct Rows {
    releases: Vec<Release>,
    versions: Vec<ReleaseVersion>,
    files: Vec<StoredFile>,
    findings: Vec<Finding>,
    tallies: Vec<FindingTally>,
    stages: Vec<ReleaseStage>,
}

impl Rows {
    /// Copy `i` of the template, in `department`.
    fn copy(
        &mut self,
        t: &Template,
        i: u64,
        department: &str,
        now: NaiveDateTime,
        ids: &mut ulid::Generator,
    ) {
        let mut fresh = || {
            ids.generate()
                .unwrap_or_else(|_| ulid::Ulid::new())
                .to_string()
        };
        let id: ReleaseId = fresh().into();
        let created = now - Duration::minutes(i as i64);
        let published = i % 10 < 6;
        let mut release = t.release.clone();
        release.id = id.clone();
        release.title = format!("{} #{i}", t.release.title);
        release.department = department.to_owned();
        release.created_at = created;
        release.updated_at = created;
        if published {
            release.state = State::Published;
            release.published_at = Some(created);
            release.public_title = Some(release.title.clone());
            release.public_description = Some(release.description.clone());
        }
        let mut version = t.version.clone();
        version.id = fresh();
        version.release_id = id.clone();
        let mut file_ids = std::collections::HashMap::new();
        for file in &t.files {
            let mut copy = file.clone();
            copy.id = fresh();
            copy.release_id = id.clone();
            if published {
                copy.published_sha256 = Some(file.sha256.clone());
                copy.public_name = Some(file.name.clone());
            }
            file_ids.insert(file.id.clone(), copy.id.clone());
            self.files.push(copy);
        }
        // Findings in the metadata have no file.
        for finding in &t.findings {
            let mut found = finding.clone();
            found.id = fresh().into();
            found.release_id = id.clone();
            found.file_id = finding
                .file_id
                .as_ref()
                .and_then(|f| file_ids.get(f).cloned());
            self.findings.push(found);
        }
        for tally in &t.tallies {
            self.tallies.push(FindingTally {
                release_id: id.clone(),
                ..tally.clone()
            });
        }
        let from = format!(",{},", t.release.department);
        let to = format!(",{department},");
        for stage in &t.stages {
            let mut copy = stage.clone();
            copy.release_id = id.clone();
            copy.departments = stage.departments.as_ref().map(|d| d.replace(&from, &to));
            // A stage that was not required stays so.
            if published && stage.status != StageStatus::NotRequired {
                copy.status = StageStatus::Approved;
                copy.actionable = false;
                copy.decided_at = Some(created);
            } else if copy.actionable {
                let deadline = now + Duration::days(7) + Duration::hours((i % 5040) as i64);
                copy.deadline = Some(deadline);
                copy.queue_rank = deadline.format("%Y-%m-%dT%H:%M:%S%.6f").to_string();
            }
            self.stages.push(copy);
        }
        self.releases.push(release);
        self.versions.push(version);
    }
}
