//! What every member of a zip package (XLSX, DOCX, ODT, ODS, OFD) is, so that none
//! goes out unread: what the format reader read; document properties and
//! custom XML, read for review and stripped from every rendition; members
//! that hold no free text (styles, themes, relationships, fonts); and the
//! rest — images, embedded objects, charts, drawings, macros, attachments,
//! anything unknown — which become `UNREADABLE_CONTENT` for a person.

use std::collections::HashSet;

use super::{Location, Part, Unreadable};

/// Members removed from every rendition: document properties (author,
/// company, title, the list of sheet names, a thumbnail of page one;
/// OpenDocument's `meta.xml` and `Thumbnails/`) and custom XML
/// (SharePoint fields, bound data). They are read for review, but nothing
/// in them belongs in a published file — a thumbnail shows page one as
/// submitted, before any redaction.
pub(crate) fn is_stripped(member: &str) -> bool {
    member.starts_with("docProps/")
        || member.starts_with("customXml/")
        || member == "meta.xml"
        || member.starts_with("Thumbnails/")
        || ODF_SIGNATURES.contains(&member)
}

/// OpenDocument signatures: no rewritten file keeps them valid, and they
/// carry the signer's name and a free-text description.
const ODF_SIGNATURES: &[&str] = &[
    "META-INF/documentsignatures.xml",
    "META-INF/macrosignatures.xml",
];

/// OpenDocument members with no free text, by their full path: the
/// manifest and its RDF twin, the layout cache, the user-interface
/// configuration.
fn is_odf_inert(member: &str) -> bool {
    matches!(
        member,
        "mimetype" | "META-INF/manifest.xml" | "manifest.rdf" | "layout-cache"
    ) || member.starts_with("Configurations2/")
}

/// Members with no free text of their own: formatting, relationships,
/// the calculation chain, fonts. Table definitions repeat the header
/// cells, which are read as cells; legacy VML drawings are the shapes of
/// cell comments, whose text is read from the comments part. In OFD, the
/// resource lists (fonts, colour spaces, the names of image files) and
/// the electronic signatures and seals (a hash and the issuing office's
/// seal over the content that is read). OpenDocument's own are matched by
/// their full path ([`is_odf_inert`]).
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
        "PublicRes.xml",
        "DocumentRes.xml",
    ];
    const FOLDERS: &[&str] = &[
        "/theme/",
        "/fonts/",
        "/printerSettings/",
        "/tables/",
        "/Signs/",
    ];
    const FONTS: &[&str] = &["ttf", "otf", "ttc", "odttf"];
    let file = member.rsplit('/').next().unwrap_or(member);
    member == "[Content_Types].xml"
        || is_odf_inert(member)
        || member.ends_with(".rels")
        || member.ends_with(".vml")
        || FILES.contains(&file)
        || FOLDERS.iter().any(|f| member.contains(f))
        || file
            .rsplit_once('.')
            .is_some_and(|(_, e)| FONTS.contains(&e.to_ascii_lowercase().as_str()))
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
    } else if member.starts_with("Basic/") || member.starts_with("Scripts/") {
        "macros (Basic or scripts)"
    } else if member.contains("/embeddings/")
        || ext == "bin"
        || member.starts_with("Object ")
        || member.starts_with("ObjectReplacements/")
    {
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
    } else if member.contains("/Attachs/") {
        "attachment"
    } else {
        "package part the service does not read"
    };
    what.to_owned()
}

/// What a page (of a PDF or OFD) that draws `images` images holds for a
/// person to look at; `None` when it draws none.
pub(crate) fn drawn_images(images: usize, has_text: bool) -> Option<String> {
    match (images, has_text) {
        (0, _) => None,
        (_, false) => Some("page without text: a scan or a picture".to_owned()),
        (1, true) => Some("image".to_owned()),
        (n, true) => Some(format!("{n} images")),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
