//! The LSM's side of the [`Backend`] seam: every method, capabilities included.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::backend::{
    Backend, BackendStats, Capability, CheckpointInfo, CommitLogIter, Direction, HistoryBounds,
    KvIter, KvPair, ReadView, RecentLogData, Snapshot, WriteBatch,
};
use crate::key_range::KeyRanges;
use crate::lsm::checkpoint::{checkpoint_flushed, remove_checkpoint, DEFAULT_CHECKPOINT_DIR};
use crate::lsm::db::Db;
use crate::lsm::history::{read_log, HISTORY_DIR};
use crate::lsm::ingest::ingest;
use crate::lsm::view::{open_checkpoint_view, open_view};
use crate::StorageError;

// The seam's limits must fit what an SSTable stores.
const _: () = assert!(crate::backend::MAX_KEY_BYTES <= shale_sstable::MAX_KEY_BYTES);
const _: () = assert!(crate::backend::MAX_VALUE_BYTES <= shale_sstable::MAX_VALUE_BYTES);

impl Db {
    /// Flushes, then writes a checkpoint of the flushed state into `dir` (which must not
    /// hold a database yet).
    ///
    /// # Errors
    /// As [`Db::flush`]; I/O failure; `AlreadyExists` if `dir` already has a `CURRENT`.
    pub fn checkpoint(&self, dir: &Path) -> Result<CheckpointInfo, StorageError> {
        self.flush()?;
        checkpoint_flushed(&self.inner, dir).map(Into::into)
    }

    /// Runs one step of history maintenance now: a new restore base if the newest is
    /// `history_base_interval` old, then trimming to the retention. A background thread
    /// does this while retention is on; tests with a manual clock call it directly.
    ///
    /// # Errors
    /// I/O failure.
    pub fn maintain_history(&self) -> Result<(), StorageError> {
        self.history.maintain(&self.inner)
    }
}

impl Backend for Db {
    fn name(&self) -> &'static str {
        "lsm"
    }

    fn write(&self, batch: WriteBatch) -> Result<u64, StorageError> {
        Db::write(self, batch)
    }

    fn get(
        &self,
        key: &[u8],
        snapshot: Option<&Snapshot>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        Db::get(self, key, snapshot)
    }

    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
        snapshot: Option<&Snapshot>,
    ) -> Result<KvIter, StorageError> {
        Db::scan(self, start, end, direction, snapshot)
    }

    fn snapshot(&self) -> Snapshot {
        Db::snapshot(self)
    }

    fn sync(&self) -> Result<(), StorageError> {
        self.sync_wal()
    }

    fn flush(&self) -> Result<(), StorageError> {
        Db::flush(self)
    }

    fn compact_range(&self, start: Option<&[u8]>, end: Option<&[u8]>) -> Result<(), StorageError> {
        Db::compact_range(self, start, end)
    }

    fn close(&self) -> Result<(), StorageError> {
        Db::close(self)
    }

    fn stats(&self) -> BackendStats {
        let s = Db::stats(self);
        let mut out = BackendStats {
            levels: s.levels.iter().map(|l| (l.files, l.bytes)).collect(),
            writes: s.writes,
            user_bytes: s.user_bytes,
            ..BackendStats::default()
        };
        out.figures = vec![
            ("wal_bytes", s.wal_bytes as f64),
            ("flush_bytes", s.flush_bytes as f64),
            ("compaction_bytes", s.compaction_bytes as f64),
            ("ingest_bytes", s.ingest_bytes as f64),
            ("ingests", s.ingests as f64),
            ("write_amplification", s.write_amplification),
            ("flushes", s.flushes as f64),
            ("compactions", s.compactions as f64),
            ("block_cache_hits", s.block_cache.hits as f64),
            ("block_cache_misses", s.block_cache.misses as f64),
            ("readahead_windows", s.readahead_windows as f64),
            ("bloom_checks", s.bloom_checks as f64),
            ("bloom_useful", s.bloom_useful as f64),
            ("stall_micros", s.stall_micros as f64),
            ("stall_stops", s.stall_stops as f64),
            ("stall_slowdowns", s.stall_slowdowns as f64),
            ("background_paced_micros", s.background_paced_micros as f64),
            (
                "background_rate_bytes_per_sec",
                s.background_rate_bytes_per_sec as f64,
            ),
            ("memtable_bytes", s.memtable_bytes as f64),
            ("frozen_memtables", s.frozen_memtables as f64),
            ("snapshots", s.snapshots as f64),
            (
                "wal_recovery_dropped_bytes",
                s.wal_recovery_dropped_bytes as f64,
            ),
            (
                "wal_recovery_dropped_ranges",
                s.wal_recovery_dropped_ranges as f64,
            ),
            (
                "wal_recovery_synced_records_lost",
                s.wal_recovery_synced_records_lost as f64,
            ),
        ];
        let (bases, base_bytes, archive_bytes) = self.history.disk_use(&self.inner);
        out.figures.extend([
            ("history_bases", bases as f64),
            ("history_base_bytes", base_bytes as f64),
            ("history_archive_bytes", archive_bytes as f64),
        ]);
        out
    }

    fn supports(&self, capability: Capability) -> bool {
        matches!(
            capability,
            Capability::CommitLog
                | Capability::Checkpoint
                | Capability::PastView
                | Capability::HistoryRetention
        )
    }

    fn read_commit_log(&self, from_seq: u64) -> Result<CommitLogIter, StorageError> {
        let upto_lsn = self
            .inner
            .visibility
            .visible()
            .saturating_sub(self.inner.seq_offset);
        read_log(&self.inner, from_seq, upto_lsn)
    }

    fn recent_log_data(&self, from_seq: u64, max_batches: usize) -> Option<RecentLogData> {
        let visible = self.inner.visibility.visible();
        let batches = self
            .inner
            .log_tail
            .lock()
            .read(from_seq, visible, max_batches)?;
        let upto_seq = if batches.len() >= max_batches {
            batches.last().map_or(visible, |b| b.seq)
        } else {
            visible
        };
        Some(RecentLogData { upto_seq, batches })
    }

    fn checkpoint(&self, dir: &Path) -> Result<CheckpointInfo, StorageError> {
        Db::checkpoint(self, dir)
    }

    fn open_checkpoint(&self, dir: &Path) -> Result<Box<dyn ReadView>, StorageError> {
        open_checkpoint_view(self, dir)
    }

    fn remove_checkpoint(&self, dir: &Path) -> Result<(), StorageError> {
        // Restore bases have a checkpoint's shape, but they belong to the history.
        if dir.starts_with(self.inner.opts.dir.join(HISTORY_DIR)) {
            return Err(StorageError::CheckpointNotFound {
                dir: dir.to_path_buf(),
            });
        }
        remove_checkpoint(self.inner.fs().as_ref(), dir)
    }

    fn default_checkpoint_dir(&self) -> Option<PathBuf> {
        Some(self.inner.opts.dir.join(DEFAULT_CHECKPOINT_DIR))
    }

    fn ingest(&self, entries: &[KvPair]) -> Result<(), StorageError> {
        ingest(self, entries)
    }

    fn view_at(
        &self,
        commit_time_micros: u64,
        ranges: KeyRanges,
    ) -> Result<Box<dyn ReadView>, StorageError> {
        open_view(self, commit_time_micros, ranges)
    }

    fn set_history_retention(&self, retention: Option<Duration>) -> Result<(), StorageError> {
        self.history.set_retention(&self.inner, retention)
    }

    fn history_retention(&self) -> Option<Duration> {
        self.history.retention()
    }

    fn history_bounds(&self) -> Result<Option<HistoryBounds>, StorageError> {
        self.history.bounds(&self.inner)
    }
}
