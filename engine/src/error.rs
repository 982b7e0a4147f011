//! The storage-level error: what can go wrong below the data model.

use std::io;
use std::path::PathBuf;

/// An error from a [`crate::Backend`]. The table layer maps every variant to DynamoDB's
/// `InternalServerError`; storage faults are never the caller's fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// An I/O call failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done ("open", "sync", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Stored bytes failed validation (checksum, magic, bounds).
    #[error("corruption in {file} at offset {offset}: {reason}")]
    Corruption {
        /// The damaged file.
        file: PathBuf,
        /// Byte offset of the damaged record or block.
        offset: u64,
        /// What check failed.
        reason: &'static str,
    },
    /// An earlier fsync failed; the engine refuses writes until it is reopened, because the
    /// OS may have dropped the dirty pages and a retry could report success falsely.
    #[error("engine poisoned by an earlier failed sync; reopen it")]
    Poisoned,
    /// The write-ahead log failed (I/O, corruption, poisoning).
    #[error("wal: {0}")]
    Wal(#[from] shale_wal::Error),
    /// An SSTable failed (I/O, corruption).
    #[error("sstable: {0}")]
    Sstable(#[from] shale_sstable::Error),
    /// A WAL record passed its checksum but its batch payload does not parse.
    #[error("WAL record at LSN {lsn} holds a malformed batch: {reason}")]
    CorruptBatch {
        /// The record's LSN.
        lsn: u64,
        /// What failed to parse.
        reason: &'static str,
    },
    /// The WAL does not reach back to the manifest's flushed position: writes between
    /// them are missing (a deleted or damaged WAL segment, or a damaged manifest).
    #[error("WAL gap: manifest flushed through seq {flushed_seq}, but the WAL continues at seq {wal_next_seq}")]
    WalGap {
        /// Last sequence number the manifest says is in SSTables.
        flushed_seq: u64,
        /// The first sequence the WAL can replay.
        wal_next_seq: u64,
    },
    /// Writes stayed stopped (too many L0 files or frozen memtables) for longer than the
    /// bounded wait: background work is not keeping up.
    #[error("write stalled for {waited_ms} ms waiting for flush/compaction")]
    WriteStallTimeout {
        /// How long the write waited.
        waited_ms: u64,
    },
    /// The options cannot work together.
    #[error("invalid options: {reason}")]
    InvalidOptions {
        /// Which constraint failed.
        reason: &'static str,
    },
    /// The engine was closed.
    #[error("engine is closed")]
    Closed,
    /// A key is longer than [`crate::backend::MAX_KEY_BYTES`].
    #[error("key of {size} bytes exceeds the maximum of {max}")]
    KeyTooLarge {
        /// The key's length.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A value is longer than [`crate::backend::MAX_VALUE_BYTES`].
    #[error("value of {size} bytes exceeds the maximum of {max}")]
    ValueTooLarge {
        /// The value's length.
        size: usize,
        /// The limit.
        max: usize,
    },
}
