//! The bloom filter over a table's user keys.
//!
//! One xxh3-64 hash per key, then double hashing (Kirsch–Mitzenmacher): probe `i` tests
//! bit `(h + i·delta) mod m`, with `delta` the hash rotated by 17 bits (as in LevelDB). One
//! hash per key keeps a probe at ~20 ns regardless of `k`.
//!
//! Payload layout: `bits[ceil(m/8)]  k: u8`. `m` is the bit-array length in bits, i.e.
//! `8 × (payload length − 1)`.
//!
//! With `b` bits per key the optimal probe count is `k = b·ln 2` (6.9 → 7 for b = 10),
//! giving a false-positive rate of about `0.6185^b` ≈ 0.8% at 10 bits/key.

use xxhash_rust::xxh3::xxh3_64;

use crate::error::CorruptionKind;

/// Most probes per key a filter may declare; the optimal k for 64 bits/key is 44, and a
/// corrupt k larger than this would only slow lookups down.
pub const MAX_PROBES: u8 = 30;
/// Smallest bit array, so tiny tables still get a meaningful filter.
const MIN_FILTER_BITS: u64 = 64;

/// The hash a filter stores per key; computed once by the writer.
pub fn key_hash(key: &[u8]) -> u64 {
    xxh3_64(key)
}

/// Probe count for `bits_per_key`: `round(b · ln 2)` clamped to `1..=MAX_PROBES`.
pub fn probes_for(bits_per_key: u32) -> u8 {
    let k = (f64::from(bits_per_key) * std::f64::consts::LN_2).round();
    (k as u8).clamp(1, MAX_PROBES)
}

/// Builds a filter payload for `hashes` (one per distinct key) at `bits_per_key`.
/// `bits_per_key = 0` produces an all-ones filter that never says "absent".
pub fn build_filter(hashes: &[u64], bits_per_key: u32) -> Vec<u8> {
    let bits = (hashes.len() as u64)
        .saturating_mul(u64::from(bits_per_key))
        .max(MIN_FILTER_BITS);
    let bytes = bits.div_ceil(8) as usize;
    let m = bytes as u64 * 8;
    if bits_per_key == 0 {
        let mut out = vec![0xff; bytes];
        out.push(1);
        return out;
    }
    let k = probes_for(bits_per_key);
    let mut out = vec![0u8; bytes + 1];
    for &h in hashes {
        let delta = h.rotate_right(17);
        let mut pos = h;
        for _ in 0..k {
            let bit = pos % m;
            out[(bit / 8) as usize] |= 1 << (bit % 8);
            pos = pos.wrapping_add(delta);
        }
    }
    out[bytes] = k;
    out
}

/// A loaded filter. Invariant: `bits` is non-empty and `1 <= k <= MAX_PROBES`.
#[derive(Debug, Clone)]
pub struct BloomFilter {
    bits: Vec<u8>,
    k: u8,
}

impl BloomFilter {
    /// Validates and wraps a filter payload.
    ///
    /// # Errors
    /// [`CorruptionKind::BadFilter`] if the payload is empty or `k` is out of range.
    pub fn parse(mut payload: Vec<u8>) -> Result<BloomFilter, CorruptionKind> {
        Self::check(&payload)?;
        let k = payload.pop().unwrap_or(1);
        Ok(BloomFilter { bits: payload, k })
    }

    /// The checks of [`BloomFilter::parse`] without taking the payload; the writer runs
    /// them before writing.
    ///
    /// # Errors
    /// As [`BloomFilter::parse`].
    pub fn check(payload: &[u8]) -> Result<(), CorruptionKind> {
        let (&k, bits) = payload.split_last().ok_or(CorruptionKind::BadFilter {
            reason: "empty filter block",
        })?;
        if bits.is_empty() {
            return Err(CorruptionKind::BadFilter {
                reason: "no filter bits",
            });
        }
        if k == 0 || k > MAX_PROBES {
            return Err(CorruptionKind::BadFilter {
                reason: "probe count out of range",
            });
        }
        Ok(())
    }

    /// Whether a key with this hash may be in the table (false means certainly not).
    pub fn may_contain_hash(&self, h: u64) -> bool {
        let m = self.bits.len() as u64 * 8;
        let delta = h.rotate_right(17);
        let mut pos = h;
        for _ in 0..self.k {
            let bit = pos % m;
            if self.bits[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
                return false;
            }
            pos = pos.wrapping_add(delta);
        }
        true
    }

    /// Whether `key` may be in the table.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.may_contain_hash(key_hash(key))
    }

    /// Bytes held in memory.
    pub fn size_bytes(&self) -> usize {
        self.bits.len() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_false_negatives_and_probe_count_follows_bits_per_key() {
        let keys: Vec<Vec<u8>> = (0..5000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
        for bpk in [1, 5, 10, 20] {
            let f = BloomFilter::parse(build_filter(&hashes, bpk)).unwrap();
            assert!(keys.iter().all(|k| f.may_contain(k)), "bpk {bpk}");
        }
        assert_eq!(probes_for(10), 7);
        assert_eq!(probes_for(0), 1);
        assert_eq!(probes_for(1000), MAX_PROBES);
    }

    #[test]
    fn empty_and_zero_bit_filters_are_well_formed() {
        let empty = BloomFilter::parse(build_filter(&[], 10)).unwrap();
        assert_eq!(empty.size_bytes(), 9);
        assert!(!empty.may_contain(b"anything"));
        let all = BloomFilter::parse(build_filter(&[1, 2, 3], 0)).unwrap();
        assert!(all.may_contain(b"anything"));
    }

    #[test]
    fn parse_rejects_bad_payloads() {
        assert!(BloomFilter::parse(vec![]).is_err());
        assert!(BloomFilter::parse(vec![7]).is_err());
        assert!(BloomFilter::parse(vec![0xff, 0]).is_err());
        assert!(BloomFilter::parse(vec![0xff, MAX_PROBES + 1]).is_err());
    }
}
