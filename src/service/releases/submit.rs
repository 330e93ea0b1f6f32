//! Filing a release and adding versions: validate the metadata, inspect and
//! store every file, record findings, route through the workflow.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use super::change::{commit, settle, Applied, Change};
use super::publish::Renditions;
use super::{load, views, ReleaseView};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::models::{Release, ReleaseVersion, StoredFile};
use crate::db::schema::{departments, files, release_versions, releases, stage_decisions};
use crate::db::types::CodeList;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::extract::{self, ExtractError, FileKind, Limits, VisitError};
use crate::ids::ReleaseId;
use crate::jobs::{self, Task};
use crate::store::{sha256_hex, StoreWriter};
use crate::workflow::{self, Action, OpenMode, State};

/// The `meta` part of a submission.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseMeta {
    /// 1-200 characters, not all blank.
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: String,
    /// The lead department's code.
    pub department: String,
    /// Co-responsible departments, each of which signs off; not the lead department.
    #[serde(default)]
    pub co_departments: Vec<String>,
    /// Free text; policies act on known values such as `statistics`.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub data_category: String,
    pub open_mode: OpenMode,
    #[serde(default)]
    pub cross_border: bool,
    pub publish_at: Option<DateTime<Utc>>,
}

/// A filing's metadata once it keeps the rules every filing keeps (lengths,
/// no NUL, co-departments distinct and apart from the lead): what the
/// service files and revises with. Handlers get one from the request body
/// with `try_from`; whether the departments exist is asked of the database.
#[derive(Debug, Clone)]
pub struct NewRelease(ReleaseMeta);

impl std::ops::Deref for NewRelease {
    type Target = ReleaseMeta;
    fn deref(&self) -> &ReleaseMeta {
        &self.0
    }
}

impl TryFrom<ReleaseMeta> for NewRelease {
    type Error = AppError;
    fn try_from(meta: ReleaseMeta) -> AppResult<Self> {
        meta.validate()?;
        Ok(Self(meta))
    }
}

impl ReleaseMeta {
    fn validate(&self) -> AppResult<()> {
        let bad = |m: String| Err(AppError::BadRequest(m));
        let texts = [
            &self.title,
            &self.description,
            &self.department,
            &self.data_category,
        ];
        if texts
            .into_iter()
            .chain(&self.co_departments)
            .any(|t| t.contains('\0'))
        {
            return bad("meta must not contain a NUL character".into());
        }
        // Lengths count the text as sent, as the API document's maxLength does.
        let blank = |t: &str| t.trim().is_empty();
        if blank(&self.title) || self.title.chars().count() > 200 {
            return bad("meta.title must be 1-200 characters, not all blank".into());
        }
        if self.description.chars().count() > 10_000 {
            return bad("meta.description must be at most 10000 characters".into());
        }
        if blank(&self.data_category) || self.data_category.chars().count() > 100 {
            return bad("meta.data_category must be 1-100 characters, not all blank".into());
        }
        let unique: BTreeSet<_> = self.co_departments.iter().collect();
        let problem = if unique.len() != self.co_departments.len() {
            Some("meta.co_departments lists a department twice")
        } else if unique.contains(&self.department) {
            Some("the lead department cannot also be a co-department")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(AppError::Rule {
                code: ErrorCode::CoDepartmentsInvalid,
                message: problem.into(),
            });
        }
        Ok(())
    }
}

/// One uploaded file.
pub struct Upload {
    pub name: String,
    /// Its bytes, spooled in the store and kept there only once every
    /// file of the submission passed (`store_uploads`).
    pub spool: StoreWriter,
}

/// A file the upload rules refuse (its name, emptiness, a repeat, the
/// count): 422, since the API document cannot describe file names or bytes.
fn invalid_file(message: String) -> AppError {
    AppError::Rule {
        code: ErrorCode::InvalidFile,
        message,
    }
}

/// File names become download paths: a plain, visible name, no directories.
fn validate_file_name(name: &str) -> AppResult<()> {
    if name.chars().any(crate::scan::is_invisible) {
        return Err(invalid_file(format!(
            "file name {name:?} contains an invisible or bidirectional control character"
        )));
    }
    let ok = !name.is_empty()
        && name.chars().count() <= 200
        && !name.contains(['/', '\\', '\0'])
        && name != "."
        && name != ".."
        && !name.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(invalid_file(format!(
            "file name {name:?} must be a plain name of at most 200 characters"
        )))
    }
}

/// Refusals an upload gets at once, before anything is stored: a kind the
/// service cannot read at all (415) or a file over the size limit (413).
/// Whatever else is wrong with a file is found by its inspection, and ends
/// as a `SCAN_FAILED` finding.
fn refuse_upfront(
    name: &str,
    spool: &mut StoreWriter,
    limits: &Limits,
) -> AppResult<Option<FileKind>> {
    if let Some(max) = limits.max_file_bytes.filter(|&m| spool.len() > m) {
        return Err(AppError::TooLarge(format!(
            "{name}: file size {} bytes exceeds limit {max}",
            spool.len()
        )));
    }
    let written = spool.read_back().map_err(AppError::internal)?;
    match extract::kind_of_source(name, &written) {
        Ok(kind) => Ok(Some(kind)),
        Err(VisitError::Read(e)) => Err(AppError::internal(e)),
        Err(VisitError::File(e @ ExtractError::Unsupported { .. })) => {
            Err(AppError::UnsupportedType(format!("{name}: {e}")))
        }
        Err(VisitError::File(_)) => Ok(None),
    }
}

/// One upload, stored and waiting for its inspection.
pub struct Stored {
    name: String,
    sha256: String,
    size: usize,
    /// `None` when the first bytes already look wrong (the inspection says how).
    kind: Option<FileKind>,
}

/// Checks the uploads and stores them (content-addressed): the half of a
/// submission that needs no database, run with no connection held
/// (`AppState::off_pool`). Nothing is stored unless every file passed.
pub fn store_uploads(state: &AppState, mut uploads: Vec<Upload>) -> AppResult<Vec<Stored>> {
    if uploads.is_empty() {
        return Err(AppError::BadRequest(
            "at least one \"file\" part is required".into(),
        ));
    }
    let max_files = state.settings.max_files_per_release;
    if uploads.len() > max_files {
        return Err(invalid_file(format!(
            "{} files in one submission; at most {max_files} are accepted",
            uploads.len()
        )));
    }
    let mut names = BTreeSet::new();
    let mut kinds = Vec::with_capacity(uploads.len());
    for upload in &mut uploads {
        validate_file_name(&upload.name)?;
        if upload.spool.is_empty() {
            return Err(invalid_file(format!("file {:?} is empty", upload.name)));
        }
        if !names.insert(upload.name.clone()) {
            return Err(invalid_file(format!(
                "two files are named {:?}",
                upload.name
            )));
        }
        kinds.push(refuse_upfront(
            &upload.name,
            &mut upload.spool,
            &state.settings.limits,
        )?);
    }
    uploads
        .into_iter()
        .zip(kinds)
        .map(|(upload, kind)| {
            let size = upload.spool.len();
            let sha256 = upload.spool.finish().map_err(AppError::internal)?;
            Ok(Stored {
                name: upload.name,
                sha256,
                size: usize::try_from(size).unwrap_or(usize::MAX),
                kind,
            })
        })
        .collect()
}

/// SHA-256 over the canonical JSON of the metadata and the file manifest:
/// what an approval is bound to.
fn version_digest(meta: &ReleaseMeta, files: &[Stored]) -> String {
    let mut manifest: Vec<_> = files
        .iter()
        .map(|f| serde_json::json!({"name": f.name, "sha256": f.sha256}))
        .collect();
    manifest.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    let doc = serde_json::json!({"meta": meta, "files": manifest});
    // JCS cannot fail on a Value built from strings and numbers.
    sha256_hex(&serde_json_canonicalizer::to_vec(&doc).unwrap_or_default())
}

/// Every department named must exist.
pub fn check_departments(conn: &mut DbConn, meta: &ReleaseMeta) -> AppResult<()> {
    let wanted: Vec<&String> = std::iter::once(&meta.department)
        .chain(&meta.co_departments)
        .collect();
    let known: Vec<String> = departments::table
        .filter(departments::code.eq_any(&wanted))
        .select(departments::code)
        .load(conn)?;
    match wanted.iter().find(|w| !known.contains(w)) {
        Some(missing) => Err(AppError::Rule {
            code: ErrorCode::UnknownDepartment,
            message: format!("unknown department {missing}"),
        }),
        None => Ok(()),
    }
}

/// Writes the version row and its files, and queues their inspection;
/// returns the manifest for the audit event.
fn record_version(
    conn: &mut DbConn,
    release: &Release,
    user: &CurrentUser,
    meta: &ReleaseMeta,
    stored: &[Stored],
    now: NaiveDateTime,
) -> AppResult<serde_json::Value> {
    let digest = version_digest(meta, stored);
    diesel::insert_into(release_versions::table)
        .values(ReleaseVersion {
            id: ulid::Ulid::new().to_string(),
            release_id: release.id.clone(),
            version: release.version,
            digest: digest.clone(),
            meta: serde_json::to_string(meta).map_err(AppError::internal)?,
            created_by: user.id.clone(),
            created_at: now,
        })
        .execute(conn)?;
    let mut manifest = Vec::new();
    for file in stored {
        diesel::insert_into(files::table)
            .values(StoredFile {
                id: ulid::Ulid::new().to_string(),
                release_id: release.id.clone(),
                version: release.version,
                name: file.name.clone(),
                sha256: file.sha256.clone(),
                size: file.size as i64,
                kind: file.kind.map_or(UNKNOWN_KIND, FileKind::as_str).into(),
                encoding: None,
                published_sha256: None,
                created_at: now,
                public_name: None,
            })
            .execute(conn)?;
        manifest.push(serde_json::json!({
            "name": file.name, "sha256": file.sha256, "size": file.size,
        }));
    }
    jobs::enqueue(
        conn,
        &Task::Inspect {
            release_id: release.id.clone(),
            version: release.version,
        },
        now,
    )?;
    Ok(serde_json::json!({"digest": digest, "files": manifest}))
}

/// `files.kind` of a file whose first bytes did not tell its kind.
const UNKNOWN_KIND: &str = "unknown";

/// Files a release: checks the metadata, stores the files off the pool,
/// then records the release (in `scanning`) and queues the inspection of
/// its files in one audited transaction.
pub async fn file_release(
    state: &AppState,
    user: CurrentUser,
    meta: NewRelease,
    uploads: Vec<Upload>,
) -> AppResult<ReleaseView> {
    workflow::may_file(&user.actor(), &meta.department)?;
    let checked = meta.clone();
    state
        .run(move |conn| check_departments(conn, &checked))
        .await?;
    let stored = state
        .off_pool(move |state| store_uploads(state, uploads))
        .await?;
    let view = state
        .write(move |state, conn| submit(state, conn, &user, meta, stored))
        .await?;
    state.job_wake.notify_one();
    Ok(view)
}

/// Records a new release whose files `store_uploads` has stored.
pub fn submit(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    meta: NewRelease,
    stored: Vec<Stored>,
) -> AppResult<ReleaseView> {
    workflow::may_file(&user.actor(), &meta.department)?;
    check_departments(conn, &meta)?;
    let now = crate::audit::now();
    let id = write_tx(conn, |conn| {
        let mut release = Release {
            id: ReleaseId::new(),
            title: meta.title.trim().into(),
            description: meta.description.clone(),
            department: meta.department.clone(),
            co_departments: CodeList(meta.co_departments.clone()),
            data_category: meta.data_category.trim().into(),
            open_mode: meta.open_mode,
            cross_border: meta.cross_border,
            publish_at: meta.publish_at.map(|t| t.naive_utc()),
            state: State::Scanning,
            version: 1,
            submitter_id: user.id.clone(),
            policy_digest: state.policies.digest.clone(),
            created_at: now,
            updated_at: now,
            published_at: None,
            public_title: None,
            public_description: None,
            retracted_at: None,
            retraction_reason: None,
            held_at: None,
            held_by: None,
            hold_reason: None,
        };
        diesel::insert_into(releases::table)
            .values(release.clone())
            .execute(conn)?;
        let manifest = record_version(conn, &release, user, &meta, &stored, now)?;
        let details = serde_json::json!({
            "title": release.title, "department": release.department,
            "co_departments": meta.co_departments, "cross_border": release.cross_border,
            "policy_digest": release.policy_digest, "version": manifest,
        });
        let change = Change {
            from: State::Scanning,
            event: crate::audit::Action::ReleaseSubmitted,
            details,
        };
        settle(
            state,
            conn,
            &user.username,
            &mut release,
            change,
            &Renditions::none(),
            now,
        )?;
        Ok::<_, AppError>(release.id)
    })?;
    views::view(state, conn, user, &id)
}

/// What a new version is built on: the metadata it will carry and the
/// version it follows.
pub struct VersionBasis {
    meta: NewRelease,
    follows: i32,
}

impl VersionBasis {
    /// The metadata the new version will carry.
    pub fn meta(&self) -> &NewRelease {
        &self.meta
    }
}

/// A new version: every approval given to the old one dismissed, and its
/// files queued for inspection. They are stored off the pool between the
/// two reads.
pub async fn revise_release(
    state: &AppState,
    user: CurrentUser,
    id: ReleaseId,
    meta: Option<NewRelease>,
    uploads: Vec<Upload>,
) -> AppResult<ReleaseView> {
    let (me, release_id) = (user.clone(), id.clone());
    let basis = state
        .call(move |state, conn| version_basis(state, conn, &me, &release_id, meta))
        .await?;
    let stored = state
        .off_pool(move |state| store_uploads(state, uploads))
        .await?;
    let view = state
        .write(move |state, conn| add_version(state, conn, &user, &id, basis, stored))
        .await?;
    state.job_wake.notify_one();
    Ok(view)
}

/// Checks early that `user` may revise the release (so a refused upload is
/// never stored) and settles the metadata of the new version.
pub fn version_basis(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &ReleaseId,
    meta: Option<NewRelease>,
) -> AppResult<VersionBasis> {
    let existing = load(conn, id)?;
    let facts = super::evaluate::release_facts(conn, &state.policies.workflow, &existing)?;
    workflow::allowed(
        &state.policies.workflow,
        &facts,
        &user.actor(),
        &Action::AddVersion,
    )?;
    let meta = match meta {
        Some(meta) => {
            if meta.department != existing.department {
                return Err(AppError::Rule {
                    code: ErrorCode::DepartmentFixed,
                    message: "a new version cannot change the lead department".into(),
                });
            }
            check_departments(conn, &meta)?;
            meta
        }
        None => previous_meta(conn, &existing)?,
    };
    Ok(VersionBasis {
        meta,
        follows: existing.version,
    })
}

/// Records a new version stored by `store_uploads`. The rules are asked
/// again under the audit lock: a release that became final meanwhile (a
/// final sign-off, a veto, a withdrawal) takes no new version, and one that
/// got another version meanwhile is not silently overwritten.
pub fn add_version(
    state: &AppState,
    conn: &mut DbConn,
    user: &CurrentUser,
    id: &ReleaseId,
    basis: VersionBasis,
    stored: Vec<Stored>,
) -> AppResult<ReleaseView> {
    let VersionBasis { meta, follows } = basis;
    commit(
        state,
        conn,
        user,
        id,
        (
            Action::AddVersion,
            crate::audit::Action::ReleaseVersionAdded,
        ),
        &Renditions::none(),
        |conn, release, _, now| {
            if release.version != follows {
                return Err(AppError::Rule {
                    code: ErrorCode::ReleaseChanged,
                    message: format!(
                        "version {} was added meanwhile; file the new version against it",
                        release.version
                    ),
                });
            }
            release.version += 1;
            release.title = meta.title.trim().into();
            release.description = meta.description.clone();
            release.co_departments = CodeList(meta.co_departments.clone());
            release.data_category = meta.data_category.trim().into();
            release.cross_border = meta.cross_border;
            release.publish_at = meta.publish_at.map(|t| t.naive_utc());
            release.policy_digest = state.policies.digest.clone();
            // A new version answers a request for changes: review starts
            // over once its files are inspected.
            release.state = State::Scanning;
            release.updated_at = now;
            diesel::update(releases::table.find(id))
                .set(release.clone())
                .execute(conn)?;
            let dismissed = diesel::update(
                stage_decisions::table
                    .filter(stage_decisions::release_id.eq(id))
                    .filter(stage_decisions::dismissed.eq(false)),
            )
            .set(stage_decisions::dismissed.eq(true))
            .execute(conn)?;
            let manifest = record_version(conn, release, user, &meta, &stored, now)?;
            Ok(Applied {
                value: (),
                details: serde_json::json!({
                    "version": manifest, "dismissed_decisions": dismissed,
                }),
            })
        },
    )?;
    views::view(state, conn, user, id)
}

/// The metadata of the release's current version, as it was filed (so it
/// kept the rules then), with today's co-departments.
fn previous_meta(conn: &mut DbConn, release: &Release) -> AppResult<NewRelease> {
    let stored: String = release_versions::table
        .filter(release_versions::release_id.eq(&release.id))
        .filter(release_versions::version.eq(release.version))
        .select(release_versions::meta)
        .first(conn)?;
    let mut meta: ReleaseMeta = serde_json::from_str(&stored).map_err(AppError::internal)?;
    meta.co_departments = release.co_departments.to_vec();
    Ok(NewRelease(meta))
}
