//! Throughput of the scanner on the generated bench corpus.
//!
//! ```text
//! python3 shared/bench/make_corpus.py --mb 50 --out /tmp/bench50.txt
//! cargo bench --bench scan -- /tmp/bench50.txt      # single core: taskset -c 0 target/release/deps/scan-*
//! ```
//! Reports MB/s (MiB of UTF-8 input per second) for one thread over the
//! documents in order, and for rayon over documents on all cores (`--single`
//! skips the latter, e.g. for `perf stat`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use releasegate::scan::Scanner;

const ROUNDS: usize = 3;

fn best_of<F: FnMut() -> usize>(mut f: F) -> (f64, usize) {
    let mut best = f64::MAX;
    let mut found = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        found = f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    (best, found)
}

fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map_or_else(|| PathBuf::from("/tmp/bench50.txt"), PathBuf::from);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (generate it with make_corpus.py)", path.display()));
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let scanner = Scanner::load(&policies).expect("detector packs");
    let docs: Vec<&str> = text.split("\n\u{c}\n").collect();
    let mib = text.len() as f64 / (1024.0 * 1024.0);

    let (secs, n) = best_of(|| docs.iter().map(|d| scanner.scan(d).len()).sum());
    println!(
        "single thread: {:.1} MiB in {secs:.3} s = {:.1} MB/s ({n} findings, {} docs)",
        mib,
        mib / secs,
        docs.len()
    );

    if std::env::args().any(|a| a == "--single") {
        return;
    }
    let (secs, n) = best_of(|| docs.par_iter().map(|d| scanner.scan(d).len()).sum());
    println!(
        "rayon, {} threads: {:.1} MB/s ({n} findings)",
        rayon::current_num_threads(),
        mib / secs
    );
}
