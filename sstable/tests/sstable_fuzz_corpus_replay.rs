//! Replays every file of `fuzz/corpus/sstable_reader/` through the fuzz entry point on
//! stable Rust, so CI exercises the seeds and any crasher the fuzzer ever found. Valid
//! seeds (named `valid_*`) must read back; damaged ones (`damaged_*`) must fail with a
//! typed error; inputs the fuzzer kept (`fuzz_found_*`, found with checksums off) only
//! have to come back without a panic. Every input is also replayed with checksums ignored,
//! as the fuzzer ran it, so it reaches the parsers behind the CRCs.

use std::path::PathBuf;

use shale_sstable::fuzzing::{read_table_image, read_table_image_ignoring_checksums};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/sstable_reader")
}

#[test]
fn every_corpus_file_is_handled_without_panic() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory exists")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 4,
        "seed corpus present ({} files)",
        files.len()
    );
    let mut valid = 0;
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let result = read_table_image(&bytes);
        // As the fuzzer saw it: must return, whatever it returns.
        let unchecked = read_table_image_ignoring_checksums(&bytes);
        if name.starts_with("valid_") {
            assert_eq!(
                unchecked.as_ref().ok(),
                result.as_ref().ok(),
                "{name}: valid images read the same with or without checksums"
            );
        }
        if name.starts_with("valid_") {
            let n = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(n > 0 || name.contains("empty"), "{name}: {n} entries");
            valid += 1;
        } else if name.starts_with("damaged_") {
            assert!(result.is_err(), "{name} was accepted");
        }
    }
    assert!(valid >= 2);
}
