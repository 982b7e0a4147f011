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

    /// Microseconds since the epoch, read from a clock that may lag by up to a few
    /// milliseconds but costs a tenth as much: for bookkeeping on every request (token
    /// buckets), where a reading a tick late only delays refill by that tick. Never
    /// ahead of [`Clock::now_micros`]. Clocks that are cheap already return it.
    fn now_micros_coarse(&self) -> u64 {
        self.now_micros()
    }

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

    /// `CLOCK_REALTIME_COARSE`: the time at the last timer tick (1–4 ms), read from the
    /// vDSO in about 3 ns against about 28 ns for `CLOCK_REALTIME` on the 2-vCPU VM
    /// (`docs/capacity.md`, "Admission overhead").
    #[cfg(target_os = "linux")]
    fn now_micros_coarse(&self) -> u64 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        let secs = u64::try_from(t.tv_sec).unwrap_or(0);
        let micros = u64::try_from(t.tv_nsec).unwrap_or(0) / 1_000;
        secs.saturating_mul(1_000_000).saturating_add(micros)
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
    fn the_coarse_system_clock_is_close_behind_the_precise_one() {
        let c = SystemClock;
        let coarse = c.now_micros_coarse();
        let precise = c.now_micros();
        // Within a second either way: ticks are milliseconds, and the two reads are
        // moments apart (the wall clock may be stepped between them).
        assert!(
            coarse.abs_diff(precise) < 1_000_000,
            "{coarse} vs {precise}"
        );
    }

    #[test]
    fn manual_clock_moves_only_when_advanced_and_clones_share_time() {
        let c = ManualClock::new(5);
        let c2 = c.clone();
        assert_eq!(c.now_micros(), 5);
        assert_eq!(
            c.now_micros_coarse(),
            5,
            "a manual clock is exact for every reader"
        );
        c2.advance_secs(2);
        assert_eq!(c.now_micros(), 2_000_005);
        assert_eq!(c.now_secs(), 2);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now_secs() > 1_577_836_800);
    }
}
