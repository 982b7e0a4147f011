//! Replays `fuzz/corpus/partiql_parser/` through the fuzz target's body on stable, so
//! every CI run exercises the seeds (and any crash inputs added there as regressions).

mod support;

use shale_table::partiql::fuzzing::parse_statement;
use support::replay_corpus;

#[test]
fn every_corpus_input_runs_without_panicking() {
    replay_corpus("partiql_parser", 20, parse_statement);
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
