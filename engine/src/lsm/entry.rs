//! One versioned LSM entry: the unit that flows from the WAL through the memtable into
//! SSTables and through compaction.
//!
//! Order (the "internal key" order used everywhere in the engine): user key ascending
//! (bytewise), then sequence number descending, so the newest version of a key comes first.

use std::cmp::Ordering;

/// Whether an entry sets a value or deletes the key (a tombstone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// The key holds `value`.
    Put,
    /// The key was deleted at this sequence number.
    Delete,
}

/// A versioned entry. `seq` is the WAL LSN of the batch that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The user key.
    pub key: Vec<u8>,
    /// Sequence number (the batch's LSN).
    pub seq: u64,
    /// Put or tombstone.
    pub kind: EntryKind,
    /// The value (empty for tombstones).
    pub value: Vec<u8>,
}

/// Compares two (key, seq) pairs in internal-key order: key ascending, seq descending.
pub(crate) fn internal_cmp(a_key: &[u8], a_seq: u64, b_key: &[u8], b_seq: u64) -> Ordering {
    a_key.cmp(b_key).then(b_seq.cmp(&a_seq))
}

/// Among the versions of one key, the one a reader at `read_seq` sees: the newest with
/// `seq <= read_seq`. Returns `None` if every version is newer than the reader. (The read
/// merge, `merge::MergingIter`, applies the same rule as it pops versions.)
#[cfg(test)]
pub(crate) fn resolve_visible(versions: &[Entry], read_seq: u64) -> Option<&Entry> {
    versions
        .iter()
        .filter(|e| e.seq <= read_seq)
        .max_by_key(|e| e.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(seq: u64, kind: EntryKind) -> Entry {
        Entry {
            key: b"k".to_vec(),
            seq,
            kind,
            value: seq.to_be_bytes().to_vec(),
        }
    }

    #[test]
    fn internal_order_puts_newest_first() {
        assert_eq!(internal_cmp(b"a", 5, b"a", 3), Ordering::Less);
        assert_eq!(internal_cmp(b"a", 1, b"b", 9), Ordering::Less);
        assert_eq!(internal_cmp(b"a", 4, b"a", 4), Ordering::Equal);
    }

    #[test]
    fn resolution_picks_newest_visible_version() {
        let vs = vec![
            e(2, EntryKind::Put),
            e(7, EntryKind::Delete),
            e(5, EntryKind::Put),
        ];
        assert_eq!(resolve_visible(&vs, 1), None);
        assert_eq!(resolve_visible(&vs, 4).map(|e| e.seq), Some(2));
        assert_eq!(resolve_visible(&vs, 6).map(|e| e.seq), Some(5));
        assert_eq!(
            resolve_visible(&vs, 100).map(|e| e.kind),
            Some(EntryKind::Delete)
        );
    }
}
