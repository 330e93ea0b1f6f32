//! Scanner accuracy on the labeled corpus in ../shared/eval (outside this
//! repository). On a clone without it, the test says SKIPPED and passes;
//! the product never reads that directory.

use std::path::Path;
use std::process::Command;

#[test]
fn strict_f1_on_the_labeled_corpus_meets_the_bar() {
    let eval = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/eval");
    let (gold, scorer) = (eval.join("dev.jsonl"), eval.join("score.py"));
    if !gold.exists() || !scorer.exists() {
        eprintln!(
            "SKIPPED accuracy: {} not found (it lives beside the repository, not in it)",
            eval.display()
        );
        return;
    }
    let scanner =
        releasegate::scan::Scanner::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"))
            .unwrap();
    let predictions = tempfile::NamedTempFile::new().unwrap();
    let input = std::io::BufReader::new(std::fs::File::open(&gold).unwrap());
    releasegate::scan::write_corpus_predictions(
        &scanner,
        input,
        std::fs::File::create(predictions.path()).unwrap(),
    )
    .unwrap();

    let out = Command::new("python3")
        .arg(&scorer)
        .arg(&gold)
        .arg(predictions.path())
        .arg("--json")
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let strict = &report["strict"];
    let micro = strict["micro"]["f1"].as_f64().unwrap();
    assert!(micro >= 0.95, "micro strict F1 {micro} < 0.95");
    for (entity, scores) in strict["per_type"].as_object().unwrap() {
        let f1 = scores["f1"].as_f64().unwrap();
        assert!(f1 >= 0.90, "{entity}: strict F1 {f1} < 0.90");
    }
    assert_eq!(
        report["clean_documents"]["with_findings"], 0,
        "documents without entities got findings"
    );
}
