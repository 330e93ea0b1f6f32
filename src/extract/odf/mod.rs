//! OpenDocument text (ODT) and spreadsheets (ODS), and their templates:
//! what LibreOffice, WPS and many government offices save.
//!
//! An OpenDocument package is a zip whose first member, `mimetype`, names
//! what it is. The text lives in `content.xml` (the body, notes, comments,
//! text boxes, table cells) and `styles.xml` (page headers and footers);
//! the document properties in `meta.xml`. Both flows are read by
//! [`content::Flow`]: ODT paragraphs are located `{part, paragraph}` and
//! table cells `{part, table_cell}` as in DOCX; ODS cells `{sheet, cell}` as
//! in XLSX, with the column header from row 1. Sheet names, named ranges
//! and validation lists are workbook segments, which no rendition rewrites.
//!
//! Redaction edits the character data in place (ODF writes text without a
//! wrapping element), and a redacted spreadsheet cell becomes a string
//! cell. `meta.xml` and the thumbnail are stripped from every rendition.

mod content;

use std::collections::HashSet;
use std::io::{Read, Seek};

use zip::ZipArchive;

use super::docx::{PartXml, Stories};
use super::package::Package;
use super::xml::Ns;
use super::{members, ooxml};
use super::{Anchors, DocxAnchors, ExtractError, Extracted, FileKind, Limits, Parsed, Part};

const OFFICE_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:office:1.0";
const TEXT_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const TABLE_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:table:1.0";
const STYLE_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:style:1.0";
const DRAW_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const SVG_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0";
const DC_NS: &str = "http://purl.org/dc/elements/1.1/";
const NUMBER_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0";

/// The `mimetype` member of a package, when it has a short one: every
/// OpenDocument package starts with it.
pub(crate) fn mimetype<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Option<String> {
    let member = archive.by_name("mimetype").ok()?;
    let mut text = String::new();
    member.take(200).read_to_string(&mut text).ok()?;
    Some(text.trim().to_owned())
}

/// Whether the package's manifest says its parts are encrypted (a
/// password-protected document): nothing in it can be read.
pub(crate) fn is_encrypted<R: Read + Seek>(archive: &mut ZipArchive<R>) -> bool {
    let Ok(member) = archive.by_name("META-INF/manifest.xml") else {
        return false;
    };
    let mut manifest = Vec::new();
    // An entry per member; a megabyte holds thousands.
    if member.take(1 << 20).read_to_end(&mut manifest).is_err() {
        return false;
    }
    manifest
        .windows(b"encryption-data".len())
        .any(|w| w == b"encryption-data")
}

/// The kind an OpenDocument `mimetype` names; the other OpenDocument
/// kinds are refused by name.
pub(crate) fn kind_of(mimetype: &str) -> Result<FileKind, ExtractError> {
    let kind = mimetype.strip_prefix("application/vnd.oasis.opendocument.");
    match kind.map(|k| k.strip_suffix("-template").unwrap_or(k)) {
        Some("text") => Ok(FileKind::Odt),
        Some("spreadsheet") => Ok(FileKind::Ods),
        Some(other) => Err(ExtractError::Unsupported {
            detected: format!("OpenDocument {other} (only text and spreadsheets are read)"),
        }),
        None => Err(ExtractError::Unsupported {
            detected: format!("zip package of type {mimetype:?}"),
        }),
    }
}

/// The namespaces' prefixes as a part declares them.
pub(super) struct Names {
    office: Ns,
    text: Ns,
    table: Ns,
    style: Ns,
    draw: Ns,
    svg: Ns,
    dc: Ns,
    number: Ns,
}

impl Names {
    fn detect(xml: &str) -> Self {
        Self {
            office: Ns::detect(xml, &[OFFICE_NS], "office"),
            text: Ns::detect(xml, &[TEXT_NS], "text"),
            table: Ns::detect(xml, &[TABLE_NS], "table"),
            style: Ns::detect(xml, &[STYLE_NS], "style"),
            draw: Ns::detect(xml, &[DRAW_NS], "draw"),
            svg: Ns::detect(xml, &[SVG_NS], "svg"),
            dc: Ns::detect(xml, &[DC_NS], "dc"),
            number: Ns::detect(xml, &[NUMBER_NS], "number"),
        }
    }
}

pub(crate) fn parse(kind: FileKind, bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let mut pkg = Package::open(bytes, limits)?;
    let names = pkg.names();
    let mut flow = content::Flow::new(kind, limits);
    let mut parts = Vec::new();
    // Content first: paragraph numbers of the body do not depend on
    // whether the headers were read.
    for member in ["content.xml", "styles.xml"] {
        let Some(xml) = pkg.read_xml(member)? else {
            if member == "content.xml" {
                return Err(ExtractError::malformed("content.xml is missing"));
            }
            continue;
        };
        let part = PartXml {
            member: member.to_owned(),
            ns: Ns::detect(&xml, &[TEXT_NS], "text"),
            xml,
        };
        flow.read(&part, parts.len())?;
        parts.push(part);
    }
    let read: HashSet<&str> = parts.iter().map(|p| p.member.as_str()).collect();
    let mut unreadable = members::unreadable(&names, &read);
    let (stories, workbook, unplaced): (Stories, _, _) = flow.finish();
    unreadable.extend(unplaced);
    // Anchored segments first; workbook names and properties follow.
    let mut segments = stories.segments;
    segments.extend(workbook);
    if let Some(xml) = pkg.read_xml("meta.xml")? {
        segments.extend(meta_properties(&xml)?);
    }
    Ok(Parsed {
        extracted: Extracted {
            kind,
            encoding: None,
            segments,
            unreadable,
        },
        anchors: Anchors::Docx(DocxAnchors {
            parts,
            segments: stories.pieces,
        }),
    })
}

/// `meta.xml`'s properties (`dc:title`, `meta:initial-creator`, user-defined
/// ones by their name), like an OOXML package's: its `office:meta` element
/// is the root whose children are the properties.
fn meta_properties(xml: &str) -> Result<Vec<super::Segment>, ExtractError> {
    let tag = Ns::detect(xml, &[OFFICE_NS], "office").tag("meta");
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let (Some(start), Some(end)) = (xml.find(&open), xml.rfind(&close)) else {
        return Ok(Vec::new());
    };
    let element = xml.get(start..end + close.len()).unwrap_or_default();
    let mut segments = ooxml::read_properties(element, "meta.xml", None)?;
    segments.retain(|s| !is_machine_property(&s.location));
    Ok(segments)
}

/// Statistics, dates and the writing application: nothing a person wrote.
fn is_machine_property(location: &super::Location) -> bool {
    let super::Location::Package {
        part: Part::Properties,
        name,
    } = location
    else {
        return false;
    };
    let local = name.rsplit(':').next().unwrap_or(name);
    [
        "generator",
        "creation-date",
        "date",
        "print-date",
        "editing-cycles",
        "editing-duration",
        "document-statistic",
        "template",
        "auto-reload",
        "hyperlink-behaviour",
    ]
    .contains(&local)
}
