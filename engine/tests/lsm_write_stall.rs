//! Write-stall control: when flushing falls behind, writers slow down one memtable short
//! of the limit, then stop at it, and resume (with nothing lost) once the flush proceeds.
//! The flush is held back by a `FaultFs` that makes table creation wait.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shale_engine::lsm::{Db, DbOptions, Durability};
use shale_io::FaultFs;
use support::eventually;

const WRITES: u64 = 64;
const VALUE_BYTES: usize = 1024;

fn key(i: u64) -> [u8; 8] {
    i.to_be_bytes()
}

#[test]
fn writers_slow_then_stop_while_flush_is_held_and_resume_after() {
    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    opts.memtable_bytes = 4 * VALUE_BYTES;
    opts.max_immutable_memtables = 3;
    opts.slowdown_delay_micros = 100;
    let db = Arc::new(Db::open(opts).unwrap());
    fs.hold_creates(".sst");

    let acked = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, acked) = (db.clone(), acked.clone());
        std::thread::spawn(move || {
            for i in 0..WRITES {
                db.put(&key(i), &[i as u8; VALUE_BYTES])?;
                acked.store(i + 1, Ordering::SeqCst);
            }
            Ok::<(), shale_engine::StorageError>(())
        })
    };

    // Three memtables fill and freeze; none can be flushed, so the writer must stop.
    assert!(
        eventually(Duration::from_secs(30), || db.stats().stall_stops >= 1),
        "writer never stopped: {:?}",
        db.stats()
    );
    let stopped_at = acked.load(Ordering::SeqCst);
    assert!(stopped_at < WRITES, "all writes went through a held flush");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        acked.load(Ordering::SeqCst),
        stopped_at,
        "a stopped writer made progress"
    );
    let stats = db.stats();
    assert_eq!(stats.frozen_memtables, 3);
    assert!(stats.stall_slowdowns >= 1, "no slowdown before the stop");

    fs.release_creates();
    writer.join().unwrap().unwrap();
    assert_eq!(acked.load(Ordering::SeqCst), WRITES);
    assert!(db.stats().stall_micros >= 100_000, "{:?}", db.stats());
    db.flush().unwrap();
    for i in 0..WRITES {
        assert_eq!(
            db.get(&key(i), None).unwrap(),
            Some(vec![i as u8; VALUE_BYTES]),
            "key {i}"
        );
    }
}

#[test]
fn one_flush_in_progress_does_not_slow_writers() {
    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db").with_fs(fs.clone()).tiny();
    opts.memtable_bytes = 4 * VALUE_BYTES;
    opts.max_immutable_memtables = 4;
    let db = Db::open(opts).unwrap();
    fs.hold_creates(".sst");
    // Fill one memtable past its limit and freeze it, then keep writing into the next:
    // exactly one memtable waits for the held flush.
    for i in 0..6 {
        db.put(&key(i), &[1; VALUE_BYTES]).unwrap();
    }
    assert!(eventually(Duration::from_secs(10), || db
        .stats()
        .frozen_memtables
        == 1));
    for i in 6..8 {
        db.put(&key(i), &[1; VALUE_BYTES]).unwrap();
    }
    let stats = db.stats();
    assert_eq!(stats.frozen_memtables, 1);
    assert_eq!(stats.stall_slowdowns, 0, "{stats:?}");
    assert_eq!(stats.stall_stops, 0, "{stats:?}");
    fs.release_creates();
    db.close().unwrap();
}

#[test]
fn writes_may_wait_before_a_backlog_can_slow_a_writer() {
    let sync = Db::open(
        DbOptions::new("/db")
            .with_fs(Arc::new(FaultFs::new()))
            .tiny(),
    )
    .unwrap();
    assert!(sync.writes_may_wait(), "a synced write waits for fdatasync");
    sync.close().unwrap();

    let fs = Arc::new(FaultFs::new());
    let mut opts = DbOptions::new("/db")
        .with_fs(fs.clone())
        .tiny()
        .with_durability(Durability::None);
    opts.memtable_bytes = 4 * VALUE_BYTES;
    opts.max_immutable_memtables = 3;
    opts.slowdown_delay_micros = 100;
    let db = Db::open(opts).unwrap();
    assert!(!db.writes_may_wait(), "an idle engine");
    fs.hold_creates(".sst");
    let mut predicted = 0;
    // Memtables freeze and wait for the held flush; stop one short of the slowdown.
    for i in 0..WRITES {
        if db.stats().frozen_memtables >= 2 {
            break;
        }
        let may_wait = db.writes_may_wait();
        predicted += u64::from(may_wait);
        let before = db.stats();
        db.put(&key(i), &[1; VALUE_BYTES]).unwrap();
        let after = db.stats();
        if !may_wait {
            assert_eq!(after.stall_slowdowns, before.stall_slowdowns, "write {i}");
            assert_eq!(after.stall_stops, before.stall_stops, "write {i}");
        }
    }
    assert!(db.writes_may_wait(), "{:?}", db.stats());
    assert!(predicted >= 1, "never predicted a wait");
    fs.release_creates();
    db.flush().unwrap();
    assert!(
        !db.writes_may_wait(),
        "the backlog is gone: {:?}",
        db.stats()
    );
    db.close().unwrap();
}
