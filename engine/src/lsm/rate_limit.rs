//! The background rate limiter: paces the bytes background flushes and compactions
//! write, so that they do not take the disk (and a core) in bursts that the foreground's
//! fdatasyncs and reads queue behind. RocksDB's `GenericRateLimiter` is the reference,
//! with its `auto_tuned` mode (RocksDB also paces flushes and compactions, flushes at a
//! higher priority; here both share one bucket, and a flush that writers wait for is
//! never paced: see the last point):
//!
//! - **A token bucket refilled every [`PERIOD_US`]** with `rate × period` bytes, holding at
//!   most one period's worth, so output is spread across each period rather than
//!   written in a burst after an idle spell. A request is granted while the period has
//!   any bytes left and may take it into debt (it is one output chunk,
//!   [`PACE_CHUNK_BYTES`]); a later request waits until refills have repaid it.
//! - **Auto-tuning**, RocksDB's multiplicative-increase, multiplicative-decrease rule:
//!   every [`TUNE_PERIODS`] periods, the share of periods in which a request had to wait
//!   ("drained") is the demand for background I/O. Above 90% the rate rises by 5%, below
//!   50% it falls by 5%, within `[max / 20, max]`. So the rate follows what compaction
//!   needs to keep up with the write rate, and bursts above it are smoothed.
//! - **Never a cause of write stalls**: the background threads are paced only while
//!   writers would proceed unhindered, even after one more memtable froze
//!   (`DbInner::pace_background`). Once flushes or compactions fall behind far enough to
//!   come near slowing writers, they run unlimited until they catch up.
//!
//! The arithmetic ([`Limiter::take`]) is a pure function of the time it is given, so its
//! tests run on numbers; [`RateLimiter::request`] reads the engine's clock and sleeps.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use shale_io::clock::Clock;

/// The refill period, µs. RocksDB's default is 100 ms; a tenth of that spreads a
/// compaction's output more finely, at a cost of one lock per refill.
pub const PERIOD_US: u64 = 10_000;
/// Periods between two tuning decisions (one second).
pub const TUNE_PERIODS: u64 = 100;
/// Output asked for at a time: the unit of pacing, and the most a request takes into
/// debt.
pub const PACE_CHUNK_BYTES: u64 = 256 << 10;
/// The lowest `max_bytes_per_sec` accepted: below it one chunk would be more than a
/// second's worth at the tuned minimum.
pub const MIN_MAX_BYTES_PER_SEC: u64 = 1 << 20;
/// The most periods one request waits. Debt is at most one chunk, repaid within
/// `PACE_CHUNK_BYTES / (min rate × period)` periods: 500 (5 s) at the lowest setting,
/// 25 at 20 MiB/s. The bound keeps a wait finite whatever the clock does.
const MAX_WAIT_PERIODS: u64 = 1000;
/// RocksDB's watermarks and step (`kLowWatermarkPct`, `kHighWatermarkPct`,
/// `kAdjustFactorPct`), and its range (`kAllowedRangeFactor`): the tuned rate stays
/// within `[max / 20, max]`.
const LOW_WATERMARK_PCT: u64 = 50;
const HIGH_WATERMARK_PCT: u64 = 90;
const ADJUST_PCT: u64 = 5;
const RANGE_FACTOR: u64 = 20;

/// How background writes are paced (`DbOptions::background_rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The most background writes per second, bytes (at least [`MIN_MAX_BYTES_PER_SEC`]).
    pub max_bytes_per_sec: u64,
    /// Tune the rate within `[max / 20, max]` to the demand (the module doc); otherwise
    /// the rate is `max_bytes_per_sec` throughout.
    pub auto_tuned: bool,
}

/// The limiter's arithmetic: the bucket and the tuning counters at a given time.
#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    max: u64,
    min: u64,
    auto_tuned: bool,
    /// Bytes per second now.
    rate: u64,
    /// Bytes left in this period; negative: debt.
    available: i64,
    /// When the current period began, µs.
    period_start: u64,
    /// Periods since the last tuning decision, and how many of them were drained.
    periods: u64,
    drained: u64,
    /// Whether a request waited in the current period (counted once per period).
    drained_now: bool,
}

impl Limiter {
    /// A limiter at `now`: auto-tuned ones start halfway up their range, as a guess the
    /// first seconds correct.
    pub(crate) fn new(limit: RateLimit, now: u64) -> Limiter {
        let max = limit.max_bytes_per_sec.max(MIN_MAX_BYTES_PER_SEC);
        let min = (max / RANGE_FACTOR).max(1);
        let rate = if limit.auto_tuned { max / 2 } else { max };
        Limiter {
            max,
            min,
            auto_tuned: limit.auto_tuned,
            rate,
            available: per_period(rate),
            period_start: now,
            periods: 0,
            drained: 0,
            drained_now: false,
        }
    }

    /// The rate now, bytes per second.
    pub(crate) fn rate(&self) -> u64 {
        self.rate
    }

    /// Asks for `bytes` at `now`: `None` if granted (taken from this period, possibly
    /// into debt), or the time to ask again.
    pub(crate) fn take(&mut self, bytes: u64, now: u64) -> Option<u64> {
        self.refill(now);
        if self.available > 0 {
            // At most one chunk of debt, whatever one request asks for.
            let bytes = i64::try_from(bytes.min(PACE_CHUNK_BYTES)).unwrap_or(i64::MAX);
            self.available = self.available.saturating_sub(bytes);
            return None;
        }
        if !self.drained_now {
            self.drained_now = true;
            self.drained += 1;
        }
        Some(self.period_start + PERIOD_US)
    }

    /// Starts the periods that have begun by `now`, each refilled, and tunes the rate
    /// after every [`TUNE_PERIODS`].
    fn refill(&mut self, now: u64) {
        if now < self.period_start + PERIOD_US {
            return;
        }
        let elapsed = (now - self.period_start) / PERIOD_US;
        self.period_start += elapsed * PERIOD_US;
        // Each new period adds its bytes; unused bytes do not carry past one period.
        let refill =
            per_period(self.rate).saturating_mul(i64::try_from(elapsed).unwrap_or(i64::MAX));
        self.available = self
            .available
            .saturating_add(refill)
            .min(per_period(self.rate));
        // The period that ended is counted, and the idle ones after it as not drained.
        self.periods += elapsed;
        self.drained_now = false;
        if self.periods >= TUNE_PERIODS {
            self.tune();
        }
    }

    /// RocksDB's rule (the module doc).
    fn tune(&mut self) {
        if self.auto_tuned {
            let drained_pct = self.drained * 100 / self.periods.max(1);
            if drained_pct > HIGH_WATERMARK_PCT {
                self.rate = (self.rate + self.rate * ADJUST_PCT / 100).min(self.max);
            } else if drained_pct < LOW_WATERMARK_PCT {
                self.rate = (self.rate - self.rate * ADJUST_PCT / 100).max(self.min);
            }
        }
        self.periods = 0;
        self.drained = 0;
    }
}

fn per_period(rate: u64) -> i64 {
    i64::try_from(rate.saturating_mul(PERIOD_US) / 1_000_000)
        .unwrap_or(i64::MAX)
        .max(1)
}

/// Paces one job's output (a flush or a compaction): calls `pace` with the bytes written
/// since its last call, after every further [`PACE_CHUNK_BYTES`] and at the end. The
/// totals it is given are estimates that can shrink a little (a table's estimate counts
/// its last key), so only growth beyond what was paced counts.
pub(crate) struct Pacer<'a> {
    pace: Option<&'a dyn Fn(u64)>,
    paced: u64,
}

impl<'a> Pacer<'a> {
    /// A pacer calling `pace`; `None` paces nothing.
    pub(crate) fn new(pace: Option<&'a dyn Fn(u64)>) -> Self {
        Pacer { pace, paced: 0 }
    }

    /// The job has written about `total` bytes: paces them once a chunk has gathered.
    pub(crate) fn wrote(&mut self, total: u64) {
        if total.saturating_sub(self.paced) >= PACE_CHUNK_BYTES {
            self.pace_to(total);
        }
    }

    /// The job is done at `total` bytes: paces whatever is left.
    pub(crate) fn finish(&mut self, total: u64) {
        if total > self.paced {
            self.pace_to(total);
        }
    }

    fn pace_to(&mut self, total: u64) {
        if let Some(pace) = self.pace {
            pace(total - self.paced);
        }
        self.paced = total;
    }
}

/// The engine's limiter: [`Limiter`] behind a lock, on the engine's clock.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limiter: Mutex<Limiter>,
    clock: Arc<dyn Clock>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit, clock: Arc<dyn Clock>) -> RateLimiter {
        let now = clock.now_micros();
        RateLimiter {
            limiter: Mutex::new(Limiter::new(limit, now)),
            clock,
        }
    }

    /// Waits until `bytes` may be written, or until `urgent()` says pacing must stop
    /// (asked before each wait). Returns the µs it slept, by the clock.
    pub(crate) fn request(&self, bytes: u64, urgent: impl Fn() -> bool) -> u64 {
        let mut slept = 0;
        let mut last = None;
        for _ in 0..MAX_WAIT_PERIODS {
            let now = self.clock.now_micros();
            if let Some(before) = last {
                slept += now.saturating_sub(before);
                if now == before {
                    // A clock that a sleep does not move (a test's manual clock) would
                    // never refill the bucket.
                    break;
                }
            }
            let Some(until) = self.limiter.lock().take(bytes, now) else {
                break;
            };
            if urgent() {
                break;
            }
            last = Some(now);
            std::thread::sleep(Duration::from_micros(until.saturating_sub(now).max(1)));
        }
        slept
    }

    /// The rate now, bytes per second.
    pub(crate) fn rate(&self) -> u64 {
        self.limiter.lock().rate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1 << 20;

    fn limiter(max: u64, auto_tuned: bool) -> Limiter {
        Limiter::new(
            RateLimit {
                max_bytes_per_sec: max,
                auto_tuned,
            },
            0,
        )
    }

    /// Bytes granted over `secs` seconds to a requester that always wants more, asking
    /// in chunks and coming back when told.
    fn saturate(l: &mut Limiter, secs: u64) -> u64 {
        let (mut now, mut granted) = (0u64, 0u64);
        let end = secs * 1_000_000;
        while now < end {
            match l.take(PACE_CHUNK_BYTES, now) {
                None => granted += PACE_CHUNK_BYTES,
                Some(at) => now = at,
            }
        }
        granted
    }

    #[test]
    fn a_fixed_rate_grants_its_rate_within_a_chunk_per_second() {
        let mut l = limiter(100 * MB, false);
        let granted = saturate(&mut l, 10);
        let want = 1000 * MB;
        assert!(
            granted.abs_diff(want) <= 10 * PACE_CHUNK_BYTES,
            "{granted} vs {want}"
        );
        assert_eq!(l.rate(), 100 * MB, "not tuned");
    }

    #[test]
    fn idle_time_does_not_bank_a_burst() {
        let mut l = limiter(100 * MB, false);
        // After a minute idle, the next period still holds one period's bytes at most.
        let now = 60_000_000;
        let mut granted = 0;
        while l.take(PACE_CHUNK_BYTES, now).is_none() {
            granted += PACE_CHUNK_BYTES;
        }
        let one_period = 100 * MB * PERIOD_US / 1_000_000;
        assert!(granted <= one_period + PACE_CHUNK_BYTES, "{granted}");
    }

    #[test]
    fn sustained_demand_raises_the_tuned_rate_to_its_maximum() {
        let mut l = limiter(100 * MB, true);
        assert_eq!(l.rate(), 50 * MB);
        saturate(&mut l, 30);
        assert_eq!(l.rate(), 100 * MB);
    }

    #[test]
    fn light_demand_lowers_the_tuned_rate_to_its_minimum() {
        let mut l = limiter(100 * MB, true);
        // One chunk every 100 ms: far below any rate in the range, never drained.
        for i in 0..1000u64 {
            assert_eq!(l.take(PACE_CHUNK_BYTES, i * 100_000), None, "at {i}");
        }
        assert_eq!(l.rate(), 5 * MB, "max / 20");
    }

    #[test]
    fn a_waiting_request_is_told_the_next_refill() {
        let mut l = limiter(MB, false);
        assert_eq!(l.take(PACE_CHUNK_BYTES, 5), None, "into debt");
        assert_eq!(l.take(1, 5), Some(PERIOD_US));
        // Debt of a chunk at 1 MiB/s (10 KiB a period) takes about 25 periods to repay.
        let mut now = 0;
        let mut waits = 0;
        while let Some(at) = l.take(1, now) {
            now = at;
            waits += 1;
            assert!(waits < 100);
        }
        assert!((24..=27).contains(&waits), "{waits}");
    }

    #[test]
    fn a_pacer_counts_only_growth_and_paces_the_rest_at_the_end() {
        let calls = std::cell::RefCell::new(Vec::new());
        let record = |b: u64| calls.borrow_mut().push(b);
        let mut p = Pacer::new(Some(&record));
        p.wrote(PACE_CHUNK_BYTES - 1);
        p.wrote(PACE_CHUNK_BYTES + 10);
        // An estimate that shrinks (a shorter last key) is not a negative chunk.
        p.wrote(PACE_CHUNK_BYTES);
        p.wrote(2 * PACE_CHUNK_BYTES + 9);
        p.finish(2 * PACE_CHUNK_BYTES + 20);
        p.finish(2 * PACE_CHUNK_BYTES + 20);
        // A chunk at CHUNK + 10; 2 × CHUNK + 9 is a byte short of the next; the end
        // paces the rest, once.
        assert_eq!(
            calls.into_inner(),
            vec![PACE_CHUNK_BYTES + 10, PACE_CHUNK_BYTES + 10]
        );
    }

    #[test]
    fn a_huge_request_takes_one_chunk_of_debt() {
        let mut l = limiter(MB, false);
        assert_eq!(l.take(u64::MAX, 0), None);
        // Repaid like one chunk's debt (about 25 periods at 1 MiB/s), not never.
        let mut now = 0;
        let mut waits = 0;
        while let Some(at) = l.take(1, now) {
            now = at;
            waits += 1;
            assert!(waits < 100, "debt never repaid");
        }
    }

    /// A fixed 1 MiB/s limiter on a manual clock that never moves.
    fn on_a_stopped_clock() -> RateLimiter {
        RateLimiter::new(
            RateLimit {
                max_bytes_per_sec: MB,
                auto_tuned: false,
            },
            Arc::new(shale_io::clock::ManualClock::new(0)),
        )
    }

    #[test]
    fn a_clock_that_never_moves_ends_the_wait() {
        let r = on_a_stopped_clock();
        assert_eq!(r.request(PACE_CHUNK_BYTES, || false), 0);
        // Drained, and the clock never refills it: one sleep, then granted.
        assert_eq!(r.request(PACE_CHUNK_BYTES, || false), 0);
    }

    #[test]
    fn urgency_ends_the_wait_before_any_sleep() {
        let r = on_a_stopped_clock();
        r.request(PACE_CHUNK_BYTES, || false);
        let asked = std::sync::atomic::AtomicU32::new(0);
        r.request(PACE_CHUNK_BYTES, || {
            asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            true
        });
        assert_eq!(asked.into_inner(), 1, "asked once, then granted");
    }
}
