//! The [`Backend`] trait: the ordered key-value interface the data model is built on.

use std::any::Any;
use std::fmt::Debug;
use std::ops::Bound;
use std::sync::Arc;

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
}

impl BatchOp {
    /// The key this operation touches.
    pub fn key(&self) -> &[u8] {
        match self {
            BatchOp::Put { key, .. } | BatchOp::Delete { key } => key,
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
            })
            .sum()
    }
}

/// Longest key a backend accepts: the most an SSTable stores (DynamoDB's keys, 2 KiB
/// partition + 1 KiB sort key plus the table layer's encoding, fit many times over).
pub const MAX_KEY_BYTES: usize = shale_sstable::MAX_KEY_BYTES;
/// Longest value a backend accepts: the most an SSTable stores (a 400 KB item with its
/// encoding overhead fits many times over).
pub const MAX_VALUE_BYTES: usize = shale_sstable::MAX_VALUE_BYTES;

impl WriteBatch {
    /// Checks every key and value against [`MAX_KEY_BYTES`] and [`MAX_VALUE_BYTES`], so
    /// an entry the tables could never store is refused up front instead of failing (and
    /// poisoning the engine) at flush time, again after every reopen.
    ///
    /// # Errors
    /// [`StorageError::KeyTooLarge`], [`StorageError::ValueTooLarge`].
    pub fn check_limits(&self) -> Result<(), StorageError> {
        for op in &self.ops {
            let key = op.key();
            if key.len() > MAX_KEY_BYTES {
                return Err(StorageError::KeyTooLarge {
                    size: key.len(),
                    max: MAX_KEY_BYTES,
                });
            }
            if let BatchOp::Put { value, .. } = op {
                if value.len() > MAX_VALUE_BYTES {
                    return Err(StorageError::ValueTooLarge {
                        size: value.len(),
                        max: MAX_VALUE_BYTES,
                    });
                }
            }
        }
        Ok(())
    }
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

/// A key-value pair from a scan.
pub type KvPair = (Vec<u8>, Vec<u8>);

/// An owned scan iterator. It reads at a fixed snapshot, so it is unaffected by writes made
/// after it was created. It yields an `Err` and then stops if the storage fails.
pub type KvIter = Box<dyn Iterator<Item = Result<KvPair, StorageError>> + Send>;

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
    /// snapshot taken now.
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

    /// The LSM's statistics (levels, write amplification, bloom filters, stalls); `None`
    /// for a backend without levels.
    fn stats(&self) -> Option<crate::lsm::DbStats> {
        None
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
