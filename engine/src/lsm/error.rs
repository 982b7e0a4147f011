//! [`LsmError`]: failures only the LSM engine has. They reach callers of the
//! [`crate::Backend`] seam as [`StorageError::Backend`], with this as the source, so the
//! seam's error stays backend-neutral while nothing is lost: downcast the source to
//! `LsmError` to match on it.

use crate::StorageError;

/// A failure particular to the LSM engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LsmError {
    /// The write-ahead log failed (I/O, corruption).
    #[error("wal: {0}")]
    Wal(#[source] shale_wal::Error),
    /// An SSTable failed (I/O, corruption).
    #[error("sstable: {0}")]
    Sstable(#[source] shale_sstable::Error),
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
}

impl From<LsmError> for StorageError {
    fn from(e: LsmError) -> Self {
        StorageError::Backend {
            backend: "lsm",
            source: Box::new(e),
        }
    }
}

/// A WAL error, with poisoning kept as the neutral [`StorageError::Poisoned`].
impl From<shale_wal::Error> for StorageError {
    fn from(e: shale_wal::Error) -> Self {
        match e {
            shale_wal::Error::Poisoned => StorageError::Poisoned,
            other => LsmError::Wal(other).into(),
        }
    }
}

impl From<shale_sstable::Error> for StorageError {
    fn from(e: shale_sstable::Error) -> Self {
        LsmError::Sstable(e).into()
    }
}

impl StorageError {
    /// The LSM's own error behind a [`StorageError::Backend`], if that is what this is.
    pub fn as_lsm(&self) -> Option<&LsmError> {
        match self {
            StorageError::Backend { source, .. } => source.downcast_ref::<LsmError>(),
            _ => None,
        }
    }
}
