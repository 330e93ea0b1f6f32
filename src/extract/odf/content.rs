//! The text flow of an OpenDocument part, read as a stream of events.
//!
//! `content.xml` holds the body: paragraphs and headings (`text:p`,
//! `text:h`), tables, text boxes (paragraphs inside a `draw:frame`, in the
//! paragraph's part), notes (`text:note`, their own part), comments
//! (`office:annotation`, with their author) and tracked deletions.
//! `styles.xml` holds the page headers and footers of the master pages.
//! In a spreadsheet every top-level table is a sheet; repeated rows and
//! cells (`table:number-rows-repeated`, `…-columns-repeated`) are one
//! element, so a repeated value is one segment located at its range.

use std::collections::HashMap;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::Names;
use crate::extract::docx::{attribute_value, Acc, Counters, PartXml, PieceKind, Stories};
use crate::extract::xml::{attr, push_text, xml_error};
use crate::extract::{
    column_letter, ColumnRef, ExtractError, FileKind, Limits, Location, Part, Segment, Unreadable,
    WorkbookNames,
};

/// The story text is going to, and its open paragraphs and table.
struct Frame {
    part: Part,
    counters: Counters,
    /// Open paragraphs outside table cells, with their numbers.
    paragraphs: Vec<(usize, Acc)>,
    /// The open top-level table cell (in a spreadsheet, also a cell's
    /// comment): its location, its column and its text.
    cell: Option<(Location, Option<ColumnRef>, Acc)>,
    table_depth: usize,
    /// First row of the open row element, the next row's number, and the
    /// open row's repeat count.
    row: usize,
    next_row: usize,
    rows_repeated: usize,
    /// Next column's 0-based index.
    col: usize,
}

/// Column headers of the sheet being read, by column: a map, since a
/// repeated empty cell can put the next one at column 16,000.
type Headers = HashMap<usize, String>;

pub(super) struct Flow<'a> {
    kind: FileKind,
    limits: &'a Limits,
    stories: Stories,
    /// Sheet names, named ranges and validation lists.
    workbook: WorkbookNames,
    cells: usize,
    sheet: String,
    headers: Headers,
    /// Characters that elements stand for (`text:s` and its count), held
    /// to the decompressed-size limit: a 23-byte element is 64 spaces.
    expanded: u64,
    /// Attribute segments so far, by attribute, to number them.
    attributes: HashMap<String, usize>,
    unreadable: Vec<Unreadable>,
}

/// Deeper nesting of notes, comments or frames than any editor writes.
const MAX_NESTING: usize = 64;

/// Elements whose character data is not document text: a note's number
/// (the note's text is read) and a comment's or change's date.
fn is_skipped(n: &Names, qname: &[u8]) -> bool {
    n.text.is(qname, "note-citation") || n.dc.is(qname, "date")
}

impl<'a> Flow<'a> {
    pub fn new(kind: FileKind, limits: &'a Limits) -> Self {
        Self {
            kind,
            limits,
            stories: Stories::default(),
            workbook: WorkbookNames::default(),
            cells: 0,
            sheet: String::new(),
            headers: Headers::new(),
            expanded: 0,
            attributes: HashMap::new(),
            unreadable: Vec::new(),
        }
    }

    /// The stories' segments and pieces, the workbook's segments, and the
    /// text the flow had no place for.
    pub fn finish(self) -> (Stories, Vec<Segment>, Vec<Unreadable>) {
        (self.stories, self.workbook.segments, self.unreadable)
    }

    fn open(&self, part: Part) -> Frame {
        Frame {
            part,
            counters: self.stories.counters(part),
            paragraphs: Vec::new(),
            cell: None,
            table_depth: 0,
            row: 0,
            next_row: 0,
            rows_repeated: 1,
            col: 0,
        }
    }

    fn close(&mut self, frame: Frame, part_index: usize) {
        if let Some((location, column, acc)) = frame.cell {
            self.stories.emit(acc, location, column, part_index);
        }
        self.stories.set_counters(frame.part, frame.counters);
    }

    fn spreadsheet(&self) -> bool {
        self.kind == FileKind::Ods
    }

    pub fn read(&mut self, part: &PartXml, part_index: usize) -> Result<(), ExtractError> {
        let n = Names::detect(&part.xml);
        let member = part.member.as_str();
        let mut frames: Vec<Frame> = match member {
            "content.xml" => vec![self.open(Part::Body)],
            // Only headers and footers hold text in styles.xml.
            _ => Vec::new(),
        };
        let mut reader = Reader::from_str(&part.xml);
        let mut skip = 0usize;
        // Text read beside the flow: an author, an image's title or description.
        let mut aside: Option<(Vec<u8>, Location, Acc)> = None;
        let mut drawings: Vec<String> = Vec::new();
        let mut notes: Vec<Part> = Vec::new();
        // Inside a number style (`number:text` holds 年, 月: format, not data).
        let mut number_style = 0usize;
        // Text the flow has no place for: reported, never dropped silently.
        let mut unplaced = 0usize;
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| xml_error(member, e))?;
            let after = reader.buffer_position() as usize;
            match &event {
                Event::Start(e) | Event::Empty(e) => {
                    if frames.len() > MAX_NESTING || drawings.len() > MAX_NESTING {
                        return Err(xml_error(
                            member,
                            "notes, comments or frames nested too deep",
                        ));
                    }
                    let story = frames.last().map_or(Part::Body, |f| f.part);
                    self.attribute_text(&part.xml, e, (before, after), story, part_index)?;
                    if matches!(event, Event::Start(_)) && n.number.owns(e.name().as_ref()) {
                        number_style += 1;
                    }
                }
                Event::End(e) if n.number.owns(e.name().as_ref()) => {
                    number_style = number_style.saturating_sub(1)
                }
                _ => {}
            }
            match &event {
                Event::Start(e) if is_skipped(&n, e.name().as_ref()) => skip += 1,
                Event::End(e) if is_skipped(&n, e.name().as_ref()) => skip = skip.saturating_sub(1),
                Event::Start(e) if n.text.is(e.name().as_ref(), "note") => {
                    notes.push(match attr(e, b"note-class").as_deref() {
                        Some("endnote") => Part::Endnote,
                        _ => Part::Footnote,
                    })
                }
                Event::End(e) if n.text.is(e.name().as_ref(), "note") => {
                    notes.pop();
                }
                Event::Start(e) if n.text.is(e.name().as_ref(), "note-body") => {
                    frames.push(self.open(notes.last().copied().unwrap_or(Part::Footnote)))
                }
                Event::Start(e) if n.office.is(e.name().as_ref(), "annotation") => {
                    let mut frame = self.open(Part::Comment);
                    // A spreadsheet comment belongs to its cell, as in XLSX.
                    let at_cell = frames.last().and_then(|f| f.cell.as_ref());
                    if let (true, Some((location, _, _))) = (self.spreadsheet(), at_cell) {
                        frame.cell = Some((location.clone(), None, Acc::default()));
                    }
                    frames.push(frame);
                }
                Event::End(e)
                    if n.text.is(e.name().as_ref(), "note-body")
                        || n.office.is(e.name().as_ref(), "annotation")
                        || is_page_region(&n, e.name().as_ref()) =>
                {
                    if let Some(frame) = frames.pop() {
                        self.close(frame, part_index);
                    }
                }
                Event::Start(e) if is_page_region(&n, e.name().as_ref()) => {
                    let local = e.local_name();
                    let part = if local.as_ref().starts_with(b"header") {
                        Part::Header
                    } else {
                        Part::Footer
                    };
                    frames.push(self.open(part));
                }
                Event::Start(e) if aside.is_none() && n.dc.is(e.name().as_ref(), "creator") => {
                    let part = frames.last().map_or(Part::Body, |f| f.part);
                    let location = Location::Package {
                        part,
                        name: "dc:creator".into(),
                    };
                    aside = Some((e.name().as_ref().to_vec(), location, Acc::default()));
                }
                Event::Start(e) if n.draw.is(e.name().as_ref(), "frame") => {
                    drawings.push(attr(e, b"name").unwrap_or_else(|| "image".into()))
                }
                Event::End(e) if n.draw.is(e.name().as_ref(), "frame") => {
                    drawings.pop();
                }
                Event::Start(e)
                    if aside.is_none()
                        && (n.svg.is(e.name().as_ref(), "title")
                            || n.svg.is(e.name().as_ref(), "desc")) =>
                {
                    let what = if e.local_name().as_ref() == b"desc" {
                        "descr"
                    } else {
                        "title"
                    };
                    let image = drawings.last().map_or("image", String::as_str);
                    let location = Location::Package {
                        part: Part::Embedded,
                        name: format!("{image} {what}"),
                    };
                    aside = Some((e.name().as_ref().to_vec(), location, Acc::default()));
                }
                Event::End(e)
                    if aside
                        .as_ref()
                        .is_some_and(|(opener, _, _)| opener.as_slice() == e.name().as_ref()) =>
                {
                    if let Some((_, location, acc)) = aside.take() {
                        self.stories.emit(acc, location, None, part_index);
                    }
                }
                Event::Start(e) | Event::Empty(e) if self.is_workbook_name(&n, e) => {
                    self.workbook_name(&n, e)
                }
                Event::Start(e) if n.table.is(e.name().as_ref(), "table") => {
                    // A sheet is a table of the body, not one inside a note.
                    let spreadsheet = self.spreadsheet() && frames.len() == 1;
                    if let Some(frame) = frames.last_mut() {
                        frame.table_depth += 1;
                        if frame.table_depth == 1 {
                            frame.next_row = 0;
                            frame.counters.tables += 1;
                            if spreadsheet {
                                self.sheet = attr(e, b"name").unwrap_or_default();
                                self.headers.clear();
                                self.push_workbook("sheet", self.sheet.clone());
                            }
                        }
                    }
                }
                Event::End(e) if n.table.is(e.name().as_ref(), "table") => {
                    if let Some(frame) = frames.last_mut() {
                        frame.table_depth = frame.table_depth.saturating_sub(1);
                    }
                }
                Event::Start(e) | Event::Empty(e) if n.table.is(e.name().as_ref(), "table-row") => {
                    if let Some(frame) = frames.last_mut().filter(|f| f.table_depth == 1) {
                        let repeated = repeat(e, b"number-rows-repeated");
                        frame.row = frame.next_row.saturating_add(1);
                        frame.next_row = frame.next_row.saturating_add(repeated);
                        frame.rows_repeated = repeated;
                        frame.col = 0;
                    }
                }
                Event::Start(e) | Event::Empty(e)
                    if n.table.is(e.name().as_ref(), "table-cell")
                        || n.table.is(e.name().as_ref(), "covered-table-cell") =>
                {
                    let Some(frame) = frames.last_mut().filter(|f| f.table_depth == 1) else {
                        continue;
                    };
                    let repeated = repeat(e, b"number-columns-repeated");
                    let first = frame.col;
                    frame.col = frame.col.saturating_add(repeated);
                    if matches!(event, Event::Empty(_)) {
                        continue;
                    }
                    let (location, column, mut acc) = if self.kind == FileKind::Ods {
                        self.sheet_cell(frame, first, repeated)
                    } else {
                        let address = format!(
                            "T{}R{}C{}",
                            frame.counters.tables,
                            frame.row,
                            first.saturating_add(1)
                        );
                        let location = Location::Docx {
                            part: frame.part,
                            paragraph: None,
                            table_cell: Some(address),
                        };
                        (location, None, Acc::default())
                    };
                    if self.spreadsheet() {
                        let value_type = n.office.tag("value-type");
                        acc.push("", before, after, PieceKind::CellTag { value_type });
                    }
                    frame.cell = Some((location, column, acc));
                }
                Event::End(e)
                    if n.table.is(e.name().as_ref(), "table-cell")
                        || n.table.is(e.name().as_ref(), "covered-table-cell") =>
                {
                    let Some(frame) = frames.last_mut().filter(|f| f.table_depth == 1) else {
                        continue;
                    };
                    let Some((location, column, acc)) = frame.cell.take() else {
                        continue;
                    };
                    if acc.text.trim().is_empty() {
                        continue;
                    }
                    if let Some(column) = column.as_ref().filter(|c| c.row == 1) {
                        self.headers.insert(column.index, acc.text.clone());
                    }
                    self.cells += 1;
                    if self.cells > self.limits.max_cells {
                        return Err(ExtractError::too_large("cell count", self.limits.max_cells));
                    }
                    self.stories.emit(acc, location, column, part_index);
                }
                Event::Start(e) | Event::Empty(e) if is_paragraph(&n, e) => {
                    let Some(frame) = frames.last_mut() else {
                        continue;
                    };
                    if let Some((_, _, acc)) = frame.cell.as_mut() {
                        if !acc.text.is_empty() {
                            acc.push("\n", before, before, PieceKind::Separator);
                        }
                    } else {
                        frame.counters.paragraphs += 1;
                        if matches!(event, Event::Start(_)) {
                            frame
                                .paragraphs
                                .push((frame.counters.paragraphs, Acc::default()));
                        }
                    }
                }
                Event::End(e)
                    if n.text.is(e.name().as_ref(), "p") || n.text.is(e.name().as_ref(), "h") =>
                {
                    let Some(frame) = frames.last_mut().filter(|f| f.cell.is_none()) else {
                        continue;
                    };
                    if let Some((number, acc)) = frame.paragraphs.pop() {
                        let location = Location::Docx {
                            part: frame.part,
                            paragraph: Some(number),
                            table_cell: None,
                        };
                        self.stories.emit(acc, location, None, part_index);
                    }
                }
                // Only the empty form: a piece must cover the whole element.
                Event::Empty(e) if skip == 0 => {
                    if let (Some(s), Some(acc)) = (stand_in(&n, e), target(&mut aside, &mut frames))
                    {
                        self.expanded += s.len() as u64;
                        if self.expanded > self.limits.max_decompressed_bytes {
                            return Err(ExtractError::too_large(
                                "spaces and tabs the document's elements stand for",
                                self.limits.max_decompressed_bytes,
                            ));
                        }
                        acc.push(&s, before, after, PieceKind::Element);
                    }
                }
                Event::Eof => break,
                ev @ (Event::Text(_) | Event::CData(_) | Event::GeneralRef(_)) if skip == 0 => {
                    let mut text = String::new();
                    push_text(&mut text, ev, member)?;
                    match target(&mut aside, &mut frames) {
                        Some(acc) => acc.push(&text, before, after, PieceKind::CharData),
                        None if number_style == 0 && !text.trim().is_empty() => unplaced += 1,
                        None => {}
                    }
                }
                _ => {}
            }
        }
        let open = frames.len() > usize::from(member == "content.xml");
        if open || frames.iter().any(|f| !f.paragraphs.is_empty()) {
            return Err(xml_error(
                member,
                "the part ends inside a paragraph or a note",
            ));
        }
        while let Some(frame) = frames.pop() {
            self.close(frame, part_index);
        }
        if unplaced > 0 {
            self.unreadable.push(Unreadable {
                location: Location::Package {
                    part: Part::Embedded,
                    name: member.to_owned(),
                },
                what: format!("{unplaced} stretches of text outside the document's paragraphs"),
            });
        }
        Ok(())
    }

    /// Text kept in attributes, which is published with the file: link
    /// targets (a `mailto:` under a name), field values (a user field, a
    /// variable, conditional and hidden text), form values and labels, and
    /// `text:meta` content. Each is a segment of its own, redacted in the
    /// attribute.
    fn attribute_text(
        &mut self,
        xml: &str,
        e: &BytesStart,
        tag: (usize, usize),
        story: Part,
        part_index: usize,
    ) -> Result<(), ExtractError> {
        const HELD: &[&[u8]] = &[
            b"href",
            b"string-value",
            b"string-value-if-true",
            b"string-value-if-false",
            b"current-value",
            b"label",
            b"content",
        ];
        for a in e.attributes().flatten() {
            if !HELD.contains(&a.key.local_name().as_ref()) {
                continue;
            }
            let qname = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let Some((start, end)) = attribute_value(xml, tag.0, tag.1, &qname) else {
                continue;
            };
            let raw = &xml[start..end];
            // Links to the package's own pictures and objects, and anchors.
            let internal = a.key.local_name().as_ref() == b"href"
                && (raw.starts_with('#')
                    || raw.starts_with("Pictures/")
                    || raw.starts_with("./Object ")
                    || raw.starts_with("Object "));
            if internal || raw.trim().is_empty() {
                continue;
            }
            let value = quick_xml::escape::unescape(raw).map_err(|e| xml_error("content", e))?;
            let count = self.attributes.entry(qname.clone()).or_default();
            *count += 1;
            let location = Location::Package {
                part: story,
                name: format!("{qname} {count}"),
            };
            let mut acc = Acc::default();
            acc.push(&value, start, end, PieceKind::Attribute);
            self.stories.emit(acc, location, None, part_index);
        }
        Ok(())
    }

    /// A spreadsheet cell's location (its range when repeated) and column.
    fn sheet_cell(
        &self,
        frame: &Frame,
        first: usize,
        repeated: usize,
    ) -> (Location, Option<ColumnRef>, Acc) {
        let letter = column_letter(first);
        let mut cell = format!("{letter}{}", frame.row);
        if repeated > 1 || frame.rows_repeated > 1 {
            let last_col = column_letter(first.saturating_add(repeated - 1));
            let last_row = frame.row.saturating_add(frame.rows_repeated - 1);
            cell = format!("{cell}:{last_col}{last_row}");
        }
        let column = ColumnRef {
            table: self.sheet.clone(),
            index: first,
            letter,
            header: self.headers.get(&first).cloned().unwrap_or_default(),
            row: frame.row,
        };
        let location = Location::Cell {
            sheet: Some(self.sheet.clone()),
            cell,
        };
        (location, Some(column), Acc::default())
    }

    fn is_workbook_name(&self, n: &Names, e: &BytesStart) -> bool {
        let name = e.name();
        ["named-range", "named-expression", "content-validation"]
            .iter()
            .any(|l| n.table.is(name.as_ref(), l))
    }

    /// A named range or expression (its name and what it stands for), or
    /// a validation rule (its condition, which holds a list's entries).
    fn workbook_name(&mut self, n: &Names, e: &BytesStart) {
        let (what, text) = if n.table.is(e.name().as_ref(), "content-validation") {
            ("validation", attr(e, b"condition").unwrap_or_default())
        } else {
            let name = attr(e, b"name").unwrap_or_default();
            let target = attr(e, b"cell-range-address")
                .or_else(|| attr(e, b"expression"))
                .unwrap_or_default();
            ("defined name", format!("{name}\n{target}"))
        };
        self.push_workbook(what, text);
    }

    fn push_workbook(&mut self, what: &'static str, text: String) {
        self.workbook.push(what, text);
    }
}

/// Where character data goes: beside the flow, the open cell, or the
/// innermost open paragraph.
fn target<'f>(
    aside: &'f mut Option<(Vec<u8>, Location, Acc)>,
    frames: &'f mut [Frame],
) -> Option<&'f mut Acc> {
    if let Some((_, _, acc)) = aside.as_mut() {
        return Some(acc);
    }
    let frame = frames.last_mut()?;
    match frame.cell.as_mut() {
        Some((_, _, acc)) => Some(acc),
        None => frame.paragraphs.last_mut().map(|(_, acc)| acc),
    }
}

fn is_paragraph(n: &Names, e: &BytesStart) -> bool {
    n.text.is(e.name().as_ref(), "p") || n.text.is(e.name().as_ref(), "h")
}

/// A master page's header or footer (first, left or right page), in the
/// style namespace or LibreOffice's extension one (`loext:header-first`).
fn is_page_region(n: &Names, qname: &[u8]) -> bool {
    let local = qname.rsplit(|&b| b == b':').next().unwrap_or(qname);
    let region = [
        &b"header"[..],
        b"header-left",
        b"header-first",
        b"footer",
        b"footer-left",
        b"footer-first",
    ]
    .contains(&local);
    region && (n.style.owns(qname) || qname.starts_with(b"loext:"))
}

/// The characters an element stands for: `text:s` (`text:c` spaces),
/// a tab, a line break.
fn stand_in(n: &Names, e: &BytesStart) -> Option<String> {
    let name = e.name();
    if n.text.is(name.as_ref(), "s") {
        // The count is bounded by what a line can sensibly hold.
        let count = attr(e, b"c").and_then(|c| c.parse().ok()).unwrap_or(1usize);
        Some(" ".repeat(count.clamp(1, 64)))
    } else if n.text.is(name.as_ref(), "tab") {
        Some("\t".into())
    } else if n.text.is(name.as_ref(), "line-break") {
        Some("\n".into())
    } else {
        None
    }
}

/// A repeat count attribute: at least 1.
fn repeat(e: &BytesStart, key: &[u8]) -> usize {
    attr(e, key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1usize)
        .max(1)
}
