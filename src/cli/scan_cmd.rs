//! `releasegate scan`: the submitter's pre-check, through the same
//! extractors and detectors as the service. Machine formats go to stdout
//! alone; progress and problems to stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::ValueEnum;
use rayon::prelude::*;

use super::{policy_dir, usage_error, ScanArgs};
use crate::extract::Location;
use crate::extract::{FileSource, Limits};
use crate::inspect::{inspect, FileFinding, Options, Place};
use crate::policy::Policies;
use crate::scan::{self, Severity};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Sarif,
}

struct FileReport {
    path: String,
    findings: Vec<FileFinding>,
}

pub fn run(args: ScanArgs) -> i32 {
    let policies = match Policies::resolve(policy_dir(args.policy_dir.clone()).as_deref()) {
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
        parallel: true,
    };
    let limits = Limits {
        max_file_bytes: args.max_size,
        ..Limits::unlimited()
    };
    let reached = match args.format {
        Format::Sarif => collect_then_write_sarif(&policies, &args.files, &limits, options),
        Format::Json | Format::Text => {
            stream(&policies, &args.files, &limits, options, args.format)
        }
    };
    match reached {
        Ok(findings) => {
            i32::from(fail_on.is_some_and(|min| findings.iter().any(|&severity| severity >= min)))
        }
        Err(e) => usage_error(e),
    }
}

pub(super) fn read(path: &Path) -> Result<(String, Vec<u8>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((file_name(path), bytes))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The severities found (one of each), for `--fail-on`.
type Reached = std::collections::BTreeSet<Severity>;

/// SARIF is one document with the rules up front: every file is inspected
/// (in parallel) before anything is written.
fn collect_then_write_sarif(
    policies: &Policies,
    files: &[std::path::PathBuf],
    limits: &Limits,
    options: Options,
) -> Result<Reached, String> {
    let reports = files
        .par_iter()
        .map(|path| {
            let (name, bytes) = read(path)?;
            let inspection = inspect(&policies.scanner, &name, &bytes, limits, options)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            let mut findings = inspection.findings;
            for f in &mut findings {
                f.location.file = Some(path.display().to_string());
            }
            Ok(FileReport {
                path: path.display().to_string(),
                findings,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    write_sarif(&reports).map_err(|e| format!("cannot write output: {e}"))?;
    Ok(reports
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| f.severity)
        .collect())
}

/// JSON and text are written as the findings are found, one file after
/// another, so memory does not grow with the number of findings (a large
/// roster has millions). JSON: `{"files": [{"path", "findings": [...],
/// "encoding"}]}`.
fn stream(
    policies: &Policies,
    files: &[std::path::PathBuf],
    limits: &Limits,
    options: Options,
    format: Format,
) -> Result<Reached, String> {
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let paint = painter(std::io::stdout().is_terminal() && matches!(format, Format::Text));
    let json = matches!(format, Format::Json);
    let mut reached = Reached::new();
    let written = |r: std::io::Result<()>| r.map_err(|e| format!("cannot write output: {e}"));
    if json {
        written(out.write_all(b"{\"files\":["))?;
    }
    for (n, path) in files.iter().enumerate() {
        let source = FileSource::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = file_name(path);
        let shown = path.display().to_string();
        written(if json {
            let comma = if n > 0 { "," } else { "" };
            write!(out, "{comma}{{\"path\":{},\"findings\":[", quoted(&shown))
        } else {
            writeln!(out, "{}", paint("1", &shown))
        })?;
        let (mut count, mut failed) = (0usize, None);
        let outline = crate::inspect::inspect_each(
            &policies.scanner,
            &name,
            &source,
            limits,
            options,
            |mut f| {
                f.location.file = Some(shown.clone());
                reached.insert(f.severity);
                count += 1;
                if failed.is_none() {
                    let line = if json {
                        let comma: &[u8] = if count > 1 { b"," } else { b"" };
                        out.write_all(comma).and_then(|()| {
                            serde_json::to_writer(&mut out, &f).map_err(std::io::Error::from)
                        })
                    } else {
                        write_text_line(&mut out, &f, &paint)
                    };
                    failed = line.err();
                }
            },
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(e) = failed {
            return Err(format!("cannot write output: {e}"));
        }
        let encoding = outline.encoding;
        written(if json {
            let encoding = serde_json::to_string(&encoding).unwrap_or_else(|_| "null".into());
            write!(out, "],\"encoding\":{encoding}}}")
        } else {
            let encoding = encoding.map(|e| format!(" ({e})")).unwrap_or_default();
            writeln!(out, "  {count} finding(s){encoding}")
        })?;
    }
    if json {
        written(out.write_all(b"]}\n"))?;
    }
    written(out.flush())?;
    Ok(reached)
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
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

/// ANSI colour for a terminal, plain text otherwise.
fn painter(colour: bool) -> impl Fn(&str, &str) -> String {
    move |code, text| {
        if colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

fn write_text_line(
    out: &mut impl Write,
    f: &FileFinding,
    paint: &impl Fn(&str, &str) -> String,
) -> std::io::Result<()> {
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
    )
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
