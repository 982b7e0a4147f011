//! [`TxnClaims`]: the conflict detector. Which items are held by a transaction in flight.
//!
//! Serializability does not come from here: every write, transaction or not, holds the
//! item locks of its items (`crate::item_locks`) from its read to its commit, so writes
//! of one item never interleave. This module decides who *fails* when a
//! transaction and another write want the same item at the same time, as DynamoDB
//! documents it:
//!
//! - a transaction claims its items' exact keys before it locks anything, without
//!   waiting: an item already claimed by another transaction cancels it, with the reason
//!   `TransactionConflict` at that action's position;
//! - a single-item write looks its key up here before and after it locks it: a key
//!   claimed by a transaction fails it with `TransactionConflictException`.
//!
//! Claims are per exact item key, so an unrelated item never conflicts. A single-item write that finds no claim costs one atomic
//! load; with claims present, one shard mutex held for a hash lookup. Nothing here ever
//! waits for a transaction: the only blocking is on the item locks, each held for one
//! read-decide-commit.
//!
//! Lock order: a shard mutex is a leaf, taken alone (never two at once, never while
//! waiting for anything else). It may be taken while item locks are held.
//!
//! Under `--cfg loom` the mutex and the counter are loom's, so
//! `tests/loom_txn_claims.rs` can check every interleaving of claims and checks.

use std::collections::HashSet;

#[cfg(loom)]
use loom::sync::atomic::{AtomicUsize, Ordering};
#[cfg(loom)]
use loom::sync::Mutex;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicUsize, Ordering};
#[cfg(not(loom))]
use std::sync::Mutex;

/// Shards of the claim set (a claim or a check locks one shard at a time).
pub const CLAIM_SHARDS: usize = 64;

/// The keys held by transactions in flight. `Send + Sync`.
#[derive(Debug)]
pub struct TxnClaims {
    shards: Vec<Mutex<HashSet<Vec<u8>>>>,
    /// At least the number of keys claimed (incremented before a key goes in, decremented
    /// after it comes out): zero means no key is claimed, the single-item writes' fast path.
    claimed: AtomicUsize,
}

/// One transaction's claimed keys; released on drop.
#[must_use = "the claim is released when dropped"]
#[derive(Debug)]
pub struct Claim<'a> {
    claims: &'a TxnClaims,
    keys: Vec<Vec<u8>>,
}

impl Default for TxnClaims {
    fn default() -> Self {
        TxnClaims::new(CLAIM_SHARDS)
    }
}

impl TxnClaims {
    /// An empty claim set over `shards` shards (at least one).
    pub fn new(shards: usize) -> TxnClaims {
        TxnClaims {
            shards: (0..shards.max(1))
                .map(|_| Mutex::new(HashSet::new()))
                .collect(),
            claimed: AtomicUsize::new(0),
        }
    }

    fn shard(&self, key: &[u8]) -> &Mutex<HashSet<Vec<u8>>> {
        let h = xxhash_rust::xxh3::xxh3_64(key);
        &self.shards[(h % self.shards.len() as u64) as usize]
    }

    /// Claims every key of `keys` (distinct) for one transaction, without waiting. On a
    /// conflict nothing stays claimed, and the error says, per key in order, whether
    /// another transaction holds it (every such key, not only the first, so the
    /// cancellation reasons name each).
    ///
    /// # Errors
    /// The conflict flags, when any key is held by another transaction.
    pub fn try_claim(&self, keys: Vec<Vec<u8>>) -> Result<Claim<'_>, Vec<bool>> {
        debug_assert!(
            {
                let mut sorted: Vec<&Vec<u8>> = keys.iter().collect();
                sorted.sort_unstable();
                sorted.windows(2).all(|w| w[0] != w[1])
            },
            "a transaction's keys are distinct"
        );
        let mut conflicts = vec![false; keys.len()];
        let mut taken = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            self.claimed.fetch_add(1, Ordering::SeqCst);
            let inserted = lock(self.shard(key)).insert(key.clone());
            if inserted {
                taken.push(i);
            } else {
                self.claimed.fetch_sub(1, Ordering::SeqCst);
                conflicts[i] = true;
            }
        }
        if conflicts.iter().any(|c| *c) {
            for i in taken {
                self.release(&keys[i]);
            }
            return Err(conflicts);
        }
        Ok(Claim { claims: self, keys })
    }

    /// Whether a transaction in flight holds `key`.
    pub fn is_claimed(&self, key: &[u8]) -> bool {
        if self.claimed.load(Ordering::SeqCst) == 0 {
            return false;
        }
        lock(self.shard(key)).contains(key)
    }

    fn release(&self, key: &[u8]) {
        let removed = lock(self.shard(key)).remove(key);
        debug_assert!(removed, "a released key was claimed");
        self.claimed.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Claim<'_> {
    /// Whether this claim holds `key`.
    pub fn holds(&self, key: &[u8]) -> bool {
        self.keys.iter().any(|k| k == key)
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        for key in &self.keys {
            self.claims.release(key);
        }
    }
}

/// Locks a shard. A shard's set is consistent at every await-free step (one insert,
/// remove or lookup), so a poisoned mutex (a panic elsewhere while holding it) still
/// guards a valid set.
fn lock(m: &Mutex<HashSet<Vec<u8>>>) -> impl std::ops::DerefMut<Target = HashSet<Vec<u8>>> + '_ {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn keys(names: &[&str]) -> Vec<Vec<u8>> {
        names.iter().map(|n| n.as_bytes().to_vec()).collect()
    }

    #[test]
    fn overlapping_claims_conflict_on_the_shared_keys_only() {
        let claims = TxnClaims::new(4);
        let a = claims.try_claim(keys(&["x", "y"])).unwrap();
        assert!(claims.is_claimed(b"x") && !claims.is_claimed(b"z"));
        let conflicts = claims.try_claim(keys(&["z", "y", "x"])).unwrap_err();
        assert_eq!(conflicts, vec![false, true, true]);
        // The loser left nothing behind.
        assert!(!claims.is_claimed(b"z"));
        drop(a);
        assert!(!claims.is_claimed(b"x"));
        let b = claims.try_claim(keys(&["z", "y", "x"])).unwrap();
        assert!(b.holds(b"y") && !b.holds(b"w"));
    }

    #[test]
    fn no_claims_is_the_fast_path() {
        let claims = TxnClaims::default();
        assert!(!claims.is_claimed(b"anything"));
        {
            let _c = claims.try_claim(keys(&["k"])).unwrap();
            assert_eq!(claims.claimed.load(Ordering::SeqCst), 1);
        }
        assert_eq!(claims.claimed.load(Ordering::SeqCst), 0);
    }
}
