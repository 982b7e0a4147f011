//! `Db::stats()` tells the truth about the tree and the bloom filters:
//! - per level, the file count and bytes match the `.sst` files on disk (each file's real
//!   size, grouped by the level the manifest puts it in), and the totals match the
//!   directory once replaced tables have been deleted;
//! - the bloom counters move as documented: a point read of an absent key inside a
//!   table's key range consults the filter and (almost always) counts a useful negative;
//!   a present key consults it without a useful negative; a key outside every table's
//!   range consults nothing.

mod support;

use support::key;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shale_engine::lsm::manifest;
use shale_engine::lsm::sstable_file::parse_sstable_name;
use shale_engine::lsm::{Db, DbOptions, DbStats, Durability, LevelStats};
use shale_io::StdFs;

/// Small tables on the real file system; the WAL is not synced per write (durability is
/// not what these tests are about, and thousands of fdatasyncs are slow on a busy disk).
fn options(dir: &Path) -> DbOptions {
    DbOptions::new(dir).tiny().with_durability(Durability::None)
}

/// `.sst` files in `dir`: table number → size on disk.
fn tables_on_disk(dir: &Path) -> BTreeMap<u64, u64> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let number = parse_sstable_name(e.file_name().to_str()?)?;
            Some((number, e.metadata().ok()?.len()))
        })
        .collect()
}

/// Per level, (files, bytes) computed from the manifest's table lists and the sizes on
/// disk, with the directory listing they came from; `None` if the directory and manifest
/// are mid-change.
fn levels_on_disk(dir: &Path) -> Option<(Vec<LevelStats>, BTreeMap<u64, u64>)> {
    let (state, _) = manifest::load(&StdFs::new(), dir).ok()?;
    let disk = tables_on_disk(dir);
    let live: usize = state.levels.iter().map(Vec::len).sum();
    if live != disk.len() {
        return None; // a replaced table is not deleted yet
    }
    let levels = state
        .levels
        .iter()
        .map(|files| {
            let bytes = files
                .iter()
                .map(|f| disk.get(&f.number).copied())
                .sum::<Option<u64>>()?;
            Some(LevelStats {
                files: files.len(),
                bytes,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((levels, disk))
}

/// Waits (background compaction may still be finishing) until stats, manifest and
/// directory agree; returns the agreed stats and directory listing, or panics with both
/// views.
fn stats_matching_disk(db: &Db, dir: &Path) -> (DbStats, BTreeMap<u64, u64>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stats = db.stats();
        let disk = levels_on_disk(dir);
        if let Some((levels, files)) = &disk {
            if *levels == stats.levels {
                return (stats, files.clone());
            }
        }
        if Instant::now() > deadline {
            panic!(
                "stats levels {:?}\n disk levels {:?}",
                stats.levels,
                disk.map(|d| d.0)
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn per_level_files_and_bytes_match_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(options(dir.path())).unwrap();
    for i in 0..3000u32 {
        db.put(&key(i), &[(i % 251) as u8; 40]).unwrap();
    }
    // Everything goes to the bottom; then newer data fills the levels above it through
    // background flushes and compactions (the last flush may leave a table in L0).
    db.compact_range(None, None).unwrap();
    for i in (0..3000u32).step_by(3) {
        db.put(&key(i), &[7; 40]).unwrap();
    }
    for i in (0..3000u32).step_by(97) {
        db.put(&key(i), b"newer").unwrap();
    }
    db.flush().unwrap();

    let (stats, disk) = stats_matching_disk(&db, dir.path());
    let non_empty = stats.levels.iter().filter(|l| l.files > 0).count();
    assert!(
        non_empty >= 2,
        "want data in at least two levels: {:?}",
        stats.levels
    );
    for l in &stats.levels {
        assert_eq!(l.files == 0, l.bytes == 0, "{:?}", stats.levels);
    }
    let total_files: usize = stats.levels.iter().map(|l| l.files).sum();
    let total_bytes: u64 = stats.levels.iter().map(|l| l.bytes).sum();
    assert_eq!(total_files, disk.len());
    assert_eq!(total_bytes, disk.values().sum::<u64>());

    // The same after a reopen (the manifest is the source of both views).
    db.close().unwrap();
    drop(db);
    let db = Db::open(options(dir.path())).unwrap();
    let (reopened, disk) = stats_matching_disk(&db, dir.path());
    let total: u64 = reopened.levels.iter().map(|l| l.bytes).sum();
    assert_eq!(total, disk.values().sum::<u64>());
}

/// A database whose data (even keys 0..2N) sits in one bottom-level tree of tables.
fn compacted_evens(dir: &Path, n: u32) -> Db {
    let mut opts = options(dir);
    opts.level_base_bytes = 64 << 20; // everything stays in L1
    let db = Db::open(opts).unwrap();
    for i in (0..2 * n).step_by(2) {
        db.put(&key(i), b"v").unwrap();
    }
    db.compact_range(None, None).unwrap();
    let s = db.stats();
    assert_eq!(s.levels[0].files, 0, "{:?}", s.levels);
    assert!(s.levels[1].files >= 1, "{:?}", s.levels);
    assert_eq!(s.memtable_bytes, 0);
    db
}

#[test]
fn absent_keys_inside_a_table_count_useful_bloom_negatives() {
    const N: u32 = 500;
    let dir = tempfile::tempdir().unwrap();
    let db = compacted_evens(dir.path(), N);
    let s0 = db.stats();

    // Odd keys lie inside some table's range but are in none: one filter consulted each.
    for i in (1..2 * N).step_by(2) {
        assert_eq!(db.get(&key(i), None).unwrap(), None);
    }
    let s1 = db.stats();
    let checks = s1.bloom_checks - s0.bloom_checks;
    let useful = s1.bloom_useful - s0.bloom_useful;
    // Tables' ranges leave gaps between them, where no table is consulted at all.
    let tables = s1.levels[1].files as u64;
    assert!(
        checks + tables >= u64::from(N) && checks <= u64::from(N),
        "checks {checks} for {N} reads"
    );
    // 10 bits per key: ~1% false positives. Allow plenty of slack, but most must be saved.
    assert!(
        useful * 10 >= checks * 9,
        "useful {useful} of {checks} checks: {s1:?}"
    );
    assert!(s1.bloom_effectiveness > 0.0 && s1.bloom_effectiveness <= 1.0);
    let expected = s1.bloom_useful as f64 / s1.bloom_checks as f64;
    assert!((s1.bloom_effectiveness - expected).abs() < 1e-12);

    // Present keys: the filter is consulted and never says "absent".
    for i in (0..2 * N).step_by(2) {
        assert_eq!(db.get(&key(i), None).unwrap(), Some(b"v".to_vec()));
    }
    let s2 = db.stats();
    assert_eq!(s2.bloom_checks - s1.bloom_checks, u64::from(N));
    assert_eq!(s2.bloom_useful, s1.bloom_useful, "a false negative");

    // Keys outside every table's range: no filter is consulted.
    for k in [&b"a"[..], b"key", b"zzz", b"key999999"] {
        assert_eq!(db.get(k, None).unwrap(), None);
    }
    let s3 = db.stats();
    assert_eq!(s3.bloom_checks, s2.bloom_checks);
    assert_eq!(s3.bloom_useful, s2.bloom_useful);
}

#[test]
fn bloom_counters_count_every_overlapping_l0_table() {
    // Three L0 tables over the same key range (compaction trigger above them), then
    // absent keys in that range: each read consults all three filters.
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path());
    opts.memtable_bytes = 1 << 20;
    opts.l0_compaction_trigger = 8;
    opts.l0_slowdown_files = 8;
    opts.l0_stop_files = 8;
    let db = Arc::new(Db::open(opts).unwrap());
    for round in 0..3u32 {
        for i in (0..200u32).step_by(2) {
            db.put(&key(i), &round.to_be_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    let s0 = db.stats();
    assert_eq!(s0.levels[0].files, 3, "{:?}", s0.levels);
    assert_eq!((s0.bloom_checks, s0.bloom_useful), (0, 0));
    for i in (1..199u32).step_by(2) {
        assert_eq!(db.get(&key(i), None).unwrap(), None);
    }
    let s1 = db.stats();
    assert_eq!(s1.bloom_checks, 3 * 99);
    assert!(s1.bloom_useful * 10 >= s1.bloom_checks * 9, "{s1:?}");
    // A present key stops at the newest table holding it: one check, not useful.
    assert_eq!(
        db.get(&key(10u32), None).unwrap(),
        Some(2u32.to_be_bytes().to_vec())
    );
    let s2 = db.stats();
    assert_eq!(s2.bloom_checks - s1.bloom_checks, 1);
    assert_eq!(s2.bloom_useful, s1.bloom_useful);
}
