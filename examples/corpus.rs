//! Scores the scanner: `cargo run --release --example corpus < dev.jsonl > pred.jsonl`.
//! The policy directory defaults to `policies/` (override with the first argument).

use std::io::{stdin, stdout, BufWriter};
use std::path::PathBuf;

use releasegate::scan::{write_corpus_predictions, Scanner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("policies"), PathBuf::from);
    let scanner = Scanner::load(&dir)?;
    write_corpus_predictions(&scanner, stdin().lock(), BufWriter::new(stdout().lock()))?;
    Ok(())
}
