//! Replays `fuzz/corpus/expression_parser/` through the fuzz target's body on stable, so
//! every CI run exercises the seeds (and any crash inputs added there as regressions).

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use shale_table::expr::fuzzing::parse_and_eval;

/// One corpus file must finish far below this even on a loaded machine.
const PER_INPUT_BUDGET: Duration = Duration::from_secs(2);
/// The corpus is small seeds; a much larger directory means something went wrong.
const MAX_CORPUS_FILES: usize = 10_000;

#[test]
fn every_corpus_input_runs_without_panicking() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/expression_parser");
    let mut files: Vec<PathBuf> = fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("reading {}: {e}", corpus.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 24,
        "expected the seed corpus, found {} files",
        files.len()
    );
    assert!(files.len() <= MAX_CORPUS_FILES);
    for file in files {
        let data = fs::read(&file).unwrap();
        let start = Instant::now();
        parse_and_eval(&data);
        assert!(
            start.elapsed() < PER_INPUT_BUDGET,
            "{} took {:?}",
            file.display(),
            start.elapsed()
        );
    }
}

#[test]
fn a_100k_deep_input_through_every_entry_point_returns_quickly() {
    let start = Instant::now();
    parse_and_eval(format!("{}a = :v{}", "(".repeat(100_000), ")".repeat(100_000)).as_bytes());
    parse_and_eval("(".repeat(4000).as_bytes());
    parse_and_eval(format!("SET a = {}", "list_append(".repeat(340)).as_bytes());
    assert!(
        start.elapsed() < PER_INPUT_BUDGET,
        "took {:?}",
        start.elapsed()
    );
}
