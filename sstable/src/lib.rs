//! Shale's sorted string tables: the immutable files an LSM tree flushes its memtable
//! into and compacts.
//!
//! A table stores LSM *entries* `(user key, seq, kind, value)` ordered by user key
//! ascending (bytewise), then seq descending, so the newest version of a key comes first.
//! Data blocks (~4 KiB, prefix-compressed with restart points) are read on demand through
//! a shared, byte-bounded [`BlockCache`] (reads of a file read through a memory map skip
//! it: [`Table::cache_mapped_reads`]); the index, a bloom filter over
//! user keys and a properties block are loaded when the table is opened. Every block,
//! the header and the footer carry a CRC-32, and every block is validated before it is
//! written and after it is read. The byte layout is in `docs/format/sstable.md`.
//!
//! ```
//! use std::path::PathBuf;
//! use std::sync::Arc;
//! use shale_io::{FaultFs, FileSystem, OpenMode};
//! use shale_sstable::{BlockCache, Table, TableOptions, TableWriter, ValueKind};
//!
//! let fs = FaultFs::new();
//! fs.create_dir_all(&PathBuf::from("/db")).unwrap();
//! let path = PathBuf::from("/db/000001.sst");
//! let file = fs.open(&path, OpenMode::CreateNew).unwrap();
//! let mut w = TableWriter::new(file, path.clone(), TableOptions::default());
//! w.add(b"apple", 7, ValueKind::Put, b"red").unwrap();
//! w.add(b"apple", 3, ValueKind::Delete, b"").unwrap();
//! w.add(b"pear", 5, ValueKind::Put, b"green").unwrap();
//! let meta = w.finish().unwrap();
//! assert_eq!((meta.entries, meta.tombstones), (3, 1));
//!
//! let cache = BlockCache::new(8 << 20);
//! let file = fs.open(&path, OpenMode::Read).unwrap();
//! let table = Arc::new(Table::open(file, path, 1, Some(cache)).unwrap());
//! assert_eq!(table.get(b"apple", 5).unwrap(), Some((3, ValueKind::Delete, vec![])));
//! let mut it = table.iter();
//! it.seek(b"b").unwrap();
//! assert_eq!((it.key(), it.value()), (&b"pear"[..], &b"green"[..]));
//! ```
//!
//! It is not:
//! - a key-value store: it knows nothing of items, tables or DynamoDB, and does not merge
//!   tables or hide old versions (that is the LSM engine's job);
//! - mutable: a table is written once by [`TableWriter`] and only read afterwards;
//! - compressed beyond key-prefix sharing (no block compression codec);
//! - responsible for file naming, directory syncs or deleting files.

mod block;
mod block_buffers;
mod bloom;
mod cache;
pub mod counter;
mod error;
mod format;
pub mod fuzzing;
mod index;
mod iter;
mod properties;
mod readahead;
mod table;
mod writer;

pub use block::{entry_cmp, BlockValue, MAX_KEY_BYTES, MAX_RESTART_INTERVAL, MAX_VALUE_BYTES};
pub use cache::{BlockCache, CacheStats};
pub use error::{CorruptionKind, Error};
pub use format::{ValueKind, FORMAT_VERSION, TABLE_MAGIC};
pub use iter::TableIter;
pub use properties::TableMeta;
pub use readahead::DEFAULT_READAHEAD_MAX_BYTES;
pub use table::{Table, TableStats};
pub use writer::{TableOptions, TableWriter, MAX_BLOCK_SIZE_BYTES, MAX_BLOOM_BITS_PER_KEY};

/// Internals exposed for the criterion benches only; not a stable API.
#[doc(hidden)]
pub mod bench_internals {
    pub use crate::block::{Block, BlockBuilder, BlockCursor};
    pub use crate::bloom::{build_filter, key_hash, BloomFilter};
}
