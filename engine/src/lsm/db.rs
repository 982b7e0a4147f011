//! [`Db`]: the engine's front door. Open (the steps are in `recovery`), the write path,
//! reads, snapshots, flush and manual compaction. The state it shares with the
//! background threads (`background`) is `state::DbInner`, where the lock order is.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use shale_io::GradualDeleteFs;
use shale_sstable::BlockCache;
use shale_wal::Wal;

use crate::backend::{BatchOp, Direction, KvIter, Snapshot, WriteBatch};
use crate::lsm::background;
use crate::lsm::batch_codec::{encode_batch, RECORD_KIND_BATCH};
use crate::lsm::entry::EntryKind;
use crate::lsm::error::LsmError;
use crate::lsm::handoff::SwitchCell;
use crate::lsm::log_tail::LogTail;
use crate::lsm::manifest::NUM_LEVELS;
use crate::lsm::memtable::Memtable;
use crate::lsm::merge::MergingIter;
use crate::lsm::options::DbOptions;
use crate::lsm::rate_limit::RateLimiter;
use crate::lsm::reclaim::Reclaimer;
use crate::lsm::recovery::{self, Replayed};
use crate::lsm::snapshots::SnapshotRegistry;
use crate::lsm::state::{io_err, wal_err, BgSignals};
use crate::lsm::stats::{Counters, DbStats};
use crate::lsm::version::{Frozen, SuperVersion};
use crate::lsm::version_set::VersionSet;
use crate::lsm::visibility::{Visibility, WaitError};
use crate::StorageError;

use crate::lsm::state::DbInner;

/// One wait slice of a stopped writer or a `flush()` caller: short, so a failure or
/// progress is noticed quickly.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(10);
/// Slices a stopped writer waits before giving up (≈ 2 minutes).
const MAX_STOP_WAIT_SLICES: u32 = 12_000;
/// Slices `flush()` waits for the background flush (≈ 10 minutes).
const MAX_FLUSH_WAIT_SLICES: u32 = 60_000;

/// The LSM engine. Implements [`crate::Backend`]; see the module docs of [`crate::lsm`].
///
/// Thread safety: `Send + Sync`; share it with `Arc` and call from any thread.
#[derive(Debug)]
pub struct Db {
    pub(crate) inner: Arc<DbInner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Retained history (commit log archive, restore bases); see `lsm::history`.
    pub(crate) history: Arc<crate::lsm::history::History>,
    /// The file system that deletes obsolete files gradually
    /// ([`DbOptions::gradual_delete`]), stopped by [`Db::close`].
    deleter: Option<Arc<GradualDeleteFs>>,
}

/// What a writer does before its write, given the background backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StallAction {
    Proceed,
    /// Sleep `slowdown_delay_micros` once, then look again.
    SlowDown,
    /// Wait until the backlog shrinks below the stop limits.
    Stop,
}

/// The write-stall rule. Writers stop at `l0_stop_files` L0 tables or
/// `max_immutable_memtables` frozen memtables, and slow down at `l0_slowdown_files`, or
/// with a memtable queue one short of its stop limit. One frozen memtable is the normal
/// state of every flush, so that never slows anything: the memtable slowdown exists only
/// when the limit is 3 or more (RocksDB draws the same line).
fn stall_action(opts: &DbOptions, l0_files: usize, frozen_memtables: usize) -> StallAction {
    let max_frozen = opts.max_immutable_memtables;
    if frozen_memtables >= max_frozen || l0_files >= opts.l0_stop_files {
        StallAction::Stop
    } else if l0_files >= opts.l0_slowdown_files
        || (max_frozen >= 3 && frozen_memtables + 1 >= max_frozen)
    {
        StallAction::SlowDown
    } else {
        StallAction::Proceed
    }
}

/// A caller waiting for background work ([`DbInner::waiting_for_background`]).
pub(crate) struct ForegroundWait<'a>(&'a DbInner);

impl Drop for ForegroundWait<'_> {
    fn drop(&mut self) {
        self.0.foreground_waiters.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The write path: what `Db`'s writes and `flush` run on the shared state.
impl DbInner {
    pub(crate) fn check_writable(&self) -> Result<(), StorageError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StorageError::Closed);
        }
        if self.poisoned.load(Ordering::Acquire) {
            return Err(StorageError::Poisoned);
        }
        Ok(())
    }

    /// Freezes the active memtable if it is full (or `force` and non-empty). Returns the
    /// frozen memtable's last sequence number if this call switched.
    pub(crate) fn maybe_switch(&self, force: bool) -> Option<u64> {
        let limit = self.opts.memtable_bytes;
        if !force {
            // Every write asks; almost always the answer is no. Decide that under the shared
            // lock, so writers do not serialise on the exclusive one just to look.
            let cur = self.sv.load();
            if cur.active.is_empty() || cur.active.approximate_bytes() < limit {
                return None;
            }
        }
        let switched = self.sv.swap_with(|cur| {
            let full = cur.active.approximate_bytes() >= limit;
            if cur.active.is_empty() || !(force || full) {
                return None;
            }
            // Exclusive lock: no writer is between taking its number and inserting, so
            // every number up to `last_assigned` is in this memtable or an older one.
            let last_seq = self.last_assigned.load(Ordering::SeqCst);
            let mut frozen = vec![Frozen {
                mem: cur.active.clone(),
                last_seq,
            }];
            frozen.extend(cur.frozen.iter().cloned());
            let next = SuperVersion {
                active: Arc::new(Memtable::with_budget_after(
                    self.opts.memtable_bytes,
                    last_seq,
                )),
                frozen,
                version: cur.version.clone(),
            };
            Some((next, last_seq))
        });
        if switched.is_some() {
            self.notify_bg();
        }
        switched
    }

    /// Whether background work is far enough behind that a write could be slowed: one
    /// more memtable frozen, and every frozen one flushed to L0, would slow or stop
    /// writers. `Db::writes_may_wait` and compaction pacing ask.
    pub(crate) fn has_write_backlog(&self) -> bool {
        let sv = self.sv.load();
        let frozen = sv.frozen.len() + 1;
        let l0 = sv.version.levels[0].len() + frozen;
        stall_action(&self.opts, l0, frozen) != StallAction::Proceed
    }

    /// Before a background flush or compaction writes `bytes` more: waits as the rate
    /// limiter says, unless writers have a backlog (then background work must catch up
    /// unpaced), a caller waits for background work ([`DbInner::waiting_for_background`]),
    /// or the engine is closing or poisoned (the rest of the job runs unpaced).
    pub(crate) fn pace_background(&self, bytes: u64) {
        if let Some(limiter) = &self.background_limiter {
            let waited = limiter.request(bytes, || {
                self.has_write_backlog()
                    || self.foreground_waiters.load(Ordering::Acquire) > 0
                    || self.closed.load(Ordering::Acquire)
                    || self.poisoned.load(Ordering::Acquire)
            });
            self.counters
                .background_paced_micros
                .fetch_add(waited, Ordering::Relaxed);
        }
    }

    /// Delays or blocks a writer while background work is behind (see module docs).
    fn stall(&self) -> Result<(), StorageError> {
        let mut stopped_since: Option<u64> = None;
        let mut slowed = false;
        for _ in 0..MAX_STOP_WAIT_SLICES {
            if self.poisoned.load(Ordering::Acquire) {
                return Err(StorageError::Poisoned);
            }
            let sv = self.sv.load();
            let l0 = sv.version.levels[0].len();
            let frozen = sv.frozen.len();
            drop(sv);
            let action = stall_action(&self.opts, l0, frozen);
            if action == StallAction::Stop {
                if stopped_since.is_none() {
                    stopped_since = Some(self.opts.clock.now_micros());
                    self.counters.stall_stops.fetch_add(1, Ordering::Relaxed);
                }
                let mut g = self.bg.lock();
                if g.shutdown {
                    return Err(StorageError::Closed);
                }
                self.bg_cv.wait_for(&mut g, WAIT_SLICE);
                continue;
            }
            if let Some(t0) = stopped_since {
                let dt = self.opts.clock.now_micros().saturating_sub(t0);
                self.counters.stall_micros.fetch_add(dt, Ordering::Relaxed);
                return Ok(());
            }
            if action == StallAction::SlowDown && !slowed {
                slowed = true;
                self.counters
                    .stall_slowdowns
                    .fetch_add(1, Ordering::Relaxed);
                self.counters
                    .stall_micros
                    .fetch_add(self.opts.slowdown_delay_micros, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(self.opts.slowdown_delay_micros));
                continue;
            }
            return Ok(());
        }
        let waited_ms = stopped_since.map_or(0, |t0| {
            self.opts.clock.now_micros().saturating_sub(t0) / 1000
        });
        Err(LsmError::WriteStallTimeout { waited_ms }.into())
    }

    pub(crate) fn write(&self, batch: &WriteBatch) -> Result<u64, StorageError> {
        self.check_writable()?;
        batch.check_limits()?;
        self.stall()?;
        self.maybe_switch(false);
        let payload = encode_batch(batch);
        let (lsn, seq) = {
            let guard = self.sv.write_guard();
            let lsn = match self.wal.append_nowait(RECORD_KIND_BATCH, &payload) {
                Ok(lsn) => lsn,
                Err(e) => {
                    if self.wal.is_poisoned() {
                        self.poison();
                    }
                    return Err(wal_err(e));
                }
            };
            let seq = lsn + self.seq_offset;
            for op in batch.ops() {
                match op {
                    BatchOp::Put { key, value } => {
                        guard.active.insert(key, seq, EntryKind::Put, value)
                    }
                    BatchOp::Delete { key } => {
                        guard.active.insert(key, seq, EntryKind::Delete, &[])
                    }
                    BatchOp::LogData { .. } => {}
                }
            }
            // Before the batch is published as visible (see `log_tail`'s invariants).
            if batch
                .ops()
                .iter()
                .any(|op| matches!(op, BatchOp::LogData { .. }))
            {
                let now = self.opts.clock.now_micros();
                self.log_tail.lock().record(seq, now, batch);
            }
            self.last_assigned.fetch_max(seq, Ordering::SeqCst);
            (lsn, seq)
        };
        if let Err(e) = self.wal.wait_durable(lsn) {
            // The batch is in the memtable but will never be visible: nothing above it
            // can be published, so the engine must stop accepting writes.
            self.poison();
            return Err(wal_err(e));
        }
        self.visibility.complete(seq);
        match self.visibility.wait_visible(seq) {
            Ok(()) => {}
            Err(WaitError::Failed) => return Err(StorageError::Poisoned),
            Err(WaitError::TimedOut) => {
                self.poison();
                return Err(StorageError::Poisoned);
            }
        }
        self.counters
            .record_write(batch.payload_bytes(), payload.len());
        Ok(seq)
    }

    /// Marks a caller as waiting for background work until the guard drops: flushes and
    /// compactions stop pacing meanwhile (a checkpoint or backup waiting for a flush,
    /// `compact_range` for the compaction lock, should not wait at the paced rate).
    pub(crate) fn waiting_for_background(&self) -> ForegroundWait<'_> {
        self.foreground_waiters.fetch_add(1, Ordering::AcqRel);
        ForegroundWait(self)
    }

    /// Forces a memtable switch and waits until everything written so far is in tables.
    pub(crate) fn flush(&self) -> Result<(), StorageError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StorageError::Closed);
        }
        let _waiting = self.waiting_for_background();
        self.maybe_switch(true);
        let target = self.sv.load().frozen.first().map(|f| f.last_seq);
        let Some(target) = target else { return Ok(()) };
        for _ in 0..MAX_FLUSH_WAIT_SLICES {
            if self.poisoned.load(Ordering::Acquire) {
                return Err(StorageError::Poisoned);
            }
            if self.flushed_seq.load(Ordering::Acquire) >= target {
                return Ok(());
            }
            let mut g = self.bg.lock();
            if g.shutdown {
                return Err(StorageError::Closed);
            }
            self.bg_cv.wait_for(&mut g, WAIT_SLICE);
        }
        Err(LsmError::WriteStallTimeout {
            waited_ms: u64::from(MAX_FLUSH_WAIT_SLICES) * WAIT_SLICE.as_millis() as u64,
        }
        .into())
    }
}

impl Db {
    /// Opens (creating if needed) the database in `opts.dir`, recovers it from the manifest
    /// and the WAL, and starts the background flush and compaction threads.
    ///
    /// # Errors
    /// I/O failure; [`StorageError::Corruption`] for a damaged manifest, table or
    /// `CURRENT`; [`LsmError::WalGap`] if the WAL does not cover the unflushed writes;
    /// [`LsmError::CorruptBatch`] for an unparseable WAL record;
    /// [`StorageError::InvalidOptions`].
    pub fn open(opts: DbOptions) -> Result<Db, StorageError> {
        opts.validate()?;
        let (opts, deleter) = Self::with_deleter(opts)?;
        let mut found = recovery::recover_manifest(&opts)?;
        let cache = BlockCache::new(opts.block_cache_bytes);
        let version = recovery::open_tables(&opts, &found.state, &cache)?;
        let wal = recovery::open_wal(&opts)?;
        recovery::check_interrupted_creation(&opts, &found, &wal)?;
        let replayed = recovery::replay_wal(&wal, &found.state, opts.memtable_bytes)?;
        let manifest = recovery::roll_manifest(&opts, &mut found, replayed.seq_offset)?;
        let vs = VersionSet {
            manifest,
            state: found.state,
            current: Arc::new(version),
            cursors: vec![Vec::new(); NUM_LEVELS],
        };
        let inner = Self::shared_state(opts, cache, wal, replayed, vs);
        Self::start(Arc::new(inner), deleter)
    }

    /// `opts` with its file system wrapped to delete gradually, if asked for; every
    /// removal the engine and its WAL make then goes through it.
    fn with_deleter(
        mut opts: DbOptions,
    ) -> Result<(DbOptions, Option<Arc<GradualDeleteFs>>), StorageError> {
        let Some(gradual) = opts.gradual_delete else {
            return Ok((opts, None));
        };
        let deleter = GradualDeleteFs::new(opts.fs.clone(), gradual)
            .map_err(io_err("spawn thread", &opts.dir))?;
        opts.fs = deleter.clone();
        Ok((opts, Some(deleter)))
    }

    /// The state the handle and the background threads share, from what recovery found.
    fn shared_state(
        opts: DbOptions,
        cache: Arc<BlockCache>,
        wal: Wal,
        replayed: Replayed,
        vs: VersionSet,
    ) -> DbInner {
        let Replayed {
            mem,
            seq_offset,
            last_seq,
        } = replayed;
        DbInner {
            sv: SwitchCell::new(SuperVersion {
                active: Arc::new(mem),
                frozen: Vec::new(),
                version: vs.current.clone(),
            }),
            visibility: Visibility::new(last_seq),
            last_assigned: AtomicU64::new(last_seq),
            seq_offset,
            snapshots: Arc::new(SnapshotRegistry::default()),
            vs: Mutex::new(vs),
            strategy: opts.strategy(),
            compaction_lock: Mutex::new(()),
            bg: Mutex::new(BgSignals::default()),
            bg_cv: Condvar::new(),
            poisoned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            cache,
            counters: Counters::default(),
            reclaimer: Reclaimer::default(),
            log_tail: Mutex::new(LogTail::new(last_seq, opts.log_tail_bytes)),
            flushed_seq: AtomicU64::new(0),
            foreground_waiters: std::sync::atomic::AtomicUsize::new(0),
            background_limiter: opts
                .background_rate_limit
                .map(|l| RateLimiter::new(l, opts.clock.clone())),
            wal,
            opts,
        }
    }

    /// The last step of open: history, then the background flush and compaction threads.
    fn start(
        inner: Arc<DbInner>,
        deleter: Option<Arc<GradualDeleteFs>>,
    ) -> Result<Db, StorageError> {
        let history = Arc::new(crate::lsm::history::History::recover(&inner)?);
        let threads = background::spawn(&inner).map_err(io_err("spawn thread", &inner.opts.dir))?;
        let db = Db {
            inner,
            threads: Mutex::new(threads),
            history,
            deleter,
        };
        if let Some(retention) = db.inner.opts.history_retention {
            db.history.set_retention(&db.inner, Some(retention))?;
        }
        Ok(db)
    }

    /// Reads `key` at `snapshot` (or the latest visible state).
    ///
    /// # Errors
    /// I/O failure or corruption in a table.
    pub fn get(
        &self,
        key: &[u8],
        snapshot: Option<&Snapshot>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        // Read the sequence before loading the state: any write at or below it is in a
        // memtable or table of every state published from now on.
        let seq = snapshot.map_or_else(|| self.inner.visibility.visible(), Snapshot::seq);
        let sv = self.inner.sv.load();
        Ok(sv
            .get(key, seq)?
            .filter(|e| e.kind == EntryKind::Put)
            .map(|e| e.value))
    }

    /// Iterates `(start, end)` in `direction` at `snapshot` (or a snapshot taken now).
    ///
    /// # Errors
    /// None at creation today (tables are positioned lazily); errors surface as an `Err`
    /// item from the iterator.
    pub fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
        snapshot: Option<&Snapshot>,
    ) -> Result<KvIter, StorageError> {
        let snapshot = match snapshot {
            Some(s) => s.clone(),
            None => self.snapshot(),
        };
        let sv = self.inner.sv.load();
        let sources = sv.sources(&start, &end, direction);
        let seq = snapshot.seq();
        Ok(Box::new(
            MergingIter::new(sources, start, end, direction, seq).pin(snapshot),
        ))
    }

    /// A snapshot of the latest visible state; compaction keeps what it needs until dropped.
    pub fn snapshot(&self) -> Snapshot {
        let inner = &self.inner;
        inner.snapshots.take(|| inner.visibility.visible())
    }

    /// Applies `batch` atomically; returns its sequence number once durable per the
    /// durability mode and visible.
    ///
    /// # Errors
    /// WAL failure (the engine is then poisoned), [`StorageError::Poisoned`],
    /// [`StorageError::Closed`], [`LsmError::WriteStallTimeout`].
    pub fn write(&self, batch: WriteBatch) -> Result<u64, StorageError> {
        self.inner.write(&batch)
    }

    /// Sets one key.
    ///
    /// # Errors
    /// As [`Db::write`].
    pub fn put(&self, key: &[u8], value: &[u8]) -> Result<u64, StorageError> {
        let mut b = WriteBatch::new();
        b.put(key, value);
        self.write(b)
    }

    /// Deletes one key.
    ///
    /// # Errors
    /// As [`Db::write`].
    pub fn delete(&self, key: &[u8]) -> Result<u64, StorageError> {
        let mut b = WriteBatch::new();
        b.delete(key);
        self.write(b)
    }

    /// Freezes the memtable and waits until it is an L0 table.
    ///
    /// # Errors
    /// [`StorageError::Poisoned`] if background work failed, [`StorageError::Closed`].
    pub fn flush(&self) -> Result<(), StorageError> {
        self.inner.flush()
    }

    /// Syncs the WAL: every acknowledged write becomes durable.
    ///
    /// # Errors
    /// WAL failure (then poisoned).
    pub fn sync_wal(&self) -> Result<(), StorageError> {
        self.inner.wal.sync().map_err(|e| {
            if self.inner.wal.is_poisoned() {
                self.inner.poison();
            }
            wal_err(e)
        })
    }

    /// Drops, on this thread and now, the retired memtables and replaced tables no reader
    /// holds any more (deleting those tables' files). The background threads do this
    /// when they wake unless `DbOptions::background_reclaim` is off; then only this call
    /// and `compact_range` do. Returns how many it dropped.
    pub fn reclaim(&self) -> usize {
        self.inner.reclaimer.collect()
    }

    /// Flushes, then compacts every level's tables overlapping `[start, end]` (`None` =
    /// unbounded) down the tree, level by level.
    ///
    /// # Errors
    /// As [`Db::flush`], plus table I/O failures (which poison).
    pub fn compact_range(
        &self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
    ) -> Result<(), StorageError> {
        self.flush()?;
        background::compact_range(&self.inner, start, end)
    }

    /// Stops background threads (joining them) and syncs the WAL. Idempotent (a second call
    /// returns `Ok`). Later writes return [`StorageError::Closed`].
    ///
    /// # Errors
    /// The final WAL sync failed, or [`StorageError::Poisoned`]: an earlier failure means
    /// writes acknowledged without a sync (`Buffered`, `None`) may not be durable.
    pub fn close(&self) -> Result<(), StorageError> {
        if self.inner.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        {
            let mut g = self.inner.bg.lock();
            g.shutdown = true;
            self.inner.bg_cv.notify_all();
        }
        self.history.stop_worker();
        for t in self.threads.lock().drain(..) {
            let _ = t.join();
        }
        // Deletes what the background work left waiting, without pauses.
        if let Some(d) = &self.deleter {
            d.shutdown();
        }
        if self.inner.poisoned.load(Ordering::Acquire) {
            // Nothing more can be synced; say so rather than report a clean close.
            return Err(StorageError::Poisoned);
        }
        self.inner.wal.sync().map_err(wal_err)
    }

    /// Whether a write issued now might wait for more than its own work: for an
    /// fdatasync (`Durability::Sync`), or for background work, i.e. unless it would
    /// proceed even after one more memtable froze and every frozen one reached L0.
    /// A caller that must not block (an event loop serving many connections) runs a
    /// write itself only when this is false. Between this check and the write, a backlog
    /// can only begin if other writers fill a whole memtable, and it then takes a
    /// second one to slow anything down, so a write that found none meets at most its
    /// own group commit's `write(2)` and the memtable's locks.
    pub fn writes_may_wait(&self) -> bool {
        let inner = &self.inner;
        matches!(inner.opts.durability, shale_wal::Durability::Sync) || inner.has_write_backlog()
    }

    /// Whether an earlier failure poisoned the engine.
    pub fn is_poisoned(&self) -> bool {
        self.inner.poisoned.load(Ordering::Acquire)
    }

    /// The highest visible sequence number.
    pub fn visible_seq(&self) -> u64 {
        self.inner.visibility.visible()
    }

    /// Current statistics. Bloom counters cover tables live now (a table's counters go
    /// with it when compaction replaces it).
    pub fn stats(&self) -> DbStats {
        let inner = &self.inner;
        let sv = inner.sv.load();
        DbStats::gather(
            &inner.counters,
            &sv,
            inner.visibility.visible(),
            inner.snapshots.len(),
            inner.cache.stats(),
            inner.wal.recovery_report(),
            inner
                .background_limiter
                .as_ref()
                .map_or(0, RateLimiter::rate),
        )
    }

    /// What WAL recovery dropped when this database was opened, range by range (each was
    /// also logged at WARN). Empty after a clean shutdown.
    pub fn wal_recovery_report(&self) -> &shale_wal::RecoveryReport {
        self.inner.wal.recovery_report()
    }

    /// Whether WAL appends are being copied into a map of the active segment
    /// ([`DbOptions::wal_mmap_appends`]; a recovered segment is appended to with `pwrite`
    /// until the first roll).
    pub fn wal_appends_mapped(&self) -> bool {
        self.inner.wal.appends_mapped()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(max_frozen: usize) -> DbOptions {
        let mut o = DbOptions::new("/unused");
        o.max_immutable_memtables = max_frozen;
        o.l0_slowdown_files = 20;
        o.l0_stop_files = 36;
        o
    }

    #[test]
    fn one_frozen_memtable_never_slows_writers() {
        for max in 2..6 {
            assert_eq!(stall_action(&opts(max), 0, 0), StallAction::Proceed);
            assert_eq!(
                stall_action(&opts(max), 0, 1),
                StallAction::Proceed,
                "max {max}"
            );
        }
    }

    #[test]
    fn memtable_queue_slows_one_short_of_the_limit_then_stops() {
        let o = opts(4);
        assert_eq!(stall_action(&o, 0, 2), StallAction::Proceed);
        assert_eq!(stall_action(&o, 0, 3), StallAction::SlowDown);
        assert_eq!(stall_action(&o, 0, 4), StallAction::Stop);
        // With a limit of 2 there is no middle ground: proceed, then stop.
        assert_eq!(stall_action(&opts(2), 0, 2), StallAction::Stop);
    }

    #[test]
    fn l0_files_slow_down_then_stop() {
        let o = opts(4);
        assert_eq!(stall_action(&o, 19, 0), StallAction::Proceed);
        assert_eq!(stall_action(&o, 20, 0), StallAction::SlowDown);
        assert_eq!(stall_action(&o, 35, 0), StallAction::SlowDown);
        assert_eq!(stall_action(&o, 36, 0), StallAction::Stop);
    }
}
