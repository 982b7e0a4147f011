//! The memtable: a concurrent sorted map of the newest writes, backed by the WAL.
//!
//! It is a lock-free skip list (`crossbeam-skiplist`) keyed by `(user_key, Reverse(seq))`,
//! so iteration is in internal-key order (key ascending, newest version first) and many
//! writers insert without a lock. Entries are never removed: a memtable only grows until
//! it is frozen and flushed to an L0 SSTable, then dropped when no reader holds it.
//!
//! Readers do not filter by visibility here; they pass the sequence number they read at,
//! and an entry newer than that is skipped. That is what lets a writer insert before its
//! batch is durable: the engine publishes `visible_seq` only after the WAL sync.

use std::cmp::Reverse;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_skiplist::SkipMap;

use crate::backend::Direction;
use crate::lsm::entry::{Entry, EntryKind};

/// Bytes charged per entry on top of key and value: the skip-list node and tower,
/// the `Vec` headers and the kind. An estimate; it only decides when to switch memtables.
const ENTRY_OVERHEAD_BYTES: usize = 80;

type InternalKey = (Vec<u8>, Reverse<u64>);

/// The stored value: `None` is a tombstone.
type Slot = Option<Vec<u8>>;

/// A concurrent sorted memtable. Thread safety: every method takes `&self`; inserts and
/// reads may run concurrently from any number of threads.
#[derive(Debug, Default)]
pub struct Memtable {
    map: SkipMap<InternalKey, Slot>,
    approximate_bytes: AtomicUsize,
    max_seq: AtomicU64,
}

impl Memtable {
    /// An empty memtable.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts one entry. Re-inserting the same `(key, seq)` (a batch that writes a key
    /// twice) replaces it, so the later operation of a batch wins.
    pub fn insert(&self, key: &[u8], seq: u64, kind: EntryKind, value: &[u8]) {
        let slot = match kind {
            EntryKind::Put => Some(value.to_vec()),
            EntryKind::Delete => None,
        };
        self.approximate_bytes.fetch_add(
            key.len() + value.len() + ENTRY_OVERHEAD_BYTES,
            Ordering::Relaxed,
        );
        self.max_seq.fetch_max(seq, Ordering::Relaxed);
        self.map.insert((key.to_vec(), Reverse(seq)), slot);
    }

    /// The newest version of `key` with `seq <= read_seq`, tombstones included.
    pub fn get(&self, key: &[u8], read_seq: u64) -> Option<Entry> {
        let probe = (key.to_vec(), Reverse(read_seq));
        let found = self.map.lower_bound(Bound::Included(&probe))?;
        let (k, Reverse(seq)) = found.key();
        if k.as_slice() != key {
            return None;
        }
        Some(to_entry(k, *seq, found.value()))
    }

    /// Approximate memory held, in bytes.
    pub fn approximate_bytes(&self) -> usize {
        self.approximate_bytes.load(Ordering::Relaxed)
    }

    /// Number of entries (all versions).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing was inserted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Highest sequence number inserted, 0 if empty.
    pub fn max_seq(&self) -> u64 {
        self.max_seq.load(Ordering::Relaxed)
    }

    /// Every entry in internal-key order. Used by flush, on a frozen memtable.
    pub fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.map
            .iter()
            .map(|e| to_entry(&e.key().0, e.key().1 .0, e.value()))
    }

    /// Up to `limit` entries strictly after `after` (in `direction`), or from the start of
    /// the range when `after` is `None`. Scans read the memtable in such chunks so they
    /// never borrow it across calls; since entries are never removed, resuming after the
    /// last internal key returned is exact.
    pub fn chunk(
        &self,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        after: Option<&(Vec<u8>, u64)>,
        direction: Direction,
        limit: usize,
    ) -> Vec<Entry> {
        let lower: Bound<InternalKey> = match (direction, after) {
            (Direction::Forward, Some((k, s))) => Bound::Excluded((k.clone(), Reverse(*s))),
            _ => match start {
                Bound::Included(k) | Bound::Excluded(k) => {
                    Bound::Included((k.clone(), Reverse(u64::MAX)))
                }
                Bound::Unbounded => Bound::Unbounded,
            },
        };
        let upper: Bound<InternalKey> = match (direction, after) {
            (Direction::Reverse, Some((k, s))) => Bound::Excluded((k.clone(), Reverse(*s))),
            _ => match end {
                Bound::Included(k) | Bound::Excluded(k) => Bound::Included((k.clone(), Reverse(0))),
                Bound::Unbounded => Bound::Unbounded,
            },
        };
        let range = self.map.range((lower, upper));
        let convert = |e: crossbeam_skiplist::map::Entry<'_, InternalKey, Slot>| {
            to_entry(&e.key().0, e.key().1 .0, e.value())
        };
        match direction {
            Direction::Forward => range.take(limit).map(convert).collect(),
            Direction::Reverse => range.rev().take(limit).map(convert).collect(),
        }
    }
}

fn to_entry(key: &[u8], seq: u64, slot: &Slot) -> Entry {
    match slot {
        Some(v) => Entry {
            key: key.to_vec(),
            seq,
            kind: EntryKind::Put,
            value: v.clone(),
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
