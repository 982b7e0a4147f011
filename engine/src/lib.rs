//! Shale's storage engine: a log-structured key-value store behind a pluggable seam.
//!
//! The layers, bottom up:
//! - [`backend`]: the [`Backend`] trait, an ordered key-value store with atomic batches,
//!   snapshots and range scans in both directions. It is the seam between storage and the
//!   data models built on it: the LSM engine implements it, and so does [`MemBackend`], a
//!   simple in-memory reference used by tests and `--in-memory` servers.
//! - [`lsm`]: the LSM engine ([`Db`]).
//!
//! It is not:
//! - a data model: DynamoDB's tables, items and expressions are `shale-table`, which
//!   knows this crate only through [`Backend`];
//! - an HTTP server (that is `shale-server`);
//! - distributed: one process, one directory.

pub mod backend;
mod capability;
#[cfg(feature = "testing")]
pub mod conformance;
pub mod error;
pub mod key_range;
pub mod lsm;
pub mod mem_backend;
mod mem_history;
pub mod value;

pub use backend::{
    Backend, BackendStats, BatchOp, Capability, CheckpointInfo, CommitLogIter, CommittedBatch,
    Direction, HistoryBounds, KvIter, KvPair, LoggedData, ReadView, RecentLogData, ScanPair,
    Snapshot, WriteBatch,
};
pub use error::StorageError;
pub use key_range::{full_range, KeyRange, KeyRanges};
pub use lsm::{Db, DbOptions, Durability};
pub use mem_backend::MemBackend;
pub use value::Value;
