//! Property tests: no input, however broken, makes extraction or rendering
//! panic; and any redaction of a valid file re-reads as exactly that edit.

use crate::files::zip_of;
use proptest::prelude::*;
use releasegate::extract::{extract, Extracted, FileKind, InMemory, Limits};
use releasegate::redact::{render, render_csv, Redaction};

const NAMES: [&str; 13] = [
    "a.txt", "a.md", "a.csv", "a.tsv", "a.json", "a.xlsx", "a.docx", "a.ofd", "a.pdf", "a.xls",
    "a.doc", "a.odt", "a.ods",
];

/// Fragments that steer random bytes into the readers' interesting paths.
const FRAGMENTS: [&str; 42] = [
    "<c r=\"A1\" t=\"s\">",
    "<c r=\"B2\" t=\"inlineStr\">",
    "<c>",
    "</c>",
    "<v>",
    "</v>",
    "0",
    "1.5E3",
    "<row r=\"1\">",
    "</row>",
    "<is><t>",
    "</t></is>",
    "<si><t>",
    "</t></si>",
    "<w:p>",
    "</w:p>",
    "<w:r>",
    "</w:r>",
    "<w:t>",
    "</w:t>",
    "<w:tab/>",
    "<w:tbl><w:tr><w:tc>",
    "</w:tc></w:tr></w:tbl>",
    "&amp;",
    "&#x4e2d;",
    "&bogus;",
    "张三",
    "\"",
    ",",
    "\n",
    "<text:p>",
    "</text:p>",
    "<text:span>",
    "</text:span>",
    "<text:s text:c=\"3\"/>",
    "<text:tab/>",
    "<table:table-row table:number-rows-repeated=\"2\">",
    "</table:table-row>",
    "<table:table-cell table:number-columns-repeated=\"3\" office:value=\"1\">",
    "</table:table-cell>",
    "<office:annotation><dc:creator>",
    "</dc:creator></office:annotation>",
];

const W: &str = r#" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main""#;

fn xmlish() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&FRAGMENTS[..]), 0..40).prop_map(|v| v.concat())
}

fn packages() -> impl Strategy<Value = Vec<u8>> {
    (xmlish(), xmlish(), xmlish(), 0..5u8).prop_map(|(a, b, c, kind)| {
        if kind >= 3 {
            let kind = if kind == 3 { "text" } else { "spreadsheet" };
            let styles = crate::odf::styles(&c, "");
            crate::odf::package(kind, &format!("{a}<table:table table:name=\"S\">{b}</table:table>"), &styles, &[])
        } else if kind == 2 {
            let root = format!("<ofd:OFD><ofd:DocBody><ofd:DocInfo>{c}</ofd:DocInfo><ofd:DocRoot>D/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>");
            let doc = r#"<ofd:Document><ofd:Pages><ofd:Page BaseLoc="P/Content.xml"/><ofd:Page BaseLoc="/D/P/Content.xml"/></ofd:Pages></ofd:Document>"#;
            let page = format!("<ofd:Page><ofd:TextObject Boundary=\"0 {}\"><ofd:TextCode>{a}</ofd:TextCode></ofd:TextObject>{b}</ofd:Page>", c.len());
            zip_of(&[("OFD.xml", root.as_bytes()), ("D/Document.xml", doc.as_bytes()), ("D/P/Content.xml", page.as_bytes())])
        } else if kind == 1 {
            let doc = format!("<w:document{W}><w:body>{a}</w:body></w:document>");
            let hdr = format!("<w:hdr{W}>{b}</w:hdr>");
            zip_of(&[("word/document.xml", doc.as_bytes()), ("word/header1.xml", hdr.as_bytes())])
        } else {
            let wb = r#"<workbook><sheets><sheet name="S" r:id="rId1"/><sheet name="T" r:id="rId1"/></sheets></workbook>"#;
            let rels = r#"<Relationships><Relationship Id="rId1" Type="x/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
            let sheet = format!("<worksheet><sheetData>{a}{c}</sheetData></worksheet>");
            let shared = format!("<sst>{b}</sst>");
            zip_of(&[
                ("xl/workbook.xml", wb.as_bytes()),
                ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
                ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
                ("xl/sharedStrings.xml", shared.as_bytes()),
            ])
        }
    })
}

/// Redactions at arbitrary char boundaries, disjoint within each segment.
fn redactions(ex: &Extracted, picks: &[(usize, usize, usize)]) -> Vec<Redaction> {
    let mut out: Vec<Redaction> = Vec::new();
    // A workbook's sheet names are never rewritten (a test of their own).
    let rewritable: Vec<usize> = (0..ex.segments.len())
        .filter(|&i| !ex.segments[i].location.is_workbook())
        .collect();
    for &(seg, a, b) in picks {
        let Some(&segment) = rewritable.get(seg % rewritable.len().max(1)) else {
            continue;
        };
        let s = &ex.segments[segment];
        let bounds: Vec<usize> = s
            .text
            .char_indices()
            .map(|(i, _)| i)
            .chain([s.text.len()])
            .collect();
        let (x, y) = (bounds[a % bounds.len()], bounds[b % bounds.len()]);
        let (start, end) = (x.min(y), x.max(y));
        if out.iter().any(|r| {
            r.segment == segment && r.start < end.max(start + 1) && start < r.end.max(r.start + 1)
        }) {
            continue;
        }
        out.push(Redaction {
            segment,
            start,
            end,
            replacement: "＊*".into(),
        });
    }
    out
}

/// Each segment's location and text with the redactions applied.
fn expected_texts(ex: &Extracted, rs: &[Redaction]) -> Vec<(String, String)> {
    let mut texts: Vec<String> = ex.segments.iter().map(|s| s.text.clone()).collect();
    let mut sorted: Vec<&Redaction> = rs.iter().collect();
    sorted.sort_by_key(|r| std::cmp::Reverse((r.segment, r.start)));
    for r in sorted {
        texts[r.segment].replace_range(r.start..r.end, &r.replacement);
    }
    // Document properties leave with every rendition of a package.
    ex.segments
        .iter()
        .zip(texts)
        .filter(|(s, t)| !t.is_empty() && !crate::files::is_property(&s.location))
        .map(|(s, t)| (serde_json::to_string(&s.location).unwrap(), t))
        .collect()
}

fn texts_after(ex: &Extracted) -> Vec<(String, String)> {
    ex.segments
        .iter()
        .map(|s| (serde_json::to_string(&s.location).unwrap(), s.text.clone()))
        .collect()
}

fn exercise(name: &str, bytes: &[u8], picks: &[(usize, usize, usize)]) {
    let limits = Limits {
        max_decompressed_bytes: 10_000_000,
        ..Limits::service_default()
    };
    let Ok(ex) = extract(name, bytes, &limits) else {
        return;
    };
    for (i, s) in ex.segments.iter().enumerate() {
        let _ = ex.locate(i, s.text.len() / 2);
    }
    let rs = redactions(&ex, picks);
    // Rendering may refuse (e.g. overlapping elements) but must not panic.
    let whole = render(name, bytes, &ex, &rs);
    if ex.kind == FileKind::Csv {
        let mut streamed = Vec::new();
        let rendered = render_csv(name, &InMemory(bytes), &mut streamed, |index, _| {
            rs.iter().filter(|r| r.segment == index).cloned().collect()
        });
        if let (Ok(whole), Ok(())) = (&whole, &rendered) {
            assert_eq!(whole, &streamed, "{name}: cell by cell and whole differ");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes(name in prop::sample::select(&NAMES[..]), bytes in prop::collection::vec(any::<u8>(), 0..512),
                       picks in prop::collection::vec((0usize..8, any::<usize>(), any::<usize>()), 0..4)) {
        exercise(name, &bytes, &picks);
    }

    #[test]
    fn arbitrary_text(name in prop::sample::select(&NAMES[..5]), text in xmlish(),
                      picks in prop::collection::vec((0usize..8, any::<usize>(), any::<usize>()), 0..4)) {
        exercise(name, text.as_bytes(), &picks);
    }

    #[test]
    fn arbitrary_packages(bytes in packages(), flip in prop::option::of((any::<usize>(), any::<u8>())),
                          picks in prop::collection::vec((0usize..8, any::<usize>(), any::<usize>()), 0..4)) {
        let mut bytes = bytes;
        if let Some((at, v)) = flip {
            let len = bytes.len();
            bytes[at % len] ^= v;
        }
        exercise("a.xlsx", &bytes, &picks);
    }

    /// A valid Chinese PDF, damaged anywhere or cut short: an error or
    /// segments, never a panic (the reader's own panics are caught too).
    #[test]
    fn damaged_pdfs(text in "[张三机密★0-9 ]{0,12}", flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
                    cut in prop::option::of(any::<usize>()),
                    picks in prop::collection::vec((0usize..4, any::<usize>(), any::<usize>()), 0..3)) {
        let lines = [text.as_str(), "第二行"];
        let mut bytes = crate::pdf::pdf(&[crate::pdf::PdfPage::Text(&lines), crate::pdf::PdfPage::Scan], &[("Title", &text)]);
        let len = bytes.len();
        for (at, v) in flips {
            // Past the header, so the file is still taken for a PDF.
            bytes[8 + at % (len - 8)] ^= v;
        }
        if let Some(cut) = cut {
            bytes.truncate(8 + cut % (len - 8));
        }
        exercise("a.pdf", &bytes, &picks);
    }

    /// A valid Word 97 document or BIFF8 workbook, damaged anywhere past
    /// the compound file's signature or cut short: an error or segments,
    /// never a panic.
    #[test]
    fn damaged_office_97_files(text in "[张三机密★0-9a-z\\r ]{0,24}", workbook in any::<bool>(),
                               flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
                               cut in prop::option::of(any::<usize>())) {
        let (name, mut bytes) = if workbook {
            ("a.xls", crate::legacy::roster_xls())
        } else {
            let summary = crate::legacy::property_stream(&[(936, &[(2, text.as_str())], &[(2, "名")])]);
            let stories = crate::legacy::Stories { body: &text, footnotes: "注\r", headers: &text };
            ("a.doc", crate::legacy::doc(&stories, Some(&summary)))
        };
        let len = bytes.len();
        for (at, v) in flips {
            bytes[8 + at % (len - 8)] ^= v;
        }
        if let Some(cut) = cut {
            bytes.truncate(8 + cut % (len - 8));
        }
        exercise(name, &bytes, &[]);
    }

    /// Any redaction of a valid CSV re-reads as exactly that edit.
    #[test]
    fn csv_redaction_round_trips(cells in prop::collection::vec("[a-z张,\"\\n ]{0,6}", 1..12),
                                 picks in prop::collection::vec((0usize..12, any::<usize>(), any::<usize>()), 1..4)) {
        let mut csv = String::from("h1,h2,h3\n");
        for (i, c) in cells.iter().enumerate() {
            csv.push('"');
            csv.push_str(&c.replace('"', "\"\""));
            csv.push('"');
            csv.push(if i % 3 == 2 { '\n' } else { ',' });
        }
        let ex = extract("p.csv", csv.as_bytes(), &Limits::unlimited()).unwrap();
        let rs = redactions(&ex, &picks);
        let out = render("p.csv", csv.as_bytes(), &ex, &rs).unwrap();
        let again = extract("p.csv", &out, &Limits::unlimited()).unwrap();
        prop_assert_eq!(texts_after(&again), expected_texts(&ex, &rs));
        let mut streamed = Vec::new();
        render_csv("p.csv", &InMemory(csv.as_bytes()), &mut streamed, |index, _| {
            rs.iter().filter(|r| r.segment == index).cloned().collect()
        })
        .unwrap();
        prop_assert_eq!(streamed, out, "cell by cell and whole write the same rendition");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any redaction of a DOCX paragraph split over runs and tabs re-reads
    /// as exactly that edit.
    #[test]
    fn docx_redaction_round_trips(paragraphs in prop::collection::vec(prop::collection::vec("[a-z张 ]{1,5}|\t", 1..6), 1..4),
                                  picks in prop::collection::vec((0usize..4, any::<usize>(), any::<usize>()), 1..4)) {
        let mut body = String::new();
        for runs in &paragraphs {
            body.push_str("<w:p>");
            for run in runs {
                if run == "\t" {
                    body.push_str("<w:r><w:tab/></w:r>");
                } else {
                    body.push_str(&format!("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{run}</w:t></w:r>"));
                }
            }
            body.push_str("</w:p>");
        }
        let doc = format!("<w:document{W}><w:body>{body}</w:body></w:document>");
        let bytes = zip_of(&[("word/document.xml", doc.as_bytes())]);
        let ex = extract("p.docx", &bytes, &Limits::unlimited()).unwrap();
        let rs = redactions(&ex, &picks);
        let out = render("p.docx", &bytes, &ex, &rs).unwrap();
        let again = extract("p.docx", &out, &Limits::unlimited()).unwrap();
        prop_assert_eq!(texts_after(&again), expected_texts(&ex, &rs));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any redaction of cells of a workbook (shared strings reused across
    /// cells, numbers) re-reads as exactly that edit, every other cell as before.
    #[test]
    fn xlsx_redaction_round_trips(cells in prop::collection::vec(prop::sample::select(&["张三", "李四", "a&b<c>", "x", "13812345678"][..]), 1..20),
                                  picks in prop::collection::vec((0usize..20, any::<usize>(), any::<usize>()), 1..5)) {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (i, c) in cells.iter().enumerate() {
            let (row, col) = ((i / 4) as u32, (i % 4) as u16);
            match c.parse::<f64>() {
                Ok(n) => ws.write_number(row, col, n).map(|_| ()),
                Err(_) => ws.write_string(row, col, *c).map(|_| ()),
            }
            .unwrap();
        }
        let bytes = wb.save_to_buffer().unwrap();
        let ex = extract("p.xlsx", &bytes, &Limits::unlimited()).unwrap();
        let rs = redactions(&ex, &picks);
        let out = render("p.xlsx", &bytes, &ex, &rs).unwrap();
        let again = extract("p.xlsx", &out, &Limits::unlimited()).unwrap();
        prop_assert_eq!(texts_after(&again), expected_texts(&ex, &rs));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any redaction of OpenDocument paragraphs (spans, runs of spaces,
    /// tabs) and spreadsheet cells (strings and numbers, repeated ones)
    /// re-reads as exactly that edit.
    #[test]
    fn odf_redaction_round_trips(paragraphs in prop::collection::vec(prop::collection::vec("[a-z张&<]{1,5}|\t|  ", 1..6), 1..4),
                                 cells in prop::collection::vec(prop::sample::select(&["张三", "a&b", "13812345678", "2.5"][..]), 1..12),
                                 picks in prop::collection::vec((0usize..16, any::<usize>(), any::<usize>()), 1..4)) {
        let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
        let mut text = String::new();
        for runs in &paragraphs {
            text.push_str("<text:p>");
            for (i, run) in runs.iter().enumerate() {
                match run.as_str() {
                    "\t" => text.push_str("<text:tab/>"),
                    "  " => text.push_str("<text:s text:c=\"2\"/>"),
                    run if i % 2 == 0 => text.push_str(&escape(run)),
                    run => text.push_str(&format!("<text:span text:style-name=\"T1\">{}</text:span>", escape(run))),
                }
            }
            text.push_str("</text:p>");
        }
        let mut sheet = String::from("<table:table table:name=\"S\">");
        for row in cells.chunks(3) {
            sheet.push_str("<table:table-row>");
            for (i, c) in row.iter().enumerate() {
                let repeat = if i == 1 { " table:number-columns-repeated=\"2\"" } else { "" };
                let typed = match c.parse::<f64>() {
                    Ok(_) => format!(" office:value-type=\"float\" office:value=\"{c}\""),
                    Err(_) => " office:value-type=\"string\"".to_string(),
                };
                sheet.push_str(&format!("<table:table-cell{repeat}{typed}><text:p>{}</text:p></table:table-cell>", escape(c)));
            }
            sheet.push_str("</table:table-row>");
        }
        sheet.push_str("</table:table>");
        let documents = [("p.odt", crate::odf::package("text", &text, "", &[])), ("p.ods", crate::odf::package("spreadsheet", &sheet, "", &[]))];
        for (name, bytes) in documents {
            let ex = extract(name, &bytes, &Limits::unlimited()).unwrap();
            let rs = redactions(&ex, &picks);
            let out = render(name, &bytes, &ex, &rs).unwrap();
            let again = extract(name, &out, &Limits::unlimited()).unwrap();
            prop_assert_eq!(texts_after(&again), expected_texts(&ex, &rs));
        }
    }
}
