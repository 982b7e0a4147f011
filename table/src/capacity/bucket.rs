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
//! Representation (the generic cell rate algorithm's, in credit instead of time): the
//! bucket keeps one number, the **mark**. `earned(now)` is the credit its rate has earned
//! since it was made; it holds `min(earned(now) − mark, cap)`. A charge of `c` moves the
//! mark to `max(mark, earned(now) − cap) + c`: the `max` forgets credit above the cap,
//! which is exactly a refill clamped at the cap. So refill costs nothing (reading the
//! balance is one load) and a charge is one atomic read-modify-write, where a separate
//! balance and refill time took three; admission runs on every request
//! (`benches/capacity_overhead.rs`).
//!
//! Thread safety: the mark changes only by compare-exchange loops, so no charge is lost
//! and the clamp is applied against the mark it raises. `tests/loom_capacity_bucket.rs`
//! checks charges at different clock times under every interleaving. Under
//! `--cfg loom` the atomic is loom's.
//!
//! Time: a clock that reads earlier than the bucket's origin has earned nothing; one that
//! steps back lowers the balance by the credit of the step until it catches up (a charge
//! at the earlier time is still taken in full). `earned` would saturate at `i64::MAX`
//! (seven years at 40,000 units per second, 2.5 hours at the highest rate a bucket
//! takes, `partitions::MAX_BUCKET_RATE`), and a saturated bucket never refills, so the
//! admission registry rebuilds a resource whose buckets have earned a quarter of that
//! (`Admission::rebase`, each second with the worker's split check).

#[cfg(loom)]
use loom::sync::atomic::{AtomicI64, Ordering};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicI64, Ordering};

/// Micro-units per capacity unit.
pub const MICROS_PER_UNIT: i64 = 1_000_000;
/// Microseconds per second, the clock's resolution.
const MICROS_PER_SEC: u64 = 1_000_000;

/// `units` (RCU or WCU, possibly ½) as micro-units, rounded to the nearest micro-unit
/// and saturated (a charge is never larger than a few hundred thousand units).
pub fn units_to_micros(units: f64) -> i64 {
    debug_assert!(
        units >= 0.0 && units.is_finite(),
        "a charge is finite and ≥ 0"
    );
    // `+ 0.5` then truncation rounds a non-negative value to nearest without `f64::round`,
    // a library call on x86-64's baseline, and this runs on every request. The cast
    // saturates (and a NaN becomes 0).
    (units * MICROS_PER_UNIT as f64 + 0.5).max(0.0) as i64
}

/// Micro-units as units, for reports.
pub fn micros_to_units(micros: i64) -> f64 {
    micros as f64 / MICROS_PER_UNIT as f64
}

/// The micro-units `rate` (micro-units per second) earns in `elapsed_us` microseconds,
/// `⌊rate × elapsed / 10⁶⌋` exactly, saturated at `i64::MAX`.
pub fn credit(rate_per_sec: u64, elapsed_us: u64) -> i64 {
    // Whole seconds and the remainder apart: both products fit in 64 bits for any rate
    // a table can have (the remainder is below 10⁶), and a 128-bit division is a library
    // call on the path of every request.
    let (secs, rem) = (elapsed_us / MICROS_PER_SEC, elapsed_us % MICROS_PER_SEC);
    let whole = secs.checked_mul(rate_per_sec);
    let part = rem.checked_mul(rate_per_sec).map(|p| p / MICROS_PER_SEC);
    if let Some(sum) = whole.zip(part).and_then(|(w, p)| w.checked_add(p)) {
        return i64::try_from(sum).unwrap_or(i64::MAX);
    }
    let earned = u128::from(rate_per_sec) * u128::from(elapsed_us) / u128::from(MICROS_PER_SEC);
    i64::try_from(earned).unwrap_or(i64::MAX)
}

/// The balance of a bucket whose rate has earned `earned` and whose mark is `mark`:
/// what was earned and not charged, at most `cap`.
pub fn balance_of(earned: i64, mark: i64, cap: i64) -> i64 {
    earned.saturating_sub(mark).min(cap)
}

/// The mark after charging `micros` at a time the rate has earned `earned`: credit above
/// the cap is forgotten first (the refill's clamp), then the charge is taken.
pub fn charged(mark: i64, earned: i64, cap: i64, micros: i64) -> i64 {
    mark.max(earned.saturating_sub(cap)).saturating_add(micros)
}

/// Whether a bucket with `balance` admits a request: any positive balance does, and the
/// request may then take it into debt (see the module doc).
pub fn admits(balance: i64) -> bool {
    balance > 0
}

/// A token bucket refilled from a clock in microseconds. See the module doc for the units,
/// the debt rule, the representation and the thread-safety argument.
#[derive(Debug)]
pub struct Bucket {
    /// Micro-units of credit charged, or forgotten above the cap (see the module doc).
    mark: AtomicI64,
    /// The clock time (µs) from which the rate earns.
    origin_us: u64,
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
            mark: AtomicI64::new(initial.min(cap).saturating_neg()),
            origin_us: now_us,
            rate_per_sec,
            cap,
        }
    }

    /// The credit earned from the origin to `now_us`. Admission computes it once per
    /// request and bucket, and passes it to [`Bucket::balance_with`] and
    /// [`Bucket::charge_with`].
    pub fn earned(&self, now_us: u64) -> i64 {
        credit(self.rate_per_sec, now_us.saturating_sub(self.origin_us))
    }

    /// The balance at `now_us`: one load.
    pub fn balance_at(&self, now_us: u64) -> i64 {
        self.balance_with(self.earned(now_us))
    }

    /// The balance when the rate has earned `earned` (`Bucket::earned`).
    pub fn balance_with(&self, earned: i64) -> i64 {
        balance_of(earned, self.mark.load(Ordering::Acquire), self.cap)
    }

    /// Takes `micros` at `now_us` (possibly into debt).
    pub fn charge(&self, micros: i64, now_us: u64) {
        self.charge_with(micros, self.earned(now_us));
    }

    /// Takes `micros` when the rate has earned `earned` (`Bucket::earned`).
    pub fn charge_with(&self, micros: i64, earned: i64) {
        debug_assert!(micros >= 0, "a charge is not negative");
        let cap = self.cap;
        // Infallible: the closure always returns Some.
        let _ = self
            .mark
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |m| {
                Some(charged(m, earned, cap, micros))
            });
    }

    /// Sets the balance at `now_us` to `to` (within the cap): for giving a rebuilt
    /// bucket the balance of the one it replaces, before any request sees it.
    pub fn set_balance(&self, to: i64, now_us: u64) {
        let mark = self.earned(now_us).saturating_sub(to.min(self.cap));
        self.mark.store(mark, Ordering::Release);
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
    fn credit_is_exact_across_whole_seconds_and_remainders() {
        // 40,000 units/s over 54 partitions: a rate that is not a whole number per µs.
        let rate = 40_000 * UNIT as u64 / 54;
        for elapsed in [0, 1, 999_999, 1_000_000, 1_234_567, 86_400_000_000] {
            let exact = u128::from(rate) * u128::from(elapsed) / 1_000_000;
            assert_eq!(credit(rate, elapsed) as u128, exact, "{elapsed} µs");
        }
    }

    #[test]
    fn the_balance_is_capped_and_a_charge_forgets_credit_above_the_cap() {
        let cap = 1500 * UNIT;
        assert_eq!(balance_of(10 * UNIT, 0, cap), 10 * UNIT);
        assert_eq!(balance_of(2000 * UNIT, 0, cap), cap);
        assert_eq!(balance_of(0, 5 * UNIT, cap), -5 * UNIT, "debt");
        // 2,000 earned, nothing charged: the balance is the cap; a charge of 1 leaves
        // cap − 1, not 1,999.
        let mark = charged(0, 2000 * UNIT, cap, UNIT);
        assert_eq!(balance_of(2000 * UNIT, mark, cap), cap - UNIT);
        // Below the cap a charge is taken as it is.
        assert_eq!(charged(7, 10 * UNIT, cap, UNIT), 7 + UNIT);
        assert_eq!(charged(i64::MAX - 1, 0, cap, UNIT), i64::MAX, "saturates");
    }

    #[test]
    fn debt_is_repaid_before_the_bucket_admits_again() {
        let b = Bucket::new(5 * UNIT as u64, 1500 * UNIT, UNIT, 0);
        assert!(admits(b.balance_at(0)));
        b.charge(10 * UNIT, 0); // a 10-unit request admitted on a 1-unit balance
        assert_eq!(b.balance_at(0), -9 * UNIT);
        assert!(!admits(b.balance_at(1_000_000)), "-4 units after 1 s");
        assert!(!admits(b.balance_at(1_800_000)), "exactly 0 after 1.8 s");
        assert!(admits(b.balance_at(1_800_001)));
    }

    #[test]
    fn idle_time_accrues_up_to_the_burst_cap() {
        let b = Bucket::new(5 * UNIT as u64, 300 * 5 * UNIT, 0, 0);
        assert_eq!(b.balance_at(100_000_000), 500 * UNIT);
        assert_eq!(b.balance_at(1_000_000_000), 1500 * UNIT, "capped at 300 s");
        // A charge at the cap leaves the cap less the charge, and refill resumes from it.
        b.charge(100 * UNIT, 1_000_000_000);
        assert_eq!(b.balance_at(1_000_000_000), 1400 * UNIT);
        assert_eq!(b.balance_at(1_010_000_000), 1450 * UNIT);
    }

    #[test]
    fn set_balance_gives_a_fresh_bucket_a_carried_balance_within_its_cap() {
        let b = Bucket::new(5 * UNIT as u64, 1500 * UNIT, 0, 7_000_000);
        b.set_balance(-3 * UNIT, 9_000_000);
        assert_eq!(b.balance_at(9_000_000), -3 * UNIT);
        b.set_balance(9_999 * UNIT, 9_000_000);
        assert_eq!(b.balance_at(9_000_000), 1500 * UNIT);
    }

    #[test]
    fn units_convert_exactly_for_halves() {
        assert_eq!(units_to_micros(0.5), UNIT / 2);
        assert_eq!(units_to_micros(3.0), 3 * UNIT);
        assert_eq!(units_to_micros(0.000_000_4), 0);
        assert_eq!(units_to_micros(0.000_000_6), 1);
        assert_eq!(units_to_micros(1e300), i64::MAX, "saturates");
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
