//! The decoded index of an open table: per data block, its last entry's key and seq and
//! its handle, in plain arrays.
//!
//! Why: a point lookup, and every iterator's seek, binary-searches the index. Searching
//! the index *block* decodes an entry (three varints, bounds and kind checks) at every
//! probe, and that was the largest share of a read's CPU time; searching these arrays
//! compares slices only. The arrays are built once, when the table is opened, from the
//! validated index block (so every key, seq and handle here has passed the block's
//! checks); the block itself is then dropped. Iterators hold a position in these arrays.
//!
//! Layout, for the cache: a search first looks at every [`SAMPLE`]-th key prefix
//! (`sample`: 16 bytes per 32 blocks, small enough to stay cached across lookups), then
//! at one window of [`SAMPLE`] consecutive prefixes (`prefixes`, dense: 512 bytes), and
//! reads an entry's whole key only when its prefix ties with the target's. With one
//! array of 64-byte entries, each of a search's last probes was its own cache line, and
//! on YCSB C over 1 GB (a 64 MiB block cache, so most of the index is cold) the search
//! was the largest single share of a read (18% of the CPU; `docs/benchmarks.md`).
//!
//! Memory: the keys (stored once, back to back) plus about 56 bytes per data block,
//! pinned for as long as the table is open, like the bloom filter.

use crate::block::{entry_cmp, Block, BlockCursor};
use crate::error::CorruptionKind;
use crate::format::BlockHandle;

/// One prefix in `DecodedIndex::sample` per this many blocks: the window a search reads
/// in `prefixes` after the sample (32 × 16 bytes, eight cache lines).
const SAMPLE: usize = 32;

/// One data block as the index describes it (its prefix is in `DecodedIndex::prefixes`).
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// This entry's key: `DecodedIndex::keys[key_start..key_end]`.
    key_start: usize,
    key_end: usize,
    seq: u64,
    handle: BlockHandle,
}

/// The index, decoded. Entries are in table order (as the index block), so the first one
/// at or after a target names the only block that can hold it.
///
/// Invariants: `prefixes[i]` is `prefix_of` entry `i`'s key, so `prefixes` is sorted;
/// `sample[j] == prefixes[j * SAMPLE]`.
#[derive(Debug, Default)]
pub(crate) struct DecodedIndex {
    keys: Vec<u8>,
    /// The key's first 16 bytes, zero-padded, as a big-endian number: comparing two of
    /// these orders keys as bytes do, except that a tie needs the whole keys. Most
    /// searches end here, without touching `entries`, `keys` or memcmp.
    prefixes: Vec<u128>,
    sample: Vec<u128>,
    entries: Vec<Entry>,
}

impl DecodedIndex {
    /// Decodes every entry of a validated index block.
    ///
    /// # Errors
    /// [`CorruptionKind::BadIndexValue`] for a value that is not a block handle; a
    /// [`CorruptionKind`] if an entry does not decode (cannot happen for a parsed block).
    pub(crate) fn decode(index: std::sync::Arc<Block>) -> Result<Self, CorruptionKind> {
        let mut out = DecodedIndex {
            keys: Vec::new(),
            prefixes: Vec::with_capacity(index.len()),
            sample: Vec::with_capacity(index.len() / SAMPLE + 1),
            entries: Vec::with_capacity(index.len()),
        };
        let mut cursor = BlockCursor::new(index);
        cursor.seek_to_first()?;
        while cursor.valid() {
            let handle =
                BlockHandle::decode(cursor.value()).ok_or(CorruptionKind::BadIndexValue)?;
            let key_start = out.keys.len();
            out.keys.extend_from_slice(cursor.key());
            let prefix = prefix_of(cursor.key());
            if out.prefixes.len().is_multiple_of(SAMPLE) {
                out.sample.push(prefix);
            }
            out.prefixes.push(prefix);
            out.entries.push(Entry {
                key_start,
                key_end: out.keys.len(),
                seq: cursor.seq(),
                handle,
            });
            cursor.next()?;
        }
        Ok(out)
    }

    /// The handle of the first block whose last entry sorts at or after `(key, seq)` in
    /// table order; `None` if every entry of the table sorts before it.
    pub(crate) fn block_for(&self, key: &[u8], seq: u64) -> Option<BlockHandle> {
        self.handle(self.position_for(key, seq))
    }

    /// The position of the first block whose last entry sorts at or after `(key, seq)`
    /// in table order: the only block that can hold that entry or the first one after
    /// it. [`DecodedIndex::len`] if every entry of the table sorts before it.
    pub(crate) fn position_for(&self, key: &[u8], seq: u64) -> usize {
        let target = prefix_of(key);
        let at = self.first_prefix_at_or_after(target);
        // Entries whose prefix ties with the target's are ordered by their whole keys
        // (and seqs); those after the tied run sort after the target.
        let ties = tied_run(&self.prefixes[at..], target);
        at + self.entries[at..at + ties].partition_point(|e| {
            entry_cmp(&self.keys[e.key_start..e.key_end], e.seq, key, seq).is_lt()
        })
    }

    /// The handle of the block at `position` (table order), if there is one.
    pub(crate) fn handle(&self, position: usize) -> Option<BlockHandle> {
        self.entries.get(position).map(|e| e.handle)
    }

    /// How many data blocks the table has.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The last block's last key: the table's largest key (`None` for an empty table).
    pub(crate) fn last_key(&self) -> Option<&[u8]> {
        self.entries
            .last()
            .map(|e| &self.keys[e.key_start..e.key_end])
    }

    /// The first position whose prefix is `target` or more (`prefixes.len()` if none):
    /// the sample bounds it to one window, searched in `prefixes`.
    fn first_prefix_at_or_after(&self, target: u128) -> usize {
        let below = self.sample.partition_point(|&p| p < target);
        // `sample[below - 1] < target`: the answer is after its position. `sample[below]`
        // (if any) is at or after the target: the answer is at its position or before.
        let start = below.saturating_sub(1) * SAMPLE;
        let end = (below * SAMPLE).min(self.prefixes.len());
        start + self.prefixes[start..end].partition_point(|&p| p < target)
    }
}

/// How many of `prefixes` (sorted, none below `target`) lead with `target`: usually none
/// or one, so a galloping search, which reads only the run and as much again.
fn tied_run(prefixes: &[u128], target: u128) -> usize {
    if prefixes.first() != Some(&target) {
        return 0;
    }
    // `prefixes[hi / 2]` ties at every step (position 0 first).
    let mut hi = 1;
    while hi < prefixes.len() && prefixes[hi] == target {
        hi *= 2;
    }
    let hi = hi.min(prefixes.len());
    let lo = hi / 2;
    lo + prefixes[lo..hi].partition_point(|&p| p == target)
}

/// The first 16 bytes of `key`, zero-padded, big-endian: `a < b` as bytes implies
/// `prefix_of(a) <= prefix_of(b)`.
fn prefix_of(key: &[u8]) -> u128 {
    let mut word = [0u8; 16];
    let n = key.len().min(16);
    word[..n].copy_from_slice(&key[..n]);
    u128::from_be_bytes(word)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::block::BlockBuilder;
    use crate::format::ValueKind;

    fn handle(n: u64) -> Vec<u8> {
        let mut v = Vec::new();
        BlockHandle {
            offset: n * 100,
            size: 10,
        }
        .encode_into(&mut v);
        v
    }

    #[test]
    fn finds_the_first_block_at_or_after_the_target_in_table_order() {
        // Last entries of four blocks: ("b",5) ("d",9) ("d",3) ("f",1); table order puts
        // a key's newer versions (larger seq) first.
        let lasts: [(&[u8], u64); 4] = [(b"b", 5), (b"d", 9), (b"d", 3), (b"f", 1)];
        for interval in [1, 3] {
            let mut b = BlockBuilder::new(interval);
            for (i, (k, s)) in lasts.iter().enumerate() {
                b.add(k, *s, ValueKind::Put, &handle(i as u64));
            }
            let index = DecodedIndex::decode(Arc::new(Block::parse(b.finish()).unwrap())).unwrap();
            let at = |k: &[u8], s: u64| index.block_for(k, s).map(|h| h.offset / 100);
            assert_eq!(at(b"a", u64::MAX), Some(0));
            assert_eq!(at(b"b", 5), Some(0));
            assert_eq!(at(b"b", 4), Some(1), "older than b@5: after it");
            assert_eq!(at(b"c", u64::MAX), Some(1));
            assert_eq!(at(b"d", 9), Some(1));
            assert_eq!(at(b"d", 5), Some(2));
            assert_eq!(at(b"d", 0), Some(3));
            assert_eq!(at(b"f", 1), Some(3));
            assert_eq!(at(b"f", 0), None);
            assert_eq!(at(b"g", u64::MAX), None);
            // Positions, as iterators use them: past the end is the block count.
            assert_eq!(index.len(), 4);
            assert_eq!(index.position_for(b"d", 5), 2);
            assert_eq!(index.position_for(b"g", u64::MAX), index.len());
            assert_eq!(index.handle(index.len()).map(|h| h.offset), None);
            assert_eq!(index.last_key(), Some(&b"f"[..]));
        }
    }

    #[test]
    fn prefixes_order_as_the_keys_do_up_to_ties() {
        let keys: [&[u8]; 7] = [
            b"",
            b"\0",
            b"a",
            b"a\0",
            b"abcdefghijklmnop",
            b"abcdefghijklmnopq",
            b"abcdefghijklmnoq",
        ];
        for a in keys {
            for b in keys {
                if a < b {
                    assert!(prefix_of(a) <= prefix_of(b), "{a:?} {b:?}");
                }
            }
        }
        // Ties (equal prefixes, different keys) are resolved on the whole keys.
        let mut b = BlockBuilder::new(1);
        b.add(b"abcdefghijklmnop", 1, ValueKind::Put, &handle(0));
        b.add(b"abcdefghijklmnopq", 1, ValueKind::Put, &handle(1));
        let index = DecodedIndex::decode(Arc::new(Block::parse(b.finish()).unwrap())).unwrap();
        let at = |k: &[u8]| index.block_for(k, u64::MAX).map(|h| h.offset / 100);
        assert_eq!(at(b"abcdefghijklmnop"), Some(0));
        assert_eq!(at(b"abcdefghijklmnop\0"), Some(1));
        assert_eq!(at(b"abcdefghijklmnopq"), Some(1));
        assert_eq!(at(b"abcdefghijklmnopr"), None);
    }

    /// The sample and window search against a linear scan of the whole index, over
    /// indexes of 0 to 200 blocks (across several sample windows), with runs of keys
    /// whose first 16 bytes tie, probed at, between and around every entry.
    #[test]
    fn the_windowed_search_finds_what_a_linear_scan_does() {
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for blocks in [0usize, 1, 2, 31, 32, 33, 64, 65, 200] {
            // Sorted distinct keys: a shared 16-byte stem for long runs, short keys
            // between them.
            let mut keys: Vec<Vec<u8>> = (0..blocks)
                .map(|_| {
                    if next(3) == 0 {
                        let mut k = b"stem-sixteen-byt".to_vec();
                        k.extend_from_slice(format!("{:04}", next(10_000)).as_bytes());
                        k
                    } else {
                        format!("k{:05}", next(100_000)).into_bytes()
                    }
                })
                .collect();
            keys.sort();
            keys.dedup();
            let mut b = BlockBuilder::new(1);
            for (i, k) in keys.iter().enumerate() {
                b.add(k, 7, ValueKind::Put, &handle(i as u64));
            }
            let index = DecodedIndex::decode(Arc::new(Block::parse(b.finish()).unwrap())).unwrap();
            let linear = |k: &[u8], s: u64| {
                keys.iter()
                    .position(|e| entry_cmp(e, 7, k, s).is_ge())
                    .map(|i| i as u64)
            };
            let mut probes: Vec<Vec<u8>> = vec![Vec::new(), b"zzzz".to_vec()];
            for k in &keys {
                probes.push(k.clone());
                let mut after = k.clone();
                after.push(0);
                probes.push(after);
                let mut before = k.clone();
                before.pop();
                probes.push(before);
            }
            for k in &probes {
                for s in [0, 7, u64::MAX] {
                    let found = index.block_for(k, s).map(|h| h.offset / 100);
                    assert_eq!(found, linear(k, s), "{blocks} blocks, {k:?}@{s}");
                }
            }
        }
    }

    #[test]
    fn a_tied_run_is_counted_whatever_its_length() {
        for len in 0..70 {
            let mut prefixes = vec![5u128; len];
            prefixes.extend([6, 6, 9]);
            assert_eq!(tied_run(&prefixes, 5), len);
            assert_eq!(tied_run(&prefixes[len..], 6), 2);
        }
        assert_eq!(tied_run(&[], 5), 0);
    }

    #[test]
    fn a_value_that_is_not_a_handle_is_corruption() {
        let mut b = BlockBuilder::new(1);
        b.add(b"k", 1, ValueKind::Put, b"short");
        let block = Arc::new(Block::parse(b.finish()).unwrap());
        assert!(matches!(
            DecodedIndex::decode(block),
            Err(CorruptionKind::BadIndexValue)
        ));
    }
}
