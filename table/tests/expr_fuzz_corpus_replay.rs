//! Replays `fuzz/corpus/expression_parser/` through the fuzz target's body on stable, so
//! every CI run exercises the seeds (and any crash inputs added there as regressions).

mod support;

use std::time::Instant;

use shale_table::expr::fuzzing::parse_and_eval;
use support::{replay_corpus, CORPUS_INPUT_BUDGET};

#[test]
fn every_corpus_input_runs_without_panicking() {
    replay_corpus("expression_parser", 24, parse_and_eval);
}

#[test]
fn a_100k_deep_input_through_every_entry_point_returns_quickly() {
    let start = Instant::now();
    parse_and_eval(format!("{}a = :v{}", "(".repeat(100_000), ")".repeat(100_000)).as_bytes());
    parse_and_eval("(".repeat(4000).as_bytes());
    parse_and_eval(format!("SET a = {}", "list_append(".repeat(340)).as_bytes());
    assert!(
        start.elapsed() < CORPUS_INPUT_BUDGET,
        "took {:?}",
        start.elapsed()
    );
}
