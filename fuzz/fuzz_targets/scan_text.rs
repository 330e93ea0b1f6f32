//! Any text: the scanner must not panic, and every detection must lie on
//! char boundaries inside the text, in order and disjoint.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use releasegate::scan::Scanner;

fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(|| Scanner::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../policies").as_ref()).expect("policies"))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let found = scanner().scan(&text);
    let mut previous_end = 0;
    for d in &found {
        assert!(d.start < d.end && d.end <= text.len());
        assert!(text.is_char_boundary(d.start) && text.is_char_boundary(d.end));
        assert!(d.start >= previous_end, "detections overlap");
        previous_end = d.end;
        let _ = releasegate::scan::mask(&d.entity, &text[d.start..d.end]);
    }
    for i in 0..found.len() {
        let _ = releasegate::scan::excerpt(&text, &found, i, 20);
    }
});
