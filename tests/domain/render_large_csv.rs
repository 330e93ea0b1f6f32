//! The rendition of a large table is written cell by cell as the file is
//! read in pieces: its peak memory is a few pieces, whatever the file's
//! size, where holding the table's cells (as a whole extraction does) takes
//! many times the file.

use std::fmt::Write;

use sha2::Digest as _;

use releasegate::extract::{extract, InMemory, Limits, Segment};
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

fn rendered(bytes: &[u8], out: &mut dyn std::io::Write) {
    render_csv("roster.csv", &InMemory(bytes), out, id_column).unwrap();
}

/// The rendition the whole extraction writes.
fn whole_rendition(bytes: &[u8]) -> Vec<u8> {
    let extracted = extract("roster.csv", bytes, &Limits::unlimited()).unwrap();
    let redactions: Vec<Redaction> = (extracted.segments.iter().enumerate())
        .flat_map(|(index, cell)| id_column(index, cell))
        .collect();
    render("roster.csv", bytes, &extracted, &redactions).unwrap()
}

/// A sink that keeps only a digest of what it was given.
#[derive(Default)]
struct Digest(sha2::Sha256);

impl std::io::Write for Digest {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_csv_renders_cell_by_cell_as_the_whole_extraction_does() {
    let bytes = roster(60_000);
    let mut streamed = Vec::new();
    rendered(&bytes, &mut streamed);
    let whole = whole_rendition(&bytes);
    assert_eq!(streamed, whole, "both paths write the same rendition");
    let text = String::from_utf8(streamed).unwrap();
    assert!(
        text.contains("张7,******************,13800000007,"),
        "{}",
        &text[..200]
    );
    assert!(!text.contains("110105199000000007"));
}

/// A GBK table over several pieces: every byte outside the masked cells
/// is copied as submitted, including `€`, one byte (0x80) in GBK though
/// two in GB18030's table, which only the bytes tell apart.
#[test]
fn a_gbk_csv_renders_in_pieces_as_the_whole_extraction_does() {
    let text = String::from_utf8(roster(60_000))
        .unwrap()
        .replace("号\n", "号 €1\n");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable && gbk.contains(&0x80));
    let mut streamed = Vec::new();
    rendered(&gbk, &mut streamed);
    let whole = whole_rendition(&gbk);
    assert!(streamed == whole, "both paths write the same rendition");
    let (back, _, _) = encoding_rs::GBK.decode(&streamed);
    assert!(back.contains("张7,******************,13800000007,"));
    assert!(back.contains("大街7号 €1\n"));
}

#[test]
fn a_large_csv_renders_in_memory_bounded_by_a_piece() {
    let bytes = roster(250_000);
    let mut streamed = Vec::new();
    rendered(&bytes, &mut streamed);
    // Written where it is not kept (the store, in the service), the
    // rendition holds a piece of the file read twice (its text and its
    // bytes), the window of rows and the edits of one piece: a few MiB,
    // whatever the file's size.
    let (digest, peak) = peak_during(|| {
        let mut sink = Digest::default();
        rendered(&bytes, &mut sink);
        sink.0.finalize()
    });
    assert_eq!(digest, sha2::Sha256::digest(&streamed));
    eprintln!(
        "{} MB roster rendered with a peak of {} MB",
        bytes.len() >> 20,
        peak >> 20
    );
    assert!(bytes.len() > 16 << 20, "{} bytes", bytes.len());
    assert!(
        peak < 8 << 20,
        "peak {peak} bytes for a file of {}",
        bytes.len()
    );
}
