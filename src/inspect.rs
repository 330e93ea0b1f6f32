//! Inspecting one file: extract its text segments, scan each with the
//! policy's detectors, and describe every finding in reviewer terms
//! (location, masked value, masked excerpt). The service and the
//! `releasegate scan` command both go through here, so a submitter's
//! pre-check sees exactly what reviewers will see.

use serde::Serialize;

use crate::extract::{self, ExtractError, Extracted, FileKind, Limits};
use crate::scan::{self, Category, Detection, ScanHints, Scanner, Severity};

/// Characters of context on each side of a finding in its excerpt.
const EXCERPT_CONTEXT: usize = 20;

#[derive(Debug, Clone, Serialize)]
pub struct FileFinding {
    #[serde(rename = "type")]
    pub entity: String,
    pub detector: String,
    pub category: Category,
    pub severity: Severity,
    pub confidence: f64,
    /// API.md location shape, `file` included.
    pub location: serde_json::Value,
    pub excerpt: String,
    pub masked_value: String,
    /// Which segment and byte range: what the redactor needs later.
    #[serde(skip)]
    pub segment: usize,
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
}

pub struct Inspection {
    pub kind: FileKind,
    pub encoding: Option<String>,
    pub findings: Vec<FileFinding>,
    pub extracted: Extracted,
}

pub fn inspect(
    scanner: &Scanner,
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Inspection, ExtractError> {
    let extracted = extract::extract(file_name, bytes, limits)?;
    let mut findings = Vec::new();
    for (index, segment) in extracted.segments.iter().enumerate() {
        let hints = ScanHints {
            column_header: segment.column.as_ref().map(|c| c.header.clone()),
        };
        let detections = scanner.scan_with(&segment.text, &hints);
        if detections.is_empty() {
            continue;
        }
        let offsets: Vec<usize> = detections.iter().map(|d| d.start).collect();
        let locations = extracted.locate_many(index, &offsets);
        for (i, (detection, location)) in detections.iter().zip(locations).enumerate() {
            findings.push(describe(
                file_name,
                &segment.text,
                &detections,
                i,
                detection,
                location,
                index,
            ));
        }
    }
    Ok(Inspection {
        kind: extracted.kind,
        encoding: extracted.encoding.clone(),
        findings,
        extracted,
    })
}

fn describe(
    file_name: &str,
    text: &str,
    all: &[Detection],
    i: usize,
    d: &Detection,
    location: extract::Location,
    segment: usize,
) -> FileFinding {
    let mut location = serde_json::to_value(location).unwrap_or_default();
    if let Some(obj) = location.as_object_mut() {
        obj.insert("file".into(), file_name.into());
    }
    FileFinding {
        entity: d.entity.clone(),
        detector: d.detector.clone(),
        category: d.category,
        severity: d.severity,
        // Two decimals are all a reviewer can use; f32 noise would show in JSON.
        confidence: (f64::from(d.confidence) * 100.0).round() / 100.0,
        location,
        excerpt: scan::excerpt(text, all, i, EXCERPT_CONTEXT),
        masked_value: scan::mask(&d.entity, &text[d.start..d.end]),
        segment,
        start: d.start,
        end: d.end,
    }
}
