//! No panics, offsets always valid, and time linear in the input size.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use releasegate::scan::{excerpt, LineIndex, Scanner};

fn scanner() -> &'static Scanner {
    static S: OnceLock<Scanner> = OnceLock::new();
    S.get_or_init(|| {
        Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).expect("packs load")
    })
}

fn check(text: &str) {
    let dets = scanner().scan(text);
    let mut last_end = 0;
    for (i, d) in dets.iter().enumerate() {
        assert!(d.start < d.end && d.end <= text.len(), "{d:?}");
        assert!(
            text.is_char_boundary(d.start) && text.is_char_boundary(d.end),
            "{d:?}"
        );
        assert!(d.start >= last_end, "overlap {d:?}");
        assert!((0.0..=1.0).contains(&d.confidence));
        last_end = d.end;
        let ex = excerpt(text, &dets, i, 5);
        assert!(!ex.is_empty());
    }
    let ix = LineIndex::new(text);
    for d in &dets {
        assert!(ix.locate(d.start).char_offset <= ix.locate(d.end).char_offset);
    }
}

/// Fragments that reach deep into every detector.
const PIECES: &[&str] = &[
    "0",
    "1",
    "9",
    "３",
    "X",
    "x",
    "E",
    "G",
    "C",
    "H",
    "A",
    "K",
    "I",
    ".",
    ":",
    "-",
    " ",
    ",",
    "，",
    "：",
    "\n",
    "\r\n",
    "\"",
    "'",
    "*",
    "@",
    "/",
    "(",
    "（",
    "）",
    "°",
    "′",
    "″",
    "·",
    "★",
    "鄂",
    "王",
    "李",
    "欧阳",
    "某",
    "村",
    "路",
    "号",
    "组",
    "栋",
    "室",
    "镇",
    "市",
    "区",
    "密级",
    "秘密",
    "机密",
    "工作秘密",
    "内部资料",
    "姓名",
    "联系人",
    "同志",
    "副市长",
    "password",
    "pwd",
    "密码",
    "为",
    "=",
    "://",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "eyJ",
    "护照",
    "通行证",
    "北纬",
    "东经",
    "转",
    "+86",
    "4111111111111111",
    "11010519491231002X",
    "13812345678",
    // SQL rows, dotted and Tibetan names.
    "INSERT INTO t (id, name) ",
    "VALUES",
    "(",
    ")",
    "'",
    ",",
    "·",
    "扎西",
    "多吉",
    "摄",
];

fn pieces() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_unicode(s in "\\PC{0,200}") {
        check(&s);
    }

    #[test]
    fn detector_fragments(s in pieces()) {
        check(&s);
    }
}

fn time(text: &str) -> Duration {
    let t = Instant::now();
    std::hint::black_box(scanner().scan(text));
    t.elapsed()
}

/// Scanning `unit` repeated 10x more often must not take much more than 10x
/// as long (generous bound: 30x, for timer noise on a shared machine).
fn assert_linear(unit: &str, small_bytes: usize) {
    let small = unit.repeat(small_bytes / unit.len().max(1) + 1);
    let large = unit.repeat(10 * (small_bytes / unit.len().max(1) + 1));
    time(&small);
    let t_small = time(&small).max(Duration::from_micros(200));
    let t_large = time(&large);
    eprintln!("{unit:?}: {t_small:?} -> {t_large:?}");
    assert!(
        t_large < t_small * 30,
        "{unit:?}: {:?} for {} B vs {:?} for {} B",
        t_large,
        large.len(),
        t_small,
        small.len()
    );
}

#[test]
fn ten_megabyte_line_of_digits() {
    let digits: String = "1234567890".repeat(1_000_000);
    let t = time(&digits);
    // Release builds take well under a second; the bound leaves room for
    // unoptimised test builds.
    assert!(
        t < Duration::from_secs(if cfg!(debug_assertions) { 20 } else { 2 }),
        "{t:?}"
    );
    assert_linear("1234567890", 1_000_000);
}

#[test]
fn pathological_repetitions_scale_linearly() {
    for unit in [
        "秘密",
        "密级：",
        "路1号",
        "村1组",
        "姓名,",
        "联系人：王",
        "王伟、",
        "王伟和",
        "\u{202E}12",
        "password",
        "pass=",
        "://a:b",
        "-----BEGIN RSA PRIVATE KEY-----\n",
        "1.",
        "1,",
        "12:",
        "北纬30.1234 ",
        "鄂A",
        "0711-",
        "★",
        "(name) VALUES ('王伟'), ",
        "阿依·",
        "扎西",
    ] {
        assert_linear(unit, 100_000);
    }
}
