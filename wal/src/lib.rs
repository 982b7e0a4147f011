//! Shale's write-ahead log.
//!
//! Every write the engine accepts becomes a record here before it touches the memtable.
//! Records carry a contiguous LSN (from 1, no holes), a commit timestamp from an injected
//! [`Clock`](shale_io::clock::Clock), a caller-defined kind byte, a length and a CRC32.
//! They live in preallocated segment files that roll at a configurable size; released
//! segments are deleted or kept in `archive/` for point-in-time restore. The byte layout
//! is in `docs/format/wal.md`.
//!
//! ```
//! use std::sync::Arc;
//! use shale_io::{clock::ManualClock, FaultFs};
//! use shale_wal::{Wal, WalOptions};
//!
//! let fs = Arc::new(FaultFs::new());
//! let clock = Arc::new(ManualClock::new(1_000));
//! let mut opts = WalOptions::new("/db/wal", fs, clock);
//! opts.segment_size_bytes = 64 << 10;
//! let wal = Wal::open(opts.clone()).unwrap();
//! assert_eq!(wal.append(1, b"put k v").unwrap(), 1);
//! assert_eq!(wal.append(1, b"put k w").unwrap(), 2);
//! wal.close().unwrap();
//!
//! let wal = Wal::open(opts).unwrap();
//! let replayed: Vec<_> = wal.read_from_lsn(1).unwrap().map(|r| r.unwrap().payload).collect();
//! assert_eq!(replayed, vec![b"put k v".to_vec(), b"put k w".to_vec()]);
//! ```
//!
//! Durability modes ([`Durability`]): `Sync` acknowledges after an fdatasync shared by
//! concurrent writers (group commit); `Buffered` after the write, with a background sync
//! every interval; `None` after the write, syncing only on segment roll, `sync()` and close.
//! A failed write or sync poisons the log ([`Error::Poisoned`]) until it is reopened.
//!
//! Threads: [`Wal`] is `Send + Sync`. LSN assignment and buffering happen under one mutex;
//! I/O is done by one leader at a time outside it (see [`group_commit`]).
//!
//! It is not:
//! - a key-value store or a memtable: it stores opaque payloads and replays them in order;
//! - a replication log: there is no network shipping or consensus;
//! - a multi-process log: one `Wal` per directory, in one process;
//! - tolerant of silent corruption in the middle of the log: that is an error, never
//!   skipped (only a torn tail is cut, and every cut is logged at WARN and listed in
//!   [`Wal::recovery_report`]).

mod error;
mod flusher;
mod format;
pub mod fuzzing;
pub mod group_commit;
mod options;
mod reader;
mod recovery;
mod segment;
mod spare;
mod wal;
mod writer;

pub use error::{CorruptionKind, Error, Result};
pub use flusher::MIN_BUFFERED_INTERVAL;
pub use format::{
    Record, FORMAT_VERSION, MAX_LSN, MAX_RECORD_PAYLOAD_BYTES, RECORD_HEADER_LEN,
    SEGMENT_HEADER_LEN, SEGMENT_MAGIC,
};
pub use options::{
    Durability, WalOptions, DEFAULT_SEGMENT_SIZE_BYTES, DEFAULT_WRITEBACK_EVERY_BYTES,
    MAX_SEGMENT_SIZE_BYTES, MIN_SEGMENT_SIZE_BYTES, WRITEBACK_PAGE_BYTES,
};
pub use options::{OnSyncedLoss, Preallocation};
pub use reader::{read_dir, read_dir_from_timestamp, WalIter};
pub use recovery::{verify_dir, DropReason, DroppedBytes, RecoveryReport, SegmentVerdict};
pub use segment::{parse_segment_file_name, segment_file_name, ARCHIVE_DIR};
pub use wal::{Wal, MAX_PENDING_BYTES};
pub use writer::SYNCED_MARK_INTERVAL_MICROS;

/// A log sequence number. The first record is 1; LSNs are contiguous.
pub type Lsn = u64;

#[cfg(test)]
mod tests {
    #[test]
    fn wal_and_iterator_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>() {}
        assert_send_sync::<crate::Wal>();
        assert_send::<crate::WalIter>();
    }
}
