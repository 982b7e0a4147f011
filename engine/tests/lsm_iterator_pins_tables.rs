//! An open iterator keeps the tables it reads alive through a compaction that replaces
//! them; the obsolete files are deleted once the last reader lets go, by a background
//! thread (never inside the reader's own call).

use std::ops::Bound;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::Direction;
use shale_io::FaultFs;

fn sst_files(fs: &FaultFs) -> usize {
    fs.files()
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sst"))
        .count()
}

#[test]
fn iterator_survives_compaction_and_obsolete_tables_go_after_it() {
    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    // Keep background compaction out of the way: only the manual one runs.
    opts.l0_compaction_trigger = 30;
    opts.l0_slowdown_files = 30;
    opts.l0_stop_files = 30;
    let db = Db::open(opts).unwrap();
    for i in 0..400u32 {
        db.put(&i.to_be_bytes(), &[i as u8; 100]).unwrap();
    }
    db.flush().unwrap();
    let before = db.stats().levels[0].files;
    assert!(before > 1, "several L0 tables to compact");
    let mut it = db
        .scan(Bound::Unbounded, Bound::Unbounded, Direction::Forward, None)
        .unwrap();
    let first = it.next().unwrap().unwrap();
    db.compact_range(None, None).unwrap();
    assert_eq!(db.stats().levels[0].files, 0);
    // The replaced tables still exist because the iterator holds them.
    let live_after: usize = db.stats().levels.iter().map(|l| l.files).sum();
    assert!(sst_files(&fs) > live_after);
    let rest: Vec<_> = it.by_ref().map(Result::unwrap).collect();
    assert_eq!(first.0, 0u32.to_be_bytes().to_vec());
    assert_eq!(rest.len(), 399);
    assert!(rest
        .iter()
        .enumerate()
        .all(|(i, (k, v))| *k == (i as u32 + 1).to_be_bytes() && v[0] == (i + 1) as u8));
    drop(it);
    // Dropping the iterator deletes nothing itself; the background thread does, within
    // one idle round (100 ms).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sst_files(&fs) != live_after {
        assert!(
            std::time::Instant::now() < deadline,
            "obsolete tables not deleted after the last reader: {} files, {live_after} live",
            sst_files(&fs)
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
