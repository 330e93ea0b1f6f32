//! OFD fixtures written as their XML (GB/T 33190 has no Rust writer): a
//! package of `OFD.xml`, one document, its pages and whatever else a test
//! adds. Shared by the domain and API tests through `#[path]`.
#![allow(dead_code)] // each test binary uses part of it

use std::io::Write;

pub const NS: &str = r#"xmlns:ofd="http://www.ofdspec.org/2016""#;

/// One page's content: each `(y, text)` a text object on baseline `y` (mm).
pub fn page(lines: &[(f64, &str)]) -> String {
    let objects: String = lines
        .iter()
        .enumerate()
        .map(|(i, (y, text))| {
            format!(
                r#"<ofd:TextObject ID="{}" Boundary="20 {y} 170 6" Font="1" Size="4"><ofd:TextCode X="0" Y="4">{text}</ofd:TextCode></ofd:TextObject>"#,
                100 + i
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Page {NS}><ofd:Content><ofd:Layer ID="2">{objects}</ofd:Layer></ofd:Content></ofd:Page>"#
    )
}

/// A page holding only a picture, as a scanner writes it.
pub fn scanned_page() -> String {
    format!(
        r#"<ofd:Page {NS}><ofd:Content><ofd:Layer ID="2"><ofd:ImageObject ID="9" Boundary="0 0 210 297" ResourceID="7"/></ofd:Layer></ofd:Content></ofd:Page>"#
    )
}

/// An OFD whose `DocInfo` holds `info` (element, text), with a template
/// page of content `template` if given, pages `pages` (content XML, in
/// order), and `extra` members.
pub fn ofd(
    info: &[(&str, &str)],
    template: Option<&str>,
    pages: &[String],
    extra: &[(&str, &[u8])],
) -> Vec<u8> {
    let info: String = info
        .iter()
        .map(|(k, v)| format!("<ofd:{k}>{v}</ofd:{k}>"))
        .collect();
    let root = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {NS} Version="1.1" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>6a1b</ofd:DocID>{info}</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#
    );
    let list: String = (0..pages.len())
        .map(|i| {
            format!(
                r#"<ofd:Page ID="{}" BaseLoc="Pages/Page_{i}/Content.xml"/>"#,
                10 + i
            )
        })
        .collect();
    let tpl = match template {
        Some(_) => r#"<ofd:TemplatePage ID="3" BaseLoc="Tpls/Tpl_0/Content.xml"/>"#,
        None => "",
    };
    let document = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><ofd:Document {NS}><ofd:CommonData><ofd:MaxUnitID>200</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{tpl}</ofd:CommonData><ofd:Pages>{list}</ofd:Pages></ofd:Document>"#
    );
    let public_res = format!(
        r#"<ofd:Res {NS} BaseLoc="Res"><ofd:Fonts><ofd:Font ID="1" FontName="宋体"/></ofd:Fonts></ofd:Res>"#
    );
    let names: Vec<String> = (0..pages.len())
        .map(|i| format!("Doc_0/Pages/Page_{i}/Content.xml"))
        .collect();
    let mut members: Vec<(&str, &[u8])> = vec![
        ("OFD.xml", root.as_bytes()),
        ("Doc_0/Document.xml", document.as_bytes()),
        ("Doc_0/PublicRes.xml", public_res.as_bytes()),
    ];
    members.extend(
        names
            .iter()
            .zip(pages)
            .map(|(n, p)| (n.as_str(), p.as_bytes())),
    );
    if let Some(t) = template {
        members.push(("Doc_0/Tpls/Tpl_0/Content.xml", t.as_bytes()));
    }
    members.extend_from_slice(extra);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}
