//! The parts of an OOXML package beyond its text: document properties and
//! custom XML are read and stripped from every rendition, images and
//! embedded objects are reported as unreadable, nothing is published unread.

use crate::files::{unlimited, zip_members, zip_of};
use releasegate::extract::{FileKind, Location, Part};
use releasegate::redact::render;

const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;
const ID: &str = "420704198503121233";

fn core_xml() -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>机密★10年 内部通报</dc:title><dc:creator>{ID}</dc:creator></cp:coreProperties>"#
    )
}

/// A DOCX with properties, custom XML, an image, and the relationships and
/// content types that point at them, as Word writes them.
fn docx() -> Vec<u8> {
    let document = format!(
        r#"<w:document {W}><w:body><w:p><w:r><w:t>公开数据说明</w:t></w:r></w:p></w:body></w:document>"#
    );
    let custom = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="v"><property fmtid="{D5CDD505}" pid="2" name="联系人电话"><vt:lpwstr>13812345678</vt:lpwstr></property></Properties>"#;
    let content_types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/custom.xml" ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>"#;
    let root_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>"#;
    let document_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml" Target="../customXml/item1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.png"/></Relationships>"#;
    let item = format!("<contacts><person><id>{ID}</id></person></contacts>");
    zip_of(&[
        ("[Content_Types].xml", content_types.as_bytes()),
        ("_rels/.rels", root_rels.as_bytes()),
        ("word/document.xml", document.as_bytes()),
        ("word/_rels/document.xml.rels", document_rels.as_bytes()),
        ("word/media/image1.png", b"\x89PNG\r\n\x1a\n not really"),
        ("docProps/core.xml", core_xml().as_bytes()),
        ("docProps/custom.xml", custom.as_bytes()),
        ("customXml/item1.xml", item.as_bytes()),
        (
            "customXml/itemProps1.xml",
            b"<ds:datastoreItem xmlns:ds=\"d\"/>",
        ),
    ])
}

fn property(name: &str) -> Location {
    Location::Package {
        part: Part::Properties,
        name: name.into(),
    }
}

#[test]
fn docx_properties_and_custom_xml_are_read_after_the_body() {
    let ex = unlimited("说明.docx", &docx());
    assert_eq!(ex.kind, FileKind::Docx);
    let got: Vec<(&str, &Location)> = ex
        .segments
        .iter()
        .map(|s| (s.text.as_str(), &s.location))
        .collect();
    assert_eq!(got[0].0, "公开数据说明");
    assert_eq!(
        got[1..],
        [
            ("机密★10年 内部通报", &property("dc:title")),
            (ID, &property("dc:creator")),
            ("13812345678", &property("联系人电话")),
            (ID, &property("customXml/item1.xml")),
        ]
    );
    assert_eq!(
        serde_json::to_string(&got[1].1).unwrap(),
        r#"{"part":"properties","name":"dc:title"}"#
    );
}

#[test]
fn an_image_is_unreadable_content_with_its_member_name() {
    let ex = unlimited("说明.docx", &docx());
    let found = crate::files::unreadable_of(&ex);
    assert_eq!(
        found,
        [("embedded word/media/image1.png".to_string(), "image (PNG)")]
    );
}

#[test]
fn every_rendition_strips_properties_and_the_references_to_them() {
    let bytes = docx();
    let ex = unlimited("说明.docx", &bytes);
    // Nothing redacted: the package is still rewritten without its properties.
    let out = render("说明.docx", &bytes, &ex, &[]).unwrap();
    let members = zip_members(&out);
    let names: Vec<&str> = members.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("docProps/") && !n.starts_with("customXml/")),
        "{names:?}"
    );
    assert!(names.contains(&"word/media/image1.png"));
    for (name, data) in &members {
        let text = String::from_utf8_lossy(data);
        for gone in ["docProps", "customXml", ID, "机密"] {
            assert!(!text.contains(gone), "{gone} still in {name}: {text}");
        }
    }
    let types = members
        .iter()
        .find(|(n, _)| n == "[Content_Types].xml")
        .map(|(_, d)| String::from_utf8_lossy(d).into_owned())
        .unwrap();
    assert!(
        types.contains(r#"PartName="/word/document.xml""#),
        "{types}"
    );
    let reread = unlimited("说明.docx", &out);
    assert_eq!(reread.segments.len(), 1);
    assert_eq!(reread.segments[0].text, "公开数据说明");
}

#[test]
fn xlsx_properties_are_read_and_stripped() {
    let workbook = r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let rels = r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let sheet = r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>项目</t></is></c></row></sheetData></worksheet>"#;
    let bytes = zip_of(&[
        ("xl/workbook.xml", workbook.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
        ("xl/embeddings/oleObject1.bin", b"\xD0\xCF\x11\xE0"),
        ("docProps/core.xml", core_xml().as_bytes()),
    ]);
    let ex = unlimited("名单.xlsx", &bytes);
    let texts: Vec<&str> = ex.segments.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(texts, ["项目", "名单", "机密★10年 内部通报", ID]);
    assert_eq!(ex.segments[3].location, property("dc:creator"));
    assert_eq!(ex.unreadable.len(), 1);
    assert_eq!(ex.unreadable[0].what, "embedded object");
    // A redaction of a property has nowhere to go: the part is removed whole.
    let redactions = crate::files::mask_all(&ex, &[ID], "420704********1233");
    let out = render("名单.xlsx", &bytes, &ex, &redactions).unwrap();
    crate::files::assert_absent_from_package(&out, ID);
    assert_eq!(unlimited("名单.xlsx", &out).segments.len(), 2);
}
