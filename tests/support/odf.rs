//! OpenDocument packages written from parts, as LibreOffice lays them out.
//! Shared by the domain and API tests and the throughput example through
//! `#[path]`.
#![allow(dead_code)] // each binary uses part of it

use std::io::Write;

/// The namespaces every part declares on its root.
pub const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" xmlns:loext="urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0""#;

/// `styles.xml` with `header` and `footer` (paragraph XML) on the page.
pub fn styles(header: &str, footer: &str) -> String {
    format!(
        r#"<office:document-styles {NS}><office:styles><style:style style:name="Header"/></office:styles><office:master-styles><style:master-page style:name="Standard"><style:header>{header}</style:header><style:footer>{footer}</style:footer></style:master-page></office:master-styles></office:document-styles>"#
    )
}

/// An OpenDocument package of `kind` (`text` or `spreadsheet`): the
/// stored `mimetype` first, as the format requires, `body` inside
/// `content.xml`, `styles`, then `extra` members.
pub fn package(kind: &str, body: &str, styles: &str, extra: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.3"><office:body><office:{kind}>{body}</office:{kind}></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    write!(zip, "application/vnd.oasis.opendocument.{kind}").unwrap();
    let deflated = zip::write::SimpleFileOptions::default();
    let parts = [
        ("content.xml", content.as_bytes()),
        ("styles.xml", styles.as_bytes()),
    ];
    let extra = extra.iter().map(|(name, data)| (*name, data.as_slice()));
    for (name, data) in parts.into_iter().chain(extra) {
        zip.start_file(name, deflated).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}
