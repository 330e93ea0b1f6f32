//! The package around the sheets: the workbook (sheet names and order,
//! the 1904 date system), relationships, and the shared-string table.

use super::*;

/// What the workbook part says.
pub(super) struct Workbook {
    /// `(name, relationship id)` of each sheet in workbook order.
    pub sheets: Vec<(String, String)>,
    /// Whether dates count from 1904 (old Mac workbooks).
    pub date1904: bool,
    /// `(name, formula)` of each defined name a person gave; Excel's own
    /// (`_xlnm.Print_Area`, the filter range) only name ranges of sheets.
    pub names: Vec<(String, String)>,
}

pub(super) fn parse_workbook(xml: &str) -> Result<Workbook, ExtractError> {
    let ns = Ns::detect(xml, MAIN_NS, "");
    let member = "xl/workbook.xml";
    let mut reader = Reader::from_str(xml);
    let mut out = Workbook {
        sheets: Vec::new(),
        date1904: false,
        names: Vec::new(),
    };
    let mut defined: Option<(String, String)> = None;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(member, e))?;
        match &event {
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "sheet") => {
                let name = attr(e, b"name").unwrap_or_default();
                out.sheets.push((name, attr(e, b"id").unwrap_or_default()));
            }
            Event::Start(e) | Event::Empty(e) if ns.is(e.name().as_ref(), "workbookPr") => {
                out.date1904 = matches!(attr(e, b"date1904").as_deref(), Some("1" | "true"));
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "definedName") => {
                defined = Some((attr(e, b"name").unwrap_or_default(), String::new()));
            }
            Event::End(e) if ns.is(e.name().as_ref(), "definedName") => {
                out.names.extend(
                    defined
                        .take()
                        .filter(|(name, _)| !name.starts_with("_xlnm.")),
                );
            }
            Event::Eof => return Ok(out),
            ev => {
                if let Some((_, formula)) = defined.as_mut() {
                    push_text(formula, ev, member)?;
                }
            }
        }
    }
}

/// Relationships of a part in folder `base`, with targets resolved to member names.
pub(super) fn parse_rels(xml: &str, member: &str, base: &str) -> Result<Vec<Rel>, ExtractError> {
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

/// Hands each `<si>` item's text and span to `item`, in order; phonetic
/// runs (`<rPh>`) are not text.
pub(super) fn parse_shared<B: std::io::BufRead>(
    mut reader: Reader<B>,
    ns: &Ns,
    member: &str,
    mut item: impl FnMut(String, (usize, usize)) -> Result<(), ExtractError>,
) -> Result<(), ExtractError> {
    let (mut start, mut current, mut in_t, mut phonetic) = (0, String::new(), false, 0usize);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let before = reader.buffer_position() as usize;
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_error(member, e))?;
        match &event {
            Event::Start(e) if ns.is(e.name().as_ref(), "si") => {
                start = before;
                current.clear();
            }
            Event::Empty(e) if ns.is(e.name().as_ref(), "si") => {
                item(String::new(), (before, reader.buffer_position() as usize))?;
            }
            Event::End(e) if ns.is(e.name().as_ref(), "si") => {
                let span = (start, reader.buffer_position() as usize);
                item(std::mem::take(&mut current), span)?;
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "rPh") => phonetic += 1,
            Event::End(e) if ns.is(e.name().as_ref(), "rPh") => {
                phonetic = phonetic.saturating_sub(1)
            }
            Event::Start(e) if ns.is(e.name().as_ref(), "t") => in_t = phonetic == 0,
            Event::End(e) if ns.is(e.name().as_ref(), "t") => in_t = false,
            Event::Eof => return Ok(()),
            ev if in_t => push_text(&mut current, ev, member)?,
            _ => {}
        }
    }
}
