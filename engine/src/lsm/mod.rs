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
//! Module map, in data-path order (all internal; the public surface is [`Db`],
//! [`DbOptions`], [`Durability`], [`DbStats`]/[`LevelStats`], the compaction strategy
//! seam and the errors):
//! - write: `batch_codec` (WAL payload) → `db` (write path, stalls) → `memtable`, with
//!   `handoff` (memtable switch) and `visibility` (in-order publish);
//! - flush and compaction: `background` (threads) → `flush`, `compaction` (merge jobs
//!   picked by `compaction_pick`'s [`CompactionStrategy`], filtered by
//!   `compaction_filter`) → `sstable_file` (SSTables) → `version_set` (log the edit to
//!   `manifest`, publish the new `version`);
//! - read: `version` (memtables + levels) → `source`/`merge` (entry streams merged at a
//!   sequence number);
//! - open: `recovery` (manifest, tables, WAL replay, fresh manifest); `state` holds what
//!   the handle and the background threads share; `stats`, `snapshots`, `reclaim`.
//!
//! It is not:
//! - a multi-process database: one `Db` per directory (nothing stops two; don't);
//! - tuned for huge values: a value lives in the memtable, WAL and table blocks whole;
//! - point-in-time restore itself: [`Db::checkpoint`] plus the WAL archive are the parts
//!   it is built from.

mod background;
// `#[doc(hidden)] pub`: internals, public only for what a test or bench outside the
// crate needs; not API.
mod batch_codec;
mod checkpoint;
mod compaction;
mod compaction_filter;
mod compaction_pick;
mod db;
mod db_backend;
#[doc(hidden)]
pub mod entry; // benches/lsm_memtable inserts entries of a kind
pub mod error;
mod flush;
#[doc(hidden)]
pub mod handoff; // tests/loom_memtable_switch models the switch cell
pub(crate) mod history;
mod ingest;
mod log_tail;
#[doc(hidden)]
pub mod manifest; // tests read the manifest to see what the tree holds on disk
#[doc(hidden)]
pub mod memtable; // benches/lsm_memtable
mod memtable_key;
mod merge;
mod options;
mod rate_limit;
mod reclaim;
mod recovery;
mod replay;
mod snapshots;
mod source;
#[doc(hidden)]
pub mod sstable_file; // tests open the manifest's tables to count entries and tombstones
mod state;
mod stats;
pub(crate) mod sync_shim;
mod verify;
mod version;
mod version_set;
mod view;
mod visibility;

pub use compaction_pick::{CompactionJob, CompactionStrategy, FileOrder, Leveled, LevelsView};
pub use db::Db;
pub use error::LsmError;
pub use manifest::{FileMeta, NUM_LEVELS};
pub use options::{DbOptions, MAX_READAHEAD_BYTES};
pub use rate_limit::{RateLimit, MIN_MAX_BYTES_PER_SEC};
pub use shale_io::GradualDelete;
pub use shale_wal::{Durability, OnSyncedLoss, Preallocation, RecoveryReport};
pub use stats::{DbStats, LevelStats};
pub use verify::{verify_dir, SstableVerdict, VerifyReport};
