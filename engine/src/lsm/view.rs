//! Views of the LSM: of a past commit time ([`crate::Backend::view_at`]), a private
//! database rebuilt from a restore base and the commit log; of a checkpoint
//! ([`crate::Backend::open_checkpoint`]), a private database on a copy of it. Either
//! lives in a view directory (`History::link_scratch`) removed when the view is dropped,
//! so the base or checkpoint it came from is never changed.

use std::fmt;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::FileSystem;

use crate::backend::{BatchOp, Direction, KvIter, ReadView, WriteBatch};
use crate::lsm::checkpoint::{inspect, CheckpointDir};
use crate::lsm::db::Db;
use crate::lsm::history::read_log;
use crate::lsm::state::DbInner;
use crate::StorageError;

/// Bytes of replayed operations applied to a view's private database in one write.
const REPLAY_BATCH_BYTES: usize = 4 << 20;

/// Opens a view of `db` at commit time `t_micros`: links the newest base at or before it
/// and replays the log after the base up to the last batch committed at or before it.
pub(crate) fn open_view(db: &Db, t_micros: u64) -> Result<Box<dyn ReadView>, StorageError> {
    let inner = &db.inner;
    let plan = db.history.plan_view(inner, t_micros)?;
    let view = open_private(inner, plan.dir, t_micros)?;
    let private = view.db()?;
    let upto_lsn = inner.visibility.visible().saturating_sub(inner.seq_offset);
    // Consecutive batches are applied together: later operations on a key win inside a
    // batch just as they do across batches, and the private database needs no per-batch
    // commit (it is never read before the replay ends).
    let mut merged = WriteBatch::new();
    for committed in read_log(inner, plan.from_seq, upto_lsn)? {
        let committed = committed?;
        if committed.commit_time_micros > t_micros {
            break;
        }
        for op in committed.batch.into_ops() {
            match op {
                BatchOp::Put { key, value } => merged.put(key, value),
                BatchOp::Delete { key } => merged.delete(key),
                BatchOp::LogData { .. } => &mut merged,
            };
        }
        if merged.payload_bytes() >= REPLAY_BATCH_BYTES {
            private.write(std::mem::take(&mut merged))?;
        }
    }
    if !merged.is_empty() {
        private.write(merged)?;
    }
    Ok(Box::new(view))
}

/// Opens a view of the complete checkpoint in `dir` (see [`crate::lsm::checkpoint`]):
/// links it into a view directory and opens a private database there. Its commit time is
/// 0: a checkpoint does not record when it was taken.
///
/// # Errors
/// [`StorageError::CheckpointNotFound`] unless `dir` holds a complete checkpoint; I/O
/// failure or corruption.
pub(crate) fn open_checkpoint_view(db: &Db, dir: &Path) -> Result<Box<dyn ReadView>, StorageError> {
    let inner = &db.inner;
    if inspect(inner.fs().as_ref(), dir)? != CheckpointDir::Complete {
        return Err(StorageError::CheckpointNotFound {
            dir: dir.to_path_buf(),
        });
    }
    let scratch = db.history.link_scratch(inner, dir)?;
    Ok(Box::new(open_private(inner, scratch, 0)?))
}

/// Opens a private database in `dir`, a linked copy made by `History::link_scratch`, with
/// the source's options but no durability, archive or history: nothing in it outlives
/// the view. A failed open removes `dir` (else the next open of the source would).
fn open_private(inner: &DbInner, dir: PathBuf, t_micros: u64) -> Result<LsmView, StorageError> {
    let mut opts = inner.opts.clone();
    opts.dir = dir.clone();
    opts.durability = shale_wal::Durability::None;
    opts.archive_wal = false;
    opts.history_retention = None;
    let fs = inner.fs().clone();
    match Db::open(opts) {
        Ok(db) => Ok(LsmView {
            db: Some(db),
            dir,
            fs,
            t_micros,
        }),
        Err(e) => {
            let _ = fs.remove_dir_all(&dir);
            Err(e)
        }
    }
}

/// A past view or a checkpoint's view. Iterators from [`ReadView::scan`] must not
/// outlive it.
struct LsmView {
    db: Option<Db>,
    dir: PathBuf,
    fs: Arc<dyn FileSystem>,
    t_micros: u64,
}

impl fmt::Debug for LsmView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LsmView")
            .field("dir", &self.dir)
            .field("t_micros", &self.t_micros)
            .finish()
    }
}

impl LsmView {
    fn db(&self) -> Result<&Db, StorageError> {
        self.db.as_ref().ok_or(StorageError::Closed)
    }
}

impl ReadView for LsmView {
    fn commit_time_micros(&self) -> u64 {
        self.t_micros
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        self.db()?.get(key, None)
    }

    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Result<KvIter, StorageError> {
        self.db()?.scan(start, end, direction, None)
    }
}

impl Drop for LsmView {
    fn drop(&mut self) {
        if let Some(db) = self.db.take() {
            let _ = db.close();
        }
        // Left behind on failure, it is removed at the next open.
        let _ = self.fs.remove_dir_all(&self.dir);
    }
}
