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
    /// The engine was closed.
    #[error("engine is closed")]
    Closed,
}
