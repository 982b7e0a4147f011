//! Consistent checkpoints: the live tables hard-linked (or copied) into a new directory
//! with a manifest for exactly that version.
//!
//! A checkpoint holds every write up to its `seq` and nothing after it. `Db::open` on the
//! checkpoint directory works as is (its WAL starts empty, numbered above the tables).
//! The source's commit log carries on from `seq + 1`: history retention
//! ([`crate::lsm::history`]) keeps it, and past views replay it on top of a checkpoint.

use std::path::{Path, PathBuf};

use crate::backend::CheckpointInfo;
use crate::lsm::manifest::{ManifestWriter, CURRENT_FILE};
use crate::lsm::sstable_file::sstable_name;
use crate::lsm::state::DbInner;
use crate::StorageError;

/// A checkpoint of the flushed state, with the WAL position it ends at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlushedCheckpoint {
    pub(crate) dir: PathBuf,
    /// Every write with a sequence number at or below this is in the checkpoint.
    pub(crate) last_seq: u64,
    /// The WAL LSN of `last_seq` in the source (its log carries on at `wal_lsn + 1`).
    pub(crate) wal_lsn: u64,
    pub(crate) files: usize,
    pub(crate) bytes: u64,
}

impl From<FlushedCheckpoint> for CheckpointInfo {
    fn from(c: FlushedCheckpoint) -> Self {
        CheckpointInfo::new(c.dir, c.last_seq, c.files, c.bytes)
    }
}

fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Io { op, path, source }
}

/// Writes a checkpoint of what is in tables now (no flush: the unflushed tail stays in
/// the WAL, from `wal_lsn + 1`). Safe from any thread but the compaction thread.
pub(crate) fn checkpoint_flushed(
    inner: &DbInner,
    dir: &Path,
) -> Result<FlushedCheckpoint, StorageError> {
    let fs = inner.fs().clone();
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
        let to = dir.join(sstable_name(f.meta.number));
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
    Ok(FlushedCheckpoint {
        dir: dir.to_path_buf(),
        last_seq: state.last_flushed_seq,
        wal_lsn: state.last_flushed_seq.saturating_sub(state.seq_offset),
        files,
        bytes,
    })
}
