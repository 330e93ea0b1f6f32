//! Publication: the redacted rendition of every file of the approved version
//! goes to the store, and only then does the release show in `/public`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::evaluate::{release_facts, Transition};
use super::SYSTEM_ACTOR;
use super::{State, COLUMN_SUMMARY_SEGMENT};
use crate::app::AppState;
use crate::db::models::{Finding, Release, StoredFile};
use crate::db::schema::{files, findings, releases};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::extract::{self, FileKind, Limits, Segment};
use crate::ids::{FindingId, ReleaseId};
use crate::inspect::{names_column, Field};
use crate::redact::{self, Redaction};
use crate::scan;
use crate::service::audit_log;
use crate::workflow::{self, Disposition};

/// Renditions rendered before the transaction that publishes, so the audit
/// lock is not held while files are rewritten. Each is keyed by what it was
/// rendered from (the file and a digest of the ids of its `redact`
/// findings): one whose inputs changed meanwhile is rendered again inside
/// the transaction. Renditions are content-addressed, so an unused one is
/// harmless.
#[derive(Default)]
pub struct Renditions(BTreeMap<(String, String), String>);

impl Renditions {
    pub fn none() -> Self {
        Self::default()
    }
}

fn current_files(conn: &mut DbConn, release: &Release) -> AppResult<Vec<StoredFile>> {
    Ok(files::table
        .filter(files::release_id.eq(&release.id))
        .filter(files::version.eq(release.version))
        .select(StoredFile::as_select())
        .load(conn)?)
}

/// The `redact` findings inside a file's content (not in its name), read
/// a page at a time and kept only as what the rendition needs: a table
/// masked column by column has a finding in every cell. Pages go from the
/// newest id down, so a file's column summaries (written after its cells)
/// come before the cells they mask, which are then kept without their
/// masked values.
fn redactions_of(conn: &mut DbConn, file: &StoredFile) -> AppResult<FileRedactions> {
    const PAGE: i64 = 10_000;
    let mut out = FileRedactions::default();
    let mut ids = Sha256::new();
    let mut before: Option<FindingId> = None;
    loop {
        let mut page = findings::table
            .filter(findings::file_id.eq(&file.id))
            .filter(findings::field.is_null())
            .filter(findings::disposition.eq(Disposition::Redact))
            .into_boxed();
        if let Some(last) = &before {
            page = page.filter(findings::id.lt(last.clone()));
        }
        let rows: Vec<RedactRow> = page
            .order(findings::id.desc())
            .limit(PAGE)
            .select(RedactRow::as_select())
            .load(conn)?;
        let done = rows.len() < PAGE as usize;
        before = rows.last().map(|r| r.id.clone());
        for row in rows {
            ids.update(row.id.as_bytes());
            ids.update(b"\n");
            out.add(row);
        }
        if done {
            break;
        }
    }
    out.spans.sort_by_key(|s| (s.segment, s.start));
    out.covered.sort_by_key(|c| (c.segment, c.start));
    out.digest = hex::encode(ids.finalize());
    Ok(out)
}

/// Renders the redacted files of the release's current version, outside
/// any transaction.
pub(super) fn prerender(
    state: &AppState,
    conn: &mut DbConn,
    release_id: &ReleaseId,
) -> AppResult<Renditions> {
    let release = super::load(conn, release_id)?;
    let mut out = Renditions::none();
    for file in current_files(conn, &release)? {
        let redact = redactions_of(conn, &file)?;
        let digest = redact.digest.clone();
        let sha256 = render(state, &file, redact)?;
        out.0.insert((file.id, digest), sha256);
    }
    Ok(out)
}

/// Publishes when a transition ended in `Published`. Runs in the caller's transaction.
pub(super) fn after_transition(
    state: &AppState,
    conn: &mut DbConn,
    release: &mut Release,
    transition: &Transition,
    (actor, renditions): (&str, &Renditions),
    now: NaiveDateTime,
) -> AppResult<()> {
    if transition.to == State::Published && transition.from != State::Published {
        publish(state, conn, release, (actor, renditions), now)?;
    }
    Ok(())
}

fn publish(
    state: &AppState,
    conn: &mut DbConn,
    release: &mut Release,
    (actor, prepared): (&str, &Renditions),
    now: NaiveDateTime,
) -> AppResult<()> {
    let current = current_files(conn, release)?;
    let mut metadata = PublicMetadata::load(conn, release)?;
    let mut renditions = Vec::with_capacity(current.len());
    for file in current {
        let public_name = metadata.file_name(&file)?;
        let redact = redactions_of(conn, &file)?;
        let count = redact.count;
        let sha256 = match prepared.0.get(&(file.id.clone(), redact.digest.clone())) {
            Some(sha256) => sha256.clone(),
            None => render(state, &file, redact)?,
        };
        diesel::update(files::table.find(&file.id))
            .set((
                files::published_sha256.eq(&sha256),
                files::public_name.eq(&public_name),
            ))
            .execute(conn)?;
        renditions.push(serde_json::json!({"name": file.name, "public_name": public_name, "original_sha256": file.sha256, "sha256": sha256, "redactions": count}));
    }
    let (title, description) = metadata.title_and_description(release)?;
    release.state = State::Published;
    release.published_at = Some(now);
    diesel::update(releases::table.find(&release.id))
        .set((
            releases::state.eq(State::Published.as_str()),
            releases::published_at.eq(now),
            releases::updated_at.eq(now),
            releases::public_title.eq(&title),
            releases::public_description.eq(&description),
        ))
        .execute(conn)?;
    release.public_title = Some(title);
    release.public_description = Some(description);
    audit_log::append(
        conn,
        audit_log::draft(
            actor,
            crate::audit::Action::ReleasePublished,
            Some((&release.id, release.version)),
            serde_json::json!({"files": renditions}),
        ),
    )?;
    // Every publication is sealed by a checkpoint that covers it at once.
    crate::service::audit_tree::checkpoint(conn, &state.checkpoint_key)?;
    Ok(())
}

/// The metadata as published: title, description and file names with their
/// `redact` findings masked by the same masked values reviewers saw.
struct PublicMetadata {
    redact: Vec<Finding>,
    /// Public names given so far: two names that mask alike stay distinct.
    names: BTreeSet<String>,
}

impl PublicMetadata {
    fn load(conn: &mut DbConn, release: &Release) -> AppResult<Self> {
        let redact = findings::table
            .filter(findings::release_id.eq(&release.id))
            .filter(findings::version.eq(release.version))
            .filter(findings::field.is_not_null())
            .filter(findings::disposition.eq(Disposition::Redact))
            .order(findings::id.asc())
            .select(Finding::as_select())
            .load(conn)?;
        Ok(Self {
            redact,
            names: BTreeSet::new(),
        })
    }

    fn masked(&self, text: &str, field: Field, file_id: Option<&str>) -> AppResult<String> {
        let redactions: Vec<Redaction> = self
            .redact
            .iter()
            .filter(|f| f.field.as_deref() == Some(field.as_str()))
            .filter(|f| f.file_id.as_deref() == file_id)
            .map(|f| Redaction {
                segment: 0,
                start: f.start_byte as usize,
                end: f.end_byte as usize,
                replacement: f.masked_value.clone(),
            })
            .collect();
        redact::render_text(text, &redactions).map_err(AppError::internal)
    }

    fn title_and_description(&self, release: &Release) -> AppResult<(String, String)> {
        Ok((
            self.masked(&release.title, Field::Title, None)?,
            self.masked(&release.description, Field::Description, None)?,
        ))
    }

    /// The file's public name, unique within the release.
    fn file_name(&mut self, file: &StoredFile) -> AppResult<String> {
        let masked = self.masked(&file.name, Field::FileName, Some(&file.id))?;
        let (stem, ext) = match masked.rfind('.') {
            Some(dot) if dot > 0 => masked.split_at(dot),
            _ => (masked.as_str(), ""),
        };
        let mut name = masked.clone();
        let mut n = 2;
        while self.names.contains(&name) {
            name = format!("{stem}-{n}{ext}");
            n += 1;
        }
        self.names.insert(name.clone());
        Ok(name)
    }
}

/// Writes the rendition of one file with its `redact` findings masked and
/// returns its SHA-256. The original stays untouched in the store. A CSV
/// file is rendered cell by cell as it is read, never held; other kinds
/// are extracted whole, as their limits allow.
fn render(state: &AppState, file: &StoredFile, redact: FileRedactions) -> AppResult<String> {
    let kind = FileKind::parse(&file.kind);
    if redact.count == 0 && !kind.is_some_and(FileKind::is_package) {
        return Ok(file.sha256.clone());
    }
    let mut cells = CellRedactions::new(redact);
    if kind == Some(FileKind::Csv) {
        // Read from the store and written into it in pieces: a large
        // table is never held.
        let source = state
            .store
            .source(&file.sha256)
            .map_err(AppError::internal)?;
        let mut rendition = state.store.writer().map_err(AppError::internal)?;
        redact::render_csv(&file.name, &source, &mut rendition, |index, cell| {
            cells.of(index, cell)
        })
        .map_err(AppError::internal)?;
        cells.all_placed(file)?;
        return rendition.finish().map_err(AppError::internal);
    }
    let original = state.store.get(&file.sha256).map_err(AppError::internal)?;
    let extracted = extract::extract(&file.name, &original, &Limits::unlimited())
        .map_err(AppError::internal)?;
    let redactions: Vec<Redaction> = (extracted.segments.iter().enumerate())
        .flat_map(|(index, segment)| cells.of(index, segment))
        .collect();
    let bytes = redact::render(&file.name, &original, &extracted, &redactions)
        .map_err(AppError::internal)?;
    cells.all_placed(file)?;
    state.store.put(&bytes).map_err(AppError::internal)
}

/// What a rendition reads of a `redact` finding in a file's content.
#[derive(Queryable, Selectable)]
#[diesel(table_name = findings)]
struct RedactRow {
    id: FindingId,
    entity: String,
    column_ref: Option<String>,
    segment: i32,
    start_byte: i32,
    end_byte: i32,
    masked_value: String,
}

/// A file's `redact` findings as a rendition uses them.
#[derive(Default)]
struct FileRedactions {
    /// (column key, entity) of each column summary: the column masked whole.
    columns: Vec<(String, String)>,
    /// Findings of a type whose column is masked whole, by segment and start.
    covered: Vec<Covered>,
    /// Every other finding, by segment and start.
    spans: Vec<Span>,
    /// How many findings, and a digest of their ids: what was rendered.
    count: usize,
    digest: String,
}

impl FileRedactions {
    fn add(&mut self, row: RedactRow) {
        self.count += 1;
        let column = row.column_ref.as_deref().map(|key| {
            self.columns
                .iter()
                .position(|(k, entity)| k == key && *entity == row.entity)
        });
        match column {
            _ if row.segment == COLUMN_SUMMARY_SEGMENT => {
                if let Some(key) = row.column_ref {
                    self.columns.push((key, row.entity));
                }
            }
            Some(Some(column)) => self.covered.push(Covered {
                segment: row.segment as u32,
                start: row.start_byte as u32,
                end: row.end_byte as u32,
                column: column as u32,
            }),
            _ => self.spans.push(Span {
                segment: row.segment as usize,
                start: row.start_byte as usize,
                end: row.end_byte as usize,
                masked_value: row.masked_value,
            }),
        }
    }
}

/// A finding's place and the masked value reviewers saw, which is exactly
/// what is published.
struct Span {
    segment: usize,
    start: usize,
    end: usize,
    masked_value: String,
}

/// A finding inside a column masked whole: its body cell is masked with the
/// column, so only a header cell needs it, masked as the finding was (by its
/// type). Two million of these take 32 MB; as [`Span`]s, about 160.
struct Covered {
    segment: u32,
    start: u32,
    end: u32,
    /// Index of its column summary in [`FileRedactions::columns`].
    column: u32,
}

/// A file's redactions handed out segment by segment, in segment order (as
/// both a CSV visit and an extraction go): a column summary masks every
/// body cell of its column, detected or not; any other finding masks its
/// own span.
struct CellRedactions {
    redact: FileRedactions,
    /// The first span and the first covered finding not handed out yet.
    next: (usize, usize),
    /// Findings whose segment was handed out: all of them, or the file no
    /// longer reads as it did when it was scanned.
    placed: usize,
}

impl CellRedactions {
    fn new(redact: FileRedactions) -> Self {
        Self {
            redact,
            next: (0, 0),
            placed: 0,
        }
    }

    fn of(&mut self, index: usize, segment: &Segment) -> Vec<Redaction> {
        let spans = in_segment(&self.redact.spans, &mut self.next.0, |s| s.segment, index);
        let covered = in_segment(
            &self.redact.covered,
            &mut self.next.1,
            |c| c.segment as usize,
            index,
        );
        self.placed += spans.len() + covered.len();
        let columns = &self.redact.columns;
        let masked_as: Vec<&str> = (segment.column.as_ref().filter(|c| c.row > 1))
            .map(|column| {
                (columns.iter().filter(|(key, _)| names_column(key, column)))
                    .map(|(_, entity)| entity.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if !masked_as.is_empty() {
            if segment.text.is_empty() {
                return Vec::new();
            }
            // Each mask hides only its own kind (a phone's leaves the words
            // around it): a cell masked as one type shows what reviewers saw
            // of that type; one that holds more (a second masked type, a
            // finding of its own) is starred whole.
            let replacement = match (masked_as.as_slice(), spans.is_empty()) {
                ([entity], true) => scan::mask(entity, &segment.text),
                _ => starred(&segment.text),
            };
            return vec![Redaction {
                segment: index,
                start: 0,
                end: segment.text.len(),
                replacement,
            }];
        }
        let own = spans.iter().map(|s| Redaction {
            segment: index,
            start: s.start,
            end: s.end,
            replacement: s.masked_value.clone(),
        });
        // A range that is no longer the text's is left to the renderer to
        // refuse, with the others of its segment.
        let headers = covered.iter().map(|c| {
            let (start, end) = (c.start as usize, c.end as usize);
            let value = segment.text.get(start..end).unwrap_or_default();
            Redaction {
                segment: index,
                start,
                end,
                replacement: scan::mask(&columns[c.column as usize].1, value),
            }
        });
        own.chain(headers).collect()
    }

    fn all_placed(&self, file: &StoredFile) -> AppResult<()> {
        let missing = self.redact.spans.len() + self.redact.covered.len() - self.placed;
        if missing == 0 {
            return Ok(());
        }
        Err(AppError::internal(anyhow::anyhow!(
            "{missing} of the redact findings of {} name a segment the file no longer has",
            file.name
        )))
    }
}

/// Every character but blanks as `*`.
fn starred(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_whitespace() { c } else { '*' })
        .collect()
}

/// The run of `sorted` (by segment) in segment `index`, moving `next` past
/// it; runs of earlier segments, which the file no longer has, are skipped.
fn in_segment<'a, T>(
    sorted: &'a [T],
    next: &mut usize,
    segment_of: impl Fn(&T) -> usize,
    index: usize,
) -> &'a [T] {
    while sorted.get(*next).is_some_and(|s| segment_of(s) < index) {
        *next += 1;
    }
    let first = *next;
    while sorted.get(*next).is_some_and(|s| segment_of(s) == index) {
        *next += 1;
    }
    &sorted[first..*next]
}

/// Publishes every approved release whose `publish_at` has come. Called by
/// the server's ticker; safe to run on several instances (each release is
/// re-checked under the write lock).
pub fn publish_due(state: &AppState, conn: &mut DbConn) -> AppResult<usize> {
    let now = crate::audit::now();
    let mut published = 0;
    // Keyset pages in the order the embargoes end, so a release that cannot
    // be published (say, a stored file gone bad) never holds back the ones
    // after it, however many such releases there are.
    let mut after: Option<(NaiveDateTime, ReleaseId)> = None;
    loop {
        let mut page = releases::table
            .filter(releases::state.eq(State::Approved.as_str()))
            .filter(releases::publish_at.le(now))
            .filter(releases::held_at.is_null())
            .select((releases::publish_at.assume_not_null(), releases::id))
            .order((releases::publish_at, releases::id))
            .limit(DUE_PAGE)
            .into_boxed();
        if let Some((at, id)) = &after {
            page = page.filter(
                releases::publish_at.gt(*at).or(releases::publish_at
                    .eq(*at)
                    .and(releases::id.gt(id.clone()))),
            );
        }
        let due: Vec<(NaiveDateTime, ReleaseId)> = page.load(conn)?;
        let last_page = due.len() < DUE_PAGE as usize;
        for (at, id) in due {
            match publish_if_due(state, conn, &id, now) {
                Ok(true) => published += 1,
                Ok(false) => {}
                Err(e) => tracing::error!(
                    release = %id, error = %e,
                    "an embargoed release could not be published; the next sweep tries again"
                ),
            }
            after = Some((at, id));
        }
        if last_page {
            return Ok(published);
        }
    }
}

/// Releases read per page of the embargo sweep.
const DUE_PAGE: i64 = 100;

/// Publishes one release whose embargo has ended, when the workflow still
/// says so under the lock; whether it did.
fn publish_if_due(
    state: &AppState,
    conn: &mut DbConn,
    id: &ReleaseId,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let timer = workflow::Actor {
        id: SYSTEM_ACTOR,
        roles: &[],
        department: None,
    };
    let renditions = prerender(state, conn, id)?;
    write_tx(conn, |conn| {
        let mut release: Release = super::load(conn, id)?;
        // Asked again under the lock: a hold, a withdrawal or a later
        // embargo may have landed since the query.
        let facts = release_facts(conn, &state.policies.workflow, &release)?;
        let due = workflow::allowed(
            &state.policies.workflow,
            &facts,
            &timer,
            &workflow::Action::PublishDue { now },
        );
        if due.is_ok() {
            publish(state, conn, &mut release, (SYSTEM_ACTOR, &renditions), now)?;
        }
        Ok(due.is_ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{ColumnRef, Location};

    fn cell(text: &str, row: usize) -> Segment {
        Segment {
            text: text.into(),
            location: Location::Text {
                line: row,
                column: 1,
            },
            column: Some(ColumnRef {
                table: String::new(),
                index: 1,
                letter: "B".into(),
                header: "联系方式".into(),
                row,
            }),
        }
    }

    fn masked(redact: FileRedactions, segment: &Segment) -> String {
        let mut cells = CellRedactions::new(redact);
        let found = cells.of(0, segment);
        crate::redact::render_text(&segment.text, &found).unwrap()
    }

    #[test]
    fn a_cell_of_a_column_masked_as_two_types_is_starred_whole() {
        let value = "北京市朝阳区建国路88号 13812345678";
        let one = |entity: &str| FileRedactions {
            columns: vec![("B".into(), entity.into())],
            ..FileRedactions::default()
        };
        assert_eq!(
            masked(one("CN_MOBILE"), &cell(value, 2)),
            scan::mask("CN_MOBILE", value)
        );
        let mut both = one("CN_MOBILE");
        both.columns.push(("B".into(), "ADDRESS".into()));
        assert_eq!(masked(both, &cell(value, 2)), starred(value));
        // A finding of its own, of another type, in a column masked as phones.
        let mut own = one("CN_MOBILE");
        own.spans.push(Span {
            segment: 0,
            start: 0,
            end: "北京市朝阳区建国路88号".len(),
            masked_value: scan::mask("ADDRESS", "北京市朝阳区建国路88号"),
        });
        assert_eq!(masked(own, &cell(value, 2)), starred(value));
        // The header is no body cell: only its findings are masked.
        assert_eq!(masked(one("CN_MOBILE"), &cell(value, 1)), value);
    }
}
