//! The block cache: decoded data blocks shared by every open table, bounded in bytes.
//!
//! Why our own: the policy is small (sharded CLOCK, ~100 lines), and owning it lets us state
//! and test the one property the engine relies on: the bytes charged never exceed the
//! capacity, not even transiently. A light crate (quick_cache) would do too, but it sizes
//! with an approximate weight budget and brings its own concurrency model we would have
//! to audit for that guarantee.
//!
//! Design: `SHARDS_MAX` shards, each a mutex over a hash map and a CLOCK ring (the
//! second-chance approximation of LRU): a hit only sets the block's `referenced` bit, so
//! the common path is one hash lookup under a short lock, with no reordering. An insert
//! first evicts, sweeping the clock hand, until the new block fits: a referenced block
//! loses its bit and is passed over once, an unreferenced one is evicted. The capacity is
//! split evenly between shards, and a block bigger than a whole shard is not cached.
//! Entries are `Arc<Block>`, so evicting a block that an iterator (or a
//! [`crate::BlockValue`]) still reads is safe: it keeps its own reference, and the
//! block's memory, outside the cache's bound, until it drops it.
//!
//! Keys are `(table_id, block_offset)`: the engine must give each live table a distinct
//! id (its file number), and must not reuse an id while blocks of the old table could
//! still be cached (use [`BlockCache::erase_table`] when deleting a table).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::block::Block;
use crate::block_buffers;
use crate::counter::StripedCounter;

/// Most shards a cache uses; more shards mean less lock contention but a smaller largest
/// cacheable block.
const SHARDS_MAX: usize = 16;
/// Each shard gets at least this much, so a 4 KiB block (or a block with one large item)
/// still fits when the total capacity is small.
const SHARD_MIN_BYTES: usize = 1024 * 1024;

/// Bookkeeping charged per cached block on top of its own size: the map slot, the
/// recency entry and the `Arc` header, rounded up. Keeps many tiny blocks from exceeding
/// the real memory bound.
const SLOT_OVERHEAD_BYTES: usize = 128;

type CacheKey = (u64, u64);

/// Bytes a block is charged in the cache.
pub(crate) fn charge_of(block: &Block) -> usize {
    block.charge_bytes() + SLOT_OVERHEAD_BYTES
}

/// Counters of a [`BlockCache`] since it was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Lookups that found the block.
    pub hits: u64,
    /// Lookups that did not.
    pub misses: u64,
    /// Blocks inserted.
    pub inserts: u64,
    /// Blocks evicted to make room.
    pub evictions: u64,
    /// Bytes currently charged.
    pub used_bytes: u64,
    /// The configured bound.
    pub capacity_bytes: u64,
}

/// Hashes a `(table_id, offset)` key with two multiply-xor rounds instead of SipHash:
/// the keys are the engine's own file numbers and block offsets, not attacker input, and
/// the default hasher was a visible share of every block lookup.
#[derive(Debug, Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(23) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        // Fold the high bits down: hashbrown takes its bucket from the low bits and a
        // tag from the top seven.
        self.0 ^ (self.0 >> 29)
    }
}

#[derive(Debug)]
struct Slot {
    key: CacheKey,
    block: Arc<Block>,
    charge: usize,
    /// Set by a hit; the clock hand clears it once before evicting the block.
    referenced: bool,
}

#[derive(Debug, Default)]
struct Shard {
    /// Key → index into `ring`.
    map: HashMap<CacheKey, usize, BuildHasherDefault<KeyHasher>>,
    /// The clock: occupied and free (`None`) positions.
    ring: Vec<Option<Slot>>,
    /// Free positions of `ring`, reused before the ring grows.
    free: Vec<usize>,
    /// Next position the clock hand examines.
    hand: usize,
    used_bytes: usize,
}

impl Shard {
    /// The block at `key`; `mark` sets its referenced bit (a reader's use).
    fn lookup(&mut self, key: CacheKey, mark: bool) -> Option<Arc<Block>> {
        let at = *self.map.get(&key)?;
        let slot = self.ring.get_mut(at)?.as_mut()?;
        slot.referenced |= mark;
        Some(slot.block.clone())
    }

    /// Removes the block at `key`, handing its buffer to this thread's pool
    /// ([`block_buffers::recycle`]) when nothing else holds the block.
    fn remove(&mut self, key: CacheKey) {
        if let Some(at) = self.map.remove(&key) {
            if let Some(slot) = self.ring.get_mut(at).and_then(Option::take) {
                self.used_bytes -= slot.charge;
                self.free.push(at);
                block_buffers::recycle(slot.block);
            }
        }
    }

    /// Evicts until `need` more bytes fit in `capacity`; returns how many blocks went.
    fn make_room(&mut self, need: usize, capacity: usize) -> u64 {
        let mut evicted = 0;
        // Each position is passed over at most once with its bit set (the bit is cleared
        // then), so two sweeps of the ring evict everything: the loop is bounded.
        let mut budget = 2 * self.ring.len() + 1;
        while self.used_bytes + need > capacity && budget > 0 {
            budget -= 1;
            let at = self.hand;
            self.hand = (self.hand + 1) % self.ring.len().max(1);
            let Some(slot) = self.ring.get_mut(at).and_then(Option::as_mut) else {
                continue;
            };
            if slot.referenced {
                slot.referenced = false;
                continue;
            }
            let key = slot.key;
            self.remove(key);
            evicted += 1;
        }
        evicted
    }

    fn insert(&mut self, key: CacheKey, block: Arc<Block>, charge: usize) {
        let slot = Slot {
            key,
            block,
            charge,
            referenced: false,
        };
        let at = match self.free.pop() {
            Some(at) => {
                self.ring[at] = Some(slot);
                at
            }
            None => {
                self.ring.push(Some(slot));
                self.ring.len() - 1
            }
        };
        self.map.insert(key, at);
        self.used_bytes += charge;
    }
}

/// A byte-bounded, sharded CLOCK cache (an LRU approximation) of decoded blocks, shared
/// by all tables. `Send + Sync`.
///
/// Every counter is striped: a plain atomic bumped by each insert shared a cache line
/// with `shards`, which every lookup reads, so each miss on one core cost the other
/// core's next lookup a cache miss (a fifth of `get`'s time in YCSB E).
#[derive(Debug)]
pub struct BlockCache {
    shards: Vec<Mutex<Shard>>,
    shard_capacity_bytes: usize,
    capacity_bytes: usize,
    hits: StripedCounter,
    misses: StripedCounter,
    inserts: StripedCounter,
    evictions: StripedCounter,
}

impl BlockCache {
    /// A cache holding at most `capacity_bytes` of blocks (0 caches nothing).
    pub fn new(capacity_bytes: usize) -> Arc<Self> {
        let shards = (capacity_bytes / SHARD_MIN_BYTES).clamp(1, SHARDS_MAX);
        Arc::new(BlockCache {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            shard_capacity_bytes: capacity_bytes / shards,
            capacity_bytes,
            hits: StripedCounter::default(),
            misses: StripedCounter::default(),
            inserts: StripedCounter::default(),
            evictions: StripedCounter::default(),
        })
    }

    fn shard(&self, key: CacheKey) -> &Mutex<Shard> {
        // Fibonacci mixing of both halves; block offsets are multiples of ~4 KiB, so the
        // low bits alone would pile into a few shards.
        let h = (key.0 ^ key.1.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        &self.shards[(h >> 32) as usize % self.shards.len()]
    }

    /// The cached block at `(table_id, offset)`, marking it referenced.
    pub fn get(&self, table_id: u64, offset: u64) -> Option<Arc<Block>> {
        let found = self
            .shard((table_id, offset))
            .lock()
            .lookup((table_id, offset), true);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.bump();
        found
    }

    /// The cached block at `(table_id, offset)`, for a reader that will not cache what it
    /// misses (a compaction's input): neither marks the block referenced nor counts in
    /// the hit and miss counters, so those describe the readers the cache is for, and a
    /// block a compaction passed over is not kept alive by it.
    pub fn peek(&self, table_id: u64, offset: u64) -> Option<Arc<Block>> {
        self.shard((table_id, offset))
            .lock()
            .lookup((table_id, offset), false)
    }

    /// Caches `block` at `(table_id, offset)`, evicting blocks of the same shard (those
    /// not used since the clock hand last passed) to stay within the bound. A block larger than a shard is not cached.
    pub fn insert(&self, table_id: u64, offset: u64, block: Arc<Block>) {
        let key = (table_id, offset);
        let charge = charge_of(&block);
        if charge > self.shard_capacity_bytes {
            return;
        }
        let mut shard = self.shard(key).lock();
        shard.remove(key);
        let evicted = shard.make_room(charge, self.shard_capacity_bytes);
        if shard.used_bytes + charge > self.shard_capacity_bytes {
            // Unreachable (two sweeps evict every block), but the bound is the invariant.
            return;
        }
        shard.insert(key, block, charge);
        drop(shard);
        self.inserts.bump();
        self.evictions.add(evicted);
    }

    /// Drops every cached block of `table_id` (call when the table's file is deleted).
    /// Scans all entries: O(cache size), meant for compaction's file deletions.
    pub fn erase_table(&self, table_id: u64) {
        for shard in &self.shards {
            let mut s = shard.lock();
            let keys: Vec<CacheKey> = s.map.keys().filter(|k| k.0 == table_id).copied().collect();
            for k in keys {
                s.remove(k);
            }
        }
    }

    /// Counters and current usage.
    pub fn stats(&self) -> CacheStats {
        let used: usize = self.shards.iter().map(|s| s.lock().used_bytes).sum();
        CacheStats {
            hits: self.hits.get(),
            misses: self.misses.get(),
            inserts: self.inserts.get(),
            evictions: self.evictions.get(),
            used_bytes: used as u64,
            capacity_bytes: self.capacity_bytes as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::BlockBuilder;
    use crate::format::ValueKind;

    fn block_of(value_len: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(16);
        b.add(b"k", 1, ValueKind::Put, &vec![7u8; value_len]);
        Arc::new(Block::parse(b.finish()).unwrap())
    }

    #[test]
    fn usage_never_exceeds_capacity_under_mixed_sizes() {
        for capacity in [0usize, 10_000, 1 << 20, 3 << 20, 40 << 20] {
            let cache = BlockCache::new(capacity);
            let mut rng = 0x1234_5678_u64;
            for i in 0..3000u64 {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let size = (rng % 20_000) as usize;
                cache.insert(i % 7, i * 4096, block_of(size));
                if i % 3 == 0 {
                    cache.get(rng % 7, (rng % 3000) * 4096);
                }
                let st = cache.stats();
                assert!(
                    st.used_bytes <= st.capacity_bytes,
                    "cap {capacity} step {i}"
                );
            }
        }
    }

    /// A single-shard cache holding exactly three 1000-byte blocks, at offsets 0–2 of
    /// table 1, inserted in that order (the clock hand starts at offset 0).
    fn full_cache_of_three() -> Arc<BlockCache> {
        let one = charge_of(&block_of(1000));
        let cache = BlockCache::new(3 * one);
        for off in 0..3 {
            cache.insert(1, off, block_of(1000));
        }
        cache
    }

    #[test]
    fn the_clock_evicts_a_block_not_used_since_it_last_passed() {
        let cache = full_cache_of_three();
        assert!(cache.get(1, 0).is_some()); // 0 becomes most recent; 1 is now oldest
        cache.insert(1, 3, block_of(1000));
        assert!(cache.get(1, 1).is_none());
        assert!(cache.get(1, 0).is_some());
        assert!(cache.get(1, 2).is_some());
        assert!(cache.get(1, 3).is_some());
        let st = cache.stats();
        assert_eq!((st.hits, st.misses, st.evictions, st.inserts), (4, 1, 1, 4));
    }

    #[test]
    fn a_peek_neither_counts_nor_saves_a_block_from_the_clock() {
        let cache = full_cache_of_three();
        assert!(cache.peek(1, 0).is_some());
        assert!(cache.peek(1, 9).is_none());
        let st = cache.stats();
        assert_eq!((st.hits, st.misses), (0, 0), "peeks are not counted");
        // Unlike a get (the test above), the peek left block 0 unreferenced: the
        // clock hand, starting at it, evicts it first.
        cache.insert(1, 3, block_of(1000));
        assert!(cache.peek(1, 0).is_none());
        assert!(cache.peek(1, 1).is_some());
        assert_eq!(cache.stats().evictions, 1);
    }

    #[test]
    fn oversized_blocks_are_not_cached_and_erase_table_frees_bytes() {
        let cache = BlockCache::new(5000);
        cache.insert(1, 0, block_of(10_000));
        assert!(cache.get(1, 0).is_none());
        cache.insert(2, 0, block_of(100));
        cache.insert(3, 0, block_of(100));
        cache.erase_table(2);
        assert!(cache.get(2, 0).is_none());
        assert!(cache.get(3, 0).is_some());
        assert_eq!(cache.stats().used_bytes, charge_of(&block_of(100)) as u64);
    }
}
