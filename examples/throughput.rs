//! Extraction throughput on generated files: a 50 MB CSV (UTF-8 and GBK),
//! a ~20 MB XLSX and an ODS of the same rows, and a PDF, an OFD, a Word 97
//! document and an ODT of roster pages (written by the test fixtures'
//! writers), under the service limits.
//!
//! `cargo run --release --example throughput [CSV_MB] [XLSX_MB] [PAGES]`

use std::time::{Duration, Instant};

use releasegate::extract::{extract, Limits};
use releasegate::redact::{render, Redaction};
use rust_xlsxwriter::Workbook;

#[path = "../tests/support/legacy.rs"]
mod legacy;
#[path = "../tests/support/odf.rs"]
mod odf;
#[path = "../tests/support/ofd.rs"]
mod ofd;
#[path = "../tests/support/pdf.rs"]
mod pdf;

/// Deterministic pseudo-random digits so runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const NAMES: [&str; 6] = ["张三", "李四", "王五", "赵六", "钱七", "孙八"];
const HEADERS: [&str; 6] = ["序号", "姓名", "身份证号", "电话", "地址", "备注"];

fn row(rng: &mut Lcg, i: usize) -> [String; 6] {
    [
        i.to_string(),
        NAMES[(rng.next() % 6) as usize].to_string(),
        format!("4201061985{:08}", rng.next() % 100_000_000),
        format!("138{:08}", rng.next() % 100_000_000),
        format!("湖北省武汉市江岸区{}号", rng.next() % 1000),
        format!("第{}批开放数据,含\"引号\"", rng.next() % 50),
    ]
}

fn csv(target_bytes: usize) -> String {
    let mut rng = Lcg(7);
    let mut out = HEADERS.join(",") + "\n";
    let mut i = 0;
    loop {
        i += 1;
        let r = row(&mut rng, i);
        let line = format!(
            "{},{},{},{},{},\"{}\"\n",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5].replace('"', "\"\"")
        );
        // Stay just under the size so the file passes the service limit.
        if out.len() + line.len() > target_bytes {
            return out;
        }
        out.push_str(&line);
    }
}

fn xlsx(rows: usize) -> Vec<u8> {
    let mut rng = Lcg(11);
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 1..=rows {
        let r = row(&mut rng, i);
        ws.write_number(i as u32, 0, i as f64).unwrap();
        for (c, v) in r.iter().enumerate().skip(1) {
            if c == 3 {
                ws.write_number(i as u32, c as u16, v.parse::<f64>().unwrap())
                    .unwrap();
            } else {
                ws.write_string(i as u32, c as u16, v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// The same rows as [`xlsx`], as an OpenDocument spreadsheet.
fn ods(rows: usize) -> Vec<u8> {
    let mut rng = Lcg(11);
    let cell = |v: &str| {
        format!("<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p></table:table-cell>")
    };
    let mut body = String::from("<table:table table:name=\"名单\"><table:table-row>");
    body.extend(HEADERS.iter().map(|h| cell(h)));
    body.push_str("</table:table-row>");
    for i in 1..=rows {
        body.push_str("<table:table-row>");
        let r = row(&mut rng, i);
        for (c, v) in r.iter().enumerate() {
            if c == 0 || c == 3 {
                body.push_str(&format!("<table:table-cell office:value-type=\"float\" office:value=\"{v}\"><text:p>{v}</text:p></table:table-cell>"));
            } else {
                body.push_str(&cell(v));
            }
        }
        body.push_str("</table:table-row>");
    }
    body.push_str("</table:table>");
    odf::package("spreadsheet", &body, "", &[])
}

/// Best of three runs.
fn time<T>(mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = None;
    let mut out = None;
    for _ in 0..3 {
        let start = Instant::now();
        let r = f();
        let took = start.elapsed();
        if best.is_none_or(|b| took < b) {
            best = Some(took);
        }
        out = Some(r);
    }
    (best.unwrap_or_default(), out.expect("ran"))
}

/// Roster lines, 40 to a page, as a printed 名单 has them.
fn roster_pages(pages: usize) -> Vec<Vec<String>> {
    let mut rng = Lcg(13);
    (0..pages)
        .map(|p| {
            (0..40)
                .map(|l| {
                    let r = row(&mut rng, p * 40 + l + 1);
                    format!("{} {} {} {} {}", r[0], r[1], r[2], r[3], r[4])
                })
                .collect()
        })
        .collect()
}

/// Times extraction and prints it; the segments per second are pages
/// per second for PDF and OFD, whose segments are pages.
fn report_extract(label: &str, name: &str, bytes: &[u8]) -> releasegate::extract::Extracted {
    let limits = Limits::service_default();
    let (took, ex) = time(|| extract(name, bytes, &limits).expect("extracts"));
    let mb = bytes.len() as f64 / 1e6;
    println!(
        "{label:<10} {mb:7.1} MB  {:>9} segments  extract {:6.2} s  {:7.1} MB/s  ({:.0} segments/s)",
        ex.segments.len(),
        took.as_secs_f64(),
        mb / took.as_secs_f64(),
        ex.segments.len() as f64 / took.as_secs_f64()
    );
    ex
}

/// Extraction, then a rendition with the ID column masked.
fn report(label: &str, name: &str, bytes: &[u8]) {
    let ex = report_extract(label, name, bytes);
    let mb = bytes.len() as f64 / 1e6;
    // Mask the ID column (every 6th segment from the 3rd) to time a rendition.
    let redactions: Vec<Redaction> = (8..ex.segments.len())
        .step_by(6)
        .map(|segment| Redaction {
            segment,
            start: 6,
            end: 14,
            replacement: "********".into(),
        })
        .collect();
    let (took, out) = time(|| render(name, bytes, &ex, &redactions).expect("renders"));
    println!(
        "{label:<10} render {} redactions {:6.2} s  {:7.1} MB/s  ({} bytes out)",
        redactions.len(),
        took.as_secs_f64(),
        mb / took.as_secs_f64(),
        out.len()
    );
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<f64>().expect("a number of MB"));
    let csv_mb = args.next().unwrap_or(50.0);
    let xlsx_mb = args.next().unwrap_or(20.0);
    let pages = args.next().unwrap_or(500.0) as usize;

    let text = csv((csv_mb * 1e6) as usize);
    report("csv utf-8", "big.csv", text.as_bytes());
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    report("csv gbk", "big.csv", &gbk);

    // Calibrate the row count to the wanted file size.
    let probe_rows = 20_000;
    let per_row = xlsx(probe_rows).len() as f64 / probe_rows as f64;
    let book = xlsx((xlsx_mb * 1e6 / per_row) as usize);
    let archive = zip::ZipArchive::new(std::io::Cursor::new(&book[..])).expect("a zip");
    let inflated = archive.decompressed_size().unwrap_or_default() as f64 / 1e6;
    println!("xlsx inflates to {inflated:.1} MB of XML");
    report("xlsx", "big.xlsx", &book);
    let rows = (xlsx_mb * 1e6 / per_row) as usize;
    report("ods", "big.ods", &ods(rows));

    let roster = roster_pages(pages);
    let lines: Vec<Vec<&str>> = roster
        .iter()
        .map(|p| p.iter().map(String::as_str).collect())
        .collect();
    let pdf_pages: Vec<pdf::PdfPage> = lines.iter().map(|l| pdf::PdfPage::Text(l)).collect();
    report_extract("pdf", "big.pdf", &pdf::pdf(&pdf_pages, &[]));
    let ofd_pages: Vec<String> = roster
        .iter()
        .map(|p| {
            let lines: Vec<(f64, &str)> = p
                .iter()
                .enumerate()
                .map(|(i, l)| (10.0 + 6.0 * i as f64, l.as_str()))
                .collect();
            ofd::page(&lines)
        })
        .collect();
    report_extract("ofd", "big.ofd", &ofd::ofd(&[], None, &ofd_pages, &[]));
    let body: String = roster.iter().flatten().map(|l| format!("{l}\r")).collect();
    let stories = legacy::Stories {
        body: &body,
        ..legacy::Stories::default()
    };
    report_extract("doc", "big.doc", &legacy::doc(&stories, None));
    let paragraphs: String = roster
        .iter()
        .flatten()
        .map(|l| format!("<text:p>{l}</text:p>"))
        .collect();
    report_extract(
        "odt",
        "big.odt",
        &odf::package("text", &paragraphs, "", &[]),
    );
}
