//! Replays `fuzz/corpus/partiql_parser/` through the fuzz target's body on stable, so
//! every CI run exercises the seeds (and any crash inputs added there as regressions).

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use shale_table::partiql::fuzzing::parse_statement;

/// One corpus file must finish far below this even on a loaded machine.
const PER_INPUT_BUDGET: Duration = Duration::from_secs(2);
/// The corpus is small seeds; a much larger directory means something went wrong.
const MAX_CORPUS_FILES: usize = 10_000;

#[test]
fn every_corpus_input_runs_without_panicking() {
    let corpus = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/partiql_parser");
    let mut files: Vec<PathBuf> = fs::read_dir(&corpus)
        .unwrap_or_else(|e| panic!("reading {}: {e}", corpus.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "expected the seed corpus, found {}",
        files.len()
    );
    assert!(files.len() <= MAX_CORPUS_FILES);
    for file in files {
        let data = fs::read(&file).unwrap();
        let start = Instant::now();
        parse_statement(&data);
        assert!(
            start.elapsed() < PER_INPUT_BUDGET,
            "{} took {:?}",
            file.display(),
            start.elapsed()
        );
    }
}

/// Hostile shapes the seeds do not cover: deep nesting of every recursive construct,
/// and a statement at the length limit.
#[test]
fn hostile_statements_are_refused_without_overflow() {
    let deep = [
        format!(
            "SELECT * FROM T WHERE {}a = 1{}",
            "(".repeat(3000),
            ")".repeat(3000)
        ),
        format!("SELECT * FROM T WHERE {} a = 1", "NOT ".repeat(1500)),
        format!(
            "INSERT INTO T VALUE {{'a': {}1{}}}",
            "[".repeat(3000),
            "]".repeat(3000)
        ),
        format!("INSERT INTO T VALUE {}", "{'a': ".repeat(1000)),
        format!(
            "UPDATE T SET a = {}b{} WHERE pk = 1",
            "list_append(".repeat(1000),
            ", [1])".repeat(1000)
        ),
        "x".repeat(100_000),
    ];
    for s in deep {
        parse_statement(s.as_bytes());
    }
}
