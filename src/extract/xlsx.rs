//! XLSX: one segment per non-empty cell of every sheet (hidden ones too),
//! located as `{"sheet":"Sheet1","cell":"B2"}` with the column header from row 1.
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
    cell_segment, column_letter, Anchors, ExtractError, Extracted, FileKind, Limits, Parsed,
    Segment,
};

const MAIN_NS: &[&str] = &[
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
];
const REL_NS: &[&str] = &["http://schemas.openxmlformats.org/package/2006/relationships"];

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

/// Where a cell segment's `<c>…</c>` element sits.
pub(crate) struct CellAnchor {
    pub sheet: usize,
    pub start: usize,
    pub end: usize,
    pub cell: String,
    /// Raw `s` (style) attribute, kept on the rewritten cell.
    pub style: Option<String>,
    pub shared: Option<usize>,
    pub formula: bool,
}

pub(crate) struct XlsxAnchors {
    pub sheets: Vec<SheetXml>,
    pub shared: Option<SharedXml>,
    /// One per segment.
    pub cells: Vec<CellAnchor>,
    /// Relationship file of the workbook, for dropping calcChain.xml.
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

    let mut reader = SheetReader {
        limits,
        rows: 0,
        cells: 0,
        shared_texts: &shared_texts,
        shared_uses: shared.as_mut().map(|s| &mut s.uses),
        segments: Vec::new(),
        anchors: Vec::new(),
    };
    let mut sheets = Vec::new();
    for (name, rid) in parse_workbook(&workbook)? {
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
            member: target,
            xml,
            ns,
        };
        reader.read_sheet(&sheet, &name, sheets.len())?;
        sheets.push(sheet);
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

/// `(name, relationship id)` of each sheet in workbook order.
fn parse_workbook(xml: &str) -> Result<Vec<(String, String)>, ExtractError> {
    let ns = Ns::detect(xml, MAIN_NS, "");
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader
            .read_event()
            .map_err(|e| xml_error("xl/workbook.xml", e))?
        {
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "sheet") => {
                let name = attr(&e, b"name").unwrap_or_default();
                out.push((name, attr(&e, b"id").unwrap_or_default()));
            }
            Event::Eof => return Ok(out),
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
    kind: String,
    style: Option<String>,
    value: String,
    formula: bool,
}

struct SheetReader<'a> {
    limits: &'a Limits,
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
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| xml_error(member, e))?;
            match &event {
                Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "row") => {
                    row = attr(e, b"r")
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(row + 1);
                    next_col = 0;
                    self.rows += 1;
                    if self.rows > self.limits.max_rows {
                        return Err(ExtractError::too_large("row count", self.limits.max_rows));
                    }
                }
                Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "c") => {
                    let (col, r) = attr(e, b"r")
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
                            kind: attr(e, b"t").unwrap_or_default(),
                            style: raw_attr(e, b"s"),
                            value: String::new(),
                            formula: false,
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
                    if let Some(c) = cell.as_mut() {
                        c.formula = true;
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
                Event::Eof => return Ok(()),
                ev if capture => {
                    if let Some(c) = cell.as_mut() {
                        push_text(&mut c.value, ev, member)?;
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
        let text = match c.kind.as_str() {
            "s" => {
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
            // Booleans and error codes carry nothing to review.
            "b" | "e" => String::new(),
            "inlineStr" | "str" | "d" => c.value,
            _ => plain_number(&c.value),
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
            cell: format!("{}{}", column_letter(c.col), c.row),
            style: c.style,
            shared,
            formula: c.formula,
        });
        self.segments.push(segment);
    }
}

/// `"B12"` → `(1, 12)`: 0-based column, 1-based row.
fn parse_ref(r: &str) -> Option<(usize, usize)> {
    let split = r.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    let col = letters
        .bytes()
        .fold(0usize, |acc, b| acc * 26 + usize::from(b - b'A' + 1))
        - 1;
    let row = digits.parse().ok().filter(|&r| r > 0)?;
    Some((col, row))
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
    fn cell_refs_and_targets() {
        assert_eq!(parse_ref("B12"), Some((1, 12)));
        assert_eq!(parse_ref("AA1"), Some((26, 1)));
        assert_eq!(parse_ref("b1"), None);
        assert_eq!(parse_ref("A0"), None);
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
