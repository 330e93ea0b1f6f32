//! The evaluation prediction format (`shared/eval/README.md`): JSONL in, one
//! `{"id", "findings": [{"type", "start", "end", ...}]}` line out, offsets in
//! code points.

use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};

use super::{LineIndex, Scanner};

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("reading or writing the corpus: {0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: not a corpus document: {source}")]
    Json {
        line: usize,
        source: serde_json::Error,
    },
}

#[derive(Deserialize)]
struct Doc {
    id: String,
    text: String,
}

#[derive(Serialize)]
struct Prediction<'a> {
    id: &'a str,
    findings: Vec<Finding<'a>>,
}

#[derive(Serialize)]
struct Finding<'a> {
    #[serde(rename = "type")]
    entity: &'a str,
    start: usize,
    end: usize,
    detector: &'a str,
    severity: &'static str,
    confidence: f32,
}

pub fn write_corpus_predictions(
    scanner: &Scanner,
    input: impl BufRead,
    mut out: impl Write,
) -> Result<(), CorpusError> {
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: Doc = serde_json::from_str(&line).map_err(|source| CorpusError::Json {
            line: n + 1,
            source,
        })?;
        let detections = scanner.scan(&doc.text);
        let index = LineIndex::new(&doc.text);
        let findings = detections
            .iter()
            .map(|d| Finding {
                entity: &d.entity,
                start: index.locate(d.start).char_offset,
                end: index.locate(d.end).char_offset,
                detector: &d.detector,
                severity: d.severity.as_str(),
                confidence: d.confidence,
            })
            .collect();
        serde_json::to_writer(
            &mut out,
            &Prediction {
                id: &doc.id,
                findings,
            },
        )
        .map_err(|source| CorpusError::Json {
            line: n + 1,
            source,
        })?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
