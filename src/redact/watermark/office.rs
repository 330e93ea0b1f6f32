//! OOXML (DOCX, XLSX) and OpenDocument (ODT, ODS): the trace as a custom
//! document property, the place Office, WPS and LibreOffice show.

use std::collections::{HashMap, HashSet};

use quick_xml::escape::escape;

use super::TRACE_PROPERTY;
use crate::extract::package::Package;
use crate::extract::{ExtractError, Limits};
use crate::redact::package::{copy_zip, CONTENT_TYPES};

pub(super) const CUSTOM_PROPERTIES: &str = "docProps/custom.xml";
pub(super) const PACKAGE_RELATIONSHIPS: &str = "_rels/.rels";
pub(super) const CUSTOM_PROPERTIES_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.custom-properties+xml";
const CUSTOM_PROPERTIES_RELATIONSHIP: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties";
/// The format id every user-defined property carries (ECMA-376 part 1, 22.3).
const USER_DEFINED_FMTID: &str = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}";

/// The trace as a custom property (File ▸ Properties ▸ Custom in Office
/// and WPS). A package with custom properties gets one more; one without
/// gets the part, its content type and its package relationship.
pub(super) fn custom_property(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    let mut pkg = Package::open(bytes, &Limits::unlimited())?;
    let read = |pkg: &mut Package, name: &str| {
        pkg.read_xml(name)?
            .ok_or_else(|| ExtractError::malformed(format!("the package has no {name}")))
    };
    let mut replaced = HashMap::new();
    let custom = match pkg.read_xml(CUSTOM_PROPERTIES)? {
        Some(xml) => xml,
        None => {
            let types = read(&mut pkg, CONTENT_TYPES)?;
            let rels = read(&mut pkg, PACKAGE_RELATIONSHIPS)?;
            let types = insert_before(
                &types,
                "</Types>",
                &format!(
                    r#"<Override PartName="/{CUSTOM_PROPERTIES}" ContentType="{CUSTOM_PROPERTIES_TYPE}"/>"#
                ),
            )?;
            let rels = insert_before(
                &rels,
                "</Relationships>",
                &format!(
                    r#"<Relationship Id="{}" Type="{CUSTOM_PROPERTIES_RELATIONSHIP}" Target="{CUSTOM_PROPERTIES}"/>"#,
                    free_relationship_id(&rels)
                ),
            )?;
            replaced.insert(CONTENT_TYPES.to_string(), types.into_bytes());
            replaced.insert(PACKAGE_RELATIONSHIPS.to_string(), rels.into_bytes());
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
                r#"<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" "#,
                r#"xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"></Properties>"#
            )
            .to_string()
        }
    };
    // Property ids start at 2 and are unique within the part.
    let pid = custom
        .split("pid=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse::<u32>().ok())
        .max()
        .map_or(2, |max| max + 1);
    let property = format!(
        r#"<property fmtid="{USER_DEFINED_FMTID}" pid="{pid}" name="{TRACE_PROPERTY}"><vt:lpwstr>{}</vt:lpwstr></property>"#,
        escape(trace)
    );
    let custom = insert_before(&custom, "</Properties>", &property)?;
    replaced.insert(CUSTOM_PROPERTIES.to_string(), custom.into_bytes());
    drop(pkg);
    *bytes = copy_zip(bytes, &HashSet::new(), &replaced)?;
    Ok(true)
}

/// The trace as an OpenDocument user-defined property (File ▸
/// Properties ▸ Custom Properties in LibreOffice), in `meta.xml` — which
/// every rendition strips, so it is written anew and listed in the
/// manifest.
pub(super) fn user_defined_meta(bytes: &mut Vec<u8>, trace: &str) -> Result<bool, ExtractError> {
    const META: &str = "meta.xml";
    const MANIFEST: &str = "META-INF/manifest.xml";
    let mut pkg = Package::open(bytes, &Limits::unlimited())?;
    let property = format!(
        r#"<meta:user-defined meta:name="{TRACE_PROPERTY}">{}</meta:user-defined>"#,
        escape(trace)
    );
    let mut replaced = HashMap::new();
    let meta = match pkg.read_xml(META)? {
        Some(xml) => insert_before(&xml, "</office:meta>", &property)?,
        None => format!(
            concat!(
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                r#"<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
                r#"xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" office:version="1.2">"#,
                r#"<office:meta>{}</office:meta></office:document-meta>"#
            ),
            property
        ),
    };
    if let Some(manifest) = pkg.read_xml(MANIFEST)? {
        if !manifest.contains(r#"full-path="meta.xml""#) {
            let prefix = crate::extract::xml::Ns::detect(
                &manifest,
                &["urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"],
                "manifest",
            );
            let (entry, path, media) = (
                prefix.tag("file-entry"),
                prefix.tag("full-path"),
                prefix.tag("media-type"),
            );
            let manifest = insert_before(
                &manifest,
                &format!("</{}>", prefix.tag("manifest")),
                &format!(r#"<{entry} {path}="{META}" {media}="text/xml"/>"#),
            )?;
            replaced.insert(MANIFEST.to_string(), manifest.into_bytes());
        }
    }
    replaced.insert(META.to_string(), meta.into_bytes());
    drop(pkg);
    *bytes = copy_zip(bytes, &HashSet::new(), &replaced)?;
    Ok(true)
}

/// `xml` with `insert` just before its last `closing` tag.
fn insert_before(xml: &str, closing: &str, insert: &str) -> Result<String, ExtractError> {
    let at = xml.rfind(closing).ok_or_else(|| {
        ExtractError::malformed(format!(
            "a package part has no {closing} to add the trace before"
        ))
    })?;
    Ok(format!("{}{insert}{}", &xml[..at], &xml[at..]))
}

/// A relationship id the package relationships do not use yet.
fn free_relationship_id(rels: &str) -> String {
    (1..)
        .map(|n| format!("rIdTrace{n}"))
        .find(|id| !rels.contains(&format!("\"{id}\"")))
        .unwrap_or_default()
}
