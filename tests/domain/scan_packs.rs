//! Loading packs through the public API: operator mistakes are reported with
//! file, line and problem; valid edits take effect without a rebuild.

use std::path::{Path, PathBuf};

use releasegate::scan::{write_corpus_predictions, Scanner, Severity};

fn pack(src: &str) -> Vec<(PathBuf, String)> {
    vec![(
        PathBuf::from("policies/detectors/extra.toml"),
        src.to_string(),
    )]
}

fn error_of(src: &str) -> releasegate::policy::PolicyError {
    match Scanner::from_sources(&pack(src)) {
        Ok(_) => panic!("pack accepted:\n{src}"),
        Err(e) => e,
    }
}

const HEAD: &str =
    "[[detector]]\nid = \"x\"\nentity = \"X\"\ncategory = \"personal\"\nseverity = \"low\"\n";

#[test]
fn scanner_is_send_and_sync() {
    fn assert_shareable<T: Send + Sync>() {}
    assert_shareable::<Scanner>();
}

#[test]
fn shipped_packs_validate() {
    let scanner = Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap();
    let n = scanner.detector_ids().count();
    assert!(n >= 18, "{n}");
}

#[test]
fn coded_kind_errors() {
    let e = error_of(&format!("{HEAD}kind = \"person_name\"\n"));
    assert!(e.message.contains("lexicon `surnames`"), "{e}");
    assert_eq!(e.line, Some(1));

    let e = error_of(&format!(
        "{HEAD}kind = \"address\"\n[detector.lexicon]\nsurnames = [\"王\"]\n"
    ));
    assert!(e.message.contains("not used by kind `address`"), "{e}");
    assert_eq!(e.line, Some(8));

    let e = error_of(&format!(
        "{HEAD}kind = \"geo_coordinate\"\npatterns = ['x']\n"
    ));
    assert!(e.message.contains("takes no patterns"), "{e}");
    assert_eq!(e.line, Some(7));

    let e = error_of(&format!("{HEAD}patterns = ['x']\nconfidence = 1.5\n"));
    assert!(e.message.contains("confidence"), "{e}");

    let e = error_of(&format!("{HEAD}patterns = ['x']\nsevertiy = \"low\"\n"));
    assert!(e.message.contains("severtiy"), "{e}");
    assert_eq!(e.file, PathBuf::from("policies/detectors/extra.toml"));
}

#[test]
fn duplicate_ids_across_files_name_both() {
    let src = format!("{HEAD}patterns = ['x']\n");
    let packs = vec![
        (PathBuf::from("a.toml"), src.clone()),
        (PathBuf::from("b.toml"), src),
    ];
    let e = Scanner::from_sources(&packs)
        .err()
        .expect("duplicate rejected");
    assert_eq!(e.file, PathBuf::from("b.toml"));
    assert!(e.message.contains("a.toml:1"), "{e}");
}

#[test]
fn operators_change_behaviour_by_editing_toml() {
    let src = "[[detector]]\nid = \"badge\"\nentity = \"STAFF_BADGE\"\ncategory = \"personal\"\n\
               severity = \"block\"\npatterns = ['EZ[0-9]{6}']\ncontext = [\"工号\"]\n\
               context_required = true\nallow = [\"EZ000000\"]\n";
    let s = Scanner::from_sources(&pack(src)).unwrap();
    let d = s.scan("工号：EZ123456\n工号EZ000000\n编号EZ654321");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].entity.as_str(), d[0].severity),
        ("STAFF_BADGE", Severity::Block)
    );
    assert_eq!(s.detector_ids().collect::<Vec<_>>(), vec!["badge"]);
}

#[test]
fn load_reads_a_directory_and_reports_bad_files() {
    let dir = std::env::temp_dir().join(format!("rg-packs-{}", std::process::id()));
    let det = dir.join("detectors");
    std::fs::create_dir_all(&det).unwrap();
    std::fs::write(det.join("a.toml"), format!("{HEAD}patterns = ['x(']\n")).unwrap();
    let e = Scanner::load(&dir).err().expect("bad regex rejected");
    assert!(e.file.ends_with("a.toml") && e.line == Some(6), "{e}");
    assert!(
        e.to_string()
            .contains("a.toml:6: detector `x`: invalid regex"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(Scanner::load(&dir).is_err());
}

#[test]
fn corpus_predictions_use_code_points() {
    let s = Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")).unwrap();
    let input = "{\"id\":\"d1\",\"text\":\"手机：13812345678\"}\n";
    let mut out = Vec::new();
    write_corpus_predictions(&s, input.as_bytes(), &mut out).unwrap();
    let line: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(line["id"], "d1");
    assert_eq!(line["findings"][0]["type"], "CN_MOBILE");
    assert_eq!(
        (
            line["findings"][0]["start"].as_u64(),
            line["findings"][0]["end"].as_u64()
        ),
        (Some(3), Some(14))
    );
    assert!(write_corpus_predictions(&s, "not json\n".as_bytes(), Vec::new()).is_err());
}
