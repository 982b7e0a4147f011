//! A failed fsync or write poisons the log until reopen; nothing is acknowledged that may
//! not be on disk.

mod common;

use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{Error, Wal};

#[test]
fn failed_sync_poisons_until_reopen() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    for i in 1..=3 {
        wal.append(1, &payload(i)).unwrap();
    }
    fs.fail_nth_sync(1);
    let err = wal.append(1, &payload(4)).unwrap_err();
    assert!(matches!(err, Error::Io { op: "sync", .. }), "{err:?}");
    assert!(wal.is_poisoned());
    assert!(matches!(wal.append(1, b"x"), Err(Error::Poisoned)));
    assert!(matches!(wal.append_nowait(1, b"x"), Err(Error::Poisoned)));
    assert!(matches!(wal.sync(), Err(Error::Poisoned)));
    assert!(matches!(wal.close(), Err(Error::Poisoned)));

    // Reopen clears it. LSN 4 was never acknowledged; whether it is there depends on what
    // reached the disk (here the write did), and numbering stays contiguous either way.
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    assert!(!wal.is_poisoned());
    let last = wal.last_lsn();
    assert!(last == 3 || last == 4, "{last}");
    assert_eq!(wal.append(1, &payload(last + 1)).unwrap(), last + 1);
    assert_contiguous(&read_all(&wal, 1), 1);
}

#[test]
fn failed_sync_then_crash_keeps_acknowledged_records() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    for i in 1..=5 {
        wal.append(1, &payload(i)).unwrap();
    }
    fs.fail_nth_sync(1);
    assert!(matches!(
        wal.append(1, &payload(6)),
        Err(Error::Io { op: "sync", .. })
    ));
    fs.crash();
    drop(wal);
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    assert_eq!(wal.last_lsn(), 5);
    assert_contiguous(&read_all(&wal, 1), 1);
}

#[test]
fn failed_write_poisons_too() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    wal.append(1, &payload(1)).unwrap();
    fs.fail_nth_write(1);
    let err = wal.append(1, &payload(2)).unwrap_err();
    assert!(matches!(err, Error::Io { op: "write", .. }), "{err:?}");
    assert!(matches!(wal.append(1, b"x"), Err(Error::Poisoned)));
    drop(wal);
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    assert_eq!(wal.last_lsn(), 1);
    assert_eq!(wal.append(1, &payload(2)).unwrap(), 2);
}

#[test]
fn failed_sync_at_segment_roll_poisons() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    // Fill most of the first segment, then make the roll's sync of the full segment fail.
    let mut i = 1;
    while wal.append(1, &[0u8; 500]).is_ok() && i < 7 {
        i += 1;
    }
    fs.fail_nth_sync(1);
    let mut failed = false;
    for _ in 0..20 {
        if wal.append(1, &[0u8; 500]).is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed && wal.is_poisoned());
    drop(wal);
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    let recs = read_all(&wal, 1);
    assert_eq!(recs.len() as u64, wal.last_lsn());
}
