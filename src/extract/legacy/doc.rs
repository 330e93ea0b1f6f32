//! Word 97–2003 and WPS `.wps` documents (MS-DOC): the text of every story
//! — body, footnotes, headers and footers, comments, endnotes, text boxes —
//! from the piece table, one segment per paragraph, located `{part,
//! paragraph}` as in DOCX. A field's code is read with its result (a
//! field may have no result, and its code is published with the file);
//! an inline picture or a drawn object is `UNREADABLE_CONTENT` where it
//! stands.

use super::{read_stream, u16_at, u32_at, Ole};
use crate::extract::{
    Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Part, Segment, Unreadable,
};

/// `wIdent` of a Word binary file.
const WORD_IDENT: u16 = 0xA5EC;
const F_ENCRYPTED: u16 = 0x0100;
const F_WHICH_TABLE_STREAM: u16 = 0x0200;
/// `fcClx` is the 34th fc/lcb pair of `FibRgFcLcb97`.
const CLX_PAIR: usize = 33;
/// In a piece descriptor, the flag of 8-bit (Windows-1252) text.
const F_COMPRESSED: u32 = 0x4000_0000;

/// The stories in the order their text follows each other (MS-DOC 2.4.1),
/// with the index of their length in `FibRgLw97`: body, footnotes,
/// headers and footers, comments, endnotes, text boxes, header text boxes.
const STORIES: [(usize, Part); 7] = [
    (3, Part::Body),
    (4, Part::Footnote),
    (5, Part::Header),
    (7, Part::Comment),
    (8, Part::Endnote),
    (9, Part::Body),
    (10, Part::Header),
];

fn short(what: &str) -> ExtractError {
    ExtractError::malformed(format!("DOC: the {what} is cut short"))
}

pub(super) fn parse(ole: &mut Ole<'_>, limits: &Limits) -> Result<Parsed, ExtractError> {
    let word = read_stream(ole, "/WordDocument", limits)?
        .ok_or_else(|| ExtractError::malformed("DOC: no WordDocument stream"))?;
    if u16_at(&word, 0) != Some(WORD_IDENT) {
        return Err(ExtractError::malformed(
            "DOC: the WordDocument stream does not start a Word file",
        ));
    }
    let flags = u16_at(&word, 0x0A).ok_or_else(|| short("file header"))?;
    if flags & F_ENCRYPTED != 0 {
        return Err(ExtractError::Unsupported {
            detected: "password-protected document".into(),
        });
    }
    let fib = Fib::read(&word).ok_or_else(|| short("file information block"))?;
    let table_name = if flags & F_WHICH_TABLE_STREAM != 0 {
        "/1Table"
    } else {
        "/0Table"
    };
    let table = read_stream(ole, table_name, limits)?
        .ok_or_else(|| ExtractError::malformed(format!("DOC: no {} stream", &table_name[1..])))?;
    let clx = table
        .get(fib.clx.0..fib.clx.0.saturating_add(fib.clx.1))
        .ok_or_else(|| short("piece table"))?;
    let text = piece_text(&word, clx, limits)?;
    let (segments, unreadable) = paragraphs(&text, &fib.story_lengths);
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Doc,
            encoding: None,
            segments,
            unreadable,
        },
        anchors: Anchors::ReadOnly,
    })
}

/// What the file information block says about where the text is.
struct Fib {
    /// Characters in each of [`STORIES`].
    story_lengths: [usize; 7],
    /// Offset and length of the `Clx` in the table stream.
    clx: (usize, usize),
}

impl Fib {
    fn read(word: &[u8]) -> Option<Self> {
        // FibBase (32 bytes), then counted arrays of shorts, longs and pairs.
        let csw = usize::from(u16_at(word, 32)?);
        let lw = 34 + csw * 2;
        let cslw = usize::from(u16_at(word, lw)?);
        let rg_lw = lw + 2;
        let fc_lcb = rg_lw + cslw * 4;
        let pairs = usize::from(u16_at(word, fc_lcb)?);
        if cslw < 11 || pairs <= CLX_PAIR {
            return None;
        }
        let mut story_lengths = [0usize; 7];
        for (slot, (index, _)) in story_lengths.iter_mut().zip(STORIES) {
            *slot = u32_at(word, rg_lw + index * 4)? as usize;
        }
        let clx = fc_lcb + 2 + CLX_PAIR * 8;
        Some(Self {
            story_lengths,
            clx: (u32_at(word, clx)? as usize, u32_at(word, clx + 4)? as usize),
        })
    }
}

/// The document's characters in CP order, from the piece table in `clx`.
fn piece_text(word: &[u8], clx: &[u8], limits: &Limits) -> Result<Vec<u16>, ExtractError> {
    // Skip the Prc records (formatting) to the Pcdt, which holds the PlcPcd.
    let mut at = 0;
    let plc = loop {
        match clx.get(at) {
            Some(1) => {
                let size = u16_at(clx, at + 1).ok_or_else(|| short("piece table"))?;
                at += 3 + usize::from(size);
            }
            Some(2) => {
                let size = u32_at(clx, at + 1).ok_or_else(|| short("piece table"))? as usize;
                break clx
                    .get(at + 5..(at + 5).saturating_add(size))
                    .ok_or_else(|| short("piece table"))?;
            }
            _ => return Err(ExtractError::malformed("DOC: no piece table")),
        }
    };
    if plc.len() < 4 {
        return Err(short("piece table"));
    }
    let pieces = (plc.len() - 4) / 12;
    let cp = |i: usize| u32_at(plc, i * 4).map(|v| v as usize);
    let mut text: Vec<u16> = Vec::new();
    for i in 0..pieces {
        let (start, end) = (
            cp(i).ok_or_else(|| short("piece table"))?,
            cp(i + 1).unwrap_or(0),
        );
        let length = end
            .checked_sub(start)
            .ok_or_else(|| ExtractError::malformed("DOC: the piece table runs backwards"))?;
        let descriptor = (pieces + 1) * 4 + i * 8;
        let fc = u32_at(plc, descriptor + 2).ok_or_else(|| short("piece table"))?;
        // Every character costs at least a byte of the stream: a piece
        // longer than the stream is a lie, not a reason to allocate.
        if text.len().saturating_add(length) > word.len() {
            return Err(ExtractError::too_large(
                "text of the document",
                limits.max_decompressed_bytes.min(word.len() as u64),
            ));
        }
        if fc & F_COMPRESSED != 0 {
            let from = ((fc & !F_COMPRESSED) / 2) as usize;
            let bytes = word
                .get(from..from.saturating_add(length))
                .ok_or_else(|| short("text"))?;
            let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            text.extend(decoded.encode_utf16());
        } else {
            let from = fc as usize;
            let bytes = word
                .get(from..from.saturating_add(length.saturating_mul(2)))
                .ok_or_else(|| short("text"))?;
            text.extend(
                bytes
                    .chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]])),
            );
        }
    }
    Ok(text)
}

/// Special characters of the text stream (MS-DOC 2.8.25 and fields).
const PARAGRAPH_END: u16 = 0x0D;
const CELL_END: u16 = 0x07;
const PAGE_BREAK: u16 = 0x0C;
const LINE_BREAK: u16 = 0x0B;
const FIELD_BEGIN: u16 = 0x13;
const FIELD_SEPARATOR: u16 = 0x14;
const FIELD_END: u16 = 0x15;
const INLINE_PICTURE: u16 = 0x01;
const DRAWN_OBJECT: u16 = 0x08;
const NON_BREAKING_HYPHEN: u16 = 0x1E;

/// The stories' paragraphs as segments, and the pictures and drawn
/// objects where they stand.
fn paragraphs(text: &[u16], lengths: &[usize; 7]) -> (Vec<Segment>, Vec<Unreadable>) {
    let (mut segments, mut unreadable) = (Vec::new(), Vec::new());
    let mut paragraph_of: Vec<(Part, usize)> = Vec::new();
    let mut start = 0usize;
    for (&length, (_, part)) in lengths.iter().zip(STORIES) {
        let end = start.saturating_add(length).min(text.len());
        // Text boxes continue the numbering of the story they belong to.
        let paragraph = match paragraph_of.iter_mut().find(|(p, _)| *p == part) {
            Some((_, n)) => n,
            None => {
                paragraph_of.push((part, 0));
                &mut paragraph_of.last_mut().expect("just pushed").1
            }
        };
        let mut current: Vec<u16> = Vec::new();
        let location = |paragraph: usize| Location::Docx {
            part,
            paragraph: Some(paragraph),
            table_cell: None,
        };
        for &unit in text.get(start..end).unwrap_or_default() {
            match unit {
                // The marks only: code and result are both text.
                FIELD_BEGIN | FIELD_SEPARATOR | FIELD_END => {}
                PARAGRAPH_END | CELL_END | PAGE_BREAK => {
                    *paragraph += 1;
                    push_paragraph(&mut segments, &mut current, location(*paragraph));
                }
                INLINE_PICTURE | DRAWN_OBJECT => unreadable.push(Unreadable {
                    location: location(*paragraph + 1),
                    what: if unit == INLINE_PICTURE {
                        "picture".into()
                    } else {
                        "drawn object or text box".into()
                    },
                }),
                LINE_BREAK => current.push(u16::from(b'\n')),
                NON_BREAKING_HYPHEN => current.push(u16::from(b'-')),
                u if u < 0x20 && u != u16::from(b'\t') => {}
                u => current.push(u),
            }
        }
        if !current.is_empty() {
            *paragraph += 1;
            push_paragraph(&mut segments, &mut current, location(*paragraph));
        }
        start = end;
    }
    (segments, unreadable)
}

fn push_paragraph(segments: &mut Vec<Segment>, current: &mut Vec<u16>, location: Location) {
    let text = String::from_utf16_lossy(current);
    current.clear();
    if !text.trim().is_empty() {
        segments.push(Segment {
            text,
            location,
            column: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn stories_split_into_paragraphs_and_fields_keep_code_and_result() {
        let body =
            "联系人：王建国\r电话\u{13} HYPERLINK \"tel:1\" \u{14}13812345678\u{15}\r\u{1}\r";
        let footnote = "注：身份证号420704198503121233\r";
        let header = "机密★10年\r\r";
        let text = units(&format!("{body}{footnote}{header}"));
        let lengths = [
            units(body).len(),
            units(footnote).len(),
            units(header).len(),
            0,
            0,
            0,
            0,
        ];
        let (segments, unreadable) = paragraphs(&text, &lengths);
        let got: Vec<(String, &str)> = segments
            .iter()
            .map(|s| (s.location.to_string(), s.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("body ¶1".to_string(), "联系人：王建国"),
                (
                    "body ¶2".to_string(),
                    "电话 HYPERLINK \"tel:1\" 13812345678"
                ),
                ("footnote ¶1".to_string(), "注：身份证号420704198503121233"),
                ("header ¶1".to_string(), "机密★10年"),
            ]
        );
        assert_eq!(unreadable.len(), 1);
        assert_eq!(unreadable[0].location.to_string(), "body ¶3");
    }

    #[test]
    fn lengths_past_the_text_stop_at_its_end() {
        let text = units("甲\r乙");
        let (segments, _) = paragraphs(&text, &[usize::MAX, usize::MAX, 9, 9, 9, 9, 9]);
        assert_eq!(segments.len(), 2);
    }
}
