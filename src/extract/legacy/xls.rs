//! Excel 97–2003 and WPS `.et` workbooks (BIFF8), read with calamine: the
//! cells of every sheet, hidden and very hidden ones too (a hidden sheet of
//! ID numbers is the classic leak), and the defined names.
//!
//! calamine lays every sheet out as a dense grid when it opens the file,
//! so two cells in opposite corners cost the whole grid. The cell records
//! are walked first and a workbook whose grids together exceed `max_cells`
//! is refused before calamine sees it.

use std::io::Cursor;

use calamine::{Data, Reader, SheetType, Xls, XlsError};

use super::{read_stream, u16_at, Ole};

use super::super::xlsx::dates::{excel_date, plain_number};
use super::super::{
    cell_segment, Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Part,
    Segment,
};

pub(super) fn parse(
    ole: &mut Ole<'_>,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Parsed, ExtractError> {
    let stream = match read_stream(ole, "/Workbook", limits)? {
        Some(stream) => stream,
        None => read_stream(ole, "/Book", limits)?.unwrap_or_default(),
    };
    if grid_cells(&stream) > limits.max_cells as u64 {
        return Err(ExtractError::too_large(
            "cells of the workbook's sheets, laid out as grids",
            limits.max_cells,
        ));
    }
    let mut book = Xls::new(Cursor::new(bytes)).map_err(unreadable)?;
    let sheets: Vec<String> = book
        .sheets_metadata()
        .iter()
        // Chart and macro sheets hold no cells.
        .filter(|s| matches!(s.typ, SheetType::WorkSheet))
        .map(|s| s.name.clone())
        .collect();
    let (mut segments, mut rows, mut cells) = (Vec::new(), 0usize, 0usize);
    for name in sheets {
        let range = book.worksheet_range(&name).map_err(unreadable)?;
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
            segments.push(cell_segment(Some(&name), col, row, header, text));
        }
    }
    // A defined name's formula can hold a constant list or text.
    for (name, formula) in book.defined_names() {
        segments.push(Segment {
            text: formula.clone(),
            location: Location::Package {
                part: Part::Properties,
                name: format!("defined name {name}"),
            },
            column: None,
        });
    }
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Xls,
            encoding: None,
            segments,
            unreadable: Vec::new(),
        },
        anchors: Anchors::ReadOnly,
    })
}

/// BIFF records that hold one cell (row, then column, first) and the two
/// that hold a run of cells in a row (row, first column, …, last column).
const CELL_RECORDS: [u16; 8] = [
    0x00FD, 0x0204, 0x0203, 0x027E, 0x0201, 0x0006, 0x0205, 0x00D6,
];
const RUN_RECORDS: [u16; 2] = [0x00BD, 0x00BE];
const BOF: u16 = 0x0809;

/// The cells the sheets' grids will hold: for each substream, the area of
/// the box around its cell records.
fn grid_cells(stream: &[u8]) -> u64 {
    let u16_at = |at: usize| u16_at(stream, at);
    let (mut total, mut pos) = (0u64, 0usize);
    // (first row, last row, first column, last column) of the current sheet.
    let mut bounds: Option<(u16, u16, u16, u16)> = None;
    let area = |b: Option<(u16, u16, u16, u16)>| {
        b.map_or(0, |(r0, r1, c0, c1)| {
            (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1)
        })
    };
    while let (Some(kind), Some(len)) = (u16_at(pos), u16_at(pos + 2)) {
        let body = pos + 4;
        let cells = if CELL_RECORDS.contains(&kind) {
            u16_at(body).zip(u16_at(body + 2)).map(|(r, c)| (r, c, c))
        } else if RUN_RECORDS.contains(&kind) && len >= 6 {
            let last = u16_at(body + usize::from(len) - 2);
            u16_at(body)
                .zip(u16_at(body + 2))
                .zip(last)
                .map(|((r, c0), c1)| (r, c0.min(c1), c0.max(c1)))
        } else {
            if kind == BOF {
                total += area(bounds.take());
            }
            None
        };
        if let Some((row, first, last)) = cells {
            bounds = Some(match bounds {
                None => (row, row, first, last),
                Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(first), c1.max(last)),
            });
        }
        pos = body + usize::from(len);
    }
    total + area(bounds)
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

    #[test]
    fn the_grid_of_each_sheet_is_counted_before_calamine_lays_it_out() {
        let sheet = |cells: Vec<Vec<u8>>| [vec![record(BOF, &[0; 16])], cells].concat().concat();
        // Two cells in opposite corners: the whole 65536 × 256 grid.
        let corners = sheet(vec![cell(0, 0), cell(65535, 255)]);
        assert_eq!(grid_cells(&corners), 65_536 * 256);
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
        let two = [sheet(vec![cell(1, 1), cell(2, 2)]), sheet(vec![run])].concat();
        assert_eq!(grid_cells(&two), 4 + 8);
        // Cut short anywhere: no panic.
        for cut in 0..two.len() {
            let _ = grid_cells(&two[..cut]);
        }
    }
}
