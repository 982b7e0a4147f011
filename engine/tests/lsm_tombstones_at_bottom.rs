//! Tombstones at the bottom of the tree: a compaction into the bottom level drops a
//! tombstone (and every version it hides) when no snapshot needs them, so deleted keys
//! cost no space there and read as absent; while a snapshot older than the delete is
//! held, the tombstone and the old value it hides are kept so the snapshot still reads
//! the old value; once the snapshot is gone, the next compaction through the bottom level
//! drops both.
//!
//! The engine's stats report files and bytes per level but not tombstones, so the test
//! reads the live table set from the manifest (`manifest::load`) and opens each table
//! (`SstableFile::open`) to read its properties: entry and tombstone counts.

mod support;

use support::key;

use std::sync::Arc;

use shale_engine::lsm::manifest::{self, NUM_LEVELS};
use shale_engine::lsm::sstable_file::SstableFile;
use shale_engine::lsm::{Db, DbOptions};
use shale_io::{FaultFs, FileSystem};

const KEYS: u64 = 100;

fn old(i: u64) -> Vec<u8> {
    format!("old-{i}").into_bytes()
}

/// Entry and tombstone counts of the live tables of one level.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct LevelContent {
    files: usize,
    entries: u64,
    tombstones: u64,
}

/// Per level, what the live tables (as the manifest lists them) hold.
fn level_contents(fs: &Arc<dyn FileSystem>) -> Vec<LevelContent> {
    let dir = std::path::Path::new("/db");
    let (state, _) = manifest::load(fs.as_ref(), dir).unwrap();
    assert_eq!(state.levels.len(), NUM_LEVELS);
    state
        .levels
        .iter()
        .map(|files| {
            let mut c = LevelContent::default();
            for meta in files {
                let t = SstableFile::open(fs, dir, meta.clone(), None).unwrap();
                c.files += 1;
                c.entries += t.table.meta().entries;
                c.tombstones += t.table.meta().tombstones;
            }
            c
        })
        .collect()
}

/// The deepest level holding tables, with what it holds; every other level must be empty
/// (a full manual compaction leaves everything in one level).
fn bottom(fs: &Arc<dyn FileSystem>, db: &Db) -> (usize, LevelContent) {
    let contents = level_contents(fs);
    let deepest = contents.iter().rposition(|c| c.files > 0).expect("tables");
    for (l, c) in contents.iter().enumerate() {
        if l != deepest {
            assert_eq!(c.files, 0, "level {l} not empty: {contents:?}");
        }
    }
    // The engine's own view agrees with the manifest.
    let stats = db.stats();
    let files: Vec<usize> = stats.levels.iter().map(|l| l.files).collect();
    let ours: Vec<usize> = contents.iter().map(|c| c.files).collect();
    assert_eq!(files, ours, "stats vs manifest");
    (deepest, contents[deepest])
}

fn open() -> (Arc<dyn FileSystem>, Db) {
    let fs: Arc<dyn FileSystem> = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    // Flushes only when asked, and all data fits L1: the bottom level is L1.
    opts.memtable_bytes = 1 << 20;
    opts.level_base_bytes = 1 << 20;
    (fs, Db::open(opts).unwrap())
}

/// Writes `old(i)` for every key and flushes it into a table.
fn fill(db: &Db) {
    for i in 0..KEYS {
        db.put(&key(i), &old(i)).unwrap();
    }
    db.flush().unwrap();
}

/// Deletes the even keys and flushes the tombstones into a second table.
fn delete_evens(db: &Db) {
    for i in (0..KEYS).step_by(2) {
        db.delete(&key(i)).unwrap();
    }
    db.flush().unwrap();
}

fn live_keys(db: &Db) -> Vec<Vec<u8>> {
    support::scan_all(db).into_iter().map(|(k, _)| k).collect()
}

fn odd_keys() -> Vec<Vec<u8>> {
    (1..KEYS).step_by(2).map(key).collect()
}

#[test]
fn without_a_snapshot_the_bottom_level_keeps_no_tombstones() {
    let (fs, db) = open();
    fill(&db);
    delete_evens(&db);
    db.compact_range(None, None).unwrap();

    let (level, c) = bottom(&fs, &db);
    assert!(level >= 1, "everything was compacted out of L0");
    assert_eq!(c.tombstones, 0, "{c:?}");
    assert_eq!(
        c.entries,
        KEYS / 2,
        "only the live keys' values remain: {c:?}"
    );
    for i in 0..KEYS {
        let want = (i % 2 == 1).then(|| old(i));
        assert_eq!(db.get(&key(i), None).unwrap(), want, "key {i}");
    }
    assert_eq!(live_keys(&db), odd_keys());

    // Reopened from the manifest, the same.
    db.close().unwrap();
    drop(db);
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    opts.memtable_bytes = 1 << 20;
    opts.level_base_bytes = 1 << 20;
    let db = Db::open(opts).unwrap();
    assert_eq!(db.get(&key(0u32), None).unwrap(), None);
    assert_eq!(live_keys(&db), odd_keys());
}

#[test]
fn a_snapshot_keeps_tombstones_and_old_values_until_released() {
    let (fs, db) = open();
    fill(&db);
    let snap = db.snapshot();
    delete_evens(&db);
    // A newer value on top of an old one: the old one is the snapshot's.
    db.put(&key(1u32), b"new").unwrap();
    db.compact_range(None, None).unwrap();

    let (_, c) = bottom(&fs, &db);
    assert_eq!(
        c.tombstones,
        KEYS / 2,
        "the snapshot needs every tombstone: {c:?}"
    );
    assert_eq!(
        c.entries,
        KEYS + KEYS / 2 + 1,
        "old values + tombstones + key1's new value: {c:?}"
    );
    for i in 0..KEYS {
        assert_eq!(
            db.get(&key(i), Some(&snap)).unwrap(),
            Some(old(i)),
            "key {i}"
        );
    }
    assert_eq!(db.get(&key(0u32), None).unwrap(), None);
    assert_eq!(db.get(&key(1u32), None).unwrap(), Some(b"new".to_vec()));
    assert_eq!(live_keys(&db), odd_keys());
    assert_eq!(db.stats().snapshots, 1);

    drop(snap);
    assert_eq!(db.stats().snapshots, 0);
    // A write into the compacted range makes the next manual compaction merge L0 with
    // the bottom level, which now has no reader older than the deletes.
    db.put(&key(KEYS / 2), b"touch").unwrap();
    db.compact_range(None, None).unwrap();

    let (_, c) = bottom(&fs, &db);
    assert_eq!(c.tombstones, 0, "{c:?}");
    // Odd keys once each (key1 at its new value only), plus the re-inserted even key.
    assert_eq!(c.entries, KEYS / 2 + 1, "{c:?}");
    assert_eq!(db.get(&key(0u32), None).unwrap(), None);
    assert_eq!(db.get(&key(1u32), None).unwrap(), Some(b"new".to_vec()));
    assert_eq!(
        db.get(&key(KEYS / 2), None).unwrap(),
        Some(b"touch".to_vec())
    );
    assert_eq!(live_keys(&db).len() as u64, KEYS / 2 + 1);
}
