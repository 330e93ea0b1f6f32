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

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{text_string, Dictionary, Document, IncrementalDocument, Object};
use quick_xml::escape::escape;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::package::{copy_zip, CONTENT_TYPES};
use crate::extract::encoding::TextEncoding;
use crate::extract::package::Package;
use crate::extract::xml::xml_error;
use crate::extract::{extract, ExtractError, FileKind, Limits};

/// The name the trace goes by where a format names its properties.
pub const TRACE_PROPERTY: &str = "ConditionalDataTrace";
/// How every trace begins, so that it is found again in a copy.
const TRACE_PREFIX: &str = "有条件开放数据 / Conditional data: ";

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
        return Ok(whitespace_trace(bytes));
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
        FileKind::Json => match trailing_whitespace(encoding, trace)? {
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
            FileKind::Pdf => information_entry(bytes, trace),
            FileKind::Ofd => doc_info_entry(bytes, trace),
            FileKind::Odt | FileKind::Ods => user_defined_meta(bytes, trace),
            _ => custom_property(bytes, trace),
        },
    }
}

/// How many last bytes of a rendition [`placement`] needs: the longest
/// line break of a supported encoding (UTF-16, two bytes) with room.
pub const LAST_BYTES: usize = 4;

/// One byte of the trace as eight blanks, most significant bit first: a
/// space for 0, a tab for 1.
const BITS: [u8; 2] = [b' ', b'\t'];

/// The trace after the JSON value: a line break, its UTF-8 bytes as
/// blanks, a line break. Only where a blank is one byte, as in UTF-8, GBK
/// and GB18030.
fn trailing_whitespace(
    encoding: TextEncoding,
    trace: &str,
) -> Result<Option<Vec<u8>>, ExtractError> {
    if encoding.encode(" ")? != b" " {
        return Ok(None);
    }
    let mut tail = vec![b'\n'];
    for byte in trace.bytes() {
        tail.extend((0..8).rev().map(|bit| BITS[usize::from(byte >> bit & 1)]));
    }
    tail.push(b'\n');
    Ok(Some(tail))
}

/// The trace [`trailing_whitespace`] wrote, if the file ends with one.
fn whitespace_trace(bytes: &[u8]) -> Option<String> {
    let body = bytes.strip_suffix(b"\n")?;
    let start = body.iter().rposition(|b| !BITS.contains(b))?;
    let blanks = &body[start + 1..];
    if body[start] != b'\n' || blanks.is_empty() || blanks.len() % 8 != 0 {
        return None;
    }
    let decoded: Vec<u8> = blanks
        .chunks(8)
        .map(|bits| {
            bits.iter()
                .fold(0u8, |byte, b| byte << 1 | u8::from(*b == BITS[1]))
        })
        .collect();
    String::from_utf8(decoded)
        .ok()
        .filter(|t| t.starts_with(TRACE_PREFIX))
}

const OFD_ROOT: &str = "OFD.xml";

/// The trace as a `CustomData` entry of the first document's `DocInfo`
/// (GB/T 33190: `CustomDatas` is the last child of `DocInfo`), in the
/// prefix the file uses.
fn doc_info_entry(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    let mut pkg = Package::open(bytes, &Limits::unlimited())?;
    let root = pkg
        .read_xml(OFD_ROOT)?
        .ok_or_else(|| ExtractError::malformed("OFD.xml is missing"))?;
    let Some(root) = with_custom_data(&root, trace)? else {
        return Ok(false);
    };
    drop(pkg);
    let replaced = HashMap::from([(OFD_ROOT.to_string(), root.into_bytes())]);
    *bytes = copy_zip(bytes, &HashSet::new(), &replaced)?;
    Ok(true)
}

/// `OFD.xml` with the trace added to its first `DocInfo`; `None` without one.
fn with_custom_data(xml: &str, trace: &str) -> Result<Option<String>, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut in_info = false;
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| xml_error(OFD_ROOT, e))?;
        let qname = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
        let entry = |prefix: &str| {
            format!(
                r#"<{prefix}CustomData Name="{TRACE_PROPERTY}">{}</{prefix}CustomData>"#,
                escape(trace)
            )
        };
        let prefix_of = |tag: &str| {
            tag.rsplit_once(':')
                .map_or(String::new(), |(p, _)| format!("{p}:"))
        };
        let after = reader.buffer_position() as usize;
        match &event {
            Event::Start(e) if e.local_name().as_ref() == b"DocInfo" => in_info = true,
            // `<CustomDatas/>`: opened, with the entry inside.
            Event::Empty(e) if in_info && e.local_name().as_ref() == b"CustomDatas" => {
                let tag = qname(e.name().as_ref());
                let open = xml[before..after]
                    .trim_end_matches('>')
                    .trim_end_matches('/');
                return Ok(Some(format!(
                    "{}{open}>{}</{tag}>{}",
                    &xml[..before],
                    entry(&prefix_of(&tag)),
                    &xml[after..]
                )));
            }
            Event::Empty(e) if e.local_name().as_ref() == b"DocInfo" => {
                let tag = qname(e.name().as_ref());
                let prefix = prefix_of(&tag);
                let inner = format!(
                    "<{prefix}CustomDatas>{}</{prefix}CustomDatas>",
                    entry(&prefix)
                );
                let open = xml[before..after]
                    .trim_end_matches('>')
                    .trim_end_matches('/');
                return Ok(Some(format!(
                    "{}{open}>{inner}</{tag}>{}",
                    &xml[..before],
                    &xml[after..]
                )));
            }
            Event::End(e) if in_info => {
                let tag = qname(e.name().as_ref());
                let prefix = prefix_of(&tag);
                let insert = match e.local_name().as_ref() {
                    b"CustomDatas" => entry(&prefix),
                    b"DocInfo" => {
                        format!(
                            "<{prefix}CustomDatas>{}</{prefix}CustomDatas>",
                            entry(&prefix)
                        )
                    }
                    _ => continue,
                };
                return Ok(Some(format!(
                    "{}{insert}{}",
                    &xml[..before],
                    &xml[before..]
                )));
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

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

const CUSTOM_PROPERTIES: &str = "docProps/custom.xml";
const PACKAGE_RELATIONSHIPS: &str = "_rels/.rels";
const CUSTOM_PROPERTIES_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.custom-properties+xml";
const CUSTOM_PROPERTIES_RELATIONSHIP: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties";
/// The format id every user-defined property carries (ECMA-376 part 1, 22.3).
const USER_DEFINED_FMTID: &str = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}";

/// The trace as a custom property (File ▸ Properties ▸ Custom in Office
/// and WPS). A package with custom properties gets one more; one without
/// gets the part, its content type and its package relationship.
fn custom_property(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    let mut pkg = Package::open(bytes, &Limits::unlimited())?;
    let read = |pkg: &mut Package, name: &str| {
        pkg.read_xml(name)?
            .ok_or_else(|| ExtractError::malformed(format!("the package has no {name}")))
    };
    let mut replaced = HashMap::new();
    let custom = match pkg.read_xml(CUSTOM_PROPERTIES)? {
        Some(xml) => xml,
        None => {
            let types = read(&mut pkg, CONTENT_TYPES)?;
            let rels = read(&mut pkg, PACKAGE_RELATIONSHIPS)?;
            let types = insert_before(
                &types,
                "</Types>",
                &format!(
                    r#"<Override PartName="/{CUSTOM_PROPERTIES}" ContentType="{CUSTOM_PROPERTIES_TYPE}"/>"#
                ),
            )?;
            let rels = insert_before(
                &rels,
                "</Relationships>",
                &format!(
                    r#"<Relationship Id="{}" Type="{CUSTOM_PROPERTIES_RELATIONSHIP}" Target="{CUSTOM_PROPERTIES}"/>"#,
                    free_relationship_id(&rels)
                ),
            )?;
            replaced.insert(CONTENT_TYPES.to_string(), types.into_bytes());
            replaced.insert(PACKAGE_RELATIONSHIPS.to_string(), rels.into_bytes());
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" "#,
                r#"xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>"#
            )
            .to_string()
        }
    };
    // Property ids start at 2 and are unique within the part.
    let pid = custom
        .split("pid=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse::<u32>().ok())
        .max()
        .map_or(2, |max| max + 1);
    let property = format!(
        r#"<property fmtid="{USER_DEFINED_FMTID}" pid="{pid}" name="{TRACE_PROPERTY}"><vt:lpwstr>{}</vt:lpwstr></property>"#,
        escape(trace)
    );
    let custom = insert_before(&custom, "</Properties>", &property)?;
    replaced.insert(CUSTOM_PROPERTIES.to_string(), custom.into_bytes());
    drop(pkg);
    *bytes = copy_zip(bytes, &HashSet::new(), &replaced)?;
    Ok(true)
}

/// The trace as an OpenDocument user-defined property (File ▸
/// Properties ▸ Custom Properties in LibreOffice), in `meta.xml` — which
/// every rendition strips, so it is written anew and listed in the
/// manifest.
fn user_defined_meta(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    const META: &str = "meta.xml";
    const MANIFEST: &str = "META-INF/manifest.xml";
    let mut pkg = Package::open(bytes, &Limits::unlimited())?;
    let property = format!(
        r#"<meta:user-defined meta:name="{TRACE_PROPERTY}">{}</meta:user-defined>"#,
        escape(trace)
    );
    let mut replaced = HashMap::new();
    let meta = match pkg.read_xml(META)? {
        Some(xml) => insert_before(&xml, "</office:meta>", &property)?,
        None => format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
                r#"xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.2">"#,
                r#"<office:meta>{}</office:meta></office:document-meta>"#
            ),
            property
        ),
    };
    if let Some(manifest) = pkg.read_xml(MANIFEST)? {
        if !manifest.contains(r#"full-path="meta.xml""#) {
            let prefix = crate::extract::xml::Ns::detect(
                &manifest,
                &["urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"],
                "manifest",
            );
            let (entry, path, media) = (
                prefix.tag("file-entry"),
                prefix.tag("full-path"),
                prefix.tag("media-type"),
            );
            let manifest = insert_before(
                &manifest,
                &format!("</{}>", prefix.tag("manifest")),
                &format!(r#"<{entry} {path}="{META}" {media}="text/xml"/>"#),
            )?;
            replaced.insert(MANIFEST.to_string(), manifest.into_bytes());
        }
    }
    replaced.insert(META.to_string(), meta.into_bytes());
    drop(pkg);
    *bytes = copy_zip(bytes, &HashSet::new(), &replaced)?;
    Ok(true)
}

/// `xml` with `insert` just before its last `closing` tag.
fn insert_before(xml: &str, closing: &str, insert: &str) -> Result<String, ExtractError> {
    let at = xml.rfind(closing).ok_or_else(|| {
        ExtractError::malformed(format!(
            "a package part has no {closing} to add the trace before"
        ))
    })?;
    Ok(format!("{}{insert}{}", &xml[..at], &xml[at..]))
}

/// A relationship id the package relationships do not use yet.
fn free_relationship_id(rels: &str) -> String {
    (1..)
        .map(|n| format!("rIdTrace{n}"))
        .find(|id| !rels.contains(&format!("\"{id}\"")))
        .unwrap_or_default()
}

/// The trace as an entry of the information dictionary, appended as an
/// incremental update (ISO 32000-1, 7.5.6). An encrypted PDF is left as
/// it is: its dictionary cannot be updated without the password.
fn information_entry(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    let unreadable = |e: lopdf::Error| ExtractError::malformed(format!("PDF: {e}"));
    let updated = catch_unwind(AssertUnwindSafe(
        || -> Result<Option<Vec<u8>>, ExtractError> {
            let previous = Document::load_mem(bytes).map_err(unreadable)?;
            if previous.is_encrypted() {
                return Ok(None);
            }
            let info = previous.trailer.get(b"Info").ok().cloned();
            let mut doc = IncrementalDocument::create_from(bytes.clone(), previous);
            let entry = |dict: &mut Dictionary| dict.set(TRACE_PROPERTY, text_string(trace));
            match info {
                Some(Object::Reference(id)) => {
                    doc.opt_clone_object_to_new_document(id)
                        .map_err(unreadable)?;
                    let object = doc.new_document.get_object_mut(id).map_err(unreadable)?;
                    entry(object.as_dict_mut().map_err(unreadable)?);
                }
                Some(Object::Dictionary(mut dict)) => {
                    entry(&mut dict);
                    doc.new_document.trailer.set("Info", dict);
                }
                _ => {
                    let mut dict = Dictionary::new();
                    entry(&mut dict);
                    let id = doc.new_document.add_object(dict);
                    doc.new_document.trailer.set("Info", id);
                }
            }
            let mut out = Vec::with_capacity(bytes.len() + 1024);
            doc.save_to(&mut out)
                .map_err(|e| ExtractError::malformed(format!("PDF: {e}")))?;
            Ok(Some(out))
        },
    ))
    .unwrap_or_else(|_| {
        Err(ExtractError::malformed(
            "the PDF writer failed on this file",
        ))
    })?;
    match updated {
        Some(out) => {
            *bytes = out;
            Ok(true)
        }
        None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{extract, Limits};

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
