//! Damage before the last valid record is an error naming the segment and offset, never
//! silently skipped; damage to the very last record is indistinguishable from a torn
//! write and is cut.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_io::FaultFs;
use shale_wal::{
    parse_segment_file_name, read_dir, CorruptionKind, Error, Wal, RECORD_HEADER_LEN,
    SEGMENT_HEADER_LEN,
};

/// Writes `n` records and returns the sorted segment paths.
fn setup(n: u64) -> (FaultFs, PathBuf, ManualClock, Vec<PathBuf>) {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    for i in 1..=n {
        wal.append(1, &payload(i)).unwrap();
    }
    wal.close().unwrap();
    let mut segs: Vec<PathBuf> = fs
        .files()
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(parse_segment_file_name)
                .is_some()
        })
        .collect();
    segs.sort();
    (fs, dir, clock, segs)
}

/// Offset of record `k` (0-based) within a segment whose first LSN is `first`.
fn record_offset(first: u64, k: u64) -> u64 {
    let mut off = SEGMENT_HEADER_LEN as u64;
    for lsn in first..first + k {
        off += (RECORD_HEADER_LEN + payload(lsn).len()) as u64;
    }
    off
}

fn first_lsn(p: &std::path::Path) -> u64 {
    parse_segment_file_name(p.file_name().unwrap().to_str().unwrap()).unwrap()
}

#[test]
fn flipped_bit_in_a_middle_record_of_the_last_segment_is_reported() {
    let (fs, dir, clock, segs) = setup(60);
    let last = segs.last().unwrap().clone();
    let first = first_lsn(&last);
    let off = record_offset(first, 1);
    fs.flip_bit(&last, off + RECORD_HEADER_LEN as u64 + 1, 2)
        .unwrap();
    match Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)) {
        Err(Error::Corruption {
            segment,
            offset,
            kind,
        }) => {
            assert_eq!(segment, last);
            assert_eq!(offset, off);
            assert!(
                matches!(kind, CorruptionKind::RecordChecksum { .. }),
                "{kind:?}"
            );
        }
        other => panic!("expected corruption, got {other:?}"),
    }
    // The read-only reader reports the same.
    let err = read_dir(Arc::new(fs), &dir, 1)
        .unwrap()
        .find_map(Result::err)
        .expect("an error");
    assert!(matches!(err, Error::Corruption { offset, .. } if offset == off));
}

#[test]
fn flipped_bit_in_an_earlier_segment_is_reported_even_at_its_end() {
    let (fs, dir, clock, segs) = setup(60);
    assert!(segs.len() >= 3);
    let seg = segs[0].clone();
    // Damage the *last* record of a non-last segment: segments are synced before their
    // successor exists, so this cannot be a torn write.
    let next_first = first_lsn(&segs[1]);
    let k = next_first - 1 - first_lsn(&seg);
    let off = record_offset(first_lsn(&seg), k);
    fs.flip_bit(&seg, off + 9, 0).unwrap(); // inside the LSN field
    match Wal::open(opts(Arc::new(fs), &dir, &clock)) {
        Err(Error::Corruption {
            segment, offset, ..
        }) => {
            assert_eq!(segment, seg);
            assert_eq!(offset, off);
        }
        other => panic!("expected corruption, got {other:?}"),
    }
}

#[test]
fn damaged_segment_header_is_reported() {
    let (fs, dir, clock, segs) = setup(60);
    fs.flip_bit(&segs[1], 3, 1).unwrap();
    match Wal::open(opts(Arc::new(fs), &dir, &clock)) {
        Err(Error::Corruption {
            segment,
            offset: 0,
            kind: CorruptionKind::BadMagic,
        }) => assert_eq!(segment, segs[1]),
        other => panic!("expected header corruption, got {other:?}"),
    }
}

#[test]
fn flipped_bit_in_the_very_last_record_is_cut_like_a_torn_write() {
    let (fs, dir, clock, segs) = setup(60);
    let last = segs.last().unwrap().clone();
    let first = first_lsn(&last);
    let k = 60 - first; // index of LSN 60 in the last segment
    let off = record_offset(first, k);
    fs.flip_bit(&last, off + 2, 5).unwrap();
    let wal = Wal::open(opts(Arc::new(fs), &dir, &clock)).unwrap();
    assert_eq!(wal.last_lsn(), 59);
    assert_contiguous(&read_all(&wal, 1), 1);
}

#[test]
fn every_single_bit_flip_is_either_reported_or_cuts_only_the_tail() {
    // Exhaustive over the bytes of the last segment (one bit per byte, rotating): whatever
    // is flipped, open never panics, never returns a hole, and never loses a record that is
    // followed by a valid one.
    let (base, dir, clock, segs) = setup(30);
    let last = segs.last().unwrap().clone();
    let len = base.file_len(&last).unwrap();
    let used = record_offset(first_lsn(&last), 31 - first_lsn(&last));
    for byte in 0..used.min(len) {
        let (fs, _, _, _) = setup(30);
        fs.flip_bit(&last, byte, (byte % 8) as u8).unwrap();
        match Wal::open(opts(Arc::new(fs), &dir, &clock)) {
            Ok(wal) => {
                let recs = read_all(&wal, 1);
                assert_contiguous(&recs, 1);
                // Only the final record may be cut.
                assert!(recs.len() >= 29, "byte {byte}: only {} records", recs.len());
            }
            Err(Error::Corruption { segment, .. }) => assert_eq!(segment, last),
            Err(e) => panic!("byte {byte}: unexpected error {e}"),
        }
    }
}
