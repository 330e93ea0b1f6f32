//! Office 97–2003 fixtures written from their specifications (no Rust
//! writer exists): a Word binary document (MS-DOC: a file information
//! block, the text in pieces, the piece table) and property set streams
//! (MS-OLEPS), in a compound file written with `cfb`. Shared by the domain
//! and API tests through `#[path]`. `tests/fixtures/legacy/roster.xls`
//! comes from a real writer (xlwt, see `make_xls.py`).
#![allow(dead_code)] // each test binary uses part of it

use std::io::Write;

/// Stories of a document, as Word keeps them: each paragraph ends in `\r`.
#[derive(Default)]
pub struct Stories<'a> {
    pub body: &'a str,
    pub footnotes: &'a str,
    pub headers: &'a str,
}

/// Properties by id: `(id, text)`.
pub type Properties<'a> = &'a [(u32, &'a str)];

/// A property set stream: each set a code page, its `(id, text)` values
/// (`VT_LPSTR` in that code page) and its dictionary of `(id, name)`.
pub fn property_stream(sets: &[(u16, Properties, Properties)]) -> Vec<u8> {
    let encode = |text: &str, code_page: u16| -> Vec<u8> {
        let encoding = codepage::to_encoding(code_page).unwrap();
        let mut bytes = encoding.encode(text).0.into_owned();
        bytes.push(0);
        bytes
    };
    let mut bodies = Vec::new();
    for (code_page, values, names) in sets {
        // Property 1 is the code page (VT_I2).
        let mut props: Vec<(u32, Vec<u8>)> = vec![(
            1,
            [2u16.to_le_bytes(), [0, 0], code_page.to_le_bytes(), [0, 0]].concat(),
        )];
        if !names.is_empty() {
            let mut dict = (names.len() as u32).to_le_bytes().to_vec();
            for (id, name) in names.iter() {
                let bytes = encode(name, *code_page);
                dict.extend(id.to_le_bytes());
                dict.extend((bytes.len() as u32).to_le_bytes());
                dict.extend(bytes);
            }
            props.push((0, dict));
        }
        for (id, value) in values.iter() {
            let bytes = encode(value, *code_page);
            let mut prop = [0x1Eu16.to_le_bytes(), [0, 0]].concat();
            prop.extend((bytes.len() as u32).to_le_bytes());
            prop.extend(bytes);
            props.push((*id, prop));
        }
        let header = 8 + props.len() * 8;
        let (mut index, mut data) = (Vec::new(), Vec::new());
        for (id, mut prop) in props {
            prop.resize(prop.len().next_multiple_of(4), 0);
            index.extend(id.to_le_bytes());
            index.extend(((header + data.len()) as u32).to_le_bytes());
            data.extend(prop);
        }
        let mut body = ((header + data.len()) as u32).to_le_bytes().to_vec();
        body.extend(((index.len() / 8) as u32).to_le_bytes());
        body.extend(index);
        body.extend(data);
        bodies.push(body);
    }
    let mut out = [0xFFFEu16.to_le_bytes(), [0, 0]].concat();
    out.extend([0u8; 20]);
    out.extend((sets.len() as u32).to_le_bytes());
    let mut offset = 28 + sets.len() * 20;
    for body in &bodies {
        out.extend([0u8; 16]);
        out.extend((offset as u32).to_le_bytes());
        offset += body.len();
    }
    for body in bodies {
        out.extend(body);
    }
    out
}

/// Where the text starts in the WordDocument stream, after the FIB.
const TEXT_AT: usize = 1024;

/// A Word 97 document of `stories`: ASCII runs stored as 8-bit pieces,
/// the rest as UTF-16 pieces (as Word saves mixed text); `summary` is the
/// `SummaryInformation` stream, if any.
pub fn doc(stories: &Stories, summary: Option<&[u8]>) -> Vec<u8> {
    let text = format!("{}{}{}", stories.body, stories.footnotes, stories.headers);
    let mut word = vec![0u8; TEXT_AT];
    // The text, in pieces: (first CP, fc).
    let mut pieces: Vec<(u32, u32)> = Vec::new();
    let mut cp = 0u32;
    let chars: Vec<char> = text.chars().collect();
    for run in chars.chunk_by(|a, b| a.is_ascii() == b.is_ascii()) {
        let at = word.len() as u32;
        if run[0].is_ascii() {
            pieces.push((cp, (at * 2) | 0x4000_0000));
            word.extend(run.iter().map(|&c| c as u8));
        } else {
            pieces.push((cp, at));
            let s: String = run.iter().collect();
            word.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        }
        cp += run.iter().map(|c| c.len_utf16() as u32).sum::<u32>();
    }
    // The piece table: CPs, then one 8-byte descriptor per piece.
    let mut plc = Vec::new();
    for (start, _) in &pieces {
        plc.extend(start.to_le_bytes());
    }
    plc.extend(cp.to_le_bytes());
    for (_, fc) in &pieces {
        plc.extend([0u8, 0]);
        plc.extend(fc.to_le_bytes());
        plc.extend([0u8, 0]);
    }
    let mut table = vec![0u8; 16]; // what else a table stream holds
    let clx_at = table.len() as u32;
    table.push(2);
    table.extend((plc.len() as u32).to_le_bytes());
    table.extend(&plc);
    let clx_len = table.len() as u32 - clx_at;

    // The FIB: FibBase, 14 shorts, 22 longs, 93 fc/lcb pairs (Word 97).
    let put16 =
        |w: &mut Vec<u8>, at: usize, v: u16| w[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |w: &mut Vec<u8>, at: usize, v: u32| w[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut word, 0, 0xA5EC);
    put16(&mut word, 2, 0x00C1);
    put16(&mut word, 0x0A, 0x0200); // fWhichTblStm: the 1Table stream
    put16(&mut word, 32, 14);
    put16(&mut word, 62, 22);
    let units = |s: &str| s.encode_utf16().count() as u32;
    put32(&mut word, 64 + 3 * 4, units(stories.body));
    put32(&mut word, 64 + 4 * 4, units(stories.footnotes));
    put32(&mut word, 64 + 5 * 4, units(stories.headers));
    put16(&mut word, 152, 93);
    put32(&mut word, 154 + 33 * 8, clx_at);
    put32(&mut word, 154 + 33 * 8 + 4, clx_len);

    let mut ole = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    let mut streams: Vec<(&str, &[u8])> = vec![("/WordDocument", &word), ("/1Table", &table)];
    if let Some(summary) = summary {
        streams.push(("/\u{5}SummaryInformation", summary));
    }
    for (name, bytes) in streams {
        ole.create_stream(name).unwrap().write_all(bytes).unwrap();
    }
    ole.flush().unwrap();
    ole.into_inner().into_inner()
}

/// The BIFF8 workbook of `tests/fixtures/legacy/roster.xls`.
pub fn roster_xls() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/legacy/roster.xls"
    ))
    .unwrap()
}
