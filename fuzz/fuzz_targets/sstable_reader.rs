//! Arbitrary bytes as an SSTable image: open, walk both ways, point lookups. Must never
//! panic, hang or over-allocate; `shale_sstable::fuzzing::read_table_image` documents
//! what it checks. Seeds: `fuzz/corpus/sstable_reader/` (replayed on stable by
//! `sstable/tests/sstable_fuzz_corpus_replay.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = shale_sstable::fuzzing::read_table_image(data);
});
