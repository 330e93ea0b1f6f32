//! PDF fixtures written with lopdf: Chinese text in a Type0 font with
//! `Identity-H` encoding and a `/ToUnicode` CMap, as office suites and
//! printers write Chinese PDFs (no font program embedded: readers of the
//! text layer need none). Shared by the domain and API tests via `#[path]`.
#![allow(dead_code)] // each test binary uses part of it

use lopdf::content::{Content, Operation};
use lopdf::{dictionary, text_string, Document, Object, Stream, StringFormat};

/// What one page holds.
pub enum PdfPage<'a> {
    /// Lines of text, top to bottom.
    Text(&'a [&'a str]),
    /// One full-page image and no text: a scan.
    Scan,
}

/// A PDF of `pages`, with `info` entries in its information dictionary.
pub fn pdf(pages: &[PdfPage], info: &[(&str, &str)]) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    // One CID per distinct character, mapped back by the ToUnicode CMap.
    let mut chars: Vec<char> = pages
        .iter()
        .flat_map(|p| match p {
            PdfPage::Text(lines) => lines.concat().chars().collect::<Vec<_>>(),
            PdfPage::Scan => Vec::new(),
        })
        .collect();
    chars.sort_unstable();
    chars.dedup();
    let cid = |c: char| chars.binary_search(&c).unwrap() as u16 + 1;
    let cmap = to_unicode(&chars);
    let cmap_id = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
    let descendant = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "SimSun",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "CIDToGIDMap" => "Identity",
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "SimSun",
        "Encoding" => "Identity-H", "DescendantFonts" => vec![descendant.into()],
        "ToUnicode" => cmap_id,
    });
    let image = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image", "Width" => 1, "Height" => 1,
            "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8,
        },
        vec![0x80],
    ));
    let mut kids = Vec::new();
    for page in pages {
        let operations = match page {
            PdfPage::Text(lines) => lines
                .iter()
                .enumerate()
                .flat_map(|(i, line)| {
                    let codes: Vec<u8> = line.chars().flat_map(|c| cid(c).to_be_bytes()).collect();
                    vec![
                        Operation::new("BT", vec![]),
                        Operation::new("Tf", vec!["F1".into(), 12.into()]),
                        Operation::new("Td", vec![72.into(), (760 - 20 * i as i64).into()]),
                        Operation::new(
                            "Tj",
                            vec![Object::String(codes, StringFormat::Hexadecimal)],
                        ),
                        Operation::new("ET", vec![]),
                    ]
                })
                .collect(),
            PdfPage::Scan => vec![
                Operation::new("q", vec![]),
                Operation::new(
                    "cm",
                    vec![
                        595.into(),
                        0.into(),
                        0.into(),
                        842.into(),
                        0.into(),
                        0.into(),
                    ],
                ),
                Operation::new("Do", vec!["Im1".into()]),
                Operation::new("Q", vec![]),
            ],
        };
        let content = Content { operations }.encode().unwrap();
        let content_id = doc.add_object(Stream::new(dictionary! {}, content));
        kids.push(Object::from(doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => font },
                "XObject" => dictionary! { "Im1" => image },
            },
        })));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    if !info.is_empty() {
        let mut dict = lopdf::Dictionary::new();
        for (k, v) in info {
            dict.set(k.as_bytes().to_vec(), text_string(v));
        }
        let info_id = doc.add_object(dict);
        doc.trailer.set("Info", info_id);
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn to_unicode(chars: &[char]) -> String {
    let entries: String = chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut units = [0u16; 2];
            let hex: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            format!("<{:04X}> <{hex}>\n", i + 1)
        })
        .collect();
    format!(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n{} beginbfchar\n{entries}endbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n",
        chars.len()
    )
}
