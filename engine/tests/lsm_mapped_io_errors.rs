//! SSTables are read through memory maps by default. A page of a map that cannot be read
//! (here: the table was truncated under the open database, which is what a failing disk
//! looks like to a map) raises SIGBUS; the read must come back as a typed error, with the
//! process still running, and never as wrong data.

mod support;

use std::path::Path;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::StorageError;
use support::key;

const KEYS: u32 = 2_000;

fn value(i: u32) -> Vec<u8> {
    format!("value-{i}-{}", "v".repeat(200)).into_bytes()
}

/// The `.sst` files under `dir`.
fn sstables(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sst"))
        .collect();
    found.sort();
    found
}

#[test]
#[cfg(target_os = "linux")]
fn a_table_truncated_under_its_map_reads_as_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let options = || DbOptions::new(dir.path()).with_block_cache_bytes(0);
    let db = Db::open(options()).unwrap();
    for i in 0..KEYS {
        db.put(&key(i), &value(i)).unwrap();
    }
    db.flush().unwrap();
    db.close().unwrap();
    drop(db);

    let db = Db::open(options()).unwrap();
    let tables = sstables(dir.path());
    assert!(!tables.is_empty(), "the flush wrote a table");
    for i in (0..KEYS).step_by(97) {
        assert_eq!(
            db.get(&key(i), None).unwrap(),
            Some(value(i)),
            "mapped read"
        );
    }
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(
        tables
            .iter()
            .all(|t| maps.contains(t.to_string_lossy().as_ref())),
        "the default options read tables through maps"
    );
    for table in &tables {
        let len = std::fs::metadata(table).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(table)
            .unwrap()
            .set_len(len / 4)
            .unwrap();
    }

    // Past the new end, whole pages raise SIGBUS (caught: the read goes to `pread`, which
    // reports the short file), and the rest of the page holding the new end reads as
    // zeros without a signal, which the block checksums reject.
    let (mut io_errors, mut other_errors) = (0, 0);
    for i in 0..KEYS {
        match db.get(&key(i), None) {
            Ok(found) => assert_eq!(found, Some(value(i)), "key {i} read back wrong"),
            Err(e) if is_io_error(&e) => io_errors += 1,
            Err(_) => other_errors += 1,
        }
    }
    assert!(
        io_errors > 0,
        "reads past the truncation fail with pread's error"
    );
    assert!(
        io_errors + other_errors < KEYS as usize,
        "the first quarter still reads"
    );
}

/// Whether `e` is an I/O error (not a checksum or format one), wherever it was wrapped.
fn is_io_error(e: &StorageError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<std::io::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}
