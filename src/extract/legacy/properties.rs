//! Document properties of a compound file (MS-OLEPS): the
//! `SummaryInformation` set (title, author …) and the two sets of
//! `DocumentSummaryInformation` (company, manager …, then the user's own
//! custom properties, named by its dictionary). A title of `机密★` or an
//! author's ID number is published with the file unless it is read here.

use std::collections::HashMap;

use encoding_rs::Encoding;

use super::{read_stream, u16_at, u32_at, Ole};
use crate::extract::{ExtractError, Limits, Location, Part, Segment};

/// The text properties of `SummaryInformation`, by property id.
const SUMMARY: &[(u32, &str)] = &[
    (2, "Title"),
    (3, "Subject"),
    (4, "Author"),
    (5, "Keywords"),
    (6, "Comments"),
    (8, "LastAuthor"),
];
/// The text properties of the first `DocumentSummaryInformation` set.
const DOCUMENT_SUMMARY: &[(u32, &str)] = &[(2, "Category"), (14, "Manager"), (15, "Company")];

const CODE_PAGE: u32 = 1;
const DICTIONARY: u32 = 0;
const VT_I2: u16 = 0x0002;
const VT_LPSTR: u16 = 0x001E;
const VT_LPWSTR: u16 = 0x001F;
/// The code page of UTF-16LE text in `VT_LPSTR` values.
const UTF16_CODE_PAGE: u16 = 1200;

/// Every text property of the file, as property segments.
pub(super) fn read(ole: &mut Ole<'_>, limits: &Limits) -> Result<Vec<Segment>, ExtractError> {
    let mut out = Vec::new();
    if let Some(bytes) = read_stream(ole, "/\u{5}SummaryInformation", limits)? {
        if let Some(set) = property_sets(&bytes).first() {
            out.extend(named(set, SUMMARY));
        }
    }
    if let Some(bytes) = read_stream(ole, "/\u{5}DocumentSummaryInformation", limits)? {
        let sets = property_sets(&bytes);
        if let Some(set) = sets.first() {
            out.extend(named(set, DOCUMENT_SUMMARY));
        }
        // The second set holds user-defined properties, named by its dictionary.
        if let Some(set) = sets.get(1) {
            out.extend(
                set.strings
                    .iter()
                    .map(|(id, text)| match set.dictionary.get(id) {
                        Some(name) => segment(name, text),
                        None => segment(&format!("custom property {id}"), text),
                    }),
            );
        }
    }
    Ok(out)
}

/// Every text property of `set`: known ones by name, others by id.
fn named<'a>(set: &'a PropertySet, names: &'a [(u32, &str)]) -> impl Iterator<Item = Segment> + 'a {
    set.strings.iter().map(
        move |(id, text)| match names.iter().find(|(known, _)| known == id) {
            Some((_, name)) => segment(name, text),
            None => segment(&format!("property {id}"), text),
        },
    )
}

fn segment(name: &str, text: &str) -> Segment {
    Segment {
        text: text.to_owned(),
        location: Location::Package {
            part: Part::Properties,
            name: name.to_owned(),
        },
        column: None,
    }
}

/// What one property set holds that can carry words.
#[derive(Debug, Default)]
struct PropertySet {
    /// Text values by property id, in stream order, empty ones left out.
    strings: Vec<(u32, String)>,
    /// Names of user-defined properties by id.
    dictionary: HashMap<u32, String>,
}

/// The property sets of a stream; a malformed stream or set yields what
/// could be read before it (properties never make a file unreadable).
fn property_sets(stream: &[u8]) -> Vec<PropertySet> {
    let count = u32_at(stream, 24).unwrap_or(0).min(2) as usize;
    (0..count)
        .filter_map(|i| {
            let offset = u32_at(stream, 28 + i * 20 + 16)? as usize;
            Some(property_set(stream.get(offset..)?))
        })
        .collect()
}

fn property_set(set: &[u8]) -> PropertySet {
    let count = u32_at(set, 4).unwrap_or(0) as usize;
    // Each entry takes 8 bytes: a count past the set's end is a lie.
    let entries: Vec<(u32, usize)> = (0..count.min(set.len() / 8))
        .filter_map(|i| Some((u32_at(set, 8 + i * 8)?, u32_at(set, 12 + i * 8)? as usize)))
        .collect();
    let code_page = entries
        .iter()
        .find(|(id, _)| *id == CODE_PAGE)
        .and_then(|&(_, at)| (u16_at(set, at)? == VT_I2).then(|| u16_at(set, at + 4))?)
        .unwrap_or(1252);
    let mut out = PropertySet::default();
    for &(id, at) in &entries {
        if id == DICTIONARY {
            out.dictionary = dictionary(set, at, code_page);
            continue;
        }
        if let Some(text) = text_value(set, at, code_page).filter(|t| !t.trim().is_empty()) {
            out.strings.push((id, text));
        }
    }
    out
}

/// A `VT_LPSTR` or `VT_LPWSTR` value at `at`.
fn text_value(set: &[u8], at: usize, code_page: u16) -> Option<String> {
    let kind = u16_at(set, at)?;
    let len = u32_at(set, at + 4)? as usize;
    let start = at + 8;
    match kind {
        VT_LPSTR => Some(decode(set.get(start..start.checked_add(len)?)?, code_page)),
        VT_LPWSTR => Some(utf16(
            set.get(start..start.checked_add(len.checked_mul(2)?)?)?,
        )),
        _ => None,
    }
}

/// The dictionary of user-defined property names (property id 0).
fn dictionary(set: &[u8], at: usize, code_page: u16) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    let count = u32_at(set, at).unwrap_or(0) as usize;
    let mut pos = at + 4;
    for _ in 0..count.min(set.len() / 8) {
        let (Some(id), Some(len)) = (u32_at(set, pos), u32_at(set, pos + 4)) else {
            break;
        };
        let len = len as usize;
        pos += 8;
        let bytes = if code_page == UTF16_CODE_PAGE {
            len.saturating_mul(2)
        } else {
            len
        };
        let Some(raw) = pos.checked_add(bytes).and_then(|end| set.get(pos..end)) else {
            break;
        };
        names.insert(id, decode(raw, code_page));
        pos += bytes;
        // Unicode names are padded to a multiple of 4 bytes.
        if code_page == UTF16_CODE_PAGE {
            pos = pos.next_multiple_of(4);
        }
    }
    names
}

/// Text in the set's code page, up to its terminating NUL.
fn decode(raw: &[u8], code_page: u16) -> String {
    if code_page == UTF16_CODE_PAGE {
        return utf16(raw);
    }
    let raw = raw.split(|&b| b == 0).next().unwrap_or_default();
    let encoding = codepage::to_encoding(code_page).unwrap_or(encoding_rs::WINDOWS_1252);
    let (text, _, _) = Encoding::decode(encoding, raw);
    text.into_owned()
}

fn utf16(raw: &[u8]) -> String {
    let units: Vec<u16> = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_property_is_read_named_or_not() {
        // A set of one VT_LPSTR property with id 77 in code page 1252.
        let value = b"secret\0\0";
        let mut set = Vec::new();
        set.extend(0u32.to_le_bytes()); // size, unused here
        set.extend(1u32.to_le_bytes());
        set.extend(77u32.to_le_bytes());
        set.extend(16u32.to_le_bytes());
        set.extend(VT_LPSTR.to_le_bytes());
        set.extend([0, 0]);
        set.extend((value.len() as u32).to_le_bytes());
        set.extend(value);
        let parsed = property_set(&set);
        let got: Vec<(String, String)> = named(&parsed, SUMMARY)
            .map(|s| (s.location.to_string(), s.text))
            .collect();
        assert_eq!(
            got,
            [("properties property 77".to_string(), "secret".to_string())]
        );
    }
}
