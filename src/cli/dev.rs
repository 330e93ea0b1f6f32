//! `releasegate dev ...`: generators for measuring the service at scale.
//! `dev roster` writes the dense personal-data table that benchmarks and
//! the memory test inspect (a name, an ID number, a mobile and an address
//! on every row: four findings per row). `dev seed` copies a filed release
//! into a million; `dev audit-events` grows the audit log to the size
//! verification and proofs are measured at.

use std::io::Write;
use std::path::Path;

use super::admin::{finish, with_db};
use super::usage_error;
use crate::scan::validators::cn_id_card;

const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];
const GIVEN: [&str; 12] = [
    "建国", "秀英", "志强", "丽娟", "海涛", "婷婷", "国华", "明", "晓燕", "军", "红梅", "伟",
];
const ROADS: [&str; 6] = [
    "滨湖路",
    "寿山大道",
    "武昌大道",
    "江碧路",
    "文星路",
    "吴都大道",
];

/// Row `i` of the roster; the same `i` always gives the same row.
pub(crate) fn row(i: u64) -> String {
    let name = format!(
        "{}{}",
        SURNAMES[(i % 12) as usize],
        GIVEN[((i / 12) % 12) as usize]
    );
    let birth = format!(
        "{}{:02}{:02}",
        1950 + i % 50,
        1 + (i / 50) % 12,
        1 + (i / 600) % 28
    );
    let body = format!("420704{birth}{:03}", i % 1000);
    let id = "0123456789X"
        .chars()
        .map(|c| format!("{body}{c}"))
        .find(|candidate| cn_id_card(candidate))
        .unwrap_or_else(|| format!("{body}0"));
    // Never eight zeros after the prefix: that is a dummy, no subscriber.
    let mobile = format!("13{}{:08}", i % 10, 1 + (i * 7919) % 99_999_999);
    let road = ROADS[(i % 6) as usize];
    format!(
        "{name},{id},{mobile},湖北省鄂州市鄂城区{road}{}号\n",
        1 + i % 999
    )
}

pub fn roster(rows: u64, out: Option<&Path>, shared_strings: bool) -> i32 {
    let workbook = out.filter(|p| p.extension().is_some_and(|e| e == "xlsx"));
    let written = (|| -> std::io::Result<()> {
        if let Some(path) = workbook {
            return roster_workbook(rows, std::fs::File::create(path)?, shared_strings);
        }
        let sink: Box<dyn Write> = match out {
            Some(path) => Box::new(std::fs::File::create(path)?),
            None => Box::new(std::io::stdout().lock()),
        };
        let mut sink = std::io::BufWriter::with_capacity(1 << 16, sink);
        sink.write_all(ROSTER_HEADER.join(",").as_bytes())?;
        sink.write_all(b"\n")?;
        for i in 0..rows {
            sink.write_all(row(i).as_bytes())?;
        }
        sink.flush()
    })();
    match written {
        Ok(()) => 0,
        Err(e) => usage_error(format!("cannot write the roster: {e}")),
    }
}

const ROSTER_HEADER: [&str; 4] = ["姓名", "身份证号", "手机号", "地址"];

/// The roster as a workbook of one sheet, written as it is generated. Its
/// cells are inline strings (as database exports and streaming writers
/// produce them) or, with `shared_strings`, indexes into a shared-string
/// table of one entry per cell, written after the sheet (as Excel keeps
/// them, but for its merging of equal texts).
fn roster_workbook(rows: u64, file: std::fs::File, shared_strings: bool) -> std::io::Result<()> {
    use zip::write::SimpleFileOptions;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let deflated = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC_RELS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#
                .to_owned(),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#
            ),
        ),
    ];
    for (name, xml) in parts {
        zip.start_file(name, deflated)?;
        zip.write_all(xml.as_bytes())?;
    }
    zip.start_file("xl/worksheets/sheet1.xml", deflated)?;
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>"#
    )?;
    let header = ROSTER_HEADER.map(String::from);
    let all_rows =
        || std::iter::once(header.clone()).chain((0..rows).map(|i| roster_cells(&row(i))));
    for (r, cells) in all_rows().enumerate() {
        write!(zip, r#"<row r="{}">"#, r + 1)?;
        for (c, text) in cells.iter().enumerate() {
            let column = char::from(b'A' + c as u8);
            if shared_strings {
                let index = r * cells.len() + c;
                write!(zip, r#"<c r="{column}{}" t="s"><v>{index}</v></c>"#, r + 1)?;
            } else {
                let text = quick_xml::escape::escape(text.as_str());
                write!(
                    zip,
                    r#"<c r="{column}{}" t="inlineStr"><is><t>{text}</t></is></c>"#,
                    r + 1
                )?;
            }
        }
        zip.write_all(b"</row>")?;
    }
    zip.write_all(b"</sheetData></worksheet>")?;
    zip.start_file("xl/sharedStrings.xml", deflated)?;
    write!(
        zip,
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">"#
    )?;
    if shared_strings {
        for text in all_rows().flatten() {
            let text = quick_xml::escape::escape(text.as_str());
            write!(zip, "<si><t>{text}</t></si>")?;
        }
    }
    zip.write_all(b"</sst>")?;
    zip.finish()?.flush()
}

/// The four cells of a CSV row of the roster.
fn roster_cells(line: &str) -> [String; 4] {
    let mut cells = line.trim_end().splitn(4, ',').map(str::to_owned);
    std::array::from_fn(|_| cells.next().unwrap_or_default())
}

/// Writes `count` copies of a filed release.
pub fn seed(count: u64, template: Option<&str>) -> i32 {
    let started = std::time::Instant::now();
    let seeded =
        with_db(|_, conn| crate::service::seed::seed(conn, template, count, crate::audit::now()));
    finish(seeded, |s| {
        eprintln!(
            "wrote {} releases and {} findings in {:.1} s",
            s.releases,
            s.findings,
            started.elapsed().as_secs_f64()
        )
    })
}

/// Appends `count` synthetic events to the audit log.
pub fn audit_events(count: u64) -> i32 {
    let started = std::time::Instant::now();
    let seeded = with_db(|_, conn| Ok(crate::service::audit_log::seed(conn, count)?));
    finish(seeded, |n| {
        eprintln!(
            "appended {n} audit events in {:.1} s",
            started.elapsed().as_secs_f64()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_dense_valid_and_deterministic() {
        for i in [0, 1, 517_857] {
            let r = row(i);
            assert_eq!(r, row(i));
            let fields: Vec<&str> = r.trim_end().split(',').collect();
            assert_eq!(fields.len(), 4, "{r}");
            assert!(cn_id_card(fields[1]), "{r}");
            assert_eq!(fields[2].len(), 11, "{r}");
        }
    }
}
