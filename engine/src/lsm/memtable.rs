//! The memtable: a concurrent sorted map of the newest writes, backed by the WAL.
//!
//! It is a lock-free skip list (`crossbeam-skiplist`) keyed by `(user_key, Reverse(seq))`
//! ([`MemKey`], which also keeps the key's first sixteen bytes for cheap comparisons), so
//! iteration is in internal-key order (key ascending, newest version first) and many
//! writers insert without a lock. Entries are never removed: a memtable only grows until
//! it is frozen and flushed to an L0 SSTable, then dropped when no reader holds it.
//!
//! A point read first asks a small bloom filter over the memtable's keys (RocksDB's
//! whole-key memtable filter): most reads of a large data set are for keys the memtable
//! does not hold, and a skip-list search for them is a chain of cache misses. A key's
//! filter bits are set before its entry is inserted, and entries become visible only
//! when the engine publishes their sequence (a release the reader acquires), so a reader
//! that may see an entry also sees its bits.
//!
//! Readers do not filter by visibility here; they pass the sequence number they read at,
//! and an entry newer than that is skipped. That is what lets a writer insert before its
//! batch is durable: the engine publishes `visible_seq` only after the WAL sync.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crossbeam_skiplist::SkipMap;

use crate::backend::Direction;
use crate::lsm::entry::{internal_cmp, Entry, EntryKind};
use crate::lsm::memtable_key::{KeyView, MemKey, Probe};

/// Bytes charged per entry on top of key and value: the skip-list node and tower, the
/// key's header and prefix and the value's `Arc` header. An estimate; it only decides
/// when to switch memtables.
const ENTRY_OVERHEAD_BYTES: usize = 80;

/// The stored value: `None` is a tombstone. Shared, so a scan's [`Memtable::chunk`]
/// holds values without copying them, and the values a scan returns still share them
/// (only flushes and compactions copy, through `ChunkEntry::into_entry`).
type Slot = Option<Arc<[u8]>>;

/// One entry of a [`Memtable::chunk`]: key and sequence copied out, the value still
/// shared with the memtable.
#[derive(Debug, Clone)]
pub(crate) struct ChunkEntry {
    pub(crate) key: Vec<u8>,
    pub(crate) seq: u64,
    /// `None` for a tombstone.
    pub(crate) value: Slot,
}

impl ChunkEntry {
    /// The entry's kind, from its value.
    pub(crate) fn kind(&self) -> EntryKind {
        match self.value {
            Some(_) => EntryKind::Put,
            None => EntryKind::Delete,
        }
    }

    /// The entry with its value copied out.
    pub(crate) fn into_entry(self) -> Entry {
        Entry {
            kind: self.kind(),
            value: self
                .value
                .as_deref()
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
            key: self.key,
            seq: self.seq,
        }
    }
}

/// Filter bits per byte of memtable budget: one bit per 8 bytes. An entry is charged at
/// least [`ENTRY_OVERHEAD_BYTES`] plus its key, so a full memtable gives every key at
/// least ~10 bits (under 1% false positives); 1 KiB values give it over 100.
const FILTER_BYTES_PER_BIT: usize = 8;
/// Bounds on the filter's size: 64 Ki bits (8 KiB) to 64 Mi bits (8 MiB).
const FILTER_BITS_MIN: usize = 1 << 16;
const FILTER_BITS_MAX: usize = 1 << 26;
/// Bits set per key, all inside one 512-bit block (one cache line per lookup).
const FILTER_PROBES: u32 = 6;
/// A filter block: eight 64-bit words, one cache line.
const BLOCK_WORDS: usize = 8;

/// A blocked bloom filter over keys, updated concurrently with relaxed atomics.
#[derive(Debug)]
struct KeyFilter {
    words: Box<[AtomicU64]>,
    /// `words.len() / BLOCK_WORDS - 1`; the block count is a power of two.
    block_mask: u64,
}

impl KeyFilter {
    fn for_budget(memtable_bytes: usize) -> Self {
        let bits = (memtable_bytes / FILTER_BYTES_PER_BIT)
            .clamp(FILTER_BITS_MIN, FILTER_BITS_MAX)
            .next_power_of_two();
        let words = bits / 64;
        KeyFilter {
            words: (0..words).map(|_| AtomicU64::new(0)).collect(),
            block_mask: (words / BLOCK_WORDS - 1) as u64,
        }
    }

    /// The block's first word and the probe positions (9 bits each) for `key`.
    fn probes(&self, key: &[u8]) -> (usize, u64) {
        let h = xxhash_rust::xxh3::xxh3_64(key);
        (((h >> 40) & self.block_mask) as usize * BLOCK_WORDS, h)
    }

    fn insert(&self, key: &[u8]) {
        let (block, mut h) = self.probes(key);
        for _ in 0..FILTER_PROBES {
            let bit = (h & 511) as usize;
            self.words[block + bit / 64].fetch_or(1 << (bit % 64), Ordering::Relaxed);
            h >>= 9;
        }
    }

    fn may_contain(&self, key: &[u8]) -> bool {
        let (block, mut h) = self.probes(key);
        (0..FILTER_PROBES).all(|_| {
            let bit = (h & 511) as usize;
            h >>= 9;
            self.words[block + bit / 64].load(Ordering::Relaxed) & (1 << (bit % 64)) != 0
        })
    }
}

/// A concurrent sorted memtable. Thread safety: every method takes `&self`; inserts and
/// reads may run concurrently from any number of threads.
///
/// Invariants (asserted in debug builds): every entry's sequence number is above
/// `after_seq`, the last sequence of the memtable frozen before this one, which is what
/// lets readers stop at the first memtable holding a key; and iteration is in strict
/// internal-key order (key ascending, then sequence descending). Inserts of one key are
/// *not* in sequence order: concurrent writers take numbers in WAL order but insert in
/// any order, which is why readers pass the sequence they read at.
#[derive(Debug)]
pub struct Memtable {
    map: SkipMap<MemKey, Slot>,
    filter: KeyFilter,
    approximate_bytes: AtomicUsize,
    max_seq: AtomicU64,
    /// Every entry's sequence number is above this.
    after_seq: u64,
}

impl Default for Memtable {
    fn default() -> Self {
        Self::new()
    }
}

impl Memtable {
    /// An empty memtable with a key filter sized for the default 4 MiB budget.
    pub fn new() -> Self {
        Self::with_budget(4 << 20)
    }

    /// An empty memtable whose key filter is sized for `memtable_bytes`, the budget after
    /// which the engine switches to a new one.
    pub(crate) fn with_budget(memtable_bytes: usize) -> Self {
        Self::with_budget_after(memtable_bytes, 0)
    }

    /// As [`Memtable::with_budget`], for entries numbered above `after_seq` (the last
    /// sequence number of the memtable this one follows, or the last flushed one).
    pub(crate) fn with_budget_after(memtable_bytes: usize, after_seq: u64) -> Self {
        Memtable {
            map: SkipMap::new(),
            filter: KeyFilter::for_budget(memtable_bytes),
            approximate_bytes: AtomicUsize::new(0),
            max_seq: AtomicU64::new(0),
            after_seq,
        }
    }

    /// Inserts one entry. Re-inserting the same `(key, seq)` (a batch that writes a key
    /// twice) replaces it, so the later operation of a batch wins.
    pub fn insert(&self, key: &[u8], seq: u64, kind: EntryKind, value: &[u8]) {
        // A number at or below the floor belongs in an older memtable: readers would find
        // an older version here first and miss the newer one there.
        debug_assert!(
            seq > self.after_seq,
            "memtable insert of seq {seq}, not above the previous memtable's {}",
            self.after_seq
        );
        let slot = match kind {
            EntryKind::Put => Some(Arc::from(value)),
            EntryKind::Delete => None,
        };
        self.approximate_bytes.fetch_add(
            key.len() + value.len() + ENTRY_OVERHEAD_BYTES,
            Ordering::Relaxed,
        );
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
        // Before the entry: a reader that can find it must find its bits.
        self.filter.insert(key);
        self.map.insert(MemKey::new(key, seq), slot);
    }

    /// The newest version of `key` with `seq <= read_seq`, tombstones included.
    pub fn get(&self, key: &[u8], read_seq: u64) -> Option<Entry> {
        if !self.filter.may_contain(key) {
            return None;
        }
        let probe = Probe::new(key, read_seq);
        let found = self
            .map
            .lower_bound(Bound::Included(&probe as &dyn KeyView))?;
        let k = found.key();
        if k.key() != key {
            return None;
        }
        Some(to_entry(k.key(), k.seq(), found.value()))
    }

    /// Approximate memory held, in bytes.
    pub(crate) fn approximate_bytes(&self) -> usize {
        self.approximate_bytes.load(Ordering::Relaxed)
    }

    /// Number of entries (all versions).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing was inserted.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Highest sequence number inserted, 0 if empty.
    #[cfg(test)]
    pub(crate) fn max_seq(&self) -> u64 {
        self.max_seq.load(Ordering::Relaxed)
    }

    /// Every entry in internal-key order. Used by flush, on a frozen memtable.
    pub(crate) fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        // Asserted on the way out (debug builds), in pair with the table writer's check on
        // the way in: strictly ascending internal keys, every number above the floor.
        let mut prev: Option<(Vec<u8>, u64)> = None;
        let after_seq = self.after_seq;
        self.map
            .iter()
            .map(|e| to_entry(e.key().key(), e.key().seq(), e.value()))
            .inspect(move |e| {
                if cfg!(debug_assertions) {
                    debug_assert!(e.seq > after_seq, "memtable entry below its floor");
                    if let Some((k, s)) = &prev {
                        debug_assert!(
                            internal_cmp(k, *s, &e.key, e.seq) == std::cmp::Ordering::Less,
                            "memtable entries out of internal-key order"
                        );
                    }
                    prev = Some((e.key.clone(), e.seq));
                }
            })
    }

    /// Up to `limit` entries strictly after `after` (in `direction`), or from the start of
    /// the range when `after` is `None`. Scans read the memtable in such chunks so they
    /// never borrow it across calls; since entries are never removed, resuming after the
    /// last internal key returned is exact.
    pub(crate) fn chunk(
        &self,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        after: Option<&(Vec<u8>, u64)>,
        direction: Direction,
        limit: usize,
    ) -> Vec<ChunkEntry> {
        let lower: Bound<Probe<'_>> = match (direction, after) {
            (Direction::Forward, Some((k, s))) => Bound::Excluded(Probe::new(k, *s)),
            _ => match start {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(Probe::new(k, u64::MAX)),
                Bound::Unbounded => Bound::Unbounded,
            },
        };
        let upper: Bound<Probe<'_>> = match (direction, after) {
            (Direction::Reverse, Some((k, s))) => Bound::Excluded(Probe::new(k, *s)),
            _ => match end {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included(Probe::new(k, 0)),
                Bound::Unbounded => Bound::Unbounded,
            },
        };
        let range = self
            .map
            .range::<dyn KeyView, _>((as_view(&lower), as_view(&upper)));
        let convert = |e: crossbeam_skiplist::map::Entry<'_, MemKey, Slot>| ChunkEntry {
            key: e.key().key().to_vec(),
            seq: e.key().seq(),
            value: e.value().clone(),
        };
        match direction {
            Direction::Forward => range.take(limit).map(convert).collect(),
            Direction::Reverse => range.rev().take(limit).map(convert).collect(),
        }
    }
}

/// A probe bound as the skip list's borrowed key type.
fn as_view<'b>(bound: &'b Bound<Probe<'_>>) -> Bound<&'b (dyn KeyView + 'b)> {
    match bound {
        Bound::Included(p) => Bound::Included(p),
        Bound::Excluded(p) => Bound::Excluded(p),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn to_entry(key: &[u8], seq: u64, slot: &Slot) -> Entry {
    match slot {
        Some(v) => Entry {
            key: key.to_vec(),
            seq,
            kind: EntryKind::Put,
            value: v.to_vec(),
        },
        None => Entry {
            key: key.to_vec(),
            seq,
            kind: EntryKind::Delete,
            value: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_sees_newest_version_at_or_below_read_seq() {
        let m = Memtable::new();
        m.insert(b"k", 3, EntryKind::Put, b"v3");
        m.insert(b"k", 5, EntryKind::Delete, b"");
        m.insert(b"k", 8, EntryKind::Put, b"v8");
        m.insert(b"j", 9, EntryKind::Put, b"j");
        assert_eq!(m.get(b"k", 2), None);
        assert_eq!(m.get(b"k", 4).unwrap().value, b"v3");
        assert_eq!(m.get(b"k", 6).unwrap().kind, EntryKind::Delete);
        assert_eq!(m.get(b"k", u64::MAX).unwrap().value, b"v8");
        assert_eq!(m.get(b"kk", u64::MAX), None);
        assert_eq!(m.max_seq(), 9);
        assert!(m.approximate_bytes() >= 4 * ENTRY_OVERHEAD_BYTES);
    }

    #[test]
    fn the_key_filter_never_hides_an_inserted_key_and_rejects_most_others() {
        let m = Memtable::with_budget(64 << 10);
        for i in 0..2_000u32 {
            m.insert(&i.to_be_bytes(), u64::from(i) + 1, EntryKind::Put, b"v");
        }
        for i in 0..2_000u32 {
            assert!(m.filter.may_contain(&i.to_be_bytes()), "{i}");
            assert!(m.get(&i.to_be_bytes(), u64::MAX).is_some(), "{i}");
        }
        // The minimum filter, 64 Ki bits, for 2000 keys (32 bits each): about one absent
        // key in ten thousand gets through.
        let passed = (1_000_000..1_010_000u32)
            .filter(|i| m.filter.may_contain(&i.to_be_bytes()))
            .count();
        assert!(
            passed < 100,
            "{passed} of 10000 absent keys passed the filter"
        );
        for i in 1_000_000..1_000_100u32 {
            assert_eq!(m.get(&i.to_be_bytes(), u64::MAX), None);
        }
    }

    #[test]
    fn entries_come_out_in_internal_key_order_whatever_the_insert_order() {
        let m = Memtable::with_budget_after(64 << 10, 10);
        // Concurrent writers insert out of sequence order; that is allowed.
        for (k, seq) in [(b"b", 12), (b"a", 14), (b"b", 11), (b"a", 13), (b"b", 15)] {
            m.insert(k, seq, EntryKind::Put, b"v");
        }
        let got: Vec<(u8, u64)> = m.entries().map(|e| (e.key[0], e.seq)).collect();
        assert_eq!(
            got,
            vec![(b'a', 14), (b'a', 13), (b'b', 15), (b'b', 12), (b'b', 11)]
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "not above the previous memtable")]
    fn an_insert_at_or_below_the_floor_is_a_bug() {
        let m = Memtable::with_budget_after(64 << 10, 10);
        m.insert(b"k", 10, EntryKind::Put, b"v");
    }

    #[test]
    fn same_key_and_seq_is_replaced() {
        let m = Memtable::new();
        m.insert(b"k", 1, EntryKind::Put, b"a");
        m.insert(b"k", 1, EntryKind::Delete, b"");
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(b"k", 1).unwrap().kind, EntryKind::Delete);
    }

    #[test]
    fn chunks_resume_exactly_in_both_directions() {
        let m = Memtable::new();
        for i in 0..50u8 {
            m.insert(&[i], u64::from(i) + 1, EntryKind::Put, b"x");
            m.insert(&[i], u64::from(i) + 100, EntryKind::Put, b"y");
        }
        for dir in [Direction::Forward, Direction::Reverse] {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let c = m.chunk(
                    &Bound::Included(vec![10]),
                    &Bound::Excluded(vec![20]),
                    after.as_ref(),
                    dir,
                    7,
                );
                let Some(last) = c.last() else { break };
                after = Some((last.key.clone(), last.seq));
                all.extend(c);
                assert!(all.len() < 1000, "chunking must terminate");
            }
            // The memtable returns keys 10..=20 (bounds are re-checked by the merger).
            assert_eq!(all.len(), 22);
            let keys: Vec<u8> = all.iter().map(|e| e.key[0]).collect();
            let mut sorted = keys.clone();
            sorted.sort_unstable();
            if dir == Direction::Reverse {
                sorted.reverse();
            }
            assert_eq!(keys, sorted);
        }
    }
}
