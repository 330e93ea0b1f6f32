//! The formats governments publish, through the service: findings located
//! at their cell or paragraph, and published renditions of the same format
//! with the dispositioned values masked. Fixtures are generated here.

use std::io::Write;

use crate::common::*;
use releasegate::extract::{self, Limits};
use serde_json::{json, Value};

fn people() -> Vec<(String, String, String)> {
    ["张建国", "李秀英", "王志强", "刘海燕"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            (
                name.to_string(),
                id_number(&format!("4207041985031{i}123")),
                format!("1381234567{i}"),
            )
        })
        .collect()
}

fn statistics_meta(category: &str) -> Value {
    let mut m = meta(&[]);
    m["data_category"] = json!(category);
    m
}

async fn published_file(app: &TestApp, id: &str) -> Vec<u8> {
    let public = app
        .get(&format!("/public/releases/{id}"), None)
        .await
        .json();
    let url = public["files"][0]["url"].as_str().unwrap().to_string();
    let res = app.get(&url, None).await;
    assert_eq!(res.status, 200);
    res.bytes
}

#[actix_web::test]
async fn gbk_csv_id_column_is_one_column_finding_and_is_masked_whole() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    // The header cites a sample number: a column masked whole still masks
    // a finding in its header, which is no body cell.
    let sample = id_number("11010119900307123");
    let mut csv = format!("序号,姓名,身份证号（如{sample}）,补贴金额\r\n");
    for (i, (name, id, _)) in people().iter().enumerate() {
        csv.push_str(&format!("{},{name},{id},1200.00\r\n", i + 1));
    }
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let release = app
        .file_release(&cast.submitter, meta(&[]), "名单.csv", &gbk)
        .await;
    let id = release["id"].as_str().unwrap().to_string();
    assert_eq!(release["versions"][0]["files"][0]["encoding"], "GBK");

    let items = findings(&app, &id, &cast.privacy).await;
    let summary = items
        .iter()
        .find(|f| f["column_summary"] == true && f["type"] == "CN_ID_CARD")
        .unwrap_or_else(|| panic!("no column summary in {items:#?}"));
    assert_eq!(
        summary["location"],
        json!({"file": "名单.csv", "column": "C"})
    );
    assert!(
        summary["excerpt"]
            .as_str()
            .unwrap()
            .ends_with(": 5 CN_ID_CARD")
            && !summary["excerpt"].as_str().unwrap().contains(&sample),
        "{summary}"
    );
    let cells: Vec<&Value> = items
        .iter()
        .filter(|f| f["type"] == "CN_ID_CARD" && f["column_summary"] == false)
        .map(|f| &f["location"]["cell"])
        .collect();
    assert_eq!(cells, ["C1", "C2", "C3", "C4", "C5"]);
    // Counts are of cells, not of summaries.
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.privacy))
        .await
        .json();
    assert_eq!(r["findings"]["by_severity"]["high"], 5);
    // Counted once, when the inspection concluded: the view reads the tally.
    let release_id = id.clone();
    let tallied: Vec<(String, i64)> = app
        .db(move |c| {
            use diesel::prelude::*;
            use releasegate::db::schema::finding_tallies as t;
            t::table
                .filter(t::release_id.eq(release_id))
                .order(t::severity)
                .select((t::severity, t::findings))
                .load(c)
                .unwrap()
        })
        .await;
    let shown = r["findings"]["by_severity"].as_object().unwrap();
    assert_eq!(tallied.len(), shown.len(), "{tallied:?} against {shown:?}");
    for (severity, n) in &tallied {
        assert_eq!(shown[severity], *n, "{severity}");
    }
    let pending = r["findings"]["undispositioned"].as_i64().unwrap();
    assert_eq!(backlog(&app, &id).await, (Some(pending), pending));

    // One disposition of the summary dispositions the column.
    let res = app
        .post_json(
            &format!(
                "/api/v1/releases/{id}/findings/{}/disposition",
                summary["id"].as_str().unwrap()
            ),
            Some(&cast.privacy),
            json!({"disposition": "redact", "note": "整列脱敏"}),
        )
        .await;
    assert_eq!(res.status, 200);
    // The backlog drops by the column's five cells, as a count would.
    let r = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.privacy))
        .await
        .json();
    assert_eq!(r["findings"]["undispositioned"], pending - 5, "{r}");
    assert_eq!(backlog(&app, &id).await, (Some(pending - 5), pending - 5));
    let after = findings(&app, &id, &cast.privacy).await;
    assert!(after
        .iter()
        .filter(|f| f["type"] == "CN_ID_CARD")
        .all(|f| f["disposition"]["disposition"] == "redact"));

    let release = app
        .approve_all(&id, &cast, |f| {
            if f["type"] == "PERSON_NAME" {
                "accepted"
            } else {
                "redact"
            }
        })
        .await;
    assert_eq!(release["state"], "published");
    let published = published_file(&app, &id).await;
    let (text, encoding, malformed) = encoding_rs::GBK.decode(&published);
    assert_eq!(
        (encoding.name(), malformed),
        ("GBK", false),
        "the rendition stays GBK"
    );
    for (name, number, _) in people() {
        assert!(!text.contains(&number), "raw ID published: {text}");
        assert!(
            text.contains(&format!("{}********{}", &number[..6], &number[14..])),
            "{text}"
        );
        assert!(text.contains(&name), "accepted names stay: {text}");
    }
    let masked_sample = format!("{}********{}", &sample[..6], &sample[14..]);
    assert_eq!(
        text.lines().next(),
        Some(format!("序号,姓名,身份证号（如{masked_sample}）,补贴金额").as_str())
    );
    assert_eq!(text.matches("1200.00").count(), 4, "other cells unchanged");
}

/// The release's recorded backlog of findings wanting a disposition, and
/// the same counted over the findings.
async fn backlog(app: &TestApp, id: &str) -> (Option<i64>, i64) {
    let id = id.to_string();
    app.db(move |c| {
        use diesel::prelude::*;
        use releasegate::db::schema::{finding_backlogs as b, findings as f};
        let recorded = b::table
            .filter(b::release_id.eq(&id))
            .select(b::undispositioned)
            .first(c)
            .optional()
            .unwrap();
        let counted = f::table
            .filter(f::release_id.eq(&id))
            .filter(f::segment.ne(-1))
            .filter(f::disposition.is_null())
            .count()
            .get_result(c)
            .unwrap();
        (recorded, counted)
    })
    .await
}

fn xlsx(sheets: &[(&str, Vec<Vec<String>>)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, value).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[actix_web::test]
async fn xlsx_findings_name_sheet_and_cell_and_the_rendition_stays_a_workbook() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let (name, number, mobile) = people().remove(0);
    let bytes = xlsx(&[
        (
            "汇总",
            vec![
                vec!["项目".into(), "金额".into()],
                vec!["补贴".into(), "4800".into()],
            ],
        ),
        (
            "明细",
            vec![
                vec!["姓名".into(), "身份证号".into(), "联系电话".into()],
                vec![name.clone(), number.clone(), mobile.clone()],
            ],
        ),
    ]);
    let release = app
        .file_release(&cast.submitter, meta(&[]), "补贴.xlsx", &bytes)
        .await;
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.privacy).await;
    let id_card = finding_of(&items, "CN_ID_CARD");
    assert_eq!(
        id_card["location"],
        json!({"file": "补贴.xlsx", "sheet": "明细", "cell": "B2"})
    );
    assert_eq!(finding_of(&items, "CN_MOBILE")["location"]["cell"], "C2");

    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published");
    let published = published_file(&app, &id).await;
    let extracted = extract::extract("补贴.xlsx", &published, &Limits::unlimited())
        .expect("the rendition is a valid workbook");
    let texts: Vec<&str> = extracted.segments.iter().map(|s| s.text.as_str()).collect();
    assert!(
        !texts
            .iter()
            .any(|t| t.contains(&number) || t.contains(&mobile)),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"4800") && texts.contains(&"补贴"),
        "the other sheet is unchanged: {texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("420704") && t.contains('*')),
        "{texts:?}"
    );
}

fn docx(header: &str, body: &str) -> Vec<u8> {
    docx_with(header, body, &[])
}

/// A DOCX with a header and one body paragraph, and `extra` members.
fn docx_with(header: &str, body: &str, extra: &[(&str, String)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.to_string()),
        ("word/_rels/document.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>"#.to_string()),
        ("word/document.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body><w:p><w:r><w:t>关于补贴发放的通知</w:t></w:r></w:p><w:p><w:r><w:t>{body}</w:t></w:r></w:p><w:sectPr><w:headerReference w:type="default" r:id="rId1"/></w:sectPr></w:body></w:document>"#)),
        ("word/header1.xml", format!(r#"<?xml version="1.0" encoding="UTF-8"?><w:hdr xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:p><w:r><w:t>{header}</w:t></w:r></w:p></w:hdr>"#)),
    ];
    for (name, content) in files.iter().chain(extra) {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

#[actix_web::test]
async fn a_classified_docx_header_blocks_and_body_values_are_masked_in_the_document() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let (_, number, _) = people().remove(1);
    let bytes = docx("机密★10年", &format!("申请人身份证号{number}，请核实。"));
    let release = app
        .file_release(&cast.submitter, meta(&[]), "通知.docx", &bytes)
        .await;
    assert_eq!(release["state"], "blocked", "a mark in the header counts");
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.secrecy).await;
    assert_eq!(
        finding_of(&items, "CLASSIFICATION_MARK")["location"]["part"],
        "header"
    );
    let id_card = finding_of(&items, "CN_ID_CARD");
    assert_eq!(
        (
            id_card["location"]["part"].as_str(),
            id_card["location"]["paragraph"].as_i64()
        ),
        (Some("body"), Some(2))
    );

    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published");
    let published = published_file(&app, &id).await;
    let extracted = extract::extract("通知.docx", &published, &Limits::unlimited())
        .expect("the rendition is a valid document");
    let body: Vec<&str> = extracted.segments.iter().map(|s| s.text.as_str()).collect();
    assert!(
        body.iter().any(|t| t.starts_with("申请人身份证号")
            && t.contains('*')
            && t.ends_with("，请核实。")),
        "{body:?}"
    );
    assert!(!body.iter().any(|t| t.contains(&number)));
}

#[actix_web::test]
async fn document_properties_are_findings_an_image_is_looked_at_and_neither_is_published_unread() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let (_, number, _) = people().remove(2);
    let core = format!(
        r#"<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>机密★10年 内部通报</dc:title><dc:creator>{number}</dc:creator></cp:coreProperties>"#
    );
    let bytes = docx_with(
        "",
        "补贴发放情况说明",
        &[
            ("docProps/core.xml", core),
            ("word/media/image1.png", "\u{89}PNG not really".into()),
        ],
    );
    let release = app
        .file_release(&cast.submitter, meta(&[]), "说明.docx", &bytes)
        .await;
    assert_eq!(
        release["state"], "blocked",
        "a mark in the properties counts"
    );
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.secrecy).await;
    assert_eq!(
        finding_of(&items, "CLASSIFICATION_MARK")["location"],
        json!({"file": "说明.docx", "part": "properties", "name": "dc:title"})
    );
    assert_eq!(
        finding_of(&items, "CN_ID_CARD")["location"],
        json!({"file": "说明.docx", "part": "properties", "name": "dc:creator"})
    );
    let image = finding_of(&items, "UNREADABLE_CONTENT");
    assert_eq!(
        image["location"],
        json!({"file": "说明.docx", "part": "embedded", "name": "word/media/image1.png"})
    );
    assert_eq!(
        (image["category"].as_str(), image["severity"].as_str()),
        (Some("secrecy"), Some("high"))
    );
    let image_id = image["id"].as_str().unwrap().to_string();
    let reveal = app
        .post_json(
            &format!("/api/v1/releases/{id}/findings/{image_id}/reveal"),
            Some(&cast.secrecy),
            json!({}),
        )
        .await;
    reveal.assert_error(422, "no_value");

    // An image cannot be masked: `redact` on it stops the secrecy approval.
    let mark = finding_of(&items, "CLASSIFICATION_MARK")["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (finding, disposition) in [(&image_id, "redact"), (&mark, "false_positive")] {
        let res = dispose(&app, &id, &cast.secrecy, finding, disposition, "核查").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let res = decide(&app, &id, &cast.approver, "department_review", "approve").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = decide(&app, &id, &cast.secrecy, "secrecy_review", "approve").await;
    let message = res.assert_error(409, "redacted_version_required");
    assert!(message.contains(&image_id), "{message}");

    // Looked at and accepted, it is published; the properties never are.
    let res = dispose(&app, &id, &cast.secrecy, &image_id, "accepted", "已核看").await;
    assert_eq!(res.status, 200, "{}", res.text());
    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published", "{release}");
    let published = published_file(&app, &id).await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(published.clone())).unwrap();
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    assert!(
        names.contains(&"word/media/image1.png".to_string()),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("docProps/")),
        "{names:?}"
    );
    for i in 0..archive.len() {
        let mut member = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut member, &mut data).unwrap();
        let text = String::from_utf8_lossy(&data);
        assert!(
            !text.contains(&number) && !text.contains("机密"),
            "{}: {text}",
            member.name()
        );
    }
}

/// A value the service cannot redact where it stands (in a format it
/// does not rewrite, or in a sheet's name): the finding is at its place, a
/// `redact` there stops the privacy approval until a redacted version is
/// filed, and that version goes out — as filed when `as_filed`.
async fn unredactable_value_needs_a_redacted_version(
    name: &str,
    document: impl Fn(&str) -> Vec<u8>,
    location: Value,
    as_filed: bool,
) {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let (_, number, _) = people().remove(0);
    let release = app
        .file_release(&cast.submitter, meta(&[]), name, &document(&number))
        .await;
    assert_eq!(release["state"], "in_review", "{release}");
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.privacy).await;
    let id_card = finding_of(&items, "CN_ID_CARD");
    assert_eq!(id_card["location"], location);
    let finding = id_card["id"].as_str().unwrap().to_string();
    let res = dispose(&app, &id, &cast.privacy, &finding, "redact", "须遮盖").await;
    assert_eq!(res.status, 200, "{}", res.text());
    for (stage, token) in [
        ("department_review", &cast.approver),
        ("secrecy_review", &cast.secrecy),
    ] {
        let res = decide(&app, &id, token, stage, "approve").await;
        assert_eq!(res.status, 200, "{stage}: {}", res.text());
    }
    let res = decide(&app, &id, &cast.privacy, "privacy_review", "approve").await;
    let message = res.assert_error(409, "redacted_version_required");
    assert!(message.contains(&finding), "{message}");

    // The submitter redacts the document and files it again.
    let masked = format!("{}********{}", &number[..6], &number[14..]);
    let res = app
        .post_multipart(
            &format!("/api/v1/releases/{id}/versions"),
            &cast.submitter,
            None,
            &[(name, &document(&masked))],
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let release = app.approve_all(&id, &cast, |_| "accepted").await;
    assert_eq!(release["state"], "published", "{release}");
    let published = published_file(&app, &id).await;
    let texts = extract::extract(name, &published, &Limits::unlimited()).unwrap();
    assert!(texts.segments.iter().any(|s| s.text.contains(&masked)));
    assert!(!texts.segments.iter().any(|s| s.text.contains(&number)));
    if as_filed {
        assert_eq!(published, document(&masked), "{name} goes out as filed");
    }
}

#[actix_web::test]
async fn an_ofd_is_read_by_page_and_a_redact_there_needs_a_redacted_version() {
    use crate::ofd::{ofd, page};
    let notice = |id: &str| {
        ofd(
            &[("Title", "补贴发放公示")],
            None,
            &[
                page(&[(30.0, "补贴发放公示")]),
                page(&[(30.0, &format!("申请人身份证号{id}"))]),
            ],
            &[],
        )
    };
    let at = json!({"file": "公示.ofd", "page": 2});
    unredactable_value_needs_a_redacted_version("公示.ofd", notice, at, true).await;
}

#[actix_web::test]
async fn a_word_97_document_is_read_by_paragraph_and_a_redact_there_needs_a_redacted_version() {
    use crate::legacy::{doc, Stories};
    let notice = |id: &str| {
        doc(
            &Stories {
                body: &format!("补贴发放公示\r申请人身份证号{id}\r"),
                ..Stories::default()
            },
            None,
        )
    };
    let at = json!({"file": "公示.doc", "part": "body", "paragraph": 2});
    unredactable_value_needs_a_redacted_version("公示.doc", notice, at, true).await;
}

#[actix_web::test]
async fn an_id_number_in_a_sheet_name_needs_a_version_with_the_sheet_renamed() {
    use crate::odf::{package, styles};
    let roster = |id: &str| {
        let body = format!(
            r#"<table:table table:name="补贴{id}"><table:table-row><table:table-cell office:value-type="string"><text:p>补贴发放公示</text:p></table:table-cell></table:table-row></table:table>"#
        );
        package("spreadsheet", &body, &styles("", ""), &[])
    };
    let at = json!({"file": "公示.ods", "part": "workbook", "name": "sheet 1"});
    unredactable_value_needs_a_redacted_version("公示.ods", roster, at, false).await;
}

#[actix_web::test]
async fn an_opendocument_text_is_read_by_part_and_paragraph_and_masked_in_place() {
    use crate::odf::{package, styles};
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let (_, number, _) = people().remove(1);
    let body = format!(
        "<text:h>关于补贴发放的通知</text:h><text:p>申请人身份证号<text:span>{}</text:span>{}，请核实。</text:p>",
        &number[..6],
        &number[6..]
    );
    let bytes = package(
        "text",
        &body,
        &styles("<text:p>机密★10年</text:p>", ""),
        &[],
    );
    let release = app
        .file_release(&cast.submitter, meta(&[]), "通知.odt", &bytes)
        .await;
    assert_eq!(release["state"], "blocked", "a mark in the header counts");
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.secrecy).await;
    assert_eq!(
        finding_of(&items, "CLASSIFICATION_MARK")["location"],
        json!({"file": "通知.odt", "part": "header", "paragraph": 1})
    );
    assert_eq!(
        finding_of(&items, "CN_ID_CARD")["location"],
        json!({"file": "通知.odt", "part": "body", "paragraph": 2})
    );
    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published", "{release}");
    let published = published_file(&app, &id).await;
    let extracted = extract::extract("通知.odt", &published, &Limits::unlimited())
        .expect("the rendition is a valid document");
    let texts: Vec<&str> = extracted.segments.iter().map(|s| s.text.as_str()).collect();
    assert!(
        texts.iter().any(|t| t.starts_with("申请人身份证号")
            && t.contains('*')
            && t.ends_with("，请核实。")),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains(&number)), "{texts:?}");
}

#[actix_web::test]
async fn a_workbook_of_1997_is_read_hidden_sheets_too_and_its_mark_blocks_the_release() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let release = app
        .file_release(
            &cast.submitter,
            meta(&[]),
            "名单.xls",
            &crate::legacy::roster_xls(),
        )
        .await;
    // The hidden sheet's 机密★10年 blocks it; the ID numbers are found by cell.
    assert_eq!(release["state"], "blocked", "{release}");
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.secrecy).await;
    let mark = finding_of(&items, "CLASSIFICATION_MARK");
    assert_eq!(
        mark["location"],
        json!({"file": "名单.xls", "sheet": "内部备注", "cell": "A1"})
    );
    let id_card = finding_of(&items, "CN_ID_CARD");
    assert_eq!(id_card["location"]["sheet"], "补贴名单");
    let view = app
        .get(&format!("/api/v1/releases/{id}"), Some(&cast.submitter))
        .await
        .json();
    assert_eq!(view["versions"][0]["files"][0]["kind"], "xls", "{view}");
}

#[actix_web::test]
async fn a_pdf_is_read_by_page_and_line_and_a_redact_there_needs_a_redacted_version() {
    use crate::pdf::{pdf, PdfPage};
    let notice = |id: &str| {
        let line = format!("申请人身份证号{id}");
        pdf(&[PdfPage::Text(&["补贴发放公示", &line])], &[])
    };
    let at = json!({"file": "公示.pdf", "page": 1, "line": 2});
    unredactable_value_needs_a_redacted_version("公示.pdf", notice, at, true).await;
}

#[actix_web::test]
async fn small_counts_in_statistical_tables_are_personal_findings() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    let csv = "街道,男,女,合计\r\n凤凰街道,1532,1498,3030\r\n杜山镇,7,3,10\r\n";
    let release = app
        .file_release(
            &cast.submitter,
            statistics_meta("statistics"),
            "人口.csv",
            csv.as_bytes(),
        )
        .await;
    let id = release["id"].as_str().unwrap().to_string();
    let items = findings(&app, &id, &cast.privacy).await;
    let small: Vec<&Value> = items.iter().filter(|f| f["type"] == "SMALL_CELL").collect();
    let cells: Vec<&str> = small
        .iter()
        .map(|f| f["location"]["cell"].as_str().unwrap())
        .collect();
    assert_eq!(
        cells,
        ["B3", "C3"],
        "7 and 3 are below 10; 10 and the totals are not"
    );
    assert_eq!(
        stage_status(&release, "privacy_review"),
        "waiting",
        "small cells make privacy review required"
    );

    let release = app.approve_all(&id, &cast, |_| "redact").await;
    assert_eq!(release["state"], "published");
    let text = String::from_utf8(published_file(&app, &id).await).unwrap();
    assert!(text.contains("杜山镇,<10,<10,10"), "{text}");

    // The same table filed as ordinary data raises no small-cell findings.
    let other = app
        .file_release(
            &cast.submitter,
            statistics_meta("directory"),
            "人口2.csv",
            csv.as_bytes(),
        )
        .await;
    assert_eq!(other["findings"]["total"], 0);
}

/// A published file is streamed from the store in chunks with its length
/// announced, byte for byte; a stored file that no longer matches its
/// digest is cut short, never sent whole as if it were the rendition.
#[actix_web::test]
async fn a_published_file_streams_whole_and_a_corrupted_one_is_cut_short() {
    let app = TestApp::new().await;
    let cast = app.cast().await;
    // 1.5 MB (the test limit is 2 MB): six chunks.
    let mut csv = String::from("年份,地区,产值\n");
    let mut row = 0u32;
    while csv.len() < 3 << 19 {
        row += 1;
        csv.push_str(&format!(
            "{},区县{},{}.5\n",
            2000 + row % 25,
            row % 97,
            row * 7
        ));
    }
    let release = app
        .file_release(&cast.submitter, meta(&[]), "产值.csv", csv.as_bytes())
        .await;
    let id = release["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.approve_all(&id, &cast, |_| "redact").await["state"],
        "published"
    );
    let public = app
        .get(&format!("/public/releases/{id}"), None)
        .await
        .json();
    let file = &public["files"][0];
    let url = file["url"].as_str().unwrap().to_string();
    let res = app
        .call_raw(actix_web::test::TestRequest::get().uri(&url))
        .await;
    assert_eq!(res.status(), 200);
    use actix_web::body::MessageBody;
    assert_eq!(
        res.response().body().size(),
        actix_web::body::BodySize::Sized(csv.len() as u64),
        "the length is announced"
    );
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .ok()
        .unwrap();
    assert!(
        body == csv.as_bytes(),
        "the rendition of a clean file is the file"
    );

    let sha = file["sha256"].as_str().unwrap();
    let stored = app.db.dir().join("data").join(&sha[..2]).join(&sha[2..]);
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes[1 << 20] ^= 1;
    std::fs::write(&stored, bytes).unwrap();
    let res = app
        .call_raw(actix_web::test::TestRequest::get().uri(&url))
        .await;
    assert_eq!(
        res.status(),
        200,
        "the length is announced before the end is read"
    );
    let body = actix_web::body::to_bytes(res.into_body()).await;
    assert!(body.is_err(), "a corrupted file must not arrive complete");
}
