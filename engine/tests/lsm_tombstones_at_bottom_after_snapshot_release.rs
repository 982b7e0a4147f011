//! Garbage left at the bottom of the tree by a released snapshot is collected by the next
//! manual compaction.
//!
//! While a snapshot older than some deletes is held, a compaction into the bottom level
//! must keep the tombstones and the old values they hide (the snapshot reads them). Once
//! the snapshot is dropped, they are garbage: `Db::compact_range(None, None)` ("compacts
//! every level's tables overlapping [start, end] down the tree") is how an operator
//! reclaims that space, so after it the bottom level must hold no tombstones and no
//! shadowed values, with no further writes needed to provoke it.
//!
//! The live table set is read from the manifest and each table's properties are opened
//! to count entries and tombstones (stats report only files and bytes per level).

mod support;

use support::key;

use std::sync::Arc;

use shale_engine::lsm::manifest;
use shale_engine::lsm::sstable_file::SstableFile;
use shale_engine::lsm::{Db, DbOptions};
use shale_io::{FaultFs, FileSystem};

const KEYS: u64 = 100;

/// (files, entries, tombstones) over all live tables.
fn table_totals(fs: &Arc<dyn FileSystem>) -> (usize, u64, u64) {
    let dir = std::path::Path::new("/db");
    let (state, _) = manifest::load(fs.as_ref(), dir).unwrap();
    let mut totals = (0, 0, 0);
    for meta in state.levels.iter().flatten() {
        let t = SstableFile::open(fs, dir, meta.clone(), None).unwrap();
        totals.0 += 1;
        totals.1 += t.table.meta().entries;
        totals.2 += t.table.meta().tombstones;
    }
    totals
}

#[test]
fn compact_range_after_releasing_a_snapshot_drops_bottom_tombstones() {
    let fs: Arc<dyn FileSystem> = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    opts.memtable_bytes = 1 << 20;
    opts.level_base_bytes = 1 << 20;
    let db = Db::open(opts).unwrap();
    for i in 0..KEYS {
        db.put(&key(i), b"old").unwrap();
    }
    db.flush().unwrap();
    let snap = db.snapshot();
    for i in (0..KEYS).step_by(2) {
        db.delete(&key(i)).unwrap();
    }
    db.compact_range(None, None).unwrap();
    let (_, entries, tombstones) = table_totals(&fs);
    assert_eq!(
        (entries, tombstones),
        (KEYS + KEYS / 2, KEYS / 2),
        "kept for the snapshot"
    );
    assert_eq!(
        db.get(&key(0u32), Some(&snap)).unwrap(),
        Some(b"old".to_vec())
    );

    drop(snap);
    db.compact_range(None, None).unwrap();
    let (files, entries, tombstones) = table_totals(&fs);
    let levels: Vec<usize> = db.stats().levels.iter().map(|l| l.files).collect();
    assert_eq!(
        (entries, tombstones),
        (KEYS / 2, 0),
        "after the snapshot is released, a full manual compaction still leaves \
         {tombstones} tombstones and {} shadowed values in {files} table(s), levels {levels:?}",
        entries.saturating_sub(KEYS / 2 + tombstones),
    );
    for i in 0..KEYS {
        assert_eq!(
            db.get(&key(i), None).unwrap().is_some(),
            i % 2 == 1,
            "key {i}"
        );
    }
}
