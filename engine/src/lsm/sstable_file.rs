//! One live SSTable as the engine holds it: its manifest metadata, the open
//! [`shale_sstable::Table`], and the rule for deleting it.
//!
//! Versions share tables through `Arc<SstableFile>`. When a compaction removes a table from
//! the tree it is marked obsolete; the file is deleted when the last version (and so the
//! last iterator or reader) holding it drops. A crash before that leaves an orphan, which
//! the next open deletes (it is not in the manifest).

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use shale_io::{FileSystem, OpenMode};
use shale_sstable::{
    BlockCache, Table, TableIter, TableOptions, TableStats, TableWriter, ValueKind,
};

use crate::backend::Direction;
use crate::lsm::entry::{Entry, EntryKind};
use crate::lsm::manifest::FileMeta;
use crate::lsm::source::EntrySource;
use crate::value::Value;
use crate::StorageError;

/// File name of table `number`.
pub(crate) fn sstable_name(number: u64) -> String {
    format!("{number:06}.sst")
}

/// The table number of a file name like `000042.sst`.
pub fn parse_sstable_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".sst")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

fn kind_of(k: ValueKind) -> EntryKind {
    match k {
        ValueKind::Delete => EntryKind::Delete,
        _ => EntryKind::Put,
    }
}

fn value_kind(k: EntryKind) -> ValueKind {
    match k {
        EntryKind::Put => ValueKind::Put,
        EntryKind::Delete => ValueKind::Delete,
    }
}

/// A live table. Dropping the last reference to an obsolete one deletes its file.
#[derive(Debug)]
pub struct SstableFile {
    /// What the manifest records.
    pub meta: FileMeta,
    /// The open table.
    pub table: Arc<Table>,
    path: PathBuf,
    fs: Arc<dyn FileSystem>,
    obsolete: AtomicBool,
    /// What each source over the table is given as its read-ahead maximum.
    readahead_max_bytes: u64,
}

/// How the engine reads its tables: through which block cache, and how far an iterator
/// stepping through one reads ahead (see [`DbOptions::readahead_max_bytes`]).
///
/// [`DbOptions::readahead_max_bytes`]: crate::lsm::DbOptions::readahead_max_bytes
#[derive(Debug, Clone)]
pub(crate) struct TableReads {
    /// `None`: every read decodes its block.
    pub(crate) cache: Option<Arc<BlockCache>>,
    /// The largest read-ahead window; 0 reads every block alone.
    pub(crate) readahead_max_bytes: u64,
    /// Whether reads of a mapped table use the cache
    /// ([`DbOptions::cache_mapped_reads`]).
    ///
    /// [`DbOptions::cache_mapped_reads`]: crate::lsm::DbOptions::cache_mapped_reads
    pub(crate) cache_mapped_reads: bool,
}

impl SstableFile {
    /// Opens table `meta.number` in `dir`, read through `cache` with the default
    /// read-ahead.
    ///
    /// # Errors
    /// I/O failure or a damaged table.
    pub fn open(
        fs: &Arc<dyn FileSystem>,
        dir: &Path,
        meta: FileMeta,
        cache: Option<Arc<BlockCache>>,
    ) -> Result<Arc<Self>, StorageError> {
        let reads = TableReads {
            cache,
            readahead_max_bytes: shale_sstable::DEFAULT_READAHEAD_MAX_BYTES,
            cache_mapped_reads: false,
        };
        Self::open_with(fs, dir, meta, &reads)
    }

    /// As [`SstableFile::open`], read as `reads` says.
    ///
    /// # Errors
    /// As [`SstableFile::open`].
    pub(crate) fn open_with(
        fs: &Arc<dyn FileSystem>,
        dir: &Path,
        meta: FileMeta,
        reads: &TableReads,
    ) -> Result<Arc<Self>, StorageError> {
        let path = dir.join(sstable_name(meta.number));
        let file = fs
            .open(&path, OpenMode::Read)
            .map_err(|source| StorageError::Io {
                op: "open table",
                path: path.clone(),
                source,
            })?;
        let table = Arc::new(
            Table::open(file, path.clone(), meta.number, reads.cache.clone())?
                .cache_mapped_reads(reads.cache_mapped_reads),
        );
        let m = table.meta();
        if m.file_size_bytes != meta.size_bytes
            || (m.entries > 0 && (m.smallest_key != meta.smallest || m.largest_key != meta.largest))
        {
            return Err(StorageError::Corruption {
                file: path,
                offset: 0,
                reason: "table properties disagree with the manifest",
            });
        }
        Ok(Arc::new(SstableFile {
            meta,
            table,
            path,
            fs: fs.clone(),
            obsolete: AtomicBool::new(false),
            readahead_max_bytes: reads.readahead_max_bytes,
        }))
    }

    /// Marks the table for deletion once unreferenced.
    pub(crate) fn mark_obsolete(&self) {
        self.obsolete.store(true, Ordering::Release);
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Read counters (bloom effectiveness, block reads).
    pub(crate) fn stats(&self) -> TableStats {
        self.table.stats()
    }

    /// Newest entry for `key` with `seq <= read_seq`, if the table has one.
    ///
    /// # Errors
    /// I/O failure or corruption.
    pub(crate) fn get(&self, key: &[u8], read_seq: u64) -> Result<Option<Entry>, StorageError> {
        Ok(self
            .table
            .get(key, read_seq)?
            .map(|(seq, kind, value)| Entry {
                key: key.to_vec(),
                seq,
                kind: kind_of(kind),
                value,
            }))
    }

    /// A source over the table for a scan of `[start, end]` in `direction`.
    pub(crate) fn source(
        self: &Arc<Self>,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        direction: Direction,
    ) -> TableSource {
        self.source_filling_cache(start, end, direction, true)
    }

    /// A source over the whole table for a compaction: forward, and its blocks are not
    /// inserted into the block cache (each is read once; caching them would evict the
    /// blocks readers come back to, as RocksDB's compactions avoid with `fill_cache`).
    pub(crate) fn compaction_source(self: &Arc<Self>) -> TableSource {
        self.source_filling_cache(
            &Bound::Unbounded,
            &Bound::Unbounded,
            Direction::Forward,
            false,
        )
    }

    fn source_filling_cache(
        self: &Arc<Self>,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        direction: Direction,
        fill_cache: bool,
    ) -> TableSource {
        let near = match direction {
            Direction::Forward => start.clone(),
            Direction::Reverse => end.clone(),
        };
        let mut iter = self.table.iter();
        iter.set_readahead_max_bytes(self.readahead_max_bytes);
        iter.set_fill_cache(fill_cache);
        TableSource {
            iter,
            _file: self.clone(),
            near,
            direction,
            positioned: false,
            step_first: false,
            value_left: false,
        }
    }
}

impl Drop for SstableFile {
    fn drop(&mut self) {
        if self.obsolete.load(Ordering::Acquire) {
            // Best effort: if this fails the file is an orphan, removed at the next open.
            let _ = self.fs.remove_file(&self.path);
        }
    }
}

/// A table read in one direction, positioned lazily at the scan's near bound.
///
/// The iterator stays on the entry last returned until the next one is asked for (it
/// steps then, not before): a scan that stops reads no block past the entries it used,
/// and [`EntrySource::take_value`] can still share the last entry's value with its block.
pub(crate) struct TableSource {
    iter: TableIter,
    /// Keeps the file from being deleted while we read it.
    _file: Arc<SstableFile>,
    near: Bound<Vec<u8>>,
    direction: Direction,
    positioned: bool,
    /// Whether the iterator still stands on the entry last returned.
    step_first: bool,
    /// Whether the last entry returned left its value in the block (`next_key`).
    value_left: bool,
}

impl TableSource {
    /// Positions the iterator on the next entry: at the near bound the first time, one
    /// step on after that.
    fn position_next(&mut self) -> Result<(), StorageError> {
        self.value_left = false;
        if self.step_first {
            self.step_first = false;
            match self.direction {
                Direction::Forward => self.iter.next()?,
                Direction::Reverse => self.iter.prev()?,
            }
            return Ok(());
        }
        if !self.positioned {
            self.positioned = true;
            match (&self.near, self.direction) {
                (Bound::Unbounded, Direction::Forward) => self.iter.seek_to_first()?,
                (Bound::Unbounded, Direction::Reverse) => self.iter.seek_to_last()?,
                (Bound::Included(k) | Bound::Excluded(k), Direction::Forward) => {
                    self.iter.seek(k)?
                }
                (Bound::Included(k) | Bound::Excluded(k), Direction::Reverse) => {
                    self.iter.seek_for_prev(k)?;
                }
            }
        }
        Ok(())
    }

    /// The entry the iterator stands on, its value copied if `with_value`; `None` at the
    /// end of the table.
    fn current(&mut self, with_value: bool) -> Option<Entry> {
        if !self.iter.valid() {
            return None;
        }
        self.step_first = true;
        self.value_left = !with_value;
        Some(Entry {
            key: self.iter.key().to_vec(),
            seq: self.iter.seq(),
            kind: kind_of(self.iter.kind()),
            value: if with_value {
                self.iter.value().to_vec()
            } else {
                Vec::new()
            },
        })
    }
}

impl EntrySource for TableSource {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        self.position_next()?;
        Ok(self.current(true))
    }

    fn next_key(&mut self) -> Result<Option<Entry>, StorageError> {
        self.position_next()?;
        Ok(self.current(false))
    }

    fn take_value(&mut self) -> Result<Option<Value>, StorageError> {
        if !self.value_left {
            return Ok(None);
        }
        Ok(self.iter.shared_value().map(Value::from))
    }
}

/// Writes one table from entries in internal-key order; returns its metadata.
pub(crate) struct TableBuilder {
    writer: TableWriter,
    number: u64,
    path: PathBuf,
    fs: Arc<dyn FileSystem>,
}

impl TableBuilder {
    /// Creates `<dir>/<number>.sst`.
    ///
    /// # Errors
    /// I/O failure creating the file.
    pub(crate) fn create(
        fs: &Arc<dyn FileSystem>,
        dir: &Path,
        number: u64,
        opts: TableOptions,
    ) -> Result<Self, StorageError> {
        let path = dir.join(sstable_name(number));
        let file = fs
            .open(&path, OpenMode::CreateTruncate)
            .map_err(|source| StorageError::Io {
                op: "create table",
                path: path.clone(),
                source,
            })?;
        Ok(TableBuilder {
            writer: TableWriter::new(file, path.clone(), opts),
            number,
            path,
            fs: fs.clone(),
        })
    }

    /// Adds one entry.
    ///
    /// # Errors
    /// Out-of-order input or I/O failure.
    pub(crate) fn add(&mut self, e: &Entry) -> Result<(), StorageError> {
        self.writer
            .add(&e.key, e.seq, value_kind(e.kind), &e.value)?;
        Ok(())
    }

    /// Adds one entry from its parts (a bulk load's borrowed pairs).
    ///
    /// # Errors
    /// Out-of-order input or I/O failure.
    pub(crate) fn add_parts(
        &mut self,
        key: &[u8],
        seq: u64,
        kind: EntryKind,
        value: &[u8],
    ) -> Result<(), StorageError> {
        self.writer.add(key, seq, value_kind(kind), value)?;
        Ok(())
    }

    /// Bytes written so far (approximately).
    pub(crate) fn estimated_size_bytes(&self) -> u64 {
        self.writer.estimated_size_bytes()
    }

    /// Finishes and syncs the table (the directory entry is synced by the caller, once per
    /// batch of new tables, before the manifest names them).
    ///
    /// # Errors
    /// I/O failure.
    pub(crate) fn finish(self) -> Result<FileMeta, StorageError> {
        let m = self.writer.finish()?;
        Ok(FileMeta {
            number: self.number,
            size_bytes: m.file_size_bytes,
            smallest: m.smallest_key,
            largest: m.largest_key,
            min_seq: m.min_seq,
            max_seq: m.max_seq,
        })
    }

    /// Deletes the partial file after a failure (best effort).
    pub(crate) fn abandon(self) {
        drop(self.writer);
        let _ = self.fs.remove_file(&self.path);
    }
}
