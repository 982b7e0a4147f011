//! The storage-level error: what can go wrong below a data model, for any backend.
//!
//! The variants are backend-neutral. A failure only one backend can have (the LSM's WAL
//! gap, a stalled write, a damaged SSTable) is [`StorageError::Backend`], whose source is
//! that backend's own typed error (for the LSM, [`crate::lsm::LsmError`]).

use std::io;
use std::path::PathBuf;

use crate::capability::Capability;

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
    /// The backend does not have this capability (see [`crate::Backend::supports`]).
    #[error("the {backend} backend does not support {capability}")]
    Unsupported {
        /// The backend's [`crate::Backend::name`].
        backend: &'static str,
        /// What was asked for.
        capability: Capability,
    },
    /// The commit log no longer reaches back to `requested_seq` (retention trimmed it, or
    /// it was never kept).
    #[error(
        "commit log trimmed: sequence {requested_seq} requested, earliest kept is {earliest_seq:?}"
    )]
    LogTrimmed {
        /// The first sequence number asked for.
        requested_seq: u64,
        /// The oldest sequence number still readable, if any.
        earliest_seq: Option<u64>,
    },
    /// A past view was asked for outside the retained history.
    #[error("time {requested_micros} is outside the retained history ({earliest_micros:?} to {latest_micros})")]
    OutsideRetention {
        /// The commit time asked for, in microseconds since the Unix epoch.
        requested_micros: u64,
        /// The earliest restorable commit time, if history is kept at all.
        earliest_micros: Option<u64>,
        /// The latest restorable commit time (now).
        latest_micros: u64,
    },
    /// No checkpoint at `dir` ([`crate::Backend::open_checkpoint`],
    /// [`crate::Backend::remove_checkpoint`]): nothing is there, or what is there is not
    /// a checkpoint this backend wrote (a live database, other files; for
    /// `open_checkpoint`, also a checkpoint a crash interrupted). The backend neither
    /// reads nor deletes such a directory.
    #[error("no checkpoint at {dir}")]
    CheckpointNotFound {
        /// The directory asked for.
        dir: PathBuf,
    },
    /// A bulk load ([`crate::Backend::ingest`]) whose keys do not strictly ascend: entry
    /// `index` is not greater than the one before it. Nothing was loaded.
    #[error("bulk load entry {index} is not after the entry before it")]
    UnsortedIngest {
        /// The position of the first entry out of order.
        index: usize,
    },
    /// A failure particular to one backend; `source` is that backend's own typed error.
    #[error("{backend}: {source}")]
    Backend {
        /// The backend's [`crate::Backend::name`].
        backend: &'static str,
        /// The backend's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}
