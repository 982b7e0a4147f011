//! Records come back exactly as appended, on every backend, before and after reopen.

mod common;

use common::*;
use shale_io::clock::ManualClock;
use shale_wal::{Error, Wal, MAX_RECORD_PAYLOAD_BYTES};

#[test]
fn appended_records_read_back_identically_on_every_backend() {
    for_each_backend(|name, fs, dir| {
        let clock = ManualClock::new(1_000);
        let wal = Wal::open(opts(fs.clone(), dir, &clock)).unwrap();
        assert_eq!(wal.last_lsn(), 0, "{name}");
        for i in 1..=50u64 {
            clock.advance_micros(3);
            assert_eq!(wal.append((i % 5) as u8, &payload(i)).unwrap(), i, "{name}");
        }
        let recs = read_all(&wal, 1);
        assert_eq!(recs.len(), 50, "{name}");
        assert_contiguous(&recs, 1);
        assert_eq!(recs[9].kind, 0);
        assert_eq!(recs[10].kind, 1);
        assert_eq!(recs[0].timestamp_micros, 1_003);
        wal.close().unwrap();

        let wal = Wal::open(opts(fs, dir, &clock)).unwrap();
        assert_eq!(wal.last_lsn(), 50, "{name}");
        let recs = read_all(&wal, 20);
        assert_eq!(recs.len(), 31, "{name}");
        assert_contiguous(&recs, 20);
    });
}

#[test]
fn empty_and_maximum_boundary_payloads() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(std::sync::Arc::new(fs), &dir, &clock)).unwrap();
    assert_eq!(wal.append(0, b"").unwrap(), 1);
    // Bigger than a segment: gets a segment of its own.
    let big = vec![7u8; 10_000];
    assert_eq!(wal.append(9, &big).unwrap(), 2);
    assert_eq!(wal.append(0, b"after").unwrap(), 3);
    let recs = read_all(&wal, 1);
    assert_eq!(recs.len(), 3);
    assert!(recs[0].payload.is_empty());
    assert_eq!(recs[1].payload, big);
    assert_eq!(recs[2].payload, b"after");
}

#[test]
fn oversized_payload_is_a_typed_error_and_takes_no_lsn() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(std::sync::Arc::new(fs), &dir, &clock)).unwrap();
    let huge = vec![0u8; MAX_RECORD_PAYLOAD_BYTES + 1];
    match wal.append(1, &huge) {
        Err(Error::RecordTooLarge { size, max }) => {
            assert_eq!(size, MAX_RECORD_PAYLOAD_BYTES + 1);
            assert_eq!(max, MAX_RECORD_PAYLOAD_BYTES);
        }
        other => panic!("expected RecordTooLarge, got {other:?}"),
    }
    assert!(!wal.is_poisoned());
    assert_eq!(wal.append(1, b"ok").unwrap(), 1);
}

#[test]
fn two_phase_append_orders_lsns_and_waits() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let fault = fs.clone();
    let wal = Wal::open(opts(std::sync::Arc::new(fs), &dir, &clock)).unwrap();
    let a = wal.append_nowait(1, b"a").unwrap();
    let b = wal.append_nowait(1, b"b").unwrap();
    assert_eq!((a, b), (1, 2));
    assert_eq!(wal.durable_lsn(), 0);
    wal.wait_durable(b).unwrap();
    assert_eq!(wal.durable_lsn(), 2);
    // Durable means it survives a crash.
    fault.crash();
    let wal = Wal::open(opts(std::sync::Arc::new(fault), &dir, &clock)).unwrap();
    assert_eq!(wal.last_lsn(), 2);
    assert!(matches!(
        wal.wait_durable(3),
        Err(Error::LsnNotReserved { lsn: 3, last: 2 })
    ));
}

#[test]
fn bad_segment_size_is_rejected() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(std::sync::Arc::new(fs), &dir, &clock);
    o.segment_size_bytes = 10;
    assert!(matches!(
        Wal::open(o),
        Err(Error::InvalidSegmentSize { size: 10, .. })
    ));
}

#[test]
fn a_writeback_stretch_that_is_not_whole_pages_is_rejected() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(std::sync::Arc::new(fs), &dir, &clock);
    o.writeback_every_bytes = 5000;
    assert!(matches!(
        Wal::open(o.clone()),
        Err(Error::InvalidWritebackStretch {
            bytes: 5000,
            page: 4096
        })
    ));
    for ok in [0, 4096, 3 << 20] {
        o.writeback_every_bytes = ok;
        Wal::open(o.clone()).unwrap().close().unwrap();
    }
}
