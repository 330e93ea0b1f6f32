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

use serde::Serialize;

use crate::extract::{self, ColumnRef, ExtractError, Extracted, FileKind, Limits, Segment};
use crate::scan::{self, Category, Detection, ScanHints, Scanner, Severity};

/// Characters of context on each side of a finding in its excerpt.
const EXCERPT_CONTEXT: usize = 20;
/// A column with at least this many findings of one type gets a summary.
const COLUMN_SUMMARY_MIN: usize = 3;
pub const SMALL_CELL: &str = "SMALL_CELL";
/// A file the service could not read: it blocks the release until a new
/// version replaces it, since nobody knows what it holds.
pub const SCAN_FAILED: &str = "SCAN_FAILED";
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

/// Where a finding is, in the API.md shapes: the file, then the place in it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingLocation {
    pub file: String,
    #[serde(flatten)]
    pub place: Place,
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
        }
    }
}

pub struct Inspection {
    pub kind: FileKind,
    pub encoding: Option<String>,
    pub findings: Vec<FileFinding>,
    pub extracted: Extracted,
}

/// What the caller knows about the file beyond its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Apply the small-cell rule with this threshold (aggregate statistics).
    pub small_cell_threshold: Option<u32>,
}

/// `Sheet1!C`, or `C` for a CSV file.
pub fn column_key(column: &ColumnRef) -> String {
    if column.table.is_empty() {
        column.letter.clone()
    } else {
        format!("{}!{}", column.table, column.letter)
    }
}

pub fn inspect(
    scanner: &Scanner,
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
    options: Options,
) -> Result<Inspection, ExtractError> {
    let extracted = extract::extract(file_name, bytes, limits)?;
    let mut findings = Vec::new();
    for (index, segment) in extracted.segments.iter().enumerate() {
        let hints = ScanHints {
            column_header: segment.column.as_ref().map(|c| c.header.clone()),
        };
        let detections = scanner.scan_with(&segment.text, &hints);
        if !detections.is_empty() {
            let offsets: Vec<usize> = detections.iter().map(|d| d.start).collect();
            let locations = extracted.locate_many(index, &offsets);
            for (i, location) in locations.into_iter().enumerate() {
                findings.push(describe(
                    file_name,
                    segment,
                    index,
                    &detections,
                    i,
                    location,
                ));
            }
        }
        if let Some(threshold) = options.small_cell_threshold {
            findings.extend(small_cell(file_name, &extracted, index, threshold));
        }
    }
    let summaries = column_summaries(file_name, &extracted, &findings);
    findings.extend(summaries);
    Ok(Inspection {
        kind: extracted.kind,
        encoding: extracted.encoding.clone(),
        findings,
        extracted,
    })
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
            file: file_name.to_string(),
            place: Place::File {},
        },
        excerpt: format!("{file_name}: {reason}"),
        masked_value: String::new(),
        column: None,
        span: None,
    }
}

fn at(file_name: &str, location: extract::Location) -> FindingLocation {
    FindingLocation {
        file: file_name.to_string(),
        place: Place::At(location),
    }
}

fn describe(
    file_name: &str,
    segment: &Segment,
    index: usize,
    all: &[Detection],
    i: usize,
    location: extract::Location,
) -> FileFinding {
    let d = &all[i];
    FileFinding {
        entity: d.entity.clone(),
        detector: d.detector.clone(),
        category: d.category,
        severity: d.severity,
        // Two decimals are all a reviewer can use; f32 noise would show in JSON.
        confidence: (f64::from(d.confidence) * 100.0).round() / 100.0,
        location: at(file_name, location),
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
    extracted: &Extracted,
    index: usize,
    threshold: u32,
) -> Option<FileFinding> {
    let segment = &extracted.segments[index];
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

/// One summary per (column, type) with enough findings: dispositioning it
/// dispositions the whole column.
fn column_summaries(
    file_name: &str,
    extracted: &Extracted,
    findings: &[FileFinding],
) -> Vec<FileFinding> {
    let mut groups: BTreeMap<(String, String), Vec<&FileFinding>> = BTreeMap::new();
    for f in findings {
        if let Some(column) = &f.column {
            groups
                .entry((column.clone(), f.entity.clone()))
                .or_default()
                .push(f);
        }
    }
    groups
        .into_iter()
        .filter(|(_, members)| members.len() >= COLUMN_SUMMARY_MIN)
        .map(|((column, entity), members)| {
            let first = members[0];
            let header = first
                .span
                .and_then(|s| extracted.segments[s.segment].column.as_ref())
                .map(|c| c.header.clone())
                .unwrap_or_default();
            let (sheet, letter) = match column.split_once('!') {
                Some((sheet, letter)) => (Some(sheet.to_string()), letter.to_string()),
                None => (None, column.clone()),
            };
            let location = FindingLocation {
                file: file_name.to_string(),
                place: Place::Column {
                    sheet,
                    column: letter,
                },
            };
            FileFinding {
                entity,
                detector: COLUMN_DETECTOR.into(),
                category: first.category,
                severity: members
                    .iter()
                    .map(|m| m.severity)
                    .max()
                    .unwrap_or(first.severity),
                confidence: 1.0,
                location,
                excerpt: format!(
                    "column {column} ({header}): {} {}",
                    members.len(),
                    first.entity
                ),
                masked_value: String::new(),
                column: Some(column),
                span: None,
            }
        })
        .collect()
}
