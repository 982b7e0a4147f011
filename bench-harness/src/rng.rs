//! The harness's seeded random number generator.
//!
//! Every random choice in a run (operation, key, field, value bytes, scan length) comes
//! from a [`Rng`] derived from `--seed`, so a run can be replayed exactly. Each worker
//! thread gets its own stream from [`Rng::for_stream`], so threads never contend on it.
//!
//! The generator is xoshiro256** (Blackman and Vigna), seeded through SplitMix64: small,
//! fast, and statistically strong enough for workload generation. It is not for secrets.

/// A seeded xoshiro256** generator.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
}

/// One SplitMix64 step: expands a seed into well-mixed state words.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`. Equal seeds give equal streams.
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Rng { s }
    }

    /// An independent generator for stream `stream` (a worker thread, a phase) of `seed`.
    pub fn for_stream(seed: u64, stream: u64) -> Self {
        let mut sm = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng::new(splitmix64(&mut sm))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform double in `[0, 1)` (53 random bits, like Java's `nextDouble`).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `[lo, hi]` (inclusive). Uses Lemire's multiply-shift without
    /// rejection: the bias is at most (hi - lo + 1) / 2^64, under 10^-12 for any key
    /// space a benchmark uses.
    ///
    /// Invariant: `lo <= hi` (callers pass bounds they built; swapped bounds are fixed up
    /// rather than panicking).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        let span = hi - lo;
        if span == u64::MAX {
            return self.next_u64();
        }
        let r = ((u128::from(self.next_u64()) * u128::from(span + 1)) >> 64) as u64;
        lo + r
    }

    /// Fills `buf` with printable ASCII (`' '..='~'`), like YCSB's field values.
    pub fn fill_ascii(&mut self, buf: &mut [u8]) {
        const PRINTABLE_SPAN: u64 = (b'~' - b' ' + 1) as u64;
        for chunk in buf.chunks_mut(8) {
            let mut bits = self.next_u64();
            for b in chunk {
                *b = b' ' + (bits % PRINTABLE_SPAN) as u8;
                bits /= PRINTABLE_SPAN;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_streams_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::for_stream(7, 1);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn range_inclusive_stays_in_bounds_and_hits_both_ends() {
        let mut r = Rng::new(1);
        let (mut saw_lo, mut saw_hi) = (false, false);
        for _ in 0..10_000 {
            let v = r.range_inclusive(3, 9);
            assert!((3..=9).contains(&v), "{v}");
            saw_lo |= v == 3;
            saw_hi |= v == 9;
        }
        assert!(saw_lo && saw_hi);
    }

    #[test]
    fn next_f64_is_in_unit_interval() {
        let mut r = Rng::new(2);
        for _ in 0..10_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn ascii_fill_is_printable() {
        let mut r = Rng::new(3);
        let mut buf = [0u8; 100];
        r.fill_ascii(&mut buf);
        assert!(buf.iter().all(|b| (b' '..=b'~').contains(b)));
    }
}
