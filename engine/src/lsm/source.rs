//! [`EntrySource`]: a sorted stream of entries, what the merges in [`super::merge`] consume;
//! and the sources that need nothing from the table layer: a memtable read in chunks and
//! a fixed list. A table's source is `sstable_file::TableSource`, a level's is
//! `merge::LevelSource`; both depend on this file, never the other way round.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use crate::backend::Direction;
use crate::lsm::entry::Entry;
use crate::lsm::memtable::Memtable;
use crate::StorageError;

/// Entries a memtable source copies out in its first refill: a short scan (the common
/// case: a page of a Query, a YCSB scan) copies little more than it returns.
const MEMTABLE_FIRST_CHUNK_ENTRIES: usize = 8;
/// The most a refill copies (chunks double up to this): keeps a scan's memory bounded
/// while amortising the skip-list search on long scans.
const MEMTABLE_CHUNK_ENTRIES: usize = 128;

/// A sorted stream of entries in one direction.
pub(crate) trait EntrySource: Send {
    /// The next entry, or `None` at the end.
    ///
    /// # Errors
    /// I/O failure or corruption in the underlying table.
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError>;

    /// As [`EntrySource::next_entry`], but the source may leave the entry's value behind
    /// (the entry's `value` is then empty) until [`EntrySource::take_value`] asks for it:
    /// a read merge orders entries by key, and most entries it pulls are never returned
    /// (a version another hides, or the sources' heads when a scan stops), so a table
    /// need not copy their values out of its blocks. The default brings the value along.
    ///
    /// # Errors
    /// As [`EntrySource::next_entry`].
    fn next_key(&mut self) -> Result<Option<Entry>, StorageError> {
        self.next_entry()
    }

    /// The value of the entry the last [`EntrySource::next_key`] returned, if that call
    /// left it behind; `None` if the entry carried its value. Valid only until the next
    /// call to `next_key` or `next_entry`.
    ///
    /// # Errors
    /// I/O failure or corruption.
    fn take_value(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(None)
    }
}

/// A memtable read in chunks (see [`Memtable::chunk`]).
pub(crate) struct MemtableSource {
    mem: Arc<Memtable>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    buffer: VecDeque<Entry>,
    after: Option<(Vec<u8>, u64)>,
    exhausted: bool,
    /// Entries the next refill copies.
    chunk_entries: usize,
}

impl MemtableSource {
    /// A source over `mem` restricted (approximately; the merger re-checks) to the range.
    pub(crate) fn new(
        mem: Arc<Memtable>,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Self {
        MemtableSource {
            mem,
            start,
            end,
            direction,
            buffer: VecDeque::new(),
            after: None,
            exhausted: false,
            chunk_entries: MEMTABLE_FIRST_CHUNK_ENTRIES,
        }
    }
}

impl EntrySource for MemtableSource {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        if self.buffer.is_empty() && !self.exhausted {
            let chunk = self.mem.chunk(
                &self.start,
                &self.end,
                self.after.as_ref(),
                self.direction,
                self.chunk_entries,
            );
            self.chunk_entries = (self.chunk_entries * 2).min(MEMTABLE_CHUNK_ENTRIES);
            match chunk.last() {
                Some(last) => self.after = Some((last.key.clone(), last.seq)),
                None => self.exhausted = true,
            }
            self.buffer.extend(chunk);
        }
        Ok(self.buffer.pop_front())
    }
}

/// A fixed list of entries, already in direction order (the merges' unit tests).
#[cfg(test)]
pub(crate) struct VecSource(VecDeque<Entry>);

#[cfg(test)]
impl VecSource {
    /// A source yielding `entries` in the given order.
    pub(crate) fn new(entries: Vec<Entry>) -> Self {
        VecSource(entries.into())
    }
}

#[cfg(test)]
impl EntrySource for VecSource {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        Ok(self.0.pop_front())
    }
}
