//! Loom model of the group-commit leader/follower hand-off.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p shale-wal --test loom_group_commit --release`
//! (with its own `CARGO_TARGET_DIR`). Checks every interleaving of 2 writers with separate
//! write and sync leaders (a sync runs with no lock held, while the other writer's batch
//! may be written): no lost wake-up (loom reports a deadlock if a waiter sleeps forever),
//! and no writer returns before a sync covering its LSN.
#![cfg(loom)]

use loom::sync::{Arc, Mutex};
use loom::thread;
use shale_wal::group_commit::{BatchSink, CommitError, GroupCommit, Need, SyncHandle};
use shale_wal::Lsn;

/// What the mock "disk" holds; records are one byte, their LSN.
#[derive(Debug, Default)]
struct Disk {
    written_upto: Lsn,
    durable_upto: Lsn,
    syncs: u32,
    fail_next_sync: bool,
}

/// A sink over a shared [`Disk`]; its sync handles make durable what was written when
/// they were taken, like an fdatasync that runs while later writes happen.
#[derive(Debug, Default)]
struct MockSink {
    disk: Arc<Mutex<Disk>>,
}

#[derive(Debug)]
struct MockSyncer {
    disk: Arc<Mutex<Disk>>,
    upto: Lsn,
}

#[derive(Debug)]
struct SyncFailed;

impl BatchSink for MockSink {
    type Error = SyncFailed;
    type Syncer = MockSyncer;
    fn write_batch(&mut self, batch: &[u8], last_lsn: Lsn) -> Result<(), SyncFailed> {
        let mut d = self.disk.lock().unwrap();
        // Batches arrive in LSN order with no gaps or repeats.
        for (i, b) in batch.iter().enumerate() {
            assert_eq!(u64::from(*b), d.written_upto + 1 + i as u64);
        }
        assert_eq!(d.written_upto + batch.len() as u64, last_lsn);
        d.written_upto = last_lsn;
        Ok(())
    }
    fn syncer(&mut self, _durable: Lsn) -> MockSyncer {
        let upto = self.disk.lock().unwrap().written_upto;
        MockSyncer {
            disk: self.disk.clone(),
            upto,
        }
    }
}

impl SyncHandle for MockSyncer {
    type Error = SyncFailed;
    fn sync(&self) -> Result<(), SyncFailed> {
        let mut d = self.disk.lock().unwrap();
        if d.fail_next_sync {
            d.fail_next_sync = false;
            return Err(SyncFailed);
        }
        d.syncs += 1;
        d.durable_upto = d.durable_upto.max(self.upto);
        Ok(())
    }
}

fn disk(gc: &Gc) -> Arc<Mutex<Disk>> {
    gc.with_sink(|s| s.disk.clone())
}

type Gc = GroupCommit<(), MockSink>;

/// Writers in the models. Two keep the exhaustive search under a second; three do not
/// finish in ten minutes without a preemption bound.
const WRITERS: u64 = 2;

fn append(gc: &Gc, need: Need) -> Result<Lsn, CommitError<SyncFailed>> {
    let (lsn, _) = gc
        .reserve(|lsn, _, buf| {
            buf.push(lsn as u8);
            Ok::<(), std::convert::Infallible>(())
        })
        .map_err(|e| match e {
            CommitError::Poisoned => CommitError::Poisoned,
            other => panic!("unexpected reserve error {other:?}"),
        })?;
    gc.wait(lsn, need)?;
    Ok(lsn)
}

#[test]
fn every_synced_writer_returns_after_a_sync_covering_its_lsn() {
    loom::model(|| {
        let gc = Arc::new(Gc::new(0, (), MockSink::default()));
        let handles: Vec<_> = (0..WRITERS)
            .map(|_| {
                let gc = gc.clone();
                thread::spawn(move || {
                    let lsn = append(&gc, Need::Synced).expect("no failure injected");
                    let durable = disk(&gc).lock().unwrap().durable_upto;
                    assert!(
                        durable >= lsn,
                        "acknowledged {lsn} with only {durable} durable"
                    );
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        {
            let d = disk(&gc);
            let d = d.lock().unwrap();
            assert_eq!(d.durable_upto, WRITERS);
            assert!(d.syncs <= WRITERS as u32);
        }
        assert_eq!(gc.last_synced(), WRITERS);
    });
}

#[test]
fn written_and_synced_waiters_mix() {
    loom::model(|| {
        let gc = Arc::new(Gc::new(0, (), MockSink::default()));
        let g = gc.clone();
        let t = thread::spawn(move || {
            let lsn = append(&g, Need::Written).unwrap();
            assert!(disk(&g).lock().unwrap().written_upto >= lsn);
        });
        let lsn = append(&gc, Need::Synced).unwrap();
        assert!(disk(&gc).lock().unwrap().durable_upto >= lsn);
        t.join().unwrap();
    });
}

#[test]
fn a_failed_sync_poisons_and_wakes_every_waiter() {
    loom::model(|| {
        let sink = MockSink::default();
        sink.disk.lock().unwrap().fail_next_sync = true;
        let gc = Arc::new(Gc::new(0, (), sink));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let gc = gc.clone();
                thread::spawn(move || match append(&gc, Need::Synced) {
                    // Possible only if this writer's record was synced after the failure,
                    // which poisoning forbids: the first sync fails, and nothing is
                    // acknowledged afterwards.
                    Ok(lsn) => panic!("acknowledged {lsn} after a failed sync"),
                    Err(CommitError::Poisoned | CommitError::Sink(SyncFailed)) => {}
                    Err(e) => panic!("unexpected {e:?}"),
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!(gc.is_poisoned());
        assert_eq!(gc.last_synced(), 0);
    });
}
