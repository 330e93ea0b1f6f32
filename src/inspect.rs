//! Inspecting one file: extract its text segments, scan each with the
//! policy's detectors, and describe every finding in reviewer terms
//! (location, masked value, masked excerpt). The service and the
//! `releasegate scan` command both go through here, so a submitter's
//! pre-check sees exactly what reviewers will see.
//!
//! Tables get two more rules here, because they need the whole file:
//! a column summary per sensitive column (so a reviewer dispositions a
//! column once, not once per row), and for aggregate statistics the
//! small-cell rule (counts below a threshold can identify people).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::extract::{
    self, ColumnRef, FileKind, InMemory, Limits, Outline, Segment, Source, VisitError,
};
use crate::scan::{self, Category, Detection, ScanHints, Scanner, Severity};

/// Characters of context on each side of a finding in its excerpt.
const EXCERPT_CONTEXT: usize = 20;
/// A column with at least this many findings of one type gets a summary.
const COLUMN_SUMMARY_MIN: usize = 3;
pub const SMALL_CELL: &str = "SMALL_CELL";
/// A file the service could not read: it blocks the release until a new
/// version replaces it, since nobody knows what it holds.
pub const SCAN_FAILED: &str = "SCAN_FAILED";
/// A part of a file with no text to read (an image, an embedded object):
/// a person looks at it, and it cannot be redacted, only replaced.
pub const UNREADABLE_CONTENT: &str = "UNREADABLE_CONTENT";
pub const COLUMN_DETECTOR: &str = "column_summary";

/// Where a cell-level finding's value is, for the redactor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub segment: usize,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileFinding {
    #[serde(rename = "type")]
    pub entity: String,
    pub detector: String,
    pub category: Category,
    pub severity: Severity,
    pub confidence: f64,
    /// API.md location shape, `file` included.
    pub location: FindingLocation,
    pub excerpt: String,
    pub masked_value: String,
    /// `Sheet1!C` (or `C` for CSV) for findings inside a table column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// The value's place; `None` for a column summary.
    #[serde(skip)]
    pub span: Option<Span>,
}

/// Where a finding is, in the API.md shapes: the file, then the place in
/// it. Title and description findings have no file.
#[derive(Debug, Clone, Serialize)]
pub struct FindingLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(flatten)]
    pub place: Place,
}

/// The parts of a release's metadata that are published with it, and so
/// are scanned like a file's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    Description,
    FileName,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Title => "title",
            Self::Description => "description",
            Self::FileName => "file_name",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Place {
    /// A line and column, a cell, a DOCX paragraph or cell, a JSON path.
    At(extract::Location),
    /// A whole table column (column summaries).
    Column {
        #[serde(skip_serializing_if = "Option::is_none")]
        sheet: Option<String>,
        column: String,
    },
    /// The file as a whole (`SCAN_FAILED`): `{"file": ...}` alone.
    File {},
    /// A metadata field: `{"field": "title"}`, or with `file` for its name.
    Field { field: Field },
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::At(location) => location.fmt(f),
            Self::Column {
                sheet: Some(sheet),
                column,
            } => write!(f, "{sheet}!{column}:{column}"),
            Self::Column {
                sheet: None,
                column,
            } => write!(f, "{column}:{column}"),
            Self::File {} => f.write_str("whole file"),
            Self::Field { field } => f.write_str(field.as_str()),
        }
    }
}

pub struct Inspection {
    pub kind: FileKind,
    pub encoding: Option<String>,
    pub findings: Vec<FileFinding>,
}

/// What the caller knows about the file beyond its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Apply the small-cell rule with this threshold (aggregate statistics).
    pub small_cell_threshold: Option<u32>,
    /// Scan each batch of segments on rayon's worker threads while the
    /// caller's thread hands on the previous batch's findings. The CLI
    /// wants this. The service does not: it already inspects several files
    /// at once, and its bottleneck, SQLite's single writer, slowed down
    /// when the scans took both cores from it.
    pub parallel: bool,
}

/// `Sheet1!C`, or `C` for a CSV file.
pub fn column_key(column: &ColumnRef) -> String {
    if column.table.is_empty() {
        column.letter.clone()
    } else {
        format!("{}!{}", column.table, column.letter)
    }
}

/// Whether `key`, as [`column_key`] writes it, names `column`: asked of
/// every cell of a table at publication, so it builds no key.
pub fn names_column(key: &str, column: &ColumnRef) -> bool {
    if column.table.is_empty() {
        key == column.letter
    } else {
        key.strip_prefix(column.table.as_str())
            .and_then(|rest| rest.strip_prefix('!'))
            == Some(column.letter.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_is_named_by_its_own_key_only() {
        let column = |table: &str, letter: &str| ColumnRef {
            table: table.into(),
            index: 2,
            letter: letter.into(),
            header: String::new(),
            row: 5,
        };
        for c in [column("", "C"), column("Sheet1", "C"), column("名单", "AB")] {
            assert!(names_column(&column_key(&c), &c));
        }
        assert!(!names_column("C", &column("Sheet1", "C")));
        assert!(!names_column("Sheet1!C", &column("", "C")));
        assert!(!names_column("Sheet1!D", &column("Sheet1", "C")));
        assert!(!names_column("Sheet2!C", &column("Sheet1", "C")));
    }

    #[test]
    fn batches_scanned_in_parallel_give_one_threads_findings_in_the_same_order() {
        let policies = crate::policy::Policies::load(std::path::Path::new("policies"))
            .expect("the repository's policies");
        let mut table = "姓名,身份证号,手机号,地址\n".to_string();
        // 2,800 cells: three batches, the last one short.
        (0..700).for_each(|i| table.push_str(&crate::cli::dev::row(i)));
        let run = |parallel| {
            let mut seen = Vec::new();
            let options = Options {
                small_cell_threshold: None,
                parallel,
            };
            let source = InMemory(table.as_bytes());
            inspect_each(
                &policies.scanner,
                "roster.csv",
                &source,
                &Limits::unlimited(),
                options,
                |f| {
                    let json = serde_json::to_string(&f).expect("a finding serialises");
                    seen.push(format!("{json} {:?}", f.span));
                },
            )
            .expect("the roster is read");
            seen
        };
        let one_thread = run(false);
        assert!(one_thread.len() > 4 * 700, "{} findings", one_thread.len());
        assert_eq!(run(true), one_thread);
    }
}

/// Inspects a file and collects every finding.
pub fn inspect(
    scanner: &Scanner,
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
    options: Options,
) -> Result<Inspection, VisitError> {
    let mut findings = Vec::new();
    let outline = inspect_each(scanner, file_name, &InMemory(bytes), limits, options, |f| {
        findings.push(f)
    })?;
    Ok(Inspection {
        kind: outline.kind,
        encoding: outline.encoding,
        findings,
    })
}

/// Cells scanned together, spread over the worker threads: enough to keep
/// every core busy, few enough that a batch and its findings stay small.
const SCAN_BATCH: usize = 1024;
/// A batch is also full with this much text (a text's segments are
/// paragraphs of up to megabytes, not cells).
const SCAN_BATCH_BYTES: usize = 4 << 20;

/// Segments of one batch with the findings of each.
type Scanned = (Vec<(usize, Segment)>, Vec<Vec<FileFinding>>);

/// Inspects a file, handing each finding to `emit` as it is found and
/// keeping none: memory stays two batches of segments (table cells) deep
/// however many findings a large table holds, and a table is read in
/// pieces. Findings reach `emit` in file order, on the caller's thread
/// (see [`Options::parallel`]). Column summaries come last.
pub fn inspect_each(
    scanner: &Scanner,
    file_name: &str,
    source: &dyn Source,
    limits: &Limits,
    options: Options,
    mut emit: impl FnMut(FileFinding),
) -> Result<Outline, VisitError> {
    let mut columns = ColumnTally::default();
    let mut deliver = |(segments, found): Scanned| {
        for ((_, segment), findings) in segments.into_iter().zip(found) {
            for finding in findings {
                columns.count(&segment, &finding);
                emit(finding);
            }
        }
    };
    let mut scanned: Option<Scanned> = None;
    let scan = |segment: &(usize, Segment)| {
        findings_in(scanner, file_name, segment.0, &segment.1, options)
    };
    let mut scan_next = |batch: Vec<(usize, Segment)>, deliver: &mut dyn FnMut(Scanned)| {
        let mut found = Vec::new();
        if options.parallel {
            rayon::in_place_scope(|s| {
                s.spawn(|_| found = batch.par_iter().map(scan).collect());
                if let Some(previous) = scanned.take() {
                    deliver(previous);
                }
            });
        } else {
            if let Some(previous) = scanned.take() {
                deliver(previous);
            }
            found = batch.iter().map(scan).collect();
        }
        scanned = Some((batch, found));
    };
    let mut batch = Vec::with_capacity(SCAN_BATCH);
    let mut batch_bytes = 0;
    let outline = extract::for_each_segment(file_name, source, limits, |index, segment| {
        batch_bytes += segment.text.len();
        batch.push((index, segment));
        if batch.len() == SCAN_BATCH || batch_bytes >= SCAN_BATCH_BYTES {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(SCAN_BATCH));
            batch_bytes = 0;
            scan_next(full, &mut deliver);
        }
    })?;
    scan_next(batch, &mut deliver);
    if let Some(last) = scanned.take() {
        deliver(last);
    }
    columns.summaries(scanner, file_name).for_each(&mut emit);
    for part in &outline.unreadable {
        emit(unreadable(file_name, part));
    }
    Ok(outline)
}

/// The findings of one segment, in text order.
fn findings_in(
    scanner: &Scanner,
    file_name: &str,
    index: usize,
    segment: &Segment,
    options: Options,
) -> Vec<FileFinding> {
    let hints = ScanHints {
        column_header: segment.column.as_ref().map(|c| c.header.as_str()),
    };
    let detections = scanner.scan_with(&segment.text, &hints);
    let mut findings = Vec::with_capacity(detections.len());
    if !detections.is_empty() {
        let offsets: Vec<usize> = detections.iter().map(|d| d.start).collect();
        let locations = extract::locate_in(segment, &offsets);
        for (i, location) in locations.into_iter().enumerate() {
            let at = at(file_name, location);
            findings.push(describe(at, segment, index, &detections, i));
        }
    }
    if let Some(threshold) = options.small_cell_threshold {
        findings.extend(small_cell(file_name, segment, index, threshold));
    }
    findings
}

fn unreadable(file_name: &str, part: &extract::Unreadable) -> FileFinding {
    FileFinding {
        entity: UNREADABLE_CONTENT.into(),
        detector: "inspection".into(),
        category: Category::Secrecy,
        severity: Severity::High,
        confidence: 1.0,
        excerpt: format!("{}: {}", part.what, part.location),
        location: at(file_name, part.location.clone()),
        masked_value: String::new(),
        column: None,
        span: None,
    }
}

fn at(file_name: &str, location: extract::Location) -> FindingLocation {
    FindingLocation {
        file: Some(file_name.to_string()),
        place: Place::At(location),
    }
}

/// Scans one metadata field (`file_name` names the file a `FileName` field
/// belongs to). Its findings' spans are byte ranges of `text` (segment 0).
pub fn inspect_field(
    scanner: &Scanner,
    field: Field,
    file_name: Option<&str>,
    text: &str,
) -> Vec<FileFinding> {
    let segment = Segment {
        text: text.to_owned(),
        location: extract::Location::Text { line: 1, column: 1 },
        column: None,
    };
    let detections = scanner.scan_with(text, &ScanHints::default());
    (0..detections.len())
        .map(|i| {
            let at = FindingLocation {
                file: file_name.map(str::to_owned),
                place: Place::Field { field },
            };
            describe(at, &segment, 0, &detections, i)
        })
        .collect()
}

fn describe(
    location: FindingLocation,
    segment: &Segment,
    index: usize,
    all: &[Detection],
    i: usize,
) -> FileFinding {
    let d = &all[i];
    FileFinding {
        entity: d.entity.clone(),
        detector: d.detector.clone(),
        category: d.category,
        severity: d.severity,
        // Two decimals are all a reviewer can use; f32 noise would show in JSON.
        confidence: (f64::from(d.confidence) * 100.0).round() / 100.0,
        location,
        excerpt: scan::excerpt(&segment.text, all, i, EXCERPT_CONTEXT),
        masked_value: scan::mask(&d.entity, &segment.text[d.start..d.end]),
        column: segment.column.as_ref().map(column_key),
        span: Some(Span {
            segment: index,
            start: d.start,
            end: d.end,
        }),
    }
}

/// A count below `threshold` in the body of a statistical table. Row 1 holds
/// the headers and column A the row labels, so neither is a count.
fn small_cell(
    file_name: &str,
    segment: &Segment,
    index: usize,
    threshold: u32,
) -> Option<FileFinding> {
    let column = segment.column.as_ref()?;
    if column.row <= 1 || column.index == 0 {
        return None;
    }
    let text = segment.text.trim();
    let count: u32 = text.parse().ok()?;
    if count == 0 || count >= threshold {
        return None;
    }
    let start = segment.text.find(text)?;
    Some(FileFinding {
        entity: SMALL_CELL.into(),
        detector: "small_cell".into(),
        category: Category::Personal,
        severity: Severity::Medium,
        confidence: 1.0,
        location: at(file_name, segment.location.clone()),
        excerpt: format!("{} = {count} (< {threshold})", column.header),
        masked_value: format!("<{threshold}"),
        column: Some(column_key(column)),
        span: Some(Span {
            segment: index,
            start,
            end: start + text.len(),
        }),
    })
}

/// Findings per (column, type), counted as they go by: enough to write one
/// summary per sensitive column without keeping the findings.
#[derive(Default)]
struct ColumnTally {
    /// Column key, then finding type.
    groups: BTreeMap<String, BTreeMap<String, Tally>>,
}

struct Tally {
    count: usize,
    header: String,
    category: Category,
    severity: Severity,
}

impl ColumnTally {
    fn count(&mut self, segment: &Segment, finding: &FileFinding) {
        let (Some(column), Some(key)) = (&segment.column, &finding.column) else {
            return;
        };
        // Looked up before inserting: a table's millions of findings fall
        // into a few groups, and only a new group needs its keys copied.
        if !self.groups.contains_key(key) {
            self.groups.insert(key.clone(), BTreeMap::new());
        }
        let Some(types) = self.groups.get_mut(key) else {
            return;
        };
        if !types.contains_key(&finding.entity) {
            let tally = Tally {
                count: 0,
                header: column.header.clone(),
                category: finding.category,
                severity: finding.severity,
            };
            types.insert(finding.entity.clone(), tally);
        }
        let Some(tally) = types.get_mut(&finding.entity) else {
            return;
        };
        tally.count += 1;
        tally.severity = tally.severity.max(finding.severity);
    }

    /// One summary per (column, type) with enough findings: dispositioning
    /// it dispositions the whole column.
    fn summaries<'a>(
        self,
        scanner: &'a Scanner,
        file_name: &'a str,
    ) -> impl Iterator<Item = FileFinding> + 'a {
        self.groups
            .into_iter()
            .flat_map(|(column, types)| types.into_iter().map(move |t| (column.clone(), t)))
            .filter(|(_, (_, tally))| tally.count >= COLUMN_SUMMARY_MIN)
            .map(move |(column, (entity, tally))| {
                let (sheet, letter) = match column.split_once('!') {
                    Some((sheet, letter)) => (Some(sheet.to_string()), letter.to_string()),
                    None => (None, column.clone()),
                };
                // A header may itself hold a value (`身份证号（如…）`): the
                // excerpt shows it masked, as every excerpt does.
                let header = &tally.header;
                let header =
                    scan::mask_all(header, &scanner.scan_with(header, &ScanHints::default()));
                FileFinding {
                    excerpt: format!("column {column} ({header}): {} {entity}", tally.count),
                    entity,
                    detector: COLUMN_DETECTOR.into(),
                    category: tally.category,
                    severity: tally.severity,
                    confidence: 1.0,
                    location: FindingLocation {
                        file: Some(file_name.to_string()),
                        place: Place::Column {
                            sheet,
                            column: letter,
                        },
                    },
                    masked_value: String::new(),
                    column: Some(column),
                    span: None,
                }
            })
    }
}

/// The finding that stands for a file that could not be inspected.
pub fn scan_failed(file_name: &str, reason: &str) -> FileFinding {
    FileFinding {
        entity: SCAN_FAILED.into(),
        detector: "inspection".into(),
        category: Category::Secrecy,
        severity: Severity::Block,
        confidence: 1.0,
        location: FindingLocation {
            file: Some(file_name.to_string()),
            place: Place::File {},
        },
        excerpt: format!("{file_name}: {reason}"),
        masked_value: String::new(),
        column: None,
        span: None,
    }
}
