//! The memtable's key: `(user_key, Reverse(seq))` with the user key's first sixteen bytes
//! kept beside it, so most comparisons in the skip list never read the key's bytes.
//!
//! Why: a skip-list search compares the probe with one node per step, and each node's
//! user key lives in its own heap allocation. Comparing the keys themselves cost a cache
//! miss on that allocation plus a `memcmp` call per step (about a tenth of YCSB A's
//! samples, `memcmp` alone 6.5%). Keys of hash-spread tables differ within their first
//! sixteen bytes: YCSB's `"user" ‖ decimal hash`, the micro-benchmarks' `fnv1a64(n) ‖ n`
//! and the table layer's `id ‖ hash(pk) ‖ …` (items sharing a partition key tie, and
//! fall back to the whole keys). Why sixteen and not eight: eight bytes of a YCSB key hold
//! only four digits, ten thousand distinct prefixes, and left a third of the `memcmp` in
//! a profile of YCSB A; in `benches/lsm_memtable`, sixteen inserts YCSB-shaped keys 6.9%
//! faster than eight and `fnv1a64(n) ‖ n` keys 6.3% slower (a larger node, a second word
//! to compare). The SSTable index keeps the same sixteen bytes; RocksDB's memtable gets
//! the effect by keeping the key inline in the node.
//!
//! Invariant: [`prefix_of`] is monotone: `prefix_of(a) < prefix_of(b)` implies `a < b`
//! (bytewise). It zero-pads short keys, and zero is the least byte, so the padded order
//! can only tie keys the real order separates (`"a"` and `"a\0"`), never invert them; a
//! tie falls back to comparing the whole keys.
//!
//! Lookups borrow: [`MemKey`] borrows as `dyn KeyView`, which a stack-built [`Probe`] also
//! implements, so a point read searches without copying its key into an allocation.

use std::borrow::Borrow;
use std::cmp::Ordering;

/// Bytes of the key kept beside it.
const PREFIX_BYTES: usize = 16;

/// The first sixteen bytes of `key`, zero-padded, as two big-endian words: ordered like
/// the key. (Stored as two words, not a `u128`, whose 16-byte alignment would pad
/// [`MemKey`].)
pub(crate) fn prefix_of(key: &[u8]) -> (u64, u64) {
    let mut bytes = [0u8; PREFIX_BYTES];
    let n = key.len().min(PREFIX_BYTES);
    bytes[..n].copy_from_slice(&key[..n]);
    let word = u128::from_be_bytes(bytes);
    ((word >> 64) as u64, word as u64)
}

/// An owned memtable key: user key ascending, then sequence number descending (newest
/// version first).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct MemKey {
    prefix: (u64, u64),
    seq: u64,
    key: Box<[u8]>,
}

impl MemKey {
    pub(crate) fn new(key: &[u8], seq: u64) -> Self {
        MemKey {
            prefix: prefix_of(key),
            seq,
            key: key.into(),
        }
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }
}

/// A borrowed memtable key, for searching.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Probe<'k> {
    prefix: (u64, u64),
    seq: u64,
    key: &'k [u8],
}

impl<'k> Probe<'k> {
    pub(crate) fn new(key: &'k [u8], seq: u64) -> Self {
        Probe {
            prefix: prefix_of(key),
            seq,
            key,
        }
    }
}

/// What the skip list compares: a key's prefix, bytes and sequence number, whether owned
/// ([`MemKey`]) or borrowed ([`Probe`]).
pub(crate) trait KeyView {
    fn parts(&self) -> ((u64, u64), &[u8], u64);
}

impl KeyView for MemKey {
    fn parts(&self) -> ((u64, u64), &[u8], u64) {
        (self.prefix, &self.key, self.seq)
    }
}

impl KeyView for Probe<'_> {
    fn parts(&self) -> ((u64, u64), &[u8], u64) {
        (self.prefix, self.key, self.seq)
    }
}

/// Internal-key order from the parts: the prefix decides unless it ties (see the module
/// invariant), then the key bytes, then the sequence number, descending.
fn compare(a: &dyn KeyView, b: &dyn KeyView) -> Ordering {
    let (a_prefix, a_key, a_seq) = a.parts();
    let (b_prefix, b_key, b_seq) = b.parts();
    a_prefix
        .cmp(&b_prefix)
        .then_with(|| a_key.cmp(b_key))
        .then_with(|| b_seq.cmp(&a_seq))
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        compare(self, other).is_eq()
    }
}

impl Eq for dyn KeyView + '_ {}

impl PartialOrd for dyn KeyView + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for dyn KeyView + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self, other)
    }
}

impl PartialOrd for MemKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MemKey {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self, other)
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for MemKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Keys chosen to tie on the padded prefix, differ only past it, and be prefixes of
    /// one another.
    fn tricky_keys() -> Vec<Vec<u8>> {
        let mut keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            b"a".to_vec(),
            b"a\0".to_vec(),
            b"a\0\0\0\0\0\0\0".to_vec(),
            b"a\0\0\0\0\0\0\0\0".to_vec(),
            b"a\x01".to_vec(),
            b"abcdefgh".to_vec(),
            b"abcdefgh\0".to_vec(),
            b"abcdefghi".to_vec(),
            b"abcdefgg\xff\xff".to_vec(),
            b"abcdefghijklmnop".to_vec(),
            b"abcdefghijklmnop\0".to_vec(),
            b"abcdefghijklmnoq".to_vec(),
            b"abcdefghijklmno".to_vec(),
            vec![0xff; 8],
            vec![0xff; 9],
            vec![0xff; 16],
            vec![0xff; 17],
        ];
        let mut rng = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..200 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let len = (rng % 20) as usize;
            // Few distinct byte values, so prefixes tie often.
            keys.push(
                (0..len)
                    .map(|i| [0u8, 1, b'a', 0xff][(rng >> (i * 2)) as usize % 4])
                    .collect(),
            );
        }
        keys
    }

    #[test]
    fn memkey_order_is_key_ascending_then_seq_descending() {
        let keys = tricky_keys();
        for a in &keys {
            for b in &keys {
                for (sa, sb) in [(1, 1), (1, 2), (2, 1)] {
                    let want = a.cmp(b).then(sb.cmp(&sa));
                    let (ka, kb) = (MemKey::new(a, sa), MemKey::new(b, sb));
                    assert_eq!(ka.cmp(&kb), want, "{a:?}@{sa} vs {b:?}@{sb}");
                    let pa: &dyn KeyView = &Probe::new(a, sa);
                    let kb: &dyn KeyView = kb.borrow();
                    assert_eq!(pa.cmp(kb), want, "probe {a:?}@{sa} vs {b:?}@{sb}");
                }
            }
        }
    }

    #[test]
    fn the_prefix_never_inverts_the_key_order() {
        let keys = tricky_keys();
        for a in &keys {
            for b in &keys {
                if prefix_of(a) < prefix_of(b) {
                    assert!(a < b, "{a:?} vs {b:?}");
                }
            }
        }
    }
}
