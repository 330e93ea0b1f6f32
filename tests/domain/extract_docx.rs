//! DOCX: paragraphs, tables, headers/footers, comments, tracked deletions;
//! redaction across runs.

use crate::files::{assert_absent_from_package, redact_and_reread, unlimited, zip_members, zip_of};
use releasegate::extract::{FileKind, Location, Part};
use releasegate::redact::{render, Redaction};

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn docx() -> Vec<u8> {
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document {W}><w:body>
<w:p><w:r><w:t>关于数据开放的通知</w:t></w:r></w:p>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr><w:r><w:rPr><w:b/></w:rPr><w:t>联系人电话：138</w:t></w:r><w:r><w:rPr><w:i/></w:rPr><w:t>1234</w:t></w:r><w:r><w:t xml:space="preserve">5678 张三</w:t><w:tab/><w:t>备注 &amp; 其他</w:t></w:r></w:p>
<w:p/>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>姓名</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>身份证号</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>张三</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>420106</w:t></w:r><w:r><w:t>198501011234</w:t></w:r></w:p><w:p><w:r><w:t>第二段</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:ins w:id="1"><w:r><w:t>新增</w:t></w:r></w:ins><w:del w:id="2"><w:r><w:delText>旧号码13900001111</w:delText></w:r></w:del></w:p>
<w:p><m:oMath xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"><m:r><m:t>x</m:t></m:r></m:oMath></w:p>
<w:sectPr/></w:body></w:document>"#
    );
    let header = format!(r#"<w:hdr {W}><w:p><w:r><w:t>机密★1年</w:t></w:r></w:p></w:hdr>"#);
    let footer = format!(r#"<w:ftr {W}><w:p><w:r><w:t>第 1 页</w:t></w:r></w:p></w:ftr>"#);
    let comments = format!(
        r#"<w:comments {W}><w:comment w:id="0"><w:p><w:r><w:t>请核对张三的电话</w:t></w:r></w:p></w:comment></w:comments>"#
    );
    let content_types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    zip_of(&[
        ("[Content_Types].xml", content_types.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/header1.xml", header.as_bytes()),
        ("word/footer1.xml", footer.as_bytes()),
        ("word/comments.xml", comments.as_bytes()),
    ])
}

fn body(paragraph: usize) -> Location {
    Location::Docx {
        part: Part::Body,
        paragraph: Some(paragraph),
        table_cell: None,
    }
}

fn cell(address: &str) -> Location {
    Location::Docx {
        part: Part::Body,
        paragraph: None,
        table_cell: Some(address.into()),
    }
}

#[test]
fn extracts_paragraphs_tables_headers_and_comments() {
    let ex = unlimited("通知.docx", &docx());
    assert_eq!((ex.kind, ex.encoding.clone()), (FileKind::Docx, None));
    let got: Vec<(String, Location)> = ex
        .segments
        .iter()
        .map(|s| (s.text.clone(), s.location.clone()))
        .collect();
    let part = |part, paragraph| Location::Docx {
        part,
        paragraph: Some(paragraph),
        table_cell: None,
    };
    let expected = vec![
        ("关于数据开放的通知".to_string(), body(1)),
        ("联系人电话：13812345678 张三\t备注 & 其他".into(), body(2)),
        ("姓名".into(), cell("T1R1C1")),
        ("身份证号".into(), cell("T1R1C2")),
        ("张三".into(), cell("T1R2C1")),
        ("420106198501011234\n第二段".into(), cell("T1R2C2")),
        ("新增旧号码13900001111".into(), body(4)),
        ("机密★1年".into(), part(Part::Header, 1)),
        ("第 1 页".into(), part(Part::Footer, 1)),
        ("请核对张三的电话".into(), part(Part::Comment, 1)),
    ];
    assert_eq!(got, expected);
    assert_eq!(
        serde_json::to_string(&ex.segments[7].location).unwrap(),
        r#"{"part":"header","paragraph":1}"#
    );
    assert_eq!(
        serde_json::to_string(&ex.segments[5].location).unwrap(),
        r#"{"part":"body","table_cell":"T1R2C2"}"#
    );
}

#[test]
fn redaction_spanning_runs_keeps_formatting_and_other_parts() {
    let original = docx();
    let values = ["13812345678", "420106198501011234", "张三", "13900001111"];
    let (out, _) = redact_and_reread("a.docx", &original, &values, "＊＊");
    for v in values {
        assert_absent_from_package(&out, v);
    }
    let before = zip_members(&original);
    let after = zip_members(&out);
    assert_eq!(before.len(), after.len());
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        if name == "word/document.xml" || name == "word/comments.xml" {
            continue;
        }
        assert_eq!(a, b, "{name} changed");
    }
    let doc = String::from_utf8(
        after
            .iter()
            .find(|(n, _)| n == "word/document.xml")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(
        doc.contains("<w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">联系人电话：＊＊</w:t>"),
        "{doc}"
    );
    assert!(
        doc.contains("<w:rPr><w:i/></w:rPr><w:t xml:space=\"preserve\"></w:t>"),
        "{doc}"
    );
    assert!(
        doc.contains("<w:tab w:val=\"left\" w:pos=\"720\"/>"),
        "paragraph tab stops survive"
    );
}

#[test]
fn redaction_covering_a_tab_removes_it() {
    let original = docx();
    let ex = unlimited("a.docx", &original);
    let text = &ex.segments[1].text;
    let start = text.find("张三").unwrap();
    let end = text.find("其他").unwrap();
    let r = Redaction {
        segment: 1,
        start,
        end,
        replacement: "[略]".into(),
    };
    let out = render("a.docx", &original, &ex, &[r]).unwrap();
    let again = unlimited("a.docx", &out);
    assert_eq!(again.segments[1].text, "联系人电话：13812345678 [略]其他");
}

#[test]
fn docx_without_body_part_text_is_empty_not_an_error() {
    let doc = format!(r#"<w:document {W}><w:body><w:p/></w:body></w:document>"#);
    let ex = unlimited("e.docx", &zip_of(&[("word/document.xml", doc.as_bytes())]));
    assert!(ex.segments.is_empty());
}

#[test]
fn an_images_alt_text_and_title_are_read_and_redacted_in_the_attribute() {
    let id = "420704198503121233";
    let drawing = format!(
        r#"<w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:docPr id="1" name="图片 1" descr="王建国的身份证，号码{id}" title='证件 &amp; "照片" descr="x"'/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="0" name="身份证.png" title="a descr='ok'" descr = "扫描件 {id}"/></pic:nvPicPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"#
    );
    let document = format!(
        r#"<w:document {W}><w:body><w:p><w:r><w:t>附件：</w:t></w:r>{drawing}</w:p></w:body></w:document>"#
    );
    let bytes = zip_of(&[("word/document.xml", document.as_bytes())]);
    let ex = unlimited("a.docx", &bytes);
    let got: Vec<(String, &str)> = ex
        .segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.as_str()))
        .collect();
    // A name inside another attribute's value is not an attribute:
    // `name="x descr='ok'"` hides nothing.
    let descr = format!("王建国的身份证，号码{id}");
    let scan = format!("扫描件 {id}");
    assert_eq!(
        got,
        [
            (
                r#"{"part":"embedded","name":"图片 1 descr"}"#.to_string(),
                descr.as_str()
            ),
            (
                r#"{"part":"embedded","name":"图片 1 title"}"#.to_string(),
                r#"证件 & "照片" descr="x""#
            ),
            (
                r#"{"part":"embedded","name":"身份证.png descr"}"#.to_string(),
                scan.as_str()
            ),
            (
                r#"{"part":"embedded","name":"身份证.png title"}"#.to_string(),
                "a descr='ok'"
            ),
            (r#"{"part":"body","paragraph":1}"#.to_string(), "附件："),
        ]
    );
    // Redacted where it stands; the quotes and ampersand stay escaped.
    let (out, _) = redact_and_reread("a.docx", &bytes, &[id, "照片"], "*");
    assert_absent_from_package(&out, id);
    let xml = zip_members(&out)
        .into_iter()
        .find(|(n, _)| n == "word/document.xml")
        .map(|(_, d)| String::from_utf8(d).unwrap())
        .unwrap();
    assert!(xml.contains(r#"descr="王建国的身份证，号码*""#), "{xml}");
    assert!(
        xml.contains(r#"title='证件 &amp; &quot;*&quot; descr=&quot;x&quot;'"#),
        "{xml}"
    );
}
