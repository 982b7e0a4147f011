//! The LSM engine: Shale's durable [`crate::Backend`].
//!
//! A write runs: encode the batch → append to the WAL (its LSN is the batch's sequence
//! number) → insert into the concurrent memtable → wait for the WAL sync (group commit)
//! → publish the sequence number in order. A full memtable is frozen and flushed by a
//! background thread into an L0 SSTable; a second thread compacts L0 into L1 and each
//! level into the next (leveled, ratio 10). The manifest records which tables are live.
//! A read merges memtables, L0 (newest first) and the levels at a fixed sequence number.
//!
//! ```
//! use shale_engine::lsm::{Db, DbOptions};
//! use shale_engine::Backend;
//! let dir = tempfile::tempdir().unwrap();
//! let db = Db::open(DbOptions::new(dir.path())).unwrap();
//! db.put(b"k", b"v").unwrap();
//! let snap = db.snapshot();
//! db.delete(b"k").unwrap();
//! assert_eq!(db.get(b"k", Some(&snap)).unwrap(), Some(b"v".to_vec()));
//! assert_eq!(db.get(b"k", None).unwrap(), None);
//! db.close().unwrap();
//! ```
//!
//! Module map, in data-path order: [`batch_codec`] (WAL payload) → [`memtable`] →
//! [`handoff`]/[`visibility`] (switch and publish) → [`background`] (flush, compaction)
//! with [`compaction_pick`] and [`compaction_filter`] → [`table_file`] → [`manifest`]
//! and [`version`]; reads go through [`merge`].
//!
//! It is not:
//! - a multi-process database: one `Db` per directory (nothing stops two; don't);
//! - tuned for huge values: a value lives in the memtable, WAL and table blocks whole;
//! - point-in-time restore itself: [`Db::checkpoint`] plus the WAL archive are the parts
//!   it is built from.

pub(crate) mod background;
pub mod batch_codec;
mod checkpoint;
pub mod compaction_filter;
pub mod compaction_pick;
mod db;
pub mod entry;
pub mod handoff;
pub mod manifest;
pub mod memtable;
pub mod merge;
mod options;
mod reclaim;
pub mod snapshots;
mod stats;
pub(crate) mod sync_shim;
pub mod table_file;
pub mod version;
pub mod visibility;

pub use checkpoint::CheckpointInfo;
pub use db::Db;
pub use options::DbOptions;
pub use shale_wal::Durability;
pub use stats::{DbStats, LevelStats};
