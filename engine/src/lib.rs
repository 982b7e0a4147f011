//! Shale's engine: a log-structured key-value store, and DynamoDB's data model on top.
//!
//! The layers, bottom up:
//! - [`backend`]: the [`Backend`] trait, an ordered key-value store with atomic batches,
//!   snapshots and range scans in both directions. It is the seam between storage and the
//!   data model: the LSM engine implements it, and so does [`MemBackend`], a simple
//!   in-memory reference used by tests and `--in-memory` servers.
//!
//! It is not:
//! - an HTTP server (that is `shale-server`, the only crate that speaks DynamoDB's wire
//!   format);
//! - distributed: one process, one directory.

pub mod backend;
pub mod error;
pub mod expr;
pub mod lsm;
pub mod mem_backend;
pub mod table;
pub mod types;

pub use backend::{Backend, BatchOp, Direction, KvIter, Snapshot, WriteBatch};
pub use error::StorageError;
pub use lsm::{Db, DbOptions};
pub use mem_backend::MemBackend;
pub use table::{Database, DatabaseOptions, Error};
