//! Recovery that tells: every byte it drops is reported, and records the log marks as
//! synced are never dropped unless the options allow it.
//!
//! Regressions from issue 16: a segment truncated in the middle of its data lost 1,507
//! acknowledged items without a word; truncated to 20 bytes it was removed, with 3,015.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_io::{FileSystem, StdFs};
use shale_wal::{
    segment_file_name, CorruptionKind, DropReason, Durability, Error, OnSyncedLoss, Wal,
    WalOptions, SEGMENT_HEADER_LEN, SYNCED_MARK_INTERVAL_MICROS,
};

/// A log on the real file system (the tests cut and zero its files), with `n` synced
/// records in one segment, closed cleanly.
fn log_with_synced_records(n: u64) -> (tempfile::TempDir, WalOptions, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("wal");
    let clock = ManualClock::new(0);
    let fs: Arc<dyn FileSystem> = Arc::new(StdFs::new());
    let mut o = opts(fs, &dir, &clock);
    o.segment_size_bytes = 1 << 20;
    let wal = Wal::open(o.clone()).expect("open");
    for i in 1..=n {
        wal.append(1, &payload(i)).expect("append");
        // The synced mark is rewritten at most every 10 ms of the WAL's clock.
        clock.advance_micros(SYNCED_MARK_INTERVAL_MICROS);
    }
    wal.close().expect("close");
    let segment = dir.join(segment_file_name(1));
    (tmp, o, segment)
}

fn allowing_loss(mut o: WalOptions) -> WalOptions {
    o.on_synced_loss = OnSyncedLoss::DropAndReport;
    o
}

fn set_len(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open")
        .set_len(len)
        .expect("set_len");
}

fn corruption_kind(e: Error) -> CorruptionKind {
    match e {
        Error::Corruption { kind, .. } => kind,
        other => panic!("expected corruption, got {other}"),
    }
}

#[test]
fn a_clean_shutdown_reports_nothing_dropped() {
    let (_tmp, o, _) = log_with_synced_records(50);
    let wal = Wal::open(o).expect("reopen");
    assert!(wal.recovery_report().is_clean());
    assert_eq!(wal.last_lsn(), 50);
}

/// Issue 16: the newest segment truncated in the middle of its data (a lost tail).
#[test]
fn a_segment_truncated_in_its_data_is_refused_then_dropped_and_reported_when_allowed() {
    let (_tmp, o, segment) = log_with_synced_records(200);
    let full = std::fs::metadata(&segment).expect("stat").len();
    let data_end = {
        let bytes = std::fs::read(&segment).expect("read");
        bytes.iter().rposition(|&b| b != 0).expect("data") as u64 + 1
    };
    set_len(&segment, data_end / 2);
    let kind = corruption_kind(Wal::open(o.clone()).expect_err("refused"));
    assert_eq!(
        kind,
        CorruptionKind::SegmentTruncated {
            len: data_end / 2,
            preallocated: full
        }
    );
    // Refusing changed nothing: the file is as it was.
    assert_eq!(
        std::fs::metadata(&segment).expect("stat").len(),
        data_end / 2
    );

    let o_refusing = o.clone();
    let wal = Wal::open(allowing_loss(o)).expect("opens when allowed");
    let report = wal.recovery_report().clone();
    let last = wal.last_lsn();
    assert!(last < 200 && last > 0, "{last}");
    let lost = &report.dropped[0];
    assert_eq!(lost.segment, segment);
    assert_eq!(lost.first_lost_lsn, last + 1);
    assert!(matches!(
        lost.reason,
        DropReason::SyncedDataLost(CorruptionKind::SegmentTruncated { .. })
    ));
    assert!(report.dropped_bytes() >= full - data_end / 2);
    assert_contiguous(&read_all(&wal, 1), 1);
    // Appending goes on after the last valid record.
    assert_eq!(wal.append(1, &payload(last + 1)).expect("append"), last + 1);
    wal.close().expect("close");
    // The loss was settled: the next open, refusing again, finds nothing to refuse.
    let wal = Wal::open(o_refusing).expect("reopens cleanly");
    assert!(
        wal.recovery_report().is_clean(),
        "{:?}",
        wal.recovery_report()
    );
    assert_eq!(wal.last_lsn(), last + 1);
}

/// Issue 16: truncated to 20 bytes, the segment was removed as if it were being created.
#[test]
fn a_segment_truncated_inside_its_header_is_refused_not_removed() {
    let (_tmp, o, segment) = log_with_synced_records(100);
    set_len(&segment, 20);
    let kind = corruption_kind(Wal::open(o.clone()).expect_err("refused"));
    assert_eq!(kind, CorruptionKind::PartialHeader { len: 20 });
    assert!(segment.exists(), "nothing removed");

    let wal = Wal::open(allowing_loss(o)).expect("opens when allowed");
    assert_eq!(wal.last_lsn(), 0);
    let report = wal.recovery_report();
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].to, 20);
    assert!(matches!(
        report.dropped[0].reason,
        DropReason::SyncedDataLost(CorruptionKind::PartialHeader { len: 20 })
    ));
}

/// Synced records zeroed in place (a lost write the file's length does not show): fewer
/// records than the segment's synced mark.
#[test]
fn fewer_records_than_the_synced_mark_is_refused() {
    let (_tmp, o, segment) = log_with_synced_records(100);
    let mut bytes = std::fs::read(&segment).expect("read");
    let data_end = bytes.iter().rposition(|&b| b != 0).expect("data") + 1;
    let cut = SEGMENT_HEADER_LEN + (data_end - SEGMENT_HEADER_LEN) / 2;
    bytes[cut..data_end].fill(0);
    std::fs::write(&segment, &bytes).expect("write");
    let kind = corruption_kind(Wal::open(o.clone()).expect_err("refused"));
    let CorruptionKind::SyncedRecordsMissing { found, synced } = kind else {
        panic!("{kind:?}");
    };
    assert!(found < synced && synced <= 100, "{found} < {synced}");

    let wal = Wal::open(allowing_loss(o.clone())).expect("opens when allowed");
    assert_eq!(
        wal.recovery_report().synced_records_lost(),
        synced - found,
        "{:?}",
        wal.recovery_report()
    );
    assert_eq!(wal.last_lsn(), found);
    drop(wal);
    let wal = Wal::open(o).expect("the settled loss is not refused again");
    assert!(
        wal.recovery_report().is_clean(),
        "{:?}",
        wal.recovery_report()
    );
}

/// A torn tail beyond what was synced is cut, and reported with its byte range.
#[test]
fn a_torn_unsynced_tail_is_cut_and_reported() {
    let mut reported = 0;
    for seed in 0..50 {
        let (fs, dir) = fault_fs();
        let clock = ManualClock::new(0);
        let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
        // Written to the OS without syncing: a real unsynced tail for the crash to tear.
        o.durability = Durability::None;
        let wal = Wal::open(o.clone()).expect("open");
        for i in 1..=10 {
            wal.append(1, &payload(i)).expect("append");
        }
        wal.sync().expect("sync");
        for i in 11..=40 {
            wal.append(1, &payload(i)).expect("append");
        }
        fs.crash_torn(seed);
        drop(wal);
        let wal = Wal::open(o).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(wal.last_lsn() >= 10, "seed {seed}");
        for d in &wal.recovery_report().dropped {
            assert!(
                matches!(d.reason, DropReason::TornTail(_)),
                "seed {seed}: {d:?}"
            );
            assert_eq!(d.synced_records_lost, 0);
            assert_eq!(d.first_lost_lsn, wal.last_lsn() + 1);
            assert!(d.to > d.from, "seed {seed}: {d:?}");
            reported += 1;
        }
    }
    assert!(reported > 0, "no seed tore a record");
}

/// A last segment of zeros (an older build's segment whose creation was cut short) holds
/// nothing; it is removed, and reported as such.
#[test]
fn an_all_zero_last_segment_is_removed_as_unborn() {
    let (_tmp, o, _) = log_with_synced_records(10);
    let unborn = o.dir.join(segment_file_name(11));
    std::fs::write(&unborn, vec![0u8; 4096]).expect("write");
    let wal = Wal::open(o).expect("open");
    assert_eq!(wal.last_lsn(), 10);
    assert!(!unborn.exists());
    let report = wal.recovery_report();
    assert_eq!(report.dropped.len(), 1);
    assert_eq!(report.dropped[0].reason, DropReason::UnbornSegment);
    assert_eq!(report.dropped_bytes(), 0);
}
