//! Turning submitted files into text segments with locations.
//!
//! Pure functions over a byte slice or a [`Source`] read in pieces: no
//! network, no database. Every input either yields segments or an
//! [`ExtractError`]; nothing panics.

mod csv;
pub(crate) mod docx;
pub(crate) mod encoding;
mod json;
mod legacy;
mod limits;
mod locate;
mod members;
mod odf;
mod ofd;
mod ooxml;
pub(crate) mod package;
mod pdf;
mod sniff;
pub(crate) mod source;
mod text;
pub(crate) mod xlsx;
pub(crate) mod xml;

use std::io::Seek;

use serde::{Deserialize, Serialize};

pub use limits::Limits;
pub use locate::locate_in;
pub use source::{read_whole, FileSource, InMemory, ReadSeek, Source};

pub(crate) use docx::DocxAnchors;
pub(crate) use encoding::{Decoded, SourceCursor};
pub(crate) use members::is_stripped;
pub(crate) use xlsx::XlsxAnchors;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Text,
    Csv,
    Xlsx,
    Docx,
    Json,
    Ofd,
    Pdf,
    /// Excel 97–2003 or WPS spreadsheet (`.xls`, `.et`).
    Xls,
    /// Word 97–2003 or WPS document (`.doc`, `.wps`).
    Doc,
    /// OpenDocument text (`.odt`, `.ott`).
    Odt,
    /// OpenDocument spreadsheet (`.ods`, `.ots`).
    Ods,
}

impl FileKind {
    const ALL: [Self; 11] = [
        Self::Text,
        Self::Csv,
        Self::Xlsx,
        Self::Docx,
        Self::Json,
        Self::Ofd,
        Self::Pdf,
        Self::Xls,
        Self::Doc,
        Self::Odt,
        Self::Ods,
    ];

    /// The kind stored as [`FileKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Kinds the service reads but cannot redact exactly: a finding
    /// dispositioned `redact` in such a file needs a redacted version.
    pub const READ_ONLY: [Self; 4] = [Self::Ofd, Self::Pdf, Self::Xls, Self::Doc];

    /// Zip packages, whose renditions are always rewritten: their
    /// document properties are stripped even when nothing is redacted.
    pub fn is_package(self) -> bool {
        matches!(self, Self::Xlsx | Self::Docx | Self::Odt | Self::Ods)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Docx => "docx",
            Self::Json => "json",
            Self::Ofd => "ofd",
            Self::Pdf => "pdf",
            Self::Xls => "xls",
            Self::Doc => "doc",
            Self::Odt => "odt",
            Self::Ods => "ods",
        }
    }
}

/// The part of a document a piece of text belongs to: a DOCX story, or,
/// in any package, its document properties or an embedded object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Body,
    Header,
    Footer,
    Comment,
    Footnote,
    Endnote,
    /// Document properties and custom XML (`docProps/*`, `customXml/*`).
    Properties,
    /// An image, an embedded object, a chart: nothing the service reads.
    Embedded,
    /// An OFD template page, drawn under the pages that use it.
    Template,
    /// What a workbook says about its sheets: their names, defined names,
    /// data-validation lists. Read, never rewritten (a renamed sheet breaks
    /// every formula that names it): a redaction needs a new version.
    Workbook,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Body => "body",
            Self::Header => "header",
            Self::Footer => "footer",
            Self::Comment => "comment",
            Self::Footnote => "footnote",
            Self::Endnote => "endnote",
            Self::Properties => "properties",
            Self::Embedded => "embedded",
            Self::Template => "template",
            Self::Workbook => "workbook",
        }
    }
}

impl Location {
    /// A workbook's sheet name, defined name or validation list, which a
    /// rendition never rewrites.
    pub fn is_workbook(&self) -> bool {
        matches!(
            self,
            Self::Package {
                part: Part::Workbook,
                ..
            }
        )
    }
}

impl std::fmt::Display for Location {
    /// In reviewer terms: `line 3, col 5`, `Sheet1!B2`, `header ¶2`, `body T1R2C3`, `$.a.b`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text { line, column } => write!(f, "line {line}, col {column}"),
            Self::Cell {
                sheet: Some(sheet),
                cell,
            } => write!(f, "{sheet}!{cell}"),
            Self::Cell { sheet: None, cell } => f.write_str(cell),
            Self::Docx {
                part,
                paragraph: Some(p),
                ..
            } => write!(f, "{} ¶{p}", part.as_str()),
            Self::Docx {
                part,
                table_cell: Some(c),
                ..
            } => write!(f, "{} {c}", part.as_str()),
            Self::Docx { part, .. } => f.write_str(part.as_str()),
            Self::Package { part, name } => write!(f, "{} {name}", part.as_str()),
            Self::Json { json_path } => f.write_str(json_path),
            Self::Page {
                page,
                line: Some(line),
            } => write!(f, "page {page}, line {line}"),
            Self::Page { page, line: None } => write!(f, "page {page}"),
        }
    }
}

/// Where a piece of text sits, in reviewer terms. Serialises to the API.md
/// `location` shapes without `file`, which the caller adds:
/// `{"line":3,"column":5}`, `{"sheet":"Sheet1","cell":"B2"}` (CSV: `{"cell":"B2"}`),
/// `{"part":"header","paragraph":2}`, `{"part":"body","table_cell":"T1R2C3"}`,
/// `{"json_path":"$.items[0].phone"}`, `{"page":2}` (OFD), `{"part":"properties","name":"dc:title"}`,
/// `{"part":"embedded","name":"word/media/image1.png"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Location {
    /// 1-based line; 1-based column counted in characters (not bytes).
    Text {
        line: usize,
        column: usize,
    },
    /// `sheet` is `None` for CSV/TSV, which have no sheets.
    Cell {
        #[serde(skip_serializing_if = "Option::is_none")]
        sheet: Option<String>,
        cell: String,
    },
    /// A named thing of a package: a document property (`dc:creator`,
    /// a custom property's name, `customXml/item1.xml`) or an embedded
    /// member. Listed before `Docx`, which would otherwise swallow it.
    Package {
        part: Part,
        name: String,
    },
    Docx {
        part: Part,
        #[serde(skip_serializing_if = "Option::is_none")]
        paragraph: Option<usize>,
        #[serde(skip_serializing_if = "Option::is_none")]
        table_cell: Option<String>,
    },
    Json {
        json_path: String,
    },
    /// A page of an OFD or PDF file (1-based); PDF adds the line on it.
    Page {
        page: usize,
        #[serde(skip_serializing_if = "Option::is_none")]
        line: Option<usize>,
    },
}

/// The table column a cell segment belongs to, for column-aware rules
/// (a `身份证号` column makes an 18-digit value an ID number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnRef {
    /// Sheet name, or `""` for CSV.
    pub table: String,
    /// 0-based column index.
    pub index: usize,
    /// Spreadsheet column letter, e.g. `"C"`.
    pub letter: String,
    /// Text of the column's cell in row 1 (`""` when empty).
    pub header: String,
    /// 1-based row of this cell.
    pub row: usize,
}

/// One unit of text: paragraphs of a text file, one CSV/XLSX cell, one DOCX
/// paragraph or table cell, one JSON string (or ID-like number) value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub text: String,
    /// Location of the segment's first character.
    pub location: Location,
    pub column: Option<ColumnRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extracted {
    pub kind: FileKind,
    /// `"UTF-8"`, `"UTF-16LE"`, `"UTF-16BE"`, `"GBK"`, `"GB18030"`; `None` for XLSX/DOCX.
    pub encoding: Option<String>,
    pub segments: Vec<Segment>,
    /// What the file holds that has no text to read (images, embedded
    /// objects): a person must look at each.
    #[serde(default)]
    pub unreadable: Vec<Unreadable>,
}

/// A part of a file the service cannot read, and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreadable {
    pub location: Location,
    /// `"image (PNG)"`, `"embedded object"`, `"chart"` …
    pub what: String,
}

impl Extracted {
    /// Location of byte offset `byte` inside segment `segment`. For text
    /// segments the line and column are recomputed, so a finding deep in a
    /// long text file points at its own line; other segments are atomic
    /// (a cell, a paragraph, a JSON value) and return their own location.
    ///
    /// Panics when `segment` is out of range, like slice indexing.
    pub fn locate(&self, segment: usize, byte: usize) -> Location {
        self.locate_many(segment, &[byte]).remove(0)
    }

    /// [`Extracted::locate`] for many offsets in one pass over the segment
    /// (offsets in any order), so locating thousands of findings in a 50 MB
    /// text file stays linear.
    pub fn locate_many(&self, segment: usize, bytes: &[usize]) -> Vec<Location> {
        locate_in(&self.segments[segment], bytes)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("unsupported file type: {detected}")]
    Unsupported { detected: String },
    #[error("{what} exceeds limit {limit}")]
    TooLarge { what: String, limit: u64 },
    #[error("{detail}")]
    Undecodable { detail: String },
    #[error("malformed file: {detail}")]
    Malformed { detail: String },
    /// The scratch file a large part is spilled to could not be used: the
    /// machine's fault (a full disk), not the file's.
    #[error("cannot use scratch space: {0}")]
    Scratch(String),
}

/// Why a file read in pieces could not be visited: the file itself, or
/// reading it (which a retry may cure).
#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    #[error(transparent)]
    File(#[from] ExtractError),
    #[error("cannot read the file: {0}")]
    Read(#[from] std::io::Error),
}

impl ExtractError {
    pub(crate) fn malformed(detail: impl Into<String>) -> Self {
        Self::Malformed {
            detail: detail.into(),
        }
    }

    pub(crate) fn too_large(what: impl Into<String>, limit: impl TryInto<u64>) -> Self {
        Self::TooLarge {
            what: what.into(),
            limit: limit.try_into().unwrap_or(u64::MAX),
        }
    }
}

/// How a segment's text sits in the decoded source of a text-based file, so
/// that a redaction can be written back into exactly that spot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reserialise {
    /// The segment text is the source text itself: edit in place.
    Verbatim,
    /// A CSV field: re-quote the redacted value.
    Csv { delimiter: u8, quoted: bool },
    /// A JSON string literal: re-escape the redacted value.
    JsonString,
    /// A JSON number literal: a redacted number becomes a JSON string.
    JsonNumber,
}

/// Byte range of a segment's source in [`Decoded::text`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceSpan {
    pub start: usize,
    pub end: usize,
    pub how: Reserialise,
}

/// Everything `redact` needs beyond the segments to write a redaction back
/// into the original file. Kept out of the public types so `Extracted`
/// stays a plain value the service can store and serialise.
pub(crate) enum Anchors {
    Text {
        decoded: Decoded<'static>,
        spans: Vec<SourceSpan>,
    },
    Xlsx(XlsxAnchors),
    /// DOCX, ODT and ODS: text pieces in the parts' XML.
    Docx(DocxAnchors),
    /// A format the service reads but does not rewrite (OFD, PDF): a value
    /// dispositioned `redact` there needs a new version from the submitter.
    ReadOnly,
}

pub(crate) struct Parsed {
    pub extracted: Extracted,
    pub anchors: Anchors,
}

/// The kind of a file from its name and first bytes, without reading it
/// through: what an upload is checked against before it is accepted. The
/// first bytes are enough unless they open a package (zip, OLE) whose
/// directory tells the kind, which is then read whole (its size limit
/// bounds it).
pub fn kind_of_source(file_name: &str, source: &dyn Source) -> Result<FileKind, VisitError> {
    let head = source::first_bytes(source, sniff::HEAD_BYTES)?;
    if sniff::is_zip(&head) {
        return Ok(sniff::sniff_zip(source.open_seekable()?)?);
    }
    if sniff::is_package(&head) {
        return Ok(sniff::sniff(file_name, &source::read_whole(source)?)?);
    }
    Ok(sniff::sniff(file_name, &head)?)
}

/// Extracts the text segments of a submitted file.
pub fn extract(file_name: &str, bytes: &[u8], limits: &Limits) -> Result<Extracted, ExtractError> {
    parse(file_name, bytes, limits).map(|p| p.extracted)
}

/// What a file turned out to be, once its segments were visited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outline {
    pub kind: FileKind,
    pub encoding: Option<String>,
    pub unreadable: Vec<Unreadable>,
}

/// Hands the segments of a file to `visit` one at a time, in order and with
/// the indexes [`extract`] gives them, keeping none. A CSV file or a plain
/// text is read in pieces and visited row by row or paragraphs at a time:
/// a large file costs a piece of its text, not the file. A workbook's
/// sheets are read as streams of XML from the package, never inflated
/// whole. The other kinds are read and extracted whole first (their
/// limits bound them).
pub fn for_each_segment(
    file_name: &str,
    source: &dyn Source,
    limits: &Limits,
    mut visit: impl FnMut(usize, Segment),
) -> Result<Outline, VisitError> {
    check_size(source.len(), limits)?;
    let head = source::first_bytes(source, sniff::HEAD_BYTES)?;
    if let Some(kind) = sniff::read_in_pieces(file_name, &head) {
        let (encoding, bom_len) = encoding::detect(source)?;
        let mut pieces = encoding::DecodedPieces::open(source, encoding, bom_len)?;
        if kind == FileKind::Csv {
            visit_csv_pieces(
                file_name,
                &mut pieces,
                limits,
                |index, cell, _| visit(index, cell),
                |_| Ok(()),
            )?;
        } else {
            let mut index = 0;
            text::visit_pieces(&mut pieces, limits, |segment| {
                visit(index, segment);
                index += 1;
            })?;
        }
        return Ok(Outline {
            kind,
            encoding: Some(encoding.name().to_owned()),
            unreadable: Vec::new(),
        });
    }
    if sniff::is_zip(&head) {
        // Opened once: a stored file is checked against its digest on opening.
        let mut file = source.open_seekable()?;
        if sniff::sniff_zip(&mut file)? == FileKind::Xlsx {
            file.seek(std::io::SeekFrom::Start(0))?;
            let package = package::Package::read_from(file, limits)?;
            let mut index = 0;
            let unreadable = xlsx::visit(package, limits, &mut |segment| {
                visit(index, segment);
                index += 1;
            })?;
            return Ok(Outline {
                kind: FileKind::Xlsx,
                encoding: None,
                unreadable,
            });
        }
    }
    let bytes = source::read_whole(source)?;
    let extracted = parse(file_name, &bytes, limits)?.extracted;
    drop(bytes);
    for (index, segment) in extracted.segments.into_iter().enumerate() {
        visit(index, segment);
    }
    Ok(Outline {
        kind: extracted.kind,
        encoding: extracted.encoding,
        unreadable: extracted.unreadable,
    })
}

/// The cells of a CSV file decoded in pieces, one at a time, with
/// [`extract`]'s indexes and each cell's place in the decoded text; the
/// text itself goes to `passed` in order once its rows are visited: what
/// the rendition of a large table is written from.
pub(crate) fn visit_csv_pieces(
    file_name: &str,
    pieces: &mut encoding::DecodedPieces<'_>,
    limits: &Limits,
    mut visit: impl FnMut(usize, Segment, SourceSpan),
    passed: impl FnMut(&str) -> Result<(), VisitError>,
) -> Result<(), VisitError> {
    let mut index = 0;
    csv::visit_pieces(
        file_name,
        pieces,
        limits,
        |cell, span| {
            visit(index, cell, span);
            index += 1;
        },
        passed,
    )
}

fn check_size(len: u64, limits: &Limits) -> Result<(), ExtractError> {
    match limits.max_file_bytes {
        Some(max) if len > max => Err(ExtractError::too_large(
            format!("file size {len} bytes"),
            max,
        )),
        _ => Ok(()),
    }
}

pub(crate) fn parse(
    file_name: &str,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Parsed, ExtractError> {
    check_size(bytes.len() as u64, limits)?;
    match sniff::sniff(file_name, bytes)? {
        FileKind::Text => text::parse(bytes, limits),
        FileKind::Csv => csv::parse(file_name, bytes, limits),
        FileKind::Json => json::parse(bytes, limits),
        FileKind::Xlsx => xlsx::parse(bytes, limits),
        FileKind::Docx => docx::parse(bytes, limits),
        FileKind::Ofd => ofd::parse(bytes, limits),
        FileKind::Pdf => pdf::parse(bytes, limits),
        kind @ (FileKind::Xls | FileKind::Doc) => legacy::parse(kind, bytes, limits),
        kind @ (FileKind::Odt | FileKind::Ods) => odf::parse(kind, bytes, limits),
    }
}

/// Spreadsheet column letters for a 0-based index: 0 → "A", 26 → "AA".
pub(crate) fn column_letter(mut index: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The workbook segments of a file (see [`Part::Workbook`]), each kind
/// numbered in turn (`sheet 2`, `validation 1`), never named after its
/// text: a location is shown unmasked.
#[derive(Default)]
pub(crate) struct WorkbookNames {
    pub segments: Vec<Segment>,
    counts: std::collections::HashMap<&'static str, usize>,
}

impl WorkbookNames {
    /// Adds `text` as the next `what`, unless it is blank.
    pub fn push(&mut self, what: &'static str, text: String) {
        if text.trim().is_empty() {
            return;
        }
        let count = self.counts.entry(what).or_default();
        *count += 1;
        self.segments.push(Segment {
            text,
            location: Location::Package {
                part: Part::Workbook,
                name: format!("{what} {count}"),
            },
            column: None,
        });
    }
}

/// Builds the cell segment shared by CSV and XLSX.
pub(crate) fn cell_segment(
    sheet: Option<&str>,
    col: usize,
    row: usize,
    header: &str,
    text: String,
) -> Segment {
    let letter = column_letter(col);
    Segment {
        text,
        location: Location::Cell {
            sheet: sheet.map(str::to_owned),
            cell: format!("{letter}{row}"),
        },
        column: Some(ColumnRef {
            table: sheet.unwrap_or_default().to_owned(),
            index: col,
            letter,
            header: header.to_owned(),
            row,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn locations_serialise_to_api_shapes() {
        let cases = [
            (
                Location::Text { line: 3, column: 5 },
                r#"{"line":3,"column":5}"#,
            ),
            (
                Location::Cell {
                    sheet: Some("Sheet1".into()),
                    cell: "B2".into(),
                },
                r#"{"sheet":"Sheet1","cell":"B2"}"#,
            ),
            (
                Location::Cell {
                    sheet: None,
                    cell: "B2".into(),
                },
                r#"{"cell":"B2"}"#,
            ),
            (
                Location::Docx {
                    part: Part::Header,
                    paragraph: Some(2),
                    table_cell: None,
                },
                r#"{"part":"header","paragraph":2}"#,
            ),
            (
                Location::Docx {
                    part: Part::Body,
                    paragraph: None,
                    table_cell: Some("T1R2C3".into()),
                },
                r#"{"part":"body","table_cell":"T1R2C3"}"#,
            ),
            (
                Location::Json {
                    json_path: "$.items[0].phone".into(),
                },
                r#"{"json_path":"$.items[0].phone"}"#,
            ),
        ];
        for (loc, json) in cases {
            assert_eq!(serde_json::to_string(&loc).unwrap(), json);
            assert_eq!(serde_json::from_str::<Location>(json).unwrap(), loc);
        }
    }

    #[test]
    fn locate_recomputes_line_and_column() {
        let text = "first\nsecond 第二\nthird 13812345678".to_string();
        let ex = Extracted {
            kind: FileKind::Text,
            encoding: Some("UTF-8".into()),
            segments: vec![Segment {
                text: text.clone(),
                location: Location::Text { line: 1, column: 1 },
                column: None,
            }],
            unreadable: Vec::new(),
        };
        let at = text.find("138").unwrap();
        assert_eq!(ex.locate(0, at), Location::Text { line: 3, column: 7 });
        assert_eq!(ex.locate(0, 0), Location::Text { line: 1, column: 1 });
        let many = ex.locate_many(0, &[at, text.find("第二").unwrap(), 2]);
        assert_eq!(
            many,
            vec![
                Location::Text { line: 3, column: 7 },
                Location::Text { line: 2, column: 8 },
                Location::Text { line: 1, column: 3 },
            ]
        );
    }
}
