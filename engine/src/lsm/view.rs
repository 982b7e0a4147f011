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

use crate::backend::{Direction, KvIter, ReadView};
use crate::key_range::{KeyRanges, RangeView};
use crate::lsm::checkpoint::{inspect, CheckpointDir};
use crate::lsm::db::Db;
use crate::lsm::history::read_log;
use crate::lsm::options::DbOptions;
use crate::lsm::replay::replay;
use crate::lsm::state::DbInner;
use crate::StorageError;

/// L0 tables a replayed view's database holds before it compacts (see [`replay_options`]).
const VIEW_L0_FILES: usize = 64;

/// Opens a view of the keys of `ranges` in `db` at commit time `t_micros`: links the
/// newest base at or before it and replays the log's operations on `ranges` after the
/// base up to the last batch committed at or before it.
pub(crate) fn open_view(
    db: &Db,
    t_micros: u64,
    ranges: KeyRanges,
) -> Result<Box<dyn ReadView>, StorageError> {
    let inner = &db.inner;
    let plan = db.history.plan_view(inner, t_micros)?;
    let view = open_private(inner, plan.dir, t_micros, replay_options)?;
    let private = view.db()?;
    let upto_lsn = inner.visibility.visible().saturating_sub(inner.seq_offset);
    let log = read_log(inner, plan.from_seq, upto_lsn)?;
    replay(private, log, t_micros, &ranges)?;
    Ok(Box::new(RangeView::new(Box::new(view), ranges)))
}

/// A replayed view's private database: the source's options, but no compaction until
/// [`VIEW_L0_FILES`] tables wait in L0. The replay (`lsm::replay`) writes the tail once,
/// as L0 tables beside the base's levels, instead of compacting it into them (rewriting
/// the base: a 1 GiB tail took 23 s to replay with compaction, issue 14); a view lives
/// for one reader, which merges the few L0 tables as it reads.
fn replay_options(opts: &mut DbOptions) {
    opts.l0_compaction_trigger = opts.l0_compaction_trigger.max(VIEW_L0_FILES);
    opts.l0_slowdown_files = opts.l0_slowdown_files.max(VIEW_L0_FILES);
    opts.l0_stop_files = opts.l0_stop_files.max(VIEW_L0_FILES);
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
    Ok(Box::new(open_private(inner, scratch, 0, |_| {})?))
}

/// Opens a private database in `dir`, a linked copy made by `History::link_scratch`, with
/// the source's options but no durability, archive or history: nothing in it outlives
/// the view. A failed open removes `dir` (else the next open of the source would).
fn open_private(
    inner: &DbInner,
    dir: PathBuf,
    t_micros: u64,
    tune: impl FnOnce(&mut DbOptions),
) -> Result<LsmView, StorageError> {
    let mut opts = inner.opts.clone();
    opts.dir = dir.clone();
    opts.durability = shale_wal::Durability::None;
    opts.archive_wal = false;
    opts.history_retention = None;
    // A view is read once, front to back (a restore, an export): caching its blocks
    // would only churn a cache with blocks never read again.
    opts.block_cache_bytes = 0;
    tune(&mut opts);
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
