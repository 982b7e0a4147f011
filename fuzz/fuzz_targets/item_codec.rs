//! Arbitrary bytes through the item codec and the sortable key codec: decoding returns a
//! value or a typed `DecodeError`, never panics, and whatever decodes re-encodes to the
//! same bytes and round-trips (`shale_table::types::fuzzing::decode_and_round_trip`).
//! Seeds: `fuzz/corpus/item_codec/`, replayed on stable by
//! `table/tests/types_codec_fuzz_corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = shale_table::types::fuzzing::decode_and_round_trip(data);
});
