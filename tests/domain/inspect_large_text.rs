//! A large plain text is read in pieces and scanned paragraphs at a time:
//! its peak memory is a batch of segments, whatever the file's size, and
//! its findings are the ones a whole reading gives, at the same lines.

use std::path::Path;

use releasegate::extract::{extract, InMemory, Limits, Location};
use releasegate::inspect::{inspect_each, Options, Place};
use releasegate::scan::Scanner;

use crate::alloc::peak_during;

/// Notices of an export, separated by form-feed lines, each naming a
/// contact with a mobile number.
fn export(documents: usize) -> String {
    let mut text = String::new();
    for i in 0..documents {
        text.push_str(&format!(
            "清溪县人民政府办公室关于第{i}批惠民项目的公示\n\
             根据县政府常务会议研究，现将有关事项公示如下。公示期内如有异议，\
             请以书面形式向县政府办公室反映。公示期为五个工作日。\n\
             联系人：张建国，联系电话：138{:08}。\n\n\x0c\n",
            // Eight zeros would be a dummy number, no subscriber's.
            1 + i % 99_999_999
        ));
    }
    text
}

#[test]
fn a_large_text_is_inspected_in_memory_bounded_by_a_batch() {
    let scanner = Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap();
    let text = export(90_000);
    assert!(text.len() > 24 << 20, "{} bytes", text.len());
    let options = Options {
        small_cell_threshold: None,
        parallel: false,
    };
    let ((mobiles, last_line), peak) = peak_during(|| {
        let (mut mobiles, mut last_line) = (0, 0);
        inspect_each(
            &scanner,
            "export.txt",
            &InMemory(text.as_bytes()),
            &Limits::unlimited(),
            options,
            |finding| {
                if finding.entity == "CN_MOBILE" {
                    mobiles += 1;
                    if let Place::At(Location::Text { line, .. }) = finding.location.place {
                        last_line = line;
                    }
                }
            },
        )
        .unwrap();
        (mobiles, last_line)
    });
    eprintln!(
        "{} MB text inspected with a peak of {} MB",
        text.len() >> 20,
        peak >> 20
    );
    assert_eq!(mobiles, 90_000);
    // Five lines a notice: the last mobile is on line 3 of the last one.
    assert_eq!(last_line, 5 * 89_999 + 3);
    assert!(
        peak < 12 << 20,
        "peak {peak} bytes for a text of {}",
        text.len()
    );
}

#[test]
fn segments_of_a_text_read_whole_are_its_documents() {
    let text = export(3);
    let extracted = extract("export.txt", text.as_bytes(), &Limits::unlimited()).unwrap();
    assert_eq!(extracted.segments.len(), 3);
    assert!(extracted
        .segments
        .iter()
        .all(|s| s.text.ends_with("\x0c\n")));
}
