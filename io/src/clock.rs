//! The clock seam. The WAL stamps records with commit times, TTL compares against "now",
//! token buckets refill over time and point-in-time restore picks a second: all of them ask
//! a [`Clock`], so tests drive time with a [`ManualClock`] and run in milliseconds.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of wall-clock time in microseconds since the Unix epoch.
pub trait Clock: Send + Sync + Debug + 'static {
    /// Microseconds since 1970-01-01T00:00:00Z.
    fn now_micros(&self) -> u64;

    /// Whole seconds since the epoch.
    fn now_secs(&self) -> u64 {
        self.now_micros() / 1_000_000
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to. Cloning shares the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    micros: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock that reads `start_micros` until advanced.
    pub fn new(start_micros: u64) -> Self {
        ManualClock {
            micros: Arc::new(AtomicU64::new(start_micros)),
        }
    }
    /// Moves time forward.
    pub fn advance_micros(&self, d: u64) {
        self.micros.fetch_add(d, Ordering::SeqCst);
    }
    /// Moves time forward by whole seconds.
    pub fn advance_secs(&self, s: u64) {
        self.advance_micros(s * 1_000_000);
    }
    /// Sets the time.
    pub fn set_micros(&self, t: u64) {
        self.micros.store(t, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_micros(&self) -> u64 {
        self.micros.load(Ordering::SeqCst)
    }
}

/// A shared clock handle.
pub type SharedClock = Arc<dyn Clock>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_advanced_and_clones_share_time() {
        let c = ManualClock::new(5);
        let c2 = c.clone();
        assert_eq!(c.now_micros(), 5);
        c2.advance_secs(2);
        assert_eq!(c.now_micros(), 2_000_005);
        assert_eq!(c.now_secs(), 2);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_secs() > 1_577_836_800);
    }
}
