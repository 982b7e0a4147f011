//! Iteration over a whole table: a position in the table's decoded index drives a cursor
//! over the current data block (LevelDB's two-level iterator).
//!
//! Order is table order: key ascending, then seq descending, every version and every
//! tombstone. Positions:
//! - `seek(t)`: the first entry with key >= `t` (its newest version).
//! - `seek_for_prev(t)`: the last entry with key <= `t`. When `t` itself is present that
//!   is its *oldest* version (smallest seq), because older versions sort later; a reverse
//!   scan then meets each key's versions oldest first and must keep the last one it sees
//!   per key (or use [`crate::Table::get`]).
//!
//! After any error the iterator is invalid; it never yields data it has not validated.

use std::sync::Arc;

use crate::block::{entry_cmp, BlockCursor, BlockValue};
use crate::block_buffers;
use crate::error::{CorruptionKind, Error};
use crate::format::ValueKind;
use crate::readahead::Readahead;
use crate::table::Table;

/// Where to land in a freshly loaded data block.
#[derive(Clone, Copy)]
enum Land<'a> {
    First,
    Last,
    AtOrAfter(&'a [u8], u64),
}

/// The iterator state without the table handle (which [`TableIter`] owns).
///
/// The first level is a position in the table's decoded index (its arrays, searched as a
/// point lookup searches them), not a cursor over the index block: a scan's seek in
/// every table of every level was a binary search decoding index entries, 8% of YCSB
/// E's CPU.
#[derive(Debug, Default)]
pub(crate) struct TwoLevel {
    /// The position in the index of the block under `data` (meaningful while `data` is
    /// `Some`).
    block_at: usize,
    data: Option<BlockCursor>,
    /// File offset of the block under `data`, for error reports.
    data_offset: u64,
    /// Read-ahead for blocks reached by stepping forward (see [`crate::readahead`]).
    readahead: Readahead,
    /// Blocks that miss the cache are read without being inserted into it (see
    /// [`TableIter::set_fill_cache`]).
    no_cache_fill: bool,
}

impl TwoLevel {
    pub(crate) fn current(&self) -> Option<&BlockCursor> {
        self.data.as_ref().filter(|d| d.valid())
    }

    /// Runs `f`, and on error leaves the iterator invalid.
    fn guarded(
        &mut self,
        table: &Table,
        f: impl FnOnce(&mut Self, &Table) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let r = f(self, table);
        if r.is_err() {
            self.data = None;
        }
        r
    }

    /// Loads the data block at index position `at` and positions in it per `land`; past
    /// either end of the index the iterator becomes invalid. Loads that move forward (a
    /// seek, or a step to the next block) go through the read-ahead; the seeks reset its
    /// count first. Backward loads never read ahead.
    fn load(&mut self, table: &Table, at: Option<usize>, land: Land<'_>) -> Result<(), Error> {
        let readahead = match land {
            Land::First | Land::AtOrAfter(..) => Some(&mut self.readahead),
            Land::Last => None,
        };
        let found = match at {
            Some(at) => table
                .data_block(at, readahead, !self.no_cache_fill)?
                .map(|found| (at, found)),
            None => None,
        };
        let Some((at, (offset, block))) = found else {
            self.data = None;
            return Ok(());
        };
        let mut cursor = match self.data.take() {
            // The block left behind goes back to the thread's buffer pool when nothing
            // else holds it (a block read past the cache), for the next block's read.
            Some(mut cursor) => {
                block_buffers::recycle(cursor.replace_block(block));
                cursor
            }
            None => BlockCursor::new(block),
        };
        let positioned = match land {
            Land::First => cursor.seek_to_first(),
            Land::Last => cursor.seek_to_last(),
            Land::AtOrAfter(key, seq) => cursor.seek(key, seq),
        };
        positioned.map_err(|kind| table.corruption(offset, kind))?;
        if !cursor.valid() {
            // The index key is the block's last entry, so the target must be inside.
            return Err(table.corruption(
                offset,
                CorruptionKind::Inconsistent {
                    reason: "index key sorts after its data block",
                },
            ));
        }
        self.data = Some(cursor);
        self.block_at = at;
        self.data_offset = offset;
        Ok(())
    }

    pub(crate) fn seek_to_first(&mut self, table: &Table) -> Result<(), Error> {
        self.guarded(table, |s, t| {
            s.readahead.reset();
            s.load(t, Some(0), Land::First)
        })
    }

    pub(crate) fn seek_to_last(&mut self, table: &Table) -> Result<(), Error> {
        self.guarded(table, |s, t| {
            s.load(t, t.block_count().checked_sub(1), Land::Last)
        })
    }

    /// First entry at or after `(key, seq)` in table order.
    pub(crate) fn seek(&mut self, table: &Table, key: &[u8], seq: u64) -> Result<(), Error> {
        self.guarded(table, |s, t| {
            s.readahead.reset();
            s.load(
                t,
                Some(t.block_position(key, seq)),
                Land::AtOrAfter(key, seq),
            )
        })
    }

    pub(crate) fn seek_for_prev(&mut self, table: &Table, target: &[u8]) -> Result<(), Error> {
        // (target, 0) is the last possible position of `target`; the entry at or after it
        // is either target's seq-0 version (the answer) or the first larger key.
        self.seek(table, target, 0)?;
        match self.current() {
            Some(c) if entry_cmp(c.key(), c.seq(), target, 0).is_le() => Ok(()),
            Some(_) => self.prev(table),
            None => self.seek_to_last(table),
        }
    }

    pub(crate) fn next(&mut self, table: &Table) -> Result<(), Error> {
        self.guarded(table, |s, t| {
            let offset = s.data_offset;
            let Some(data) = s.data.as_mut().filter(|d| d.valid()) else {
                return Ok(());
            };
            data.next().map_err(|k| t.corruption(offset, k))?;
            if data.valid() {
                return Ok(());
            }
            s.load(t, s.block_at.checked_add(1), Land::First)
        })
    }

    pub(crate) fn prev(&mut self, table: &Table) -> Result<(), Error> {
        self.guarded(table, |s, t| {
            let offset = s.data_offset;
            let Some(data) = s.data.as_mut().filter(|d| d.valid()) else {
                return Ok(());
            };
            data.prev().map_err(|k| t.corruption(offset, k))?;
            if data.valid() {
                return Ok(());
            }
            s.load(t, s.block_at.checked_sub(1), Land::Last)
        })
    }
}

/// A LevelDB-style positional iterator over all entries of one table (every version,
/// tombstones included), in (key asc, seq desc) order. See the module docs for the exact
/// meaning of each seek.
///
/// It owns an `Arc<Table>` and is `Send`. Accessors are meaningful only while
/// [`TableIter::valid`]; otherwise they return an empty slice, seq 0 and `Put`.
#[derive(Debug)]
pub struct TableIter {
    table: Arc<Table>,
    state: TwoLevel,
}

impl TableIter {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        TableIter {
            table,
            state: TwoLevel::default(),
        }
    }

    /// Moves to the first entry (invalid for an empty table).
    ///
    /// # Errors
    /// [`Error::Io`] if a block read fails; [`Error::ChecksumMismatch`] or
    /// [`Error::Corruption`] if a block is damaged. The iterator is then invalid.
    pub fn seek_to_first(&mut self) -> Result<(), Error> {
        self.state.seek_to_first(&self.table)
    }

    /// Moves to the last entry: the oldest version of the largest key.
    ///
    /// # Errors
    /// As [`TableIter::seek_to_first`].
    pub fn seek_to_last(&mut self) -> Result<(), Error> {
        self.state.seek_to_last(&self.table)
    }

    /// Moves to the first entry with `(key, seq) >= (target, u64::MAX)` in table order,
    /// i.e. the newest version of the first key >= `target`; invalid if there is none.
    ///
    /// # Errors
    /// As [`TableIter::seek_to_first`].
    pub fn seek(&mut self, target: &[u8]) -> Result<(), Error> {
        self.state.seek(&self.table, target, u64::MAX)
    }

    /// Moves to the first entry with `(key, seq) >= (target, seq)` in table order: the
    /// newest version of `target` with seq <= `seq`, or the next key's newest version.
    ///
    /// # Errors
    /// As [`TableIter::seek_to_first`].
    pub fn seek_at_seq(&mut self, target: &[u8], seq: u64) -> Result<(), Error> {
        self.state.seek(&self.table, target, seq)
    }

    /// Moves to the last entry with key <= `target` in table order: when `target` is
    /// present, its *oldest* version (smallest seq); otherwise the oldest version of the
    /// largest key below `target`. Invalid if every key is > `target`.
    ///
    /// # Errors
    /// As [`TableIter::seek_to_first`].
    pub fn seek_for_prev(&mut self, target: &[u8]) -> Result<(), Error> {
        self.state.seek_for_prev(&self.table, target)
    }

    /// Moves to the next entry; invalid after the last. A no-op while invalid.
    ///
    /// # Errors
    /// As [`TableIter::seek_to_first`].
    // A fallible positional step (LevelDB style), not `Iterator::next`: the engine merges
    // cursors and needs seek/prev on the same object.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<(), Error> {
        self.state.next(&self.table)
    }

    /// Moves to the previous entry; invalid before the first. A no-op while invalid.
    ///
    /// # Errors
    /// As [`TableIter::seek_to_first`].
    pub fn prev(&mut self) -> Result<(), Error> {
        self.state.prev(&self.table)
    }

    /// Whether the iterator is on an entry.
    pub fn valid(&self) -> bool {
        self.state.current().is_some()
    }

    /// The current user key.
    pub fn key(&self) -> &[u8] {
        self.state.current().map_or(&[], |c| c.key())
    }

    /// The current seq.
    pub fn seq(&self) -> u64 {
        self.state.current().map_or(0, |c| c.seq())
    }

    /// The current kind.
    pub fn kind(&self) -> ValueKind {
        self.state.current().map_or(ValueKind::Put, |c| c.kind())
    }

    /// The current value (empty for tombstones).
    pub fn value(&self) -> &[u8] {
        self.state.current().map_or(&[], |c| c.value())
    }

    /// The current value, shared with its block instead of copied (`None` when not
    /// valid; empty for tombstones).
    pub fn shared_value(&self) -> Option<BlockValue> {
        self.state.current().map(BlockCursor::shared_value)
    }

    /// Sets the largest read-ahead window (default
    /// [`crate::DEFAULT_READAHEAD_MAX_BYTES`]; 0 reads every block alone). After two
    /// blocks that missed the cache since the last seek, an iterator stepping forward
    /// reads the next blocks in windows that start at 16 KiB and double up to this.
    pub fn set_readahead_max_bytes(&mut self, max_bytes: u64) {
        self.state.readahead = Readahead::new(max_bytes);
    }

    /// Whether blocks this iterator reads that miss the block cache are inserted into it
    /// (the default) or only used and dropped: RocksDB's `ReadOptions::fill_cache`, which
    /// its compactions turn off. A compaction reads each input block once, so caching
    /// them evicts the blocks readers come back to, and costs the compaction an insert
    /// and an eviction per block. Blocks already cached are still used.
    pub fn set_fill_cache(&mut self, fill: bool) {
        self.state.no_cache_fill = !fill;
    }

    /// The table being iterated.
    pub fn table(&self) -> &Arc<Table> {
        &self.table
    }
}

impl Table {
    /// A positional iterator over every entry (all versions, tombstones included). It
    /// owns an `Arc` of the table, so it can move to another thread.
    pub fn iter(self: &Arc<Self>) -> TableIter {
        TableIter::new(self.clone())
    }
}
