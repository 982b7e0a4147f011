//! Arbitrary bytes as a whole log directory (segment images split at each segment magic),
//! recovered on an in-memory file system with record and header CRCs ignored, so the
//! fuzzer reaches record decoding, the LSN and timestamp checks, the torn-tail and
//! synced-loss rules, `verify_dir` and the reopened writer behind the checksum.
//! `shale_wal::fuzzing::recover_log_image` documents the checks. Seeds:
//! `fuzz/corpus/wal_recovery/`, replayed on stable (checksums on and off) by
//! `wal/tests/wal_recovery_fuzz_corpus_replay.rs`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = shale_wal::fuzzing::recover_log_image_ignoring_checksums(data);
});
