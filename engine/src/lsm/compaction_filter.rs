//! Which versions a compaction keeps: the MVCC garbage-collection rule, pure and tested
//! on its own.
//!
//! For one user key, versions arrive newest first. A reader at sequence `s` sees the
//! newest version with `seq <= s`, so version `v` (with next-newer version `n`) is seen
//! exactly by readers in `[v.seq, n.seq)`. It must be kept iff some live reader falls
//! there. The live readers are the registered snapshots plus "now" (which sees the newest
//! version), so:
//! - the newest version is kept;
//! - an older version is kept iff a snapshot lies in `[v.seq, n.seq)`;
//! - a tombstone is dropped only at the bottom of the tree (nothing deeper to hide) and
//!   only if no snapshot is older than it: then every version below it is invisible to
//!   every reader too and is dropped, so readers find "absent" either way.

use crate::lsm::entry::{Entry, EntryKind};

/// Streaming keep/drop decisions over entries in internal-key order.
#[derive(Debug)]
pub(crate) struct VersionFilter {
    /// Sequence numbers of live snapshots, sorted ascending.
    snapshots: Vec<u64>,
    /// Whether the output level is the bottom of the tree for this compaction's range.
    bottom: bool,
    /// The key and sequence number of the previous entry seen.
    last: Option<(Vec<u8>, u64)>,
}

impl VersionFilter {
    /// A filter for one compaction. `snapshots` need not be sorted.
    pub(crate) fn new(mut snapshots: Vec<u64>, bottom: bool) -> Self {
        snapshots.sort_unstable();
        snapshots.dedup();
        VersionFilter {
            snapshots,
            bottom,
            last: None,
        }
    }

    fn snapshot_in(&self, lo: u64, hi_exclusive: u64) -> bool {
        let i = self.snapshots.partition_point(|&s| s < lo);
        self.snapshots.get(i).is_some_and(|&s| s < hi_exclusive)
    }

    /// Whether to keep `e`. Must be called for every input entry, in order.
    pub(crate) fn keep(&mut self, e: &Entry) -> bool {
        let newer = match &self.last {
            Some((k, s)) if *k == e.key => Some(*s),
            _ => None,
        };
        self.last = Some((e.key.clone(), e.seq));
        let needed = match newer {
            None => true,
            Some(n) => self.snapshot_in(e.seq, n),
        };
        if !needed {
            return false;
        }
        if e.kind == EntryKind::Delete && self.bottom {
            let older_snapshot = self.snapshots.first().is_some_and(|&s| s < e.seq);
            return older_snapshot;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::entry::resolve_visible;

    fn e(key: &str, seq: u64, kind: EntryKind) -> Entry {
        Entry {
            key: key.as_bytes().to_vec(),
            seq,
            kind,
            value: Vec::new(),
        }
    }

    fn run(entries: &[Entry], snaps: Vec<u64>, bottom: bool) -> Vec<u64> {
        let mut f = VersionFilter::new(snaps, bottom);
        entries
            .iter()
            .filter(|x| f.keep(x))
            .map(|x| x.seq)
            .collect()
    }

    #[test]
    fn shadowed_versions_go_unless_a_snapshot_needs_them() {
        let k = |s, kind| e("k", s, kind);
        let input = [
            k(9, EntryKind::Put),
            k(5, EntryKind::Put),
            k(2, EntryKind::Put),
        ];
        assert_eq!(run(&input, vec![], false), vec![9]);
        assert_eq!(run(&input, vec![6], false), vec![9, 5]);
        assert_eq!(run(&input, vec![3, 4], false), vec![9, 2]);
        assert_eq!(
            run(&input, vec![1], false),
            vec![9],
            "snapshot older than all"
        );
    }

    #[test]
    fn tombstones_drop_only_at_bottom_without_older_snapshots() {
        let input = [
            e("k", 9, EntryKind::Delete),
            e("k", 5, EntryKind::Put),
            e("z", 1, EntryKind::Put),
        ];
        assert_eq!(run(&input, vec![], false), vec![9, 1]);
        assert_eq!(run(&input, vec![], true), vec![1]);
        assert_eq!(run(&input, vec![7], true), vec![9, 5, 1]);
        assert_eq!(run(&input, vec![10], true), vec![1]);
    }

    /// Exhaustive check on small histories: every reader sees the same thing before and
    /// after filtering.
    #[test]
    fn filtering_never_changes_what_a_snapshot_sees() {
        for mask in 0u32..(1 << 6) {
            // Versions at seqs 2,4,..,12; bit set = tombstone.
            let input: Vec<Entry> = (1..=6u64)
                .rev()
                .map(|i| {
                    let kind = if mask & (1 << i) != 0 {
                        EntryKind::Delete
                    } else {
                        EntryKind::Put
                    };
                    e("k", i * 2, kind)
                })
                .collect();
            for snaps in [vec![], vec![3], vec![5, 9], vec![1, 13], vec![6]] {
                for bottom in [false, true] {
                    let mut f = VersionFilter::new(snaps.clone(), bottom);
                    let kept: Vec<Entry> = input.iter().filter(|x| f.keep(x)).cloned().collect();
                    let readers = snaps.iter().copied().chain([u64::MAX]);
                    for s in readers {
                        let see = |v: &[Entry]| {
                            resolve_visible(v, s)
                                .filter(|x| x.kind == EntryKind::Put)
                                .map(|x| x.seq)
                        };
                        assert_eq!(
                            see(&input),
                            see(&kept),
                            "mask {mask} snaps {snaps:?} at {s}"
                        );
                    }
                }
            }
        }
    }
}
