//! Released segments are deleted (archive off) or kept under archive/ (archive on), where
//! readers still find them; purging the archive keeps a contiguous suffix.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use shale_io::clock::ManualClock;
use shale_io::FileSystem;
use shale_wal::{parse_segment_file_name, read_dir, Error, Wal, ARCHIVE_DIR};

fn segment_lsns(fs: &dyn FileSystem, dir: &Path) -> Vec<u64> {
    if !fs.exists(dir).unwrap() {
        return vec![];
    }
    fs.list_dir(dir)
        .unwrap()
        .iter()
        .filter_map(|n| parse_segment_file_name(n))
        .collect()
}

fn fill(wal: &Wal, clock: &ManualClock, from: u64, to: u64) {
    for i in from..=to {
        clock.set_micros(i * 1_000);
        assert_eq!(wal.append(1, &payload(i)).unwrap(), i);
    }
}

/// A log with archiving on, records 1..=100 (record i at time i * 1000), and every segment
/// but the active one released into the archive: (fs, dir, wal, live before release,
/// archived).
fn archived_hundred() -> (
    Arc<dyn FileSystem>,
    std::path::PathBuf,
    Wal,
    Vec<u64>,
    Vec<u64>,
) {
    let (fault, dir) = fault_fs();
    let fs: Arc<dyn FileSystem> = Arc::new(fault);
    let clock = ManualClock::new(0);
    let mut o = opts(fs.clone(), &dir, &clock);
    o.archive = true;
    let wal = Wal::open(o).unwrap();
    fill(&wal, &clock, 1, 100);
    let live = segment_lsns(&*fs, &dir);
    wal.release_before(*live.last().unwrap()).unwrap();
    let archived = segment_lsns(&*fs, &dir.join(ARCHIVE_DIR));
    (fs, dir, wal, live, archived)
}

#[test]
fn release_without_archive_deletes_old_segments_but_never_the_active_one() {
    for_each_backend(|name, fs, dir| {
        let clock = ManualClock::new(0);
        let wal = Wal::open(opts(fs.clone(), dir, &clock)).unwrap();
        fill(&wal, &clock, 1, 80);
        let before = segment_lsns(&*fs, dir);
        assert!(before.len() >= 4, "{name}");
        let cut = before[2]; // segments 0 and 1 hold only LSNs < cut
        wal.release_before(cut).unwrap();
        assert_eq!(segment_lsns(&*fs, dir), before[2..].to_vec(), "{name}");
        assert!(segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)).is_empty());
        let recs = read_all(&wal, cut);
        assert_eq!(recs.len() as u64, 81 - cut);
        assert_contiguous(&recs, cut);
        assert!(matches!(
            wal.read_from_lsn(1),
            Err(Error::LsnReleased { requested: 1, oldest_available }) if oldest_available == cut
        ));
        // Releasing everything keeps the active segment.
        wal.release_before(u64::MAX).unwrap();
        assert_eq!(
            segment_lsns(&*fs, dir),
            vec![*before.last().unwrap()],
            "{name}"
        );
        fill(&wal, &clock, 81, 90);
        wal.close().unwrap();
        let wal = Wal::open(opts(fs, dir, &clock)).unwrap();
        assert_eq!(wal.last_lsn(), 90);
        let first = *before.last().unwrap();
        assert_contiguous(&read_all(&wal, first), first);
    });
}

#[test]
fn release_with_archive_keeps_segments_readable_and_survives_a_crash() {
    let (fault, dir) = fault_fs();
    let fs: Arc<dyn FileSystem> = Arc::new(fault.clone());
    let clock = ManualClock::new(0);
    let mut o = opts(fs.clone(), &dir, &clock);
    o.archive = true;
    let wal = Wal::open(o.clone()).unwrap();
    fill(&wal, &clock, 1, 80);
    let before = segment_lsns(&*fs, &dir);
    wal.release_before(before[3]).unwrap();
    assert_eq!(segment_lsns(&*fs, &dir), before[3..].to_vec());
    assert_eq!(
        segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)),
        before[..3].to_vec()
    );
    // The whole history is still readable through the open log...
    let recs = read_all(&wal, 1);
    assert_eq!(recs.len(), 80);
    assert_contiguous(&recs, 1);
    fault.crash();
    drop(wal);
    // ...and after a crash, and read-only over the archive directory alone.
    let wal = Wal::open(o).unwrap();
    assert_eq!(wal.last_lsn(), 80);
    assert_contiguous(&read_all(&wal, 1), 1);
    let archived: Vec<_> = read_dir(fs.clone(), &dir.join(ARCHIVE_DIR), 1)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(archived.len() as u64, before[3] - 1);
    assert_contiguous(&archived, 1);
}

#[test]
fn purge_archive_deletes_only_segments_entirely_older_than_t() {
    let (fs, dir, wal, live, archived) = archived_hundred();
    assert_eq!(archived, live[..live.len() - 1].to_vec());
    // Record i has timestamp i * 1000. Purge before the 3rd archived segment's first record
    // time: segments 0 and 1 hold only older records; segment 2 starts at t.
    let t = archived[2] * 1_000;
    wal.purge_archive_before(t).unwrap();
    assert_eq!(
        segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)),
        archived[2..].to_vec()
    );
    // Everything from the first kept LSN is still readable, and from t too.
    assert_contiguous(&read_all(&wal, archived[2]), archived[2]);
    let from_t: Vec<_> = wal
        .read_from_timestamp(t)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(from_t[0].lsn, archived[2]);
    // A time inside a segment keeps that segment.
    wal.purge_archive_before(archived[2] * 1_000 + 1).unwrap();
    assert_eq!(
        segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)),
        archived[2..].to_vec()
    );
    // Purging everything stops at the live log.
    wal.purge_archive_before(u64::MAX).unwrap();
    assert!(segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)).is_empty());
    assert_eq!(segment_lsns(&*fs, &dir), vec![*live.last().unwrap()]);
}

#[test]
fn an_iterator_made_before_a_release_still_reads_archived_segments() {
    let (fault, dir) = fault_fs();
    let fs: Arc<dyn FileSystem> = Arc::new(fault);
    let clock = ManualClock::new(0);
    let mut o = opts(fs.clone(), &dir, &clock);
    o.archive = true;
    let wal = Wal::open(o).unwrap();
    fill(&wal, &clock, 1, 60);
    let iter = wal.read_from_lsn(1).unwrap();
    wal.release_before(60).unwrap();
    let recs: Vec<_> = iter.collect::<Result<_, _>>().unwrap();
    assert_eq!(recs.len(), 60);
    assert_contiguous(&recs, 1);
}

#[test]
fn archiving_turns_on_and_off_at_run_time() {
    let (fault, dir) = fault_fs();
    let fs: Arc<dyn FileSystem> = Arc::new(fault);
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(fs.clone(), &dir, &clock)).unwrap();
    assert!(!wal.archives());
    fill(&wal, &clock, 1, 60);
    let first = segment_lsns(&*fs, &dir);
    assert!(first.len() >= 3);
    // Off: released segments are deleted.
    wal.release_before(first[1]).unwrap();
    assert!(segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)).is_empty());
    // On: from now on they are archived, and readable from there.
    wal.set_archive(true).unwrap();
    assert!(wal.archives());
    fill(&wal, &clock, 61, 120);
    let live = segment_lsns(&*fs, &dir);
    wal.release_before(*live.last().unwrap()).unwrap();
    let archived = segment_lsns(&*fs, &dir.join(ARCHIVE_DIR));
    assert_eq!(archived, live[..live.len() - 1].to_vec());
    assert_contiguous(&read_all(&wal, first[1]), first[1]);
    // Off again: the next release deletes, the archive stays as it was.
    wal.set_archive(false).unwrap();
    fill(&wal, &clock, 121, 180);
    let live2 = segment_lsns(&*fs, &dir);
    wal.release_before(*live2.last().unwrap()).unwrap();
    assert_eq!(segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)), archived);
}

#[test]
fn purge_by_lsn_deletes_only_segments_wholly_below_it() {
    let (fs, dir, wal, live, archived) = archived_hundred();
    assert!(archived.len() >= 3);
    // An LSN inside segment 1 keeps segment 1; segment 0 ends below it.
    wal.purge_archive_before_lsn(archived[1] + 1).unwrap();
    assert_eq!(
        segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)),
        archived[1..].to_vec()
    );
    // Exactly segment 2's first LSN: segment 1 ends below it.
    wal.purge_archive_before_lsn(archived[2]).unwrap();
    assert_eq!(
        segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)),
        archived[2..].to_vec()
    );
    assert_contiguous(&read_all(&wal, archived[2]), archived[2]);
    // Everything: the live log is never touched.
    wal.purge_archive_before_lsn(u64::MAX).unwrap();
    assert!(segment_lsns(&*fs, &dir.join(ARCHIVE_DIR)).is_empty());
    assert_eq!(segment_lsns(&*fs, &dir), vec![*live.last().unwrap()]);
}
