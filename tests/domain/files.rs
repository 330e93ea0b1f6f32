//! Helpers shared by the integration tests: find a value, redact it, re-read.

use releasegate::extract::{
    extract, for_each_segment, Extracted, InMemory, Limits, Location, Part,
};
use releasegate::redact::{render, Redaction};

/// The whole extraction of a file, checked against its segments visited
/// one at a time (which reads a workbook's sheets as streams): both must
/// give the same segments, in the same order.
pub fn unlimited(name: &str, bytes: &[u8]) -> Extracted {
    let limits = Limits::unlimited();
    let extracted = extract(name, bytes, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut visited = Vec::new();
    let outline = for_each_segment(name, &InMemory(bytes), &limits, |index, segment| {
        assert_eq!(index, visited.len(), "{name}: segments out of order");
        visited.push(segment);
    })
    .unwrap_or_else(|e| panic!("{name} visited: {e}"));
    assert_eq!(
        visited, extracted.segments,
        "{name}: visited segments differ"
    );
    assert_eq!(outline.unreadable, extracted.unreadable, "{name}");
    extracted
}

pub fn is_property(location: &Location) -> bool {
    matches!(
        location,
        Location::Package {
            part: Part::Properties,
            ..
        }
    )
}

/// Text of the document itself: neither a property nor a workbook's name.
pub fn is_content(location: &Location) -> bool {
    !is_property(location) && !location.is_workbook()
}

/// Redactions masking every occurrence of each value in every segment a
/// rendition rewrites (workbook names are never rewritten).
pub fn mask_all(ex: &Extracted, values: &[&str], replacement: &str) -> Vec<Redaction> {
    let mut out = Vec::new();
    for (segment, seg) in ex.segments.iter().enumerate() {
        if seg.location.is_workbook() {
            continue;
        }
        for value in values {
            for (start, _) in seg.text.match_indices(value) {
                out.push(Redaction {
                    segment,
                    start,
                    end: start + value.len(),
                    replacement: replacement.into(),
                });
            }
        }
    }
    out
}

/// Renders with the values masked and checks the rendition re-extracts to
/// the same segments with only the masked values changed.
pub fn redact_and_reread(
    name: &str,
    bytes: &[u8],
    values: &[&str],
    replacement: &str,
) -> (Vec<u8>, Extracted) {
    let before = unlimited(name, bytes);
    let redactions = mask_all(&before, values, replacement);
    assert!(!redactions.is_empty(), "{name}: nothing to redact");
    let out = render(name, bytes, &before, &redactions).unwrap_or_else(|e| panic!("{name}: {e}"));
    let after = unlimited(name, &out);
    assert_eq!(after.kind, before.kind);
    assert_eq!(after.encoding, before.encoding);
    // Document properties are stripped from every rendition; the rest stays.
    let content: Vec<_> = before
        .segments
        .iter()
        .filter(|s| !is_property(&s.location))
        .cloned()
        .collect();
    assert!(
        after.segments.iter().all(|s| !is_property(&s.location)),
        "{name}: properties survived"
    );
    let before = Extracted {
        segments: content,
        ..before
    };
    assert_eq!(
        after.segments.len(),
        before.segments.len(),
        "{name}: segment count changed"
    );
    for (a, b) in after.segments.iter().zip(&before.segments) {
        let mut expected = b.text.clone();
        for v in values {
            expected = expected.replace(v, replacement);
        }
        assert_eq!(a.text, expected);
        assert_eq!(a.location, b.location);
        for v in values {
            assert!(
                !a.text.contains(v),
                "{name}: {v} survived in {:?}",
                a.location
            );
        }
    }
    (out, after)
}

/// A zip package from `(name, content)` pairs, deflated.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// [`zip_of`] for members held as owned pairs (as [`zip_members`] gives them).
pub fn rezip(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    zip_of(&refs)
}

/// The unreadable parts of a file as `(location, what)`.
pub fn unreadable_of(ex: &Extracted) -> Vec<(String, &str)> {
    ex.unreadable
        .iter()
        .map(|u| (u.location.to_string(), u.what.as_str()))
        .collect()
}

/// A file of a kind the service does not rewrite: rendered as submitted
/// without redactions, refused (never silently ignored) with one.
pub fn assert_not_rewritten(name: &str, bytes: &[u8], segment: usize, value: &str) {
    let ex = unlimited(name, bytes);
    assert_eq!(render(name, bytes, &ex, &[]).unwrap(), bytes);
    let at = ex.segments[segment].text.find(value).unwrap();
    let r = Redaction {
        segment,
        start: at,
        end: at + value.len(),
        replacement: "*".into(),
    };
    let err = render(name, bytes, &ex, &[r]).unwrap_err().to_string();
    assert!(err.contains("upload a redacted version"), "{err}");
}

/// Every member of a zip package, inflated.
pub fn zip_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (f.name().to_owned(), data)
        })
        .collect()
}

/// Asserts no member of the package contains `raw` anywhere.
pub fn assert_absent_from_package(bytes: &[u8], raw: &str) {
    for (name, data) in zip_members(bytes) {
        let hit = data.windows(raw.len()).any(|w| w == raw.as_bytes());
        assert!(!hit, "{raw} still present in {name}");
    }
}
