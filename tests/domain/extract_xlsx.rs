//! XLSX: every sheet and cell, shared and inline strings, exact numbers;
//! redaction into inline strings without leaking through sharedStrings.xml.

use crate::files::{assert_absent_from_package, redact_and_reread, unlimited, zip_members, zip_of};
use releasegate::extract::{ColumnRef, FileKind, Location, Part};
use releasegate::redact::{render, Redaction};
use rust_xlsxwriter::{Formula, Workbook};

fn workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("人员").unwrap();
    for (col, header) in ["姓名", "身份证号", "电话", "备注"].into_iter().enumerate() {
        ws.write_string(0, col as u16, header).unwrap();
    }
    ws.write_string(1, 0, "张三").unwrap();
    ws.write_string(1, 1, "420106198501011234").unwrap();
    ws.write_number(1, 2, 13812345678.0).unwrap();
    ws.write_string(1, 3, "张三").unwrap();
    ws.write_string(2, 0, "李四").unwrap();
    ws.write_number(2, 2, 2.5).unwrap();
    ws.write_formula(2, 3, Formula::new("=A2").set_result("张三"))
        .unwrap();
    let hidden = wb.add_worksheet();
    hidden.set_name("Hidden").unwrap();
    hidden.write_string(0, 0, "机密").unwrap();
    hidden.set_hidden(true);
    wb.save_to_buffer().unwrap()
}

fn cell(sheet: &str, cell: &str) -> Location {
    Location::Cell {
        sheet: Some(sheet.into()),
        cell: cell.into(),
    }
}

#[test]
fn extracts_every_sheet_with_column_headers() {
    let ex = unlimited("名单.xlsx", &workbook());
    assert_eq!((ex.kind, ex.encoding.clone()), (FileKind::Xlsx, None));
    let got: Vec<(String, Location)> = ex
        .segments
        .iter()
        .map(|s| (s.text.clone(), s.location.clone()))
        .collect();
    let expected: Vec<(String, Location)> = [
        ("姓名", "人员", "A1"),
        ("身份证号", "人员", "B1"),
        ("电话", "人员", "C1"),
        ("备注", "人员", "D1"),
        ("张三", "人员", "A2"),
        ("420106198501011234", "人员", "B2"),
        ("13812345678", "人员", "C2"),
        ("张三", "人员", "D2"),
        ("李四", "人员", "A3"),
        ("2.5", "人员", "C3"),
        ("张三", "人员", "D3"),
        ("机密", "Hidden", "A1"),
    ]
    .into_iter()
    .map(|(t, s, c)| (t.to_string(), cell(s, c)))
    // The sheet names, hidden ones too, from the workbook and again as the
    // document properties list them.
    .chain(["人员", "Hidden"].into_iter().enumerate().map(|(i, name)| {
        (
            name.to_string(),
            Location::Package {
                part: Part::Workbook,
                name: format!("sheet {}", i + 1),
            },
        )
    }))
    .chain([(
        "人员\nHidden".to_string(),
        Location::Package {
            part: Part::Properties,
            name: "TitlesOfParts".into(),
        },
    )])
    .collect();
    assert_eq!(got, expected);
    assert_eq!(
        ex.segments[5].column,
        Some(ColumnRef {
            table: "人员".into(),
            index: 1,
            letter: "B".into(),
            header: "身份证号".into(),
            row: 2
        })
    );
    assert_eq!(
        serde_json::to_string(&ex.segments[5].location).unwrap(),
        r#"{"sheet":"人员","cell":"B2"}"#
    );
}

#[test]
fn redacting_everywhere_leaves_no_raw_value_in_the_package() {
    let original = workbook();
    let values = ["420106198501011234", "13812345678", "张三"];
    let (out, _) = redact_and_reread("a.xlsx", &original, &values, "***");
    for v in values {
        assert_absent_from_package(&out, v);
    }
    // Untouched members are byte-identical; the properties are gone, and
    // with them their entries in the package's two indexes.
    let after = zip_members(&out);
    for (name, a) in zip_members(&original) {
        let b = after.iter().find(|(n, _)| *n == name).map(|(_, b)| b);
        if name.starts_with("docProps/") {
            assert!(b.is_none(), "{name} kept");
        } else if !name.starts_with("xl/worksheets/sheet1")
            && !["xl/sharedStrings.xml", "[Content_Types].xml", "_rels/.rels"]
                .contains(&name.as_str())
        {
            assert_eq!(Some(&a), b, "{name} changed");
        }
    }
}

#[test]
fn shared_string_still_used_elsewhere_is_kept() {
    let original = workbook();
    let ex = unlimited("a.xlsx", &original);
    // A2 and D2 share the string 张三; redact A2 only.
    let a2 = ex
        .segments
        .iter()
        .position(|s| s.location == cell("人员", "A2"))
        .unwrap();
    let r = Redaction {
        segment: a2,
        start: 0,
        end: "张三".len(),
        replacement: "张*".into(),
    };
    let out = render("a.xlsx", &original, &ex, &[r]).unwrap();
    let again = unlimited("a.xlsx", &out);
    let text_at = |loc: Location| {
        again
            .segments
            .iter()
            .find(|s| s.location == loc)
            .unwrap()
            .text
            .clone()
    };
    assert_eq!(text_at(cell("人员", "A2")), "张*");
    assert_eq!(text_at(cell("人员", "D2")), "张三");
    let cells = |ex: &releasegate::extract::Extracted| {
        ex.segments
            .iter()
            .filter(|s| crate::files::is_content(&s.location))
            .count()
    };
    assert_eq!(cells(&again), cells(&ex));
}

const SS_NS: &str = r#"xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;

/// A hand-written workbook: numbers in exponent form, an inline string, rich
/// text with a phonetic run, a formula listed in calcChain.xml.
fn handmade() -> Vec<u8> {
    handmade_with(r#"<c r="C2" t="str"><f>A2&amp;""</f><v>13812345678</v></c>"#)
}

/// The hand-written workbook with `c2` as the last cell of row 2.
fn handmade_with(c2: &str) -> Vec<u8> {
    let workbook = format!(
        r#"<workbook {SS_NS} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>"#
    );
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain" Target="calcChain.xml"/></Relationships>"#;
    let sheet = format!(
        r#"<worksheet {SS_NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>电话</t></is></c><c r="B1" t="s"><v>0</v></c><c r="C1" t="b"><v>1</v></c></row><row r="2"><c r="A2" s="1"><v>1.3812345678E10</v></c><c r="B2"><v>4.20106198501011E+17</v></c>{c2}</row></sheetData></worksheet>"#
    );
    let shared = format!(
        r#"<sst {SS_NS} count="1" uniqueCount="1"><si><r><t>张</t></r><r><t>三</t></r><rPh sb="0" eb="1"><t>ちょう</t></rPh></si></sst>"#
    );
    let calc_chain = format!(r#"<calcChain {SS_NS}><c r="C2" i="1"/></calcChain>"#);
    let content_types = r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="x"/><Override PartName="/xl/calcChain.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/></Types>"#;
    zip_of(&[
        ("[Content_Types].xml", content_types.as_bytes()),
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/sharedStrings.xml", shared.as_bytes()),
        ("xl/calcChain.xml", calc_chain.as_bytes()),
    ])
}

#[test]
fn numbers_keep_exact_digits_and_rich_text_skips_phonetics() {
    let ex = unlimited("h.xlsx", &handmade());
    let got: Vec<(&str, String)> = ex
        .segments
        .iter()
        .filter(|s| !s.location.is_workbook())
        .map(|s| match &s.location {
            Location::Cell { cell, .. } => (s.text.as_str(), cell.clone()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            ("电话", "A1".to_string()),
            ("张三", "B1".into()),
            ("13812345678", "A2".into()),
            ("420106198501011000", "B2".into()),
            ("13812345678", "C2".into()),
        ]
    );
    assert_eq!(ex.segments[2].column.as_ref().unwrap().header, "电话");
}

#[test]
fn redacting_a_formula_cell_drops_formula_and_calc_chain() {
    let original = handmade();
    let (out, _) = redact_and_reread("h.xlsx", &original, &["13812345678"], "138****5678");
    assert_absent_from_package(&out, "13812345678");
    let members = zip_members(&out);
    assert!(members.iter().all(|(n, _)| n != "xl/calcChain.xml"));
    let text = |name: &str| {
        String::from_utf8(members.iter().find(|(n, _)| n == name).unwrap().1.clone()).unwrap()
    };
    assert!(!text("[Content_Types].xml").contains("calcChain"));
    assert!(!text("xl/_rels/workbook.xml.rels").contains("calcChain"));
    let sheet = text("xl/worksheets/sheet1.xml");
    assert!(!sheet.contains("<f>"), "{sheet}");
    assert!(
        sheet.contains(
            r#"<c r="A2" s="1" t="inlineStr"><is><t xml:space="preserve">138****5678</t></is></c>"#
        ),
        "{sheet}"
    );
}

#[test]
fn rendition_opens_in_an_independent_reader() {
    use calamine::{Data, Reader, Xlsx};
    let original = workbook();
    let (out, _) = redact_and_reread("a.xlsx", &original, &["420106198501011234", "张三"], "＊＊");
    let mut book = Xlsx::new(std::io::Cursor::new(out)).unwrap();
    assert_eq!(book.sheet_names(), ["人员", "Hidden"]);
    let range = book.worksheet_range("人员").unwrap();
    assert_eq!(range.get_value((1, 1)), Some(&Data::String("＊＊".into())));
    assert_eq!(range.get_value((1, 0)), Some(&Data::String("＊＊".into())));
    assert_eq!(range.get_value((1, 2)), Some(&Data::Float(13812345678.0)));
    assert_eq!(range.get_value((2, 0)), Some(&Data::String("李四".into())));
}

#[test]
fn page_headers_and_dates_are_read_and_header_marks_redacted() {
    use rust_xlsxwriter::{ExcelDateTime, Format};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_header("&C机密★一年").set_footer("&R第 &P 页");
    ws.write_string(0, 0, "出生日期").unwrap();
    let date = ExcelDateTime::from_ymd(1985, 1, 1).unwrap();
    ws.write_datetime_with_format(
        1,
        0,
        &date,
        &Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\""),
    )
    .unwrap();
    let original = wb.save_to_buffer().unwrap();
    let ex = unlimited("d.xlsx", &original);
    let got: Vec<String> = ex
        .segments
        .iter()
        .map(|s| format!("{} {}", serde_json::to_string(&s.location).unwrap(), s.text))
        .collect();
    assert_eq!(
        got,
        [
            r#"{"sheet":"Sheet1","cell":"A1"} 出生日期"#,
            r#"{"sheet":"Sheet1","cell":"A2"} 1985-01-01"#,
            r#"{"sheet":"Sheet1","cell":"header"} &C机密★一年"#,
            r#"{"sheet":"Sheet1","cell":"footer"} &R第 &P 页"#,
            r#"{"part":"workbook","name":"sheet 1"} Sheet1"#,
            r#"{"part":"properties","name":"TitlesOfParts"} Sheet1"#,
        ]
    );
    let (out, _) = redact_and_reread("d.xlsx", &original, &["机密★一年", "1985-01-01"], "[略]");
    assert_absent_from_package(&out, "机密");
}

#[test]
fn cell_notes_are_read_at_their_cell_and_redacted() {
    use rust_xlsxwriter::Note;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(1, 1, "见批注").unwrap();
    ws.insert_note(
        1,
        1,
        &Note::new("张三电话13812345678").add_author_prefix(false),
    )
    .unwrap();
    let original = wb.save_to_buffer().unwrap();
    let ex = unlimited("n.xlsx", &original);
    let note = ex
        .segments
        .iter()
        .find(|s| s.text.contains("138"))
        .expect("note extracted");
    assert_eq!(note.location, cell("Sheet1", "B2"));
    assert_eq!(note.column, None);
    let (out, _) = redact_and_reread("n.xlsx", &original, &["13812345678"], "***");
    assert_absent_from_package(&out, "13812345678");
}

#[test]
fn value_left_in_an_unread_part_fails_closed() {
    use rust_xlsxwriter::DocProperties;
    let mut wb = Workbook::new();
    // The author is a property: stripped, so it cannot leak.
    wb.set_properties(&DocProperties::new().set_author("张三丰"));
    wb.add_worksheet()
        .write_string(0, 0, "联系人张三丰")
        .unwrap();
    let workbook = wb.save_to_buffer().unwrap();
    let mut members = zip_members(&workbook);
    let cache = "xl/pivotCache/pivotCacheRecords1.xml";
    members.push((
        cache.into(),
        "<pivotCacheRecords><r><s v=\"张三丰\"/></r></pivotCacheRecords>".into(),
    ));
    let original = crate::files::rezip(&members);
    let ex = unlimited("p.xlsx", &original);
    assert_eq!(
        ex.unreadable.len(),
        1,
        "the cache is for a person to look at"
    );
    let start = "联系人".len();
    let r = Redaction {
        segment: 0,
        start,
        end: start + "张三丰".len(),
        replacement: "张**".into(),
    };
    let err = render("p.xlsx", &original, &ex, std::slice::from_ref(&r))
        .unwrap_err()
        .to_string();
    assert!(err.contains(cache), "{err}");
    assert!(
        !err.contains("张三丰"),
        "the message must not repeat the value"
    );
    let out = render("p.xlsx", &workbook, &unlimited("p.xlsx", &workbook), &[r]).unwrap();
    assert_absent_from_package(&out, "张三丰");
}

#[test]
fn shared_formula_master_keeps_its_formula_when_redacted() {
    let c2 = r#"<c r="C2" t="str"><f t="shared" ref="C2:C3" si="0">A2&amp;""</f><v>13812345678</v></c><c r="C3" t="str"><f t="shared" si="0"/><v>x</v></c>"#;
    let original = handmade_with(c2);
    let (out, _) = redact_and_reread("h.xlsx", &original, &["13812345678"], "138****5678");
    assert_absent_from_package(&out, "13812345678");
    let members = zip_members(&out);
    let sheet = members
        .iter()
        .find(|(n, _)| n == "xl/worksheets/sheet1.xml")
        .unwrap();
    let sheet = String::from_utf8(sheet.1.clone()).unwrap();
    assert!(
        sheet.contains(r#"<c r="C2" t="str"><f t="shared" ref="C2:C3" si="0">A2&amp;""</f><v>138****5678</v></c>"#),
        "{sheet}"
    );
}

#[test]
fn sheet_names_defined_names_and_validation_lists_are_read_and_never_rewritten() {
    use rust_xlsxwriter::DataValidation;
    let id = "420704198503121233";
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(format!("王建国{}", &id[..6])).unwrap();
    ws.write_string(0, 0, "经办人").unwrap();
    let list = DataValidation::new()
        .allow_list_strings(&["张三", "李四 13812345678"])
        .unwrap();
    ws.add_data_validation(1, 0, 9, 0, &list).unwrap();
    wb.define_name("联系人_王建国", "=\"13912345678\"").unwrap();
    wb.define_name("_xlnm.Print_Area", "=王建国420704!$A$1")
        .ok();
    let bytes = wb.save_to_buffer().unwrap();
    let ex = unlimited("名单.xlsx", &bytes);
    let workbook: Vec<(String, &str)> = ex
        .segments
        .iter()
        .filter(|s| s.location.is_workbook())
        .map(|s| (s.location.to_string(), s.text.as_str()))
        .collect();
    assert_eq!(
        workbook,
        [
            ("workbook sheet 1".to_string(), "王建国420704"),
            (
                "workbook defined name 1".into(),
                "联系人_王建国\n\"13912345678\""
            ),
            ("workbook validation 1".into(), "\"张三,李四 13812345678\""),
        ]
    );
    // Dispositioned `redact`, a workbook name needs a new version.
    let (segment, seg) = ex
        .segments
        .iter()
        .enumerate()
        .find(|(_, s)| s.location.to_string() == "workbook validation 1")
        .unwrap();
    let at = seg.text.find("13812345678").unwrap();
    let r = Redaction {
        segment,
        start: at,
        end: at + 11,
        replacement: "*".into(),
    };
    let err = render("名单.xlsx", &bytes, &ex, &[r])
        .unwrap_err()
        .to_string();
    assert!(err.contains("workbook validation 1"), "{err}");
}
