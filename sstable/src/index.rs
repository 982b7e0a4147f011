//! The decoded index of an open table: per data block, its last entry's key and seq and
//! its handle, in plain arrays.
//!
//! Why: a point lookup binary-searches the index. Searching the index *block* decodes an
//! entry (three varints, bounds and kind checks) at every probe, and that was the largest
//! share of a read's CPU time; searching these arrays compares slices only. The arrays are
//! built once, when the table is opened, from the validated index block (so every key,
//! seq and handle here has passed the block's checks). The index block itself stays, for
//! the iterators.
//!
//! Memory: the keys (stored once, back to back) plus 64 bytes per data block, pinned for
//! as long as the table is open, like the index block and the bloom filter.

use std::cmp::Ordering;

use crate::block::{entry_cmp, Block, BlockCursor};
use crate::error::CorruptionKind;
use crate::format::BlockHandle;

/// One data block as the index describes it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The key's first 16 bytes, zero-padded, as a big-endian number: comparing two of
    /// these orders keys as bytes do, except that a tie needs the whole keys. Most probes
    /// of a search end here, without touching `keys` (a second cache miss) or memcmp.
    prefix: u128,
    /// This entry's key: `DecodedIndex::keys[key_start..key_end]`.
    key_start: usize,
    key_end: usize,
    seq: u64,
    handle: BlockHandle,
}

/// The index, decoded. Entries are in table order (as the index block), so the first one
/// at or after a target names the only block that can hold it.
#[derive(Debug, Default)]
pub(crate) struct DecodedIndex {
    keys: Vec<u8>,
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
            entries: Vec::with_capacity(index.len()),
        };
        let mut cursor = BlockCursor::new(index);
        cursor.seek_to_first()?;
        while cursor.valid() {
            let handle =
                BlockHandle::decode(cursor.value()).ok_or(CorruptionKind::BadIndexValue)?;
            let key_start = out.keys.len();
            out.keys.extend_from_slice(cursor.key());
            out.entries.push(Entry {
                prefix: prefix_of(cursor.key()),
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
        let target = prefix_of(key);
        let at = self
            .entries
            .partition_point(|e| match e.prefix.cmp(&target) {
                Ordering::Equal => {
                    entry_cmp(&self.keys[e.key_start..e.key_end], e.seq, key, seq).is_lt()
                }
                other => other.is_lt(),
            });
        self.entries.get(at).map(|e| e.handle)
    }
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
