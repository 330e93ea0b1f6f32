//! Excel 97–2003 and WPS `.et` workbooks (BIFF8), read with calamine: the
//! cells of every sheet, hidden and very hidden ones too (a hidden sheet of
//! ID numbers is the classic leak), and the defined names.
//!
//! calamine reads the file through a compound-file reader of its own,
//! which trusts sizes in the header, and lays every sheet out as a dense
//! grid. So it is given a fresh compound file holding only the `Workbook`
//! stream read here under the limits, and the sheets are walked first as
//! calamine will walk them (from each sheet's offset): a workbook whose
//! grids, or declared dimensions, exceed `max_cells` is refused.

use std::io::{Cursor, Write};

use calamine::{Data, Reader, SheetType, Xls, XlsError};

use super::{read_stream, u16_at, u32_at, Ole};

use super::super::xlsx::dates::{excel_date, plain_number};
use super::super::{
    cell_segment, Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Part,
    Segment, Unreadable, WorkbookNames,
};

pub(super) fn parse(ole: &mut Ole<'_>, limits: &Limits) -> Result<Parsed, ExtractError> {
    let stream = match read_stream(ole, "/Workbook", limits)? {
        Some(stream) => stream,
        None => read_stream(ole, "/Book", limits)?.unwrap_or_default(),
    };
    let limit = limits.max_cells as u64;
    if grid_cells(&stream, limit) > limit {
        return Err(ExtractError::too_large(
            "cells of the workbook's sheets, laid out as grids",
            limits.max_cells,
        ));
    }
    // calamine copies a shared string into every cell that uses it: a few
    // cells pointing at one long string would cost their product.
    let text_limit = limits.max_decompressed_bytes;
    if shared_text_bytes(&stream, text_limit) > text_limit {
        return Err(ExtractError::too_large(
            "text of the cells that use shared strings",
            text_limit,
        ));
    }
    let mut book = Xls::new(Cursor::new(isolated(&stream)?)).map_err(unreadable)?;
    let sheets: Vec<String> = book
        .sheets_metadata()
        .iter()
        // Chart and macro sheets hold no cells.
        .filter(|s| matches!(s.typ, SheetType::WorkSheet))
        .map(|s| s.name.clone())
        .collect();
    let (mut segments, mut rows, mut cells) = (Vec::new(), 0usize, 0usize);
    for name in &sheets {
        let range = book.worksheet_range(name).map_err(unreadable)?;
        let Some((top, left)) = range.start() else {
            continue;
        };
        rows += range.height();
        if rows > limits.max_rows {
            return Err(ExtractError::too_large(
                "rows of the workbook",
                limits.max_rows,
            ));
        }
        let mut headers: Vec<String> = Vec::new();
        for (r, c, value) in range.used_cells() {
            let text = cell_text(value);
            if text.is_empty() {
                continue;
            }
            cells += 1;
            if cells > limits.max_cells {
                return Err(ExtractError::too_large(
                    "cells of the workbook",
                    limits.max_cells,
                ));
            }
            let (row, col) = (top as usize + r + 1, left as usize + c);
            if row == 1 {
                if headers.len() <= col {
                    headers.resize(col + 1, String::new());
                }
                headers[col] = text.clone();
            }
            let header = headers.get(col).map(String::as_str).unwrap_or_default();
            segments.push(cell_segment(Some(name), col, row, header, text));
        }
    }
    let (extras, unreadable) = sheet_extras(&stream);
    segments.extend(extras);
    // Sheet names, and defined names with their formulas, which can hold
    // a constant list or text.
    let mut workbook = WorkbookNames::default();
    for name in sheets {
        workbook.push("sheet", name);
    }
    for (name, formula) in book.defined_names() {
        workbook.push("defined name", format!("{name}\n{formula}"));
    }
    segments.extend(workbook.segments);
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Xls,
            encoding: None,
            segments,
            unreadable,
        },
        anchors: Anchors::ReadOnly,
    })
}

/// A compound file holding only `stream`, as `Workbook`.
fn isolated(stream: &[u8]) -> Result<Vec<u8>, ExtractError> {
    let failed = |e: std::io::Error| ExtractError::malformed(format!("XLS: {e}"));
    // Version 3, as Excel writes: calamine refuses a version-4 file whose
    // mini stream is empty.
    let mut ole = cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))
        .map_err(failed)?;
    ole.create_stream("/Workbook")
        .and_then(|mut s| s.write_all(stream))
        .map_err(failed)?;
    ole.flush().map_err(failed)?;
    Ok(ole.into_inner().into_inner())
}

/// BIFF records that hold one cell (row, then column, first) and the two
/// that hold a run of cells in a row (row, first column, …, last column).
const CELL_RECORDS: [u16; 8] = [
    0x00FD, 0x0204, 0x0203, 0x027E, 0x0201, 0x0006, 0x0205, 0x00D6,
];
const RUN_RECORDS: [u16; 2] = [0x00BD, 0x00BE];
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const EOF: u16 = 0x000A;

/// The records from `from` to the end of their substream: `(type, body)`.
fn records(stream: &[u8], from: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut pos = Some(from);
    std::iter::from_fn(move || {
        let at = pos?;
        let (kind, len) = (u16_at(stream, at)?, u16_at(stream, at + 2)?);
        let body = stream.get(at + 4..(at + 4).checked_add(usize::from(len))?)?;
        pos = (kind != EOF).then_some(at + 4 + body.len());
        Some((kind, body))
    })
}

/// The cells calamine will lay out, summed over the sheets as it reads
/// them (each sheet listed in the workbook globals, from its offset), up
/// to the first sum past `limit`. A sheet's grid is the box around its
/// cell records, or its declared dimensions when those are larger; a
/// dimension that runs backwards counts as past any limit.
fn grid_cells(stream: &[u8], limit: u64) -> u64 {
    sum_over_sheets(stream, limit, |at| sheet_cells(stream, at))
}

/// `per_sheet` summed over the sheets as calamine reads them (each sheet
/// listed in the workbook globals, from its offset), up to the first sum
/// past `limit`.
fn sum_over_sheets(stream: &[u8], limit: u64, per_sheet: impl Fn(usize) -> u64) -> u64 {
    let offsets = records(stream, 0)
        .filter(|(kind, _)| *kind == BOUND_SHEET)
        .filter_map(|(_, body)| u32_at(body, 0).map(|at| at as usize));
    let mut total = 0u64;
    for at in offsets {
        total = total.saturating_add(per_sheet(at));
        if total > limit {
            break;
        }
    }
    total
}

const SST: u16 = 0x00FC;
const CONTINUE: u16 = 0x003C;
const LABEL_SST: u16 = 0x00FD;

/// The bytes calamine's copies of shared strings take in the cells that
/// use them (`LabelSst` records), summed over the sheets as calamine reads
/// them, up to the first sum past `limit`.
fn shared_text_bytes(stream: &[u8], limit: u64) -> u64 {
    let sizes = shared_string_sizes(stream);
    sum_over_sheets(stream, limit, |at| {
        records(stream, at)
            .filter(|(kind, _)| *kind == LABEL_SST)
            .filter_map(|(_, body)| u32_at(body, 6))
            .filter_map(|i| sizes.get(i as usize))
            .sum()
    })
}

/// An upper bound on the UTF-8 size of each string of the shared-string
/// table, read as calamine reads it ([MS-XLS] 2.4.265, 2.5.293): the last
/// SST record (calamine keeps the last) and the CONTINUE records after it
/// as one run of chunks, where a string's characters that cross into the
/// next chunk start with a new flags byte, and an empty chunk is an empty
/// string. calamine decodes in the workbook's code page, a one-byte
/// character with a NUL beside it: at most 4 bytes of UTF-8 for it, 6 for
/// a two-byte one.
fn shared_string_sizes(stream: &[u8]) -> Vec<u64> {
    let globals: Vec<(u16, &[u8])> = records(stream, 0).collect();
    let Some(at) = globals.iter().rposition(|(kind, _)| *kind == SST) else {
        return Vec::new();
    };
    let sst = globals[at].1;
    let mut rest = globals[at + 1..]
        .iter()
        .take_while(|(kind, _)| *kind == CONTINUE)
        .map(|(_, body)| *body);
    let mut data = sst.get(8..).unwrap_or_default();
    let mut sizes = Vec::new();
    loop {
        if data.is_empty() {
            match rest.next() {
                Some([]) => {
                    sizes.push(0);
                    continue;
                }
                Some(next) => data = next,
                None => return sizes,
            }
        }
        let (Some(cch), Some(&flags)) = (u16_at(data, 0), data.get(2)) else {
            return sizes;
        };
        data = &data[3..];
        let mut skip = 0usize;
        for (flag, width) in [(0x8, 2), (0x4, 4)] {
            if flags & flag != 0 {
                let Some(count) = data.get(..width) else {
                    return sizes;
                };
                let count = count
                    .iter()
                    .rev()
                    .fold(0usize, |n, &b| n << 8 | usize::from(b));
                // Formatting runs are 4 bytes each; the phonetic block is its size.
                skip += if width == 2 { count * 4 } else { count };
                data = &data[width..];
            }
        }
        let (mut left, mut high, mut size) = (usize::from(cch), flags & 1 != 0, 0u64);
        while left > 0 {
            let width = if high { 2 } else { 1 };
            let taken = left.min(data.len() / width);
            data = &data[taken * width..];
            left -= taken;
            size += taken as u64 * if high { 6 } else { 4 };
            if left > 0 {
                match rest.next() {
                    Some(next) if !next.is_empty() => {
                        high = next[0] & 1 != 0;
                        data = &next[1..];
                    }
                    _ => return sizes,
                }
            }
        }
        while skip > 0 {
            if data.is_empty() {
                match rest.next() {
                    Some(next) => data = next,
                    None => return sizes,
                }
            }
            let step = skip.min(data.len());
            data = &data[step..];
            skip -= step;
        }
        sizes.push(size);
    }
}

fn sheet_cells(stream: &[u8], from: usize) -> u64 {
    // (first row, last row, first column, last column) of the cells seen.
    let mut bounds: Option<(u16, u16, u16, u16)> = None;
    let mut declared = 0u64;
    for (kind, body) in records(stream, from) {
        let cells = if CELL_RECORDS.contains(&kind) {
            u16_at(body, 0).zip(u16_at(body, 2)).map(|(r, c)| (r, c, c))
        } else if RUN_RECORDS.contains(&kind) && body.len() >= 6 {
            let last = u16_at(body, body.len() - 2);
            u16_at(body, 0)
                .zip(u16_at(body, 2))
                .zip(last)
                .map(|((r, c0), c1)| (r, c0.min(c1), c0.max(c1)))
        } else {
            if kind == DIMENSIONS {
                declared = declared.max(
                    match (
                        u32_at(body, 0),
                        u32_at(body, 4),
                        u16_at(body, 8),
                        u16_at(body, 10),
                    ) {
                        (Some(r0), Some(r1), Some(c0), Some(c1)) if r0 <= r1 && c0 <= c1 => {
                            u64::from(r1 - r0) * u64::from(c1 - c0)
                        }
                        (Some(_), Some(_), Some(_), Some(_)) => u64::MAX,
                        _ => 0,
                    },
                );
            }
            None
        };
        if let Some((row, first, last)) = cells {
            bounds = Some(match bounds {
                None => (row, row, first, last),
                Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
            });
        }
    }
    let seen = bounds.map_or(0, |(r0, r1, c0, c1)| {
        (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
    });
    seen.max(declared)
}

const HEADER: u16 = 0x0014;
const FOOTER: u16 = 0x0015;
/// The text object of a cell comment or a text box.
const TXO: u16 = 0x01B6;

/// Per sheet: its page header and footer (where a classification mark is
/// often printed), read as `{sheet, cell: "header"|"footer"}` as in XLSX,
/// and its cell comments and text boxes, which are not read here and so
/// are one unreadable part per sheet.
fn sheet_extras(stream: &[u8]) -> (Vec<Segment>, Vec<Unreadable>) {
    let (mut segments, mut unreadable) = (Vec::new(), Vec::new());
    let mut seen = std::collections::HashSet::new();
    for (_, sheet) in records(stream, 0).filter(|(kind, _)| *kind == BOUND_SHEET) {
        let Some(at) = u32_at(sheet, 0)
            .map(|a| a as usize)
            .filter(|a| seen.insert(*a))
        else {
            continue;
        };
        // ShortXLUnicodeString after lbPlyPos, hsState and dt.
        let name = sheet
            .get(6)
            .and_then(|&cch| unicode_chars(sheet.get(7..)?, usize::from(cch)))
            .unwrap_or_default();
        let mut texts = 0;
        for (kind, body) in records(stream, at) {
            let cell = match kind {
                HEADER => "header",
                FOOTER => "footer",
                TXO => {
                    texts += 1;
                    continue;
                }
                _ => continue,
            };
            // XLUnicodeString: a 16-bit count, then flags and characters.
            let text = u16_at(body, 0)
                .and_then(|cch| unicode_chars(body.get(2..)?, usize::from(cch)))
                .filter(|t| !t.trim().is_empty());
            if let Some(text) = text {
                segments.push(Segment {
                    text,
                    location: Location::Cell {
                        sheet: Some(name.clone()),
                        cell: cell.into(),
                    },
                    column: None,
                });
            }
        }
        if texts > 0 {
            unreadable.push(Unreadable {
                location: Location::Package {
                    part: Part::Embedded,
                    name: format!("{name} comments and text boxes"),
                },
                what: format!("{texts} cell comments or text boxes"),
            });
        }
    }
    (segments, unreadable)
}

/// `cch` characters after a flags byte: UTF-16LE when its low bit is set,
/// else one byte each (the high byte of each UTF-16 unit is zero).
fn unicode_chars(flagged: &[u8], cch: usize) -> Option<String> {
    let (&flags, chars) = flagged.split_first()?;
    if flags & 1 == 1 {
        let units: Vec<u16> = chars
            .get(..cch.checked_mul(2)?)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(chars.get(..cch)?.iter().map(|&b| char::from(b)).collect())
    }
}

/// A cell's value as a reviewer reads it: numbers in plain digits (a phone
/// number stored as a number is still a phone number), dates as dates.
fn cell_text(value: &Data) -> String {
    match value {
        Data::Float(f) => plain_number(&f.to_string()),
        Data::DateTime(d) if d.is_datetime() => {
            let serial = d.as_f64().to_string();
            excel_date(&serial, false).unwrap_or(serial)
        }
        Data::Error(_) | Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn unreadable(e: XlsError) -> ExtractError {
    match e {
        XlsError::Password => ExtractError::Unsupported {
            detected: "password-protected workbook".into(),
        },
        e => ExtractError::malformed(format!("XLS: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut out = kind.to_le_bytes().to_vec();
        out.extend((body.len() as u16).to_le_bytes());
        out.extend(body);
        out
    }

    fn cell(row: u16, col: u16) -> Vec<u8> {
        record(
            0x0203,
            &[row.to_le_bytes(), col.to_le_bytes(), [0, 0]].concat(),
        )
    }

    /// Workbook globals listing `sheets` at the offsets they land at, then
    /// the sheets; `extra` bound sheets point at the first sheet again.
    fn workbook(sheets: &[Vec<Vec<u8>>], extra: usize) -> Vec<u8> {
        workbook_with(&[], sheets, extra)
    }

    /// [`workbook`] with more records (`globals`) after the bound sheets.
    fn workbook_with(globals: &[Vec<u8>], sheets: &[Vec<Vec<u8>>], extra: usize) -> Vec<u8> {
        let bof = record(0x0809, &[0; 16]);
        let eof = record(EOF, &[]);
        let count = sheets.len() + extra;
        // BOF, one 12-byte BoundSheet record per sheet, the rest, EOF.
        let globals = globals.concat();
        let globals_len = bof.len() + count * (4 + 8) + globals.len() + eof.len();
        let bodies: Vec<Vec<u8>> = sheets
            .iter()
            .map(|cells| {
                [vec![bof.clone()], cells.clone(), vec![eof.clone()]]
                    .concat()
                    .concat()
            })
            .collect();
        let mut at = globals_len;
        let mut offsets = Vec::new();
        for body in &bodies {
            offsets.push(at as u32);
            at += body.len();
        }
        offsets.extend(std::iter::repeat_n(offsets[0], extra));
        let mut out = bof.clone();
        for offset in offsets {
            out.extend(record(
                BOUND_SHEET,
                &[offset.to_le_bytes(), [0; 4]].concat(),
            ));
        }
        out.extend(globals);
        out.extend(eof);
        out.extend(bodies.concat());
        out
    }

    #[test]
    fn shared_strings_are_measured_across_continue_records_and_counted_per_cell() {
        // "ab" in one byte each; then 3 UTF-16 units of which one crosses
        // into a CONTINUE record that switches to one byte each, with a
        // formatting run (4 bytes) and a phonetic block (2 bytes) after.
        let mut sst = [2u32.to_le_bytes(), 2u32.to_le_bytes()].concat();
        sst.extend([2, 0, 0, b'a', b'b']);
        sst.extend([3, 0, 0x1 | 0x8 | 0x4, 1, 0, 2, 0, 0, 0]);
        sst.extend([0x2D, 0x4E, 0x87, 0x65]);
        let cont = [&[0u8, b'x'][..], &[0; 4], &[0; 2]].concat();
        let label = |row: u16, isst: u32| {
            record(
                LABEL_SST,
                &[&row.to_le_bytes()[..], &[0, 0, 0, 0], &isst.to_le_bytes()].concat(),
            )
        };
        let globals = [record(SST, &sst), record(CONTINUE, &cont)];
        assert_eq!(
            shared_string_sizes(&workbook_with(&globals, &[vec![]], 0)),
            [8, 16]
        );
        let cells: Vec<Vec<u8>> = (0..10).map(|r| label(r, r as u32 % 2)).collect();
        let book = workbook_with(&globals, &[cells], 1);
        // Ten cells on a sheet listed twice: 2 × (5 × 8 + 5 × 16).
        assert_eq!(shared_text_bytes(&book, u64::MAX), 240);
        assert!(shared_text_bytes(&book, 100) > 100);
        // A table cut short ends the measure rather than guessing.
        let cut = [record(SST, &sst[..sst.len() - 2])];
        assert_eq!(shared_string_sizes(&workbook_with(&cut, &[vec![]], 0)), [8]);
        // An empty CONTINUE is an empty string, as calamine reads it, and
        // the strings after it are measured; of two tables, the last counts.
        let tiny = [2u32.to_le_bytes(), 2u32.to_le_bytes()].concat();
        let long = [&[3u8, 0, 0][..], b"abc"].concat();
        let globals = [
            record(SST, &[8u32.to_le_bytes(), [0; 4]].concat()),
            record(SST, &tiny),
            record(CONTINUE, &[]),
            record(CONTINUE, &long),
        ];
        assert_eq!(
            shared_string_sizes(&workbook_with(&globals, &[vec![]], 0)),
            [0, 12]
        );
    }

    #[test]
    fn the_grid_of_each_sheet_is_counted_as_calamine_reads_the_sheets() {
        // Two cells in opposite corners: the whole 65536 × 256 grid.
        let corners = workbook(&[vec![cell(0, 0), cell(65535, 255)]], 0);
        assert_eq!(grid_cells(&corners, u64::MAX), 65_536 * 256);
        // A run of cells in one row spans its columns; sheets add up.
        let run = record(
            0x00BE,
            &[
                3u16.to_le_bytes(),
                2u16.to_le_bytes(),
                [0, 0],
                [0, 0],
                9u16.to_le_bytes(),
            ]
            .concat(),
        );
        let two = workbook(&[vec![cell(1, 1), cell(2, 2)], vec![run]], 0);
        assert_eq!(grid_cells(&two, u64::MAX), 4 + 8);
        // One sheet listed a thousand times is laid out a thousand times.
        let repeated = workbook(&[vec![cell(0, 0), cell(99, 9)]], 999);
        assert_eq!(grid_cells(&repeated, u64::MAX), 1000 * 1000);
        assert!(grid_cells(&repeated, 5_000) > 5_000);
        // Declared dimensions count, and backwards ones are past any limit.
        let dims = |r0: u32, r1: u32| {
            record(
                DIMENSIONS,
                &[
                    r0.to_le_bytes().as_slice(),
                    &r1.to_le_bytes(),
                    &[0, 0, 0, 1],
                    &[0, 0],
                ]
                .concat(),
            )
        };
        let declared = workbook(&[vec![dims(0, 1_000_000), cell(0, 0)]], 0);
        assert_eq!(grid_cells(&declared, u64::MAX), 1_000_000 * 256);
        let backwards = workbook(&[vec![dims(5, 1)]], 0);
        assert_eq!(grid_cells(&backwards, 10), u64::MAX);
        // Cut short anywhere: no panic.
        for cut in 0..two.len() {
            let _ = grid_cells(&two[..cut], u64::MAX);
            let _ = sheet_extras(&two[..cut]);
        }
    }

    #[test]
    fn page_headers_are_read_and_comments_reported_per_sheet() {
        let text = |s: &str| {
            let units: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
            [
                (s.encode_utf16().count() as u16).to_le_bytes().to_vec(),
                vec![1],
                units,
            ]
            .concat()
        };
        let sheet = vec![
            record(HEADER, &text("&C机密★10年")),
            record(FOOTER, &[]),
            record(TXO, &[0; 18]),
            record(TXO, &[0; 18]),
        ];
        let mut book = workbook(&[sheet], 0);
        // Name the sheet: cch 2, UTF-16 (flags 1), "名单".
        let at = book
            .windows(2)
            .position(|w| w == BOUND_SHEET.to_le_bytes())
            .unwrap();
        let named = [
            vec![2u8, 1],
            "名单".encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ]
        .concat();
        // The name replaces the body's empty count and flags: 4 bytes more.
        let grown = named.len() - 2;
        book.splice(at + 2..at + 4, (8 + grown as u16).to_le_bytes());
        book.splice(at + 10..at + 12, named);
        let offset = u32_at(&book, at + 4).unwrap() + grown as u32;
        book.splice(at + 4..at + 8, offset.to_le_bytes());
        let (segments, unreadable) = sheet_extras(&book);
        let got: Vec<(String, &str)> = segments
            .iter()
            .map(|s| (s.location.to_string(), s.text.as_str()))
            .collect();
        assert_eq!(got, [("名单!header".to_string(), "&C机密★10年")]);
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].what, "2 cell comments or text boxes");
    }
}
