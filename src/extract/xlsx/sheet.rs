//! One worksheet's XML, read as a stream of cells, comments and
//! header/footer text.

use std::io::BufRead;

use super::*;

/// The cell being read.
pub(super) struct Cell {
    start: usize,
    col: usize,
    row: usize,
    kind: CellType,
    style: Option<u32>,
    value: String,
    formula: Formula,
}

pub(super) struct SheetReader<'a> {
    pub(super) limits: &'a Limits,
    /// Per cell style (`s`) index: whether its number format shows a date.
    pub(super) date_styles: &'a [bool],
    pub(super) date1904: bool,
    pub(super) rows: usize,
    pub(super) cells: usize,
    pub(super) shared_texts: &'a mut SharedStrings,
    pub(super) shared_uses: Option<&'a mut Vec<usize>>,
    /// Where each segment goes, in order.
    pub(super) emit: &'a mut dyn FnMut(Segment),
    /// One per segment, when the rendition needs them.
    pub(super) anchors: Option<Vec<CellAnchor>>,
    /// The lists and bounds of data validations (`<formula1>`), whose
    /// entries are offered in a drop-down: `"张三,李四"` is data.
    pub(super) validations: Vec<String>,
}

impl SheetReader<'_> {
    /// Reads a sheet's cells and page headers from `reader`; `whole` is
    /// the sheet's XML when anchors are kept (a shared formula's master is
    /// copied from it).
    pub(super) fn read_sheet<B: BufRead>(
        &mut self,
        mut reader: Reader<B>,
        ns: &Ns,
        member: &str,
        whole: Option<&str>,
        name: &str,
        index: usize,
    ) -> Result<(), ExtractError> {
        let mut buf = Vec::new();
        let (mut row, mut next_col) = (0usize, 0usize);
        let mut headers: Vec<String> = Vec::new();
        let mut cell: Option<Cell> = None;
        let (mut capture, mut phonetic) = (false, 0usize);
        // Start of the `<f>` of a shared-formula master being read.
        let mut formula_start: Option<usize> = None;
        // The page header/footer element being read: start, name, text.
        let mut page: Option<(usize, String, String)> = None;
        // A data validation's formula being read (also the x14 kind, whose
        // formula sits in an `xm:f` inside it).
        let mut validation: Option<String> = None;
        loop {
            buf.clear();
            let before = reader.buffer_position() as usize;
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| xml_error(member, e))?;
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
                        self.finish_cell(c, end, name, index, &mut headers)?;
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
                    if let (Some(start), Some(c), Some(xml)) =
                        (formula_start.take(), cell.as_mut(), whole)
                    {
                        c.formula = Formula::SharedMaster(xml[start..end].to_owned());
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
                Event::Start(e)
                    if cell.is_none()
                        && matches!(e.local_name().as_ref(), b"formula1" | b"formula2") =>
                {
                    validation = Some(String::new())
                }
                Event::End(e) if matches!(e.local_name().as_ref(), b"formula1" | b"formula2") => {
                    self.validations.extend(validation.take());
                }
                Event::Eof => return Ok(()),
                ev if validation.is_some() => {
                    if let Some(text) = validation.as_mut() {
                        push_text(text, ev, member)?;
                    }
                }
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
    ) -> Result<(), ExtractError> {
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
                match i {
                    Some(i) => self.shared_texts.get(i)?,
                    None => String::new(),
                }
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
            return Ok(());
        }
        if c.row == 1 {
            if headers.len() <= c.col {
                headers.resize(c.col + 1, String::new());
            }
            headers[c.col] = text.clone();
        }
        let header = headers.get(c.col).map(String::as_str).unwrap_or_default();
        let segment = cell_segment(Some(sheet), c.col, c.row, header, text);
        if let Some(anchors) = self.anchors.as_mut() {
            anchors.push(CellAnchor {
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
        }
        (self.emit)(segment);
        Ok(())
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
        (self.emit)(Segment {
            text,
            location: Location::Cell {
                sheet: Some(sheet.to_owned()),
                cell: kind.to_owned(),
            },
            column: None,
        });
        if let Some(anchors) = self.anchors.as_mut() {
            anchors.push(CellAnchor {
                sheet: index,
                start,
                end,
                what: Anchored::HeaderFooter { element },
            });
        }
    }
}

impl SheetReader<'_> {
    /// Comments of sheet `sheet`, one segment each, located at their cell
    /// (like the cell's value, but without a `column`).
    pub(super) fn read_comments(
        &mut self,
        xml: &str,
        ns: &Ns,
        member: &str,
        sheet: &str,
        index: usize,
    ) -> Result<(), ExtractError> {
        let mut reader = Reader::from_str(xml);
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
                        (self.emit)(Segment {
                            text,
                            location: Location::Cell {
                                sheet: Some(sheet.to_owned()),
                                cell,
                            },
                            column: None,
                        });
                        let end = reader.buffer_position() as usize;
                        if let Some(anchors) = self.anchors.as_mut() {
                            let what = Anchored::Comment { element, run };
                            anchors.push(CellAnchor {
                                sheet: index,
                                start,
                                end,
                                what,
                            });
                        }
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

pub(super) fn hf_kind(ns: &Ns, qname: &[u8]) -> Option<&'static str> {
    HEADER_FOOTER
        .iter()
        .find(|(local, _)| ns.is(qname, local))
        .map(|(_, kind)| *kind)
}

/// `"B12"` → `(1, 12)`: 0-based column, 1-based row.
pub(super) fn parse_ref(r: &[u8]) -> Option<(usize, usize)> {
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
pub(super) fn ascii_number<T: std::str::FromStr>(raw: &[u8]) -> Option<T> {
    std::str::from_utf8(raw).ok()?.parse().ok()
}

/// What a cell's `t` attribute makes of its value.
#[derive(Clone, Copy)]
pub(super) enum CellType {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_refs() {
        assert_eq!(parse_ref(b"B12"), Some((1, 12)));
        assert_eq!(parse_ref(b"AA1"), Some((26, 1)));
        assert_eq!(parse_ref(b"b1"), None);
        assert_eq!(parse_ref(b"A0"), None);
    }
}
