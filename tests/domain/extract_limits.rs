//! Zip bombs, oversized packages and inputs, unsupported types.

use crate::files::zip_of;
use releasegate::extract::{extract, for_each_segment, ExtractError, InMemory, Limits};

fn small_budget() -> Limits {
    Limits {
        max_decompressed_bytes: 1_000_000,
        ..Limits::service_default()
    }
}

/// A workbook-looking package whose workbook.xml inflates to `size` zeros.
fn bomb(size: usize) -> Vec<u8> {
    zip_of(&[("xl/workbook.xml", &vec![b' '; size])])
}

#[test]
fn zip_bomb_is_rejected_by_declared_size() {
    let bytes = bomb(5_000_000);
    assert!(bytes.len() < 20_000, "deflates to {} bytes", bytes.len());
    let err = extract("b.xlsx", &bytes, &small_budget()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "declared decompressed size 5000000 bytes exceeds limit 1000000"
    );
}

#[test]
fn zip_bomb_with_lying_headers_is_stopped_while_inflating() {
    let mut bytes = bomb(5_000_000);
    lie_about_first_member(&mut bytes);
    let err = extract("b.xlsx", &bytes, &small_budget()).unwrap_err();
    assert_eq!(err.to_string(), "decompressed size exceeds limit 1000000");
}

/// Claims 100 bytes for the first member in both its local header and the
/// central directory.
fn lie_about_first_member(bytes: &mut [u8]) {
    for (sig, offset) in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)] {
        let at = bytes.windows(4).position(|w| w == sig).unwrap() + offset;
        bytes[at..at + 4].copy_from_slice(&100u32.to_le_bytes());
    }
}

#[test]
fn a_sheet_read_as_a_stream_is_stopped_at_the_budget() {
    let sheet = [
        &b"<worksheet><sheetData>"[..],
        &vec![b' '; 5_000_000],
        b"</sheetData></worksheet>",
    ]
    .concat();
    let mut bytes = zip_of(&[
        ("xl/worksheets/sheet1.xml", &sheet),
        (
            "xl/workbook.xml",
            br#"<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ]);
    lie_about_first_member(&mut bytes);
    let whole = extract("b.xlsx", &bytes, &small_budget()).unwrap_err();
    let streamed =
        for_each_segment("b.xlsx", &InMemory(&bytes), &small_budget(), |_, _| {}).unwrap_err();
    assert_eq!(whole.to_string(), "decompressed size exceeds limit 1000000");
    assert_eq!(streamed.to_string(), whole.to_string());
}

#[test]
fn too_many_zip_members() {
    let names: Vec<String> = (0..20).map(|i| format!("word/media/{i}.bin")).collect();
    let mut members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b"x"[..])).collect();
    members.push(("word/document.xml", b"<w:document/>"));
    let limits = Limits {
        max_zip_members: 10,
        ..Limits::service_default()
    };
    let err = extract("m.docx", &zip_of(&members), &limits).unwrap_err();
    assert_eq!(err.to_string(), "zip member count 21 exceeds limit 10");
}

#[test]
fn workbook_row_and_cell_limits() {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for r in 0..10 {
        for c in 0..3 {
            ws.write_string(r, c, "v").unwrap();
        }
    }
    let bytes = wb.save_to_buffer().unwrap();
    let rows = Limits {
        max_rows: 5,
        ..Limits::service_default()
    };
    assert_eq!(
        extract("r.xlsx", &bytes, &rows).unwrap_err().to_string(),
        "row count exceeds limit 5"
    );
    let cells = Limits {
        max_cells: 20,
        ..Limits::service_default()
    };
    assert_eq!(
        extract("r.xlsx", &bytes, &cells).unwrap_err().to_string(),
        "cell count exceeds limit 20"
    );
    assert_eq!(
        extract("r.xlsx", &bytes, &Limits::service_default())
            .unwrap()
            .segments
            .iter()
            .filter(|s| crate::files::is_content(&s.location))
            .count(),
        30
    );
}

#[test]
fn oversized_file_is_rejected_before_parsing() {
    let limits = Limits {
        max_file_bytes: Some(1000),
        ..Limits::service_default()
    };
    let err = extract(
        "big.xlsx",
        &bomb(10),
        &Limits {
            max_file_bytes: Some(10),
            ..limits
        },
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("file size"), "{err}");
}

#[test]
fn unsupported_types_are_named() {
    let cases: [(&str, &[u8], &str); 3] = [
        ("x.png", b"\x89PNG\r\n", "unsupported file type: PNG image"),
        (
            "x.bin",
            b"\x7FELF\x02\x01",
            "unsupported file type: ELF executable",
        ),
        (
            "x.gz",
            b"\x1F\x8B\x08\x00",
            "unsupported file type: gzip archive",
        ),
    ];
    for (name, bytes, message) in cases {
        assert_eq!(
            extract(name, bytes, &Limits::service_default())
                .unwrap_err()
                .to_string(),
            message
        );
    }
    let pptx = zip_of(&[("ppt/presentation.xml", b"<p/>")]);
    let err = extract("x.docx", &pptx, &Limits::service_default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unsupported file type: PowerPoint presentation (PPTX)"
    );
    let plain_zip = zip_of(&[("a.txt", b"hi")]);
    assert!(matches!(
        extract("x.zip", &plain_zip, &Limits::service_default()),
        Err(ExtractError::Unsupported { .. })
    ));
}
