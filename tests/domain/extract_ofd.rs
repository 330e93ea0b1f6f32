//! OFD: pages, template pages and document info read with their locations;
//! scanned pages, images and attachments unreadable; no redaction in place.

use crate::files::unlimited;
use crate::ofd::{ofd, page, scanned_page};
use releasegate::extract::{FileKind, Location, Part};

const ID: &str = "420704198503121233";

fn notice() -> Vec<u8> {
    let template = page(&[(10.0, "机密★1年")]);
    ofd(
        &[("Title", "关于补贴发放的通知"), ("Author", ID)],
        Some(&template),
        &[
            page(&[
                (30.0, "联系人："),
                (30.2, "王建国"),
                (40.0, &format!("身份证号{ID}")),
            ]),
            scanned_page(),
        ],
        &[
            ("Doc_0/Res/image_7.png", b"\x89PNG"),
            ("Doc_0/Attachs/名单.xlsx", b"PK"),
            ("Doc_0/Signs/Sign_0/SignedValue.dat", b"\x30\x82"),
            ("Doc_0/Res/font_1.ttf", b"\0\x01"),
        ],
    )
}

#[test]
fn pages_templates_and_doc_info_are_read_with_locations() {
    let ex = unlimited("通知.ofd", &notice());
    assert_eq!((ex.kind, ex.encoding.clone()), (FileKind::Ofd, None));
    let got: Vec<(String, &str)> = ex
        .segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.as_str()))
        .collect();
    let page1 = format!("联系人：王建国\n身份证号{ID}");
    assert_eq!(
        got,
        [
            (
                r#"{"part":"template","name":"Doc_0/Tpls/Tpl_0/Content.xml"}"#.to_string(),
                "机密★1年"
            ),
            (r#"{"page":1}"#.to_string(), page1.as_str()),
            (
                r#"{"part":"properties","name":"Title"}"#.to_string(),
                "关于补贴发放的通知"
            ),
            (r#"{"part":"properties","name":"Author"}"#.to_string(), ID),
        ]
    );
}

#[test]
fn a_scanned_page_and_an_attachment_are_unreadable_signatures_and_fonts_are_not() {
    let ex = unlimited("通知.ofd", &notice());
    let found = crate::files::unreadable_of(&ex);
    assert_eq!(
        found,
        [
            (
                "page 2".to_string(),
                "page without text: a scan or a picture"
            ),
            ("embedded Doc_0/Attachs/名单.xlsx".to_string(), "attachment"),
        ]
    );
    assert_eq!(
        ex.unreadable[0].location,
        Location::Page {
            page: 2,
            line: None
        }
    );
    assert!(matches!(
        &ex.unreadable[1].location,
        Location::Package {
            part: Part::Embedded,
            ..
        }
    ));
}

#[test]
fn an_ofd_is_published_as_submitted_or_not_redacted_at_all() {
    crate::files::assert_not_rewritten("通知.ofd", &notice(), 1, ID);
}

#[test]
fn broken_ofd_packages_are_refused_by_name() {
    use releasegate::extract::{extract, Limits};
    let no_document = ofd(&[], None, &[page(&[(1.0, "x")])], &[]);
    let mut members = crate::files::zip_members(&no_document);
    members.retain(|(n, _)| n != "Doc_0/Document.xml");
    let err = extract(
        "a.ofd",
        &crate::files::rezip(&members),
        &Limits::unlimited(),
    )
    .unwrap_err()
    .to_string();
    assert_eq!(err, "malformed file: Doc_0/Document.xml is missing");
    let many: Vec<String> = (0..3).map(|_| page(&[(1.0, "x")])).collect();
    let limits = Limits {
        max_pages: 2,
        ..Limits::service_default()
    };
    let err = extract("a.ofd", &ofd(&[], None, &many, &[]), &limits)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "page count exceeds limit 2");
}

#[test]
fn annotations_are_read_with_their_page() {
    let bytes = ofd(&[], None, &[page(&[(1.0, "第一页")])], &[]);
    let mut members = crate::files::zip_members(&bytes);
    for (name, data) in &mut members {
        if name == "Doc_0/Document.xml" {
            let xml = String::from_utf8(data.clone()).unwrap().replace(
                "</ofd:Document>",
                "<ofd:Annotations>Annots/Annotations.xml</ofd:Annotations></ofd:Document>",
            );
            *data = xml.into_bytes();
        }
    }
    let list = format!(
        r#"<ofd:Annotations {}><ofd:Page PageID="10"><ofd:FileLoc>Page_0/Annotation.xml</ofd:FileLoc></ofd:Page></ofd:Annotations>"#,
        crate::ofd::NS
    );
    let annot = format!(
        r#"<ofd:PageAnnot {}><ofd:Annot Type="Stamp"><ofd:Appearance><ofd:TextObject Boundary="0 50 10 10"><ofd:TextCode>批注：联系13812345678</ofd:TextCode></ofd:TextObject></ofd:Appearance></ofd:Annot></ofd:PageAnnot>"#,
        crate::ofd::NS
    );
    members.push(("Doc_0/Annots/Annotations.xml".into(), list.into_bytes()));
    members.push((
        "Doc_0/Annots/Page_0/Annotation.xml".into(),
        annot.into_bytes(),
    ));
    let ex = unlimited("a.ofd", &crate::files::rezip(&members));
    let pages: Vec<(String, &str)> = ex
        .segments
        .iter()
        .map(|s| (s.location.to_string(), s.text.as_str()))
        .collect();
    assert_eq!(
        pages,
        [
            ("page 1".to_string(), "第一页"),
            ("page 1".to_string(), "批注：联系13812345678"),
        ]
    );
    assert!(ex.unreadable.is_empty(), "{:?}", ex.unreadable);
}
