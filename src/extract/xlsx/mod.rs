//! XLSX: one segment per non-empty cell of every sheet (hidden ones too),
//! located as `{"sheet":"Sheet1","cell":"B2"}` with the column header from
//! row 1; one per cell comment (at its cell, without a column); one per page
//! header/footer (`"cell":"header"` / `"footer"`); then the document
//! properties (see [`super::ooxml`]).
//!
//! Read straight from the package XML rather than through calamine: the
//! sheet XML keeps a number's exact digits (`<v>420106198501011234</v>`,
//! where an f64 would lose them), and redaction patches that same XML, so
//! reading and writing agree on which cell is which.

use std::collections::HashSet;

use quick_xml::events::Event;
use quick_xml::Reader;

pub(crate) mod dates;
mod parts;
mod shared;
mod sheet;

use dates::*;
use parts::*;
use shared::SharedStrings;
use sheet::*;

use super::package::{resolve, Member, Package};
use super::xml::{attr, push_text, raw_attr, xml_error, Ns};
use super::{
    cell_segment, Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Segment,
    Unreadable, WorkbookNames,
};
use super::{members, ooxml};

const MAIN_NS: &[&str] = &[
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
];
const REL_NS: &[&str] = &["http://schemas.openxmlformats.org/package/2006/relationships"];
const THREADED_NS: &str = "http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments";
/// Page header/footer elements and the `cell` their segments report.
const HEADER_FOOTER: [(&str, &str); 6] = [
    ("oddHeader", "header"),
    ("evenHeader", "header"),
    ("firstHeader", "header"),
    ("oddFooter", "footer"),
    ("evenFooter", "footer"),
    ("firstFooter", "footer"),
];

/// A sheet's XML as read, for patching.
pub(crate) struct SheetXml {
    pub member: String,
    pub xml: String,
    pub ns: Ns,
}

/// The shared-string table: each `<si>`'s span and how many cells use it,
/// so a redaction can tell whether an unredacted cell still needs it.
pub(crate) struct SharedXml {
    pub part: SheetXml,
    pub items: Vec<(usize, usize)>,
    pub uses: Vec<usize>,
}

/// The formula of a cell, which decides how a redacted cell is rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Formula {
    None,
    /// The cell's own formula: dropped with the redaction.
    Own,
    /// The master of a shared formula (`<f t="shared" ref=…>`), as its XML:
    /// other cells' formulas point at it, so it must stay.
    SharedMaster(String),
}

/// Where a segment's element (`<c>…</c>` or `<oddHeader>…</oddHeader>`) sits.
pub(crate) struct CellAnchor {
    pub sheet: usize,
    pub start: usize,
    pub end: usize,
    pub what: Anchored,
}

pub(crate) enum Anchored {
    Cell {
        /// 0-based column, 1-based row.
        col: usize,
        row: usize,
        /// The `s` (style) attribute, kept on the rewritten cell.
        style: Option<u32>,
        shared: Option<usize>,
        formula: Formula,
    },
    /// A page header or footer; `element` is its qualified name.
    HeaderFooter { element: String },
    /// A comment's `<text>` element; `run` is the name of the `<t>` inside
    /// it for legacy comments, `None` for threaded ones (plain text).
    Comment {
        element: String,
        run: Option<String>,
    },
}

pub(crate) struct XlsxAnchors {
    /// Sheet parts and the comment parts belonging to them.
    pub sheets: Vec<SheetXml>,
    pub shared: Option<SharedXml>,
    /// One per segment.
    pub cells: Vec<CellAnchor>,
    /// The calcChain.xml member, dropped when a formula is redacted away.
    pub calc_chain: Option<String>,
}

struct Rel {
    id: String,
    kind: String,
    target: String,
}

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let mut pkg = Package::open(bytes, limits)?;
    let mut segments = Vec::new();
    let book = walk(&mut pkg, limits, Keep::Anchors, &mut |s| segments.push(s))?;
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Xlsx,
            encoding: None,
            segments,
            unreadable: book.unreadable,
        },
        anchors: Anchors::Xlsx(XlsxAnchors {
            sheets: book.sheets,
            shared: book.shared,
            cells: book.cells,
            calc_chain: book.calc_chain,
        }),
    })
}

/// Hands the segments of a workbook to `visit` in [`parse`]'s order,
/// reading each sheet as a stream of XML events: a large sheet costs its
/// shared strings and a buffer, not its XML and all its cells at once.
/// What the package holds unread is returned.
pub(crate) fn visit(
    mut pkg: Package<'_>,
    limits: &Limits,
    visit: &mut dyn FnMut(Segment),
) -> Result<Vec<Unreadable>, ExtractError> {
    walk(&mut pkg, limits, Keep::Nothing, visit).map(|book| book.unreadable)
}

/// What a walk through a workbook keeps beside the segments it hands on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Every part's XML and where each segment sits in it, for the
    /// rendition: the parts are read whole.
    Anchors,
    /// Nothing: the sheets are read as streams.
    Nothing,
}

/// What a walk found besides the segments.
struct Walked {
    sheets: Vec<SheetXml>,
    shared: Option<SharedXml>,
    cells: Vec<CellAnchor>,
    calc_chain: Option<String>,
    unreadable: Vec<Unreadable>,
}

fn walk(
    pkg: &mut Package<'_>,
    limits: &Limits,
    keep: Keep,
    emit: &mut dyn FnMut(Segment),
) -> Result<Walked, ExtractError> {
    let workbook = pkg
        .read_xml("xl/workbook.xml")?
        .ok_or_else(|| ExtractError::malformed("xl/workbook.xml is missing"))?;
    let rels = match pkg.read_xml("xl/_rels/workbook.xml.rels")? {
        Some(xml) => parse_rels(&xml, "xl/_rels/workbook.xml.rels", "xl")?,
        None => Vec::new(),
    };
    let rel_of_kind = |kind: &str| {
        rels.iter()
            .find(|r| r.kind == kind)
            .map(|r| r.target.clone())
    };

    let shared_member =
        rel_of_kind("sharedStrings").unwrap_or_else(|| "xl/sharedStrings.xml".into());
    let (mut shared_texts, mut shared) =
        (SharedStrings::new(limits.shared_strings_in_memory), None);
    match keep {
        Keep::Anchors => {
            if let Some(xml) = pkg.read_xml(&shared_member)? {
                let ns = Ns::detect(&xml, MAIN_NS, "");
                let mut items = Vec::new();
                parse_shared(Reader::from_str(&xml), &ns, &shared_member, |text, span| {
                    items.push(span);
                    shared_texts.push(text)
                })?;
                let uses = vec![0; items.len()];
                let part = SheetXml {
                    member: shared_member.clone(),
                    xml,
                    ns,
                };
                shared = Some(SharedXml { part, items, uses });
            }
        }
        Keep::Nothing => {
            streamed(pkg, &shared_member, |reader, ns| {
                parse_shared(reader, ns, &shared_member, |text, _| {
                    shared_texts.push(text)
                })
            })?;
        }
    }
    shared_texts.complete()?;

    let styles_member = rel_of_kind("styles").unwrap_or_else(|| "xl/styles.xml".into());
    let date_styles = match pkg.read_xml(&styles_member)? {
        Some(xml) => parse_date_styles(&xml, &styles_member)?,
        None => Vec::new(),
    };
    let book = parse_workbook(&workbook)?;
    let mut reader = SheetReader {
        limits,
        date_styles: &date_styles,
        date1904: book.date1904,
        rows: 0,
        cells: 0,
        shared_texts: &mut shared_texts,
        shared_uses: shared.as_mut().map(|s| &mut s.uses),
        emit,
        anchors: (keep == Keep::Anchors).then(Vec::new),
        validations: Vec::new(),
    };
    // Every part read, in order; with anchors, also their XML.
    let mut members: Vec<String> = Vec::new();
    let mut sheets = Vec::new();
    for (name, rid) in &book.sheets {
        let name = name.as_str();
        let target = match rels.iter().find(|r| r.id == *rid) {
            // A part listed twice is read once, so its cells have one anchor each.
            Some(rel) if rel.kind == "worksheet" && !members.contains(&rel.target) => {
                rel.target.clone()
            }
            // Chart sheets and dialog sheets hold no cells.
            Some(_) => continue,
            None => {
                return Err(ExtractError::malformed(format!(
                    "sheet {name:?} has no part"
                )))
            }
        };
        let missing = || ExtractError::malformed(format!("sheet {name:?}: {target} is missing"));
        let index = members.len();
        match keep {
            Keep::Anchors => {
                let xml = pkg.read_xml(&target)?.ok_or_else(missing)?;
                let ns = Ns::detect(&xml, MAIN_NS, "");
                reader.read_sheet(
                    Reader::from_str(&xml),
                    &ns,
                    &target,
                    Some(&xml),
                    name,
                    index,
                )?;
                sheets.push(SheetXml {
                    member: target.clone(),
                    xml,
                    ns,
                });
            }
            Keep::Nothing => streamed(pkg, &target, |xml, ns| {
                reader.read_sheet(xml, ns, &target, None, name, index)
            })?
            .ok_or_else(missing)?,
        }
        members.push(target.clone());
        // Cell comments, legacy and threaded, live in parts of their own.
        let (dir, file) = target.rsplit_once('/').unwrap_or(("", target.as_str()));
        let rels_member = format!("{dir}/_rels/{file}.rels");
        let Some(rels_xml) = pkg.read_xml(&rels_member)? else {
            continue;
        };
        for rel in parse_rels(&rels_xml, &rels_member, dir)? {
            let is_comments = rel.kind == "comments" || rel.kind == "threadedComment";
            if !is_comments || members.contains(&rel.target) {
                continue;
            }
            // Comments are few and short: read whole either way.
            let Some(xml) = pkg.read_xml(&rel.target)? else {
                continue;
            };
            let ns = Ns::detect(&xml, &[MAIN_NS, &[THREADED_NS]].concat(), "");
            reader.read_comments(&xml, &ns, &rel.target, name, members.len())?;
            members.push(rel.target.clone());
            if keep == Keep::Anchors {
                sheets.push(SheetXml {
                    member: rel.target,
                    xml,
                    ns,
                });
            }
        }
    }
    let cells = reader.anchors.take().unwrap_or_default();
    let validations = std::mem::take(&mut reader.validations);
    let emit = reader.emit;
    // Workbook names after the cells, which alone have anchors.
    let mut workbook = WorkbookNames::default();
    for (name, _) in &book.sheets {
        workbook.push("sheet", name.clone());
    }
    for (name, formula) in &book.names {
        workbook.push("defined name", format!("{name}\n{formula}"));
    }
    for text in validations {
        workbook.push("validation", text);
    }
    workbook.segments.into_iter().for_each(&mut *emit);
    let names = pkg.names();
    let mut read: HashSet<&str> = members.iter().map(String::as_str).collect();
    read.insert("xl/workbook.xml");
    read.insert(&styles_member);
    read.insert(&shared_member);
    let unreadable = members::unreadable(&names, &read);
    // Properties come after the cells, which alone have anchors.
    ooxml::properties(pkg, &names)?
        .into_iter()
        .for_each(&mut *emit);
    Ok(Walked {
        sheets,
        shared,
        cells,
        calc_chain: rel_of_kind("calcChain"),
        unreadable,
    })
}

/// Parses member `name` as a stream with `parse` (given the reader and the
/// namespace its root element binds); `None` when there is no such member.
/// A stream cut short by the package's budget fails as too large.
fn streamed<T>(
    pkg: &mut Package<'_>,
    name: &str,
    parse: impl FnOnce(Reader<&mut Member<'_>>, &Ns) -> Result<T, ExtractError>,
) -> Result<Option<T>, ExtractError> {
    let Some(ns) = pkg.root_namespace(name, MAIN_NS)? else {
        return Ok(None);
    };
    let Some(mut member) = pkg.stream(name)? else {
        return Ok(None);
    };
    let parsed = parse(Reader::from_reader(&mut member), &ns);
    parsed.map(Some).map_err(|e| member.explain(e))
}
