//! [`DbInner`]: the state the handle (`db`) and the background threads (`background`)
//! share, in one place, so neither of those files needs the other's.
//!
//! Lock order (outer first): `compaction_lock` → `vs` → the switch cell's exclusive lock
//! → `bg`. Writers take only the switch cell's shared lock (and the WAL's own mutex
//! inside it); readers take nothing but a brief `load`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};
use shale_io::FileSystem;
use shale_sstable::{BlockCache, TableOptions};
use shale_wal::Wal;

use crate::lsm::compaction_pick::CompactionStrategy;
use crate::lsm::handoff::SwitchCell;
use crate::lsm::options::DbOptions;
use crate::lsm::reclaim::Reclaimer;
use crate::lsm::snapshots::SnapshotRegistry;
use crate::lsm::stats::Counters;
use crate::lsm::version::SuperVersion;
use crate::lsm::version_set::{Tree, VersionSet};
use crate::lsm::visibility::Visibility;
use crate::StorageError;

/// Signals between the write path and the background threads, guarded by `DbInner::bg`.
#[derive(Debug, Default)]
pub(crate) struct BgSignals {
    /// Set by `close`: background threads exit.
    pub(crate) shutdown: bool,
}

/// State shared by the handle and the background threads.
#[derive(Debug)]
pub(crate) struct DbInner {
    pub(crate) opts: DbOptions,
    pub(crate) wal: Wal,
    pub(crate) sv: SwitchCell<SuperVersion>,
    pub(crate) visibility: Visibility,
    /// Highest sequence number handed to a writer (under the switch cell's shared lock).
    pub(crate) last_assigned: AtomicU64,
    /// Sequence number = WAL LSN + this.
    pub(crate) seq_offset: u64,
    pub(crate) snapshots: Arc<SnapshotRegistry>,
    pub(crate) vs: Mutex<VersionSet>,
    /// Picks background compactions (`opts.compaction_strategy`, resolved once at open).
    pub(crate) strategy: Arc<dyn CompactionStrategy>,
    /// Serialises compactions (background and manual).
    pub(crate) compaction_lock: Mutex<()>,
    pub(crate) bg: Mutex<BgSignals>,
    pub(crate) bg_cv: Condvar,
    pub(crate) poisoned: AtomicBool,
    pub(crate) closed: AtomicBool,
    pub(crate) cache: Arc<BlockCache>,
    pub(crate) counters: Counters,
    /// Flushed memtables and replaced tables, dropped by background threads.
    pub(crate) reclaimer: Reclaimer,
    /// The highest sequence number whose memtable is flushed *and* whose WAL segments
    /// were released: [`crate::lsm::Db::flush`] waits for this, so it returns with the
    /// flush's I/O finished, not while the WAL release still runs.
    pub(crate) flushed_seq: AtomicU64,
    /// Recent batches' log data, for stream readers at the head of the log.
    pub(crate) log_tail: Mutex<crate::lsm::log_tail::LogTail>,
    /// Callers waiting for background work (`Db::flush`, `compact_range`): while any
    /// wait, nothing is paced (`DbInner::pace_background`).
    pub(crate) foreground_waiters: std::sync::atomic::AtomicUsize,
    /// Paces background flushes and compactions (`DbOptions::background_rate_limit`).
    pub(crate) background_limiter: Option<crate::lsm::rate_limit::RateLimiter>,
}

/// A WAL error as the engine reports it (a poisoned WAL is [`StorageError::Poisoned`]).
pub(crate) fn wal_err(e: shale_wal::Error) -> StorageError {
    StorageError::from(e)
}

/// Maps an I/O error of `op` on `path`.
pub(crate) fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { op, path, source }
}

impl DbInner {
    pub(crate) fn table_options(&self) -> TableOptions {
        TableOptions {
            block_size_bytes: self.opts.block_size_bytes,
            bloom_bits_per_key: self.opts.bloom_bits_per_key,
            ..TableOptions::default()
        }
    }

    pub(crate) fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.opts.fs
    }

    /// The part of this state that flush and compaction change: tables, the version set
    /// and the published version. Background work gets this, not the whole engine.
    pub(crate) fn tree(&self) -> Tree<'_> {
        Tree {
            fs: &self.opts.fs,
            dir: &self.opts.dir,
            table_options: self.table_options(),
            reads: self.opts.table_reads(&self.cache),
            vs: &self.vs,
            sv: &self.sv,
            reclaimer: &self.reclaimer,
            counters: &self.counters,
        }
    }

    /// Marks the engine poisoned and wakes everyone who waits on background progress.
    pub(crate) fn poison(&self) {
        self.poisoned.store(true, Ordering::SeqCst);
        self.visibility.fail();
        let _g = self.bg.lock();
        self.bg_cv.notify_all();
    }

    pub(crate) fn notify_bg(&self) {
        let _g = self.bg.lock();
        self.bg_cv.notify_all();
    }
}
