//! DOCX: one segment per paragraph (runs concatenated) and per table cell,
//! in the body, headers, footers, comments, footnotes and endnotes.
//!
//! Paragraph numbers count every `<w:p>` outside tables in document order,
//! empty ones included, continuing across files of the same part (header1,
//! header2, …). Tables are numbered the same way: `T1R2C3` is the third cell
//! of the second row of the first top-level table; everything inside a cell,
//! nested tables too, is that cell's text, paragraphs joined by `\n`.
//! Deleted text of tracked changes (`<w:delText>`) is extracted: a reader
//! who shows changes can see it. An image's alt text and title (`descr`
//! and `title` of `wp:docPr` and `pic:cNvPr`) are segments of their own,
//! located `{"part": "embedded", "name": "Picture 1 descr"}`, redacted in
//! the attribute. Document properties follow the stories (see
//! [`super::ooxml`]).

use std::collections::HashSet;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::package::Package;
use super::xml::{attr, push_text, xml_error, Ns};
use super::{members, ooxml};
use super::{
    Anchors, ColumnRef, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Part, Segment,
};

const MAIN_NS: &[&str] = &[
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    "http://purl.oclc.org/ooxml/wordprocessingml/main",
];

/// One part's XML as read, for patching.
pub(crate) struct PartXml {
    pub member: String,
    pub xml: String,
    pub ns: Ns,
}

/// What a stretch of a segment's text was made from.
#[derive(Debug, Clone)]
pub(crate) enum PieceKind {
    /// Character data of a `<w:t>`/`<w:delText>` element with this qualified name.
    Text(String),
    /// A `<w:tab/>`, `<w:br/>`, … standing for one character.
    Element,
    /// The `\n` joining two paragraphs of a table cell; no XML of its own.
    Separator,
    /// The value of an attribute (an image's alt text): `start..end` is
    /// the raw value between its quotes.
    Attribute,
    /// Character data straight in the XML (OpenDocument writes text
    /// without a wrapping element): `start..end` is the escaped text.
    CharData,
    /// The start tag of an OpenDocument spreadsheet cell, covering no text:
    /// a redacted cell becomes a string cell, so a typed value kept in an
    /// attribute (`office:value`) cannot outlive the masked display text.
    /// `value_type` is the qualified name of `office:value-type`.
    CellTag { value_type: String },
}

#[derive(Debug, Clone)]
pub(crate) struct Piece {
    /// Byte range in the segment text.
    pub at: usize,
    pub len: usize,
    /// Byte range of the element in the part XML.
    pub start: usize,
    pub end: usize,
    pub kind: PieceKind,
}

pub(crate) struct DocxAnchors {
    pub parts: Vec<PartXml>,
    /// Per segment: its part and the pieces its text was built from.
    pub segments: Vec<(usize, Vec<Piece>)>,
}

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let mut pkg = Package::open(bytes, limits)?;
    let names = pkg.names();
    let mut plan: Vec<(Part, String)> = vec![(Part::Body, "word/document.xml".into())];
    for (part, stem) in [(Part::Header, "header"), (Part::Footer, "footer")] {
        let mut numbered: Vec<(u32, String)> = names
            .iter()
            .filter_map(|n| {
                let num = n
                    .strip_prefix("word/")?
                    .strip_prefix(stem)?
                    .strip_suffix(".xml")?;
                Some((num.parse().unwrap_or(0), n.clone()))
            })
            .collect();
        numbered.sort();
        plan.extend(numbered.into_iter().map(|(_, n)| (part, n)));
    }
    for (part, member) in [
        (Part::Comment, "word/comments.xml"),
        (Part::Footnote, "word/footnotes.xml"),
        (Part::Endnote, "word/endnotes.xml"),
    ] {
        plan.push((part, member.into()));
    }

    let mut reader = Stories::default();
    let mut parts = Vec::new();
    for (part, member) in plan {
        let Some(xml) = pkg.read_xml(&member)? else {
            continue;
        };
        let ns = Ns::detect(&xml, MAIN_NS, "w");
        let part_xml = PartXml { member, xml, ns };
        reader.read_part(&part_xml, part, parts.len())?;
        parts.push(part_xml);
    }
    let read: HashSet<&str> = parts.iter().map(|p| p.member.as_str()).collect();
    let unreadable = members::unreadable(&names, &read);
    // Properties come after the stories, which alone have anchors.
    let mut segments = reader.segments;
    segments.extend(ooxml::properties(&mut pkg, &names)?);
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Docx,
            encoding: None,
            segments,
            unreadable,
        },
        anchors: Anchors::Docx(DocxAnchors {
            parts,
            segments: reader.pieces,
        }),
    })
}

/// A segment being built: its text and the pieces it came from.
#[derive(Default)]
pub(crate) struct Acc {
    pub text: String,
    pub pieces: Vec<Piece>,
}

impl Acc {
    pub fn push(&mut self, s: &str, start: usize, end: usize, kind: PieceKind) {
        self.pieces.push(Piece {
            at: self.text.len(),
            len: s.len(),
            start,
            end,
            kind,
        });
        self.text.push_str(s);
    }
}

/// Counters that continue across files of the same part kind.
#[derive(Default, Clone, Copy)]
pub(crate) struct Counters {
    pub paragraphs: usize,
    pub tables: usize,
}

/// The segments of a document's stories and their pieces, with paragraph
/// and table counters per part.
#[derive(Default)]
pub(crate) struct Stories {
    counters: Vec<(Part, Counters)>,
    pub segments: Vec<Segment>,
    pub pieces: Vec<(usize, Vec<Piece>)>,
}

impl Stories {
    pub fn counters(&self, part: Part) -> Counters {
        self.counters
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    pub fn set_counters(&mut self, part: Part, counters: Counters) {
        match self.counters.iter_mut().find(|(p, _)| *p == part) {
            Some((_, c)) => *c = counters,
            None => self.counters.push((part, counters)),
        }
    }

    /// Keeps a segment unless it is blank.
    pub fn emit(
        &mut self,
        acc: Acc,
        location: Location,
        column: Option<ColumnRef>,
        part_index: usize,
    ) {
        if acc.text.trim().is_empty() {
            return;
        }
        self.segments.push(Segment {
            text: acc.text,
            location,
            column,
        });
        self.pieces.push((part_index, acc.pieces));
    }

    fn read_part(
        &mut self,
        part_xml: &PartXml,
        part: Part,
        part_index: usize,
    ) -> Result<(), ExtractError> {
        let (ns, member) = (&part_xml.ns, part_xml.member.as_str());
        let mut counters = self.counters(part);
        let mut reader = Reader::from_str(&part_xml.xml);
        // Open paragraphs outside tables (text boxes nest them), with their numbers.
        let mut paragraphs: Vec<(usize, Acc)> = Vec::new();
        // The open top-level table cell and its address.
        let mut cell: Option<(String, Acc)> = None;
        let (mut table_depth, mut row, mut col, mut run_depth) = (0usize, 0usize, 0usize, 0usize);
        // The `<w:t>` being read: its start offset, name and text.
        let mut text_el: Option<(usize, String, String)> = None;
        loop {
            let before = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| xml_error(member, e))?;
            let after = reader.buffer_position() as usize;
            let in_cell = cell.is_some();
            let target = match cell.as_mut() {
                Some((_, acc)) => Some(acc),
                None => paragraphs.last_mut().map(|(_, acc)| acc),
            };
            match &event {
                Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "p") => {
                    if let Some((_, acc)) = cell.as_mut() {
                        if !acc.text.is_empty() {
                            acc.push("\n", before, before, PieceKind::Separator);
                        }
                    } else {
                        counters.paragraphs += 1;
                        if matches!(event, Event::Start(_)) {
                            paragraphs.push((counters.paragraphs, Acc::default()));
                        }
                    }
                }
                Event::End(e) if !in_cell && ns.is(e.name().as_ref(), "p") => {
                    if let Some((number, acc)) = paragraphs.pop() {
                        let location = Location::Docx {
                            part,
                            paragraph: Some(number),
                            table_cell: None,
                        };
                        self.emit(acc, location, None, part_index);
                    }
                }
                Event::Start(e) if ns.is(e.name().as_ref(), "tbl") => {
                    table_depth += 1;
                    if table_depth == 1 {
                        counters.tables += 1;
                        row = 0;
                    }
                }
                Event::End(e) if ns.is(e.name().as_ref(), "tbl") => {
                    table_depth = table_depth.saturating_sub(1)
                }
                Event::Start(e) if table_depth == 1 && ns.is(e.name().as_ref(), "tr") => {
                    row += 1;
                    col = 0;
                }
                Event::Start(e) if table_depth == 1 && ns.is(e.name().as_ref(), "tc") => {
                    col += 1;
                    cell = Some((format!("T{}R{row}C{col}", counters.tables), Acc::default()));
                }
                Event::End(e) if table_depth == 1 && ns.is(e.name().as_ref(), "tc") => {
                    if let Some((address, acc)) = cell.take() {
                        let location = Location::Docx {
                            part,
                            paragraph: None,
                            table_cell: Some(address),
                        };
                        self.emit(acc, location, None, part_index);
                    }
                }
                Event::Start(e) if ns.is(e.name().as_ref(), "r") => run_depth += 1,
                Event::End(e) if ns.is(e.name().as_ref(), "r") => {
                    run_depth = run_depth.saturating_sub(1)
                }
                Event::Start(e)
                    if ns.is(e.name().as_ref(), "t") || ns.is(e.name().as_ref(), "delText") =>
                {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    text_el = Some((before, name, String::new()));
                }
                Event::End(e)
                    if ns.is(e.name().as_ref(), "t") || ns.is(e.name().as_ref(), "delText") =>
                {
                    if let (Some((start, name, text)), Some(acc)) = (text_el.take(), target) {
                        acc.push(&text, start, after, PieceKind::Text(name));
                    }
                }
                Event::Start(e) | Event::Empty(e)
                    if matches!(e.local_name().as_ref(), b"docPr" | b"cNvPr") =>
                {
                    let image = attr(e, b"name").unwrap_or_else(|| "image".into());
                    for name in ["descr", "title"] {
                        let Some((start, end)) =
                            attribute_value(&part_xml.xml, before, after, name)
                        else {
                            continue;
                        };
                        let raw = &part_xml.xml[start..end];
                        let value =
                            quick_xml::escape::unescape(raw).map_err(|e| xml_error(member, e))?;
                        let mut acc = Acc::default();
                        acc.push(&value, start, end, PieceKind::Attribute);
                        let location = Location::Package {
                            part: Part::Embedded,
                            name: format!("{image} {name}"),
                        };
                        self.emit(acc, location, None, part_index);
                    }
                }
                Event::Empty(e) if run_depth > 0 && text_el.is_none() => {
                    let name = e.name();
                    let stand_in = [
                        ("tab", "\t"),
                        ("br", "\n"),
                        ("cr", "\n"),
                        ("noBreakHyphen", "-"),
                    ]
                    .into_iter()
                    .find(|(local, _)| ns.is(name.as_ref(), local));
                    if let (Some((_, c)), Some(acc)) = (stand_in, target) {
                        acc.push(c, before, after, PieceKind::Element);
                    }
                }
                Event::Eof => break,
                ev => {
                    if let Some((_, _, text)) = text_el.as_mut() {
                        push_text(text, ev, member)?;
                    }
                }
            }
        }
        self.set_counters(part, counters);
        Ok(())
    }
}

/// The byte range of attribute `name`'s raw value in the tag at
/// `xml[tag_start..tag_end]`. The tag is read attribute by attribute, so a
/// name inside another attribute's value is never taken for one.
pub(crate) fn attribute_value(
    xml: &str,
    tag_start: usize,
    tag_end: usize,
    name: &str,
) -> Option<(usize, usize)> {
    let tag = xml.get(tag_start..tag_end)?;
    // Past `<` and the element's name.
    let mut pos = tag
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(tag.len());
    let skip_blanks = |pos: usize| {
        pos + tag[pos..]
            .find(|c: char| !c.is_ascii_whitespace())
            .unwrap_or(tag.len() - pos)
    };
    loop {
        pos = skip_blanks(pos);
        let rest = &tag[pos..];
        if rest.is_empty() || rest.starts_with(['/', '>']) {
            return None;
        }
        let name_len = rest.find(|c: char| c.is_ascii_whitespace() || c == '=')?;
        let attribute = &rest[..name_len];
        pos = skip_blanks(pos + name_len);
        pos = skip_blanks(pos + tag[pos..].strip_prefix('=').map(|_| 1)?);
        let quote = tag[pos..]
            .chars()
            .next()
            .filter(|q| matches!(q, '"' | '\''))?;
        let value_start = pos + 1;
        let value_end = value_start + tag[value_start..].find(quote)?;
        if attribute == name {
            return Some((tag_start + value_start, tag_start + value_end));
        }
        pos = value_end + 1;
    }
}
