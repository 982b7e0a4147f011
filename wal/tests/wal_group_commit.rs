//! Concurrent writers under `Sync` share fdatasyncs, and everything acknowledged survives a
//! crash.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::Wal;

const THREADS: u64 = 8;
const APPENDS_PER_THREAD: u64 = 200;

#[test]
fn concurrent_sync_appends_share_syncs_and_all_acked_records_survive_a_crash() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.segment_size_bytes = 64 << 10;
    let wal = Arc::new(Wal::open(o.clone()).unwrap());
    // A disk whose sync takes a while, as a real one does: writers arriving during a sync
    // must be written meanwhile and covered together by the next one.
    fs.set_sync_latency(Some(std::time::Duration::from_micros(300)));
    let syncs_before = fs.stats().syncs;
    let acked = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let wal = wal.clone();
            let acked = acked.clone();
            std::thread::spawn(move || {
                for i in 0..APPENDS_PER_THREAD {
                    let body = format!("t{t}-i{i}").into_bytes();
                    let lsn = wal.append(t as u8, &body).unwrap();
                    acked.lock().unwrap().push((lsn, body));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let syncs = fs.stats().syncs - syncs_before;
    let appends = THREADS * APPENDS_PER_THREAD;
    eprintln!("{appends} appends used {syncs} syncs");
    // Sharing: with 8 writers and syncs that take time, a sync covers the records written
    // while the previous one ran, so there are far fewer syncs than appends (each roll and
    // spare adds a couple).
    assert!(
        syncs * 2 < appends,
        "syncs were not shared: {syncs} syncs for {appends} appends"
    );

    fs.set_sync_latency(None);
    fs.crash();
    let wal = Wal::open(o).unwrap();
    let recs = read_all(&wal, 1);
    let mut acked = acked.lock().unwrap().clone();
    acked.sort();
    assert_eq!(recs.len() as u64, appends);
    for (r, (lsn, body)) in recs.iter().zip(&acked) {
        assert_eq!((r.lsn, &r.payload), (*lsn, body));
    }
}

#[test]
fn buffered_reservations_are_committed_by_one_shared_sync() {
    // Deterministic sharing: many reservations, then one wait, make exactly one batch.
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.segment_size_bytes = 64 << 10;
    let wal = Wal::open(o).unwrap();
    let before = fs.stats();
    let mut last = 0;
    for i in 1..=50 {
        last = wal.append_nowait(1, &payload(i)).unwrap();
    }
    wal.wait_durable(last).unwrap();
    let after = fs.stats();
    assert_eq!(after.syncs - before.syncs, 1);
    assert_eq!(after.writes - before.writes, 1);
    // Earlier LSNs are covered by the same sync.
    wal.wait_durable(1).unwrap();
    assert_eq!(fs.stats().syncs, after.syncs);
}
