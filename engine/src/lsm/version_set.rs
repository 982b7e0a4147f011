//! [`VersionSet`]: the manifest and the state it describes; and [`Tree`], the narrow
//! view of the engine that flush and compaction work through: make tables, then log an
//! edit and publish the version it yields (LevelDB's `LogAndApply`).
//!
//! Any I/O failure here poisons the engine (the caller does it): a table or manifest
//! write that failed may have left the OS page cache in an unknown state, so nothing more
//! is written until the engine is reopened and recovers from what is durable.

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use shale_io::FileSystem;
use shale_sstable::TableOptions;

use crate::lsm::entry::EntryKind;
use crate::lsm::handoff::SwitchCell;
use crate::lsm::manifest::{self, FileMeta, LevelsState, ManifestWriter, VersionEdit};
use crate::lsm::reclaim::Reclaimer;
use crate::lsm::sstable_file::{sstable_name, SstableFile, TableBuilder, TableReads};
use crate::lsm::stats::Counters;
use crate::lsm::version::{Frozen, SuperVersion, Version};
use crate::StorageError;

/// A manifest larger than this is rewritten as a fresh one holding just the current state.
const MANIFEST_ROLL_BYTES: u64 = 4 << 20;

/// The version set: the manifest and the state it describes. Guarded by `DbInner::vs`.
///
/// Invariant: `current` holds exactly the files of `state.levels`, level by level in the
/// same order (checked in debug builds after every install).
#[derive(Debug)]
pub(crate) struct VersionSet {
    pub(crate) manifest: ManifestWriter,
    pub(crate) state: LevelsState,
    pub(crate) current: Arc<Version>,
    /// Per level, the largest key last compacted out of it (for `FileOrder::RoundRobin`).
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

/// What flush and compaction may touch: the table files, the version set and the
/// published [`SuperVersion`], plus the counters they feed. Not the WAL, the write path,
/// the background signals or the handle. Built by `DbInner::tree`; borrows for one job.
pub(crate) struct Tree<'a> {
    pub(crate) fs: &'a Arc<dyn FileSystem>,
    pub(crate) dir: &'a Path,
    pub(crate) table_options: TableOptions,
    /// How new tables are read: their block cache and read-ahead.
    pub(crate) reads: TableReads,
    pub(crate) vs: &'a Mutex<VersionSet>,
    pub(crate) sv: &'a SwitchCell<SuperVersion>,
    pub(crate) reclaimer: &'a Reclaimer,
    pub(crate) counters: &'a Counters,
}

impl Tree<'_> {
    /// Creates a new table file under a fresh number.
    ///
    /// # Errors
    /// I/O failure creating the file.
    pub(crate) fn create_table(&self) -> Result<TableBuilder, StorageError> {
        let number = self.vs.lock().next_file_number();
        TableBuilder::create(self.fs, self.dir, number, self.table_options)
    }

    /// Writes `entries` (keys strictly ascending), all at sequence number `seq`, as one
    /// new table, synced and not yet installed: what a bulk load (`lsm::ingest`) and a
    /// view's replay (`lsm::replay`) install. A failed write removes the partial file.
    ///
    /// # Errors
    /// Out-of-order input or I/O failure.
    pub(crate) fn write_table<'e>(
        &self,
        entries: impl IntoIterator<Item = (&'e [u8], EntryKind, &'e [u8])>,
        seq: u64,
    ) -> Result<FileMeta, StorageError> {
        let mut builder = self.create_table()?;
        for (key, kind, value) in entries {
            if let Err(e) = builder.add_parts(key, seq, kind, value) {
                builder.abandon();
                return Err(e);
            }
        }
        builder.finish()
    }

    /// Applies an edit: syncs the directory (new tables' names), appends to the manifest,
    /// opens the new tables, publishes the new state and marks removed tables obsolete.
    /// `flushed` is the frozen memtable the edit replaces, if it is a flush.
    ///
    /// # Errors
    /// I/O failure (the caller poisons the engine); [`StorageError::Corruption`] if the
    /// edit does not apply to the current state.
    pub(crate) fn install(
        &self,
        removed: &[(usize, u64)],
        added: Vec<(usize, FileMeta)>,
        last_flushed_seq: u64,
        flushed: Option<&Frozen>,
    ) -> Result<(), StorageError> {
        if !added.is_empty() {
            self.sync_dir()?;
        }
        let mut vs = self.vs.lock();
        self.install_locked(&mut vs, removed, added, last_flushed_seq, flushed)
    }

    /// Installs the new table `meta` in `level` as one edit if no table of any level
    /// overlaps its key range, checked under the version-set lock (so no compaction can
    /// place one there meanwhile); otherwise deletes its file and returns `false`. For
    /// bulk loads (`lsm::ingest`).
    ///
    /// # Errors
    /// As [`Tree::install`].
    pub(crate) fn install_if_free(
        &self,
        level: usize,
        meta: FileMeta,
    ) -> Result<bool, StorageError> {
        self.sync_dir()?;
        let mut vs = self.vs.lock();
        let taken = vs
            .state
            .levels
            .iter()
            .flatten()
            .any(|f| f.overlaps(&meta.smallest, &meta.largest));
        if taken {
            drop(vs);
            // Never named by a manifest: an orphan at worst, removed at the next open.
            let _ = self
                .fs
                .remove_file(&self.dir.join(sstable_name(meta.number)));
            return Ok(false);
        }
        self.install_locked(&mut vs, &[], vec![(level, meta)], 0, None)?;
        Ok(true)
    }

    fn sync_dir(&self) -> Result<(), StorageError> {
        self.fs
            .sync_dir(self.dir)
            .map_err(|source| StorageError::Io {
                op: "sync dir",
                path: self.dir.to_path_buf(),
                source,
            })
    }

    /// [`Tree::install`] with the version set already locked.
    fn install_locked(
        &self,
        vs: &mut VersionSet,
        removed: &[(usize, u64)],
        added: Vec<(usize, FileMeta)>,
        last_flushed_seq: u64,
        flushed: Option<&Frozen>,
    ) -> Result<(), StorageError> {
        let dir = self.dir;
        let opened = self.open_added(&vs.current, &added)?;
        let edit = VersionEdit {
            last_flushed_seq: last_flushed_seq.max(vs.state.last_flushed_seq),
            next_file_number: vs.state.next_file_number,
            seq_offset: vs.state.seq_offset,
            added,
            removed: removed.to_vec(),
        };
        let manifest_path = dir.join(manifest::manifest_name(vs.manifest.number()));
        // Before the write: an edit the state would refuse must never reach the manifest,
        // where it would fail every later open.
        debug_assert!(
            vs.state
                .clone()
                .apply(&edit, &manifest_path, vs.manifest.size_bytes())
                .is_ok(),
            "version edit does not apply to the current state: {edit:?}"
        );
        vs.manifest.append(&edit)?;
        let record_offset = vs.manifest.size_bytes();
        vs.state.apply(&edit, &manifest_path, record_offset)?;
        let obsolete = obsolete_tables(&vs.current, removed, &opened);
        let next = Arc::new(vs.current.apply(removed, &opened));
        // After the apply, in pair with the check above: the in-memory version mirrors the
        // manifest's state exactly.
        debug_assert_eq!(
            next.metas(),
            vs.state.levels,
            "version and manifest disagree"
        );
        vs.current = next.clone();
        self.publish(next, flushed);
        for f in obsolete {
            f.mark_obsolete();
            // Its file is deleted on drop: by a background thread, not inside a read.
            self.reclaimer.retire(f);
        }
        self.maybe_roll_manifest(vs)?;
        Ok(())
    }

    /// The tables an edit adds, opened (a trivial move re-uses the open table).
    fn open_added(
        &self,
        current: &Version,
        added: &[(usize, FileMeta)],
    ) -> Result<Vec<(usize, Arc<SstableFile>)>, StorageError> {
        let mut opened = Vec::with_capacity(added.len());
        for (level, meta) in added {
            let existing = current
                .all_files()
                .find(|f| f.meta.number == meta.number)
                .cloned();
            let tf = match existing {
                Some(tf) => tf,
                None => SstableFile::open_with(self.fs, self.dir, meta.clone(), &self.reads)?,
            };
            opened.push((*level, tf));
        }
        Ok(opened)
    }

    /// Publishes `version` to readers, without the frozen memtable `flushed` replaced.
    fn publish(&self, version: Arc<Version>, flushed: Option<&Frozen>) {
        self.sv.swap_with(|cur| {
            let frozen = cur
                .frozen
                .iter()
                .filter(|f| flushed.is_none_or(|x| !Arc::ptr_eq(&f.mem, &x.mem)))
                .cloned()
                .collect();
            Some((
                SuperVersion {
                    active: cur.active.clone(),
                    frozen,
                    version,
                },
                (),
            ))
        });
    }

    fn maybe_roll_manifest(&self, vs: &mut VersionSet) -> Result<(), StorageError> {
        if vs.manifest.size_bytes() < MANIFEST_ROLL_BYTES {
            return Ok(());
        }
        let number = vs.next_file_number();
        let old = vs.manifest.number();
        vs.manifest =
            ManifestWriter::create(self.fs.clone(), self.dir, number, &vs.state, Some(old))?;
        Ok(())
    }
}

/// The tables of `current` an edit removes for good (not those it moves to another level).
fn obsolete_tables(
    current: &Version,
    removed: &[(usize, u64)],
    opened: &[(usize, Arc<SstableFile>)],
) -> Vec<Arc<SstableFile>> {
    let moved: Vec<u64> = opened.iter().map(|(_, f)| f.meta.number).collect();
    current
        .levels
        .iter()
        .enumerate()
        .flat_map(|(l, files)| files.iter().map(move |f| (l, f)))
        .filter(|(l, f)| removed.contains(&(*l, f.meta.number)) && !moved.contains(&f.meta.number))
        .map(|(_, f)| f.clone())
        .collect()
}
