//! [`EntrySource`]: a sorted stream of entries, what the merges in [`super::merge`] consume;
//! and the sources that need nothing from the table layer: a memtable read in chunks and
//! a fixed list. A table's source is `sstable_file::TableSource`, a level's is
//! `merge::LevelSource`; both depend on this file, never the other way round.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use crate::backend::Direction;
use crate::lsm::entry::Entry;
use crate::lsm::memtable::{ChunkEntry, Memtable};
use crate::value::Value;
use crate::StorageError;

/// Entries a memtable source takes in its first refill (their keys copied, their values
/// shared): a short scan (the common case: a page of a Query, a YCSB scan) takes little
/// more than it returns.
const MEMTABLE_FIRST_CHUNK_ENTRIES: usize = 8;
/// The most a refill takes (chunks double up to this): keeps a scan's memory bounded
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
    /// call to `next_key` or `next_entry`. The value shares its memory with the source's
    /// (a table's block, the memtable's entry) where it can.
    ///
    /// # Errors
    /// I/O failure or corruption.
    fn take_value(&mut self) -> Result<Option<Value>, StorageError> {
        Ok(None)
    }
}

/// A memtable read in chunks (see [`Memtable::chunk`]). A chunk shares its values with
/// the memtable, so [`EntrySource::next_key`] copies out only the key, and the value the
/// merge takes still shares the memtable's bytes.
pub(crate) struct MemtableSource {
    mem: Arc<Memtable>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    buffer: VecDeque<ChunkEntry>,
    /// The value of the entry the last `next_key` returned, until `take_value`.
    held: Option<Arc<[u8]>>,
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
            held: None,
            after: None,
            exhausted: false,
            chunk_entries: MEMTABLE_FIRST_CHUNK_ENTRIES,
        }
    }
}

impl MemtableSource {
    /// The next entry of the current chunk, reading the next chunk first if it is used up.
    fn next_in_chunk(&mut self) -> Option<ChunkEntry> {
        self.held = None;
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
        self.buffer.pop_front()
    }
}

impl EntrySource for MemtableSource {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        Ok(self.next_in_chunk().map(ChunkEntry::into_entry))
    }

    fn next_key(&mut self) -> Result<Option<Entry>, StorageError> {
        let Some(mut chunk_entry) = self.next_in_chunk() else {
            return Ok(None);
        };
        let kind = chunk_entry.kind();
        self.held = chunk_entry.value.take();
        Ok(Some(Entry {
            kind,
            key: chunk_entry.key,
            seq: chunk_entry.seq,
            value: Vec::new(),
        }))
    }

    fn take_value(&mut self) -> Result<Option<Value>, StorageError> {
        Ok(self.held.take().map(Value::from))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::entry::EntryKind;

    fn memtable_source(mem: Memtable) -> MemtableSource {
        MemtableSource::new(
            Arc::new(mem),
            Bound::Unbounded,
            Bound::Unbounded,
            Direction::Forward,
        )
    }

    #[test]
    fn a_memtable_source_shares_a_value_only_when_the_merge_takes_it() {
        let mem = Memtable::new();
        mem.insert(b"a", 1, EntryKind::Put, b"old");
        mem.insert(b"a", 2, EntryKind::Put, b"new");
        mem.insert(b"b", 3, EntryKind::Delete, b"");
        mem.insert(b"c", 4, EntryKind::Put, b"cee");
        let mut source = memtable_source(mem);

        let newest_a = source.next_key().unwrap().unwrap();
        assert_eq!((&newest_a.key[..], newest_a.seq), (&b"a"[..], 2));
        assert_eq!(newest_a.kind, EntryKind::Put);
        assert!(newest_a.value.is_empty(), "the value stays in the memtable");
        let value = source.take_value().unwrap().expect("a put's value");
        assert_eq!(value, b"new");
        assert!(value.is_shared(), "the value shares the memtable's bytes");
        assert_eq!(source.take_value().unwrap(), None, "a value is taken once");

        // An entry stepped past without taking its value: the next key's value is its own.
        let older_a = source.next_key().unwrap().unwrap();
        assert_eq!(older_a.seq, 1);
        let b = source.next_key().unwrap().unwrap();
        assert_eq!((b.kind, b.seq), (EntryKind::Delete, 3));
        assert_eq!(
            source.take_value().unwrap(),
            None,
            "a tombstone has no value"
        );

        let c = source.next_entry().unwrap().unwrap();
        assert_eq!((&c.key[..], &c.value[..]), (&b"c"[..], &b"cee"[..]));
        assert!(source.next_key().unwrap().is_none());
    }
}
