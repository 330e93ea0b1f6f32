//! OpenDocument text and spreadsheets: every story and cell located as in
//! DOCX and XLSX, properties read and stripped, redaction in place.

use crate::files::{
    assert_absent_from_package, redact_and_reread, unlimited, unreadable_of, zip_members, zip_of,
};
use crate::odf::{package, styles, NS};
use releasegate::extract::{extract, ExtractError, FileKind, Limits};
use releasegate::redact::{render, Redaction};

const ID: &str = "420704198503121233";

/// Document properties, a manifest naming every member, a thumbnail of
/// page one and a picture, as LibreOffice writes them beside the content.
fn beside_content(kind: &str) -> Vec<(&'static str, Vec<u8>)> {
    let meta = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NS} office:version="1.3"><office:meta><meta:generator>LibreOffice/7.4</meta:generator><dc:title>机密★10年</dc:title><meta:initial-creator>{ID}</meta:initial-creator><meta:creation-date>2026-01-01T00:00:00</meta:creation-date><meta:user-defined meta:name="联系人">王建国</meta:user-defined><meta:document-statistic meta:page-count="1"/></office:meta></office:document-meta>"#
    );
    let manifest = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.{kind}"/><manifest:file-entry manifest:full-path="Thumbnails/thumbnail.png" manifest:media-type="image/png"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="Pictures/1.png" manifest:media-type="image/png"/></manifest:manifest>"#
    );
    vec![
        ("meta.xml", meta.into_bytes()),
        ("settings.xml", b"<office:document-settings/>".to_vec()),
        (
            "Thumbnails/thumbnail.png",
            b"\x89PNG page one as submitted".to_vec(),
        ),
        ("Pictures/1.png", b"\x89PNG".to_vec()),
        ("META-INF/manifest.xml", manifest.into_bytes()),
    ]
}

fn page_styles() -> String {
    styles(
        "<text:p>机密★1年</text:p>",
        "<text:p>第 <text:page-number>1</text:page-number> 页</text:p>",
    )
}

fn odt() -> Vec<u8> {
    let body = format!(
        r#"<text:sequence-decls><text:sequence-decl text:name="Figure"/></text:sequence-decls><text:h text:outline-level="1">关于数据开放的通知</text:h><text:p text:style-name="P1">联系人电话：<text:span text:style-name="T1">138</text:span>12345678<text:s/>张三<text:tab/>备注 &amp; 其他<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>身份证号420106198501011234</text:p></text:note-body></text:note></text:p><text:p/><table:table table:name="表格1"><table:table-column/><table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell><text:p>身份证号</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>张三</text:p></table:table-cell><table:table-cell><text:p>420106<text:span text:style-name="T1">198501011234</text:span></text:p><text:p>第二段</text:p></table:table-cell></table:table-row></table:table><text:p>附件：<draw:frame draw:name="图片1"><draw:image xlink:href="Pictures/1.png"/><svg:title>证件照</svg:title><svg:desc>王建国的身份证 {ID}</svg:desc></draw:frame><office:annotation><dc:creator>李审核</dc:creator><dc:date>2026-01-01T00:00:00</dc:date><text:p>请核对张三的电话</text:p></office:annotation></text:p>"#
    );
    package("text", &body, &page_styles(), &beside_content("text"))
}

/// `expected` as `located` gives it, followed by the properties of
/// `meta.xml` that [`beside_content`] writes.
fn with_properties(expected: Vec<(&str, String)>) -> Vec<(String, String)> {
    let properties = [
        (r#"{"part":"properties","name":"dc:title"}"#, "机密★10年"),
        (r#"{"part":"properties","name":"meta:initial-creator"}"#, ID),
        (r#"{"part":"properties","name":"联系人"}"#, "王建国"),
    ];
    expected
        .into_iter()
        .chain(properties.map(|(l, t)| (l, t.to_string())))
        .map(|(l, t)| (l.to_string(), t))
        .collect()
}

fn located(name: &str, bytes: &[u8]) -> Vec<(String, String)> {
    unlimited(name, bytes)
        .segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.clone()))
        .collect()
}

#[test]
fn odt_stories_notes_comments_alt_text_and_properties_are_located() {
    let bytes = odt();
    let ex = unlimited("通知.odt", &bytes);
    assert_eq!((ex.kind, ex.encoding.clone()), (FileKind::Odt, None));
    let got = located("通知.odt", &bytes);
    let expected: Vec<(&str, String)> = vec![
        (
            r#"{"part":"body","paragraph":1}"#,
            "关于数据开放的通知".into(),
        ),
        (
            r#"{"part":"footnote","paragraph":1}"#,
            "身份证号420106198501011234".into(),
        ),
        (
            r#"{"part":"body","paragraph":2}"#,
            "联系人电话：13812345678 张三\t备注 & 其他".into(),
        ),
        (r#"{"part":"body","table_cell":"T1R1C1"}"#, "姓名".into()),
        (
            r#"{"part":"body","table_cell":"T1R1C2"}"#,
            "身份证号".into(),
        ),
        (r#"{"part":"body","table_cell":"T1R2C1"}"#, "张三".into()),
        (
            r#"{"part":"body","table_cell":"T1R2C2"}"#,
            "420106198501011234\n第二段".into(),
        ),
        (
            r#"{"part":"embedded","name":"图片1 title"}"#,
            "证件照".into(),
        ),
        (
            r#"{"part":"embedded","name":"图片1 descr"}"#,
            format!("王建国的身份证 {ID}"),
        ),
        (r#"{"part":"comment","name":"dc:creator"}"#, "李审核".into()),
        (
            r#"{"part":"comment","paragraph":1}"#,
            "请核对张三的电话".into(),
        ),
        (r#"{"part":"body","paragraph":4}"#, "附件：".into()),
        (r#"{"part":"header","paragraph":1}"#, "机密★1年".into()),
        (r#"{"part":"footer","paragraph":1}"#, "第 1 页".into()),
    ];
    assert_eq!(got, with_properties(expected));
    // The picture is for a person to look at; the thumbnail is stripped.
    assert_eq!(
        unreadable_of(&ex),
        [("embedded Pictures/1.png".to_string(), "image (PNG)")]
    );
}

#[test]
fn odt_redaction_edits_the_text_in_place_and_strips_properties_and_thumbnail() {
    let original = odt();
    let values = ["13812345678", "420106198501011234", "张三", ID, "李审核"];
    let (out, _) = redact_and_reread("a.odt", &original, &values, "＊＊");
    for v in values.iter().chain(&["page one as submitted"]) {
        assert_absent_from_package(&out, v);
    }
    let members = zip_members(&out);
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "mimetype",
            "content.xml",
            "styles.xml",
            "settings.xml",
            "Pictures/1.png",
            "META-INF/manifest.xml"
        ]
    );
    // A reader finds the kind in the first member, stored uncompressed.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&out[..])).unwrap();
    let first = archive.by_index(0).unwrap();
    assert_eq!(
        (first.name(), first.compression()),
        ("mimetype", zip::CompressionMethod::Stored)
    );
    drop(first);
    let text = |name: &str| {
        String::from_utf8(members.iter().find(|(n, _)| n == name).unwrap().1.clone()).unwrap()
    };
    let manifest = text("META-INF/manifest.xml");
    assert!(!manifest.contains("meta.xml") && !manifest.contains("Thumbnails"));
    assert!(
        manifest.contains(r#"full-path="Pictures/1.png""#),
        "{manifest}"
    );
    let content = text("content.xml");
    // The run keeps its style; the masked text stands where the number began.
    assert!(
        content.contains(r#"联系人电话：<text:span text:style-name="T1">＊＊</text:span><text:s/>＊＊<text:tab/>备注 &amp; 其他"#),
        "{content}"
    );
    assert_eq!(
        text("styles.xml"),
        page_styles(),
        "an untouched part is copied"
    );
}

fn ods() -> Vec<u8> {
    let body = format!(
        r#"<table:content-validations><table:content-validation table:name="val1" table:condition="of:cell-content-is-in-list(&quot;王建国&quot;;&quot;李秀英&quot;)"/></table:content-validations><table:table table:name="名单"><table:table-column table:number-columns-repeated="3"/><table:table-row><table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>身份证号</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>电话</text:p></table:table-cell></table:table-row><table:table-row table:visibility="collapse"><table:table-cell office:value-type="string"><text:p>陈志强</text:p><office:annotation><dc:creator>审核员</dc:creator><text:p>核对 {ID}</text:p></office:annotation></table:table-cell><table:table-cell table:style-name="ce1" office:value-type="string" calcext:value-type="string"><text:p>{ID}</text:p></table:table-cell><table:table-cell table:style-name="ce2" office:value-type="float" office:value="13812345678" calcext:value-type="float"><text:p>13812345678</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2" office:value-type="string"><text:p>同上</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16381"/></table:table-row><table:table-row table:number-rows-repeated="1048572"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table><table:table table:name="Sheet2"><table:table-row><table:table-cell table:number-columns-repeated="3"/><table:table-cell office:value-type="float" office:value="42" table:formula="of:=40+2"><text:p>42</text:p></table:table-cell></table:table-row></table:table><table:named-expressions><table:named-range table:name="联系人_陈志强" table:base-cell-address="$名单.$A$2" table:cell-range-address="$名单.$A$2"/></table:named-expressions>"#
    );
    package(
        "spreadsheet",
        &body,
        &page_styles(),
        &beside_content("spreadsheet"),
    )
}

#[test]
fn ods_cells_hidden_rows_comments_repeats_and_workbook_names_are_located() {
    let bytes = ods();
    let ex = unlimited("名单.ods", &bytes);
    assert_eq!(ex.kind, FileKind::Ods);
    let got = located("名单.ods", &bytes);
    let expected: Vec<(&str, String)> = vec![
        (r#"{"sheet":"名单","cell":"A1"}"#, "姓名".into()),
        (r#"{"sheet":"名单","cell":"B1"}"#, "身份证号".into()),
        (r#"{"sheet":"名单","cell":"C1"}"#, "电话".into()),
        (r#"{"part":"comment","name":"dc:creator"}"#, "审核员".into()),
        (r#"{"sheet":"名单","cell":"A2"}"#, format!("核对 {ID}")),
        (r#"{"sheet":"名单","cell":"A2"}"#, "陈志强".into()),
        (r#"{"sheet":"名单","cell":"B2"}"#, ID.into()),
        (r#"{"sheet":"名单","cell":"C2"}"#, "13812345678".into()),
        (r#"{"sheet":"名单","cell":"A3:B4"}"#, "同上".into()),
        (r#"{"sheet":"Sheet2","cell":"D1"}"#, "42".into()),
        (r#"{"part":"header","paragraph":1}"#, "机密★1年".into()),
        (r#"{"part":"footer","paragraph":1}"#, "第 1 页".into()),
        (
            r#"{"part":"workbook","name":"validation 1"}"#,
            r#"of:cell-content-is-in-list("王建国";"李秀英")"#.into(),
        ),
        (r#"{"part":"workbook","name":"sheet 1"}"#, "名单".into()),
        (r#"{"part":"workbook","name":"sheet 2"}"#, "Sheet2".into()),
        (
            r#"{"part":"workbook","name":"defined name 1"}"#,
            "联系人_陈志强\n$名单.$A$2".into(),
        ),
    ];
    assert_eq!(got, with_properties(expected));
    // Column headers come from row 1, as in XLSX; a comment has no column.
    let id_cell = ex.segments.iter().find(|s| s.text == ID).unwrap();
    let column = id_cell.column.as_ref().unwrap();
    assert_eq!(
        (column.header.as_str(), column.letter.as_str(), column.row),
        ("身份证号", "B", 2)
    );
    assert!(ex.segments[4].column.is_none());
}

#[test]
fn ods_redaction_turns_a_number_cell_into_a_string_and_keeps_its_style() {
    let original = ods();
    let values = [ID, "13812345678", "审核员"];
    let (out, after) = redact_and_reread("a.ods", &original, &values, "*");
    for v in values {
        assert_absent_from_package(&out, v);
    }
    let content = zip_members(&out)
        .into_iter()
        .find(|(n, _)| n == "content.xml")
        .map(|(_, d)| String::from_utf8(d).unwrap())
        .unwrap();
    // The typed value went with the redaction; the style stayed.
    assert!(
        content.contains(r#"<table:table-cell table:style-name="ce2" office:value-type="string"><text:p>*</text:p></table:table-cell>"#),
        "{content}"
    );
    // An unredacted formula keeps its value and formula.
    assert!(content.contains(r#"office:value="42" table:formula="of:=40+2""#));
    // The two cells and the comment's author.
    assert_eq!(after.segments.iter().filter(|s| s.text == "*").count(), 3);
}

#[test]
fn a_workbook_name_is_never_rewritten_so_its_redaction_is_refused() {
    let bytes = ods();
    let ex = unlimited("a.ods", &bytes);
    let (segment, seg) = ex
        .segments
        .iter()
        .enumerate()
        .find(|(_, s)| s.location.is_workbook() && s.text.starts_with("联系人"))
        .unwrap();
    let r = Redaction {
        segment,
        start: 0,
        end: seg.text.find('\n').unwrap(),
        replacement: "*".into(),
    };
    let err = render("a.ods", &bytes, &ex, &[r]).unwrap_err().to_string();
    assert!(err.contains("workbook defined name 1"), "{err}");
    assert!(err.contains("upload a version without it"), "{err}");
}

#[test]
fn other_opendocument_kinds_and_broken_ones_are_named() {
    let slides = package("presentation", "", "", &[]);
    let err = extract("a.odp", &slides, &Limits::unlimited()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported file type: OpenDocument presentation (only text and spreadsheets are read)"
    );
    let no_content = zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.text")]);
    let err = extract("a.odt", &no_content, &Limits::unlimited()).unwrap_err();
    assert!(matches!(err, ExtractError::Malformed { .. }), "{err}");
    let manifest = br#"<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data manifest:checksum="x"/></manifest:file-entry></manifest:manifest>"#;
    let locked = package(
        "text",
        "",
        "",
        &[("META-INF/manifest.xml", manifest.to_vec())],
    );
    let err = extract("a.odt", &locked, &Limits::unlimited()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported file type: password-protected OpenDocument file"
    );
    let broken = package("text", "<text:p></text:h>", "", &[]);
    assert!(extract("a.odt", &broken, &Limits::unlimited()).is_err());
}

#[test]
fn a_sheet_of_repeated_cells_counts_against_the_cell_limit() {
    let row = "<table:table-row><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row>";
    let body = format!(
        r#"<table:table table:name="S">{}</table:table>"#,
        row.repeat(50)
    );
    let bytes = package("spreadsheet", &body, "", &[]);
    let limits = Limits {
        max_cells: 20,
        ..Limits::unlimited()
    };
    let err = extract("a.ods", &bytes, &limits).unwrap_err();
    assert_eq!(err.to_string(), "cell count exceeds limit 20");
}

#[test]
fn link_targets_field_values_first_page_headers_and_stray_text_are_not_published_unread() {
    let body = r#"<text:p>联系我们：<text:a xlink:type="simple" xlink:href="mailto:zhang.san@fgw.gov.cn">张三</text:a><text:hidden-text text:condition="ooow:1" text:string-value="电话13812345678"/><text:tab></text:tab></text:p>"#;
    let styles = format!(
        r#"<office:document-styles {NS}><office:automatic-styles><number:date-style style:name="N1"><number:year/><number:text>年</number:text></number:date-style></office:automatic-styles><office:master-styles><style:master-page style:name="Standard"><style:header><text:p>公开</text:p></style:header><loext:header-first><text:p>机密★10年</text:p></loext:header-first><text:p>页边说明</text:p></style:master-page></office:master-styles></office:document-styles>"#
    );
    let bytes = package("text", body, &styles, &[]);
    let ex = unlimited("a.odt", &bytes);
    let got: Vec<(String, &str)> = ex
        .segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                r#"{"part":"body","name":"xlink:href 1"}"#.to_string(),
                "mailto:zhang.san@fgw.gov.cn"
            ),
            (
                r#"{"part":"body","name":"text:string-value 1"}"#.into(),
                "电话13812345678"
            ),
            // A start-and-end tab covers more than one piece can: not a stand-in.
            (r#"{"part":"body","paragraph":1}"#.into(), "联系我们：张三"),
            (r#"{"part":"header","paragraph":1}"#.into(), "公开"),
            (r#"{"part":"header","paragraph":2}"#.into(), "机密★10年"),
        ]
    );
    // Text the reader has no place for is for a person to look at; the
    // literal of a date format is not.
    assert_eq!(
        unreadable_of(&ex),
        [(
            "embedded styles.xml".to_string(),
            "1 stretches of text outside the document's paragraphs"
        )]
    );
    // Redacted where they stand, in the attribute.
    let (out, _) = redact_and_reread(
        "a.odt",
        &bytes,
        &["zhang.san@fgw.gov.cn", "13812345678"],
        "*",
    );
    assert_absent_from_package(&out, "zhang.san@fgw.gov.cn");
    assert_absent_from_package(&out, "13812345678");
}

#[test]
fn crafted_nesting_and_repeats_are_refused_or_bounded_not_a_panic() {
    let deep = "<office:annotation>".repeat(100) + &"</office:annotation>".repeat(100);
    let err = extract(
        "a.odt",
        &package("text", &format!("<text:p>{deep}</text:p>"), "", &[]),
        &Limits::unlimited(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("nested too deep"), "{err}");
    let huge = format!(
        r#"<table:table table:name="S"><table:table-row table:number-rows-repeated="{max}"><table:table-cell table:number-columns-repeated="{max}"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="{max}"/><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#,
        max = u64::MAX
    );
    let ex = unlimited("a.ods", &package("spreadsheet", &huge, "", &[]));
    // Row and column numbers saturate; the cell is still read.
    assert!(
        ex.segments.iter().any(|s| s.text == "x"),
        "{:?}",
        ex.segments
    );
    let spaces = format!(
        "<text:p>{}</text:p>",
        r#"<text:s text:c="1000000"/>"#.repeat(10)
    );
    let limits = Limits {
        max_decompressed_bytes: 100,
        ..Limits::unlimited()
    };
    let err = extract("a.odt", &package("text", &spaces, "", &[]), &limits).unwrap_err();
    assert!(matches!(err, ExtractError::TooLarge { .. }), "{err}");
}
