//! Helpers shared by the WAL integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::clock::{Clock, ManualClock};
use shale_io::{FaultFs, FileSystem, IoBackend};
use shale_wal::{Durability, Record, Wal, WalOptions};

/// Small segments so tests roll often.
pub const SMALL_SEGMENT_BYTES: u64 = 4096;

/// Options over `fs` at `dir` with a manual clock, small segments, `Sync`.
pub fn opts(fs: Arc<dyn FileSystem>, dir: &Path, clock: &ManualClock) -> WalOptions {
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut o = WalOptions::new(dir, fs, c);
    o.segment_size_bytes = SMALL_SEGMENT_BYTES;
    o.durability = Durability::Sync;
    o
}

/// A FaultFs with `/db` created.
pub fn fault_fs() -> (FaultFs, PathBuf) {
    let fs = FaultFs::new();
    let dir = PathBuf::from("/db/wal");
    (fs, dir)
}

/// Deterministic payload for record `i`, of varying length (0..=300 bytes).
pub fn payload(i: u64) -> Vec<u8> {
    let len = (i.wrapping_mul(7919) % 301) as usize;
    (0..len).map(|j| (i as usize + j) as u8).collect()
}

/// All records from `from`, panicking on errors.
pub fn read_all(wal: &Wal, from: u64) -> Vec<Record> {
    wal.read_from_lsn(from)
        .expect("read_from_lsn")
        .collect::<Result<Vec<_>, _>>()
        .expect("iterate")
}

/// Asserts `records` are LSNs `first..first+len` with the payloads of [`payload`].
pub fn assert_contiguous(records: &[Record], first: u64) {
    for (i, r) in records.iter().enumerate() {
        let lsn = first + i as u64;
        assert_eq!(r.lsn, lsn, "LSN hole or reorder at index {i}");
        assert_eq!(r.payload, payload(lsn), "payload of LSN {lsn}");
    }
}

/// Runs `f` against FaultFs and every real backend (each in its own tempdir). A backend the
/// kernel refuses (io_uring under seccomp) is reported and skipped, unless
/// `SHALE_REQUIRE_URING=1`.
pub fn for_each_backend(mut f: impl FnMut(&str, Arc<dyn FileSystem>, &Path)) {
    let (fault, dir) = fault_fs();
    f("fault", Arc::new(fault), &dir);
    for backend in IoBackend::ALL {
        let fs = match backend.build() {
            Ok(fs) => fs,
            Err(e) if backend.may_skip_when_unavailable() => {
                eprintln!("skipping {backend:?}: {e}");
                continue;
            }
            Err(e) => panic!("{backend:?}: {e}"),
        };
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join("wal");
        f(&format!("{backend:?}"), fs, &dir);
    }
}
