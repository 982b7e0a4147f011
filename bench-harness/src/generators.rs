//! YCSB's number generators, reproduced from its `CoreWorkload` and `generator/*` classes.
//!
//! - [`ycsb_fnvhash64`]: `Utils.fnvhash64`, FNV-1a 64 over the 8 little-endian bytes of a
//!   Java `long`, then `Math.abs` of the signed result. Record keys are
//!   `"user" + fnvhash64(keynum)` ([`build_key_name`], `CoreWorkload.buildKeyName` with the
//!   default `zeropadding=1` and `insertorder=hashed`).
//! - [`Zipfian`]: Gray et al.'s "Quickly generating billion-record synthetic databases"
//!   generator as YCSB's `ZipfianGenerator` implements it, including the incremental
//!   zeta update when the item count grows (used by `latest`).
//! - [`ScrambledZipfian`]: zipfian over [`SCRAMBLED_ITEM_COUNT`] items with the
//!   precomputed [`SCRAMBLED_ZETAN`], then `min + fnvhash64(v) % itemcount`, so popular
//!   items are scattered over the key space instead of clustered at its start.
//! - [`SkewedLatest`]: `max - zipfian(max)` over the acknowledged insert count, so the
//!   newest insert is the most popular.
//! - [`AcknowledgedCounter`]: the insert key sequence; `latest` and the key chooser only see
//!   key numbers whose insert (and every lower one) has been acknowledged.
//!
//! A note on the item count: the brief and REFERENCE.md say "10^16 items with zetan =
//! 26.46902820178302", but that zetan is ζ(10^10, 0.99) (ζ(10^16, 0.99) ≈ 45.12; see the
//! `scrambled_zetan_is_zeta_of_ten_to_the_ten` test). YCSB's source uses
//! `ITEM_COUNT = 10000000000L` = 10^10 with that constant, and so do we.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::rng::Rng;

/// FNV-1a 64 offset basis.
pub const FNV_OFFSET_BASIS_64: u64 = 0xCBF2_9CE4_8422_2325;
/// FNV-1a 64 prime.
pub const FNV_PRIME_64: u64 = 1_099_511_628_211;
/// YCSB's zipfian constant θ.
pub const ZIPFIAN_CONSTANT: f64 = 0.99;
/// Items of the zipfian behind [`ScrambledZipfian`] (YCSB's `ITEM_COUNT`).
pub const SCRAMBLED_ITEM_COUNT: u64 = 10_000_000_000;
/// ζ([`SCRAMBLED_ITEM_COUNT`], 0.99), precomputed by YCSB (`ScrambledZipfianGenerator.ZETAN`).
pub const SCRAMBLED_ZETAN: f64 = 26.469_028_201_783_02;
/// Redraws of a key number beyond the acknowledged insert count before we clamp it.
/// YCSB loops unboundedly; in practice a redraw is needed with probability ≈ new/total.
pub const MAX_KEY_REDRAWS: usize = 1_000;

/// FNV-1a 64 over bytes (the standard definition; test vectors from the FNV spec).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS_64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(FNV_PRIME_64)
    })
}

/// YCSB's `Utils.fnvhash64(long)`: FNV-1a 64 of the value's 8 little-endian bytes, as a
/// signed `long`, then `Math.abs`. Like Java, `abs(i64::MIN)` stays `i64::MIN`.
pub fn ycsb_fnvhash64(val: i64) -> i64 {
    (fnv1a64(&val.to_le_bytes()) as i64).wrapping_abs()
}

/// YCSB's record key for key number `keynum`: `"user"` followed by the decimal hash.
pub fn build_key_name(keynum: u64) -> String {
    format!("user{}", ycsb_fnvhash64(keynum as i64))
}

/// ζ(n, θ) from scratch: Σ_{i=1..n} 1/i^θ. Cost is O(n); callers pass record counts.
pub fn zeta(n: u64, theta: f64) -> f64 {
    zeta_incremental(0, n, theta, 0.0)
}

/// ζ(n, θ) given ζ(start, θ) = `initial_sum`: adds the terms start+1..=n.
pub fn zeta_incremental(start: u64, n: u64, theta: f64, initial_sum: f64) -> f64 {
    (start..n).fold(initial_sum, |sum, i| {
        sum + 1.0 / ((i + 1) as f64).powf(theta)
    })
}

/// YCSB's `ZipfianGenerator`: values in `[base, base + items)`, value `base` most popular.
#[derive(Debug, Clone)]
pub struct Zipfian {
    items: u64,
    base: u64,
    theta: f64,
    zeta2theta: f64,
    alpha: f64,
    zetan: f64,
    eta: f64,
    /// The item count `zetan` was computed for; grows with [`Zipfian::next_long`].
    count_for_zeta: u64,
}

impl Zipfian {
    /// Over `[min, max]`, computing ζ(items) (O(items)).
    pub fn new(min: u64, max: u64) -> Self {
        let items = max.saturating_sub(min) + 1;
        Self::with_zetan(min, max, ZIPFIAN_CONSTANT, zeta(items, ZIPFIAN_CONSTANT))
    }

    /// Over `[min, max]` with a precomputed `zetan` for the item count.
    pub fn with_zetan(min: u64, max: u64, theta: f64, zetan: f64) -> Self {
        let items = max.saturating_sub(min) + 1;
        let zeta2theta = zeta(2, theta);
        let mut z = Zipfian {
            items,
            base: min,
            theta,
            zeta2theta,
            alpha: 1.0 / (1.0 - theta),
            zetan,
            eta: 0.0,
            count_for_zeta: items,
        };
        z.eta = z.eta_for(items);
        z
    }

    fn eta_for(&self, items: u64) -> f64 {
        (1.0 - (2.0 / items as f64).powf(1.0 - self.theta)) / (1.0 - self.zeta2theta / self.zetan)
    }

    /// The next value over the generator's own item count.
    pub fn next(&mut self, rng: &mut Rng) -> u64 {
        self.next_long(rng, self.items)
    }

    /// The next value over `itemcount` items (YCSB's `nextLong(itemcount)`): when the count
    /// grew since the last call, ζ is extended incrementally; if it shrank, recomputed.
    pub fn next_long(&mut self, rng: &mut Rng, itemcount: u64) -> u64 {
        let itemcount = itemcount.max(1);
        if itemcount != self.count_for_zeta {
            self.zetan = if itemcount > self.count_for_zeta {
                zeta_incremental(self.count_for_zeta, itemcount, self.theta, self.zetan)
            } else {
                zeta(itemcount, self.theta)
            };
            self.count_for_zeta = itemcount;
            self.eta = self.eta_for(itemcount);
        }
        let u = rng.next_f64();
        let uz = u * self.zetan;
        if uz < 1.0 {
            return self.base;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return self.base + 1;
        }
        let offset = (itemcount as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        self.base + offset.min(itemcount - 1)
    }
}

/// YCSB's `ScrambledZipfianGenerator`: zipfian popularity, hashed over `[min, max]`.
#[derive(Debug, Clone)]
pub struct ScrambledZipfian {
    min: u64,
    itemcount: u64,
    gen: Zipfian,
}

impl ScrambledZipfian {
    /// Over `[min, max]` (inclusive).
    pub fn new(min: u64, max: u64) -> Self {
        ScrambledZipfian {
            min,
            itemcount: max.saturating_sub(min) + 1,
            gen: Zipfian::with_zetan(0, SCRAMBLED_ITEM_COUNT, ZIPFIAN_CONSTANT, SCRAMBLED_ZETAN),
        }
    }

    /// How many values `[min, max]` holds.
    pub fn item_count(&self) -> u64 {
        self.itemcount
    }

    /// The next value in `[min, max]`.
    pub fn next(&mut self, rng: &mut Rng) -> u64 {
        let v = self.gen.next(rng);
        // YCSB: `min + fnvhash64(v) % itemcount` on a non-negative long. `abs(i64::MIN)`
        // is negative in Java too; `unsigned_abs` keeps us in range for that one value.
        self.min + ycsb_fnvhash64(v as i64).unsigned_abs() % self.itemcount
    }
}

/// YCSB's `SkewedLatestGenerator`: `max - zipfian(max)` where `max` is the last
/// acknowledged insert, so recent inserts are the most popular.
#[derive(Debug, Clone)]
pub struct SkewedLatest {
    zipfian: Zipfian,
}

impl SkewedLatest {
    /// For a key space whose last acknowledged key number is `last`.
    pub fn new(last: u64) -> Self {
        SkewedLatest {
            zipfian: Zipfian::new(0, last.max(1) - 1),
        }
    }

    /// The next key number in `[0, last]`.
    pub fn next(&mut self, rng: &mut Rng, last: u64) -> u64 {
        last - self.zipfian.next_long(rng, last.max(1)).min(last)
    }
}

/// YCSB's `AcknowledgedCounterGenerator`: hands out insert key numbers in order, and
/// reports as "last" only the highest number below which every insert was acknowledged.
/// Thread-safe. The pending set holds at most one entry per in-flight insert, so it is
/// bounded by the number of worker threads.
#[derive(Debug)]
pub struct AcknowledgedCounter {
    next: AtomicU64,
    /// The highest key number with all lower numbers acknowledged.
    last_acked: AtomicU64,
    pending: Mutex<BTreeSet<u64>>,
}

impl AcknowledgedCounter {
    /// Starting at `start` (the record count after load): `last()` is `start - 1`.
    pub fn new(start: u64) -> Self {
        AcknowledgedCounter {
            next: AtomicU64::new(start),
            last_acked: AtomicU64::new(start.saturating_sub(1)),
            pending: Mutex::new(BTreeSet::new()),
        }
    }

    /// The key number for the next insert.
    pub fn next_value(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// Marks `value`'s insert done (call it whether the insert failed or not, as YCSB does).
    pub fn acknowledge(&self, value: u64) {
        let mut pending = self.pending.lock();
        pending.insert(value);
        let mut last = self.last_acked.load(Ordering::Acquire);
        while pending.remove(&(last + 1)) {
            last += 1;
        }
        self.last_acked.store(last, Ordering::Release);
    }

    /// The highest key number whose insert, and every lower one, was acknowledged.
    pub fn last(&self) -> u64 {
        self.last_acked.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn fnv1a64_matches_the_spec_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn ycsb_hash_and_key_names_match_ycsb() {
        // Values from YCSB's Java `Utils.fnvhash64` (checked against a Python port).
        assert_eq!(ycsb_fnvhash64(0), 6_284_781_860_667_377_211);
        assert_eq!(ycsb_fnvhash64(1), 8_517_097_267_634_966_620);
        assert_eq!(ycsb_fnvhash64(1000), 5_952_875_239_596_136_740);
        assert_eq!(build_key_name(0), "user6284781860667377211");
        assert_eq!(build_key_name(2), "user1820151046732198393");
        assert_eq!(build_key_name(999_999), "user2744965632448235251");
    }

    #[test]
    fn scrambled_zetan_is_zeta_of_ten_to_the_ten() {
        // Exact sum to N, Euler-Maclaurin for the tail: cheap and accurate to ~1e-9.
        const EXACT_TERMS: u64 = 100_000;
        let t = ZIPFIAN_CONSTANT;
        let head = zeta(EXACT_TERMS, t);
        let tail = |n: f64| {
            (n.powf(1.0 - t) - (EXACT_TERMS as f64).powf(1.0 - t)) / (1.0 - t)
                + (n.powf(-t) - (EXACT_TERMS as f64).powf(-t)) / 2.0
        };
        let z10 = head + tail(1e10);
        let z16 = head + tail(1e16);
        assert!((z10 - SCRAMBLED_ZETAN).abs() < 1e-6, "zeta(1e10) = {z10}");
        assert!((z16 - SCRAMBLED_ZETAN).abs() > 10.0, "zeta(1e16) = {z16}");
    }

    #[test]
    fn scrambled_zipfian_hottest_key_draws_about_3_8_percent() {
        const DRAWS: usize = 300_000;
        const ITEMS: u64 = 100_000;
        let mut rng = Rng::new(0x5EED);
        let mut gen = ScrambledZipfian::new(0, ITEMS - 1);
        let mut counts: HashMap<u64, usize> = HashMap::new();
        for _ in 0..DRAWS {
            let v = gen.next(&mut rng);
            assert!(v < ITEMS);
            *counts.entry(v).or_default() += 1;
        }
        let hottest = *counts.values().max().unwrap_or(&0);
        let share = hottest as f64 / DRAWS as f64;
        assert!((0.033..=0.043).contains(&share), "hottest share {share}");
        // Scrambling: the hottest key is the hash of zipf value 0, not key 0.
        let hot_key = ycsb_fnvhash64(0).unsigned_abs() % ITEMS;
        assert_eq!(counts.get(&hot_key).copied(), Some(hottest));
    }

    #[test]
    fn zipfian_favours_low_values_and_stays_in_range() {
        let mut rng = Rng::new(11);
        let mut z = Zipfian::new(10, 1009);
        let mut zero = 0usize;
        for _ in 0..50_000 {
            let v = z.next(&mut rng);
            assert!((10..=1009).contains(&v));
            zero += usize::from(v == 10);
        }
        // P(first) = 1/zeta(1000, .99) ≈ 0.134.
        let p = zero as f64 / 50_000.0;
        assert!((0.12..0.15).contains(&p), "{p}");
    }

    #[test]
    fn incremental_zeta_equals_recomputed() {
        let a = zeta_incremental(500, 1000, 0.99, zeta(500, 0.99));
        assert!((a - zeta(1000, 0.99)).abs() < 1e-9);
    }

    #[test]
    fn latest_favours_the_newest_inserts() {
        const DRAWS: usize = 100_000;
        let mut rng = Rng::new(3);
        let mut last = 9_999u64;
        let mut gen = SkewedLatest::new(last);
        let mut newest = 0usize;
        let mut newest_ten = 0usize;
        let mut oldest_half = 0usize;
        for i in 0..DRAWS {
            if i % 20 == 0 {
                last += 1; // inserts keep arriving, as in workload D
            }
            let v = gen.next(&mut rng, last);
            assert!(v <= last);
            newest += usize::from(v == last);
            newest_ten += usize::from(v + 10 > last);
            oldest_half += usize::from(v < last / 2);
        }
        let p_newest = newest as f64 / DRAWS as f64;
        assert!(p_newest > 0.08, "newest share {p_newest}");
        // Σ_{i≤10} i^-0.99 / ζ(10^4) ≈ 0.30.
        assert!(newest_ten as f64 / DRAWS as f64 > 0.25);
        assert!((oldest_half as f64 / DRAWS as f64) < 0.1);
    }

    #[test]
    fn acknowledged_counter_only_advances_over_a_contiguous_prefix() {
        let c = AcknowledgedCounter::new(100);
        assert_eq!(c.last(), 99);
        let a = c.next_value();
        let b = c.next_value();
        assert_eq!((a, b), (100, 101));
        c.acknowledge(b);
        assert_eq!(c.last(), 99, "101 acked but 100 is still in flight");
        c.acknowledge(a);
        assert_eq!(c.last(), 101);
    }
}
