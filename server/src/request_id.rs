//! `x-amzn-RequestId` values: 52 upper-case hex characters, like DynamoDB's, unique per
//! process run.
//!
//! Uniqueness, not unpredictability, is what clients need (they quote the id in bug
//! reports), so the id is the server's start time, its process id and a counter: no RNG.

use std::sync::atomic::{AtomicU64, Ordering};

/// Hands out request ids. Thread-safe.
#[derive(Debug)]
pub struct RequestIds {
    start_micros: u64,
    pid: u32,
    next: AtomicU64,
}

impl RequestIds {
    /// A generator for a server that started at `start_micros` (from its clock).
    pub fn new(start_micros: u64) -> Self {
        RequestIds {
            start_micros,
            pid: std::process::id(),
            next: AtomicU64::new(0),
        }
    }

    /// The next id.
    pub fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:016X}{:08X}{:028X}", self.start_micros, self.pid, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_52_hex_chars_and_distinct() {
        let ids = RequestIds::new(1_700_000_000_000_000);
        let a = ids.next_id();
        let b = ids.next_id();
        assert_eq!(a.len(), 52);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase()));
        assert_ne!(a, b);
    }
}
