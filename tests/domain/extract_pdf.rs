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

/// The page texts `pdftotext` (poppler) reads from `bytes`, if it is
/// installed: the yardstick for the text layer.
fn pdftotext_pages(bytes: &[u8], pages: usize) -> Option<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pdf");
    std::fs::write(&path, bytes).unwrap();
    (1..=pages)
        .map(|page| {
            // Physical layout, line by line as the page draws them: the
            // default reading order splits the Latin lines of these
            // fixtures into columns (their font declares no widths).
            let out = std::process::Command::new("pdftotext")
                .args([
                    "-layout",
                    "-enc",
                    "UTF-8",
                    "-f",
                    &page.to_string(),
                    "-l",
                    &page.to_string(),
                ])
                .arg(&path)
                .arg("-")
                .output()
                .ok()?;
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        })
        .collect()
}

/// Lines as both readers agree to compare them: trimmed, blanks inside
/// collapsed, empty lines and the form feed between pages left out.
fn comparable(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && l != "\u{c}")
        .collect()
}

#[test]
fn the_text_layer_reads_as_pdftotext_reads_it() {
    let required = std::env::var("RELEASEGATE_PDFTOTEXT").is_ok_and(|v| v == "1");
    // 30 lines of at most 40 glyphs: all inside the A4 page.
    let roster: Vec<String> = (1..=30)
        .map(|i| format!("{i} 张三 42010619850101{i:04} 138{i:08}"))
        .collect();
    let roster: Vec<&str> = roster.iter().map(String::as_str).collect();
    let id_line = format!("申请人身份证号{ID}，手机13812345678。");
    let fixtures: Vec<(&str, Vec<u8>, usize)> = vec![
        ("notice", notice(), 1),
        (
            "mixed scripts and punctuation",
            pdf(
                &[
                    PdfPage::Text(&["机密★10年", "（一）补贴标准：每人每月300元", &id_line]),
                    PdfPage::Text(&["Contact: Wang Jianguo <wang@example.gov.cn>", "IP 10.2.3.4"]),
                ],
                &[],
            ),
            2,
        ),
        (
            "a 40-line roster page",
            pdf(&[PdfPage::Text(&roster)], &[]),
            1,
        ),
    ];
    for (what, bytes, pages) in fixtures {
        let Some(theirs) = pdftotext_pages(&bytes, pages) else {
            assert!(!required, "RELEASEGATE_PDFTOTEXT=1 but pdftotext is not installed (apt-get install poppler-utils)");
            eprintln!("SKIPPED the pdftotext comparison: install poppler-utils, or set RELEASEGATE_PDFTOTEXT=1 to make this a failure");
            return;
        };
        let ours = unlimited("a.pdf", &bytes);
        for (page, theirs) in theirs.iter().enumerate() {
            let segment = ours
                .segments
                .iter()
                .find(|s| matches!(s.location, Location::Page { page: p, .. } if p == page + 1))
                .unwrap_or_else(|| panic!("{what}: no page {}", page + 1));
            assert_eq!(
                comparable(&segment.text),
                comparable(theirs),
                "{what}, page {}",
                page + 1
            );
        }
    }

    // Where they differ: text drawn outside the page. pdftotext clips to
    // the page box; the text layer here is read whole, so a value pushed
    // past the edge (hidden from a reader, still in the file) is scanned.
    let long = format!("联系人王建国，身份证号{ID}，手机13812345678，住址湖北省武汉市江岸区");
    let mut lines: Vec<&str> = vec!["第一行"; 40];
    lines[0] = &long;
    lines.push("页面之外的第四十一行");
    let bytes = pdf(&[PdfPage::Text(&lines)], &[]);
    let theirs = comparable(&pdftotext_pages(&bytes, 1).expect("pdftotext ran above")[0]);
    let ours = comparable(&unlimited("a.pdf", &bytes).segments[0].text);
    assert_eq!(ours.first(), Some(&long));
    assert!(
        long.starts_with(&theirs[0]) && theirs[0] != long,
        "clipped at the right edge: {:?}",
        theirs[0]
    );
    assert_eq!(
        ours.last().map(String::as_str),
        Some("页面之外的第四十一行")
    );
    assert!(
        !theirs.iter().any(|l| l.contains("第四十一行")),
        "below the page: {theirs:?}"
    );
}
