//! Shared helpers for the `lsm_*` integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::{Duration, Instant};

/// Polls `cond` every millisecond for at most `limit`.
pub fn eventually(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}

/// The integration tests' key for `i`: `key` and six digits, so keys sort as numbers.
pub fn key(i: impl Into<u64>) -> Vec<u8> {
    format!("key{:06}", i.into()).into_bytes()
}

/// Every live pair of `db`, in key order, through the backend's scan.
pub fn scan_all(db: &shale_engine::lsm::Db) -> Vec<shale_engine::ScanPair> {
    shale_engine::Backend::scan(
        db,
        std::ops::Bound::Unbounded,
        std::ops::Bound::Unbounded,
        shale_engine::Direction::Forward,
        None,
    )
    .unwrap()
    .map(Result::unwrap)
    .collect()
}
