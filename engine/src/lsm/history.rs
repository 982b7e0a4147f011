//! History retention: what the LSM keeps so that the commit log reaches back, and past
//! states can be rebuilt, for a retention period ([`crate::Backend::set_history_retention`]).
//!
//! History is two things, both under the database directory:
//! - the WAL's archive (`wal/archive/`): released WAL segments are moved there instead
//!   of deleted while retention is on, so the commit log is complete from the oldest
//!   base on;
//! - restore bases (`history/base-<time>/`): checkpoints of the flushed state, each
//!   valid from its `<time>` (the clock's microseconds when it was taken, 20 digits). A
//!   base's own manifest says which WAL position it ends at.
//!
//! A past view at time `t` opens a copy (hard links) of the newest base taken at or
//! before `t` in `history/view-<n>/` and replays the commit log after the base up to the
//! last batch committed at or before `t`. A checkpoint's view
//! ([`crate::Backend::open_checkpoint`]) opens a copy of the checkpoint in a view
//! directory of the same kind ([`History::link_scratch`]), so the one cleanup at open
//! covers both. Bases are taken when retention is turned on and then every
//! `history_base_interval` (which bounds a view's replay); trimming keeps the newest
//! base at or before `now - retention` and everything after it.
//!
//! Invariants:
//! - every base in `bases` has a `CURRENT` (a crash mid-base leaves a directory without
//!   one, removed at the next open);
//! - the WAL holds every record after the oldest base's WAL position (archiving is on
//!   whenever a base exists, and the archive is purged only below the oldest base);
//! - bases are sorted by time, strictly increasing.
//!
//! The retention period itself is not stored: it is set at open
//! ([`crate::lsm::DbOptions::history_retention`]) or at run time. A directory with bases
//! but no retention set keeps archiving and trims nothing, so no history is lost before
//! its owner says how much it wants.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use shale_io::FileSystem;

use crate::backend::{CommitLogIter, CommittedBatch, HistoryBounds};
use crate::lsm::batch_codec::{decode_batch, RECORD_KIND_BATCH};
use crate::lsm::checkpoint::checkpoint_flushed;
use crate::lsm::error::LsmError;
use crate::lsm::manifest::{self, CURRENT_FILE};
use crate::lsm::state::DbInner;
use crate::StorageError;

/// The history directory under the database directory.
pub(crate) const HISTORY_DIR: &str = "history";
const BASE_PREFIX: &str = "base-";
const VIEW_PREFIX: &str = "view-";
/// Longest the maintenance thread sleeps between checks (it also wakes on stop).
const MAX_CHECK_INTERVAL: Duration = Duration::from_secs(60);

/// Where a past view starts: its directory (a linked copy of a base) and the first
/// sequence number to replay onto it.
#[derive(Debug)]
pub(crate) struct ViewPlan {
    pub(crate) dir: PathBuf,
    pub(crate) from_seq: u64,
}

/// One restore base.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Base {
    dir: PathBuf,
    /// Views at or after this commit time may start from this base.
    time_micros: u64,
    /// The last WAL LSN the base holds; replay starts after it.
    wal_lsn: u64,
    /// The last sequence number the base holds.
    seq: u64,
    /// Taken right after a direct bulk load ([`History::rebase_after_ingest`]) in this
    /// process; the next load's base replaces it.
    after_load: bool,
}

#[derive(Debug, Default)]
struct HistoryState {
    retention: Option<Duration>,
    /// Oldest first; times strictly increasing.
    bases: Vec<Base>,
    /// Directories of bases a later load's base replaced, deleted by the next
    /// maintenance step: deleting one may free tables only it still held, which cost a
    /// restore's loads milliseconds each. One a crash leaves is loaded again at open as a
    /// base, which it still is (a checkpoint valid from its time), and trimmed as one.
    retired: Vec<PathBuf>,
}

/// The LSM's retained history. Shared by the handle and the maintenance thread.
#[derive(Debug, Default)]
pub(crate) struct History {
    state: Mutex<HistoryState>,
    next_view: AtomicU64,
    /// A failure of background maintenance, reported by the next history call.
    failed: Mutex<Option<StorageError>>,
    worker: Mutex<Option<Worker>>,
}

#[derive(Debug)]
struct Worker {
    stop: Arc<(Mutex<bool>, Condvar)>,
    handle: JoinHandle<()>,
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { op, path, source }
}

fn duration_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn base_name(time_micros: u64) -> String {
    format!("{BASE_PREFIX}{time_micros:020}")
}

fn parse_base_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(BASE_PREFIX)?;
    (digits.len() == 20 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

impl History {
    /// Loads the bases a previous run left, removing views and incomplete bases, and
    /// turns WAL archiving on if any base exists (see the module docs).
    pub(crate) fn recover(inner: &DbInner) -> Result<History, StorageError> {
        let fs = inner.fs().clone();
        let dir = inner.opts.dir.join(HISTORY_DIR);
        let mut bases = Vec::new();
        if fs.exists(&dir).map_err(io("stat", &dir))? {
            let mut names = fs.list_dir(&dir).map_err(io("list dir", &dir))?;
            names.sort();
            for name in names {
                let path = dir.join(&name);
                let complete = fs
                    .exists(&path.join(CURRENT_FILE))
                    .map_err(io("stat", &path))?;
                match parse_base_name(&name) {
                    Some(time_micros) if complete => {
                        bases.push(load_base(fs.as_ref(), path, time_micros)?);
                    }
                    // A view of an earlier run, or a base a crash interrupted.
                    _ => fs.remove_dir_all(&path).map_err(io("remove", &path))?,
                }
            }
        }
        if !bases.is_empty() {
            inner.wal.set_archive(true)?;
        }
        Ok(History {
            state: Mutex::new(HistoryState {
                retention: None,
                bases,
                retired: Vec::new(),
            }),
            ..History::default()
        })
    }

    /// The retention set, if any.
    pub(crate) fn retention(&self) -> Option<Duration> {
        self.state.lock().retention
    }

    fn take_failure(&self) -> Result<(), StorageError> {
        match self.failed.lock().take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Sets the retention: on, it archives the WAL, takes a first base if there is none
    /// and trims; off, it stops archiving and discards every base and the archive.
    pub(crate) fn set_retention(
        self: &Arc<Self>,
        inner: &Arc<DbInner>,
        retention: Option<Duration>,
    ) -> Result<(), StorageError> {
        self.take_failure()?;
        let mut st = self.state.lock();
        match retention {
            Some(period) => {
                st.retention = Some(period);
                if st.bases.is_empty() {
                    // Archive first: every segment released from now on is kept.
                    inner.wal.set_archive(true)?;
                    take_base(inner, &mut st)?;
                }
                trim(inner, &mut st)?;
                drop(st);
                self.start_worker(inner);
            }
            None => {
                st.retention = None;
                drop(st);
                self.stop_worker();
                let mut st = self.state.lock();
                inner.wal.set_archive(false)?;
                for base in st.bases.drain(..) {
                    let fs = inner.fs();
                    fs.remove_dir_all(&base.dir)
                        .map_err(io("remove", &base.dir))?;
                }
                remove_retired(inner, &mut st)?;
                inner.wal.purge_archive_before_lsn(u64::MAX)?;
            }
        }
        Ok(())
    }

    /// One maintenance step: a new base when the newest is `history_base_interval` old,
    /// then trimming. A no-op without retention.
    pub(crate) fn maintain(&self, inner: &DbInner) -> Result<(), StorageError> {
        let mut st = self.state.lock();
        if st.retention.is_none() {
            return Ok(());
        }
        remove_retired(inner, &mut st)?;
        let now = inner.opts.clock.now_micros();
        let interval = duration_micros(inner.opts.history_base_interval);
        let due = st
            .bases
            .last()
            .is_none_or(|b| now >= b.time_micros.saturating_add(interval));
        if due {
            take_base(inner, &mut st)?;
        }
        trim(inner, &mut st)
    }

    /// Takes a restore base after a direct bulk load (`lsm::ingest`), which the WAL does
    /// not carry, so that no view of a later time is rebuilt from an earlier base without
    /// it. A no-op while no history is kept.
    ///
    /// The base replaces the one the previous load took (when an older base remains):
    /// a restore makes a load per 32 MiB, and a base each would pin every table of the
    /// database once more per load, for the whole retention. So a view of a time between
    /// two loads may start from a base without the earlier one; only the loaded range
    /// differs, and it is a table being restored, not yet readable at such times. Bases
    /// as new as now (a clock that has not moved since) were taken before the load and
    /// are replaced too.
    pub(crate) fn rebase_after_ingest(&self, inner: &DbInner) -> Result<(), StorageError> {
        self.take_failure()?;
        let mut st = self.state.lock();
        if st.bases.is_empty() {
            return Ok(());
        }
        let now = inner.opts.clock.now_micros();
        // Newest first, so what is left stays sorted; the archive still reaches back to
        // the oldest base kept (purging only ever follows the oldest).
        loop {
            let older = st.bases.len() > 1;
            let replaced = st
                .bases
                .last()
                .is_some_and(|b| b.time_micros >= now || (b.after_load && older));
            if !replaced {
                break;
            }
            let Some(stale) = st.bases.pop() else { break };
            if stale.time_micros >= now {
                // The new base takes its name: it must go now.
                inner
                    .fs()
                    .remove_dir_all(&stale.dir)
                    .map_err(io("remove", &stale.dir))?;
            } else {
                st.retired.push(stale.dir);
            }
        }
        take_base(inner, &mut st)?;
        if let Some(b) = st.bases.last_mut() {
            b.after_load = true;
        }
        Ok(())
    }

    /// What the retained history takes on disk: `(restore bases, their bytes, archived WAL
    /// bytes)`. A base's tables are hard links, so bytes it shares with the live database
    /// (or another base) are counted in full: an upper bound of what deleting it frees.
    pub(crate) fn disk_use(&self, inner: &DbInner) -> (usize, u64, u64) {
        let st = self.state.lock();
        let fs = inner.fs();
        let size_of = |p: &Path| {
            fs.open(p, shale_io::OpenMode::Read)
                .and_then(|f| f.len())
                .unwrap_or(0)
        };
        let dir_bytes = |dir: &Path| -> u64 {
            fs.list_dir(dir)
                .unwrap_or_default()
                .iter()
                .map(|n| size_of(&dir.join(n)))
                .sum()
        };
        let base_bytes = st.bases.iter().map(|b| dir_bytes(&b.dir)).sum();
        let archive = inner.opts.wal_dir().join(shale_wal::ARCHIVE_DIR);
        (st.bases.len(), base_bytes, dir_bytes(&archive))
    }

    /// The restorable range; `None` without bases.
    pub(crate) fn bounds(&self, inner: &DbInner) -> Result<Option<HistoryBounds>, StorageError> {
        self.take_failure()?;
        let st = self.state.lock();
        Ok(st
            .bases
            .first()
            .map(|b| HistoryBounds::new(b.time_micros, inner.opts.clock.now_micros(), b.seq + 1)))
    }

    /// Links the base a view at `t_micros` starts from into a new view directory, and
    /// says where its replay starts (see the module docs).
    pub(crate) fn plan_view(
        &self,
        inner: &DbInner,
        t_micros: u64,
    ) -> Result<ViewPlan, StorageError> {
        self.take_failure()?;
        let now = inner.opts.clock.now_micros();
        let st = self.state.lock();
        let earliest = st.bases.first().map(|b| b.time_micros);
        let outside = || StorageError::OutsideRetention {
            requested_micros: t_micros,
            earliest_micros: earliest,
            latest_micros: now,
        };
        if t_micros > now {
            return Err(outside());
        }
        let Some(base) = st.bases.iter().rev().find(|b| b.time_micros <= t_micros) else {
            return Err(outside());
        };
        // Under the state lock, so trimming cannot remove the base while it is linked.
        let dir = self.link_scratch(inner, &base.dir)?;
        Ok(ViewPlan {
            dir,
            from_seq: base.seq + 1,
        })
    }

    /// Links every file of `from` (a base or a checkpoint) into a new view directory
    /// `history/view-<n>/` and returns it: a private copy a view may open a database in
    /// without changing `from`. The view removes it when dropped; after a crash, the next
    /// open does ([`History::recover`]). A failed link removes it at once.
    pub(crate) fn link_scratch(
        &self,
        inner: &DbInner,
        from: &Path,
    ) -> Result<PathBuf, StorageError> {
        let n = self.next_view.fetch_add(1, Ordering::Relaxed);
        let dir = inner
            .opts
            .dir
            .join(HISTORY_DIR)
            .join(format!("{VIEW_PREFIX}{n:06}"));
        let fs = inner.fs().as_ref();
        if let Err(e) = link_dir(fs, from, &dir) {
            let _ = fs.remove_dir_all(&dir);
            return Err(e);
        }
        Ok(dir)
    }

    fn start_worker(self: &Arc<Self>, inner: &Arc<DbInner>) {
        // The thread deletes retired bases and trimmed history when it wakes; without
        // background reclaim its owner runs `Db::maintain_history` at points it chooses.
        if !inner.opts.background_reclaim {
            return;
        }
        let mut worker = self.worker.lock();
        if worker.is_some() {
            return;
        }
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (history, weak, stop2) = (Arc::downgrade(self), Arc::downgrade(inner), stop.clone());
        let check = inner.opts.history_base_interval.min(MAX_CHECK_INTERVAL);
        let spawned = std::thread::Builder::new()
            .name("shale-history".into())
            .spawn(move || run_worker(&history, &weak, &stop2, check));
        // Without the thread, history still works; bases are then taken only by explicit
        // maintenance calls.
        if let Ok(handle) = spawned {
            *worker = Some(Worker { stop, handle });
        }
    }

    /// Stops the maintenance thread and waits for it. Idempotent.
    pub(crate) fn stop_worker(&self) {
        let Some(w) = self.worker.lock().take() else {
            return;
        };
        *w.stop.0.lock() = true;
        w.stop.1.notify_all();
        let _ = w.handle.join();
    }
}

fn run_worker(
    history: &Weak<History>,
    inner: &Weak<DbInner>,
    stop: &(Mutex<bool>, Condvar),
    check: Duration,
) {
    loop {
        {
            let mut stopped = stop.0.lock();
            if *stopped {
                return;
            }
            stop.1.wait_for(&mut stopped, check);
            if *stopped {
                return;
            }
        }
        let (Some(history), Some(inner)) = (history.upgrade(), inner.upgrade()) else {
            return;
        };
        if let Err(e) = history.maintain(&inner) {
            *history.failed.lock() = Some(e);
        }
    }
}

fn load_base(fs: &dyn FileSystem, dir: PathBuf, time_micros: u64) -> Result<Base, StorageError> {
    let (state, _) = manifest::load(fs, &dir)?;
    Ok(Base {
        dir,
        time_micros,
        wal_lsn: state.last_flushed_seq.saturating_sub(state.seq_offset),
        seq: state.last_flushed_seq,
        after_load: false,
    })
}

/// Takes a base of the flushed state, valid from now. Skipped if the newest base has the
/// same time (a manual clock that did not move): it would be the same base.
fn take_base(inner: &DbInner, st: &mut HistoryState) -> Result<(), StorageError> {
    // Read before the checkpoint: every write the base holds was flushed, so committed,
    // by now; later writes replay from the WAL with their own times.
    let now = inner.opts.clock.now_micros();
    if st.bases.last().is_some_and(|b| b.time_micros >= now) {
        return Ok(());
    }
    let dir = inner.opts.dir.join(HISTORY_DIR).join(base_name(now));
    let ckpt = checkpoint_flushed(inner, &dir)?;
    st.bases.push(Base {
        dir,
        time_micros: now,
        wal_lsn: ckpt.wal_lsn,
        seq: ckpt.last_seq,
        after_load: false,
    });
    Ok(())
}

/// Deletes the directories of replaced bases.
fn remove_retired(inner: &DbInner, st: &mut HistoryState) -> Result<(), StorageError> {
    while let Some(dir) = st.retired.pop() {
        if let Err(e) = inner.fs().remove_dir_all(&dir) {
            st.retired.push(dir.clone());
            return Err(io("remove", &dir)(e));
        }
    }
    Ok(())
}

/// Drops the bases no view inside the retention needs, and the archived WAL below the
/// oldest base kept.
fn trim(inner: &DbInner, st: &mut HistoryState) -> Result<(), StorageError> {
    let Some(period) = st.retention else {
        return Ok(());
    };
    let cutoff = inner
        .opts
        .clock
        .now_micros()
        .saturating_sub(duration_micros(period));
    // The newest base at or before the cutoff still serves views at the cutoff.
    let keep_from = st
        .bases
        .iter()
        .rposition(|b| b.time_micros <= cutoff)
        .unwrap_or(0);
    let fs = inner.fs().clone();
    for base in st.bases.drain(..keep_from) {
        fs.remove_dir_all(&base.dir)
            .map_err(io("remove", &base.dir))?;
    }
    if let Some(oldest) = st.bases.first() {
        inner.wal.purge_archive_before_lsn(oldest.wal_lsn + 1)?;
    }
    Ok(())
}

/// Hard-links (or copies) every file of `from` into a new directory `to`.
fn link_dir(fs: &dyn FileSystem, from: &Path, to: &Path) -> Result<(), StorageError> {
    fs.create_dir_all(to).map_err(io("create dir", to))?;
    for name in fs.list_dir(from).map_err(io("list dir", from))? {
        let src = from.join(&name);
        fs.link_or_copy(&src, &to.join(&name))
            .map_err(io("link", &src))?;
    }
    fs.sync_dir(to).map_err(io("sync dir", to))
}

/// The commit log from sequence `from_seq` through WAL LSN `upto_lsn`.
pub(crate) fn read_log(
    inner: &DbInner,
    from_seq: u64,
    upto_lsn: u64,
) -> Result<CommitLogIter, StorageError> {
    let offset = inner.seq_offset;
    if from_seq.saturating_sub(offset) > upto_lsn {
        return Ok(Box::new(std::iter::empty()));
    }
    if from_seq <= offset {
        // Before this WAL's numbering began (the database was opened from a checkpoint).
        return Err(StorageError::LogTrimmed {
            requested_seq: from_seq,
            earliest_seq: Some(offset + 1),
        });
    }
    let records = inner
        .wal
        .read_from_lsn(from_seq - offset)
        .map_err(|e| match e {
            shale_wal::Error::LsnReleased {
                oldest_available, ..
            } => StorageError::LogTrimmed {
                requested_seq: from_seq,
                earliest_seq: Some(oldest_available + offset),
            },
            other => other.into(),
        })?;
    let iter = records
        .take_while(move |r| r.as_ref().map_or(true, |r| r.lsn <= upto_lsn))
        .map(move |r| {
            let r = r?;
            if r.kind != RECORD_KIND_BATCH {
                return Err(LsmError::CorruptBatch {
                    lsn: r.lsn,
                    reason: "unknown WAL record kind",
                }
                .into());
            }
            let batch = decode_batch(&r.payload)
                .map_err(|reason| LsmError::CorruptBatch { lsn: r.lsn, reason })?;
            Ok(CommittedBatch {
                seq: r.lsn + offset,
                commit_time_micros: r.timestamp_micros,
                batch,
            })
        });
    Ok(Box::new(iter))
}
