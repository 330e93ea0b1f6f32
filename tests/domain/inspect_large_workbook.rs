//! A large workbook is inspected from its package as a stream: its sheet
//! XML is parsed as it is inflated and its cells are scanned as they come,
//! so the peak is its shared strings and a batch of cells, not the sheet
//! XML and every cell at once.

use std::path::Path;

use releasegate::extract::{extract, InMemory, Limits, Location};
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
            .write_string(i + 1, 1, format!("138{:08}", i))
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
