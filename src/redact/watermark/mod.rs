//! The trace a copy of conditional data carries (有条件开放), naming the
//! applicant and the grant, so a leaked copy says whose it was: a trailing
//! line or row in text and CSV (in the file's own encoding), a custom
//! document property in DOCX, XLSX, ODT and ODS, an entry of the document
//! information dictionary in PDF (an incremental update: the signed or
//! published bytes stay as they were, the trace follows them), a
//! `CustomData` entry of `DocInfo` in OFD. JSON has no place for a note
//! that is not data, so there the trace is written in the whitespace RFC
//! 8259 allows after the value: every parser reads the same value, and
//! `releasegate trace` reads the trace back.

mod blanks;
mod ofd;
mod office;
mod pdf;

use crate::extract::encoding::TextEncoding;
use crate::extract::{extract, ExtractError, FileKind, Limits};

/// The name the trace goes by where a format names its properties.
pub const TRACE_PROPERTY: &str = "ConditionalDataTrace";
/// How every trace begins, so that it is found again in a copy.
pub(super) const TRACE_PREFIX: &str = "有条件开放数据 / Conditional data: ";

/// The trace for one conditional download.
pub fn trace_text(
    applicant: &str,
    email: &str,
    application: &str,
    at: &chrono::NaiveDateTime,
) -> String {
    format!(
        "{TRACE_PREFIX}issued to {applicant} <{email}>, application {application}, {}",
        crate::audit::format_time(at)
    )
}

/// The trace a copy of conditional data carries, if any: the forensic
/// side of [`append_trace`]. A file that cannot be read at all is an error.
pub fn read_trace(file_name: &str, bytes: &[u8]) -> Result<Option<String>, ExtractError> {
    let extracted = extract(file_name, bytes, &Limits::service_default())?;
    if extracted.kind == FileKind::Json {
        return Ok(blanks::whitespace_trace(bytes));
    }
    // The last one: a copy traced twice was passed on by the second. A
    // text file is one segment; the trace is its own line.
    Ok(extracted
        .segments
        .iter()
        .rev()
        .find_map(|s| s.text.lines().rev().find(|l| l.starts_with(TRACE_PREFIX)))
        .map(str::to_owned))
}

/// Where the trace of a copy goes.
pub enum Placement {
    /// After the stored bytes (text, CSV, JSON): the copy is the stored
    /// file followed by these bytes, so it is streamed, never held whole.
    After(Vec<u8>),
    /// Inside the file (a package, a PDF): the copy is rewritten whole.
    Inside,
    /// Nowhere: the format takes no trace (JSON in UTF-16, XLS, DOC).
    None,
}

/// Where `trace` goes in a rendition of `kind` stored in `encoding`;
/// `last` are the rendition's last bytes (at least 4, or all of it), so
/// that a text without a final line break gets one first.
pub fn placement(
    kind: FileKind,
    encoding: Option<&str>,
    last: &[u8],
    trace: &str,
) -> Result<Placement, ExtractError> {
    // Text-based renditions are stored in their own encoding; UTF-8 when unrecorded.
    let encoding = encoding
        .and_then(TextEncoding::by_name)
        .unwrap_or(TextEncoding::Utf8);
    Ok(match kind {
        FileKind::Text => Placement::After(trailing_line(encoding, last, trace)?),
        // One quoted field: a CSV reader sees an ordinary short row.
        FileKind::Csv => Placement::After(trailing_line(
            encoding,
            last,
            &format!("\"{}\"", trace.replace('"', "\"\"")),
        )?),
        FileKind::Json => match blanks::trailing_whitespace(encoding, trace)? {
            Some(tail) => Placement::After(tail),
            None => Placement::None,
        },
        FileKind::Docx
        | FileKind::Xlsx
        | FileKind::Pdf
        | FileKind::Ofd
        | FileKind::Odt
        | FileKind::Ods => Placement::Inside,
        // A property set could take it, but rewriting a compound file is
        // a writer this service does not have.
        FileKind::Xls | FileKind::Doc => Placement::None,
    })
}

/// Adds `trace` to a rendition of `kind` stored in `encoding`. Answers
/// whether the format took one (an encrypted PDF, an OFD without
/// `DocInfo`, JSON in UTF-16 and the Office 97–2003 formats do not).
pub fn append_trace(
    kind: FileKind,
    encoding: Option<&str>,
    bytes: &mut Vec<u8>,
    trace: &str,
) -> Result<bool, ExtractError> {
    let last = &bytes[bytes.len().saturating_sub(LAST_BYTES)..];
    match placement(kind, encoding, last, trace)? {
        Placement::After(tail) => {
            bytes.extend_from_slice(&tail);
            Ok(true)
        }
        Placement::None => Ok(false),
        Placement::Inside => match kind {
            FileKind::Pdf => pdf::information_entry(bytes, trace),
            FileKind::Ofd => ofd::doc_info_entry(bytes, trace),
            FileKind::Odt | FileKind::Ods => office::user_defined_meta(bytes, trace),
            _ => office::custom_property(bytes, trace),
        },
    }
}

/// How many last bytes of a rendition [`placement`] needs: the longest
/// line break of a supported encoding (UTF-16, two bytes) with room.
pub const LAST_BYTES: usize = 4;

/// The trace as a last line, after a line break if the text (whose last
/// bytes are `last`) does not end with one.
fn trailing_line(encoding: TextEncoding, last: &[u8], line: &str) -> Result<Vec<u8>, ExtractError> {
    let newline = encoding.encode("\n")?;
    let mut tail = Vec::new();
    if !last.is_empty() && !last.ends_with(&newline) {
        tail.extend_from_slice(&newline);
    }
    tail.extend_from_slice(&encoding.encode(line)?);
    tail.extend_from_slice(&newline);
    Ok(tail)
}

#[cfg(test)]
mod tests {
    use lopdf::{text_string, Document, Object};

    use super::ofd::OFD_ROOT;
    use super::office::{CUSTOM_PROPERTIES, CUSTOM_PROPERTIES_TYPE, PACKAGE_RELATIONSHIPS};
    use super::*;
    use crate::extract::package::Package;
    use crate::extract::{extract, Limits};
    use crate::redact::package::CONTENT_TYPES;

    #[test]
    fn a_trace_lands_on_its_own_line_in_the_files_encoding() {
        let mut csv = "姓名,金额\n某某,100".as_bytes().to_vec();
        assert!(append_trace(
            FileKind::Csv,
            Some("UTF-8"),
            &mut csv,
            "issued to \"李\" grant 1"
        )
        .unwrap());
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "姓名,金额\n某某,100\n\"issued to \"\"李\"\" grant 1\"\n"
        );
        let mut gbk = encoding_rs::GBK.encode("统计\n").0.into_owned();
        assert!(append_trace(FileKind::Text, Some("GBK"), &mut gbk, "发放给 李").unwrap());
        assert_eq!(encoding_rs::GBK.decode(&gbk).0, "统计\n发放给 李\n");
    }

    #[test]
    fn json_carries_its_trace_in_trailing_blanks_and_parses_to_the_same_value() {
        let original = r#"[{"姓名": "某某", "金额": 100}]"#.as_bytes().to_vec();
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
            .unwrap()
            .and_hms_opt(4, 0, 0)
            .unwrap();
        let trace = trace_text("李 \"四\"", "li@x", "01APP", &at);
        let mut json = original.clone();
        assert!(append_trace(FileKind::Json, Some("UTF-8"), &mut json, &trace).unwrap());
        assert!(json.starts_with(&original));
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            parsed,
            serde_json::from_slice::<serde_json::Value>(&original).unwrap()
        );
        assert_eq!(
            read_trace("a.json", &json).unwrap().as_deref(),
            Some(trace.as_str())
        );
        // Without a trace, or with blanks that are not one, nothing is read.
        assert_eq!(read_trace("a.json", &original).unwrap(), None);
        assert_eq!(read_trace("a.json", b"[1]\n \t \t \n").unwrap(), None);
        let mut utf16 = b"[\0]\0".to_vec();
        assert!(!append_trace(FileKind::Json, Some("UTF-16LE"), &mut utf16, &trace).unwrap());
    }

    fn ofd(root: &str) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let page = r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer><ofd:TextObject ID="1" Boundary="0 0 100 10"><ofd:TextCode X="0" Y="5">年度统计</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>"#;
        let document = r#"<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Pages><ofd:Page ID="2" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#;
        for (name, xml) in [
            (OFD_ROOT, root),
            ("Doc_0/Document.xml", document),
            ("Doc_0/Pages/Page_0/Content.xml", page),
        ] {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(xml.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn an_ofd_gets_a_custom_data_entry_wherever_its_doc_info_stands() {
        let trace = "有条件开放数据 / Conditional data: issued to 李 & co";
        let head = r#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody>"#;
        let tail = r#"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
        for info in [
            r#"<ofd:DocInfo><ofd:Title>年报</ofd:Title></ofd:DocInfo>"#,
            r#"<ofd:DocInfo><ofd:Title>年报</ofd:Title><ofd:CustomDatas><ofd:CustomData Name="经办">甲</ofd:CustomData></ofd:CustomDatas></ofd:DocInfo>"#,
            r#"<ofd:DocInfo />"#,
            r#"<ofd:DocInfo><ofd:Title>年报</ofd:Title><ofd:CustomDatas/></ofd:DocInfo>"#,
        ] {
            let mut bytes = ofd(&format!("{head}{info}{tail}"));
            assert!(
                append_trace(FileKind::Ofd, None, &mut bytes, trace).unwrap(),
                "{info}"
            );
            assert_eq!(
                read_trace("a.ofd", &bytes).unwrap().as_deref(),
                Some(trace),
                "{info}"
            );
            let extracted = extract("a.ofd", &bytes, &Limits::service_default()).unwrap();
            assert!(extracted
                .segments
                .iter()
                .any(|s| s.text.contains("年度统计")));
        }
        let mut bytes = ofd(&format!("{head}{tail}"));
        assert!(!append_trace(FileKind::Ofd, None, &mut bytes, trace).unwrap());
    }

    fn docx(extra: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut members = vec![
            (
                CONTENT_TYPES,
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#,
            ),
            (
                PACKAGE_RELATIONSHIPS,
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
            ),
            (
                "word/document.xml",
                r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>年度统计</w:t></w:r></w:p></w:body></w:document>"#,
            ),
        ];
        members.extend_from_slice(extra);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, xml) in members {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(xml.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// The segments of `bytes` read back from the property named `name`.
    fn read_back(file_name: &str, bytes: &[u8]) -> Vec<String> {
        let extracted = extract(file_name, bytes, &Limits::service_default()).unwrap();
        extracted
            .segments
            .into_iter()
            .map(|s| s.text)
            .filter(|t| t.contains("grant"))
            .collect()
    }

    #[test]
    fn an_office_document_gets_a_custom_property_and_keeps_its_content() {
        let mut bytes = docx(&[]);
        assert!(append_trace(
            FileKind::Docx,
            None,
            &mut bytes,
            "issued to 李 <li@x> grant 7"
        )
        .unwrap());
        assert_eq!(read_back("a.docx", &bytes), ["issued to 李 <li@x> grant 7"]);
        let mut pkg = Package::open(&bytes, &Limits::unlimited()).unwrap();
        let types = pkg.read_xml(CONTENT_TYPES).unwrap().unwrap();
        assert!(types.contains(CUSTOM_PROPERTIES_TYPE), "{types}");
        let rels = pkg.read_xml(PACKAGE_RELATIONSHIPS).unwrap().unwrap();
        assert!(
            rels.contains(r#"Id="rIdTrace1""#) && rels.contains("rId1"),
            "{rels}"
        );
        let text = extract("a.docx", &bytes, &Limits::service_default()).unwrap();
        assert!(text.segments.iter().any(|s| s.text == "年度统计"));

        // Custom properties there already: one more, with the next id.
        let existing = r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="4" name="编号"><vt:lpwstr>A-1</vt:lpwstr></property></Properties>"#;
        let mut bytes = docx(&[(CUSTOM_PROPERTIES, existing)]);
        assert!(append_trace(FileKind::Docx, None, &mut bytes, "grant 8 & co").unwrap());
        let custom = Package::open(&bytes, &Limits::unlimited())
            .unwrap()
            .read_xml(CUSTOM_PROPERTIES)
            .unwrap()
            .unwrap();
        assert!(
            custom.contains(r#"pid="5" name="ConditionalDataTrace"><vt:lpwstr>grant 8 &amp; co<"#),
            "{custom}"
        );
        assert!(custom.contains("A-1"));
    }

    #[test]
    fn an_opendocument_file_gets_a_user_defined_property_listed_in_its_manifest() {
        use std::io::Write;
        let content = r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:p>年度统计</text:p></office:text></office:body></office:document-content>"#;
        let manifest = r#"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in [
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", content),
            ("META-INF/manifest.xml", manifest),
        ] {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        let mut bytes = zip.finish().unwrap().into_inner();
        assert!(
            append_trace(FileKind::Odt, None, &mut bytes, "issued to 李 grant 9 & co").unwrap()
        );
        assert_eq!(read_back("a.odt", &bytes), ["issued to 李 grant 9 & co"]);
        let manifest = Package::open(&bytes, &Limits::unlimited())
            .unwrap()
            .read_xml("META-INF/manifest.xml")
            .unwrap()
            .unwrap();
        assert!(
            manifest.contains(r#"<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/></manifest:manifest>"#),
            "{manifest}"
        );
        let text = extract("a.odt", &bytes, &Limits::service_default()).unwrap();
        assert_eq!(text.segments[0].text, "年度统计");
        // A second copy's trace follows the first in the same part.
        assert!(append_trace(FileKind::Odt, None, &mut bytes, "grant 10").unwrap());
        assert_eq!(read_back("a.odt", &bytes).len(), 2);
    }

    #[test]
    fn a_pdf_gets_an_information_entry_after_its_original_bytes() {
        let mut doc = Document::with_version("1.7");
        let pages = doc.new_object_id();
        let page = doc.add_object(lopdf::dictionary! {"Type" => "Page", "Parent" => pages});
        doc.objects.insert(
            pages,
            Object::Dictionary(
                lopdf::dictionary! {"Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1},
            ),
        );
        let catalog = doc.add_object(lopdf::dictionary! {"Type" => "Catalog", "Pages" => pages});
        doc.trailer.set("Root", catalog);
        let info = doc.add_object(lopdf::dictionary! {"Title" => text_string("年报")});
        doc.trailer.set("Info", info);
        let mut original = Vec::new();
        doc.save_to(&mut original).unwrap();

        let mut bytes = original.clone();
        assert!(append_trace(FileKind::Pdf, None, &mut bytes, "issued to 李 grant 9").unwrap());
        assert!(bytes.starts_with(&original), "an incremental update");
        let traced = Document::load_mem(&bytes).unwrap();
        let info = traced
            .get_dictionary(traced.trailer.get(b"Info").unwrap().as_reference().unwrap())
            .unwrap();
        let text = |key: &[u8]| lopdf::decode_text_string(info.get(key).unwrap()).unwrap();
        assert_eq!(text(TRACE_PROPERTY.as_bytes()), "issued to 李 grant 9");
        assert_eq!(text(b"Title"), "年报");

        let mut garbage = b"%PDF-1.7 not really".to_vec();
        assert!(append_trace(FileKind::Pdf, None, &mut garbage, "x").is_err());
    }
}
