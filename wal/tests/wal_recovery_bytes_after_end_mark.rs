//! Bytes after the end-of-log mark (an all-zero record header) are damage, not free space.
//!
//! Found by the `wal_recovery` fuzz target (`fuzz/corpus/wal_recovery/
//! regression_bytes_after_end_mark`): recovery stopped at a zero record header and ignored
//! the non-zero bytes after it. It neither reported nor zeroed them, so records appended
//! later landed in front of stale bytes: the next open found a "torn tail" there, or an old
//! record with a valid checksum and a larger LSN behind the new ones. Now the end mark must
//! be followed by zeros only; anything else is a torn tail (cut and reported) or, with a
//! valid later record behind it, corruption, as for any other damage.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_wal::fuzzing::{recover_log_image, recover_log_image_ignoring_checksums};
use shale_wal::{
    segment_file_name, CorruptionKind, DropReason, Durability, Error, Wal, RECORD_HEADER_LEN,
    SEGMENT_HEADER_LEN,
};

/// Five records of equal length, written without syncing (so the synced mark, which would
/// catch a loss of synced records on its own, is 0), closed. Returns the segment's path.
fn five_record_log(fs: &FaultFs, dir: &Path, clock: &ManualClock) -> std::path::PathBuf {
    let mut o = opts(Arc::new(fs.clone()), dir, clock);
    o.durability = Durability::None;
    let wal = Wal::open(o).unwrap();
    for i in 1..=5u64 {
        wal.append(1, format!("payload {i}").as_bytes()).unwrap();
    }
    wal.close().unwrap();
    dir.join(segment_file_name(1))
}

const RECORD_LEN: usize = RECORD_HEADER_LEN + "payload 1".len();

fn record_offset(lsn: u64) -> usize {
    SEGMENT_HEADER_LEN + (lsn as usize - 1) * RECORD_LEN
}

/// Zeroes the header of record `lsn`, leaving its payload (and what follows) in place.
fn zero_header(fs: &FaultFs, path: &Path, lsn: u64) {
    let f = fs.open(path, OpenMode::ReadWrite).unwrap();
    f.write_all_at(&[0; RECORD_HEADER_LEN], record_offset(lsn) as u64)
        .unwrap();
    f.sync_data().unwrap();
}

fn reopen(fs: &FaultFs, dir: &Path, clock: &ManualClock) -> Result<Wal, Error> {
    let mut o = opts(Arc::new(fs.clone()), dir, clock);
    o.durability = Durability::None;
    Wal::open(o)
}

#[test]
fn fuzz_wal_recovery_a_zeroed_last_header_is_a_reported_torn_tail_not_silent_free_space() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(1_000);
    let path = five_record_log(&fs, &dir, &clock);
    zero_header(&fs, &path, 5);

    let wal = reopen(&fs, &dir, &clock).unwrap();
    assert_eq!(wal.last_lsn(), 4);
    let dropped = &wal.recovery_report().dropped;
    assert_eq!(dropped.len(), 1, "{dropped:?}");
    assert_eq!(dropped[0].from, record_offset(5) as u64);
    assert_eq!(dropped[0].to, (record_offset(5) + RECORD_LEN) as u64);
    assert_eq!(dropped[0].first_lost_lsn, 5);
    assert!(
        matches!(
            dropped[0].reason,
            DropReason::TornTail(CorruptionKind::DataAfterEnd { first_nonzero })
                if first_nonzero == (record_offset(5) + RECORD_HEADER_LEN) as u64
        ),
        "{:?}",
        dropped[0].reason
    );
    // The stale payload was zeroed: a shorter record appended now leaves a clean log.
    assert_eq!(wal.append(1, b"new 5").unwrap(), 5);
    wal.close().unwrap();
    let wal = reopen(&fs, &dir, &clock).unwrap();
    assert!(
        wal.recovery_report().is_clean(),
        "{:?}",
        wal.recovery_report()
    );
    assert_eq!(wal.last_lsn(), 5);
    let last = wal.read_from_lsn(5).unwrap().next().unwrap().unwrap();
    assert_eq!(last.payload, b"new 5");
    wal.close().unwrap();
}

#[test]
fn fuzz_wal_recovery_a_zeroed_header_before_valid_records_is_corruption_not_the_end() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(1_000);
    let path = five_record_log(&fs, &dir, &clock);
    zero_header(&fs, &path, 3);

    // Records 4 and 5 are intact behind the zeroed header: the log cannot end at 3, as
    // for damage of any other shape in the middle of the log.
    match reopen(&fs, &dir, &clock) {
        Err(Error::Corruption {
            offset,
            kind: CorruptionKind::DataAfterEnd { .. },
            ..
        }) => assert_eq!(offset, record_offset(3) as u64),
        Err(e) => panic!("expected DataAfterEnd corruption, got {e}"),
        Ok(wal) => panic!(
            "opened at LSN {} with records 4 and 5 silently skipped",
            wal.last_lsn()
        ),
    }
}

/// The input the fuzzer found, kept as a regression in the corpus too: a segment whose
/// first record header is zeros, with bytes after it that (checksums ignored, as the fuzz
/// target runs) hold a record of LSN 1. Recovery used to open it as an empty log and then
/// find those bytes behind the record it appended; now it refuses it up front.
#[test]
fn fuzz_wal_recovery_found_input_is_refused_up_front() {
    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../fuzz/corpus/wal_recovery/regression_bytes_after_end_mark"),
    )
    .unwrap();
    match recover_log_image_ignoring_checksums(&bytes) {
        Err(Error::Corruption {
            offset,
            kind: CorruptionKind::DataAfterEnd { first_nonzero },
            ..
        }) => assert_eq!((offset, first_nonzero), (SEGMENT_HEADER_LEN as u64, 69)),
        other => panic!("expected DataAfterEnd corruption, got {other:?}"),
    }
    // With checksums enforced nothing valid follows: a torn tail, cut and reported.
    let summary = recover_log_image(&bytes).unwrap();
    assert_eq!(summary.last_lsn, 0);
    assert!(summary.dropped_bytes > 0, "{summary:?}");
}
