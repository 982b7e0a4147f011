//! The registry of live snapshots, which compaction consults before dropping versions.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::Mutex;

use crate::backend::Snapshot;

/// Live snapshot sequence numbers with reference counts.
#[derive(Debug, Default)]
pub(crate) struct SnapshotRegistry {
    live: Mutex<BTreeMap<u64, usize>>,
}

struct Pin {
    registry: Arc<SnapshotRegistry>,
    seq: u64,
}

impl Drop for Pin {
    fn drop(&mut self) {
        let mut live = self.registry.live.lock();
        if let Some(n) = live.get_mut(&self.seq) {
            *n -= 1;
            if *n == 0 {
                live.remove(&self.seq);
            }
        }
    }
}

impl SnapshotRegistry {
    /// Registers a snapshot at `current()`, read under the registry lock, so a compaction
    /// listing snapshots (also under the lock) either sees it or ran before it existed,
    /// in which case every version the snapshot needs was newer than the compaction's view.
    pub(crate) fn take(self: &Arc<Self>, current: impl FnOnce() -> u64) -> Snapshot {
        let mut live = self.live.lock();
        let seq = current();
        *live.entry(seq).or_insert(0) += 1;
        drop(live);
        Snapshot::new(
            seq,
            Arc::new(Pin {
                registry: self.clone(),
                seq,
            }),
        )
    }

    /// The live snapshot sequences plus `current()` (the newest state, which later
    /// snapshots will be at or above), read atomically with respect to [`Self::take`].
    pub(crate) fn horizon(&self, current: impl FnOnce() -> u64) -> Vec<u64> {
        let live = self.live.lock();
        let mut seqs: Vec<u64> = live.keys().copied().collect();
        seqs.push(current());
        seqs
    }

    /// Number of live snapshots.
    pub(crate) fn len(&self) -> usize {
        self.live.lock().values().sum()
    }

    /// Whether none are live.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_register_and_release() {
        let r = Arc::new(SnapshotRegistry::default());
        let a = r.take(|| 5);
        let b = a.clone();
        let c = r.take(|| 5);
        let d = r.take(|| 9);
        assert_eq!(r.horizon(|| 10), vec![5, 9, 10]);
        drop((a, c, d));
        assert_eq!(r.horizon(|| 10), vec![5, 10], "a clone keeps it pinned");
        drop(b);
        assert!(r.is_empty());
    }
}
