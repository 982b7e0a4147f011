//! Writes a table front to back: header, data blocks, filter, index, properties, footer.
//!
//! Blocks are validated with the reader's own [`Block::parse`] before they are written
//! (assert in pairs: the bytes the reader will reject never reach the disk), and the
//! output is buffered so a flush issues one write per [`WRITE_BUFFER_BYTES`], not one
//! per 4 KiB block.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::File;

use crate::block::{
    entry_cmp, Block, BlockBuilder, MAX_KEY_BYTES, MAX_RESTART_INTERVAL, MAX_VALUE_BYTES,
};
use crate::bloom::{build_filter, key_hash, BloomFilter};
use crate::error::Error;
use crate::format::{
    corrupt, encode_header, seal_block, BlockHandle, BlockType, Footer, ValueKind,
    BLOCK_TRAILER_LEN, FOOTER_LEN, HANDLE_LEN, HEADER_LEN,
};
use crate::properties::TableMeta;

/// Output is handed to the file in chunks of this size.
pub const WRITE_BUFFER_BYTES: usize = 256 * 1024;
/// Largest allowed target block size.
pub const MAX_BLOCK_SIZE_BYTES: usize = 16 * 1024 * 1024;
/// Largest allowed bloom bits per key (beyond ~20 the filter only costs memory).
pub const MAX_BLOOM_BITS_PER_KEY: u32 = 64;

/// How a table is laid out. Only the writer uses these; a reader needs none of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// A data block is closed once its payload reaches this many bytes (so a block may
    /// exceed it by one entry). Default 4096; allowed 1..=[`MAX_BLOCK_SIZE_BYTES`].
    pub block_size_bytes: usize,
    /// Entries between restart points. Default 16; allowed 1..=[`MAX_RESTART_INTERVAL`].
    pub restart_interval: usize,
    /// Bloom filter bits per distinct key. Default 10 (≈1% false positives); 0 disables
    /// the filter (it always answers "maybe"); allowed 0..=[`MAX_BLOOM_BITS_PER_KEY`].
    pub bloom_bits_per_key: u32,
    /// Start writing back every this many bytes while writing the file (0: nothing
    /// before `finish`'s sync). A table written without it reaches the disk as one burst
    /// at `finish` (tens of MiB), and every WAL fdatasync issued meanwhile waits behind
    /// that burst; starting writeback as it goes keeps each burst small (RocksDB's
    /// `bytes_per_sync`, which also uses `sync_file_range`: [`shale_io::File::start_writeback`]).
    /// It does not wait and flushes no device cache, unlike an fdatasync per MiB did: those
    /// queued WAL syncs behind them in sync mode (`docs/benchmarks.md`). Only `finish`
    /// makes the table durable. Default 1 MiB.
    pub sync_every_bytes: u64,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            block_size_bytes: 4096,
            restart_interval: 16,
            bloom_bits_per_key: 10,
            sync_every_bytes: 1 << 20,
        }
    }
}

impl TableOptions {
    /// Checks every field against its allowed range.
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), Error> {
        let check = |option, value: u64, min: u64, max: u64| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(Error::InvalidOption {
                    option,
                    value,
                    min,
                    max,
                })
            }
        };
        check(
            "block_size_bytes",
            self.block_size_bytes as u64,
            1,
            MAX_BLOCK_SIZE_BYTES as u64,
        )?;
        check(
            "restart_interval",
            self.restart_interval as u64,
            1,
            MAX_RESTART_INTERVAL as u64,
        )?;
        check(
            "bloom_bits_per_key",
            u64::from(self.bloom_bits_per_key),
            0,
            u64::from(MAX_BLOOM_BITS_PER_KEY),
        )
    }
}

/// Builds one table file. Not thread-safe by design: one compaction or flush owns it.
///
/// Lifecycle: [`TableWriter::new`], any number of [`TableWriter::add`] in strict
/// (key asc, seq desc) order, then [`TableWriter::finish`]. After any error the writer is
/// poisoned and the file must be deleted; dropping a writer without `finish` leaves a
/// file that [`crate::Table::open`] rejects (it has no footer).
#[derive(Debug)]
pub struct TableWriter {
    file: Arc<dyn File>,
    path: PathBuf,
    opts: TableOptions,
    /// Set by `new` when the options are invalid; returned by the first call.
    invalid_options: Option<Error>,
    poisoned: bool,
    /// Bytes already handed to the file.
    written_bytes: u64,
    /// `written_bytes` when writeback was last started.
    written_back_bytes: u64,
    /// Bytes waiting to be written at `written_bytes`.
    out: Vec<u8>,
    data: BlockBuilder,
    index: BlockBuilder,
    /// One hash per distinct user key, for the filter built in `finish`.
    key_hashes: Vec<u64>,
    last_key: Vec<u8>,
    last_seq: u64,
    meta: TableMeta,
}

impl TableWriter {
    /// Starts a table in `file` (empty, opened writable); `path` is used in errors only.
    /// Invalid options are reported by the first `add` or `finish`.
    pub fn new(file: Arc<dyn File>, path: PathBuf, opts: TableOptions) -> Self {
        let invalid_options = opts.validate().err();
        TableWriter {
            file,
            path,
            data: BlockBuilder::new(opts.restart_interval),
            // Index entries are looked up by binary search over restarts; a short interval
            // keeps each search's linear tail short.
            index: BlockBuilder::new(1),
            opts,
            invalid_options,
            poisoned: false,
            written_bytes: 0,
            written_back_bytes: 0,
            out: encode_header().to_vec(),
            key_hashes: Vec::new(),
            last_key: Vec::new(),
            last_seq: 0,
            meta: TableMeta::default(),
        }
    }

    fn check_usable(&mut self) -> Result<(), Error> {
        if let Some(e) = self.invalid_options.take() {
            self.poisoned = true;
            return Err(e);
        }
        if self.poisoned {
            return Err(Error::WriterPoisoned {
                file: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Appends an entry.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] unless `(key, seq)` sorts strictly after the previous entry
    /// (key asc, seq desc); [`Error::KeyTooLarge`] / [`Error::ValueTooLarge`] past
    /// [`MAX_KEY_BYTES`] / [`MAX_VALUE_BYTES`]; [`Error::Io`] if a buffered write fails
    /// (the writer is then poisoned); [`Error::InvalidOption`] for bad options.
    pub fn add(
        &mut self,
        key: &[u8],
        seq: u64,
        kind: ValueKind,
        value: &[u8],
    ) -> Result<(), Error> {
        self.check_usable()?;
        if key.len() > MAX_KEY_BYTES {
            return Err(Error::KeyTooLarge {
                len: key.len(),
                max: MAX_KEY_BYTES,
            });
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(Error::ValueTooLarge {
                len: value.len(),
                max: MAX_VALUE_BYTES,
            });
        }
        let first = self.meta.entries == 0;
        if !first && !entry_cmp(&self.last_key, self.last_seq, key, seq).is_lt() {
            return Err(Error::OutOfOrder {
                file: self.path.clone(),
                key_len: key.len(),
                seq,
                prev_seq: self.last_seq,
            });
        }
        if first || self.last_key != key {
            self.key_hashes.push(key_hash(key));
            self.last_key.clear();
            self.last_key.extend_from_slice(key);
        }
        if first {
            self.meta.smallest_key = key.to_vec();
            self.meta.min_seq = seq;
            self.meta.max_seq = seq;
        }
        self.last_seq = seq;
        self.meta.min_seq = self.meta.min_seq.min(seq);
        self.meta.max_seq = self.meta.max_seq.max(seq);
        self.meta.entries += 1;
        if kind == ValueKind::Delete {
            self.meta.tombstones += 1;
        }
        self.data.add(key, seq, kind, value);
        if self.data.estimated_size_bytes() >= self.opts.block_size_bytes {
            self.flush_data_block()?;
        }
        Ok(())
    }

    /// Bytes the file would have if finished now (data written so far plus estimates of
    /// the open block, filter, index, properties and footer). Compaction cuts output files
    /// when this passes its target.
    pub fn estimated_size_bytes(&self) -> u64 {
        let filter = (self.key_hashes.len() as u64 * u64::from(self.opts.bloom_bits_per_key))
            .div_ceil(8)
            + 1;
        let properties = 48 + 2 * self.last_key.len() as u64;
        self.written_bytes
            + self.out.len() as u64
            + self.data.estimated_size_bytes() as u64
            + self.index.estimated_size_bytes() as u64
            + filter
            + properties
            + 4 * BLOCK_TRAILER_LEN
            + FOOTER_LEN
    }

    /// Where the next byte appended to `out` lands in the file.
    fn offset(&self) -> u64 {
        self.written_bytes + self.out.len() as u64
    }

    /// Validates `payload` with the reader's own checks for a block of type `ty`, seals it
    /// and appends it to the output; returns its handle. A failed check is a bug in the
    /// writer, reported as corruption at the offset the block would have had.
    fn append_block(&mut self, payload: Vec<u8>, ty: BlockType) -> Result<BlockHandle, Error> {
        let offset = self.offset();
        let checked = match ty {
            BlockType::Data | BlockType::Index => Block::parse(payload).map(Block::into_payload),
            BlockType::Filter => BloomFilter::check(&payload).map(|()| payload),
            BlockType::Properties => TableMeta::decode(&payload).map(|_| payload),
        };
        let mut payload = checked.map_err(|kind| {
            self.poisoned = true;
            corrupt(&self.path, offset, kind)
        })?;
        let handle = BlockHandle {
            offset,
            size: payload.len() as u64,
        };
        seal_block(&mut payload, ty);
        self.out.extend_from_slice(&payload);
        if self.out.len() >= WRITE_BUFFER_BYTES {
            self.flush_out()?;
        }
        Ok(handle)
    }

    fn flush_data_block(&mut self) -> Result<(), Error> {
        let (last_key, last_seq) = self.data.last_entry();
        let (last_key, last_seq) = (last_key.to_vec(), last_seq);
        let payload = self.data.finish();
        let handle = self.append_block(payload, BlockType::Data)?;
        let mut encoded = Vec::with_capacity(HANDLE_LEN);
        handle.encode_into(&mut encoded);
        self.index
            .add(&last_key, last_seq, ValueKind::Put, &encoded);
        self.meta.data_blocks += 1;
        Ok(())
    }

    fn flush_out(&mut self) -> Result<(), Error> {
        if self.out.is_empty() {
            return Ok(());
        }
        let at = self.written_bytes;
        if let Err(source) = self.file.write_all_at(&self.out, at) {
            self.poisoned = true;
            return Err(io_error("write", &self.path, at, source));
        }
        self.written_bytes += self.out.len() as u64;
        self.out.clear();
        let every = self.opts.sync_every_bytes;
        if every > 0 && self.written_bytes - self.written_back_bytes >= every {
            let (from, len) = (
                self.written_back_bytes,
                self.written_bytes - self.written_back_bytes,
            );
            if let Err(source) = self.file.start_writeback(from, len) {
                self.poisoned = true;
                return Err(io_error("start writeback", &self.path, from, source));
            }
            self.written_back_bytes = self.written_bytes;
        }
        Ok(())
    }

    /// Writes the last data block, the filter, index and properties blocks and the
    /// footer, then syncs the file. The caller still has to sync the directory.
    ///
    /// # Errors
    /// [`Error::Io`] if a write or the sync fails; [`Error::InvalidOption`] for bad
    /// options; [`Error::WriterPoisoned`] after an earlier failure.
    pub fn finish(mut self) -> Result<TableMeta, Error> {
        self.check_usable()?;
        if !self.data.is_empty() {
            self.flush_data_block()?;
        }
        self.meta.largest_key = self.last_key.clone();
        let filter = build_filter(&self.key_hashes, self.opts.bloom_bits_per_key);
        let filter = self.append_block(filter, BlockType::Filter)?;
        let index_payload = self.index.finish();
        let index = self.append_block(index_payload, BlockType::Index)?;
        let properties = self.append_block(self.meta.encode(), BlockType::Properties)?;
        let footer = Footer {
            index,
            filter,
            properties,
        };
        self.out.extend_from_slice(&footer.encode());
        self.flush_out()?;
        if let Err(source) = self.file.sync_data() {
            self.poisoned = true;
            return Err(io_error("sync", &self.path, 0, source));
        }
        self.meta.file_size_bytes = self.written_bytes;
        debug_assert!(self.written_bytes >= HEADER_LEN + FOOTER_LEN);
        Ok(self.meta.clone())
    }
}

pub(crate) fn io_error(
    op: &'static str,
    file: &Path,
    offset: u64,
    source: std::io::Error,
) -> Error {
    Error::Io {
        op,
        file: file.to_path_buf(),
        offset,
        source,
    }
}
