//! [`ItemLocks`]: the per-key locks that make an item write's read-condition-write
//! atomic.
//!
//! A write locks the exact lock key of every item it changes (the item key; for tables
//! with LSIs the partition key, because the item-collection size is per partition) for
//! the whole of its read → decide → commit. Two writes of one item (or partition)
//! therefore never interleave, and GSI queue records of one item are queued in commit
//! order. Writes of different keys never wait for each other: a key is held as itself,
//! not mapped onto a shared stripe (striped locks made ~10% of unrelated single writes
//! wait for a whole 100-item transaction beside them; see `docs/transactions.md`).
//!
//! A key is held as its 64-bit hash (xxh3), in one of a fixed number of shards (a mutex
//! over a hash set of held hashes, and a condition variable signalled when one is
//! released). Two keys with the same hash share a lock: a false wait with probability
//! about 2^-64 per pair, never a correctness problem. A shard's mutex is held only to
//! look up, insert or remove a hash, never while the write runs.
//!
//! Lock order: a [`LockSet`] takes its hashes in ascending order, each once, and waits
//! for one only while holding smaller ones, so two writes over overlapping key sets
//! cannot deadlock, and a key listed twice does not self-deadlock. Keys come after the
//! catalog lock and before nothing else (see [`crate::core`]).
//!
//! Under `--cfg loom` the mutex, condition variable and counter are loom's, so
//! `tests/loom_item_locks.rs` can check every interleaving; otherwise parking_lot's,
//! whose notify costs no system call when nobody waits.

use std::collections::HashSet;

#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(loom)]
use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use parking_lot::{Condvar, Mutex, MutexGuard};
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering};

/// Per-key write locks for item (or partition) read-modify-write. `Send + Sync`.
#[derive(Debug)]
pub struct ItemLocks {
    shards: Vec<Shard>,
    /// Acquisitions that had to wait for a key held by another write.
    waits: AtomicU64,
}

#[derive(Debug)]
struct Shard {
    /// The hashes of the keys held by a [`LockSet`].
    held: Mutex<HashSet<u64>>,
    /// Signalled whenever a key of this shard is released.
    released: Condvar,
}

/// The keys one write holds (as hashes, ascending); released on drop.
#[must_use = "the locks are released when the set is dropped"]
#[derive(Debug)]
pub struct LockSet<'a> {
    locks: &'a ItemLocks,
    hashes: Vec<u64>,
}

impl ItemLocks {
    /// Locks over `n` shards (at least one).
    pub fn new(n: usize) -> ItemLocks {
        ItemLocks {
            shards: (0..n.max(1))
                .map(|_| Shard {
                    held: Mutex::new(HashSet::new()),
                    released: Condvar::new(),
                })
                .collect(),
            waits: AtomicU64::new(0),
        }
    }

    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[(hash % self.shards.len() as u64) as usize]
    }

    /// How many acquisitions so far had to wait for a key held by another write.
    pub fn waits(&self) -> u64 {
        self.waits.load(Ordering::Relaxed)
    }

    /// Locks every key in `lock_keys` (in ascending order of their hashes, each once);
    /// blocks until all are held. A key held by another set is waited for (its holder
    /// runs one read-decide-commit and releases it); nothing else is.
    pub fn lock<'k>(&self, lock_keys: impl IntoIterator<Item = &'k [u8]>) -> LockSet<'_> {
        let mut order: Vec<u64> = lock_keys
            .into_iter()
            .map(xxhash_rust::xxh3::xxh3_64)
            .collect();
        order.sort_unstable();
        order.dedup();
        debug_assert!(order.windows(2).all(|w| w[0] < w[1]), "strictly ascending");
        let mut set = LockSet {
            locks: self,
            hashes: Vec::with_capacity(order.len()),
        };
        for hash in order {
            let shard = self.shard(hash);
            let mut held = guard(&shard.held);
            if held.contains(&hash) {
                self.waits.fetch_add(1, Ordering::Relaxed);
                // Each wake-up follows a release in this shard; the key's holder releases
                // it after one write, so the wait ends (it is as bounded as a mutex's).
                while held.contains(&hash) {
                    held = wait(&shard.released, held);
                }
            }
            held.insert(hash);
            drop(held);
            // Pushed once held, so a panic part-way releases exactly what was taken.
            set.hashes.push(hash);
        }
        set
    }

    /// Whether `key` is held (tests and assertions).
    #[cfg(all(test, not(loom)))]
    fn is_held(&self, key: &[u8]) -> bool {
        let hash = xxhash_rust::xxh3::xxh3_64(key);
        guard(&self.shard(hash).held).contains(&hash)
    }
}

impl Drop for LockSet<'_> {
    fn drop(&mut self) {
        for &hash in self.hashes.iter().rev() {
            let shard = self.locks.shard(hash);
            let removed = guard(&shard.held).remove(&hash);
            debug_assert!(removed, "a held key was in its shard");
            shard.released.notify_all();
        }
    }
}

/// Locks a shard. Its set is consistent after every single insert or remove, so a
/// poisoned loom mutex (a panic elsewhere while it was held) still guards a valid set.
#[cfg(loom)]
fn guard(m: &Mutex<HashSet<u64>>) -> MutexGuard<'_, HashSet<u64>> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(not(loom))]
fn guard(m: &Mutex<HashSet<u64>>) -> MutexGuard<'_, HashSet<u64>> {
    m.lock()
}

/// Waits for a release in the shard, giving its mutex back meanwhile.
#[cfg(loom)]
fn wait<'a>(cv: &Condvar, held: MutexGuard<'a, HashSet<u64>>) -> MutexGuard<'a, HashSet<u64>> {
    cv.wait(held).unwrap_or_else(|e| e.into_inner())
}

#[cfg(not(loom))]
fn wait<'a>(cv: &Condvar, mut held: MutexGuard<'a, HashSet<u64>>) -> MutexGuard<'a, HashSet<u64>> {
    cv.wait(&mut held);
    held
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_key_listed_twice_is_locked_once_and_released() {
        // One shard: every key shares it; the same key twice must not self-deadlock.
        let locks = ItemLocks::new(1);
        let set = locks.lock([b"a".as_slice(), b"b", b"a"]);
        assert!(locks.is_held(b"a") && locks.is_held(b"b"));
        drop(set);
        assert!(!locks.is_held(b"a") && !locks.is_held(b"b"));
    }

    #[test]
    fn keys_sharing_a_shard_do_not_wait_for_each_other() {
        let locks = ItemLocks::new(1);
        let _a = locks.lock([b"a".as_slice()]);
        // Another key of the same (only) shard is free.
        let _b = locks.lock([b"b".as_slice()]);
        assert!(locks.is_held(b"b"));
        assert_eq!(locks.waits(), 0);
    }

    #[test]
    fn a_held_key_waits_for_its_release() {
        let locks = ItemLocks::new(4);
        let first = locks.lock([b"k".as_slice()]);
        assert_eq!(locks.waits(), 0);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _second = locks.lock([b"k".as_slice()]);
                tx.send(()).unwrap();
            });
            assert!(rx
                .recv_timeout(std::time::Duration::from_millis(50))
                .is_err());
            // Bounded: the waiter registers its wait within the 10 s.
            for _ in 0..10_000 {
                if locks.waits() == 1 {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            assert_eq!(locks.waits(), 1);
            drop(first);
            rx.recv_timeout(std::time::Duration::from_secs(10))
                .expect("the waiter got the key");
        });
        assert_eq!(locks.waits(), 1);
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
