//! Reading from a timestamp, driven by a ManualClock, across segments and reopen.

mod common;

use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{read_dir_from_timestamp, Wal};

#[test]
fn read_from_timestamp_starts_at_the_first_record_at_or_after_t() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(1_000_000);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    // Record i is stamped 1_000_000 + 10 * i.
    for i in 1..=100u64 {
        clock.set_micros(1_000_000 + 10 * i);
        wal.append(1, &payload(i)).unwrap();
    }
    for (t, first) in [
        (0, 1),
        (1_000_010, 1),
        (1_000_011, 2),
        (1_000_500, 50),
        (1_000_505, 51),
        (1_001_000, 100),
    ] {
        let recs: Vec<_> = wal
            .read_from_timestamp(t)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(recs.first().map(|r| r.lsn), Some(first), "t={t}");
        assert_eq!(recs.len() as u64, 101 - first, "t={t}");
        assert_contiguous(&recs, first);
    }
    assert_eq!(wal.read_from_timestamp(1_001_001).unwrap().count(), 0);
    wal.close().unwrap();
    let recs: Vec<_> = read_dir_from_timestamp(Arc::new(fs), &dir, 1_000_500)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(recs.first().map(|r| r.lsn), Some(50));
}

#[test]
fn a_clock_that_steps_back_never_makes_timestamps_decrease() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(500);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    wal.append(1, b"a").unwrap();
    clock.set_micros(100);
    wal.append(1, b"b").unwrap();
    wal.close().unwrap();
    // Also across reopen.
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    wal.append(1, b"c").unwrap();
    let ts: Vec<u64> = read_all(&wal, 1)
        .iter()
        .map(|r| r.timestamp_micros)
        .collect();
    assert_eq!(ts, vec![500, 500, 500]);
    clock.set_micros(900);
    wal.append(1, b"d").unwrap();
    assert_eq!(read_all(&wal, 4)[0].timestamp_micros, 900);
}
