//! Text, CSV/TSV and JSON: extraction with locations, encodings, limits, redaction.

use crate::files::{mask_all, redact_and_reread, unlimited};
use encoding_rs::GBK;
use releasegate::extract::{extract, ColumnRef, ExtractError, FileKind, Limits, Location};
use releasegate::redact::{render, Redaction};

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = GBK.encode(s);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn long_text_file_locates_line_and_column() {
    let mut text = String::new();
    for i in 1..=10_000 {
        if i == 9_876 {
            text.push_str("联系电话：13812345678 请勿外传\n");
        } else {
            text.push_str(&format!("第{i}行 普通内容\n"));
        }
    }
    let ex = unlimited("notes.txt", text.as_bytes());
    assert_eq!(
        (ex.kind, ex.encoding.as_deref(), ex.segments.len()),
        (FileKind::Text, Some("UTF-8"), 1)
    );
    let at = ex.segments[0].text.find("13812345678").unwrap();
    assert_eq!(
        ex.locate(0, at),
        Location::Text {
            line: 9_876,
            column: 6
        }
    );
}

#[test]
fn gbk_csv_with_id_column() {
    let csv = gbk(
        "姓名,身份证号,备注\n张三,420106198501011234,\"住址,武汉\"\n李四,110101199003074514,无\n",
    );
    let ex = unlimited("名单.csv", &csv);
    assert_eq!(
        (ex.kind, ex.encoding.as_deref()),
        (FileKind::Csv, Some("GBK"))
    );
    let seg = ex
        .segments
        .iter()
        .find(|s| s.text == "420106198501011234")
        .unwrap();
    assert_eq!(
        seg.location,
        Location::Cell {
            sheet: None,
            cell: "B2".into()
        }
    );
    assert_eq!(
        seg.column,
        Some(ColumnRef {
            table: String::new(),
            index: 1,
            letter: "B".into(),
            header: "身份证号".into(),
            row: 2
        })
    );
    assert_eq!(
        serde_json::to_string(&seg.location).unwrap(),
        r#"{"cell":"B2"}"#
    );
    let quoted = ex.segments.iter().find(|s| s.text == "住址,武汉").unwrap();
    assert_eq!(
        quoted.location,
        Location::Cell {
            sheet: None,
            cell: "C2".into()
        }
    );
}

#[test]
fn gbk_csv_redaction_stays_gbk_and_touches_only_the_value() {
    let csv = gbk("姓名,身份证号,备注\r\n张三,420106198501011234,\"他说\"\"你好\"\"\"\r\n");
    let (out, _) = redact_and_reread("a.csv", &csv, &["198501011234", "你好"], "****");
    let expected = gbk("姓名,身份证号,备注\r\n张三,420106****,\"他说\"\"****\"\"\"\r\n");
    assert_eq!(out, expected);
}

#[test]
fn tsv_and_semicolon_files_are_split_on_their_delimiter() {
    let ex = unlimited("a.tsv", "name\tphone\n王五\t13912345678\n".as_bytes());
    assert_eq!(
        ex.segments[3].location,
        Location::Cell {
            sheet: None,
            cell: "B2".into()
        }
    );
    assert_eq!(ex.segments[3].column.as_ref().unwrap().header, "phone");
    let ex = unlimited("b.csv", b"a;b\n1;2\n");
    assert_eq!(ex.segments.len(), 4);
}

#[test]
fn csv_redaction_that_adds_a_delimiter_is_quoted() {
    let (out, _) = redact_and_reread("c.csv", b"a,b\nsecret,2\n", &["secret"], "x,y");
    assert_eq!(out, b"a,b\n\"x,y\",2\n");
}

#[test]
fn utf16_and_bom_text_keep_their_encoding() {
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(
        "身份证 420106198501011234\r\n第二行"
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let (out, after) = redact_and_reread("u.txt", &utf16, &["420106198501011234"], "[已删除]");
    assert_eq!(after.encoding.as_deref(), Some("UTF-16LE"));
    assert!(out.starts_with(&[0xFF, 0xFE]));
    let bom = b"\xEF\xBB\xBFid 13812345678\n";
    let (out, _) = redact_and_reread("b.md", bom, &["13812345678"], "138****5678");
    assert_eq!(out, b"\xEF\xBB\xBFid 138****5678\n");
}

#[test]
fn gbk_text_redaction_is_byte_exact_elsewhere() {
    let src = gbk("机密★一年\n联系人：张三 电话13812345678\n");
    let (out, _) = redact_and_reread("g.txt", &src, &["13812345678"], "138****5678");
    assert_eq!(out, gbk("机密★一年\n联系人：张三 电话138****5678\n"));
}

/// Data kept in keys (a roster keyed by name or ID number) is read and
/// redacted like any value; schema names are left alone.
#[test]
fn json_keys_that_hold_data_are_read_and_redacted() {
    let src = r#"{"王建国": {"id": 1}, "420106198501011234": "已发放", "phone": "无"}"#;
    let ex = unlimited("roster.json", src.as_bytes());
    let segments: Vec<_> = ex
        .segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.as_str()))
        .collect();
    assert_eq!(
        segments,
        [
            (r#"{"json_path":"$.王建国~"}"#.to_string(), "王建国"),
            (
                r#"{"json_path":"$['420106198501011234']~"}"#.to_string(),
                "420106198501011234"
            ),
            (
                r#"{"json_path":"$['420106198501011234']"}"#.to_string(),
                "已发放"
            ),
            (r#"{"json_path":"$.phone"}"#.to_string(), "无"),
        ]
    );
    let redactions = mask_all(&ex, &["王建国", "420106198501011234"], "**");
    let out = render("roster.json", src.as_bytes(), &ex, &redactions).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert!(
        !keys
            .iter()
            .any(|k| k.contains("王建国") || k.contains("420106")),
        "{keys:?}"
    );
    assert_eq!(value["phone"], "无");
}

#[test]
fn json_paths_and_redaction() {
    let src = r#"{"items": [{"name": "张三", "phone": 13812345678, "id": "420106198501011234"}], "ok": true}"#;
    let ex = unlimited("d.json", src.as_bytes());
    let locs: Vec<_> = ex
        .segments
        .iter()
        .map(|s| serde_json::to_string(&s.location).unwrap())
        .collect();
    assert_eq!(
        locs,
        [
            r#"{"json_path":"$.items[0].name"}"#,
            r#"{"json_path":"$.items[0].phone"}"#,
            r#"{"json_path":"$.items[0].id"}"#
        ]
    );
    let (out, _) = redact_and_reread(
        "d.json",
        src.as_bytes(),
        &["张三", "420106198501011234"],
        "**",
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        src.replace("张三", "**")
            .replace("420106198501011234", "**")
    );
    // A masked number becomes a string, and the file stays valid JSON.
    let before = unlimited("d.json", src.as_bytes());
    let phone = before
        .segments
        .iter()
        .position(|s| s.text == "13812345678")
        .unwrap();
    let r = Redaction {
        segment: phone,
        start: 3,
        end: 7,
        replacement: "****".into(),
    };
    let out = render("d.json", src.as_bytes(), &before, &[r]).unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["items"][0]["phone"], "138****5678");
}

#[test]
fn undecodable_and_binary_inputs_are_refused() {
    let mut bad = gbk("身份证号码登记表，请妥善保管相关材料。");
    bad.extend_from_slice(b"\x81\x20");
    let err = extract("x.txt", &bad, &Limits::unlimited()).unwrap_err();
    assert!(matches!(err, ExtractError::Undecodable { .. }), "{err}");
    assert!(
        err.to_string()
            .contains(&format!("offset {}", bad.len() - 2)),
        "{err}"
    );
    let err = extract("x.txt", b"abc\0\0\x01", &Limits::unlimited()).unwrap_err();
    assert!(matches!(err, ExtractError::Unsupported { .. }), "{err}");
}

#[test]
fn text_limits_are_enforced() {
    let limits = Limits {
        max_file_bytes: Some(10),
        ..Limits::service_default()
    };
    let err = extract("a.txt", b"01234567890", &limits).unwrap_err();
    assert_eq!(err.to_string(), "file size 11 bytes exceeds limit 10");
    let limits = Limits {
        max_line_bytes: 4,
        ..Limits::service_default()
    };
    let err = extract("a.txt", b"abc\nabcde\n", &limits).unwrap_err();
    assert_eq!(err.to_string(), "line 2 length 5 bytes exceeds limit 4");
    let limits = Limits {
        max_rows: 2,
        ..Limits::service_default()
    };
    assert!(matches!(
        extract("a.csv", b"a\nb\nc\n", &limits),
        Err(ExtractError::TooLarge { .. })
    ));
    let limits = Limits {
        max_cells: 3,
        ..Limits::service_default()
    };
    assert!(matches!(
        extract("a.csv", b"a,b\nc,d\n", &limits),
        Err(ExtractError::TooLarge { .. })
    ));
}

#[test]
fn render_refuses_bad_redactions() {
    let src = b"hello world";
    let ex = unlimited("a.txt", src);
    let r = |start, end| Redaction {
        segment: 0,
        start,
        end,
        replacement: "*".into(),
    };
    assert!(render("a.txt", src, &ex, &[r(0, 5), r(3, 8)]).is_err());
    assert!(render("a.txt", src, &ex, &[r(0, 50)]).is_err());
    assert!(render("a.txt", b"other", &ex, &[r(0, 1)]).is_err());
    assert_eq!(render("a.txt", src, &ex, &[]).unwrap(), src);
}

#[test]
fn stored_extraction_round_trips_through_json_into_render() {
    let src = "姓名,电话\n张三,13812345678\n".as_bytes();
    let ex = unlimited("s.csv", src);
    let stored = serde_json::to_string(&ex).unwrap();
    let loaded: releasegate::extract::Extracted = serde_json::from_str(&stored).unwrap();
    assert_eq!(loaded, ex);
    let phone = loaded
        .segments
        .iter()
        .position(|s| s.text == "13812345678")
        .unwrap();
    let r = Redaction {
        segment: phone,
        start: 3,
        end: 7,
        replacement: "****".into(),
    };
    let out = render("s.csv", src, &loaded, &[r]).unwrap();
    assert_eq!(out, "姓名,电话\n张三,138****5678\n".as_bytes());
}
