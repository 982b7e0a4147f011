//! Past views of the LSM ([`crate::Backend::view_at`]): a private database rebuilt from a
//! restore base and the commit log, removed when the view is dropped.

use std::fmt;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::Arc;

use shale_io::FileSystem;

use crate::backend::{Direction, KvIter, ReadView};
use crate::lsm::db::Db;
use crate::lsm::history::read_log;
use crate::StorageError;

/// Opens a view of `db` at commit time `t_micros`: links the newest base at or before it
/// and replays the log after the base up to the last batch committed at or before it.
pub(crate) fn open_view(db: &Db, t_micros: u64) -> Result<Box<dyn ReadView>, StorageError> {
    let inner = &db.inner;
    let plan = db.history.plan_view(inner, t_micros)?;
    let mut opts = inner.opts.clone();
    opts.dir = plan.dir.clone();
    opts.durability = shale_wal::Durability::None;
    opts.archive_wal = false;
    opts.history_retention = None;
    let fs = inner.fs().clone();
    let view = LsmView {
        // On failure the directory is left and removed at the next open.
        db: Some(Db::open(opts)?),
        dir: plan.dir,
        fs,
        t_micros,
    };
    let private = view.db()?;
    let upto_lsn = inner.visibility.visible().saturating_sub(inner.seq_offset);
    for committed in read_log(inner, plan.from_seq, upto_lsn)? {
        let committed = committed?;
        if committed.commit_time_micros > t_micros {
            break;
        }
        private.write(committed.batch)?;
    }
    Ok(Box::new(view))
}

/// A past view. Iterators from [`ReadView::scan`] must not outlive it.
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
