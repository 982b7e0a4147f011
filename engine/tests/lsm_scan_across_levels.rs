//! Scans over a tree with many tables per level: a level's tables are read one after
//! another by a single source, so range scans in both directions must cross table
//! boundaries exactly, with newer levels (L0, memtables) overriding older ones.

mod support;

use support::key;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::{Backend, Direction};
use shale_io::FaultFs;

fn scan(db: &Db, start: Bound<Vec<u8>>, end: Bound<Vec<u8>>, dir: Direction) -> Vec<Vec<u8>> {
    Backend::scan(db, start, end, dir, None)
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect()
}

fn model_scan(
    model: &BTreeMap<Vec<u8>, Vec<u8>>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    dir: Direction,
) -> Vec<Vec<u8>> {
    let it = model.range((start, end)).map(|(k, _)| k.clone());
    match dir {
        Direction::Forward => it.collect(),
        Direction::Reverse => it.rev().collect(),
    }
}

#[test]
fn scans_cross_table_boundaries_in_every_level_both_ways() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(DbOptions::new("/db").with_fs(fs).tiny()).unwrap();
    scans_match_the_model(&db);
    let cache = db.stats().block_cache;
    assert!(
        cache.hits + cache.misses > 0,
        "reads went through the cache"
    );
}

/// `block_cache_bytes` 0 turns the cache off (a past view's private database reads so):
/// every read decodes its block, with the same results.
#[test]
fn scans_without_a_block_cache_read_the_same() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(
        DbOptions::new("/db")
            .with_fs(fs)
            .tiny()
            .with_block_cache_bytes(0),
    )
    .unwrap();
    scans_match_the_model(&db);
    let cache = db.stats().block_cache;
    assert_eq!((cache.hits, cache.misses, cache.inserts), (0, 0, 0));
}

/// Read-ahead (`readahead_max_bytes`) changes how blocks are fetched, not what a scan
/// returns: with the cache off every block misses, so the default reads windows; 0 reads
/// none.
#[test]
fn scans_read_the_same_with_read_ahead_on_and_off() {
    for (readahead, reads_windows) in [
        (shale_sstable::DEFAULT_READAHEAD_MAX_BYTES, true),
        (0, false),
    ] {
        let fs = Arc::new(FaultFs::new());
        let db = Db::open(
            DbOptions::new("/db")
                .with_fs(fs)
                .tiny()
                .with_block_cache_bytes(0)
                .with_readahead_max_bytes(readahead),
        )
        .unwrap();
        scans_match_the_model(&db);
        let windows = db.stats().readahead_windows;
        assert_eq!(
            windows > 0,
            reads_windows,
            "{windows} windows at {readahead}"
        );
    }
}

#[test]
fn a_read_ahead_over_64_mib_is_refused() {
    let opts = DbOptions::new("/db")
        .with_fs(Arc::new(FaultFs::new()))
        .with_readahead_max_bytes(shale_engine::lsm::MAX_READAHEAD_BYTES + 1);
    let err = Db::open(opts).unwrap_err();
    assert!(
        matches!(err, shale_engine::StorageError::InvalidOptions { .. }),
        "{err:?}"
    );
}

fn scans_match_the_model(db: &Db) {
    let mut model = BTreeMap::new();
    for i in 0..3000u32 {
        let v = vec![(i % 251) as u8; 40];
        db.put(&key(i), &v).unwrap();
        model.insert(key(i), v);
    }
    db.compact_range(None, None).unwrap();
    // Newer versions and deletes on top, some in L0, some in the memtable.
    for i in (0..3000u32).step_by(7) {
        db.delete(&key(i)).unwrap();
        model.remove(&key(i));
    }
    db.flush().unwrap();
    for i in (3..3000u32).step_by(11) {
        db.put(&key(i), b"new").unwrap();
        model.insert(key(i), b"new".to_vec());
    }
    let stats = db.stats();
    assert!(
        stats.levels[1..].iter().any(|l| l.files >= 3),
        "want a level with several tables: {:?}",
        stats.levels
    );

    let bounds = [
        (Bound::Unbounded, Bound::Unbounded),
        (Bound::Included(key(1234u32)), Bound::Unbounded),
        (Bound::Unbounded, Bound::Excluded(key(777u32))),
        (Bound::Excluded(key(100u32)), Bound::Included(key(2900u32))),
        (Bound::Included(key(1500u32)), Bound::Included(key(1500u32))),
        (Bound::Included(key(2999u32)), Bound::Unbounded),
        (Bound::Included(b"zzz".to_vec()), Bound::Unbounded),
    ];
    for (start, end) in bounds {
        for dir in [Direction::Forward, Direction::Reverse] {
            assert_eq!(
                scan(db, start.clone(), end.clone(), dir),
                model_scan(&model, start.clone(), end.clone(), dir),
                "{start:?}..{end:?} {dir:?}"
            );
        }
    }
    // A short scan from the middle (what a YCSB scan or a Query page does).
    let first: Vec<Vec<u8>> = Backend::scan(
        db,
        Bound::Included(key(2000u32)),
        Bound::Unbounded,
        Direction::Forward,
        None,
    )
    .unwrap()
    .take(5)
    .map(|r| r.unwrap().0)
    .collect();
    let want: Vec<Vec<u8>> = model
        .range(key(2000u32)..)
        .take(5)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(first, want);
}
