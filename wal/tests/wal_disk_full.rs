//! A full disk is a typed error that poisons the log, never a panic or a hole; after space
//! is freed, reopening continues the log.

mod common;

use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{Error, Wal};

#[test]
fn full_disk_at_segment_roll_is_a_typed_error() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    // Room for the first (preallocated) segment and a bit, not for a second.
    fs.set_space_limit_bytes(Some(SMALL_SEGMENT_BYTES + 1000));
    let mut acked = 0u64;
    let err = loop {
        match wal.append(1, &payload(acked + 1)) {
            Ok(lsn) => {
                acked = lsn;
                assert!(acked < 1000, "never ran out of space");
            }
            Err(e) => break e,
        }
    };
    assert!(matches!(err, Error::DiskFull { .. }), "{err:?}");
    assert!(matches!(wal.append(1, b"x"), Err(Error::Poisoned)));
    drop(wal);

    // Still full: reopening reports it (it cannot preallocate) or succeeds with the data.
    fs.set_space_limit_bytes(None);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    assert!(wal.last_lsn() >= acked);
    let last = wal.last_lsn();
    assert_eq!(wal.append(1, &payload(last + 1)).unwrap(), last + 1);
    assert_contiguous(&read_all(&wal, 1), 1);
    wal.close().unwrap();
    fs.crash();
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    assert_eq!(wal.last_lsn(), last + 1);
}

#[test]
fn full_disk_when_creating_the_first_segment_fails_open() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    fs.set_space_limit_bytes(Some(100));
    let err = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap_err();
    assert!(matches!(err, Error::DiskFull { .. }), "{err:?}");
    fs.set_space_limit_bytes(None);
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    assert_eq!(wal.append(1, b"x").unwrap(), 1);
}
