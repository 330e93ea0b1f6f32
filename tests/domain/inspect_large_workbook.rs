//! A large workbook is inspected from its package as a stream: its sheet
//! XML is parsed as it is inflated and its cells are scanned as they come,
//! so the peak is a batch of cells, not the sheet XML and every cell at
//! once. Past a bound, the shared strings wait in a scratch file.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;

use releasegate::extract::{extract, InMemory, Limits, Location};
use releasegate::inspect::FileFinding;
use releasegate::inspect::{inspect_each, Options, Place};
use releasegate::scan::Scanner;
use rust_xlsxwriter::Workbook;

use crate::alloc::peak_during;

const SURNAMES: [&str; 6] = ["王", "李", "张", "刘", "陈", "杨"];
const GIVEN: [&str; 6] = ["建国", "秀英", "志强", "丽娟", "海涛", "晓燕"];

/// A roster: a name, a mobile, an address and a remark on every row.
fn roster(rows: u32) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("名单").unwrap();
    for (col, header) in ["姓名", "手机号", "地址", "备注"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    for i in 0..rows {
        let name = format!(
            "{}{}",
            SURNAMES[(i % 6) as usize],
            GIVEN[(i / 6 % 6) as usize]
        );
        sheet.write_string(i + 1, 0, name).unwrap();
        sheet
            .write_string(i + 1, 1, format!("138{:08}", i + 1))
            .unwrap();
        sheet
            .write_string(
                i + 1,
                2,
                format!("湖北省鄂州市鄂城区滨湖路{}号", i % 999 + 1),
            )
            .unwrap();
        sheet.write_number(i + 1, 3, f64::from(i) * 1.5).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn a_large_workbook_is_inspected_without_inflating_its_sheets_whole() {
    let scanner = Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap();
    let rows = 60_000;
    let book = roster(rows);
    let options = Options {
        small_cell_threshold: None,
        parallel: false,
    };
    let ((mobiles, last_row), streamed) = peak_during(|| {
        let (mut mobiles, mut last_row) = (0, String::new());
        inspect_each(
            &scanner,
            "roster.xlsx",
            &InMemory(&book),
            &Limits::unlimited(),
            options,
            |finding| {
                // Cells one by one; the column's summary comes on top.
                if finding.entity == "CN_MOBILE" && finding.detector != "column_summary" {
                    mobiles += 1;
                    if let Place::At(Location::Cell { cell, .. }) = &finding.location.place {
                        last_row = cell.clone();
                    }
                }
            },
        )
        .unwrap();
        (mobiles, last_row)
    });
    assert_eq!(mobiles, rows);
    assert_eq!(last_row, format!("B{}", rows + 1));
    // What reading it whole holds: the sheet's XML and every cell.
    let ((), whole) = peak_during(|| {
        let extracted = extract("roster.xlsx", &book, &Limits::unlimited()).unwrap();
        // Every cell, then the sheet's name and the document properties.
        assert!(extracted.segments.len() > 4 * (rows as usize + 1));
    });
    eprintln!(
        "{} KB workbook: inspected with a peak of {} KB; extracting it whole peaks at {} KB",
        book.len() >> 10,
        streamed >> 10,
        whole >> 10
    );
    assert!(
        streamed * 4 < whole,
        "inspection peaked at {streamed} bytes, a whole extraction at {whole}"
    );
}

/// A roster whose every text is its own: Excel keeps them all in the
/// shared-string table, read before the first cell.
fn distinct_roster(rows: u32) -> (Vec<u8>, usize) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, header) in ["姓名", "手机号", "地址", "备注"].into_iter().enumerate() {
        sheet.write_string(0, col as u16, header).unwrap();
    }
    let mut text_bytes = 0;
    for i in 0..rows {
        let row = [
            format!(
                "{}{}",
                SURNAMES[(i % 6) as usize],
                GIVEN[(i / 6 % 6) as usize]
            ),
            format!("139{:08}", i + 1),
            format!("湖北省鄂州市鄂城区滨湖路{i}号"),
            format!(
                "第{i}条备注：{}",
                "本户情况已经入户核实，公示期内无异议。".repeat(12)
            ),
        ];
        for (col, text) in row.iter().enumerate() {
            text_bytes += text.len();
            sheet.write_string(i + 1, col as u16, text).unwrap();
        }
    }
    (book.save_to_buffer().unwrap(), text_bytes)
}

/// The findings of the workbook in cells (their count per type, and a hash
/// of each one's type, cell and masked value in order: kept small so as not
/// to weigh on the peak), and the peak allocation of inspecting it under
/// `limits`.
fn inspected(
    scanner: &Scanner,
    book: &[u8],
    limits: &Limits,
) -> ((BTreeMap<String, usize>, u64), usize) {
    let options = Options {
        small_cell_threshold: None,
        parallel: false,
    };
    peak_during(|| {
        let (mut counts, mut hash) = (BTreeMap::new(), DefaultHasher::new());
        inspect_each(
            scanner,
            "roster.xlsx",
            &InMemory(book),
            limits,
            options,
            |f: FileFinding| {
                if let Place::At(Location::Cell { cell, .. }) = &f.location.place {
                    *counts.entry(f.entity.clone()).or_insert(0) += 1;
                    (&f.entity, cell, &f.masked_value).hash(&mut hash);
                }
            },
        )
        .unwrap();
        (counts, hash.finish())
    })
}

#[test]
fn shared_strings_past_the_bound_wait_in_a_scratch_file() {
    let scanner = Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap();
    let rows = 20_000;
    let (book, text_bytes) = distinct_roster(rows);
    let held = Limits {
        shared_strings_in_memory: usize::MAX,
        ..Limits::unlimited()
    };
    let spilled = Limits {
        shared_strings_in_memory: 256 << 10,
        ..Limits::unlimited()
    };
    let (held_findings, held_peak) = inspected(&scanner, &book, &held);
    let (spilled_findings, spilled_peak) = inspected(&scanner, &book, &spilled);
    eprintln!(
        "{} KB of shared text: inspected with a peak of {} KB held, {} KB spilled",
        text_bytes >> 10,
        held_peak >> 10,
        spilled_peak >> 10
    );
    assert_eq!(spilled_findings.0.get("CN_MOBILE"), Some(&(rows as usize)));
    assert_eq!(spilled_findings, held_findings);
    assert!(
        spilled_peak * 2 < text_bytes,
        "spilled inspection peaked at {spilled_peak} bytes for {text_bytes} bytes of shared text"
    );
    assert!(held_peak > text_bytes, "the held table holds its text");
}
