//! [`ItemLocks`]: the striped locks that make an item write's read-condition-write
//! atomic.
//!
//! A write locks the stripe of every item it changes (for tables with LSIs, of every
//! partition, because the item-collection size is per partition) for the whole of its
//! read → decide → commit. Two writes of one item (or partition) therefore never
//! interleave, and GSI queue records of one item are queued in commit order.
//!
//! Lock order: a [`LockSet`] takes its stripes in ascending stripe index, each once, so
//! two writes over overlapping key sets cannot deadlock, and two keys that share a stripe
//! do not self-deadlock (the mutexes are not re-entrant). Stripes come after the catalog
//! lock and before nothing else (see [`crate::core`]).

use parking_lot::{Mutex, MutexGuard};

/// Lock stripes for item (or partition) read-modify-write.
#[derive(Debug)]
pub(crate) struct ItemLocks {
    stripes: Vec<Mutex<()>>,
}

/// The stripes one write holds; released on drop.
#[must_use = "the locks are released when the set is dropped"]
#[derive(Debug)]
pub(crate) struct LockSet<'a> {
    _guards: Vec<MutexGuard<'a, ()>>,
}

impl ItemLocks {
    /// `n` stripes (at least one).
    pub(crate) fn new(n: usize) -> ItemLocks {
        ItemLocks {
            stripes: (0..n.max(1)).map(|_| Mutex::new(())).collect(),
        }
    }

    fn stripe_of(&self, lock_key: &[u8]) -> usize {
        let h = xxhash_rust::xxh3::xxh3_64(lock_key);
        (h % self.stripes.len() as u64) as usize
    }

    /// Locks the stripes of every key in `lock_keys`, in ascending stripe order, each
    /// stripe once; blocks until all are held.
    pub(crate) fn lock<'k>(&self, lock_keys: impl IntoIterator<Item = &'k [u8]>) -> LockSet<'_> {
        let mut order: Vec<usize> = lock_keys.into_iter().map(|k| self.stripe_of(k)).collect();
        order.sort_unstable();
        order.dedup();
        debug_assert!(order.windows(2).all(|w| w[0] < w[1]), "strictly ascending");
        LockSet {
            _guards: order.into_iter().map(|i| self.stripes[i].lock()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sharing_a_stripe_lock_it_once() {
        // One stripe: every key shares it; a second lock of it would deadlock.
        let locks = ItemLocks::new(1);
        let set = locks.lock([b"a".as_slice(), b"b", b"a"]);
        assert!(locks.stripes[0].is_locked());
        drop(set);
        assert!(!locks.stripes[0].is_locked());
    }

    #[test]
    fn overlapping_sets_in_opposite_orders_do_not_deadlock() {
        let locks = std::sync::Arc::new(ItemLocks::new(8));
        let keys: Vec<Vec<u8>> = (0u8..16).map(|i| vec![i]).collect();
        std::thread::scope(|s| {
            for t in 0..4 {
                let locks = &locks;
                let keys = &keys;
                s.spawn(move || {
                    for _ in 0..500 {
                        let it: Box<dyn Iterator<Item = &Vec<u8>>> = if t % 2 == 0 {
                            Box::new(keys.iter())
                        } else {
                            Box::new(keys.iter().rev())
                        };
                        let _set = locks.lock(it.map(Vec::as_slice));
                    }
                });
            }
        });
    }
}
