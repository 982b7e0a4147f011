//! [`MemBackend`]: the in-memory [`Backend`], a multi-version `BTreeMap`.
//!
//! It is the reference the LSM engine is tested against and the store behind
//! `shale-server --in-memory`. Nothing is durable.
//!
//! Each key keeps a short chain of versions `(seq, value-or-tombstone)`, newest last.
//! Versions no live snapshot can see are pruned when the key is next written.
//!
//! It has every capability: a commit log, past views and retention come from
//! `mem_history`, timed by its [`Clock`]; checkpoints live in memory, named by a path but
//! never touching the file system, for as long as the backend (any clone of it) lives.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use shale_io::clock::{Clock, SystemClock};

use crate::backend::{
    Backend, BatchOp, Capability, CheckpointInfo, CommitLogIter, CommittedBatch, Direction,
    HistoryBounds, KvIter, ReadView, ScanPair, Snapshot, WriteBatch,
};
use crate::key_range::KeyRanges;
use crate::mem_history::{MemHistory, MemView};
use crate::value::Value;
use crate::StorageError;

/// The name [`Backend::default_checkpoint_dir`] gives: a key of the checkpoint map, not a
/// place on disk.
const DEFAULT_CHECKPOINT_DIR: &str = "/memory/checkpoints";

/// Keys read per lock acquisition by a scan: scans never hold the lock across `next()`.
const SCAN_CHUNK_KEYS: usize = 256;

type Versions = Vec<(u64, Option<Vec<u8>>)>;

/// A checkpoint kept in memory ([`Backend::checkpoint`]).
#[derive(Debug)]
struct MemCheckpoint {
    /// The latest value of every live key when it was taken; shared with its views.
    state: Arc<BTreeMap<Vec<u8>, Vec<u8>>>,
    /// When it was taken, on the backend's clock.
    time_micros: u64,
}

#[derive(Debug)]
struct Inner {
    data: RwLock<Data>,
    /// Live snapshot sequence numbers with their reference counts.
    snapshots: Mutex<BTreeMap<u64, usize>>,
    /// Checkpoints by the path they were written to. Lock order: `data`, then this.
    checkpoints: Mutex<BTreeMap<PathBuf, MemCheckpoint>>,
    clock: Arc<dyn Clock>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            data: RwLock::default(),
            snapshots: Mutex::default(),
            checkpoints: Mutex::default(),
            clock: Arc::new(SystemClock),
        }
    }
}

#[derive(Debug, Default)]
struct Data {
    map: BTreeMap<Vec<u8>, Versions>,
    last_seq: u64,
    /// Retained history, under the data lock: a write records into it in the same
    /// critical section that assigns its sequence number.
    history: MemHistory,
}

/// The in-memory backend. Clones share the same data.
#[derive(Debug, Clone, Default)]
pub struct MemBackend {
    inner: Arc<Inner>,
}

impl MemBackend {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty store whose commit times come from `clock` (tests move a manual one).
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        MemBackend {
            inner: Arc::new(Inner {
                clock,
                ..Inner::default()
            }),
        }
    }

    /// The latest value of every live key.
    fn latest_state(d: &Data) -> BTreeMap<Vec<u8>, Vec<u8>> {
        latest_values(&d.map, d.last_seq)
    }

    /// Number of live (non-deleted) keys at the latest sequence.
    pub fn len(&self) -> usize {
        let d = self.inner.data.read();
        d.map
            .values()
            .filter(|v| matches!(v.last(), Some((_, Some(_)))))
            .count()
    }

    /// Whether there are no live keys.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Unregisters a snapshot when the last clone of it drops.
struct SnapshotPin {
    inner: Arc<Inner>,
    seq: u64,
}

impl Drop for SnapshotPin {
    fn drop(&mut self) {
        let mut snaps = self.inner.snapshots.lock();
        if let Some(n) = snaps.get_mut(&self.seq) {
            *n -= 1;
            if *n == 0 {
                snaps.remove(&self.seq);
            }
        }
    }
}

/// The value of every key live at `seq`.
fn latest_values(map: &BTreeMap<Vec<u8>, Versions>, seq: u64) -> BTreeMap<Vec<u8>, Vec<u8>> {
    map.iter()
        .filter_map(|(k, v)| visible(v, seq).map(|v| (k.clone(), v.clone())))
        .collect()
}

/// The value visible at `seq` in a version chain, if any.
fn visible(versions: &Versions, seq: u64) -> Option<&Vec<u8>> {
    versions
        .iter()
        .rev()
        .find(|(s, _)| *s <= seq)
        .and_then(|(_, v)| v.as_ref())
}

/// Drops versions that neither the latest state nor any snapshot at or above
/// `oldest_needed` can see: everything older than the newest version ≤ `oldest_needed`.
fn prune(versions: &mut Versions, oldest_needed: u64) {
    if let Some(keep_from) = versions.iter().rposition(|(s, _)| *s <= oldest_needed) {
        versions.drain(..keep_from);
    }
}

impl Backend for MemBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn write(&self, batch: WriteBatch) -> Result<u64, StorageError> {
        batch.check_limits()?;
        let mut d = self.inner.data.write();
        // Under the data lock (order: data, then snapshots, as in `snapshot`): read before
        // it, a snapshot registered in between would lose the version it sees to `prune`.
        let oldest_snapshot = self.inner.snapshots.lock().keys().next().copied();
        d.last_seq += 1;
        let seq = d.last_seq;
        let oldest_needed = oldest_snapshot.unwrap_or(seq);
        // Without retention a write neither reads the clock nor clones its batch.
        if d.history.retention().is_some() {
            let now = self.inner.clock.now_micros();
            d.history.record(seq, now, &batch);
        }
        for op in batch.into_ops() {
            let (key, value) = match op {
                BatchOp::Put { key, value } => (key, Some(value)),
                BatchOp::Delete { key } => (key, None),
                BatchOp::LogData { .. } => continue,
            };
            let is_delete = value.is_none();
            let chain = d.map.entry(key.clone()).or_default();
            if chain.last().is_some_and(|(s, _)| *s == seq) {
                chain.pop(); // a later op on the same key in this batch wins
            }
            chain.push((seq, value));
            prune(chain, oldest_needed);
            // A lone tombstone that no snapshot can look behind is just an absent key.
            if is_delete && oldest_snapshot.is_none() && chain.len() == 1 {
                d.map.remove(&key);
            }
        }
        Ok(seq)
    }

    fn get(
        &self,
        key: &[u8],
        snapshot: Option<&Snapshot>,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let d = self.inner.data.read();
        let seq = snapshot.map_or(d.last_seq, Snapshot::seq);
        Ok(d.map.get(key).and_then(|v| visible(v, seq)).cloned())
    }

    fn scan(
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
        Ok(Box::new(MemScan {
            inner: self.inner.clone(),
            snapshot,
            lower: start,
            upper: end,
            direction,
            buffer: Vec::new(),
            done: false,
        }))
    }

    fn snapshot(&self) -> Snapshot {
        // Register under the data lock so no write can slip between reading last_seq and
        // registering (it would otherwise be free to prune a version we need).
        let d = self.inner.data.read();
        let seq = d.last_seq;
        *self.inner.snapshots.lock().entry(seq).or_insert(0) += 1;
        drop(d);
        Snapshot::new(
            seq,
            Arc::new(SnapshotPin {
                inner: self.inner.clone(),
                seq,
            }),
        )
    }

    fn sync(&self) -> Result<(), StorageError> {
        Ok(())
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

    fn checkpoint(&self, dir: &Path) -> Result<CheckpointInfo, StorageError> {
        // The read lock: the checkpoint is exactly the state at `last_seq`.
        let d = self.inner.data.read();
        let mut checkpoints = self.inner.checkpoints.lock();
        if checkpoints.contains_key(dir) {
            // As the LSM answers for a directory that already holds a database.
            return Err(StorageError::Io {
                op: "checkpoint",
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "a checkpoint already has this name",
                ),
            });
        }
        let state = Self::latest_state(&d);
        let bytes = state.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum();
        checkpoints.insert(
            dir.to_path_buf(),
            MemCheckpoint {
                state: Arc::new(state),
                time_micros: self.inner.clock.now_micros(),
            },
        );
        Ok(CheckpointInfo::new(dir.to_path_buf(), d.last_seq, 0, bytes))
    }

    fn open_checkpoint(&self, dir: &Path) -> Result<Box<dyn ReadView>, StorageError> {
        let checkpoints = self.inner.checkpoints.lock();
        let c = checkpoints
            .get(dir)
            .ok_or_else(|| StorageError::CheckpointNotFound {
                dir: dir.to_path_buf(),
            })?;
        Ok(Box::new(MemView::new(c.state.clone(), c.time_micros)))
    }

    fn remove_checkpoint(&self, dir: &Path) -> Result<(), StorageError> {
        // Views already open share the state and keep it alive.
        match self.inner.checkpoints.lock().remove(dir) {
            Some(_) => Ok(()),
            None => Err(StorageError::CheckpointNotFound {
                dir: dir.to_path_buf(),
            }),
        }
    }

    fn default_checkpoint_dir(&self) -> Option<PathBuf> {
        Some(PathBuf::from(DEFAULT_CHECKPOINT_DIR))
    }

    fn read_commit_log(&self, from_seq: u64) -> Result<CommitLogIter, StorageError> {
        let d = self.inner.data.read();
        d.history.check_log_from(from_seq, d.last_seq)?;
        Ok(Box::new(LogIter {
            inner: Arc::clone(&self.inner),
            next_seq: from_seq,
            last_seq: d.last_seq,
        }))
    }

    fn view_at(
        &self,
        commit_time_micros: u64,
        ranges: KeyRanges,
    ) -> Result<Box<dyn ReadView>, StorageError> {
        let d = self.inner.data.read();
        let now = self.inner.clock.now_micros();
        d.history.view_at(commit_time_micros, now, ranges)
    }

    fn set_history_retention(&self, retention: Option<Duration>) -> Result<(), StorageError> {
        // The write lock: no batch commits between the base and the first logged one.
        let mut d = self.inner.data.write();
        let now = self.inner.clock.now_micros();
        let seq = d.last_seq;
        let Data { map, history, .. } = &mut *d;
        history.set_retention(retention, || latest_values(map, seq), seq, now);
        Ok(())
    }

    fn history_retention(&self) -> Option<Duration> {
        self.inner.data.read().history.retention()
    }

    fn history_bounds(&self) -> Result<Option<HistoryBounds>, StorageError> {
        let now = self.inner.clock.now_micros();
        Ok(self.inner.data.read().history.bounds(now))
    }
}

/// A scan that refills a small buffer under the read lock, one chunk at a time, narrowing
/// its bounds past the last key it returned.
struct MemScan {
    inner: Arc<Inner>,
    snapshot: Snapshot,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    direction: Direction,
    /// Pending pairs, in reverse of the order they are returned (so `pop` yields next).
    buffer: Vec<ScanPair>,
    done: bool,
}

impl MemScan {
    fn refill(&mut self) {
        let d = self.inner.data.read();
        let seq = self.snapshot.seq();
        let range = d
            .map
            .range::<Vec<u8>, _>((self.lower.clone(), self.upper.clone()));
        let mut chunk: Vec<ScanPair> = Vec::with_capacity(SCAN_CHUNK_KEYS);
        let mut last_key = None;
        let mut take = |k: &Vec<u8>, v: &Versions| {
            last_key = Some(k.clone());
            if let Some(val) = visible(v, seq) {
                chunk.push((k.clone(), Value::from(val.as_slice())));
            }
        };
        match self.direction {
            Direction::Forward => range.take(SCAN_CHUNK_KEYS).for_each(|(k, v)| take(k, v)),
            Direction::Reverse => range
                .rev()
                .take(SCAN_CHUNK_KEYS)
                .for_each(|(k, v)| take(k, v)),
        }
        match last_key {
            None => self.done = true,
            Some(k) => match self.direction {
                Direction::Forward => self.lower = Bound::Excluded(k),
                Direction::Reverse => self.upper = Bound::Excluded(k),
            },
        }
        chunk.reverse();
        self.buffer = chunk;
    }
}

impl Iterator for MemScan {
    type Item = Result<ScanPair, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.buffer.is_empty() && !self.done {
            self.refill();
        }
        self.buffer.pop().map(Ok)
    }
}

/// [`Backend::read_commit_log`]'s iterator: clones one batch at a time under the data
/// lock, so a reader that stops early (a stream consumer reading a page) costs what it
/// reads, not the whole retained log.
struct LogIter {
    inner: Arc<Inner>,
    next_seq: u64,
    last_seq: u64,
}

impl Iterator for LogIter {
    type Item = Result<CommittedBatch, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next_seq > self.last_seq {
            return None;
        }
        let seq = self.next_seq;
        let d = self.inner.data.read();
        match d.history.batch(seq) {
            Some(b) => {
                self.next_seq += 1;
                Some(Ok(b.clone()))
            }
            None => {
                // Trimmed (or retention turned off) while this iterator was open.
                self.next_seq = self.last_seq + 1;
                Some(Err(StorageError::LogTrimmed {
                    requested_seq: seq,
                    earliest_seq: None,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(it: KvIter) -> Vec<(Vec<u8>, Vec<u8>)> {
        it.map(Result::unwrap)
            .map(crate::value::owned_pair)
            .collect()
    }

    #[test]
    fn batch_is_atomic_and_later_ops_win() {
        let db = MemBackend::new();
        let mut b = WriteBatch::new();
        b.put("a", "1").put("b", "2").delete("a").put("c", "3");
        db.write(b).unwrap();
        assert_eq!(db.get(b"a", None).unwrap(), None);
        assert_eq!(db.get(b"b", None).unwrap(), Some(b"2".to_vec()));
        assert_eq!(db.len(), 2);
    }

    /// Regression: `write` read the oldest live snapshot before taking the data lock, so
    /// a snapshot registered in between had the version it sees pruned, and read the key
    /// as absent (found by the table layer's transfer test: TransactGetItems saw an
    /// account vanish).
    #[test]
    fn a_snapshot_taken_as_a_write_starts_keeps_the_version_it_sees() {
        let db = std::sync::Arc::new(MemBackend::new());
        db.put(b"k", b"0").unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 1..=20_000u32 {
                    db.put(b"k", i.to_string().as_bytes()).unwrap();
                }
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            });
            // Readers holding the data lock keep the writer waiting between its two
            // locks, which is where the snapshot slipped in.
            s.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let _ = db.get(b"k", None).unwrap();
                }
            });
            for _ in 0..200_000 {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let snap = db.snapshot();
                assert!(
                    db.get(b"k", Some(&snap)).unwrap().is_some(),
                    "the key vanished"
                );
            }
        });
    }

    #[test]
    fn snapshot_sees_the_past_and_pins_versions() {
        let db = MemBackend::new();
        db.put(b"k", b"v1").unwrap();
        let snap = db.snapshot();
        db.put(b"k", b"v2").unwrap();
        db.delete(b"k").unwrap();
        db.put(b"k2", b"x").unwrap();
        assert_eq!(db.get(b"k", Some(&snap)).unwrap(), Some(b"v1".to_vec()));
        assert_eq!(db.get(b"k", None).unwrap(), None);
        let at_snap = collect(
            db.scan(
                Bound::Unbounded,
                Bound::Unbounded,
                Direction::Forward,
                Some(&snap),
            )
            .unwrap(),
        );
        assert_eq!(at_snap, vec![(b"k".to_vec(), b"v1".to_vec())]);
        drop(snap);
        db.put(b"k", b"v3").unwrap();
        // With no snapshot left, only the newest version is kept.
        assert_eq!(self::versions(&db, b"k"), 1);
    }

    fn versions(db: &MemBackend, key: &[u8]) -> usize {
        db.inner.data.read().map.get(key).map_or(0, Vec::len)
    }

    #[test]
    fn scan_respects_bounds_and_direction_across_chunks() {
        let db = MemBackend::new();
        for i in 0..1000u32 {
            db.put(&i.to_be_bytes(), b"v").unwrap();
        }
        for i in (0..1000u32).step_by(3) {
            db.delete(&i.to_be_bytes()).unwrap();
        }
        let lo = 10u32.to_be_bytes().to_vec();
        let hi = 900u32.to_be_bytes().to_vec();
        let fwd = collect(
            db.scan(
                Bound::Included(lo.clone()),
                Bound::Excluded(hi.clone()),
                Direction::Forward,
                None,
            )
            .unwrap(),
        );
        let want: Vec<u32> = (10..900).filter(|i| i % 3 != 0).collect();
        let got: Vec<u32> = fwd
            .iter()
            .map(|(k, _)| u32::from_be_bytes(k[..4].try_into().unwrap()))
            .collect();
        assert_eq!(got, want);
        let rev = collect(
            db.scan(
                Bound::Included(lo),
                Bound::Excluded(hi),
                Direction::Reverse,
                None,
            )
            .unwrap(),
        );
        let got_rev: Vec<u32> = rev
            .iter()
            .map(|(k, _)| u32::from_be_bytes(k[..4].try_into().unwrap()))
            .collect();
        assert_eq!(got_rev, want.into_iter().rev().collect::<Vec<_>>());
    }

    #[test]
    fn scan_is_isolated_from_later_writes() {
        let db = MemBackend::new();
        for i in 0..600u32 {
            db.put(&i.to_be_bytes(), b"old").unwrap();
        }
        let mut it = db
            .scan(Bound::Unbounded, Bound::Unbounded, Direction::Forward, None)
            .unwrap();
        let first = it.next().unwrap().unwrap();
        for i in 0..600u32 {
            db.put(&i.to_be_bytes(), b"new").unwrap();
        }
        db.put(&9999u32.to_be_bytes(), b"new").unwrap();
        let rest: Vec<_> = it.map(Result::unwrap).collect();
        assert_eq!(first.1, b"old");
        assert_eq!(rest.len(), 599);
        assert!(rest.iter().all(|(_, v)| v == b"old"));
    }
}
