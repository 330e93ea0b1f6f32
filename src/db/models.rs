//! Row structs: `X` is what a query returns, `NewX` what an insert takes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;
use super::types::{CodeList, JsonText};
use crate::ids::{FindingId, ReleaseId};
use crate::policy::{Role, Roles};
use crate::scan::{Category, Severity};
use crate::workflow::{ApplicationState, Decision, Disposition, OpenMode, StageStatus, State};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = departments)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub roles: Roles,
    pub department: Option<String>,
    pub email: Option<String>,
    pub active: bool,
    /// Consecutive failed sign-ins; reset by a success.
    pub failed_logins: i32,
    pub created_at: NaiveDateTime,
    /// Tokens issued before this are refused (password, roles or status changed).
    pub sessions_valid_after: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = releases)]
pub struct Release {
    pub id: ReleaseId,
    pub title: String,
    pub description: String,
    pub department: String,
    /// JSON array of department codes.
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub co_departments: CodeList,
    pub data_category: String,
    pub open_mode: OpenMode,
    pub cross_border: bool,
    pub publish_at: Option<NaiveDateTime>,
    pub state: State,
    pub version: i32,
    pub submitter_id: String,
    pub policy_digest: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
    /// The title and description as published: their `redact` findings
    /// masked. Set at publication; `None` before.
    pub public_title: Option<String>,
    pub public_description: Option<String>,
    /// Set by a retraction: the public then gets 410 Gone with both.
    pub retracted_at: Option<NaiveDateTime>,
    pub retraction_reason: Option<String>,
    /// A hold stops an approved (embargoed) release from going out.
    pub held_at: Option<NaiveDateTime>,
    pub held_by: Option<String>,
    pub hold_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = release_versions)]
pub struct ReleaseVersion {
    pub id: String,
    pub release_id: ReleaseId,
    pub version: i32,
    pub digest: String,
    pub meta: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = files)]
pub struct StoredFile {
    pub id: String,
    pub release_id: ReleaseId,
    pub version: i32,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub kind: String,
    pub encoding: Option<String>,
    /// SHA-256 of the published (redacted) rendition, once published.
    pub published_sha256: Option<String>,
    pub created_at: NaiveDateTime,
    /// The name as published (its `redact` findings masked), once published.
    pub public_name: Option<String>,
}

/// How many findings of one severity a version has, counted once when its
/// inspection concluded (column summaries aside).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = finding_tallies)]
pub struct FindingTally {
    pub release_id: ReleaseId,
    pub version: i32,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub severity: Severity,
    pub findings: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = findings)]
pub struct Finding {
    pub id: FindingId,
    pub release_id: ReleaseId,
    pub version: i32,
    /// `None` for a finding in the title or the description.
    pub file_id: Option<String>,
    pub entity: String,
    pub detector: String,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub category: Category,
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub severity: Severity,
    pub severity_rank: i32,
    pub confidence: f64,
    /// JSON location object as API.md shapes it (with `file`).
    #[diesel(deserialize_as = String, serialize_as = String)]
    pub location: JsonText,
    /// `Sheet1!C` / `C` for findings in a table column (and column summaries).
    pub column_ref: Option<String>,
    /// Which extracted segment of the file, and the byte range inside it: enough
    /// for the redactor to find the value again without storing it.
    /// `-1` marks a column summary, which stands for the column's findings.
    pub segment: i32,
    pub start_byte: i32,
    pub end_byte: i32,
    pub excerpt: String,
    pub masked_value: String,
    pub disposition: Option<Disposition>,
    pub disposition_note: Option<String>,
    pub disposed_by: Option<String>,
    pub disposed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// `title`, `description` or `file_name` for a finding in the release's
    /// metadata (its span is then in that text); `None` inside a file.
    pub field: Option<String>,
    /// `false` where no rendition rewrites the value's place (a whole part
    /// of a file such as an image; a workbook's sheet name, defined name or
    /// validation list).
    pub rewritable: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = release_stages)]
pub struct ReleaseStage {
    pub release_id: ReleaseId,
    pub stage: String,
    pub position: i32,
    pub status: StageStatus,
    pub role: Role,
    /// `,A,B,` — department codes allowed to act, or NULL for city-wide.
    /// The delimiters let one LIKE serve both backends in the queue query.
    pub departments: Option<String>,
    pub required_approvals: i32,
    pub approvals: i32,
    pub actionable: bool,
    /// When the stage last opened; kept after its decision (with `decided_at`).
    pub opened_at: Option<NaiveDateTime>,
    /// When the decision that stands was reached; NULL unless decided.
    pub decided_at: Option<NaiveDateTime>,
    pub deadline: Option<NaiveDateTime>,
    /// Sort key of the queue: deadline first, stages without one last.
    pub queue_rank: String,
    /// Set while the stage's clock is stopped, with the reason code.
    pub clock_stopped_at: Option<NaiveDateTime>,
    pub clock_reason: Option<String>,
    /// Working days the clock stood still in completed stops.
    pub stopped_days: i32,
    /// Working days added by extensions.
    pub extended_days: i32,
    /// The deadline runs through a year without a calendar file.
    pub provisional: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stage_decisions)]
pub struct StageDecision {
    pub id: String,
    pub release_id: ReleaseId,
    pub version: i32,
    pub stage: String,
    pub actor_id: String,
    pub actor_department: Option<String>,
    pub decision: Decision,
    pub comment: String,
    pub digest: String,
    pub dismissed: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub actor: String,
    pub action: String,
    pub release_id: Option<String>,
    pub version: Option<i32>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
    pub canonical: Vec<u8>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_checkpoints)]
pub struct CheckpointRow {
    /// Events the signed tree holds.
    pub size: i64,
    pub at: NaiveDateTime,
    /// Root hash, hex.
    pub root: String,
    /// The C2SP signed note, as published.
    pub note: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxMail {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    pub attempts: i32,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// A registered member of the public (never a staff user).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = public_accounts)]
pub struct PublicAccount {
    pub id: String,
    pub email: String,
    pub name: String,
    pub organisation: Option<String>,
    pub password_hash: String,
    pub verify_digest: Option<String>,
    pub verify_expires_at: Option<NaiveDateTime>,
    pub verified_at: Option<NaiveDateTime>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// A bulk user's own quota (requests per minute); `None`: the default.
    pub requests_per_minute: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = public_keys)]
pub struct PublicKey {
    pub id: String,
    pub account_id: String,
    pub key_digest: String,
    pub prefix: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_applications)]
pub struct AccessApplication {
    pub id: String,
    pub release_id: ReleaseId,
    pub account_id: String,
    pub purpose: String,
    pub intended_use: String,
    pub state: ApplicationState,
    pub created_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_log)]
pub struct AccessLogRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub release_id: ReleaseId,
    pub file_name: String,
    pub account_id: Option<String>,
    pub key_id: Option<String>,
    pub address: String,
    pub user_agent: Option<String>,
    pub status: i32,
    pub bytes: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = blocklist)]
pub struct BlockRow {
    pub id: String,
    pub kind: String,
    pub value: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub removed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = ratings)]
pub struct RatingRow {
    pub id: String,
    pub release_id: ReleaseId,
    pub account_id: String,
    pub availability: i32,
    pub completeness: i32,
    pub accuracy: i32,
    pub timeliness: i32,
    pub security: i32,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = demands)]
pub struct DemandRow {
    pub id: String,
    pub account_id: String,
    pub title: String,
    pub description: String,
    pub department: Option<String>,
    pub contact: String,
    pub status: String,
    pub answer: Option<String>,
    pub reason: Option<String>,
    pub withheld_reason: Option<String>,
    pub answered_by: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub due_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub reminded_at: Option<NaiveDateTime>,
    pub public_title: Option<String>,
    pub public_description: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = catalogue_items)]
pub struct CatalogueItemRow {
    pub id: String,
    pub department: String,
    pub title: String,
    pub description: String,
    pub openness: String,
    pub legal_basis: Option<String>,
    pub update_frequency: String,
    #[diesel(serialize_as = String, deserialize_as = String)]
    pub fields: CodeList,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plan_items)]
pub struct PlanItemRow {
    pub id: String,
    pub year: i32,
    pub department: String,
    pub catalogue_item_id: String,
    pub due_on: chrono::NaiveDate,
    pub release_id: Option<String>,
    pub fulfilled_on: Option<chrono::NaiveDate>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}
