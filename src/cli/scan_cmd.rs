//! `releasegate scan`: the submitter's pre-check, through the same
//! extractors and detectors as the service. Machine formats go to stdout
//! alone; progress and problems to stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;
use rayon::prelude::*;
use serde::Serialize;

use super::{usage_error, ScanArgs};
use crate::config::Settings;
use crate::extract::Limits;
use crate::extract::Location;
use crate::inspect::{inspect, FileFinding, Options, Place};
use crate::policy::Policies;
use crate::scan::{self, Severity};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Serialize)]
struct FileReport {
    path: String,
    encoding: Option<String>,
    findings: Vec<FileFinding>,
}

pub fn run(args: ScanArgs) -> i32 {
    let dir = args.policy_dir.clone().unwrap_or_else(|| {
        Settings::from_env()
            .map(|s| s.policy_dir)
            .unwrap_or_else(|_| "./policies".into())
    });
    let policies = match Policies::load(&dir) {
        Ok(p) => p,
        Err(e) => return usage_error(e),
    };
    if let Some(corpus) = &args.corpus {
        return run_corpus(&policies, corpus);
    }
    let fail_on = match args
        .fail_on
        .as_deref()
        .map(str::parse::<Severity>)
        .transpose()
    {
        Ok(f) => f,
        Err(e) => return usage_error(format!("--fail-on: {e}")),
    };
    let options = Options {
        small_cell_threshold: args
            .statistics
            .then_some(policies.statistics.small_cell_threshold),
    };
    let limits = Limits {
        max_file_bytes: args.max_size,
        ..Limits::unlimited()
    };
    let results: Vec<Result<FileReport, String>> = args
        .files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let inspection = inspect(&policies.scanner, &name, &bytes, &limits, options)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let mut findings = inspection.findings;
            for f in &mut findings {
                f.location.file = path.display().to_string();
            }
            Ok(FileReport {
                path: path.display().to_string(),
                encoding: inspection.encoding,
                findings,
            })
        })
        .collect();
    let mut reports = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(r) => reports.push(r),
            Err(e) => return usage_error(e),
        }
    }
    let written = match args.format {
        Format::Json => write_json(&reports),
        Format::Sarif => write_sarif(&reports),
        Format::Text => write_text(&reports),
    };
    if let Err(e) = written {
        return usage_error(format!("cannot write output: {e}"));
    }
    let reached = fail_on.is_some_and(|min| {
        reports
            .iter()
            .flat_map(|r| &r.findings)
            .any(|f| f.severity >= min)
    });
    i32::from(reached)
}

fn run_corpus(policies: &Policies, corpus: &Path) -> i32 {
    let file = match std::fs::File::open(corpus) {
        Ok(f) => f,
        Err(e) => return usage_error(format!("{}: {e}", corpus.display())),
    };
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    match scan::write_corpus_predictions(&policies.scanner, std::io::BufReader::new(file), out) {
        Ok(()) => 0,
        Err(e) => usage_error(format!("{}: {e}", corpus.display())),
    }
}

fn write_json(reports: &[FileReport]) -> std::io::Result<()> {
    #[derive(Serialize)]
    struct Output<'a> {
        files: &'a [FileReport],
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    serde_json::to_writer(&mut out, &Output { files: reports })?;
    writeln!(out)?;
    out.flush()
}

fn write_text(reports: &[FileReport]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    let colour = std::io::stdout().is_terminal();
    let paint = |code: &str, text: &str| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    for report in reports {
        let encoding = report
            .encoding
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        writeln!(
            out,
            "{}{}: {} finding(s)",
            paint("1", &report.path),
            encoding,
            report.findings.len()
        )?;
        for f in &report.findings {
            let severity = match f.severity {
                Severity::Block | Severity::High => paint("31;1", f.severity.as_str()),
                Severity::Medium => paint("33", f.severity.as_str()),
                _ => paint("36", f.severity.as_str()),
            };
            writeln!(
                out,
                "  {:<6} {:<20} {:<28} {}  {}",
                severity,
                f.entity,
                f.location.place.to_string(),
                f.masked_value,
                paint("2", &f.excerpt.replace('\n', "⏎"))
            )?;
        }
    }
    Ok(())
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Block | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// SARIF 2.1.0, so code-scanning tools can show the findings.
fn write_sarif(reports: &[FileReport]) -> std::io::Result<()> {
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut rule_ids: Vec<String> = Vec::new();
    let mut results = Vec::new();
    for report in reports {
        for f in &report.findings {
            if !rule_ids.contains(&f.detector) {
                rule_ids.push(f.detector.clone());
                rules.push(serde_json::json!({
                    "id": f.detector,
                    "shortDescription": {"text": format!("{} ({})", f.entity, f.category.as_str())},
                    "properties": {"category": f.category.as_str(), "severity": f.severity.as_str()},
                }));
            }
            let mut physical = serde_json::json!({"artifactLocation": {"uri": report.path}});
            if let Place::At(Location::Text { line, column }) = f.location.place {
                physical["region"] = serde_json::json!({"startLine": line, "startColumn": column});
            }
            results.push(serde_json::json!({
                "ruleId": f.detector,
                "level": sarif_level(f.severity),
                "message": {"text": format!("{} {} in {}", f.entity, f.masked_value, f.location.place)},
                "locations": [{
                    "physicalLocation": physical,
                    "logicalLocations": [{"name": f.location.place.to_string()}],
                }],
                "properties": {"type": f.entity, "severity": f.severity.as_str(), "confidence": f.confidence, "excerpt": f.excerpt, "location": f.location},
            }));
        }
    }
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "releasegate", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &doc)?;
    writeln!(out)
}
