//! Strict precision and recall per type on `tests/fixtures/realistic.txt`: a
//! set written for this project in the shapes of real notices, news, bylines
//! and configs (the error families of issue #12), independent of the dev
//! corpus. `cargo test --test domain scan_realistic -- --nocapture` prints
//! the table that docs/detectors.md reports.

use std::collections::BTreeMap;
use std::path::Path;

use releasegate::scan::Scanner;

/// One document: the text scanned and its labelled spans (type, byte range).
struct Labelled {
    text: String,
    spans: Vec<(String, usize, usize)>,
}

/// `⟦TYPE:value⟧` marks a span; everything else is text.
fn parse(document: &str) -> Labelled {
    let mut text = String::new();
    let mut spans = Vec::new();
    let mut rest = document;
    while let Some(open) = rest.find('⟦') {
        text.push_str(&rest[..open]);
        let inner = &rest[open + '⟦'.len_utf8()..];
        let close = inner.find('⟧').expect("unclosed ⟦");
        let (kind, value) = inner[..close].split_once(':').expect("⟦TYPE:value⟧");
        spans.push((kind.to_string(), text.len(), text.len() + value.len()));
        text.push_str(value);
        rest = &inner[close + '⟧'.len_utf8()..];
    }
    text.push_str(rest);
    Labelled { text, spans }
}

fn documents(fixture: &str) -> Vec<Labelled> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let source = std::fs::read_to_string(path).unwrap();
    source
        .split("\n---\n")
        .skip(1)
        .map(|d| parse(d.trim_end_matches('\n')))
        .collect()
}

#[derive(Default)]
struct Tally {
    gold: usize,
    found: usize,
    right: usize,
}

impl Tally {
    fn precision(&self) -> f64 {
        ratio(self.right, self.found)
    }
    fn recall(&self) -> f64 {
        ratio(self.right, self.gold)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Scans every document of `fixture`, prints the per-type table and the
/// misses, and returns the per-type tallies with the micro total.
fn score(fixture: &str) -> (BTreeMap<String, Tally>, Tally) {
    let scanner = Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap();
    let mut per_type: BTreeMap<String, Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    for doc in documents(fixture) {
        let found: Vec<(String, usize, usize)> = scanner
            .scan(&doc.text)
            .into_iter()
            .map(|d| (d.entity, d.start, d.end))
            .collect();
        for g in &doc.spans {
            per_type.entry(g.0.clone()).or_default().gold += 1;
            if found.contains(g) {
                per_type.get_mut(&g.0).unwrap().right += 1;
            } else {
                misses.push(format!("missed {} {:?}", g.0, &doc.text[g.1..g.2]));
            }
        }
        for f in &found {
            per_type.entry(f.0.clone()).or_default().found += 1;
            if !doc.spans.contains(f) {
                misses.push(format!("extra {} {:?}", f.0, &doc.text[f.1..f.2]));
            }
        }
    }
    let all = per_type.values().fold(Tally::default(), |a, t| Tally {
        gold: a.gold + t.gold,
        found: a.found + t.found,
        right: a.right + t.right,
    });
    eprintln!(
        "{fixture}\n| type | gold | found | precision | recall | F1 |\n|---|---|---|---|---|---|"
    );
    for (kind, t) in per_type.iter().chain([(&"micro".to_string(), &all)]) {
        eprintln!(
            "| {kind} | {} | {} | {:.3} | {:.3} | {:.3} |",
            t.gold,
            t.found,
            t.precision(),
            t.recall(),
            t.f1()
        );
    }
    for m in &misses {
        eprintln!("{m}");
    }
    (per_type, all)
}

/// Holds `fixture` to the targets: micro strict F1 of at least
/// `micro`, and at least `each` for every type.
fn assert_scores(fixture: &str, micro: f64, each: f64) {
    let (per_type, all) = score(fixture);
    assert!(
        all.f1() >= micro,
        "micro strict F1 {:.3} < {micro}",
        all.f1()
    );
    for (kind, t) in &per_type {
        assert!(t.f1() >= each, "{kind}: strict F1 {:.3} < {each}", t.f1());
    }
}

#[test]
fn every_type_is_found_precisely_on_the_realistic_set() {
    assert_scores("realistic.txt", 0.90, 0.85);
}

/// Names with no label, title or header before them (the statistical part
/// of the name detector), on the set it was tuned on and on the held-out set.
#[test]
fn names_in_running_text_are_found_precisely() {
    let scores =
        ["names_prose.txt", "names_heldout.txt", "names_heldout2.txt"].map(|f| (f, score(f).1));
    for (fixture, all) in scores {
        assert!(
            all.f1() >= 0.85,
            "{fixture}: micro strict F1 {:.3} < 0.85",
            all.f1()
        );
    }
}

/// Addresses in the shapes of procurement notices, court papers and service
/// guides, and road names without a house number that stay clean.
#[test]
fn addresses_are_found_with_their_boundaries() {
    let (per_type, all) = score("addresses.txt");
    assert!(all.f1() >= 0.85, "micro strict F1 {:.3} < 0.85", all.f1());
    assert!(
        per_type["ADDRESS"].f1() >= 0.85,
        "ADDRESS F1 {:.3} < 0.85",
        per_type["ADDRESS"].f1()
    );
}

/// Landlines, plates, coordinates, keys and markings in shapes beyond those
/// the realistic set was built from.
#[test]
fn numbers_keys_and_markings_are_found_as_written() {
    assert_scores("formats.txt", 0.85, 0.80);
}

/// Every family of issue #12 in one set (`heldout3.txt`, 111 documents, 255
/// spans), written by someone who had not read the rules. Its first run
/// scored micro 0.888 (names 0.777, recall 0.636); the rules it prompted
/// since are tested one by one in `scan_detectors.rs`.
#[test]
fn the_third_held_out_set_is_found_precisely() {
    assert_scores("heldout3.txt", 0.90, 0.85);
}

/// The fourth held-out set (`heldout4.txt`, 109 documents, 305 spans,
/// nearly half of them names in running text), written blind.
#[test]
fn the_fourth_held_out_set_is_found_precisely() {
    assert_scores("heldout4.txt", 0.90, 0.85);
}

/// The fifth held-out set (`heldout5.txt`, 70 documents, 279 spans, 233
/// of them names in news, features, interviews, obituaries and letters),
/// written blind.
#[test]
fn the_fifth_held_out_set_is_found_precisely() {
    assert_scores("heldout5.txt", 0.90, 0.85);
}

/// The sixth held-out set (`heldout6.txt`, 80 documents, 288 spans, half
/// of them names, in the shapes of open-data tables and notices), written
/// blind after the rules of the fourth and fifth sets.
#[test]
fn the_sixth_held_out_set_is_found_precisely() {
    assert_scores("heldout6.txt", 0.90, 0.85);
}

/// The seventh held-out set (`heldout7.txt`, 89 documents, 472 spans, 269
/// of them names: award and hiring notices, résumés, bylines, judgments,
/// configs, traditional script), written blind after the rules of the
/// sixth.
#[test]
fn the_seventh_held_out_set_is_found_precisely() {
    assert_scores("heldout7.txt", 0.90, 0.85);
}

/// The eighth held-out set (`heldout8.txt`, 86 documents, 457 spans, 237
/// of them names: government notices and work reports, procurement,
/// news with bylines, secrecy markings, PII test fixtures in code,
/// credential rule tests), written blind after the rules of the seventh.
#[test]
fn the_eighth_held_out_set_is_found_precisely() {
    assert_scores("heldout8.txt", 0.90, 0.85);
}

/// The ninth held-out set (`heldout9.txt`, 90 documents, 528 spans, 265
/// of them names: personnel and subsidy notices, duty rosters, minutes,
/// procurement, news, markings, fixtures in code, credentials), written
/// blind after the rules of the eighth.
#[test]
fn the_ninth_held_out_set_is_found_precisely() {
    assert_scores("heldout9.txt", 0.90, 0.85);
}

/// The tenth held-out set (`heldout10.txt`, 92 documents, 493 spans, 220
/// of them names, surnames in their natural frequency: work reports,
/// press-conference transcripts, personnel notices, procurement, court
/// notices, news, markings, fixtures, credentials), written blind after
/// the rules of the ninth.
#[test]
fn the_tenth_held_out_set_is_found_precisely() {
    assert_scores("heldout10.txt", 0.90, 0.85);
}

/// The eleventh held-out set (`heldout11.txt`, 81 documents, 479 spans,
/// 222 of them names: notices from six provinces, tables with full-width
/// bars and ideographic spaces, procurement, news, traditional script,
/// markings, fixtures, credentials), written blind after the rules of the
/// tenth.
#[test]
fn the_eleventh_held_out_set_is_found_precisely() {
    assert_scores("heldout11.txt", 0.90, 0.85);
}

/// The twelfth held-out set (`heldout12.txt`, 80 documents, 501 spans,
/// 267 of them names: work reports and lists from ten provinces and
/// autonomous regions with Mongolian, Uyghur and Hui names, rosters, land
/// boundaries, procurement, news, markings, fixtures, credentials),
/// written blind after the rules of the eleventh.
#[test]
fn the_twelfth_held_out_set_is_found_precisely() {
    assert_scores("heldout12.txt", 0.90, 0.85);
}

/// The thirteenth held-out set (`heldout13.txt`, 80 documents, 711 spans,
/// 413 of them names: court, police and village papers, honours and
/// recruitment lists, news features, hospital and school notices, ten
/// documents in traditional script, procurement, markings, fixtures,
/// credentials), written blind after the rules of the twelfth.
#[test]
fn the_thirteenth_held_out_set_is_found_precisely() {
    assert_scores("heldout13.txt", 0.90, 0.85);
}

/// The fourteenth held-out set (`heldout14.txt`, 80 documents, 585 spans,
/// 92 of them names: notices hard on addresses, landlines, plates,
/// coordinates, keys and markings, code and configs, credential leaks,
/// traditional script), written blind after the rules of the thirteenth.
#[test]
fn the_fourteenth_held_out_set_is_found_precisely() {
    assert_scores("heldout14.txt", 0.90, 0.85);
}

/// The fifteenth held-out set (`heldout15.txt`, 64 documents, 363 spans,
/// 128 of them names: PII test suites in code, credential rule tests and
/// leak samples, notices, news with bylines, markings), written blind
/// after the rules of the fourteenth.
#[test]
fn the_fifteenth_held_out_set_is_found_precisely() {
    assert_scores("heldout15.txt", 0.90, 0.85);
}
