//! `WalOptions::mmap_appends`: appends copied into a map of the active segment read back
//! exactly as `pwrite`'s do, across rolls, reopens and a process that never closed the
//! log; what cannot be mapped falls back to `pwrite`.

mod common;

use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_io::{FileSystem, IoBackend};
use shale_wal::{
    Durability, Preallocation, Wal, WalOptions, RECORD_HEADER_LEN, SEGMENT_HEADER_LEN,
};

fn mapped_opts(fs: Arc<dyn FileSystem>, dir: &std::path::Path, clock: &ManualClock) -> WalOptions {
    let mut o = opts(fs, dir, clock);
    o.mmap_appends = true;
    o.durability = Durability::None;
    o.prepare_spare_segments = false;
    o
}

/// A log directory on the plain file system (which maps writable files), with a manual
/// clock: `open` opens (or reopens) the log there with [`mapped_opts`].
struct StdLog {
    fs: Arc<dyn FileSystem>,
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    clock: ManualClock,
}

impl StdLog {
    fn new() -> StdLog {
        let tmp = tempfile::tempdir().unwrap();
        StdLog {
            fs: IoBackend::Std.build().unwrap(),
            dir: tmp.path().join("wal"),
            _tmp: tmp,
            clock: ManualClock::new(0),
        }
    }

    fn options(&self) -> WalOptions {
        mapped_opts(self.fs.clone(), &self.dir, &self.clock)
    }

    fn open(&self) -> Wal {
        Wal::open(self.options()).unwrap()
    }
}

/// Every record of `wal`, checked to be LSNs 1 to `count` with [`payload`]'s payloads.
fn all_records(wal: &Wal, count: usize) -> Vec<shale_wal::Record> {
    let recs = read_all(wal, 1);
    assert_eq!(recs.len(), count);
    assert_contiguous(&recs, 1);
    recs
}

/// The bytes `recs` take in a segment: each record's header and payload.
fn record_bytes(recs: &[shale_wal::Record]) -> u64 {
    recs.iter()
        .map(|r| (RECORD_HEADER_LEN + r.payload.len()) as u64)
        .sum()
}

/// The real file systems that map writable files (the plain and the mmap backends).
fn mapping_backends() -> Vec<(IoBackend, Arc<dyn FileSystem>)> {
    [IoBackend::Std, IoBackend::Mmap]
        .into_iter()
        .map(|b| (b, b.build().expect("std and mmap backends always build")))
        .collect()
}

#[test]
fn mapped_appends_read_back_across_rolls_and_reopen() {
    for (backend, fs) in mapping_backends() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("wal");
        let clock = ManualClock::new(1_000);
        let wal = Wal::open(mapped_opts(fs.clone(), &dir, &clock)).unwrap();
        assert!(
            wal.appends_mapped(),
            "{backend:?}: a fresh log maps its segment"
        );
        // 4 KiB segments and payloads up to 300 bytes: dozens of rolls.
        for i in 1..=400u64 {
            assert_eq!(wal.append((i % 3) as u8, &payload(i)).unwrap(), i);
        }
        assert!(
            wal.appends_mapped(),
            "{backend:?}: rolled segments are mapped"
        );
        let recs = all_records(&wal, 400);
        assert_eq!(
            wal.mapped_bytes(),
            record_bytes(&recs),
            "{backend:?}: every record went through a map"
        );
        wal.close().unwrap();

        let wal = Wal::open(mapped_opts(fs, &dir, &clock)).unwrap();
        assert_eq!(wal.last_lsn(), 400, "{backend:?}");
        assert!(
            !wal.appends_mapped(),
            "{backend:?}: a recovered active segment is appended to with pwrite"
        );
        assert_eq!(read_all(&wal, 1).len(), 400);
        for i in 401..=500u64 {
            assert_eq!(wal.append(0, &payload(i)).unwrap(), i);
        }
        assert!(
            wal.appends_mapped(),
            "{backend:?}: mapped again after a roll"
        );
        all_records(&wal, 500);
    }
}

#[test]
fn mapped_appends_survive_a_process_that_never_closed_the_log() {
    let log = StdLog::new();
    let wal = log.open();
    for i in 1..=150u64 {
        wal.append(1, &payload(i)).unwrap();
    }
    assert!(wal.appends_mapped());
    // No close, no sync, no drop: what a killed process leaves. The copies are in the
    // page cache, where the next open reads them.
    std::mem::forget(wal);
    let wal = log.open();
    assert_eq!(wal.last_lsn(), 150);
    assert_eq!(wal.recovery_report().dropped_bytes(), 0);
    all_records(&wal, 150);
}

#[test]
fn a_record_past_the_preallocated_end_is_written_with_pwrite_from_there() {
    let log = StdLog::new();
    let wal = log.open();
    assert_eq!(wal.append(0, b"small").unwrap(), 1);
    assert!(wal.appends_mapped());
    let mapped = wal.mapped_bytes();
    assert!(mapped > 0);
    // Bigger than a 4 KiB segment: its own segment, grown past the preallocation. What
    // fits in the preallocated 4 KiB goes through the map, the rest through pwrite.
    let big = vec![7u8; 10_000];
    assert_eq!(wal.append(9, &big).unwrap(), 2);
    assert_eq!(
        wal.mapped_bytes() - mapped,
        SMALL_SEGMENT_BYTES - SEGMENT_HEADER_LEN as u64,
        "only the preallocated part of the big record went through the map"
    );
    assert!(
        !wal.appends_mapped(),
        "past its preallocated end, the segment is no longer mapped"
    );
    assert_eq!(wal.append(0, b"after").unwrap(), 3);
    assert!(
        wal.mapped_bytes() > mapped,
        "the next segment is mapped again"
    );
    let recs = read_all(&wal, 1);
    assert_eq!(recs.len(), 3);
    assert_eq!(recs[1].payload, big);
    assert_eq!(recs[2].payload, b"after");
    wal.close().unwrap();
    let wal = log.open();
    assert_eq!(read_all(&wal, 1)[1].payload, big);
}

#[test]
fn what_cannot_be_mapped_appends_with_pwrite() {
    // The fault-injecting file system has no maps; sparse preallocation is never mapped,
    // and neither is a log that fdatasyncs every append.
    let (fault, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(mapped_opts(Arc::new(fault), &dir, &clock)).unwrap();
    for i in 1..=50u64 {
        wal.append(0, &payload(i)).unwrap();
    }
    assert!(!wal.appends_mapped());
    assert_eq!(wal.mapped_bytes(), 0);
    all_records(&wal, 50);

    let mapped_after_one_append = |change: fn(&mut WalOptions)| {
        let log = StdLog::new();
        let mut o = log.options();
        change(&mut o);
        let wal = Wal::open(o).unwrap();
        wal.append(0, b"x").unwrap();
        assert_eq!(wal.appends_mapped(), wal.mapped_bytes() > 0);
        wal.appends_mapped()
    };
    assert!(mapped_after_one_append(|_| {}), "the control: mapped");
    assert!(
        !mapped_after_one_append(|o| o.preallocation = Preallocation::SetLen),
        "sparse segments"
    );
    assert!(
        !mapped_after_one_append(|o| o.durability = Durability::Sync),
        "sync durability"
    );
}

/// Maps of one stretch at a time (`writeback_every_bytes`): records that cross a
/// stretch's end, and ones longer than two stretches, go through several maps and read
/// back whole, before and after a reopen. Each stretch is written back as appends leave
/// it, with its map already dropped (a debug assertion in the writer checks that).
#[test]
fn mapped_appends_cross_the_stretches_each_map_covers() {
    let log = StdLog::new();
    let mut o = log.options();
    o.segment_size_bytes = 64 * 1024;
    o.writeback_every_bytes = 4096;
    let wal = Wal::open(o.clone()).unwrap();
    let mut payloads = Vec::new();
    for i in 1..=300u64 {
        let p = match i {
            // Ends exactly at the first stretch's end, where its map must be dropped
            // before the stretch is written back.
            1 => vec![1u8; 4096 - SEGMENT_HEADER_LEN - RECORD_HEADER_LEN],
            // Every 50th record is 9,000 bytes: longer than two stretches.
            i if i % 50 == 0 => vec![i as u8; 9_000],
            i => payload(i),
        };
        assert_eq!(wal.append(1, &p).unwrap(), i);
        payloads.push(p);
    }
    assert!(wal.appends_mapped());
    let recs = read_all(&wal, 1);
    assert_eq!(
        wal.mapped_bytes(),
        record_bytes(&recs),
        "every byte went through one of the maps"
    );
    let got: Vec<_> = recs.into_iter().map(|r| r.payload).collect();
    assert_eq!(got, payloads);
    wal.close().unwrap();
    let wal = Wal::open(o).unwrap();
    let got: Vec<_> = read_all(&wal, 1).into_iter().map(|r| r.payload).collect();
    assert_eq!(got, payloads, "after a reopen");
}
