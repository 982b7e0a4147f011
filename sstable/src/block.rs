//! Data and index blocks: prefix-compressed entries with restart points.
//!
//! Payload layout (see `docs/format/sstable.md`):
//!
//! ```text
//! entry*  restart_offset: u32 LE × n  n: u32 LE
//! entry = shared: varint32  unshared: varint32  value_len: varint32
//!         key_delta[unshared]  seq: u64 LE  kind: u8  value[value_len]
//! ```
//!
//! A key is stored as the number of bytes it shares with the previous key plus the rest.
//! Every `restart_interval` entries the sharing restarts (`shared = 0`) and the entry's
//! offset goes into the restart array, so a seek can binary-search the restarts and a
//! backward step only re-decodes from the nearest restart instead of from the block start.
//!
//! Invariant of a parsed [`Block`]: it passed [`Block::parse`], i.e. every entry decodes,
//! entries are strictly ordered by (key asc, seq desc), every restart points at an entry
//! with `shared = 0`, and the entries end exactly where the restart array begins. Cursors
//! still return typed errors instead of trusting it blindly.

use std::cmp::Ordering;
use std::ops::Range;
use std::sync::Arc;

use crate::error::CorruptionKind;
use crate::format::{get_varint32, put_varint32, read_u32, read_u64, ValueKind};

/// Longest user key a table accepts. DynamoDB keys are at most 2 KiB + 1 KiB; the engine's
/// encoding adds a little. The cap keeps a hostile `unshared` length from mattering.
pub const MAX_KEY_BYTES: usize = 64 * 1024;
/// Longest value a table accepts: a 400 KB item with generous encoding overhead fits many
/// times over, and a corrupt length cannot make the reader slice past this.
pub const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;
/// Most entries between two restarts (the `restart_interval` option's upper bound). The
/// reader enforces it too, so a backward step never re-decodes more than this many
/// entries, even in a hostile file.
pub const MAX_RESTART_INTERVAL: usize = 1024;
/// seq (8) + kind (1), stored after the key delta.
const ENTRY_FIXED_LEN: usize = 9;

/// Orders entries the way tables store them: user key ascending (bytewise), then seq
/// descending, so the newest version of a key comes first.
pub fn entry_cmp(a_key: &[u8], a_seq: u64, b_key: &[u8], b_seq: u64) -> Ordering {
    a_key.cmp(b_key).then(b_seq.cmp(&a_seq))
}

/// Accumulates entries into one block payload.
#[derive(Debug)]
pub struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    restart_interval: usize,
    since_restart: usize,
    last_key: Vec<u8>,
    last_seq: u64,
    entries: usize,
}

impl BlockBuilder {
    /// An empty builder; `restart_interval` is clamped to `1..=MAX_RESTART_INTERVAL`.
    pub fn new(restart_interval: usize) -> Self {
        BlockBuilder {
            buf: Vec::new(),
            restarts: vec![0],
            restart_interval: restart_interval.clamp(1, MAX_RESTART_INTERVAL),
            since_restart: 0,
            last_key: Vec::new(),
            last_seq: 0,
            entries: 0,
        }
    }

    /// Appends an entry. The caller guarantees it sorts strictly after the previous one
    /// and respects [`MAX_KEY_BYTES`] / [`MAX_VALUE_BYTES`] (the table writer checks both);
    /// [`Block::parse`] re-checks before the block is written.
    pub fn add(&mut self, key: &[u8], seq: u64, kind: ValueKind, value: &[u8]) {
        debug_assert!(
            self.entries == 0 || entry_cmp(&self.last_key, self.last_seq, key, seq).is_lt()
        );
        let shared = if self.since_restart >= self.restart_interval {
            self.restarts.push(self.buf.len() as u32);
            self.since_restart = 0;
            0
        } else {
            common_prefix_len(&self.last_key, key)
        };
        put_varint32(&mut self.buf, shared as u32);
        put_varint32(&mut self.buf, (key.len() - shared) as u32);
        put_varint32(&mut self.buf, value.len() as u32);
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(&seq.to_le_bytes());
        self.buf.push(kind as u8);
        self.buf.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(&key[shared..]);
        self.last_seq = seq;
        self.since_restart += 1;
        self.entries += 1;
    }

    /// Payload size if finished now.
    pub fn estimated_size_bytes(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// Entries added since the last finish.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether no entry was added since the last finish.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Key and seq of the last entry added (meaningless while empty).
    pub fn last_entry(&self) -> (&[u8], u64) {
        (&self.last_key, self.last_seq)
    }

    /// Returns the finished payload and resets the builder for the next block.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        for r in &self.restarts {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        self.restarts.clear();
        self.restarts.push(0);
        self.since_restart = 0;
        self.last_key.clear();
        self.entries = 0;
        out
    }
}

fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

/// A validated block payload (trailer already stripped and checked).
#[derive(Debug)]
pub struct Block {
    data: Vec<u8>,
    /// Where the restart array starts; entries occupy `data[..restarts_at]`.
    restarts_at: usize,
    num_restarts: usize,
    entries: usize,
}

/// An entry found by [`Block::seek_point`]; its key is in the caller's scratch buffer.
#[derive(Debug, Clone)]
pub(crate) struct PointEntry {
    pub(crate) seq: u64,
    pub(crate) kind: ValueKind,
    value: Range<usize>,
}

/// Header of one decoded entry: where its parts are.
#[derive(Debug, Clone)]
struct RawEntry {
    shared: usize,
    key_delta: Range<usize>,
    seq: u64,
    kind: ValueKind,
    value: Range<usize>,
    next: usize,
}

impl Block {
    /// Validates a payload and wraps it. Checks the restart array (present, starts at 0,
    /// strictly increasing, inside the entry region), then decodes every entry checking
    /// bounds, size limits, kind bytes, shared-prefix lengths, ordering, and that every
    /// restart lands on a fresh (`shared = 0`) entry boundary.
    ///
    /// # Errors
    /// The first violated rule, as a [`CorruptionKind`].
    pub fn parse(data: Vec<u8>) -> Result<Block, CorruptionKind> {
        let bad = |reason| CorruptionKind::BadRestartArray { reason };
        let n_at = data
            .len()
            .checked_sub(4)
            .ok_or(bad("block shorter than 4 bytes"))?;
        let num_restarts = read_u32(&data, n_at).ok_or(bad("missing count"))? as usize;
        if num_restarts == 0 {
            return Err(bad("zero restarts"));
        }
        let restarts_at = num_restarts
            .checked_mul(4)
            .and_then(|len| n_at.checked_sub(len))
            .ok_or(bad("restart array longer than the block"))?;
        let mut block = Block {
            data,
            restarts_at,
            num_restarts,
            entries: 0,
        };
        let mut prev_restart = None;
        for i in 0..num_restarts {
            let r = block.restart(i);
            if i == 0 && r != 0 {
                return Err(bad("first restart is not 0"));
            }
            if prev_restart.is_some_and(|p| r <= p) {
                return Err(bad("restarts not strictly increasing"));
            }
            if r >= restarts_at && !(r == 0 && restarts_at == 0 && num_restarts == 1) {
                return Err(bad("restart points past the entries"));
            }
            prev_restart = Some(r);
        }
        block.entries = block.validate_entries()?;
        Ok(block)
    }

    fn validate_entries(&self) -> Result<usize, CorruptionKind> {
        let mut prev_key = Vec::new();
        let mut key = Vec::new();
        let mut prev_seq = 0;
        let mut at = 0;
        let mut next_restart = 0;
        let mut entries = 0;
        let mut since_restart = 0;
        // Each iteration consumes at least ENTRY_FIXED_LEN + 3 bytes, so this ends.
        while at < self.restarts_at {
            let e = self.decode_raw(at, prev_key.len())?;
            let restart_here = next_restart < self.num_restarts && self.restart(next_restart) == at;
            if restart_here {
                if e.shared != 0 {
                    return Err(CorruptionKind::RestartNotFresh { at });
                }
                next_restart += 1;
                since_restart = 0;
            } else if next_restart < self.num_restarts && self.restart(next_restart) < at {
                return Err(CorruptionKind::BadRestartArray {
                    reason: "restart not on an entry boundary",
                });
            }
            key.clear();
            key.extend_from_slice(&prev_key[..e.shared]);
            key.extend_from_slice(&self.data[e.key_delta.clone()]);
            if entries > 0 && !entry_cmp(&prev_key, prev_seq, &key, e.seq).is_lt() {
                return Err(CorruptionKind::EntriesOutOfOrder { at });
            }
            since_restart += 1;
            if since_restart > MAX_RESTART_INTERVAL {
                return Err(CorruptionKind::BadRestartArray {
                    reason: "more entries between restarts than the maximum interval",
                });
            }
            std::mem::swap(&mut prev_key, &mut key);
            prev_seq = e.seq;
            entries += 1;
            at = e.next;
        }
        // An empty block (the index of an empty table) has the lone restart 0 and no entry.
        if entries > 0 && next_restart != self.num_restarts {
            return Err(CorruptionKind::BadRestartArray {
                reason: "restart not on an entry boundary",
            });
        }
        Ok(entries)
    }

    fn restart(&self, i: usize) -> usize {
        // In bounds by construction: i < num_restarts and the array was length-checked.
        read_u32(&self.data, self.restarts_at + 4 * i).unwrap_or(u32::MAX) as usize
    }

    /// Decodes the entry at `at` given the length of the key before it.
    fn decode_raw(&self, at: usize, prev_key_len: usize) -> Result<RawEntry, CorruptionKind> {
        let limit = &self.data[..self.restarts_at];
        let bad = CorruptionKind::BadEntry { at };
        let (shared, p) = get_varint32(limit, at).ok_or(bad.clone())?;
        let (unshared, p) = get_varint32(limit, p).ok_or(bad.clone())?;
        let (value_len, p) = get_varint32(limit, p).ok_or(bad.clone())?;
        let (shared, unshared, value_len) =
            (shared as usize, unshared as usize, value_len as usize);
        if shared > prev_key_len {
            return Err(CorruptionKind::BadSharedPrefix {
                at,
                shared,
                prev_len: prev_key_len,
            });
        }
        if shared + unshared > MAX_KEY_BYTES || value_len > MAX_VALUE_BYTES {
            return Err(CorruptionKind::EntryTooLarge { at });
        }
        let key_end = p + unshared;
        let value_start = key_end + ENTRY_FIXED_LEN;
        let next = value_start + value_len;
        if next > limit.len() {
            return Err(bad);
        }
        let seq = read_u64(limit, key_end).ok_or(bad.clone())?;
        let kind_byte = limit[key_end + 8];
        let kind = ValueKind::from_byte(kind_byte)
            .ok_or(CorruptionKind::BadValueKind { found: kind_byte })?;
        Ok(RawEntry {
            shared,
            key_delta: p..key_end,
            seq,
            kind,
            value: value_start..next,
            next,
        })
    }

    /// Point lookup: the first entry at or after `(key, seq)` in table order, or `None`
    /// if every entry sorts before it. On `Some`, `scratch` holds that entry's full key.
    ///
    /// What [`BlockCursor::seek`] does, for a lookup that needs one entry: it decodes no
    /// entry it does not compare and builds keys in the caller's reusable `scratch`
    /// instead of a cursor of its own. In a block with one entry per restart (the index)
    /// the binary search lands on the answer, so nothing is decoded after it.
    ///
    /// # Errors
    /// A [`CorruptionKind`] if an entry does not decode (cannot happen for a parsed block).
    pub(crate) fn seek_point(
        &self,
        key: &[u8],
        seq: u64,
        scratch: &mut Vec<u8>,
    ) -> Result<Option<PointEntry>, CorruptionKind> {
        // The last restart whose entry sorts before the target (as in BlockCursor::seek).
        let (mut lo, mut hi) = (0usize, self.num_restarts - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let e = self.decode_raw(self.restart(mid), 0)?;
            if entry_cmp(&self.data[e.key_delta], e.seq, key, seq).is_lt() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        scratch.clear();
        let mut at = self.restart(lo);
        // Each pass decodes one entry and moves past it: at most `entries` passes.
        for _ in 0..self.entries {
            if at >= self.restarts_at {
                break;
            }
            let e = self.decode_raw(at, scratch.len())?;
            scratch.truncate(e.shared);
            scratch.extend_from_slice(&self.data[e.key_delta]);
            if entry_cmp(scratch, e.seq, key, seq).is_ge() {
                return Ok(Some(PointEntry {
                    seq: e.seq,
                    kind: e.kind,
                    value: e.value,
                }));
            }
            at = e.next;
        }
        Ok(None)
    }

    /// The bytes of a value found by [`Block::seek_point`].
    pub(crate) fn value_bytes(&self, entry: &PointEntry) -> &[u8] {
        self.data.get(entry.value.clone()).unwrap_or(&[])
    }

    /// Gives the validated payload back (the writer validates before it writes).
    pub fn into_payload(self) -> Vec<u8> {
        self.data
    }

    /// Where the payload's memory is (tests of buffer reuse).
    #[cfg(test)]
    pub(crate) fn data_ptr(&self) -> *const u8 {
        self.data.as_ptr()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the block has no entries (only the index of an empty table).
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// Bytes this block costs in the cache: its buffer's capacity (a buffer reused for a
    /// smaller block may be larger than the payload) plus bookkeeping.
    pub fn charge_bytes(&self) -> usize {
        self.data.capacity() + std::mem::size_of::<Block>()
    }
}

/// A value that shares the memory of the data block it was read from: a scan hands it
/// out without copying it (a copy per value was 3% of YCSB E's CPU, plus its allocation
/// and free). It keeps the whole block alive while it lives, so a caller that keeps
/// values for long should copy them (`to_vec()`, through `Deref`).
///
/// `range` is the cursor's value range, which decoding bounded to the block's entries;
/// were it ever out of bounds, the value would read as empty, not panic.
#[derive(Clone)]
pub struct BlockValue {
    block: Arc<Block>,
    range: Range<usize>,
}

impl std::ops::Deref for BlockValue {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.block.data.get(self.range.clone()).unwrap_or(&[])
    }
}

impl std::fmt::Debug for BlockValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockValue")
            .field("len", &self.range.len())
            .finish_non_exhaustive()
    }
}

/// A position inside one [`Block`]: LevelDB's block iterator.
///
/// Holds the block through an `Arc`, so it can outlive a cache eviction. While valid, it
/// holds the fully decoded current key; the value is a range into the block.
#[derive(Debug)]
pub struct BlockCursor {
    block: Arc<Block>,
    /// Offset of the current entry; `restarts_at` when not valid.
    cur: usize,
    /// Offset of the entry after the current one.
    next: usize,
    /// Index of the restart at or before `cur`.
    restart_idx: usize,
    key: Vec<u8>,
    seq: u64,
    kind: ValueKind,
    value: Range<usize>,
}

impl BlockCursor {
    /// A cursor over `block`, not yet positioned (not valid).
    pub fn new(block: Arc<Block>) -> Self {
        let end = block.restarts_at;
        BlockCursor {
            block,
            cur: end,
            next: end,
            restart_idx: 0,
            key: Vec::new(),
            seq: 0,
            kind: ValueKind::Put,
            value: 0..0,
        }
    }

    /// Moves the cursor to `block`, not yet positioned, keeping its key buffer; returns
    /// the block it was on, for its buffer to be reused.
    pub(crate) fn replace_block(&mut self, block: Arc<Block>) -> Arc<Block> {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        let fresh = BlockCursor {
            key,
            ..BlockCursor::new(block)
        };
        std::mem::replace(self, fresh).block
    }

    /// Whether the cursor is on an entry.
    pub fn valid(&self) -> bool {
        self.cur < self.block.restarts_at
    }

    /// The current key (empty when not valid).
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The current seq.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The current kind.
    pub fn kind(&self) -> ValueKind {
        self.kind
    }

    /// The current value (empty when not valid).
    pub fn value(&self) -> &[u8] {
        self.block.data.get(self.value.clone()).unwrap_or(&[])
    }

    /// The current value, shared with its block instead of copied (empty when not
    /// valid).
    pub fn shared_value(&self) -> BlockValue {
        BlockValue {
            block: Arc::clone(&self.block),
            range: self.value.clone(),
        }
    }

    fn invalidate(&mut self) {
        self.cur = self.block.restarts_at;
        self.next = self.cur;
        self.key.clear();
        self.value = 0..0;
    }

    /// Decodes the entry at `at`, which must follow the entry whose key is in `self.key`
    /// (or be a restart, with `self.key` cleared).
    fn step_to(&mut self, at: usize) -> Result<(), CorruptionKind> {
        if at >= self.block.restarts_at {
            self.invalidate();
            return Ok(());
        }
        let e = match self.block.decode_raw(at, self.key.len()) {
            Ok(e) => e,
            Err(err) => {
                self.invalidate();
                return Err(err);
            }
        };
        self.key.truncate(e.shared);
        self.key.extend_from_slice(&self.block.data[e.key_delta]);
        self.seq = e.seq;
        self.kind = e.kind;
        self.value = e.value;
        self.cur = at;
        self.next = e.next;
        while self.restart_idx + 1 < self.block.num_restarts
            && self.block.restart(self.restart_idx + 1) <= at
        {
            self.restart_idx += 1;
        }
        Ok(())
    }

    fn step_to_restart(&mut self, idx: usize) -> Result<(), CorruptionKind> {
        self.key.clear();
        self.restart_idx = idx;
        self.step_to(self.block.restart(idx))
    }

    /// Moves to the first entry.
    ///
    /// # Errors
    /// A [`CorruptionKind`] if the entry does not decode (cannot happen for a parsed block).
    pub fn seek_to_first(&mut self) -> Result<(), CorruptionKind> {
        self.step_to_restart(0)
    }

    /// Moves to the last entry.
    ///
    /// # Errors
    /// As [`BlockCursor::seek_to_first`].
    pub fn seek_to_last(&mut self) -> Result<(), CorruptionKind> {
        self.step_to_restart(self.block.num_restarts - 1)?;
        while self.valid() && self.next < self.block.restarts_at {
            self.step_to(self.next)?;
        }
        Ok(())
    }

    /// Moves to the next entry (becomes invalid after the last).
    ///
    /// # Errors
    /// As [`BlockCursor::seek_to_first`].
    // A fallible positional step (LevelDB style), not `Iterator::next`: the engine merges
    // cursors and needs seek/prev on the same object.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<(), CorruptionKind> {
        if !self.valid() {
            return Ok(());
        }
        self.step_to(self.next)
    }

    /// Moves to the previous entry (becomes invalid before the first). Re-decodes forward
    /// from the nearest restart before the current entry: at most `restart_interval` steps.
    ///
    /// # Errors
    /// As [`BlockCursor::seek_to_first`].
    pub fn prev(&mut self) -> Result<(), CorruptionKind> {
        if !self.valid() {
            return Ok(());
        }
        let original = self.cur;
        if original == 0 {
            self.invalidate();
            return Ok(());
        }
        let mut r = self.restart_idx;
        while r > 0 && self.block.restart(r) >= original {
            r -= 1;
        }
        self.step_to_restart(r)?;
        while self.valid() && self.next < original {
            self.step_to(self.next)?;
        }
        Ok(())
    }

    /// Moves to the first entry that sorts at or after `(key, seq)` in table order
    /// (key asc, seq desc); invalid if there is none.
    ///
    /// # Errors
    /// As [`BlockCursor::seek_to_first`].
    pub fn seek(&mut self, key: &[u8], seq: u64) -> Result<(), CorruptionKind> {
        // Binary search for the last restart whose entry sorts before the target; the
        // answer is at or after it and before the next restart (or the next one's entry).
        let (mut lo, mut hi) = (0usize, self.block.num_restarts - 1);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            let at = self.block.restart(mid);
            let e = self.block.decode_raw(at, 0)?;
            let mid_key = &self.block.data[e.key_delta];
            if entry_cmp(mid_key, e.seq, key, seq).is_lt() {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        self.step_to_restart(lo)?;
        while self.valid() && entry_cmp(&self.key, self.seq, key, seq).is_lt() {
            self.step_to(self.next)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Entry = (Vec<u8>, u64, ValueKind, Vec<u8>);

    fn sample(n: usize) -> Vec<Entry> {
        let mut v = Vec::new();
        for i in 0..n {
            let key = format!("user{:05}", i / 3).into_bytes();
            let seq = 1000 - (i % 3) as u64;
            let kind = if i % 7 == 0 {
                ValueKind::Delete
            } else {
                ValueKind::Put
            };
            let value = if kind == ValueKind::Delete {
                vec![]
            } else {
                format!("v{i}").into_bytes()
            };
            v.push((key, seq, kind, value));
        }
        v
    }

    fn build(entries: &[Entry], interval: usize) -> Vec<u8> {
        let mut b = BlockBuilder::new(interval);
        for (k, s, t, v) in entries {
            b.add(k, *s, *t, v);
        }
        let est = b.estimated_size_bytes();
        let out = b.finish();
        assert_eq!(out.len(), est);
        out
    }

    fn collect_forward(c: &mut BlockCursor) -> Vec<Entry> {
        let mut out = Vec::new();
        c.seek_to_first().unwrap();
        while c.valid() {
            out.push((c.key().to_vec(), c.seq(), c.kind(), c.value().to_vec()));
            c.next().unwrap();
        }
        out
    }

    #[test]
    fn roundtrips_forward_and_backward_for_several_restart_intervals() {
        let entries = sample(100);
        for interval in [1, 2, 3, 16, 1000] {
            let block = Arc::new(Block::parse(build(&entries, interval)).unwrap());
            assert_eq!(block.len(), entries.len());
            let mut c = BlockCursor::new(block);
            assert_eq!(collect_forward(&mut c), entries, "interval {interval}");
            let mut back = Vec::new();
            c.seek_to_last().unwrap();
            while c.valid() {
                back.push((c.key().to_vec(), c.seq(), c.kind(), c.value().to_vec()));
                c.prev().unwrap();
            }
            back.reverse();
            assert_eq!(back, entries, "interval {interval}");
        }
    }

    #[test]
    fn prefix_compression_shrinks_shared_keys_and_restarts_store_full_keys() {
        let entries = sample(48);
        let raw_key_bytes: usize = entries.iter().map(|e| e.0.len()).sum();
        let b16 = build(&entries, 16);
        let b1 = build(&entries, 1);
        // interval 1 stores every key whole; interval 16 shares "user000" prefixes.
        assert!(
            b16.len() + raw_key_bytes / 2 < b1.len(),
            "{} vs {}",
            b16.len(),
            b1.len()
        );
        let block = Block::parse(b16).unwrap();
        assert_eq!(block.num_restarts, 3);
        for i in 0..3 {
            let e = block.decode_raw(block.restart(i), 0).unwrap();
            assert_eq!(e.shared, 0);
            assert_eq!(&block.data[e.key_delta], &entries[16 * i].0[..]);
        }
    }

    #[test]
    fn seek_finds_first_entry_at_or_after_target() {
        let entries = sample(90);
        let block = Arc::new(Block::parse(build(&entries, 4)).unwrap());
        let mut c = BlockCursor::new(block);
        let probes: Vec<(Vec<u8>, u64)> = vec![
            (b"".to_vec(), u64::MAX),
            (b"user00000".to_vec(), u64::MAX),
            (b"user00000".to_vec(), 999),
            (b"user00000".to_vec(), 0),
            (b"user00010".to_vec(), 998),
            (b"user00015x".to_vec(), 5),
            (b"user00029".to_vec(), 998),
            (b"user00029".to_vec(), 997),
            (b"zzz".to_vec(), 0),
        ];
        for (k, s) in probes {
            c.seek(&k, s).unwrap();
            let want = entries.iter().find(|e| entry_cmp(&e.0, e.1, &k, s).is_ge());
            match want {
                Some(e) => {
                    assert!(c.valid());
                    assert_eq!((c.key(), c.seq()), (&e.0[..], e.1));
                }
                None => assert!(!c.valid()),
            }
        }
    }

    #[test]
    fn restart_gaps_longer_than_the_maximum_interval_are_rejected() {
        let entries: Vec<Entry> = (0..MAX_RESTART_INTERVAL + 1)
            .map(|i| (format!("k{i:06}").into_bytes(), 1, ValueKind::Put, vec![]))
            .collect();
        Block::parse(build(&entries[..MAX_RESTART_INTERVAL], usize::MAX)).unwrap();
        // The builder clamps its interval, so forge the over-long gap: one restart only.
        let b = build(&entries, MAX_RESTART_INTERVAL);
        let n = b.len();
        let mut forged = b[..n - 12].to_vec(); // drop restarts [0, x] and the count
        forged.extend_from_slice(&0u32.to_le_bytes());
        forged.extend_from_slice(&1u32.to_le_bytes());
        assert!(matches!(
            Block::parse(forged),
            Err(CorruptionKind::BadRestartArray { .. })
        ));
    }

    #[test]
    fn empty_block_parses_and_cursor_is_never_valid() {
        let mut b = BlockBuilder::new(16);
        let block = Arc::new(Block::parse(b.finish()).unwrap());
        assert!(block.is_empty());
        let mut c = BlockCursor::new(block);
        c.seek_to_first().unwrap();
        assert!(!c.valid());
        c.seek_to_last().unwrap();
        assert!(!c.valid());
        c.seek(b"a", 0).unwrap();
        assert!(!c.valid());
    }

    #[test]
    fn parse_rejects_broken_restart_arrays_and_entries() {
        let entries = sample(20);
        let good = build(&entries, 4);
        let n = good.len();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("too short", vec![1, 0]),
            ("zero restarts", vec![0, 0, 0, 0]),
            ("count too big", {
                let mut b = good.clone();
                b[n - 4..].copy_from_slice(&1000u32.to_le_bytes());
                b
            }),
            ("first restart not zero", {
                let mut b = good.clone();
                let at = n - 4 - 4 * 5;
                b[at..at + 4].copy_from_slice(&1u32.to_le_bytes());
                b
            }),
            ("restart mid-entry", {
                let mut b = good.clone();
                let at = n - 4 - 4 * 4;
                let r = read_u32(&b, at).unwrap() + 1;
                b[at..at + 4].copy_from_slice(&r.to_le_bytes());
                b
            }),
            ("bad kind", {
                let mut b = good.clone();
                // first entry: 3 one-byte varints, 9-byte key, then seq, then kind.
                b[3 + 9 + 8] = 9;
                b
            }),
            ("shared too long", {
                let mut b = good.clone();
                let e = Block::parse(good.clone())
                    .unwrap()
                    .decode_raw(0, 0)
                    .unwrap();
                b[e.next] = 100;
                b
            }),
            ("out of order", {
                // Entries 0 and 1 are "user00000" seq 1000 and 999; raising entry 1's seq
                // to 1001 puts it before entry 0 in (key asc, seq desc) order.
                let mut b = good.clone();
                let e0 = Block::parse(good.clone())
                    .unwrap()
                    .decode_raw(0, 0)
                    .unwrap();
                let seq_at = e0.next + 3; // shares all 9 key bytes: 3 varints, no delta
                b[seq_at..seq_at + 8].copy_from_slice(&1001u64.to_le_bytes());
                b
            }),
        ];
        for (name, bytes) in cases {
            assert!(Block::parse(bytes).is_err(), "{name}");
        }
        Block::parse(good).unwrap();
    }

    #[test]
    fn every_truncation_of_a_block_is_rejected() {
        let good = build(&sample(30), 4);
        for cut in 0..good.len() {
            assert!(Block::parse(good[..cut].to_vec()).is_err(), "cut at {cut}");
        }
    }
}
