//! PDF through lopdf (pure Rust): the text layer of every page, decoded
//! with the fonts' `/ToUnicode` CMaps (the Type0/Identity-H fonts Chinese
//! PDFs use), one segment per page located `{"page": N, "line": L}` with
//! the line recomputed per finding; the document information dictionary
//! and the XMP metadata stream as properties.
//!
//! A page that draws image XObjects is `UNREADABLE_CONTENT` at `{"page": N}` (a
//! page with no text at all is "a scan or a picture"); so is a page whose
//! text the reader cannot decode. Images inside form XObjects and inline
//! images are not looked for. PDF has no exact redaction here: a finding
//! dispositioned `redact` needs a new version, as for OFD.
//!
//! lopdf bounds decompression but has panicked on hostile input in past
//! releases; a panic while reading is turned into a malformed-file error.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::content::Content;
use lopdf::{decode_text_string, Dictionary, Document, LoadOptions, Object, ObjectId};

use super::members;
use super::ooxml::read_properties;
use super::{
    Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Part, Segment, Unreadable,
};

/// Information-dictionary entries a program wrote, not a person.
const MACHINE_INFO: &[&[u8]] = &[
    b"Creator",
    b"Producer",
    b"CreationDate",
    b"ModDate",
    b"Trapped",
];

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    catch_unwind(AssertUnwindSafe(|| read(bytes, limits))).unwrap_or_else(|_| {
        Err(ExtractError::malformed(
            "the PDF reader failed on this file",
        ))
    })
}

fn read(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let budget = usize::try_from(limits.max_decompressed_bytes).unwrap_or(usize::MAX);
    let doc =
        Document::load_mem_with_options(bytes, LoadOptions::with_max_decompressed_size(budget))
            .map_err(|e| ExtractError::malformed(format!("PDF: {e}")))?;
    let pages = doc.get_pages();
    if pages.len() > limits.max_pages {
        return Err(ExtractError::too_large(
            format!("page count {}", pages.len()),
            limits.max_pages,
        ));
    }
    let (mut segments, mut unreadable) = (Vec::new(), Vec::new());
    for (&number, &page_id) in &pages {
        let page = number as usize;
        let mut text = String::new();
        let mut undecodable = false;
        for chunk in doc.extract_text_chunks_with_limit(&[number], budget) {
            match chunk {
                Ok(t) => text.push_str(&t),
                Err(_) => undecodable = true,
            }
        }
        let at = Location::Page { page, line: None };
        let images = image_count(&doc, page_id, budget);
        let what = match undecodable {
            true => Some("text the PDF reader cannot decode".to_owned()),
            false => members::drawn_images(images, !text.trim().is_empty()),
        };
        if let Some(what) = what {
            unreadable.push(Unreadable { location: at, what });
        }
        if !text.trim().is_empty() {
            segments.push(Segment {
                text,
                location: Location::Page {
                    page,
                    line: Some(1),
                },
                column: None,
            });
        }
    }
    segments.extend(info(&doc));
    segments.extend(xmp(&doc, budget)?);
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Pdf,
            encoding: None,
            segments,
            unreadable,
        },
        anchors: Anchors::ReadOnly,
    })
}

/// Images the page draws: `Do` operators naming an image XObject of its
/// resources (its own or inherited; writers often share one resource
/// dictionary among all pages, so what is listed says nothing).
fn image_count(doc: &Document, page_id: ObjectId, budget: usize) -> usize {
    let Ok(content) = doc.get_page_content_with_limit(page_id, budget) else {
        return 0;
    };
    let Ok(content) = Content::decode(&content) else {
        return 0;
    };
    let Ok((direct, referenced)) = doc.get_page_resources(page_id) else {
        return 0;
    };
    let xobjects: Vec<&Dictionary> = direct
        .into_iter()
        .chain(
            referenced
                .iter()
                .filter_map(|id| doc.get_dictionary(*id).ok()),
        )
        .filter_map(|resources| resources.get_deref(b"XObject", doc).ok()?.as_dict().ok())
        .collect();
    content
        .operations
        .iter()
        .filter(|op| op.operator == "Do")
        .filter_map(|op| op.operands.first()?.as_name().ok())
        .filter(|name| {
            xobjects
                .iter()
                .find_map(|x| x.get(name).ok())
                .is_some_and(|x| is_image(doc, x))
        })
        .count()
}

fn is_image(doc: &Document, object: &Object) -> bool {
    let dict: Option<&Dictionary> = match doc.dereference(object) {
        Ok((_, Object::Stream(s))) => Some(&s.dict),
        Ok((_, Object::Dictionary(d))) => Some(d),
        _ => None,
    };
    dict.and_then(|d| d.get(b"Subtype").ok())
        .and_then(|s| s.as_name().ok())
        == Some(b"Image".as_slice())
}

/// The information dictionary's text entries, named by key.
fn info(doc: &Document) -> Vec<Segment> {
    let Some(info) = doc
        .trailer
        .get_deref(b"Info", doc)
        .ok()
        .and_then(|o| o.as_dict().ok())
    else {
        return Vec::new();
    };
    info.iter()
        .filter(|(key, _)| !MACHINE_INFO.contains(&key.as_slice()))
        .filter_map(|(key, value)| {
            let text = decode_text_string(doc.dereference(value).ok()?.1).ok()?;
            let text = text.trim_start_matches('\u{feff}').to_owned();
            (!text.trim().is_empty()).then(|| Segment {
                text,
                location: Location::Package {
                    part: Part::Properties,
                    name: String::from_utf8_lossy(key).into_owned(),
                },
                column: None,
            })
        })
        .collect()
}

/// The catalog's XMP metadata stream as one segment named `XMP`.
fn xmp(doc: &Document, budget: usize) -> Result<Vec<Segment>, ExtractError> {
    let Some(stream) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get_deref(b"Metadata", doc).ok())
        .and_then(|o| o.as_stream().ok())
    else {
        return Ok(Vec::new());
    };
    let Ok(content) = stream.get_plain_content_with_limit(budget) else {
        return Err(ExtractError::too_large("PDF metadata stream", budget));
    };
    let xml = String::from_utf8_lossy(&content);
    // Metadata a parser cannot read is reported as text rather than lost.
    Ok(
        read_properties(&xml, "XMP", Some("XMP".into())).unwrap_or_else(|_| {
            vec![Segment {
                text: xml.into_owned(),
                location: Location::Package {
                    part: Part::Properties,
                    name: "XMP".into(),
                },
                column: None,
            }]
        }),
    )
}
