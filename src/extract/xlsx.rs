//! XLSX: one segment per non-empty cell of every sheet (hidden ones too),
//! located as `{"sheet":"Sheet1","cell":"B2"}` with the column header from
//! row 1; one per cell comment (at its cell, without a column); one per page
//! header/footer (`"cell":"header"` / `"footer"`).
//!
//! Read straight from the package XML rather than through calamine: the
//! sheet XML keeps a number's exact digits (`<v>420106198501011234</v>`,
//! where an f64 would lose them), and redaction patches that same XML, so
//! reading and writing agree on which cell is which.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::package::Package;
use super::xml::{attr, push_text, raw_attr, xml_error, Ns};
use super::{
    cell_segment, Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Segment,
};

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
    let (shared_texts, mut shared) = match pkg.read_xml(&shared_member)? {
        Some(xml) => {
            let (texts, items) = parse_shared(&xml, &shared_member)?;
            let uses = vec![0; items.len()];
            let ns = Ns::detect(&xml, MAIN_NS, "");
            let part = SheetXml {
                member: shared_member,
                xml,
                ns,
            };
            (texts, Some(SharedXml { part, items, uses }))
        }
        None => (Vec::new(), None),
    };

    let styles_member = rel_of_kind("styles").unwrap_or_else(|| "xl/styles.xml".into());
    let date_styles = match pkg.read_xml(&styles_member)? {
        Some(xml) => parse_date_styles(&xml, &styles_member)?,
        None => Vec::new(),
    };
    let (sheet_list, date1904) = parse_workbook(&workbook)?;
    let mut reader = SheetReader {
        limits,
        date_styles: &date_styles,
        date1904,
        rows: 0,
        cells: 0,
        shared_texts: &shared_texts,
        shared_uses: shared.as_mut().map(|s| &mut s.uses),
        segments: Vec::new(),
        anchors: Vec::new(),
    };
    let mut sheets = Vec::new();
    for (name, rid) in sheet_list {
        let target = match rels.iter().find(|r| r.id == rid) {
            // A part listed twice is read once, so its cells have one anchor each.
            Some(rel)
                if rel.kind == "worksheet"
                    && sheets.iter().all(|s: &SheetXml| s.member != rel.target) =>
            {
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
        let xml = pkg.read_xml(&target)?.ok_or_else(|| {
            ExtractError::malformed(format!("sheet {name:?}: {target} is missing"))
        })?;
        let ns = Ns::detect(&xml, MAIN_NS, "");
        let sheet = SheetXml {
            member: target.clone(),
            xml,
            ns,
        };
        reader.read_sheet(&sheet, &name, sheets.len())?;
        sheets.push(sheet);
        // Cell comments, legacy and threaded, live in parts of their own.
        let (dir, file) = target.rsplit_once('/').unwrap_or(("", target.as_str()));
        let rels_member = format!("{dir}/_rels/{file}.rels");
        let Some(rels_xml) = pkg.read_xml(&rels_member)? else {
            continue;
        };
        for rel in parse_rels(&rels_xml, &rels_member, dir)? {
            let is_comments = rel.kind == "comments" || rel.kind == "threadedComment";
            if !is_comments || sheets.iter().any(|s| s.member == rel.target) {
                continue;
            }
            let Some(xml) = pkg.read_xml(&rel.target)? else {
                continue;
            };
            let ns = Ns::detect(&xml, &[MAIN_NS, &[THREADED_NS]].concat(), "");
            let part = SheetXml {
                member: rel.target,
                xml,
                ns,
            };
            reader.read_comments(&part, &name, sheets.len())?;
            sheets.push(part);
        }
    }
    let (segments, cells) = (reader.segments, reader.anchors);
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Xlsx,
            encoding: None,
            segments,
        },
        anchors: Anchors::Xlsx(XlsxAnchors {
            sheets,
            shared,
            cells,
            calc_chain: rel_of_kind("calcChain"),
        }),
    })
}

/// `(name, relationship id)` of each sheet in workbook order, and whether
/// dates count from 1904 (old Mac workbooks).
fn parse_workbook(xml: &str) -> Result<(Vec<(String, String)>, bool), ExtractError> {
    let ns = Ns::detect(xml, MAIN_NS, "");
    let mut reader = Reader::from_str(xml);
    let (mut out, mut date1904) = (Vec::new(), false);
    loop {
        match reader
            .read_event()
            .map_err(|e| xml_error("xl/workbook.xml", e))?
        {
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "sheet") => {
                let name = attr(&e, b"name").unwrap_or_default();
                out.push((name, attr(&e, b"id").unwrap_or_default()));
            }
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "workbookPr") => {
                date1904 = matches!(attr(&e, b"date1904").as_deref(), Some("1" | "true"));
            }
            Event::Eof => return Ok((out, date1904)),
            _ => {}
        }
    }
}

/// Relationships of a part in folder `base`, with targets resolved to member names.
fn parse_rels(xml: &str, member: &str, base: &str) -> Result<Vec<Rel>, ExtractError> {
    let ns = Ns::detect(xml, REL_NS, "");
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|e| xml_error(member, e))? {
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "Relationship") => {
                let kind = attr(&e, b"Type").unwrap_or_default();
                out.push(Rel {
                    id: attr(&e, b"Id").unwrap_or_default(),
                    kind: kind.rsplit('/').next().unwrap_or_default().to_owned(),
                    target: resolve(base, &attr(&e, b"Target").unwrap_or_default()),
                });
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Zip member name of a relationship target relative to folder `base`.
fn resolve(base: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').collect()
    };
    for piece in target.split('/') {
        match piece {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Texts and spans of the `<si>` items; phonetic runs (`<rPh>`) are not text.
type SharedItems = (Vec<String>, Vec<(usize, usize)>);

fn parse_shared(xml: &str, member: &str) -> Result<SharedItems, ExtractError> {
    let ns = Ns::detect(xml, MAIN_NS, "");
    let mut reader = Reader::from_str(xml);
    let (mut texts, mut spans) = (Vec::new(), Vec::new());
    let (mut start, mut current, mut in_t, mut phonetic) = (0, String::new(), false, 0usize);
    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| xml_error(member, e))?;
        match &event {
            Event::Start(e) if ns.is(e.name().as_ref(), "si") => {
                start = before;
                current.clear();
            }
            Event::Empty(e) if ns.is(e.name().as_ref(), "si") => {
                texts.push(String::new());
                spans.push((before, reader.buffer_position() as usize));
            }
            Event::End(e) if ns.is(e.name().as_ref(), "si") => {
                texts.push(std::mem::take(&mut current));
                spans.push((start, reader.buffer_position() as usize));
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "rPh") => phonetic += 1,
            Event::End(e) if ns.is(e.name().as_ref(), "rPh") => {
                phonetic = phonetic.saturating_sub(1)
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "t") => in_t = phonetic == 0,
            Event::End(e) if ns.is(e.name().as_ref(), "t") => in_t = false,
            Event::Eof => return Ok((texts, spans)),
            ev if in_t => push_text(&mut current, ev, member)?,
            _ => {}
        }
    }
}

/// The cell being read.
struct Cell {
    start: usize,
    col: usize,
    row: usize,
    kind: CellType,
    style: Option<u32>,
    value: String,
    formula: Formula,
}

struct SheetReader<'a> {
    limits: &'a Limits,
    /// Per cell style (`s`) index: whether its number format shows a date.
    date_styles: &'a [bool],
    date1904: bool,
    rows: usize,
    cells: usize,
    shared_texts: &'a [String],
    shared_uses: Option<&'a mut Vec<usize>>,
    segments: Vec<Segment>,
    anchors: Vec<CellAnchor>,
}

impl SheetReader<'_> {
    fn read_sheet(
        &mut self,
        sheet: &SheetXml,
        name: &str,
        index: usize,
    ) -> Result<(), ExtractError> {
        let (ns, member) = (&sheet.ns, sheet.member.as_str());
        let mut reader = Reader::from_str(&sheet.xml);
        let (mut row, mut next_col) = (0usize, 0usize);
        let mut headers: Vec<String> = Vec::new();
        let mut cell: Option<Cell> = None;
        let (mut capture, mut phonetic) = (false, 0usize);
        // Start of the `<f>` of a shared-formula master being read.
        let mut formula_start: Option<usize> = None;
        // The page header/footer element being read: start, name, text.
        let mut page: Option<(usize, String, String)> = None;
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| xml_error(member, e))?;
            match &event {
                Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "row") => {
                    row = raw_attr(e, b"r")
                        .and_then(|r| ascii_number(&r))
                        .unwrap_or(row + 1);
                    next_col = 0;
                    self.rows += 1;
                    if self.rows > self.limits.max_rows {
                        return Err(ExtractError::too_large("row count", self.limits.max_rows));
                    }
                }
                Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "c") => {
                    let (col, r) = raw_attr(e, b"r")
                        .and_then(|r| parse_ref(&r))
                        .unwrap_or((next_col, row.max(1)));
                    next_col = col + 1;
                    self.cells += 1;
                    if self.cells > self.limits.max_cells {
                        return Err(ExtractError::too_large("cell count", self.limits.max_cells));
                    }
                    if matches!(event, Event::Start(_)) {
                        cell = Some(Cell {
                            start: before,
                            col,
                            row: r,
                            kind: CellType::of(raw_attr(e, b"t").as_deref()),
                            style: raw_attr(e, b"s").and_then(|s| ascii_number(&s)),
                            value: String::new(),
                            formula: Formula::None,
                        });
                    }
                }
                Event::End(e) if ns.is(e.name().as_ref(), "c") => {
                    if let Some(c) = cell.take() {
                        let end = reader.buffer_position() as usize;
                        self.finish_cell(c, end, name, index, &mut headers);
                    }
                }
                Event::Start(e) | Event::Empty(e)
                    if cell.is_some() && ns.is(e.name().as_ref(), "f") =>
                {
                    let master = raw_attr(e, b"t").as_deref() == Some(b"shared")
                        && raw_attr(e, b"ref").is_some();
                    if master && matches!(event, Event::Start(_)) {
                        formula_start = Some(before);
                    }
                    if let Some(c) = cell.as_mut() {
                        c.formula = Formula::Own;
                    }
                }
                Event::End(e) if ns.is(e.name().as_ref(), "f") => {
                    let end = reader.buffer_position() as usize;
                    if let (Some(start), Some(c)) = (formula_start.take(), cell.as_mut()) {
                        c.formula = Formula::SharedMaster(sheet.xml[start..end].to_owned());
                    }
                }
                Event::Start(e) if ns.is(e.name().as_ref(), "rPh") => phonetic += 1,
                Event::End(e) if ns.is(e.name().as_ref(), "rPh") => {
                    phonetic = phonetic.saturating_sub(1)
                }
                Event::Start(e)
                    if ns.is(e.name().as_ref(), "v") || ns.is(e.name().as_ref(), "t") =>
                {
                    capture = cell.is_some() && phonetic == 0;
                }
                Event::End(e) if ns.is(e.name().as_ref(), "v") || ns.is(e.name().as_ref(), "t") => {
                    capture = false
                }
                Event::Start(e) if hf_kind(ns, e.name().as_ref()).is_some() => {
                    let element = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    page = Some((before, element, String::new()));
                }
                Event::End(e) if hf_kind(ns, e.name().as_ref()).is_some() => {
                    if let (Some((start, element, text)), Some(kind)) =
                        (page.take(), hf_kind(ns, e.name().as_ref()))
                    {
                        let end = reader.buffer_position() as usize;
                        self.push_page_text(text, kind, name, index, (start, end), element);
                    }
                }
                Event::Eof => return Ok(()),
                ev if capture => {
                    if let Some(c) = cell.as_mut() {
                        push_text(&mut c.value, ev, member)?;
                    }
                }
                ev if page.is_some() => {
                    if let Some((_, _, text)) = page.as_mut() {
                        push_text(text, ev, member)?;
                    }
                }
                _ => {}
            }
        }
    }

    fn finish_cell(
        &mut self,
        c: Cell,
        end: usize,
        sheet: &str,
        index: usize,
        headers: &mut Vec<String>,
    ) {
        let mut shared = None;
        let text = match c.kind {
            CellType::Shared => {
                let i = c
                    .value
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|&i| i < self.shared_texts.len());
                if let (Some(i), Some(uses)) = (i, self.shared_uses.as_deref_mut()) {
                    uses[i] += 1;
                }
                shared = i;
                i.map(|i| self.shared_texts[i].clone()).unwrap_or_default()
            }
            CellType::Skipped => String::new(),
            CellType::Text => c.value,
            CellType::Number => {
                let style = c.style.and_then(|s| usize::try_from(s).ok());
                let date = style.is_some_and(|s| self.date_styles.get(s) == Some(&true));
                date.then(|| excel_date(&c.value, self.date1904))
                    .flatten()
                    .unwrap_or_else(|| plain_number(&c.value))
            }
        };
        if text.is_empty() {
            return;
        }
        if c.row == 1 {
            if headers.len() <= c.col {
                headers.resize(c.col + 1, String::new());
            }
            headers[c.col] = text.clone();
        }
        let header = headers.get(c.col).map(String::as_str).unwrap_or_default();
        let segment = cell_segment(Some(sheet), c.col, c.row, header, text);
        self.anchors.push(CellAnchor {
            sheet: index,
            start: c.start,
            end,
            what: Anchored::Cell {
                col: c.col,
                row: c.row,
                style: c.style,
                shared,
                formula: c.formula,
            },
        });
        self.segments.push(segment);
    }

    /// A page header/footer (where classification marks are often printed),
    /// reported as `{"sheet": …, "cell": "header"}` or `"footer"`. The text
    /// keeps Excel's layout codes (`&C机密`): they do not hide words.
    fn push_page_text(
        &mut self,
        text: String,
        kind: &str,
        sheet: &str,
        index: usize,
        (start, end): (usize, usize),
        element: String,
    ) {
        if text.trim().is_empty() {
            return;
        }
        self.segments.push(Segment {
            text,
            location: Location::Cell {
                sheet: Some(sheet.to_owned()),
                cell: kind.to_owned(),
            },
            column: None,
        });
        self.anchors.push(CellAnchor {
            sheet: index,
            start,
            end,
            what: Anchored::HeaderFooter { element },
        });
    }
}

impl SheetReader<'_> {
    /// Comments of sheet `sheet`, one segment each, located at their cell
    /// (like the cell's value, but without a `column`).
    fn read_comments(
        &mut self,
        part: &SheetXml,
        sheet: &str,
        index: usize,
    ) -> Result<(), ExtractError> {
        let (ns, member) = (&part.ns, part.member.as_str());
        let mut reader = Reader::from_str(&part.xml);
        let mut cell_ref: Option<String> = None;
        // The open `<text>`: start, name, text, name of a `<t>` seen inside.
        let mut open: Option<(usize, String, String, Option<String>)> = None;
        let (mut depth, mut in_t, mut phonetic) = (0usize, false, 0usize);
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| xml_error(member, e))?;
            match &event {
                Event::Start(e)
                    if ns.is(e.name().as_ref(), "comment")
                        || ns.is(e.name().as_ref(), "threadedComment") =>
                {
                    cell_ref = attr(e, b"ref");
                }
                Event::Start(e)
                    if cell_ref.is_some() && open.is_none() && ns.is(e.name().as_ref(), "text") =>
                {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    open = Some((before, name, String::new(), None));
                    depth = 0;
                }
                Event::End(e) if depth == 0 && ns.is(e.name().as_ref(), "text") => {
                    let text = open
                        .take()
                        .filter(|(_, _, text, _)| !text.trim().is_empty());
                    if let (Some((start, element, text, run)), Some(cell)) =
                        (text, cell_ref.clone())
                    {
                        self.segments.push(Segment {
                            text,
                            location: Location::Cell {
                                sheet: Some(sheet.to_owned()),
                                cell,
                            },
                            column: None,
                        });
                        let end = reader.buffer_position() as usize;
                        let what = Anchored::Comment { element, run };
                        self.anchors.push(CellAnchor {
                            sheet: index,
                            start,
                            end,
                            what,
                        });
                    }
                }
                Event::Start(e) if open.is_some() => {
                    depth += 1;
                    if ns.is(e.name().as_ref(), "rPh") {
                        phonetic += 1;
                    } else if ns.is(e.name().as_ref(), "t") {
                        in_t = true;
                        if let Some((_, _, _, run)) = open.as_mut() {
                            *run = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                        }
                    }
                }
                Event::End(e) if open.is_some() => {
                    depth = depth.saturating_sub(1);
                    if ns.is(e.name().as_ref(), "rPh") {
                        phonetic = phonetic.saturating_sub(1);
                    } else if ns.is(e.name().as_ref(), "t") {
                        in_t = false;
                    }
                }
                Event::End(e)
                    if ns.is(e.name().as_ref(), "comment")
                        || ns.is(e.name().as_ref(), "threadedComment") =>
                {
                    cell_ref = None;
                }
                Event::Eof => return Ok(()),
                ev if phonetic == 0 && (in_t || depth == 0) => {
                    if let Some((_, _, text, _)) = open.as_mut() {
                        push_text(text, ev, member)?;
                    }
                }
                _ => {}
            }
        }
    }
}

fn hf_kind(ns: &Ns, qname: &[u8]) -> Option<&'static str> {
    HEADER_FOOTER
        .iter()
        .find(|(local, _)| ns.is(qname, local))
        .map(|(_, kind)| *kind)
}

/// For each cell format (`<cellXfs><xf>`), whether it displays a date/time.
fn parse_date_styles(xml: &str, member: &str) -> Result<Vec<bool>, ExtractError> {
    let ns = Ns::detect(xml, MAIN_NS, "");
    let mut reader = Reader::from_str(xml);
    let mut custom: Vec<(u32, bool)> = Vec::new();
    let (mut in_xfs, mut out) = (false, Vec::new());
    loop {
        match reader.read_event().map_err(|e| xml_error(member, e))? {
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "numFmt") => {
                let id = attr(&e, b"numFmtId").and_then(|v| v.parse().ok());
                let code = attr(&e, b"formatCode").unwrap_or_default();
                if let Some(id) = id {
                    custom.push((id, is_date_code(&code)));
                }
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "cellXfs") => in_xfs = true,
            Event::End(e) if ns.is(e.name().as_ref(), "cellXfs") => in_xfs = false,
            Event::Start(e) | Event::Empty(e) if in_xfs && ns.is(e.name().as_ref(), "xf") => {
                let id: u32 = attr(&e, b"numFmtId")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                let date = match custom.iter().find(|(c, _)| *c == id) {
                    Some((_, date)) => *date,
                    // Built-in date/time formats, including the zh-CN ones (27–36, 50–58).
                    None => matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58),
                };
                out.push(date);
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// Whether a custom number format shows a date or time: it uses y, m, d, h
/// or s outside quoted literals, `[...]` blocks and `\x` escapes.
fn is_date_code(code: &str) -> bool {
    let (mut quoted, mut bracket, mut escaped) = (false, false, false);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' if !quoted && !bracket => {
                return true
            }
            _ => {}
        }
    }
    false
}

/// An Excel date serial as `YYYY-MM-DD` (with ` HH:MM:SS` when it has a time).
fn excel_date(raw: &str, date1904: bool) -> Option<String> {
    let serial: f64 = raw
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| (0.0..2_958_466.0).contains(v))?;
    let mut days = serial.floor() as i64;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    // Shift to days from 1970-01-01. The 1900 system counts a non-existent
    // 1900-02-29 (serial 60), so serials before it are one day off.
    days += if date1904 {
        -24_107
    } else if days < 61 {
        -25_568
    } else {
        -25_569
    };
    let (y, m, d) = civil_from_days(days + seconds.div_euclid(86_400));
    let secs = seconds.rem_euclid(86_400);
    Some(if secs == 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        let (h, min, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}")
    })
}

/// Proleptic Gregorian date of a day count from 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `"B12"` → `(1, 12)`: 0-based column, 1-based row.
fn parse_ref(r: &[u8]) -> Option<(usize, usize)> {
    let split = r.iter().position(u8::is_ascii_digit)?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.iter().all(u8::is_ascii_uppercase) {
        return None;
    }
    let col = letters
        .iter()
        .fold(0usize, |acc, b| acc * 26 + usize::from(b - b'A' + 1))
        - 1;
    let row = ascii_number(digits).filter(|&r| r > 0)?;
    Some((col, row))
}

/// A plain decimal attribute value such as `12`.
fn ascii_number<T: std::str::FromStr>(raw: &[u8]) -> Option<T> {
    std::str::from_utf8(raw).ok()?.parse().ok()
}

/// What a cell's `t` attribute makes of its value.
#[derive(Clone, Copy)]
enum CellType {
    /// `s`: an index into the shared strings.
    Shared,
    /// `inlineStr`, `str` (formula result), `d` (ISO date): the text itself.
    Text,
    /// `b`, `e`: booleans and error codes carry nothing to review.
    Skipped,
    /// `n` or absent.
    Number,
}

impl CellType {
    fn of(t: Option<&[u8]>) -> Self {
        match t {
            Some(b"s") => Self::Shared,
            Some(b"inlineStr" | b"str" | b"d") => Self::Text,
            Some(b"b" | b"e") => Self::Skipped,
            _ => Self::Number,
        }
    }
}

/// A stored number as plain digits: `1.38123456789E10` → `13812345678`,
/// so ID and phone numbers kept as numbers are scanned as what they are.
/// Works on the decimal text, never through f64, so no digit is lost.
pub(crate) fn plain_number(raw: &str) -> String {
    let raw = raw.trim();
    let Some((mantissa, exp)) = raw.split_once(['E', 'e']) else {
        return raw.to_owned();
    };
    let Some(exp) = exp.parse::<i32>().ok().filter(|e| (0..=40).contains(e)) else {
        return raw.to_owned();
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return raw.to_owned();
    }
    let exp = exp as usize;
    let mut digits = format!("{int}{}", &frac[..exp.min(frac.len())]);
    digits.extend(std::iter::repeat_n('0', exp.saturating_sub(frac.len())));
    let digits = match digits.trim_start_matches('0') {
        "" => "0",
        d => d,
    };
    let rest = frac.get(exp..).unwrap_or("").trim_end_matches('0');
    if rest.is_empty() {
        format!("{sign}{digits}")
    } else {
        format!("{sign}{digits}.{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_their_exponent_not_their_digits() {
        assert_eq!(plain_number("1.3812345678E10"), "13812345678");
        assert_eq!(plain_number("1.38123456789E10"), "13812345678.9");
        assert_eq!(plain_number("4.20106198501011E+17"), "420106198501011000");
        assert_eq!(plain_number("420106198501011234"), "420106198501011234");
        assert_eq!(plain_number("1.5E1"), "15");
        assert_eq!(plain_number("1.25E1"), "12.5");
        assert_eq!(plain_number("-2E3"), "-2000");
        assert_eq!(plain_number("3.14"), "3.14");
        assert_eq!(plain_number("1E-5"), "1E-5");
        assert_eq!(plain_number("xE5"), "xE5");
    }

    #[test]
    fn dates_from_serials_and_formats() {
        assert_eq!(excel_date("43832", false).as_deref(), Some("2020-01-02"));
        assert_eq!(excel_date("1", false).as_deref(), Some("1900-01-01"));
        assert_eq!(excel_date("61", false).as_deref(), Some("1900-03-01"));
        assert_eq!(excel_date("0", true).as_deref(), Some("1904-01-01"));
        assert_eq!(
            excel_date("43832.5", false).as_deref(),
            Some("2020-01-02 12:00:00")
        );
        assert_eq!(excel_date("x", false), None);
        assert!(is_date_code("yyyy/m/d"));
        assert!(is_date_code("[$-804]yyyy\"年\"m\"月\"d\"日\""));
        assert!(!is_date_code("#,##0.00\"元\""));
        assert!(!is_date_code("[Red]0.00"));
        assert!(!is_date_code("0.00E+00"));
    }

    #[test]
    fn cell_refs_and_targets() {
        assert_eq!(parse_ref(b"B12"), Some((1, 12)));
        assert_eq!(parse_ref(b"AA1"), Some((26, 1)));
        assert_eq!(parse_ref(b"b1"), None);
        assert_eq!(parse_ref(b"A0"), None);
        assert_eq!(
            resolve("xl", "worksheets/sheet1.xml"),
            "xl/worksheets/sheet1.xml"
        );
        assert_eq!(
            resolve("xl", "/xl/worksheets/sheet2.xml"),
            "xl/worksheets/sheet2.xml"
        );
        assert_eq!(
            resolve("xl", "../customXml/item1.xml"),
            "customXml/item1.xml"
        );
    }
}
