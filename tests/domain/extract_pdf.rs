//! PDF: the text layer of each page through ToUnicode CMaps, lines located
//! per finding, the information dictionary as properties, scanned pages
//! unreadable, no redaction in place.

use crate::files::{unlimited, unreadable_of};
use crate::pdf::{pdf, PdfPage};
use releasegate::extract::{extract, FileKind, Limits, Location};

const ID: &str = "420704198503121233";

fn notice() -> Vec<u8> {
    let line3 = format!("申请人身份证号{ID}");
    pdf(
        &[
            PdfPage::Text(&["关于补贴发放的公示", "联系人王建国", &line3]),
            PdfPage::Scan,
        ],
        &[("Title", "机密★10年 内部通报"), ("Producer", "WPS")],
    )
}

#[test]
fn chinese_text_is_read_through_to_unicode_with_page_and_line() {
    let ex = unlimited("公示.pdf", &notice());
    assert_eq!(ex.kind, FileKind::Pdf);
    let page = &ex.segments[0];
    assert_eq!(
        page.location,
        Location::Page {
            page: 1,
            line: Some(1)
        }
    );
    let lines: Vec<&str> = page.text.lines().map(str::trim).collect();
    assert_eq!(
        lines,
        [
            "关于补贴发放的公示",
            "联系人王建国",
            &format!("申请人身份证号{ID}")
        ]
    );
    let at = page.text.find(ID).unwrap();
    assert_eq!(
        ex.locate(0, at),
        Location::Page {
            page: 1,
            line: Some(3)
        }
    );
    assert_eq!(
        serde_json::to_string(&ex.locate(0, at)).unwrap(),
        r#"{"page":1,"line":3}"#
    );
}

#[test]
fn the_information_dictionary_is_read_and_a_scan_is_unreadable() {
    let ex = unlimited("公示.pdf", &notice());
    let properties: Vec<(String, &str)> = ex.segments[1..]
        .iter()
        .map(|s| (s.location.to_string(), s.text.as_str()))
        .collect();
    assert_eq!(
        properties,
        [("properties Title".to_string(), "机密★10年 内部通报")],
        "Producer is the program's, not a person's"
    );
    assert_eq!(
        unreadable_of(&ex),
        [(
            "page 2".to_string(),
            "page without text: a scan or a picture"
        )]
    );
}

#[test]
fn a_pdf_is_published_as_submitted_or_not_redacted_at_all() {
    crate::files::assert_not_rewritten("公示.pdf", &notice(), 0, ID);
}

#[test]
fn broken_and_oversized_pdfs_are_refused_by_name() {
    let err = extract("a.pdf", b"%PDF-1.7\n1 0 obj <<", &Limits::unlimited())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("malformed file: PDF"), "{err}");
    let three = pdf(
        &[
            PdfPage::Text(&["一"]),
            PdfPage::Text(&["二"]),
            PdfPage::Text(&["三"]),
        ],
        &[],
    );
    let limits = Limits {
        max_pages: 2,
        ..Limits::service_default()
    };
    let err = extract("a.pdf", &three, &limits).unwrap_err().to_string();
    assert_eq!(err, "page count 3 exceeds limit 2");
}
