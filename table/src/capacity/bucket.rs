//! The token bucket: the arithmetic (pure functions) and the lock-free bucket built on it.
//!
//! Units are **micro-units** (`1 RCU = 1_000_000`), held in an `i64`: a half read unit
//! (an eventually consistent 4 KB read) is exact, rates split across partitions lose at
//! most one micro-unit per second, and the largest balance (40,000 units/s × 300 s of
//! burst = 1.2·10¹³) is far below `i64::MAX` (9.2·10¹⁸).
//!
//! A bucket refills at `rate` micro-units per second up to `cap` (the burst: `rate ×
//! burst seconds`), and a request is charged what it consumed. The balance may go
//! below zero (debt): a request is admitted when the balance is positive and then
//! charged in full, because the exact charge of a Query page or of an UpdateItem is
//! known only after it ran (DynamoDB does the same). Debt is repaid by refill before the
//! bucket admits anything again, so over any interval the bucket serves at most `cap +
//! rate × interval + one request's cost`.
//!
//! Thread safety: [`Bucket`] is two atomics. Time is credited by whoever moves
//! `refilled_at` forward with a compare-exchange, so each microsecond is credited once;
//! the balance changes only by atomic read-modify-writes (a refill's add-and-clamp, a
//! charge's subtract), so no charge is lost. `tests/loom_capacity_bucket.rs` checks
//! both under every interleaving. Under `--cfg loom` the atomics are loom's.

#[cfg(loom)]
use loom::sync::atomic::{AtomicI64, AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Micro-units per capacity unit.
pub const MICROS_PER_UNIT: i64 = 1_000_000;
/// Microseconds per second, the clock's resolution.
const MICROS_PER_SEC: u128 = 1_000_000;

/// `units` (RCU or WCU, possibly ½) as micro-units, rounded to the nearest micro-unit
/// and saturated (a charge is never larger than a few hundred thousand units).
pub fn units_to_micros(units: f64) -> i64 {
    debug_assert!(
        units >= 0.0 && units.is_finite(),
        "a charge is finite and ≥ 0"
    );
    let m = (units * MICROS_PER_UNIT as f64).round();
    if m >= i64::MAX as f64 {
        i64::MAX
    } else {
        m.max(0.0) as i64
    }
}

/// Micro-units as units, for reports.
pub fn micros_to_units(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_UNIT as f64
}

/// The micro-units `rate` (micro-units per second) earns in `elapsed_us` microseconds,
/// saturated at `i64::MAX` (a long idle time can earn more than any cap).
pub fn credit(rate_per_sec: u64, elapsed_us: u64) -> i64 {
    // The common case (a refill every few microseconds) fits in 64 bits, and a 128-bit
    // division is a library call on the hot path of every request.
    if let Some(product) = rate_per_sec.checked_mul(elapsed_us) {
        return i64::try_from(product / MICROS_PER_SEC as u64).unwrap_or(i64::MAX);
    }
    let earned = u128::from(rate_per_sec) * u128::from(elapsed_us) / MICROS_PER_SEC;
    i64::try_from(earned).unwrap_or(i64::MAX)
}

/// The balance after crediting `earned` to `balance`, capped at `cap`. A balance already
/// above the cap (the cap was lowered) is left as it is, never raised and never cut:
/// it drains by use.
pub fn refilled(balance: i64, earned: i64, cap: i64) -> i64 {
    debug_assert!(earned >= 0, "time only moves forward");
    if balance >= cap {
        return balance;
    }
    balance.saturating_add(earned).min(cap)
}

/// Whether a bucket with `balance` admits a request: any positive balance does, and the
/// request may then take it into debt (see the module doc).
pub fn admits(balance: i64) -> bool {
    balance > 0
}

/// A token bucket refilled from a clock in microseconds. See the module doc for the units,
/// the debt rule and the thread-safety argument.
#[derive(Debug)]
pub struct Bucket {
    /// Micro-units; negative is debt.
    balance: AtomicI64,
    /// The clock time (µs) up to which refill has been credited.
    refilled_at: AtomicU64,
    /// Refill rate, micro-units per second.
    rate_per_sec: u64,
    /// The most the balance refills to (burst), micro-units.
    cap: i64,
}

impl Bucket {
    /// A bucket refilling at `rate_per_sec` micro-units per second up to `cap`, holding
    /// `initial` (clamped to the cap) at clock time `now_us`.
    pub fn new(rate_per_sec: u64, cap: i64, initial: i64, now_us: u64) -> Bucket {
        debug_assert!(cap >= 0, "a bucket's cap is not negative");
        Bucket {
            balance: AtomicI64::new(initial.min(cap)),
            refilled_at: AtomicU64::new(now_us),
            rate_per_sec,
            cap,
        }
    }

    /// Credits the time since the last refill, up to `now_us`. A clock that reads earlier
    /// than the last refill credits nothing (time never runs backwards for a bucket).
    pub fn refill(&self, now_us: u64) {
        let last = self.refilled_at.load(Ordering::Acquire);
        if now_us <= last {
            return;
        }
        // Whoever moves the mark forward credits the interval; a loser's interval is
        // credited by the winner (or by the next refill, from the mark the winner set).
        if self
            .refilled_at
            .compare_exchange(last, now_us, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let earned = credit(self.rate_per_sec, now_us - last);
        let cap = self.cap;
        // Infallible: the closure always returns Some.
        let _ = self
            .balance
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |b| {
                Some(refilled(b, earned, cap))
            });
    }

    /// The balance after refilling to `now_us`.
    pub fn balance_at(&self, now_us: u64) -> i64 {
        self.refill(now_us);
        self.balance()
    }

    /// The balance as it is (no refill).
    pub fn balance(&self) -> i64 {
        self.balance.load(Ordering::Acquire)
    }

    /// Takes `micros` (possibly into debt).
    pub fn charge(&self, micros: i64) {
        debug_assert!(micros >= 0, "a charge is not negative");
        self.balance.fetch_sub(micros, Ordering::AcqRel);
    }

    /// Adds `delta` (either sign) to the balance: for carrying a balance into a rebuilt
    /// bucket, never for charging a request.
    pub fn adjust(&self, delta: i64) {
        self.balance.fetch_add(delta, Ordering::AcqRel);
    }

    /// The refill rate, micro-units per second.
    pub fn rate_per_sec(&self) -> u64 {
        self.rate_per_sec
    }

    /// The cap (burst), micro-units.
    pub fn cap(&self) -> i64 {
        self.cap
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    const UNIT: i64 = MICROS_PER_UNIT;

    #[test]
    fn credit_is_rate_times_time_and_saturates() {
        assert_eq!(credit(5 * UNIT as u64, 1_000_000), 5 * UNIT);
        assert_eq!(credit(5 * UNIT as u64, 200_000), UNIT);
        assert_eq!(credit(5 * UNIT as u64, 0), 0);
        assert_eq!(credit(u64::MAX, u64::MAX), i64::MAX);
        // Past 64 bits the product is taken in 128.
        assert_eq!(credit(40_000 * UNIT as u64, 1 << 40), 40_000 * (1 << 40));
    }

    #[test]
    fn refill_caps_at_the_burst_and_never_cuts_a_balance_above_it() {
        let cap = 1500 * UNIT;
        assert_eq!(refilled(0, 10 * UNIT, cap), 10 * UNIT);
        assert_eq!(refilled(cap - UNIT, 10 * UNIT, cap), cap);
        assert_eq!(refilled(cap + UNIT, 10 * UNIT, cap), cap + UNIT);
        assert_eq!(refilled(i64::MIN + 1, i64::MAX, cap), 0);
    }

    #[test]
    fn debt_is_repaid_before_the_bucket_admits_again() {
        let b = Bucket::new(5 * UNIT as u64, 1500 * UNIT, UNIT, 0);
        assert!(admits(b.balance_at(0)));
        b.charge(10 * UNIT); // a 10-unit request admitted on a 1-unit balance
        assert_eq!(b.balance(), -9 * UNIT);
        assert!(!admits(b.balance_at(1_000_000)), "-4 units after 1 s");
        assert!(!admits(b.balance_at(1_800_000)), "exactly 0 after 1.8 s");
        assert!(admits(b.balance_at(1_800_001)));
    }

    #[test]
    fn idle_time_accrues_up_to_the_burst_cap() {
        let b = Bucket::new(5 * UNIT as u64, 300 * 5 * UNIT, 0, 0);
        assert_eq!(b.balance_at(100_000_000), 500 * UNIT);
        assert_eq!(b.balance_at(1_000_000_000), 1500 * UNIT, "capped at 300 s");
        // A clock read behind the last refill credits nothing.
        assert_eq!(b.balance_at(5), 1500 * UNIT);
    }

    #[test]
    fn units_convert_exactly_for_halves() {
        assert_eq!(units_to_micros(0.5), UNIT / 2);
        assert_eq!(units_to_micros(3.0), 3 * UNIT);
        assert_eq!(micros_to_units(UNIT / 2), 0.5);
        assert_eq!(
            units_to_micros(crate::capacity::read_units(4097, false)),
            UNIT
        );
        assert_eq!(
            units_to_micros(crate::capacity::write_units(1025)),
            2 * UNIT
        );
    }
}
