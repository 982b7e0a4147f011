//! The next segment is prepared in the background once the active one is half full, and a
//! roll installs it (header, rename, directory sync) instead of zero-filling a new file.
//! Spares never read as segments, leftovers are deleted on open and close, and a crash at
//! any point keeps the log intact.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_contiguous, fault_fs, opts, payload, read_all, SMALL_SEGMENT_BYTES};
use shale_io::clock::ManualClock;
use shale_io::{FaultFs, FileSystem, OpenMode};
use shale_wal::{Durability, Wal};

fn with_suffix(fs: &FaultFs, dir: &Path, suffix: &str) -> Vec<PathBuf> {
    fs.files()
        .into_iter()
        .filter(|p| p.parent() == Some(dir))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect()
}

/// Polls `cond` for at most 10 s.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// Appends until the active segment is past half full (so a spare is requested), without
/// rolling. Returns the last LSN.
fn fill_past_half(wal: &Wal, fs: &FaultFs, dir: &Path, from: u64) -> u64 {
    let segments = with_suffix(fs, dir, ".wal").len();
    let mut lsn = from;
    let mut written = 0u64;
    while written * 2 < SMALL_SEGMENT_BYTES + 512 {
        lsn = wal.append(1, &payload(lsn + 1)).unwrap();
        written += payload(lsn).len() as u64 + 32;
    }
    assert_eq!(
        with_suffix(fs, dir, ".wal").len(),
        segments,
        "rolled too early"
    );
    lsn
}

#[test]
fn a_half_full_segment_gets_a_spare_and_the_roll_installs_it() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    assert!(
        with_suffix(&fs, &dir, ".spare").is_empty(),
        "no spare before it is needed"
    );
    let mut lsn = fill_past_half(&wal, &fs, &dir, 0);
    assert!(
        eventually(|| with_suffix(&fs, &dir, ".spare").len() == 1),
        "no spare was prepared"
    );
    let spare = with_suffix(&fs, &dir, ".spare").remove(0);
    assert_eq!(fs.file_len(&spare).unwrap(), SMALL_SEGMENT_BYTES);

    let segments = with_suffix(&fs, &dir, ".wal").len();
    while with_suffix(&fs, &dir, ".wal").len() == segments {
        lsn = wal.append(1, &payload(lsn + 1)).unwrap();
        assert!(lsn < 10_000, "never rolled");
    }
    assert!(
        !fs.exists(&spare).unwrap(),
        "the roll did not use the spare"
    );
    // Acknowledged (Sync) records across the roll survive a power cut.
    fs.crash();
    drop(wal);
    let wal = Wal::open(opts(Arc::new(fs.clone()), &dir, &clock)).unwrap();
    assert_eq!(wal.last_lsn(), lsn);
    assert_contiguous(&read_all(&wal, 1), 1);
}

#[test]
fn leftover_spares_are_deleted_on_open_and_an_unused_one_on_close() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let o = opts(Arc::new(fs.clone()), &dir, &clock);
    let wal = Wal::open(o.clone()).unwrap();
    let lsn = fill_past_half(&wal, &fs, &dir, 0);
    assert!(eventually(|| with_suffix(&fs, &dir, ".spare").len() == 1));
    wal.close().unwrap();
    assert!(
        with_suffix(&fs, &dir, ".spare").is_empty(),
        "close left a spare"
    );

    // A spare that survived a crash (its directory entry made durable) goes at open.
    let stray = dir.join("00000000000000000007.spare");
    fs.open(&stray, OpenMode::CreateNew)
        .unwrap()
        .write_all_at(&[0; 64], 0)
        .unwrap();
    fs.sync_dir(&dir).unwrap();
    fs.crash();
    let wal = Wal::open(o).unwrap();
    assert!(!fs.exists(&stray).unwrap());
    assert_eq!(wal.last_lsn(), lsn);
    assert_contiguous(&read_all(&wal, 1), 1);
}

#[test]
fn crashes_around_spare_preparation_and_install_lose_nothing_acknowledged() {
    // Torn crashes at many points of a run that rolls several times through spares.
    for seed in 0..40u64 {
        let (fs, dir) = fault_fs();
        let clock = ManualClock::new(0);
        let o = opts(Arc::new(fs.clone()), &dir, &clock);
        let wal = Wal::open(o.clone()).unwrap();
        let appends = 20 + seed * 7;
        let mut acked = 0;
        for i in 1..=appends {
            acked = wal.append(1, &payload(i)).unwrap();
            if i % 9 == 0 {
                // Give the spare thread a chance to run between bursts.
                std::thread::yield_now();
            }
        }
        fs.crash_torn(seed);
        drop(wal);
        let wal = Wal::open(o).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(wal.last_lsn(), acked, "seed {seed}");
        assert_contiguous(&read_all(&wal, 1), 1);
    }
}

#[test]
fn without_spares_the_roll_creates_segments_itself() {
    let (fs, dir) = fault_fs();
    let clock = ManualClock::new(0);
    let mut o = opts(Arc::new(fs.clone()), &dir, &clock);
    o.prepare_spare_segments = false;
    o.durability = Durability::Sync;
    let wal = Wal::open(o.clone()).unwrap();
    let mut lsn = 0;
    while with_suffix(&fs, &dir, ".wal").len() < 3 {
        lsn = wal.append(1, &payload(lsn + 1)).unwrap();
        assert!(with_suffix(&fs, &dir, ".spare").is_empty());
        assert!(lsn < 10_000, "never rolled");
    }
    fs.crash();
    drop(wal);
    let wal = Wal::open(o).unwrap();
    assert_eq!(wal.last_lsn(), lsn);
    assert_contiguous(&read_all(&wal, 1), 1);
}
