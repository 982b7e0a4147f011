//! Fuzzes the expression language: any bytes (as lossy UTF-8) go through every parser
//! entry point, and whatever parses is evaluated, projected or applied against a fixed
//! sample item. Must never panic, overflow the stack or hang. Seeds:
//! `fuzz/corpus/expression_parser/`, replayed on stable by
//! `engine/tests/expr_fuzz_corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shale_table::expr::fuzzing::parse_and_eval(data);
});
