//! Reads of SSTables read through memory maps (the engine's default file system), point
//! reads and scans, skip the block cache: a mapped block is a copy away, and the cache
//! cost more than it saved (`DbOptions::cache_mapped_reads`, `docs/benchmarks.md`,
//! "thirteenth session" and "fourteenth session"). The option puts them back through
//! the cache.

mod support;

use support::{key, scan_all};

use shale_engine::lsm::{Db, DbOptions};

/// Writes 300 keys into tables, then reads each twice; returns the cache's counters
/// after the reads and after a scan.
fn point_reads_then_scan(
    cache_mapped_reads: bool,
) -> (shale_sstable::CacheStats, shale_sstable::CacheStats) {
    let dir = tempfile::tempdir().unwrap();
    let opts = DbOptions::new(dir.path())
        .tiny()
        .with_cache_mapped_reads(cache_mapped_reads);
    let db = Db::open(opts).unwrap();
    for i in 0..300u32 {
        db.put(&key(i), format!("v{i}").as_bytes()).unwrap();
    }
    db.flush().unwrap();
    assert!(db.stats().levels.iter().any(|l| l.files > 0), "in tables");
    for _ in 0..2 {
        for i in 0..300u32 {
            let got = db.get(&key(i), None).unwrap();
            assert_eq!(got.as_deref(), Some(format!("v{i}").as_bytes()));
        }
    }
    let after_gets = db.stats().block_cache;
    assert_eq!(scan_all(&db).len(), 300);
    (after_gets, db.stats().block_cache)
}

#[test]
fn reads_of_mapped_tables_skip_the_block_cache_by_default() {
    let (gets, scan) = point_reads_then_scan(false);
    assert_eq!(
        (gets.hits, gets.misses, gets.inserts),
        (0, 0, 0),
        "{gets:?}"
    );
    assert_eq!(
        (scan.hits, scan.misses, scan.inserts),
        (0, 0, 0),
        "nor does a scan: {scan:?}"
    );
}

#[test]
fn reads_of_mapped_tables_use_the_block_cache_when_asked() {
    let (gets, scan) = point_reads_then_scan(true);
    assert!(gets.inserts > 0 && gets.hits > 0, "{gets:?}");
    assert!(
        scan.hits > gets.hits,
        "the scan finds the gets' blocks: {scan:?}"
    );
}
