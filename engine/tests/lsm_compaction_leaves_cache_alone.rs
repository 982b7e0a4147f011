//! Compactions read their input tables without filling the block cache (RocksDB's
//! compactions read with `fill_cache = false`): each input block is read once, and
//! caching it would evict the blocks readers come back to. Readers still fill it.

mod support;

use support::{key, scan_all};

use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_io::FaultFs;

#[test]
fn a_compaction_reads_its_input_without_caching_it() {
    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs).tiny();
    // Background compactions only when asked: the test compacts by hand.
    opts.l0_compaction_trigger = 1000;
    opts.l0_slowdown_files = 1000;
    opts.l0_stop_files = 1000;
    let db = Db::open(opts).unwrap();
    for round in 0..4u32 {
        for i in 0..200u32 {
            db.put(&key(i), format!("v{round}-{i}").as_bytes()).unwrap();
        }
        db.flush().unwrap();
    }
    let before = db.stats();
    assert!(before.levels[0].files >= 4, "{:?}", before.levels);
    assert_eq!(
        before.block_cache.inserts, 0,
        "nothing has read a table yet"
    );

    db.compact_range(None, None).unwrap();
    let after = db.stats();
    assert!(after.compactions > before.compactions);
    assert_eq!(
        after.block_cache.inserts, 0,
        "the compaction cached no block"
    );

    // A reader fills the cache as before, and sees the newest values.
    let pairs = scan_all(&db);
    assert_eq!(pairs.len(), 200);
    assert_eq!(pairs[7].1, format!("v3-{}", 7).into_bytes());
    assert!(db.stats().block_cache.inserts > 0);
}
