//! [`DbStats`]: what the engine reports about itself, and the counters behind it.

use std::sync::atomic::{AtomicU64, Ordering};

use shale_sstable::CacheStats;
use shale_wal::RecoveryReport;

use crate::lsm::version::SuperVersion;

/// Bytes a WAL record adds around its payload (header: length, CRC, LSN, timestamp, kind).
const WAL_RECORD_OVERHEAD_BYTES: u64 = shale_wal::RECORD_HEADER_LEN as u64;

/// Monotonic counters, updated with relaxed atomics (they are statistics, not state).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) user_bytes: AtomicU64,
    pub(crate) wal_bytes: AtomicU64,
    pub(crate) writes: AtomicU64,
    pub(crate) flush_bytes: AtomicU64,
    pub(crate) flushes: AtomicU64,
    pub(crate) compaction_bytes: AtomicU64,
    pub(crate) compactions: AtomicU64,
    pub(crate) ingest_bytes: AtomicU64,
    pub(crate) ingests: AtomicU64,
    pub(crate) stall_micros: AtomicU64,
    pub(crate) stall_stops: AtomicU64,
    pub(crate) stall_slowdowns: AtomicU64,
    pub(crate) background_paced_micros: AtomicU64,
}

impl Counters {
    pub(crate) fn record_write(&self, user_bytes: usize, payload_bytes: usize) {
        self.user_bytes
            .fetch_add(user_bytes as u64, Ordering::Relaxed);
        self.wal_bytes.fetch_add(
            payload_bytes as u64 + WAL_RECORD_OVERHEAD_BYTES,
            Ordering::Relaxed,
        );
        self.writes.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_flush_bytes(&self, n: u64) {
        self.flush_bytes.fetch_add(n, Ordering::Relaxed);
        self.flushes.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_ingest_bytes(&self, n: u64) {
        self.ingest_bytes.fetch_add(n, Ordering::Relaxed);
        self.ingests.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_compaction_bytes(&self, n: u64) {
        self.compaction_bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// Files and bytes of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LevelStats {
    /// Tables in the level.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
}

/// A point-in-time report (counters since open).
#[derive(Debug, Clone, Default)]
pub struct DbStats {
    /// Per level, L0 first.
    pub levels: Vec<LevelStats>,
    /// Key + value bytes of acknowledged writes.
    pub user_bytes: u64,
    /// Bytes appended to the WAL (payload + record headers).
    pub wal_bytes: u64,
    /// Bytes of tables written by flushes.
    pub flush_bytes: u64,
    /// Bytes of tables written by compactions.
    pub compaction_bytes: u64,
    /// Bytes of tables written by direct bulk loads (`Backend::ingest`), which are not
    /// user writes: they count in no amplification.
    pub ingest_bytes: u64,
    /// Direct bulk loads.
    pub ingests: u64,
    /// (WAL + flush + compaction bytes) / user bytes; 0 before any write.
    pub write_amplification: f64,
    /// Acknowledged write batches.
    pub writes: u64,
    /// Flushes completed.
    pub flushes: u64,
    /// Compactions completed (including trivial moves).
    pub compactions: u64,
    /// Point lookups that consulted a live table's bloom filter.
    pub bloom_checks: u64,
    /// ... of which the filter said "absent" (a block read saved).
    pub bloom_useful: u64,
    /// `bloom_useful / bloom_checks`; 0 with no checks.
    pub bloom_effectiveness: f64,
    /// Read-ahead windows the live tables have read for scans and compactions (see
    /// [`crate::lsm::DbOptions::readahead_max_bytes`]). Like the bloom counters, a table's
    /// count leaves with it, so the windows a compaction read from its inputs are gone
    /// once it finishes.
    pub readahead_windows: u64,
    /// Time writers spent delayed or stopped, µs.
    pub stall_micros: u64,
    /// Writes that were stopped (blocked until background work caught up).
    pub stall_stops: u64,
    /// Writes that were slowed by the per-write delay.
    pub stall_slowdowns: u64,
    /// Time background flushes and compactions waited for the rate limiter, µs.
    pub background_paced_micros: u64,
    /// The background rate limiter's rate now, bytes per second (tuned, if it is auto-
    /// tuned); 0 without a limiter.
    pub background_rate_bytes_per_sec: u64,
    /// Bytes in the active memtable.
    pub memtable_bytes: usize,
    /// Bytes in frozen memtables waiting for flush.
    pub frozen_memtable_bytes: usize,
    /// Frozen memtables waiting for flush.
    pub frozen_memtables: usize,
    /// Highest visible sequence number.
    pub visible_seq: u64,
    /// Live snapshots.
    pub snapshots: usize,
    /// Block cache counters.
    pub block_cache: CacheStats,
    /// Bytes WAL recovery dropped when the database was opened (a torn tail, or, when the
    /// options allow it, lost synced data; `Db::wal_recovery_report` lists each range).
    pub wal_recovery_dropped_bytes: u64,
    /// Ranges WAL recovery dropped when the database was opened.
    pub wal_recovery_dropped_ranges: usize,
    /// Records the WAL had marked as synced that recovery dropped (only when the options
    /// allow it; a lower bound).
    pub wal_recovery_synced_records_lost: u64,
}

impl DbStats {
    /// A report from the counters, the state readers see now (`sv`) and the gauges the
    /// caller reads. Bloom counters cover tables live in `sv` (a table's counters go with
    /// it when compaction replaces it).
    pub(crate) fn gather(
        c: &Counters,
        sv: &SuperVersion,
        visible_seq: u64,
        snapshots: usize,
        block_cache: CacheStats,
        recovery: &RecoveryReport,
        background_rate_bytes_per_sec: u64,
    ) -> DbStats {
        let levels = sv
            .version
            .levels
            .iter()
            .map(|files| LevelStats {
                files: files.len(),
                bytes: files.iter().map(|f| f.meta.size_bytes).sum(),
            })
            .collect();
        let (mut checks, mut useful, mut windows) = (0, 0, 0);
        for f in sv.version.all_files() {
            let s = f.stats();
            checks += s.bloom_checks;
            useful += s.bloom_negatives;
            windows += s.readahead_windows;
        }
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let user = load(&c.user_bytes);
        let (wal, flush, comp) = (
            load(&c.wal_bytes),
            load(&c.flush_bytes),
            load(&c.compaction_bytes),
        );
        let ratio = |num: u64, den: u64| {
            if den == 0 {
                0.0
            } else {
                num as f64 / den as f64
            }
        };
        DbStats {
            levels,
            user_bytes: user,
            wal_bytes: wal,
            flush_bytes: flush,
            compaction_bytes: comp,
            ingest_bytes: load(&c.ingest_bytes),
            ingests: load(&c.ingests),
            write_amplification: ratio(wal + flush + comp, user),
            writes: load(&c.writes),
            flushes: load(&c.flushes),
            compactions: load(&c.compactions),
            bloom_checks: checks,
            bloom_useful: useful,
            bloom_effectiveness: ratio(useful, checks),
            readahead_windows: windows,
            stall_micros: load(&c.stall_micros),
            stall_stops: load(&c.stall_stops),
            stall_slowdowns: load(&c.stall_slowdowns),
            background_paced_micros: load(&c.background_paced_micros),
            background_rate_bytes_per_sec,
            memtable_bytes: sv.active.approximate_bytes(),
            frozen_memtable_bytes: sv.frozen.iter().map(|f| f.mem.approximate_bytes()).sum(),
            frozen_memtables: sv.frozen.len(),
            visible_seq,
            snapshots,
            block_cache,
            wal_recovery_dropped_bytes: recovery.dropped_bytes(),
            wal_recovery_dropped_ranges: recovery.dropped.len(),
            wal_recovery_synced_records_lost: recovery.synced_records_lost(),
        }
    }
}
