//! [`Db`]: the engine's front door. Open/recovery, the write path, reads, snapshots,
//! flush and manual compaction. Background work is in [`super::background`].
//!
//! Lock order (outer first): `compaction_lock` → `vs` → the switch cell's exclusive lock
//! → `bg`. Writers take only the switch cell's shared lock (and the WAL's own mutex
//! inside it); readers take nothing but a brief `load`.

use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use shale_io::FileSystem;
use shale_sstable::{BlockCache, TableOptions};
use shale_wal::{Preallocation, Wal, WalOptions};

use crate::backend::{Backend, BatchOp, Direction, KvIter, Snapshot, WriteBatch};
use crate::lsm::batch_codec::{decode_batch, encode_batch, RECORD_KIND_BATCH};
use crate::lsm::compaction_pick::PickPolicy;
use crate::lsm::entry::EntryKind;
use crate::lsm::handoff::SwitchCell;
use crate::lsm::manifest::{
    self, LevelsState, ManifestWriter, CURRENT_FILE, MAX_COUNTER, NUM_LEVELS,
};
use crate::lsm::memtable::Memtable;
use crate::lsm::merge::MergingIter;
use crate::lsm::options::DbOptions;
use crate::lsm::snapshots::SnapshotRegistry;
use crate::lsm::stats::Counters;
use crate::lsm::table_file::{parse_table_name, TableFile};
use crate::lsm::version::{Frozen, SuperVersion, Version};
use crate::lsm::visibility::{Visibility, WaitError};
use crate::StorageError;

/// One wait slice of a stopped writer or a `flush()` caller: short, so a failure or
/// progress is noticed quickly.
pub(crate) const WAIT_SLICE: Duration = Duration::from_millis(10);
/// Slices a stopped writer waits before giving up (≈ 2 minutes).
const MAX_STOP_WAIT_SLICES: u32 = 12_000;
/// Slices `flush()` waits for the background flush (≈ 10 minutes).
const MAX_FLUSH_WAIT_SLICES: u32 = 60_000;

/// The version set: the manifest and the state it describes. Guarded by `DbInner::vs`.
#[derive(Debug)]
pub(crate) struct VersionSet {
    pub(crate) manifest: ManifestWriter,
    pub(crate) state: LevelsState,
    pub(crate) current: Arc<Version>,
    /// Per level, the largest key last compacted out of it (round-robin picking).
    pub(crate) cursors: Vec<Vec<u8>>,
}

impl VersionSet {
    /// A fresh file number.
    pub(crate) fn next_file_number(&mut self) -> u64 {
        let n = self.state.next_file_number;
        self.state.next_file_number += 1;
        n
    }
}

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
    /// Serialises compactions (background and manual).
    pub(crate) compaction_lock: Mutex<()>,
    pub(crate) bg: Mutex<BgSignals>,
    pub(crate) bg_cv: Condvar,
    pub(crate) poisoned: AtomicBool,
    pub(crate) closed: AtomicBool,
    pub(crate) cache: Arc<BlockCache>,
    pub(crate) counters: Counters,
    /// Flushed memtables and replaced tables, dropped by background threads.
    pub(crate) reclaimer: crate::lsm::reclaim::Reclaimer,
}

/// The LSM engine. Implements [`Backend`]; see the module docs of [`crate::lsm`].
///
/// Thread safety: `Send + Sync`; share it with `Arc` and call from any thread.
#[derive(Debug)]
pub struct Db {
    pub(crate) inner: Arc<DbInner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

pub(crate) fn wal_err(e: shale_wal::Error) -> StorageError {
    match e {
        shale_wal::Error::Poisoned => StorageError::Poisoned,
        other => StorageError::Wal(other),
    }
}

fn io_err(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { op, path, source }
}

fn validate(opts: &DbOptions) -> Result<(), StorageError> {
    let bad = |reason| Err(StorageError::InvalidOptions { reason });
    if opts.memtable_bytes == 0 {
        return bad("memtable_bytes must be positive");
    }
    if opts.max_immutable_memtables == 0 {
        return bad("max_immutable_memtables must be at least 1");
    }
    if !(opts.l0_compaction_trigger <= opts.l0_slowdown_files
        && opts.l0_slowdown_files <= opts.l0_stop_files)
    {
        return bad("need l0_compaction_trigger <= l0_slowdown_files <= l0_stop_files");
    }
    if opts.l0_compaction_trigger == 0 {
        return bad("l0_compaction_trigger must be at least 1");
    }
    if opts.level_ratio < 2 || opts.level_base_bytes == 0 || opts.target_file_bytes == 0 {
        return bad("level_ratio must be >= 2 and sizes positive");
    }
    Ok(())
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

    pub(crate) fn pick_policy(&self) -> PickPolicy {
        PickPolicy {
            l0_trigger: self.opts.l0_compaction_trigger,
            level_base_bytes: self.opts.level_base_bytes,
            level_ratio: self.opts.level_ratio,
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

    fn check_writable(&self) -> Result<(), StorageError> {
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
                active: Arc::new(Memtable::with_budget(self.opts.memtable_bytes)),
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
        Err(StorageError::WriteStallTimeout { waited_ms })
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
                }
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

    /// Forces a memtable switch and waits until everything written so far is in tables.
    pub(crate) fn flush(&self) -> Result<(), StorageError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StorageError::Closed);
        }
        self.maybe_switch(true);
        let target = self.sv.load().frozen.first().map(|f| f.last_seq);
        let Some(target) = target else { return Ok(()) };
        for _ in 0..MAX_FLUSH_WAIT_SLICES {
            if self.poisoned.load(Ordering::Acquire) {
                return Err(StorageError::Poisoned);
            }
            if !self.sv.load().frozen.iter().any(|f| f.last_seq <= target) {
                return Ok(());
            }
            let mut g = self.bg.lock();
            if g.shutdown {
                return Err(StorageError::Closed);
            }
            self.bg_cv.wait_for(&mut g, WAIT_SLICE);
        }
        Err(StorageError::WriteStallTimeout {
            waited_ms: u64::from(MAX_FLUSH_WAIT_SLICES) * WAIT_SLICE.as_millis() as u64,
        })
    }
}

impl Db {
    /// Opens (creating if needed) the database in `opts.dir`, recovers it from the manifest
    /// and the WAL, and starts the background flush and compaction threads.
    ///
    /// # Errors
    /// I/O failure; [`StorageError::Corruption`] for a damaged manifest, table or
    /// `CURRENT`; [`StorageError::WalGap`] if the WAL does not cover the unflushed writes;
    /// [`StorageError::CorruptBatch`] for an unparseable WAL record;
    /// [`StorageError::InvalidOptions`].
    pub fn open(opts: DbOptions) -> Result<Db, StorageError> {
        validate(&opts)?;
        let fs = opts.fs.clone();
        let dir = opts.dir.clone();
        fs.create_dir_all(&dir)
            .map_err(io_err("create dir", &dir))?;
        let names = fs.list_dir(&dir).map_err(io_err("list dir", &dir))?;
        let has_current = names.iter().any(|n| n == CURRENT_FILE);
        let (mut state, old_manifest) = if has_current {
            let (s, n) = manifest::load(fs.as_ref(), &dir)?;
            (s, Some(n))
        } else {
            if names
                .iter()
                .any(|n| n.starts_with("MANIFEST-") || parse_table_name(n).is_some())
            {
                return Err(StorageError::Corruption {
                    file: dir.join(CURRENT_FILE),
                    offset: 0,
                    reason: "CURRENT is missing but the directory holds tables or manifests",
                });
            }
            (LevelsState::default(), None)
        };
        // File numbers never collide with leftovers of a crashed flush or compaction.
        let max_on_disk = names
            .iter()
            .filter_map(|n| parse_table_name(n))
            .max()
            .unwrap_or(0);
        if max_on_disk >= MAX_COUNTER {
            return Err(StorageError::Corruption {
                file: dir.join(format!("{max_on_disk}.sst")),
                offset: 0,
                reason: "table file number beyond the range the engine writes",
            });
        }
        state.next_file_number = state.next_file_number.max(max_on_disk + 1);

        let cache = BlockCache::new(opts.block_cache_bytes);
        let mut version = Version::default();
        for (level, files) in state.levels.iter().enumerate() {
            for meta in files {
                let tf = TableFile::open(&fs, &dir, meta.clone(), Some(cache.clone()))?;
                version.levels[level].push(tf);
            }
        }

        let mut wal_opts = WalOptions::new(opts.wal_dir(), fs.clone(), opts.clock.clone());
        wal_opts.durability = opts.durability;
        wal_opts.segment_size_bytes = opts.wal_segment_bytes;
        wal_opts.archive = opts.archive_wal;
        // Zero-filled segments make each fdatasync cheaper (no allocation metadata to
        // commit), which only pays when writes wait for one. Otherwise writing a
        // segment's worth of zeros per roll just doubles the WAL's write traffic.
        wal_opts.preallocation = match opts.durability {
            shale_wal::Durability::Sync => Preallocation::Zeroed,
            _ => Preallocation::SetLen,
        };
        let wal = Wal::open(wal_opts).map_err(wal_err)?;

        let flushed = state.last_flushed_seq;
        let mut seq_offset = state.seq_offset;
        let wal_last = wal.last_lsn();
        if wal_last + seq_offset < flushed {
            if wal_last == 0 {
                // A fresh WAL under existing tables (a checkpoint): number above them.
                seq_offset = flushed;
            } else {
                return Err(StorageError::WalGap {
                    flushed_seq: flushed,
                    wal_next_seq: wal_last + seq_offset + 1,
                });
            }
        }
        let mem = Memtable::with_budget(opts.memtable_bytes);
        let from_lsn = flushed.saturating_sub(seq_offset) + 1;
        if wal_last >= from_lsn {
            let mut expected = from_lsn;
            for rec in wal.read_from_lsn(from_lsn).map_err(wal_err)? {
                let rec = rec.map_err(wal_err)?;
                if rec.lsn != expected {
                    return Err(StorageError::WalGap {
                        flushed_seq: expected + seq_offset - 1,
                        wal_next_seq: rec.lsn + seq_offset,
                    });
                }
                if rec.kind != RECORD_KIND_BATCH {
                    return Err(StorageError::CorruptBatch {
                        lsn: rec.lsn,
                        reason: "unknown WAL record kind",
                    });
                }
                let batch =
                    decode_batch(&rec.payload).map_err(|reason| StorageError::CorruptBatch {
                        lsn: rec.lsn,
                        reason,
                    })?;
                let seq = rec.lsn + seq_offset;
                for op in batch.ops() {
                    match op {
                        BatchOp::Put { key, value } => mem.insert(key, seq, EntryKind::Put, value),
                        BatchOp::Delete { key } => mem.insert(key, seq, EntryKind::Delete, &[]),
                    }
                }
                expected += 1;
                if expected > wal_last {
                    break;
                }
            }
            if expected != wal_last + 1 {
                return Err(StorageError::WalGap {
                    flushed_seq: expected + seq_offset - 1,
                    wal_next_seq: wal_last + seq_offset + 1,
                });
            }
        }
        let last_seq = (wal_last + seq_offset).max(flushed);

        state.seq_offset = seq_offset;
        let manifest_number = state.next_file_number;
        state.next_file_number += 1;
        let manifest =
            ManifestWriter::create(fs.clone(), &dir, manifest_number, &state, old_manifest)?;
        remove_orphans(fs.as_ref(), &dir, &state, manifest_number)?;

        let inner = Arc::new(DbInner {
            sv: SwitchCell::new(SuperVersion {
                active: Arc::new(mem),
                frozen: Vec::new(),
                version: Arc::new(version.clone()),
            }),
            visibility: Visibility::new(last_seq),
            last_assigned: AtomicU64::new(last_seq),
            seq_offset,
            snapshots: Arc::new(SnapshotRegistry::default()),
            vs: Mutex::new(VersionSet {
                manifest,
                state,
                current: Arc::new(version),
                cursors: vec![Vec::new(); NUM_LEVELS],
            }),
            compaction_lock: Mutex::new(()),
            bg: Mutex::new(BgSignals::default()),
            bg_cv: Condvar::new(),
            poisoned: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            cache,
            counters: Counters::default(),
            reclaimer: crate::lsm::reclaim::Reclaimer::default(),
            wal,
            opts,
        });
        let threads = super::background::spawn(&inner).map_err(io_err("spawn thread", &dir))?;
        Ok(Db {
            inner,
            threads: Mutex::new(threads),
        })
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
    /// [`StorageError::Closed`], [`StorageError::WriteStallTimeout`].
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
        super::background::compact_range(&self.inner, start, end)
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
        for t in self.threads.lock().drain(..) {
            let _ = t.join();
        }
        if self.inner.poisoned.load(Ordering::Acquire) {
            // Nothing more can be synced; say so rather than report a clean close.
            return Err(StorageError::Poisoned);
        }
        self.inner.wal.sync().map_err(wal_err)
    }

    /// Whether an earlier failure poisoned the engine.
    pub fn is_poisoned(&self) -> bool {
        self.inner.poisoned.load(Ordering::Acquire)
    }

    /// The highest visible sequence number.
    pub fn visible_seq(&self) -> u64 {
        self.inner.visibility.visible()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Deletes tables not in `state`, stale manifests and temp files: leftovers of a crash
/// mid-flush, mid-compaction or mid-manifest-switch.
fn remove_orphans(
    fs: &dyn FileSystem,
    dir: &Path,
    state: &LevelsState,
    manifest_number: u64,
) -> Result<(), StorageError> {
    let names = fs.list_dir(dir).map_err(io_err("list dir", dir))?;
    let live: std::collections::BTreeSet<u64> =
        state.levels.iter().flatten().map(|f| f.number).collect();
    let mut removed = false;
    for name in names {
        let orphan = match parse_table_name(&name) {
            Some(n) => !live.contains(&n),
            None => {
                (name.starts_with("MANIFEST-") && name != manifest::manifest_name(manifest_number))
                    || name == "CURRENT.tmp"
            }
        };
        if orphan {
            let p = dir.join(&name);
            fs.remove_file(&p).map_err(io_err("remove orphan", &p))?;
            removed = true;
        }
    }
    if removed {
        fs.sync_dir(dir).map_err(io_err("sync dir", dir))?;
    }
    Ok(())
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

    fn stats(&self) -> Option<crate::lsm::DbStats> {
        Some(Db::stats(self))
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
