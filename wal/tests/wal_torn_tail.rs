//! A power cut tears the tail: every synced record survives, the torn part is cut,
//! LSNs stay contiguous, and appends continue.

mod common;

use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{Durability, Wal};

const SEEDS: u64 = 300;

#[test]
fn crash_keeps_every_acknowledged_sync_record_over_many_seeds() {
    for seed in 0..SEEDS {
        let (fs, dir) = fault_fs();
        let clock = ManualClock::new(0);
        let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
        let synced = 5 + seed % 30;
        for i in 1..=synced {
            wal.append(1, &payload(i)).unwrap();
        }
        // Reserved but never acknowledged: these may vanish.
        let unacked = 1 + seed % 25;
        for i in synced + 1..=synced + unacked {
            wal.append_nowait(1, &payload(i)).unwrap();
        }
        fs.crash_torn(seed);
        // The old handles are dead after the crash, so drop's final sync fails harmlessly.
        drop(wal);

        let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock))
            .unwrap_or_else(|e| panic!("seed {seed}: reopen failed: {e}"));
        let last = wal.last_lsn();
        assert!(
            last >= synced,
            "seed {seed}: lost synced records ({last} < {synced})"
        );
        let recs = read_all(&wal, 1);
        assert_eq!(recs.len() as u64, last, "seed {seed}");
        assert_contiguous(&recs, 1);
        // Appends continue right after.
        assert_eq!(
            wal.append(1, &payload(last + 1)).unwrap(),
            last + 1,
            "seed {seed}"
        );
        wal.close().unwrap();
        let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
        assert_contiguous(&read_all(&wal, 1), 1);
    }
}

#[test]
fn torn_crash_with_written_but_unsynced_tail_over_many_seeds() {
    // `None` durability writes every record to the OS without syncing, so the crash has a
    // real unsynced tail of many writes to tear.
    let mut saw_partial = false;
    for seed in 0..SEEDS {
        let (fs, dir) = fault_fs();
        let clock = ManualClock::new(0);
        let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
        o.durability = Durability::None;
        let wal = Wal::open(o.clone()).unwrap();
        let synced = 3 + seed % 20;
        for i in 1..=synced {
            wal.append(1, &payload(i)).unwrap();
        }
        wal.sync().unwrap();
        let total = synced + 1 + seed % 40;
        for i in synced + 1..=total {
            wal.append(1, &payload(i)).unwrap();
        }
        fs.crash_torn(seed);
        drop(wal);

        let wal = Wal::open(o.clone()).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let last = wal.last_lsn();
        assert!(last >= synced && last <= total, "seed {seed}: last {last}");
        saw_partial |= last > synced && last < total;
        let recs = read_all(&wal, 1);
        assert_eq!(recs.len() as u64, last, "seed {seed}");
        assert_contiguous(&recs, 1);
        assert_eq!(wal.append(1, &payload(last + 1)).unwrap(), last + 1);
        wal.sync().unwrap();
        // A second crash right after recovery must not bring back the cut bytes.
        fs.crash_torn(seed ^ 0xABCD);
        drop(wal);
        let wal = Wal::open(o).unwrap_or_else(|e| panic!("seed {seed} second: {e}"));
        assert_eq!(wal.last_lsn(), last + 1, "seed {seed}");
        assert_contiguous(&read_all(&wal, 1), 1);
    }
    assert!(saw_partial, "no seed kept a partial unsynced tail");
}
