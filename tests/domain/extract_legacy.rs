//! Office 97–2003 and WPS binary files: XLS/ET cells of every sheet
//! (hidden ones too) with `{sheet, cell}`, DOC/WPS stories by paragraph,
//! property sets, embedded objects unreadable, and no redaction in place.

use crate::files::unlimited;
use crate::legacy::{doc, property_stream, roster_xls, Stories};
use releasegate::extract::{extract, kind_of_source, ExtractError, FileKind, InMemory, Limits};
use releasegate::redact::{render, Redaction};

const ID: &str = "420704198503121233";

fn located(ex: &releasegate::extract::Extracted) -> Vec<(String, String)> {
    ex.segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.clone()))
        .collect()
}

#[test]
fn a_workbook_is_read_cell_by_cell_hidden_sheets_included() {
    let ex = unlimited("名单.xls", &roster_xls());
    assert_eq!(ex.kind, FileKind::Xls);
    let got = located(&ex);
    let cell = |sheet: &str, cell: &str, text: &str| {
        (
            format!(r#"{{"sheet":"{sheet}","cell":"{cell}"}}"#),
            text.to_string(),
        )
    };
    for expected in [
        cell("补贴名单", "A2", "王建国"),
        cell("补贴名单", "B2", ID),
        // A phone number stored as a number reads as its digits.
        cell("补贴名单", "C2", "13812345678"),
        cell("补贴名单", "D2", "1200.5"),
        cell("内部备注", "A1", "机密★10年"),
    ] {
        assert!(got.contains(&expected), "{expected:?} not in {got:?}");
    }
    // Column-aware rules see the header of each cell.
    let id_cell = ex.segments.iter().find(|s| s.text == ID).unwrap();
    assert_eq!(id_cell.column.as_ref().unwrap().header, "身份证号");
    // A WPS spreadsheet (.et) is the same format.
    assert_eq!(
        kind_of_source("名单.et", &InMemory(&roster_xls())).unwrap(),
        FileKind::Xls
    );
}

fn notice(id: &str) -> Vec<u8> {
    let summary = property_stream(&[(936, &[(2, "机密★10年 内部通报"), (4, id)], &[])]);
    doc(
        &Stories {
            body: &format!(
                "关于补贴发放的说明\r联系人：王建国，身份证号{id}\rTel 0711-3881234\r\u{1}\r"
            ),
            footnotes: "注：数据截至2026年6月\r",
            headers: "内部资料\r\r",
        },
        Some(&summary),
    )
}

#[test]
fn a_word_97_document_is_read_by_story_and_paragraph_with_its_properties() {
    let ex = unlimited("说明.doc", &notice(ID));
    assert_eq!(ex.kind, FileKind::Doc);
    assert_eq!(
        located(&ex),
        [
            (
                r#"{"part":"body","paragraph":1}"#,
                "关于补贴发放的说明".to_string()
            ),
            (
                r#"{"part":"body","paragraph":2}"#,
                format!("联系人：王建国，身份证号{ID}")
            ),
            (
                r#"{"part":"body","paragraph":3}"#,
                "Tel 0711-3881234".to_string()
            ),
            (
                r#"{"part":"footnote","paragraph":1}"#,
                "注：数据截至2026年6月".to_string()
            ),
            (r#"{"part":"header","paragraph":1}"#, "内部资料".to_string()),
            (
                r#"{"part":"properties","name":"Title"}"#,
                "机密★10年 内部通报".to_string()
            ),
            (r#"{"part":"properties","name":"Author"}"#, ID.to_string()),
        ]
        .map(|(l, t)| (l.to_string(), t))
    );
    // The inline picture is a part a person must look at, where it stands.
    let pictures: Vec<String> = ex
        .unreadable
        .iter()
        .map(|u| format!("{} {}", serde_json::to_string(&u.location).unwrap(), u.what))
        .collect();
    assert_eq!(pictures, [r#"{"part":"body","paragraph":4} picture"#]);
    // A WPS document (.wps) is the same format.
    assert_eq!(
        kind_of_source("说明.wps", &InMemory(&notice(ID))).unwrap(),
        FileKind::Doc
    );
}

#[test]
fn custom_properties_are_read_by_their_names() {
    let mut ole = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    let word = doc(
        &Stories {
            body: "正文\r",
            ..Stories::default()
        },
        None,
    );
    // Copy the document's streams, then add DocumentSummaryInformation.
    let mut source = cfb::CompoundFile::open(std::io::Cursor::new(word)).unwrap();
    for name in ["/WordDocument", "/1Table"] {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut source.open_stream(name).unwrap(), &mut bytes).unwrap();
        std::io::Write::write_all(&mut ole.create_stream(name).unwrap(), &bytes).unwrap();
    }
    let document = property_stream(&[
        (936, &[(15, "鄂州市某局")], &[]),
        (936, &[(2, ID)], &[(2, "经办人身份证")]),
    ]);
    std::io::Write::write_all(
        &mut ole
            .create_stream("/\u{5}DocumentSummaryInformation")
            .unwrap(),
        &document,
    )
    .unwrap();
    ole.flush().unwrap();
    let bytes = ole.into_inner().into_inner();
    let got = located(&unlimited("a.doc", &bytes));
    assert!(
        got.contains(&(
            r#"{"part":"properties","name":"Company"}"#.into(),
            "鄂州市某局".into()
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            r#"{"part":"properties","name":"经办人身份证"}"#.into(),
            ID.into()
        )),
        "{got:?}"
    );
}

#[test]
fn other_compound_files_are_named_and_a_redaction_in_place_is_refused() {
    let mut ole = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    std::io::Write::write_all(
        &mut ole.create_stream("/PowerPoint Document").unwrap(),
        b"x",
    )
    .unwrap();
    ole.flush().unwrap();
    let ppt = ole.into_inner().into_inner();
    match extract("a.ppt", &ppt, &Limits::service_default()) {
        Err(ExtractError::Unsupported { detected }) => {
            assert!(detected.contains(".ppt"), "{detected}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        extract("a.doc", b"not a compound file", &Limits::service_default()),
        Err(ExtractError::Malformed { .. })
    ));

    let bytes = notice(ID);
    let ex = unlimited("说明.doc", &bytes);
    let segment = ex
        .segments
        .iter()
        .position(|s| s.text.contains(ID))
        .unwrap();
    let start = ex.segments[segment].text.find(ID).unwrap();
    let redaction = Redaction {
        segment,
        start,
        end: start + ID.len(),
        replacement: "*".repeat(18),
    };
    match render("说明.doc", &bytes, &ex, &[redaction]) {
        Err(ExtractError::Unsupported { detected }) => {
            assert!(detected.contains("upload a redacted version"), "{detected}")
        }
        other => panic!("{other:?}"),
    }
    // With nothing to redact the file goes out as it came.
    assert_eq!(render("说明.doc", &bytes, &ex, &[]).unwrap(), bytes);
}
