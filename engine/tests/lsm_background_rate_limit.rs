//! The background rate limiter (`DbOptions::background_rate_limit`): background
//! flushes and compactions wait for it, the data stays whole, a backlog that would slow
//! writers lifts it, and closing does not wait for a paced compaction to finish.

mod support;

use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions, Durability, RateLimit};
use shale_io::FaultFs;
use support::{eventually, key};

const VALUE_BYTES: usize = 1000;
/// About 3 MB of values: compactions write well over two pacing chunks (512 KiB).
const KEYS: u32 = 3000;

fn opts(fs: &Arc<FaultFs>, limit: RateLimit) -> DbOptions {
    let mut o = DbOptions::new("/db")
        .with_fs(fs.clone())
        .tiny()
        .with_durability(Durability::None)
        .with_background_rate_limit(limit);
    o.memtable_bytes = 64 << 10;
    o.target_file_bytes = 64 << 10;
    o.level_base_bytes = 256 << 10;
    o
}

/// `o` with room for every memtable and L0 table: writers are never near a slowdown, so
/// no backlog lifts the limit.
fn without_backlog(mut o: DbOptions) -> DbOptions {
    o.max_immutable_memtables = 1000;
    o.l0_slowdown_files = 10_000;
    o.l0_stop_files = 10_000;
    o
}

fn fixed(bytes_per_sec: u64) -> RateLimit {
    RateLimit {
        max_bytes_per_sec: bytes_per_sec,
        auto_tuned: false,
    }
}

fn value(i: u32) -> Vec<u8> {
    vec![(i % 251) as u8; VALUE_BYTES]
}

fn write_all(db: &Db) {
    for i in 0..KEYS {
        db.put(&key(i), &value(i)).unwrap();
    }
}

fn assert_all_present(db: &Db) {
    for i in 0..KEYS {
        assert_eq!(db.get(&key(i), None).unwrap(), Some(value(i)), "key {i}");
    }
}

#[test]
fn background_work_waits_for_the_limiter_and_keeps_every_key() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(without_backlog(opts(&fs, fixed(1 << 20)))).unwrap();
    write_all(&db);
    assert!(
        eventually(Duration::from_secs(60), || {
            let s = db.stats();
            s.background_paced_micros > 0 && s.compactions > 0
        }),
        "nothing waited, or nothing compacted: {:?}",
        db.stats()
    );
    assert_eq!(db.stats().background_rate_bytes_per_sec, 1 << 20);
    assert_all_present(&db);
    db.close().unwrap();
    let db = Db::open(opts(&fs, fixed(1 << 20))).unwrap();
    assert_all_present(&db);
    db.close().unwrap();
}

#[test]
fn flushes_are_paced_too() {
    let fs = Arc::new(FaultFs::new());
    let mut o = without_backlog(opts(&fs, fixed(1 << 20)));
    // No compaction at all: only flushes write tables.
    o.l0_compaction_trigger = 10_000;
    o.memtable_bytes = 1 << 20;
    let db = Db::open(o).unwrap();
    write_all(&db);
    // A paced flush finishes after it waited.
    assert!(
        eventually(Duration::from_secs(60), || {
            let s = db.stats();
            s.background_paced_micros > 0 && s.flushes > 0
        }),
        "no flush waited: {:?}",
        db.stats()
    );
    assert_eq!(db.stats().compactions, 0);
    assert_all_present(&db);
    db.close().unwrap();
}

#[test]
fn a_write_backlog_lifts_the_limit() {
    let fs = Arc::new(FaultFs::new());
    let mut o = opts(&fs, fixed(1 << 20));
    // Writers slow down at one L0 table: one more flush would always slow them, so no
    // flush or compaction (of any level) may wait for the limiter.
    o.l0_compaction_trigger = 1;
    o.l0_slowdown_files = 1;
    o.l0_stop_files = 10_000;
    o.max_immutable_memtables = 1000;
    o.slowdown_delay_micros = 1;
    let db = Db::open(o).unwrap();
    write_all(&db);
    db.flush().unwrap();
    assert!(
        eventually(Duration::from_secs(60), || {
            let s = db.stats();
            s.compactions > 0 && s.levels[0].files == 0
        }),
        "{:?}",
        db.stats()
    );
    assert_eq!(db.stats().background_paced_micros, 0, "{:?}", db.stats());
    assert_all_present(&db);
    db.close().unwrap();
}

#[test]
fn a_caller_waiting_for_a_flush_lifts_the_limit() {
    let fs = Arc::new(FaultFs::new());
    let mut o = without_backlog(opts(&fs, fixed(1 << 20)));
    // Nothing flushes or compacts on its own: the only table is the one `flush` asks for,
    // about 3 MB, which the limiter alone would spread over seconds.
    o.l0_compaction_trigger = 10_000;
    o.memtable_bytes = 64 << 20;
    let db = Db::open(o).unwrap();
    write_all(&db);
    db.flush().unwrap();
    let stats = db.stats();
    assert_eq!(stats.flushes, 1);
    assert_eq!(stats.background_paced_micros, 0, "{stats:?}");
    assert_all_present(&db);
    db.close().unwrap();
}

#[test]
fn closing_does_not_wait_for_a_paced_compaction() {
    let fs = Arc::new(FaultFs::new());
    let db = Db::open(without_backlog(opts(&fs, fixed(1 << 20)))).unwrap();
    write_all(&db);
    assert!(eventually(Duration::from_secs(60), || db
        .stats()
        .background_paced_micros
        > 0));
    // Closing while compaction is paced: the rest of the job runs unpaced, so close
    // returns and everything is still there. (A bound on a hang, not a timing figure:
    // the megabytes still to compact would take several seconds at 1 MiB/s, and each
    // paced wait is bounded at 10 s.)
    let started = std::time::Instant::now();
    db.close().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let db = Db::open(opts(&fs, fixed(1 << 20))).unwrap();
    assert_all_present(&db);
    db.close().unwrap();
}

#[test]
fn a_limit_below_one_mib_per_second_is_refused() {
    let fs = Arc::new(FaultFs::new());
    let err = Db::open(opts(&fs, fixed(1000))).unwrap_err();
    assert!(
        matches!(err, shale_engine::StorageError::InvalidOptions { .. }),
        "{err:?}"
    );
}
