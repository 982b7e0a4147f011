//! The [`Backend`] trait: the ordered key-value interface the data model is built on.
//!
//! Besides reads, writes and snapshots, a backend may have four capabilities that
//! streams, backups and point-in-time recovery are built from ([`Capability`]): a commit
//! log readable from a sequence number, checkpoints (written, read back as a view, and
//! removed), consistent views of a past commit time, and a retention setting for that
//! history. A backend without one answers
//! [`StorageError::Unsupported`], and says so in [`Backend::supports`].

use std::any::Any;
use std::fmt::Debug;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use crate::capability::Capability;
use crate::key_range::KeyRanges;
use crate::value::Value;
use crate::StorageError;

/// One operation of a [`WriteBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOp {
    /// Set `key` to `value`.
    Put {
        /// The key.
        key: Vec<u8>,
        /// The value.
        value: Vec<u8>,
    },
    /// Remove `key` (a no-op if absent).
    Delete {
        /// The key.
        key: Vec<u8>,
    },
    /// A blob that is logged with the batch and returned by [`Backend::read_commit_log`]
    /// in its place, but never applied: no key changes, no read sees it. RocksDB calls
    /// this `PutLogData`. Streams use it to carry a change record (with the item's old
    /// image) through the commit log, atomically with the change itself.
    LogData {
        /// The blob.
        data: Vec<u8>,
    },
}

impl BatchOp {
    /// The key this operation touches (`None` for [`BatchOp::LogData`], which touches none).
    pub fn key(&self) -> Option<&[u8]> {
        match self {
            BatchOp::Put { key, .. } | BatchOp::Delete { key } => Some(key),
            BatchOp::LogData { .. } => None,
        }
    }
}

/// Operations applied atomically: after a crash, all of them are visible or none.
/// Later operations on the same key win.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<BatchOp>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a put.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(BatchOp::Put {
            key: key.into(),
            value: value.into(),
        });
        self
    }
    /// Adds a delete.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(BatchOp::Delete { key: key.into() });
        self
    }
    /// Adds an operation.
    pub fn push(&mut self, op: BatchOp) -> &mut Self {
        self.ops.push(op);
        self
    }
    /// Adds a log-only blob ([`BatchOp::LogData`]).
    pub fn log_data(&mut self, data: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(BatchOp::LogData { data: data.into() });
        self
    }
    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }
    /// Whether the batch has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    /// The operations in order.
    pub fn ops(&self) -> &[BatchOp] {
        &self.ops
    }
    /// Consumes the batch.
    pub fn into_ops(self) -> Vec<BatchOp> {
        self.ops
    }
    /// Bytes of keys and values, for write-size accounting.
    pub fn payload_bytes(&self) -> usize {
        self.ops
            .iter()
            .map(|op| match op {
                BatchOp::Put { key, value } => key.len() + value.len(),
                BatchOp::Delete { key } => key.len(),
                BatchOp::LogData { data } => data.len(),
            })
            .sum()
    }
}

/// Longest key any backend accepts (64 KiB): DynamoDB's keys, 2 KiB partition + 1 KiB sort
/// key plus the table layer's encoding, fit many times over. Every backend stores at
/// least this much (the LSM checks it against its SSTable format at compile time).
pub const MAX_KEY_BYTES: usize = 64 * 1024;
/// Longest value any backend accepts (16 MiB): a 400 KB item with its encoding overhead,
/// or a transaction's worth of them, fits many times over.
pub const MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

impl WriteBatch {
    /// Checks every key and value (and log blob) against [`MAX_KEY_BYTES`] and [`MAX_VALUE_BYTES`], so
    /// an entry the tables could never store is refused up front instead of failing (and
    /// poisoning the engine) at flush time, again after every reopen.
    ///
    /// # Errors
    /// [`StorageError::KeyTooLarge`], [`StorageError::ValueTooLarge`].
    pub fn check_limits(&self) -> Result<(), StorageError> {
        for op in &self.ops {
            let value = match op {
                BatchOp::Put { value, .. } | BatchOp::LogData { data: value } => Some(value),
                BatchOp::Delete { .. } => None,
            };
            check_sizes(op.key(), value.map(Vec::as_slice))?;
        }
        Ok(())
    }
}

/// Checks a key and a value against [`MAX_KEY_BYTES`] and [`MAX_VALUE_BYTES`].
///
/// # Errors
/// [`StorageError::KeyTooLarge`], [`StorageError::ValueTooLarge`].
fn check_sizes(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<(), StorageError> {
    if let Some(key) = key.filter(|k| k.len() > MAX_KEY_BYTES) {
        return Err(StorageError::KeyTooLarge {
            size: key.len(),
            max: MAX_KEY_BYTES,
        });
    }
    if let Some(value) = value.filter(|v| v.len() > MAX_VALUE_BYTES) {
        return Err(StorageError::ValueTooLarge {
            size: value.len(),
            max: MAX_VALUE_BYTES,
        });
    }
    Ok(())
}

impl From<Vec<BatchOp>> for WriteBatch {
    fn from(ops: Vec<BatchOp>) -> Self {
        WriteBatch { ops }
    }
}

/// A consistent point-in-time view. Reads through it see exactly the batches committed
/// before it was taken. While it is alive the backend keeps the versions it needs
/// (compaction will not drop them); dropping it releases them.
#[derive(Clone)]
pub struct Snapshot {
    seq: u64,
    /// Held only for its `Drop`: unregisters the snapshot from its backend.
    _pin: Arc<dyn Any + Send + Sync>,
}

impl Snapshot {
    /// Builds a snapshot at sequence number `seq`, kept registered by `pin`.
    /// For backend implementations.
    pub fn new(seq: u64, pin: Arc<dyn Any + Send + Sync>) -> Self {
        Snapshot { seq, _pin: pin }
    }
    /// The sequence number: the snapshot sees every write with a sequence ≤ this.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").field("seq", &self.seq).finish()
    }
}

/// Scan direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Ascending key order.
    #[default]
    Forward,
    /// Descending key order.
    Reverse,
}

/// Backend-neutral statistics ([`Backend::stats`]).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct BackendStats {
    /// Per stored level, top first: (files, bytes). Empty for a backend without levels.
    pub levels: Vec<(usize, u64)>,
    /// Acknowledged write batches since open.
    pub writes: u64,
    /// Key + value bytes of those batches.
    pub user_bytes: u64,
    /// The backend's own figures by name (for the LSM: write amplification, bloom filter
    /// and block cache counters, stalls), in a stable order.
    pub figures: Vec<(&'static str, f64)>,
}

impl BackendStats {
    /// The backend's figure called `name`, if it reports one.
    pub fn figure(&self, name: &str) -> Option<f64> {
        self.figures
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// A key and its value, owned: what [`Backend::ingest`] takes.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// A key-value pair from a scan: the key owned, the value shared with the block or
/// memtable it was read from where the backend can (see [`Value`]).
pub type ScanPair = (Vec<u8>, Value);

/// An owned scan iterator. It reads at a fixed snapshot, so it is unaffected by writes made
/// after it was created. It yields an `Err` and then stops if the storage fails.
pub type KvIter = Box<dyn Iterator<Item = Result<ScanPair, StorageError>> + Send>;

/// One committed batch, as [`Backend::read_commit_log`] yields it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedBatch {
    /// The sequence number [`Backend::write`] returned for it.
    pub seq: u64,
    /// When it was committed, in microseconds since the Unix epoch, from the backend's
    /// clock. Non-decreasing in sequence order.
    pub commit_time_micros: u64,
    /// Its operations, as written.
    pub batch: WriteBatch,
}

/// The log data ([`BatchOp::LogData`]) of one committed batch, as
/// [`Backend::recent_log_data`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedData {
    /// The batch's sequence number.
    pub seq: u64,
    /// When it was committed (µs since the epoch, the backend's clock; approximate: it
    /// may differ by microseconds from [`CommittedBatch::commit_time_micros`]).
    pub commit_time_micros: u64,
    /// Each blob with its index among the batch's operations.
    pub blobs: Vec<(u32, Vec<u8>)>,
}

/// What [`Backend::recent_log_data`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentLogData {
    /// Every batch with log data from the asked sequence number up to this one is in
    /// `batches` (batches without log data are left out).
    pub upto_seq: u64,
    /// Those batches, in sequence order.
    pub batches: Vec<LoggedData>,
}

/// Committed batches in sequence order. It yields an `Err` and then stops if the log is
/// damaged or unreadable.
pub type CommitLogIter = Box<dyn Iterator<Item = Result<CommittedBatch, StorageError>> + Send>;

/// What [`Backend::checkpoint`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckpointInfo {
    /// The checkpoint directory.
    pub dir: PathBuf,
    /// Every write with a sequence number at or below this is in the checkpoint, and
    /// nothing after it; the commit log from `seq + 1` carries on from it.
    pub seq: u64,
    /// Files linked or copied (0 for a backend that keeps checkpoints in memory).
    pub files: usize,
    /// Their total size (in memory: the key and value bytes the checkpoint holds).
    pub bytes: u64,
}

impl CheckpointInfo {
    /// For backend implementations.
    pub fn new(dir: PathBuf, seq: u64, files: usize, bytes: u64) -> Self {
        CheckpointInfo {
            dir,
            seq,
            files,
            bytes,
        }
    }
}

/// The commit times [`Backend::view_at`] can reach while history is retained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryBounds {
    /// The earliest restorable commit time, in microseconds since the Unix epoch.
    pub earliest_micros: u64,
    /// The latest: the backend clock's now (every acknowledged write is included).
    pub latest_micros: u64,
    /// The oldest sequence number [`Backend::read_commit_log`] can start from.
    pub earliest_seq: u64,
}

impl HistoryBounds {
    /// For backend implementations.
    pub fn new(earliest_micros: u64, latest_micros: u64, earliest_seq: u64) -> Self {
        HistoryBounds {
            earliest_micros,
            latest_micros,
            earliest_seq,
        }
    }
}

/// A consistent, read-only view of a past state: of a commit time ([`Backend::view_at`]),
/// seeing exactly the batches committed at or before it, or of a checkpoint
/// ([`Backend::open_checkpoint`]), seeing exactly the writes the checkpoint holds.
pub trait ReadView: Send + Sync + Debug {
    /// The commit time this view shows: for [`Backend::view_at`], the time asked for; for
    /// [`Backend::open_checkpoint`], when the checkpoint was taken (the backend clock's
    /// microseconds) if the backend records that, else 0.
    fn commit_time_micros(&self) -> u64;

    /// Reads `key`.
    ///
    /// # Errors
    /// I/O failure or corruption.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError>;

    /// Iterates keys in `(start, end)` in `direction`. Values may share the backend's
    /// memory, as [`Backend::scan`]'s do.
    ///
    /// # Errors
    /// I/O failure or corruption while positioning the iterator.
    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Result<KvIter, StorageError>;
}

/// `entries` checked for a bulk load ([`Backend::ingest`]) and put in one batch: keys
/// strictly ascending, each within the key and value limits.
///
/// # Errors
/// As [`check_ingest`].
pub(crate) fn ingest_batch(entries: &[KvPair]) -> Result<WriteBatch, StorageError> {
    check_ingest(entries)?;
    Ok(WriteBatch::from(
        entries
            .iter()
            .map(|(key, value)| BatchOp::Put {
                key: key.clone(),
                value: value.clone(),
            })
            .collect::<Vec<_>>(),
    ))
}

/// Checks a bulk load: keys strictly ascending, each key and value within
/// [`MAX_KEY_BYTES`] and [`MAX_VALUE_BYTES`].
///
/// # Errors
/// [`StorageError::UnsortedIngest`] naming the first entry out of order;
/// [`StorageError::KeyTooLarge`], [`StorageError::ValueTooLarge`].
pub(crate) fn check_ingest(entries: &[KvPair]) -> Result<(), StorageError> {
    if let Some(i) = entries.windows(2).position(|w| w[0].0 >= w[1].0) {
        return Err(StorageError::UnsortedIngest { index: i + 1 });
    }
    entries
        .iter()
        .try_for_each(|(key, value)| check_sizes(Some(key), Some(value)))
}

/// The error a backend returns for a capability it does not have.
pub fn unsupported(backend: &'static str, capability: Capability) -> StorageError {
    StorageError::Unsupported {
        backend,
        capability,
    }
}

/// An ordered key-value store with atomic batches and snapshots.
///
/// Thread safety: every method takes `&self` and may be called from many threads.
/// Keys compare as unsigned bytes.
pub trait Backend: Send + Sync + Debug + 'static {
    /// A short name for reports ("lsm", "memory").
    fn name(&self) -> &'static str;

    /// Applies `batch` atomically and returns its sequence number. When this returns
    /// `Ok`, the batch is durable to the degree the backend was opened with.
    ///
    /// # Errors
    /// I/O failure, or [`StorageError::Poisoned`] after an earlier failed sync.
    fn write(&self, batch: WriteBatch) -> Result<u64, StorageError>;

    /// Reads `key`, at `snapshot` if given, else the latest committed value.
    ///
    /// # Errors
    /// I/O failure or corruption.
    fn get(&self, key: &[u8], snapshot: Option<&Snapshot>)
        -> Result<Option<Vec<u8>>, StorageError>;

    /// Iterates keys in `(start, end)` in `direction`, at `snapshot` if given, else at a
    /// snapshot taken now. Values may share the backend's memory (see [`Value`]): the
    /// LSM engine's share the block or memtable entry they were read from.
    ///
    /// # Errors
    /// I/O failure or corruption while positioning the iterator.
    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
        snapshot: Option<&Snapshot>,
    ) -> Result<KvIter, StorageError>;

    /// Takes a snapshot of the current state.
    fn snapshot(&self) -> Snapshot;

    /// Makes every acknowledged write durable (for the LSM: sync the WAL).
    ///
    /// # Errors
    /// I/O failure.
    fn sync(&self) -> Result<(), StorageError>;

    /// Moves buffered writes into the backend's durable structures (for the LSM: freezes
    /// the memtable and waits until it is a table). A no-op where there is nothing to move.
    ///
    /// # Errors
    /// I/O failure, [`StorageError::Poisoned`], [`StorageError::Closed`].
    fn flush(&self) -> Result<(), StorageError> {
        Ok(())
    }

    /// Compacts the stored data overlapping `[start, end]` (`None` = unbounded), so that
    /// overwritten and deleted versions no snapshot needs are dropped. A no-op where
    /// storage does not accumulate versions.
    ///
    /// # Errors
    /// As [`Backend::flush`].
    fn compact_range(&self, start: Option<&[u8]>, end: Option<&[u8]>) -> Result<(), StorageError> {
        let _ = (start, end);
        Ok(())
    }

    /// Stops background work and makes every acknowledged write durable. Idempotent;
    /// later writes fail with [`StorageError::Closed`] where the backend tracks that.
    ///
    /// # Errors
    /// The final sync failed, or the backend was poisoned.
    fn close(&self) -> Result<(), StorageError> {
        self.sync()
    }

    /// Backend-neutral statistics: stored levels (empty without), write counters and
    /// the backend's own named figures.
    fn stats(&self) -> BackendStats {
        BackendStats::default()
    }

    /// Whether this backend has `capability`. A method of a capability it lacks returns
    /// [`StorageError::Unsupported`].
    fn supports(&self, capability: Capability) -> bool {
        let _ = capability;
        false
    }

    /// The committed batches with sequence number `>= from_seq`, in sequence order, up to
    /// the last batch acknowledged when this is called. Without retention
    /// ([`Backend::set_history_retention`]) the log may reach back only to the last flush.
    ///
    /// # Errors
    /// [`StorageError::LogTrimmed`] if the log no longer reaches back to `from_seq`;
    /// [`StorageError::Unsupported`]; I/O failure.
    fn read_commit_log(&self, from_seq: u64) -> Result<CommitLogIter, StorageError> {
        let _ = from_seq;
        Err(unsupported(self.name(), Capability::CommitLog))
    }

    /// The log data of the batches committed from `from_seq` on, from a bounded in-memory
    /// tail: the fast path of a stream reader at the head of the log. At most
    /// `max_batches` batches with log data; `upto_seq` says how far the answer reaches
    /// (the last visible batch, or the last one returned when `max_batches` cut it
    /// short). `None` when the tail does not reach back to `from_seq` (or the backend
    /// keeps none): read [`Backend::read_commit_log`] instead.
    fn recent_log_data(&self, from_seq: u64, max_batches: usize) -> Option<RecentLogData> {
        let _ = (from_seq, max_batches);
        None
    }

    /// Writes a consistent checkpoint of every acknowledged write into `dir` (which must
    /// not hold one yet). [`Backend::open_checkpoint`] reads it back and
    /// [`Backend::remove_checkpoint`] deletes it. A backend on disk (the LSM) writes a
    /// directory that also opens as a backend of the same kind on its own; the in-memory
    /// backend keeps the checkpoint in memory under the name `dir`, for as long as the
    /// backend lives.
    ///
    /// # Errors
    /// [`StorageError::Unsupported`]; I/O failure; [`StorageError::Io`] with
    /// [`std::io::ErrorKind::AlreadyExists`] if `dir` already holds a checkpoint or a
    /// database (it is never overwritten).
    fn checkpoint(&self, dir: &Path) -> Result<CheckpointInfo, StorageError> {
        let _ = dir;
        Err(unsupported(self.name(), Capability::Checkpoint))
    }

    /// A read-only view of the checkpoint this backend wrote into `dir` with
    /// [`Backend::checkpoint`]: exactly the writes up to its `seq`. Opening and reading it
    /// never changes `dir` (the LSM reads a private linked copy, removed when the view
    /// drops), and the view keeps reading if the checkpoint is removed meanwhile. Its
    /// [`ReadView::commit_time_micros`] is when the checkpoint was taken if the backend
    /// records that (memory), else 0 (the LSM).
    ///
    /// # Errors
    /// [`StorageError::CheckpointNotFound`] if `dir` holds no complete checkpoint;
    /// [`StorageError::Unsupported`]; I/O failure or corruption.
    fn open_checkpoint(&self, dir: &Path) -> Result<Box<dyn ReadView>, StorageError> {
        let _ = dir;
        Err(unsupported(self.name(), Capability::Checkpoint))
    }

    /// Deletes the checkpoint in `dir`, complete or interrupted by a crash.
    ///
    /// # Errors
    /// [`StorageError::CheckpointNotFound`] if nothing is there, or anything but a
    /// checkpoint (a live database, other files): the backend refuses to delete it;
    /// [`StorageError::Unsupported`]; I/O failure.
    fn remove_checkpoint(&self, dir: &Path) -> Result<(), StorageError> {
        let _ = dir;
        Err(unsupported(self.name(), Capability::Checkpoint))
    }

    /// Where a frontend may keep checkpoints when its user did not choose one (each in
    /// its own directory below): for the LSM `<db dir>/checkpoints`, for the in-memory
    /// backend the name `/memory/checkpoints` (nothing on disk). `None` (the default) for
    /// a backend without such a place.
    fn default_checkpoint_dir(&self) -> Option<PathBuf> {
        None
    }

    /// Loads `entries` (keys strictly ascending) as a bulk load: for filling a key range
    /// that nothing else reads or writes until this returns, such as a restore's new
    /// table. A backend may load them without its write path: the LSM writes them as one
    /// SSTable straight into its deepest level when nothing it holds lies in their range
    /// (RocksDB's IngestExternalFile), and through its write path otherwise, in batches
    /// of 16 MiB. The default writes them as one batch through [`Backend::write`]. A load
    /// is not promised to be atomic: a failure may leave part of it, which the caller's
    /// retry overwrites.
    ///
    /// Consequences of skipping the write path: a snapshot taken before the load may
    /// see it (the range was the caller's alone); the commit log
    /// ([`Backend::read_commit_log`]) may not carry it, though past views of times after
    /// the last of a series of loads include them all (while history is kept the LSM
    /// takes a restore base after each direct load, replacing the previous load's, so a
    /// view of a time between two loads of a series may miss the earlier); a direct load
    /// is durable when this returns, whatever the durability mode (one through the write
    /// path is as durable as any write).
    ///
    /// # Errors
    /// [`StorageError::UnsortedIngest`] unless keys strictly ascend (nothing is loaded);
    /// the key and value limits of [`WriteBatch::check_limits`]; I/O failure.
    fn ingest(&self, entries: &[KvPair]) -> Result<(), StorageError> {
        let batch = ingest_batch(entries)?;
        if !batch.is_empty() {
            self.write(batch)?;
        }
        Ok(())
    }

    /// A read-only view of the keys of `ranges` at commit time `commit_time_micros`:
    /// every batch committed at or before it, nothing after. Outside `ranges` the view is
    /// empty, so a backend builds only what its reader asked for (the LSM replays only
    /// their part of the log; [`crate::KeyRanges::full`] asks for everything). Needs
    /// history retention.
    ///
    /// # Errors
    /// [`StorageError::OutsideRetention`] if the time is before the retained history or
    /// after now; [`StorageError::Unsupported`]; I/O failure.
    fn view_at(
        &self,
        commit_time_micros: u64,
        ranges: KeyRanges,
    ) -> Result<Box<dyn ReadView>, StorageError> {
        let _ = (commit_time_micros, ranges);
        Err(unsupported(self.name(), Capability::PastView))
    }

    /// Keeps history (the commit log and what past views are built from) for at least
    /// `retention`, from now on; `None` turns it off and discards the history kept.
    ///
    /// # Errors
    /// [`StorageError::Unsupported`]; I/O failure.
    fn set_history_retention(&self, retention: Option<Duration>) -> Result<(), StorageError> {
        let _ = retention;
        Err(unsupported(self.name(), Capability::HistoryRetention))
    }

    /// The retention set by [`Backend::set_history_retention`].
    fn history_retention(&self) -> Option<Duration> {
        None
    }

    /// The commit times and sequence numbers the retained history reaches; `None` when no
    /// history is kept.
    ///
    /// # Errors
    /// I/O failure.
    fn history_bounds(&self) -> Result<Option<HistoryBounds>, StorageError> {
        Ok(None)
    }

    /// Sets one key. Shorthand for a one-operation batch.
    ///
    /// # Errors
    /// As [`Backend::write`].
    fn put(&self, key: &[u8], value: &[u8]) -> Result<u64, StorageError> {
        let mut b = WriteBatch::new();
        b.put(key, value);
        self.write(b)
    }

    /// Removes one key. Shorthand for a one-operation batch.
    ///
    /// # Errors
    /// As [`Backend::write`].
    fn delete(&self, key: &[u8]) -> Result<u64, StorageError> {
        let mut b = WriteBatch::new();
        b.delete(key);
        self.write(b)
    }
}
