//! An open table: footer, index, filter and properties in memory; data blocks read on
//! demand through the shared [`BlockCache`].

use crate::counter::StripedCounter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::File;

use crate::block::Block;
use crate::block_buffers;
use crate::bloom::BloomFilter;
use crate::cache::BlockCache;
use crate::error::{CorruptionKind, Error};
use crate::format::{
    check_header, corrupt, unseal_block, BlockHandle, BlockType, Footer, ValueKind,
    BLOCK_TRAILER_LEN, FOOTER_LEN, HEADER_LEN,
};
use crate::index::DecodedIndex;
use crate::properties::TableMeta;
use crate::readahead::Readahead;
use crate::writer::io_error;

/// Read-path counters of one [`Table`] since it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TableStats {
    /// [`Table::get`] calls that consulted the bloom filter.
    pub bloom_checks: u64,
    /// ... of which the filter answered "absent", saving a block read (useful).
    pub bloom_negatives: u64,
    /// ... of which the filter answered "maybe" but no version with seq <= max_seq was
    /// found (useless: a false positive, or a key whose versions are all newer).
    pub bloom_positive_misses: u64,
    /// Data blocks read from the file (cache misses and uncached reads).
    pub block_reads: u64,
    /// Data blocks served from the block cache.
    pub cache_hits: u64,
    /// Read-ahead windows read (each one system call for several blocks; the blocks cut
    /// from a window count in `block_reads` too).
    pub readahead_windows: u64,
}

#[derive(Debug, Default)]
struct Counters {
    bloom_checks: StripedCounter,
    bloom_negatives: StripedCounter,
    bloom_positive_misses: StripedCounter,
    block_reads: StripedCounter,
    cache_hits: StripedCounter,
    readahead_windows: StripedCounter,
}

fn bump(c: &StripedCounter) {
    c.bump();
}

/// An immutable, open table. `Send + Sync`; share it with `Arc`. Every method takes
/// `&self`: reads are positional, so concurrent readers need no lock beyond the cache's.
#[derive(Debug)]
pub struct Table {
    file: Arc<dyn File>,
    path: PathBuf,
    table_id: u64,
    cache: Option<Arc<BlockCache>>,
    /// The index block decoded into arrays, for point lookups and iterators. (The block
    /// itself is not kept.)
    decoded_index: DecodedIndex,
    filter: BloomFilter,
    meta: TableMeta,
    /// Data blocks must end at or before this offset (where the filter block starts).
    data_end: u64,
    /// Whether reads go through the cache when the file is read from a memory map
    /// ([`Table::cache_mapped_reads`]).
    cache_mapped_reads: bool,
    counters: Counters,
}

/// How a block read uses the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheUse {
    /// Looked up, and cached on a miss.
    Fill,
    /// Looked up, not cached on a miss (RocksDB's `fill_cache = false`).
    Peek,
    /// Neither: read, checked and parsed from the file each time.
    Bypass,
}

impl CacheUse {
    fn of_fill(fill_cache: bool) -> CacheUse {
        if fill_cache {
            CacheUse::Fill
        } else {
            CacheUse::Peek
        }
    }
}

impl Table {
    /// Opens a table: reads and checks the header and footer, then loads the filter,
    /// index and properties blocks. Data blocks stay on disk until read.
    ///
    /// `table_id` keys this table's blocks in `cache`; it must be unique among the tables
    /// sharing the cache (the engine uses the file number).
    ///
    /// # Errors
    /// [`Error::Io`] if a read fails; [`Error::ChecksumMismatch`], [`Error::Corruption`]
    /// or [`Error::UnsupportedVersion`] if the file is damaged, truncated, or not a table.
    pub fn open(
        file: Arc<dyn File>,
        path: PathBuf,
        table_id: u64,
        cache: Option<Arc<BlockCache>>,
    ) -> Result<Table, Error> {
        let len = file.len().map_err(|e| io_error("len", &path, 0, e))?;
        if len < HEADER_LEN + FOOTER_LEN {
            return Err(corrupt(&path, 0, CorruptionKind::FileTooShort { len }));
        }
        let header = read_exact(&*file, &path, 0, HEADER_LEN)?;
        check_header(&path, &header)?;
        let footer_at = len - FOOTER_LEN;
        let footer = Footer::decode(
            &path,
            footer_at,
            &read_exact(&*file, &path, footer_at, FOOTER_LEN)?,
        )?;
        let load = |handle: BlockHandle, ty: BlockType| -> Result<Vec<u8>, Error> {
            handle.check_bounds(&path, footer_at)?;
            let raw = read_exact(
                &*file,
                &path,
                handle.offset,
                handle.size + BLOCK_TRAILER_LEN,
            )?;
            unseal_block(&path, handle.offset, raw, ty)
        };
        let props_at = footer.properties.offset;
        let mut meta = TableMeta::decode(&load(footer.properties, BlockType::Properties)?)
            .map_err(|kind| corrupt(&path, props_at, kind))?;
        meta.file_size_bytes = len;
        let filter = BloomFilter::parse(load(footer.filter, BlockType::Filter)?)
            .map_err(|kind| corrupt(&path, footer.filter.offset, kind))?;
        let index = Arc::new(
            Block::parse(load(footer.index, BlockType::Index)?)
                .map_err(|kind| corrupt(&path, footer.index.offset, kind))?,
        );
        let decoded_index = DecodedIndex::decode(index)
            .map_err(|kind| corrupt(&path, footer.index.offset, kind))?;
        let table = Table {
            file,
            path,
            table_id,
            cache,
            decoded_index,
            filter,
            meta,
            data_end: footer.filter.offset,
            cache_mapped_reads: false,
            counters: Counters::default(),
        };
        table.check_index_against_properties(footer.index.offset)?;
        Ok(table)
    }

    /// Cross-checks the index with the properties: one index entry per data block, and the
    /// last index key is the largest key. Catches a table whose blocks are each intact
    /// but do not belong together.
    fn check_index_against_properties(&self, index_at: u64) -> Result<(), Error> {
        let inconsistent = |reason| {
            corrupt(
                &self.path,
                index_at,
                CorruptionKind::Inconsistent { reason },
            )
        };
        if self.decoded_index.len() as u64 != self.meta.data_blocks {
            return Err(inconsistent("index entries differ from data block count"));
        }
        match self.decoded_index.last_key() {
            Some(last) if last != self.meta.largest_key.as_slice() => {
                Err(inconsistent("last index key is not the largest key"))
            }
            _ => Ok(()),
        }
    }

    /// What the properties block says about this table.
    pub fn meta(&self) -> &TableMeta {
        &self.meta
    }

    /// The path given at open (for errors and logs).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The id this table's blocks are cached under.
    pub fn table_id(&self) -> u64 {
        self.table_id
    }

    /// Bloom check only: false means no entry for `key` is in the table.
    pub fn may_contain(&self, key: &[u8]) -> bool {
        self.filter.may_contain(key)
    }

    /// The newest entry for `key` with seq <= `max_seq`, as (seq, kind, value); a
    /// tombstone is returned as such (kind Delete) so the caller can stop looking in
    /// older tables. Consults the bloom filter first and counts the outcome in
    /// [`Table::stats`].
    ///
    /// # Errors
    /// [`Error::Io`] if a block read fails; [`Error::ChecksumMismatch`] or
    /// [`Error::Corruption`] if a block is damaged.
    pub fn get(
        &self,
        key: &[u8],
        max_seq: u64,
    ) -> Result<Option<(u64, ValueKind, Vec<u8>)>, Error> {
        bump(&self.counters.bloom_checks);
        if !self.filter.may_contain(key) {
            bump(&self.counters.bloom_negatives);
            return Ok(None);
        }
        // The index entry of a block is its last entry, so the first index entry at or
        // after the target names the only block that can hold it.
        let Some(handle) = self.decoded_index.block_for(key, max_seq) else {
            bump(&self.counters.bloom_positive_misses);
            return Ok(None);
        };
        let cache_use = self.cache_use(self.reads_from_map(), true);
        let (offset, block) = self.data_block_at(handle, None, cache_use)?;
        let mut scratch = Vec::with_capacity(key.len() + 16);
        let found = block
            .seek_point(key, max_seq, &mut scratch)
            .map_err(|kind| self.corruption(offset, kind))?
            .ok_or_else(|| {
                self.corruption(
                    offset,
                    CorruptionKind::Inconsistent {
                        reason: "index key sorts after its data block",
                    },
                )
            })?;
        let result =
            (scratch == key).then(|| (found.seq, found.kind, block.value_bytes(&found).to_vec()));
        if result.is_none() {
            bump(&self.counters.bloom_positive_misses);
        }
        // A block read past the cache is held by nothing else: its buffer goes back to
        // this thread's pool for the next read instead of to the allocator.
        block_buffers::recycle(block);
        Ok(result)
    }

    /// Whether reads of a file read through a memory map, point reads and iterators
    /// alike, use the block cache (`on`) or read, check and parse their block from the
    /// map every time (the default). Reads of other files always use it.
    ///
    /// Why not by default: a mapped block is a copy away, and the cache cost more than
    /// it saved. For point reads, skipping it made YCSB's point-read workloads (A, B, C,
    /// D, F; 1M records) 1.04–1.53× faster, and C at 100,000 records, where 98% of
    /// lookups hit, 1.09–1.22×. A hit takes its shard's lock and clones an `Arc` whose
    /// count both cores write for a hot block; a miss also evicts a block
    /// (`docs/benchmarks.md`, "thirteenth session"). For scans, see
    /// [`Table::data_block`]. RocksDB draws the same line: its maintainers hold that
    /// "mmap reads really only make sense without block cache" (facebook/rocksdb#13051).
    pub fn cache_mapped_reads(mut self, on: bool) -> Table {
        self.cache_mapped_reads = on;
        self
    }

    /// Whether this table's blocks are copied out of a memory map: no system call per
    /// read, so neither the cache nor read-ahead has one to save.
    fn reads_from_map(&self) -> bool {
        self.file.reads_from_map()
    }

    /// How a read uses the cache: not at all for a `mapped` file, unless asked;
    /// otherwise filled on a miss, or only looked in (`fill_cache` false).
    fn cache_use(&self, mapped: bool, fill_cache: bool) -> CacheUse {
        if mapped && !self.cache_mapped_reads {
            CacheUse::Bypass
        } else {
            CacheUse::of_fill(fill_cache)
        }
    }

    /// Read-path counters.
    pub fn stats(&self) -> TableStats {
        let c = &self.counters;
        TableStats {
            bloom_checks: c.bloom_checks.get(),
            bloom_negatives: c.bloom_negatives.get(),
            bloom_positive_misses: c.bloom_positive_misses.get(),
            block_reads: c.block_reads.get(),
            cache_hits: c.cache_hits.get(),
            readahead_windows: c.readahead_windows.get(),
        }
    }

    /// How many data blocks the table has: iterators' block positions run below this.
    pub(crate) fn block_count(&self) -> usize {
        self.decoded_index.len()
    }

    /// The position of the block an iterator seeking `(key, seq)` loads (see
    /// [`DecodedIndex::position_for`]).
    pub(crate) fn block_position(&self, key: &[u8], seq: u64) -> usize {
        self.decoded_index.position_for(key, seq)
    }

    /// Maps a block-level corruption to this table's error.
    pub(crate) fn corruption(&self, offset: u64, kind: CorruptionKind) -> Error {
        corrupt(&self.path, offset, kind)
    }

    /// Reads the data block at `position` in the index (table order), through the
    /// cache; returns its file offset and the validated block, or `None` past the last
    /// block. A block that misses the cache is read through `readahead` when given (an
    /// iterator stepping forward), else on its own, and is then cached if `fill_cache`.
    ///
    /// A mapped file's blocks (unless [`Table::cache_mapped_reads`]) are read past the
    /// cache, and never ahead: read-ahead saves system calls, and a copy out of a map
    /// takes none, while a window copies blocks a short scan never reaches. YCSB E (1M
    /// records, scans of up to 100), one binary, two runs each: 42.1k and 45.0k ops/s
    /// with both, 53.7k and 48.5k without read-ahead, 65.5k and 62.7k without the
    /// cache, 80.0k and 78.7k without either (`docs/benchmarks.md`, "fourteenth
    /// session").
    ///
    /// # Errors
    /// As [`Table::get`].
    pub(crate) fn data_block(
        &self,
        position: usize,
        readahead: Option<&mut Readahead>,
        fill_cache: bool,
    ) -> Result<Option<(u64, Arc<Block>)>, Error> {
        match self.decoded_index.handle(position) {
            Some(handle) => {
                let mapped = self.reads_from_map();
                let readahead = readahead.filter(|_| !mapped).map(|ra| (ra, position));
                self.data_block_at(handle, readahead, self.cache_use(mapped, fill_cache))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    /// Reads the data block at `handle`, as [`Table::data_block`] does; `readahead`
    /// comes with the block's position in the index, where the blocks a window may take
    /// follow.
    fn data_block_at(
        &self,
        handle: BlockHandle,
        readahead: Option<(&mut Readahead, usize)>,
        cache_use: CacheUse,
    ) -> Result<(u64, Arc<Block>), Error> {
        handle.check_bounds(&self.path, self.data_end)?;
        let cache = self
            .cache
            .as_ref()
            .filter(|_| cache_use != CacheUse::Bypass);
        if let Some(cache) = cache {
            let cached = if cache_use == CacheUse::Fill {
                cache.get(self.table_id, handle.offset)
            } else {
                cache.peek(self.table_id, handle.offset)
            };
            if let Some(block) = cached {
                bump(&self.counters.cache_hits);
                return Ok((handle.offset, block));
            }
        }
        let len = handle.size + BLOCK_TRAILER_LEN;
        let raw = match readahead {
            Some((ra, position)) => {
                let following = (position + 1..)
                    .map_while(|p| self.decoded_index.handle(p))
                    .map(|h| (h.offset, h.size.saturating_add(BLOCK_TRAILER_LEN)));
                let (raw, window) = ra.read_block(
                    &*self.file,
                    &self.path,
                    handle.offset,
                    len,
                    following,
                    self.data_end,
                )?;
                if window {
                    bump(&self.counters.readahead_windows);
                }
                raw
            }
            None => read_exact(&*self.file, &self.path, handle.offset, len)?,
        };
        bump(&self.counters.block_reads);
        let payload = unseal_block(&self.path, handle.offset, raw, BlockType::Data)?;
        let block = Block::parse(payload).map_err(|kind| self.corruption(handle.offset, kind))?;
        if block.is_empty() {
            return Err(self.corruption(
                handle.offset,
                CorruptionKind::Inconsistent {
                    reason: "empty data block",
                },
            ));
        }
        let block = Arc::new(block);
        if let Some(cache) = cache.filter(|_| cache_use == CacheUse::Fill) {
            cache.insert(self.table_id, handle.offset, block.clone());
        }
        Ok((handle.offset, block))
    }
}

/// Reads `len` bytes at `offset`. Callers bounds-check against the file length first, so
/// a short read here means the file changed underneath us (or an I/O error).
pub(crate) fn read_exact(
    file: &dyn File,
    path: &Path,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, Error> {
    let len_usize = usize::try_from(len).map_err(|_| {
        corrupt(
            path,
            offset,
            CorruptionKind::HandleOutOfBounds { offset, size: len },
        )
    })?;
    let mut buf = block_buffers::take_empty(len_usize);
    file.read_exact_into(&mut buf, len_usize, offset)
        .map_err(|e| io_error("read", path, offset, e))?;
    Ok(buf)
}
