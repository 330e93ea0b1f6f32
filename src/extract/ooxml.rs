//! What every member of an OOXML package is, so that none goes out unread:
//! the stories and sheets the format readers read; the document properties
//! and custom XML, read here and stripped from every rendition; members
//! that hold no free text (styles, themes, relationships); and the rest —
//! images, embedded objects, charts, drawings, macros, anything unknown —
//! which become `UNREADABLE_CONTENT` for a person to look at.

use std::collections::HashSet;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::package::Package;
use super::xml::{attr, push_text, xml_error};
use super::{ExtractError, Location, Part, Segment, Unreadable};

/// Members removed from every rendition: document properties (author,
/// company, title, the list of sheet names, a thumbnail of page one) and
/// custom XML (SharePoint fields, bound data). They are read for review,
/// but nothing in them belongs in a published file.
pub(crate) fn is_stripped(member: &str) -> bool {
    member.starts_with("docProps/") || member.starts_with("customXml/")
}

/// Members with no free text of their own: formatting, relationships,
/// the calculation chain, fonts. Table definitions repeat the header
/// cells, which are read as cells; legacy VML drawings are the shapes of
/// cell comments, whose text is read from the comments part.
fn is_inert(member: &str) -> bool {
    const FILES: &[&str] = &[
        "styles.xml",
        "stylesWithEffects.xml",
        "settings.xml",
        "webSettings.xml",
        "fontTable.xml",
        "numbering.xml",
        "commentsExtended.xml",
        "commentsIds.xml",
        "commentsExtensible.xml",
        "calcChain.xml",
        "metadata.xml",
        "volatileDependencies.xml",
    ];
    const FOLDERS: &[&str] = &["/theme/", "/fonts/", "/printerSettings/", "/tables/"];
    let file = member.rsplit('/').next().unwrap_or(member);
    member == "[Content_Types].xml"
        || member.ends_with(".rels")
        || member.ends_with(".vml")
        || FILES.contains(&file)
        || FOLDERS.iter().any(|f| member.contains(f))
}

/// What a member the service does not read is, in a reviewer's words.
fn describe(member: &str) -> String {
    let ext = member
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let image = [
        "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "emf", "wmf", "svg", "webp",
    ];
    let what = if image.contains(&ext.as_str()) {
        return format!("image ({})", ext.to_ascii_uppercase());
    } else if member.ends_with("vbaProject.bin") {
        "macros (VBA project)"
    } else if member.contains("/embeddings/") || ext == "bin" {
        "embedded object"
    } else if member.contains("/charts/") {
        "chart"
    } else if member.contains("/drawings/") {
        "drawing (shapes, text boxes)"
    } else if member.contains("/pivotCache/") || member.contains("/pivotTables/") {
        "pivot table and its cached data"
    } else if member.contains("/externalLinks/") {
        "link to another workbook, with cached values"
    } else if member.contains("/glossary/") {
        "building blocks (glossary document)"
    } else if member.ends_with("people.xml") || member.contains("/persons/") {
        "comment authors"
    } else {
        "package part the service does not read"
    };
    what.to_owned()
}

/// Members that are neither read (`read` lists what the format reader
/// used), stripped nor inert: one finding each.
pub(crate) fn unreadable(names: &[String], read: &HashSet<&str>) -> Vec<Unreadable> {
    let mut out: Vec<Unreadable> = names
        .iter()
        .filter(|n| !n.ends_with('/'))
        .filter(|n| !read.contains(n.as_str()) && !is_stripped(n) && !is_inert(n))
        .map(|n| Unreadable {
            location: Location::Package {
                part: Part::Embedded,
                name: n.clone(),
            },
            what: describe(n),
        })
        .collect();
    out.sort_by(|a, b| {
        a.what
            .cmp(&b.what)
            .then(a.location.to_string().cmp(&b.location.to_string()))
    });
    out
}

/// The document properties and custom XML items of a package as segments,
/// one per property: core properties by element (`dc:creator`), extended
/// ones likewise (`Company`, `TitlesOfParts`), custom ones by their own
/// name, custom XML items by member. Their text is joined by `\n`.
pub(crate) fn properties(
    pkg: &mut Package,
    names: &[String],
) -> Result<Vec<Segment>, ExtractError> {
    let mut members: Vec<&String> = names
        .iter()
        .filter(|n| {
            matches!(
                n.as_str(),
                "docProps/core.xml" | "docProps/app.xml" | "docProps/custom.xml"
            ) || is_custom_item(n)
        })
        .collect();
    members.sort_by_key(|n| (!n.starts_with("docProps/"), n.as_str()));
    let mut out = Vec::new();
    for member in members {
        let Some(xml) = pkg.read_xml(member)? else {
            continue;
        };
        let whole_item = is_custom_item(member).then(|| member.clone());
        out.extend(read_properties(&xml, member, whole_item)?);
    }
    Ok(out)
}

/// Properties that hold counts, flags, timestamps or the writing
/// application: nothing a person wrote, so not worth a segment.
const MACHINE_PROPERTIES: &[&str] = &[
    "cp:revision",
    "cp:lastPrinted",
    "dcterms:created",
    "dcterms:modified",
    "Application",
    "AppVersion",
    "DocSecurity",
    "ScaleCrop",
    "LinksUpToDate",
    "SharedDoc",
    "HyperlinksChanged",
    "HeadingPairs",
    "TotalTime",
    "Pages",
    "Words",
    "Characters",
    "CharactersWithSpaces",
    "Lines",
    "Paragraphs",
];

/// `customXml/item1.xml`, not its `itemProps1.xml` or relationships.
fn is_custom_item(member: &str) -> bool {
    member
        .strip_prefix("customXml/item")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

/// Text under each child of the root, named by that child (its `name`
/// attribute when it has one, as custom properties do), or all of it under
/// `whole` when given.
fn read_properties(
    xml: &str,
    member: &str,
    whole: Option<String>,
) -> Result<Vec<Segment>, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    let mut current: Option<(String, String)> = whole.clone().map(|n| (n, String::new()));
    let mut out = Vec::new();
    let mut emit = |name: String, text: String| {
        if !text.trim().is_empty() && !MACHINE_PROPERTIES.contains(&name.as_str()) {
            out.push(Segment {
                text,
                location: Location::Package {
                    part: Part::Properties,
                    name,
                },
                column: None,
            });
        }
    };
    // An element boundary inside a property separates two values (the
    // entries of a `TitlesOfParts` vector); entity references do not.
    let mut boundary = false;
    loop {
        let event = reader.read_event().map_err(|e| xml_error(member, e))?;
        match &event {
            Event::Start(e) => {
                depth += 1;
                boundary = true;
                if depth == 2 && whole.is_none() {
                    let qname = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    current = Some((attr(e, b"name").unwrap_or(qname), String::new()));
                }
            }
            Event::End(_) => {
                boundary = true;
                if depth == 2 && whole.is_none() {
                    if let Some((name, text)) = current.take() {
                        emit(name, text);
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            ev => {
                if let Some((_, text)) = current.as_mut() {
                    let mut piece = String::new();
                    push_text(&mut piece, ev, member)?;
                    if !piece.is_empty() {
                        if boundary && !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(&piece);
                        boundary = false;
                    }
                }
            }
        }
    }
    if let Some((name, text)) = current.filter(|_| whole.is_some()) {
        emit(name, text);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_and_custom_properties_are_named() {
        let core = r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="c" xmlns:dc="d"><dc:title>机密★10年</dc:title><dc:creator>420704198503121233</dc:creator><cp:keywords>名单</cp:keywords><cp:revision>3</cp:revision></cp:coreProperties>"#;
        let segs = read_properties(core, "docProps/core.xml", None).unwrap();
        let named: Vec<(String, &str)> = segs
            .iter()
            .map(|s| (s.location.to_string(), s.text.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("properties dc:title".to_string(), "机密★10年"),
                ("properties dc:creator".to_string(), "420704198503121233"),
                ("properties cp:keywords".to_string(), "名单"),
            ]
        );
        let custom = r#"<Properties xmlns:vt="v"><property fmtid="x" pid="2" name="联系人"><vt:lpwstr>王建国</vt:lpwstr></property></Properties>"#;
        let segs = read_properties(custom, "docProps/custom.xml", None).unwrap();
        assert_eq!(segs[0].location.to_string(), "properties 联系人");
        assert_eq!(segs[0].text, "王建国");
    }

    #[test]
    fn vector_values_are_separated_and_custom_items_are_whole() {
        let app = r#"<Properties><TitlesOfParts><vt:vector><vt:lpstr>名单</vt:lpstr><vt:lpstr>汇总</vt:lpstr></vt:vector></TitlesOfParts></Properties>"#;
        let segs = read_properties(app, "docProps/app.xml", None).unwrap();
        assert_eq!(segs[0].text, "名单\n汇总");
        let item = r#"<root><a>13812345678</a><b>x</b></root>"#;
        let segs = read_properties(
            item,
            "customXml/item1.xml",
            Some("customXml/item1.xml".into()),
        )
        .unwrap();
        assert_eq!(segs.len(), 1);
        assert_eq!(segs[0].text, "13812345678\nx");
    }

    #[test]
    fn members_are_classified() {
        let names: Vec<String> = [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/styles.xml",
            "word/theme/theme1.xml",
            "word/media/image1.png",
            "word/embeddings/oleObject1.bin",
            "docProps/core.xml",
            "docProps/thumbnail.jpeg",
            "customXml/item1.xml",
            "word/charts/chart1.xml",
            "word/unknown.xml",
        ]
        .map(String::from)
        .to_vec();
        let read = HashSet::from(["word/document.xml"]);
        let found: Vec<(String, String)> = unreadable(&names, &read)
            .into_iter()
            .map(|u| (u.location.to_string(), u.what))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "embedded word/charts/chart1.xml".to_string(),
                    "chart".to_string()
                ),
                (
                    "embedded word/embeddings/oleObject1.bin".into(),
                    "embedded object".into()
                ),
                (
                    "embedded word/media/image1.png".into(),
                    "image (PNG)".into()
                ),
                (
                    "embedded word/unknown.xml".into(),
                    "package part the service does not read".into()
                ),
            ]
        );
        assert!(is_stripped("docProps/thumbnail.jpeg") && is_stripped("customXml/item1.xml"));
    }
}
