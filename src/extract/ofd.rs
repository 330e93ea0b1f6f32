//! OFD (GB/T 33190, the national electronic-document format): a zip
//! package whose `OFD.xml` names each document's `Document.xml`, which
//! lists the pages (`BaseLoc` of each `Content.xml`), template pages and
//! annotations. Text is the content of `TextCode` elements.
//!
//! One segment per page, located `{"page": N}` (1-based across all
//! documents of the file); text objects on one baseline are joined, a new
//! baseline starts a new line. Template pages (where a red-header 红头 or a
//! classification mark is often drawn) are segments of their own, located
//! `{"part": "template", "name": <member>}`; annotations on a page are
//! read with their page. `DocInfo` entries are properties, as in OOXML.
//! Every image object is `UNREADABLE_CONTENT` where it is drawn, so a
//! scanned page is one. OFD has no exact redaction here: a finding
//! dispositioned `redact` needs a new version (see `redact`).

use std::collections::HashSet;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::members;
use super::package::{resolve, Package};
use super::xml::{attr, push_text, xml_error};
use super::{
    Anchors, ExtractError, Extracted, FileKind, Limits, Location, Parsed, Part, Segment, Unreadable,
};

/// Baselines closer than this (in millimetres, OFD's unit) are one line.
const SAME_LINE_MM: f64 = 0.5;
/// `DocInfo` entries a program wrote, not a person.
const MACHINE_INFO: &[&str] = &[
    "DocID",
    "CreationDate",
    "ModDate",
    "Creator",
    "CreatorVersion",
    "DocUsage",
    "Cover",
];

pub(crate) fn parse(bytes: &[u8], limits: &Limits) -> Result<Parsed, ExtractError> {
    let mut pkg = Package::open(bytes, limits)?;
    let names = pkg.names();
    let root = pkg
        .read_xml("OFD.xml")?
        .ok_or_else(|| ExtractError::malformed("OFD.xml is missing"))?;
    let (doc_roots, mut properties) = read_root(&root)?;
    let mut reader = OfdReader {
        limits,
        read: HashSet::from(["OFD.xml".to_owned()]),
        segments: Vec::new(),
        unreadable: Vec::new(),
        pages: 0,
    };
    for doc_root in doc_roots {
        reader.read_document(&mut pkg, &resolve("", &doc_root))?;
    }
    reader.segments.append(&mut properties);
    // Image files are reported where a page draws them, not once more by name.
    let images = ["png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "jb2"];
    let read: HashSet<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| {
            reader.read.contains(*n)
                || n.rsplit_once('.')
                    .is_some_and(|(_, e)| images.contains(&e.to_ascii_lowercase().as_str()))
        })
        .collect();
    let mut unreadable = reader.unreadable;
    unreadable.extend(members::unreadable(&names, &read));
    Ok(Parsed {
        extracted: Extracted {
            kind: FileKind::Ofd,
            encoding: None,
            segments: reader.segments,
            unreadable,
        },
        anchors: Anchors::ReadOnly,
    })
}

/// The `DocRoot` of every `DocBody`, and the `DocInfo` entries as segments.
fn read_root(xml: &str) -> Result<(Vec<String>, Vec<Segment>), ExtractError> {
    let mut reader = Reader::from_str(xml);
    let (mut roots, mut info) = (Vec::new(), Vec::new());
    // Open elements' local names, and the `Name` of a `CustomData`.
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let mut text = String::new();
    loop {
        let event = reader.read_event().map_err(|e| xml_error("OFD.xml", e))?;
        match &event {
            Event::Start(e) => {
                stack.push((local(e), attr(e, b"Name")));
                text.clear();
            }
            Event::End(_) => {
                let Some((name, custom)) = stack.pop() else {
                    continue;
                };
                let in_info = stack.iter().any(|(n, _)| n == "DocInfo");
                let value = std::mem::take(&mut text);
                if name == "DocRoot" {
                    roots.push(value.trim().to_owned());
                } else if in_info && !value.trim().is_empty() {
                    // Named by the entry under DocInfo (Keywords for each
                    // Keyword), a custom entry by its own name.
                    let entry = stack
                        .iter()
                        .skip_while(|(n, _)| n != "DocInfo")
                        .nth(1)
                        .map_or(name.clone(), |(n, _)| n.clone());
                    let name = custom.unwrap_or(entry);
                    if !MACHINE_INFO.contains(&name.as_str()) {
                        info.push(Segment {
                            text: value,
                            location: Location::Package {
                                part: Part::Properties,
                                name,
                            },
                            column: None,
                        });
                    }
                }
            }
            Event::Eof => return Ok((roots, info)),
            ev => push_text(&mut text, ev, "OFD.xml")?,
        }
    }
}

fn local(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).into_owned()
}

struct OfdReader<'l> {
    limits: &'l Limits,
    /// Members read, for the unreadable-part check.
    read: HashSet<String>,
    segments: Vec<Segment>,
    unreadable: Vec<Unreadable>,
    pages: usize,
}

/// What `Document.xml` points at, as member names.
#[derive(Default)]
struct Plan {
    pages: Vec<String>,
    templates: Vec<String>,
    annotations: Option<String>,
}

impl OfdReader<'_> {
    fn read_document(&mut self, pkg: &mut Package, member: &str) -> Result<(), ExtractError> {
        let xml = pkg
            .read_xml(member)?
            .ok_or_else(|| ExtractError::malformed(format!("{member} is missing")))?;
        self.read.insert(member.to_owned());
        let base = member.rsplit_once('/').map_or("", |(d, _)| d);
        let plan = document_plan(&xml, member, base)?;
        for template in &plan.templates {
            let location = Location::Package {
                part: Part::Template,
                name: template.clone(),
            };
            self.read_content(pkg, template, location)?;
        }
        // PageID → member of its annotations.
        let annotations = match &plan.annotations {
            Some(list) => self.annotation_list(pkg, list)?,
            None => Vec::new(),
        };
        let first = self.pages;
        for (index, page) in plan.pages.iter().enumerate() {
            self.pages += 1;
            if self.pages > self.limits.max_pages {
                return Err(ExtractError::too_large("page count", self.limits.max_pages));
            }
            let location = Location::Page {
                page: first + index + 1,
                line: None,
            };
            self.read_content(pkg, page, location.clone())?;
            for (_, annot) in annotations.iter().filter(|(i, _)| *i == index) {
                self.read_content(pkg, annot, location.clone())?;
            }
        }
        Ok(())
    }

    /// Members of the annotations of each page, by page index.
    fn annotation_list(
        &mut self,
        pkg: &mut Package,
        list: &str,
    ) -> Result<Vec<(usize, String)>, ExtractError> {
        let Some(xml) = pkg.read_xml(list)? else {
            return Ok(Vec::new());
        };
        self.read.insert(list.to_owned());
        let base = list.rsplit_once('/').map_or("", |(d, _)| d);
        let mut reader = Reader::from_str(&xml);
        let (mut out, mut page, mut text) = (Vec::new(), None, String::new());
        let mut page_ids: Vec<String> = Vec::new();
        loop {
            let event = reader.read_event().map_err(|e| xml_error(list, e))?;
            match &event {
                Event::Start(e) if local(e) == "Page" => {
                    let id = attr(e, b"PageID").unwrap_or_default();
                    page_ids.push(id);
                    page = Some(page_ids.len() - 1);
                }
                Event::Start(e) if local(e) == "FileLoc" => text.clear(),
                Event::End(e) if e.local_name().as_ref() == b"FileLoc" => {
                    if let Some(index) = page {
                        out.push((index, resolve(base, text.trim())));
                    }
                }
                Event::Eof => return Ok(out),
                ev => push_text(&mut text, ev, list)?,
            }
        }
    }

    /// Reads one content part (a page, a template, an annotation file):
    /// its text as one segment at `location`, each image object as
    /// unreadable there.
    fn read_content(
        &mut self,
        pkg: &mut Package,
        member: &str,
        location: Location,
    ) -> Result<(), ExtractError> {
        let Some(xml) = pkg.read_xml(member)? else {
            return Err(ExtractError::malformed(format!("{member} is missing")));
        };
        self.read.insert(member.to_owned());
        let mut reader = Reader::from_str(&xml);
        let mut lines = Lines::default();
        // The baseline of the open text object, and the open TextCode's text.
        let (mut object_y, mut code): (f64, Option<(f64, String)>) = (0.0, None);
        let mut images = 0usize;
        loop {
            let event = reader.read_event().map_err(|e| xml_error(member, e))?;
            match &event {
                Event::Start(e) | Event::Empty(e) if local(e) == "TextObject" => {
                    object_y = attr(e, b"Boundary")
                        .and_then(|b| b.split_whitespace().nth(1)?.parse().ok())
                        .unwrap_or(0.0);
                }
                Event::Start(e) if local(e) == "TextCode" => {
                    let y: f64 = attr(e, b"Y").and_then(|y| y.parse().ok()).unwrap_or(0.0);
                    code = Some((object_y + y, String::new()));
                }
                Event::End(e) if e.local_name().as_ref() == b"TextCode" => {
                    if let Some((y, text)) = code.take() {
                        lines.push(y, &text);
                    }
                }
                Event::Start(e) | Event::Empty(e) if local(e) == "ImageObject" => images += 1,
                Event::Eof => break,
                ev => {
                    if let Some((_, text)) = code.as_mut() {
                        push_text(text, ev, member)?;
                    }
                }
            }
        }
        if let Some(what) = members::drawn_images(images, !lines.text.trim().is_empty()) {
            self.unreadable.push(Unreadable {
                location: location.clone(),
                what,
            });
        }
        if !lines.text.trim().is_empty() {
            self.segments.push(Segment {
                text: lines.text,
                location,
                column: None,
            });
        }
        Ok(())
    }
}

/// Page text assembled from text codes: same baseline, same line.
#[derive(Default)]
struct Lines {
    text: String,
    last_y: Option<f64>,
}

impl Lines {
    fn push(&mut self, y: f64, text: &str) {
        if text.is_empty() {
            return;
        }
        if self
            .last_y
            .is_some_and(|last| (last - y).abs() > SAME_LINE_MM)
        {
            self.text.push('\n');
        }
        self.last_y = Some(y);
        self.text.push_str(text);
    }
}

fn document_plan(xml: &str, member: &str, base: &str) -> Result<Plan, ExtractError> {
    let mut reader = Reader::from_str(xml);
    let mut plan = Plan::default();
    let (mut in_pages, mut text) = (false, String::new());
    loop {
        let event = reader.read_event().map_err(|e| xml_error(member, e))?;
        match &event {
            Event::Start(e) if local(e) == "Pages" => in_pages = true,
            Event::End(e) if e.local_name().as_ref() == b"Pages" => in_pages = false,
            Event::Start(e) | Event::Empty(e) => {
                let name = local(e);
                let loc = attr(e, b"BaseLoc").map(|l| resolve(base, &l));
                match (name.as_str(), loc) {
                    ("Page", Some(loc)) if in_pages => plan.pages.push(loc),
                    ("TemplatePage", Some(loc)) => plan.templates.push(loc),
                    ("Annotations", _) => text.clear(),
                    _ => {}
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"Annotations" => {
                plan.annotations = Some(resolve(base, text.trim()));
            }
            Event::Eof => return Ok(plan),
            ev => push_text(&mut text, ev, member)?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_codes_on_one_baseline_are_one_line() {
        let mut lines = Lines::default();
        lines.push(10.0, "联系人：");
        lines.push(10.2, "王建国");
        lines.push(16.0, "电话13812345678");
        assert_eq!(lines.text, "联系人：王建国\n电话13812345678");
    }

    #[test]
    fn doc_info_entries_are_properties() {
        let xml = r#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocInfo><ofd:DocID>abc</ofd:DocID><ofd:Title>机密★10年</ofd:Title><ofd:Keywords><ofd:Keyword>补贴</ofd:Keyword></ofd:Keywords><ofd:CustomDatas><ofd:CustomData Name="经办人">王建国</ofd:CustomData></ofd:CustomDatas></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
        let (roots, info) = read_root(xml).unwrap();
        assert_eq!(roots, ["Doc_0/Document.xml"]);
        let got: Vec<(String, &str)> = info
            .iter()
            .map(|s| (s.location.to_string(), s.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("properties Title".to_string(), "机密★10年"),
                ("properties Keywords".to_string(), "补贴"),
                ("properties 经办人".to_string(), "王建国"),
            ]
        );
    }
}
