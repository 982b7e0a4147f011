//! Consistent checkpoints: the live tables hard-linked (or copied) into a new directory
//! with a manifest for exactly that version.
//!
//! A checkpoint holds every write up to [`CheckpointInfo::last_seq`] and nothing after it.
//! `Db::open` on the checkpoint directory works as is (its WAL starts empty, numbered
//! above the tables). Point-in-time restore replays the source's archived WAL from
//! [`CheckpointInfo::wal_lsn`]` + 1` on top of it (requires `archive_wal`).

use std::path::{Path, PathBuf};

use crate::lsm::db::Db;
use crate::lsm::manifest::{ManifestWriter, CURRENT_FILE};
use crate::lsm::table_file::table_name;
use crate::StorageError;

/// What a checkpoint contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointInfo {
    /// The checkpoint directory.
    pub dir: PathBuf,
    /// Every write with a sequence number at or below this is in the checkpoint.
    pub last_seq: u64,
    /// The WAL LSN of `last_seq` in the source database (replay from `wal_lsn + 1`).
    pub wal_lsn: u64,
    /// Tables linked or copied.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
}

impl Db {
    /// Flushes, then writes a checkpoint of the flushed state into `dir` (which must not
    /// hold a database yet).
    ///
    /// # Errors
    /// As [`Db::flush`]; I/O failure; `AlreadyExists` if `dir` already has a `CURRENT`.
    pub fn checkpoint(&self, dir: &Path) -> Result<CheckpointInfo, StorageError> {
        self.flush()?;
        let inner = &self.inner;
        let fs = inner.fs().clone();
        let io = |op: &'static str, path: &Path| {
            let path = path.to_path_buf();
            move |source| StorageError::Io { op, path, source }
        };
        // No compaction may delete an input while we link it.
        let _c = inner.compaction_lock.lock();
        let (version, state) = {
            let vs = inner.vs.lock();
            (vs.current.clone(), vs.state.clone())
        };
        fs.create_dir_all(dir).map_err(io("create dir", dir))?;
        if fs
            .exists(&dir.join(CURRENT_FILE))
            .map_err(io("stat", dir))?
        {
            return Err(StorageError::Io {
                op: "checkpoint",
                path: dir.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "directory already holds a database",
                ),
            });
        }
        let mut bytes = 0;
        let mut files = 0;
        for f in version.all_files() {
            let to = dir.join(table_name(f.meta.number));
            fs.link_or_copy(f.path(), &to).map_err(io("link", &to))?;
            bytes += f.meta.size_bytes;
            files += 1;
        }
        fs.sync_dir(dir).map_err(io("sync dir", dir))?;
        let number = state.next_file_number;
        let mut ckpt_state = state.clone();
        ckpt_state.next_file_number += 1;
        // Writes the manifest, syncs it, installs CURRENT and syncs the directory.
        ManifestWriter::create(fs, dir, number, &ckpt_state, None)?;
        Ok(CheckpointInfo {
            dir: dir.to_path_buf(),
            last_seq: state.last_flushed_seq,
            wal_lsn: state.last_flushed_seq.saturating_sub(state.seq_offset),
            files,
            bytes,
        })
    }
}
