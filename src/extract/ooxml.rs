//! The document properties and custom XML of an OOXML package, read as
//! segments for review; every rendition strips them
//! ([`super::members::is_stripped`]).

use quick_xml::events::Event;
use quick_xml::Reader;

use super::package::Package;
use super::xml::{attr, push_text, xml_error};
use super::{ExtractError, Location, Part, Segment};

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
pub(crate) fn read_properties(
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
}
