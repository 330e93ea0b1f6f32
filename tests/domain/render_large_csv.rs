//! The rendition of a large table is written cell by cell: its peak memory
//! stays a small multiple of the file, where holding the table's cells (as
//! a whole extraction does) takes many times that.

use std::fmt::Write;

use releasegate::extract::{extract, Limits, Segment};
use releasegate::redact::{render, render_csv, Redaction};

use crate::alloc::peak_during;

/// A roster: name, ID number, mobile, address per row.
fn roster(rows: usize) -> Vec<u8> {
    let mut csv = String::from("姓名,身份证号,手机号码,住址\n");
    for i in 0..rows {
        writeln!(
            csv,
            "张{},1101051990{:08},138{:08},北京市海淀区中关村大街{}号",
            i % 100,
            i,
            i,
            i
        )
        .unwrap();
    }
    csv.into_bytes()
}

/// The ID-number column masked whole, as a column summary dispositioned
/// `redact` asks.
fn id_column(index: usize, cell: &Segment) -> Vec<Redaction> {
    match &cell.column {
        Some(column) if column.index == 1 && column.row > 1 => vec![Redaction {
            segment: index,
            start: 0,
            end: cell.text.len(),
            replacement: "*".repeat(18),
        }],
        _ => Vec::new(),
    }
}

#[test]
fn a_large_csv_renders_cell_by_cell_in_memory_bounded_by_its_size() {
    let bytes = roster(60_000);
    let (streamed, peak) = peak_during(|| render_csv("roster.csv", &bytes, id_column).unwrap());
    let (whole, whole_peak) = peak_during(|| {
        let extracted = extract("roster.csv", &bytes, &Limits::unlimited()).unwrap();
        let redactions: Vec<Redaction> = (extracted.segments.iter().enumerate())
            .flat_map(|(index, cell)| id_column(index, cell))
            .collect();
        render("roster.csv", &bytes, &extracted, &redactions).unwrap()
    });
    assert_eq!(streamed, whole, "both paths write the same rendition");
    let text = String::from_utf8(streamed).unwrap();
    assert!(
        text.contains("张7,******************,13800000007,"),
        "{}",
        &text[..200]
    );
    assert!(!text.contains("110105199000000007"));
    eprintln!(
        "{} MB roster: cell by cell {} MB peak, whole extraction {} MB peak",
        bytes.len() >> 20,
        peak >> 20,
        whole_peak >> 20
    );
    // The decoded text and the rendition are each about the file's size;
    // the rest is the edits, one per masked cell.
    assert!(
        peak < 5 * bytes.len(),
        "peak {peak} bytes for a file of {}",
        bytes.len()
    );
}
