//! Fuzzes the WAL segment parser: any bytes must give records or a typed error, never a
//! panic, hang or huge allocation. Seed corpus: `fuzz/corpus/wal_reader/`, replayed on
//! stable by `wal/tests/wal_fuzz_corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = shale_wal::fuzzing::parse_segment(data);
});
