//! Any bytes under any supported name: extraction either returns segments
//! or a typed error, never panics; a redaction of every segment re-renders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use releasegate::extract::{extract, Limits};
use releasegate::redact::{render, Redaction};

const NAMES: [&str; 12] = [
    "a.txt", "a.csv", "a.tsv", "a.json", "a.xlsx", "a.docx", "a.ofd", "a.pdf", "a.xls", "a.doc",
    "a.odt", "a.ods",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    let name = NAMES[pick as usize % NAMES.len()];
    let limits = Limits { max_decompressed_bytes: 1 << 24, ..Limits::service_default() };
    let Ok(extracted) = extract(name, bytes, &limits) else { return };
    let redactions: Vec<Redaction> = extracted
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.text.is_empty())
        .map(|(segment, s)| Redaction { segment, start: 0, end: s.text.len(), replacement: "*".into() })
        .collect();
    let _ = render(name, bytes, &extracted, &redactions);
});
