//! Fuzzes the PartiQL parser: any bytes (as lossy UTF-8), with and without parameters.
//! Must never panic, overflow the stack or hang. Seeds: `fuzz/corpus/partiql_parser/`,
//! replayed on stable by `table/tests/partiql_fuzz_corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    shale_table::partiql::fuzzing::parse_statement(data);
});
