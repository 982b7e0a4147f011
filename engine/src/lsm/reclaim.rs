//! Deferred drops of retired read-path structures.
//!
//! After a flush, the frozen memtable (millions of entries) is still referenced by every
//! reader that loaded the old state; after a compaction, so are the replaced tables. The
//! last of those readers to let go would free the memtable (milliseconds of `free` calls)
//! or unlink the table file inside a `get` or a scan. Instead, the background thread that
//! retired them keeps a reference here and drops it once nobody else holds one.
//!
//! Invariant: an entry is dropped only when this list holds its last strong reference;
//! nothing keeps weak references to retired structures, so nobody can revive it.

use std::any::Any;
use std::sync::Arc;

use parking_lot::Mutex;

/// A retired structure, kept alive until it can be dropped here.
type Retired = Arc<dyn Any + Send + Sync>;

/// Structures waiting for their last reader. `Send + Sync`.
#[derive(Default)]
pub(crate) struct Reclaimer {
    pending: Mutex<Vec<Retired>>,
}

impl std::fmt::Debug for Reclaimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reclaimer")
            .field("pending", &self.pending.lock().len())
            .finish()
    }
}

impl Reclaimer {
    /// Keeps `item` until [`Reclaimer::collect`] finds no other reference to it.
    pub(crate) fn retire(&self, item: Retired) {
        self.pending.lock().push(item);
    }

    /// Drops every retired structure nobody else references any more, on the calling
    /// (background) thread. Returns how many it dropped.
    pub(crate) fn collect(&self) -> usize {
        let unreferenced: Vec<Retired> = {
            let mut pending = self.pending.lock();
            let mut out = Vec::new();
            let mut i = 0;
            // Each turn removes an entry or advances: bounded by the list's length.
            while i < pending.len() {
                if Arc::strong_count(&pending[i]) == 1 {
                    out.push(pending.swap_remove(i));
                } else {
                    i += 1;
                }
            }
            out
        };
        // Dropped here, outside the lock.
        unreferenced.len()
    }

    /// [`Reclaimer::collect`], retried until nothing waits or `patience` has passed: for a
    /// caller that wants the retired structures gone before it returns (a manual
    /// compaction), when another thread may hold one for a moment (a background thread
    /// that loaded the state to look at it). A reader that holds one longer (an iterator
    /// kept open) only makes this wait out `patience`; its structure goes later.
    pub(crate) fn collect_within(&self, patience: std::time::Duration) {
        let deadline = std::time::Instant::now() + patience;
        loop {
            self.collect();
            if self.pending.lock().is_empty() || std::time::Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }

    /// Structures still waiting.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.pending.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct CountsDrops(Arc<AtomicUsize>);
    impl Drop for CountsDrops {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn drops_only_what_nobody_else_holds() {
        let drops = Arc::new(AtomicUsize::new(0));
        let r = Reclaimer::default();
        let held = Arc::new(CountsDrops(drops.clone()));
        let reader = held.clone();
        r.retire(held);
        r.retire(Arc::new(CountsDrops(drops.clone())));
        assert_eq!(r.collect(), 1, "the unreferenced one goes");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        drop(reader); // the last reader lets go: nothing is freed on its thread
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_eq!(r.pending(), 1);
        assert_eq!(r.collect(), 1);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert_eq!(r.pending(), 0);
    }
}
