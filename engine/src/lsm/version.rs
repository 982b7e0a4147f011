//! [`Version`]: an immutable set of live tables per level, and [`SuperVersion`]: everything
//! a reader needs (memtables + version) in one refcounted value.
//!
//! Invariant the read path relies on: for any user key, versions in the active memtable
//! are newer than in frozen memtables (newest first), which are newer than L0 tables
//! (newest first), which are newer than L1, and so on down. Flush adds the newest L0
//! table; compaction takes all of L0, or whole keys of Ln, into the level below.

use std::ops::Bound;
use std::sync::Arc;

use crate::backend::Direction;
use crate::lsm::entry::Entry;
use crate::lsm::manifest::{FileMeta, NUM_LEVELS};
use crate::lsm::memtable::Memtable;
use crate::lsm::merge::LevelSource;
use crate::lsm::source::{EntrySource, MemtableSource};
use crate::lsm::sstable_file::SstableFile;
use crate::StorageError;

/// Live tables per level.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    /// `levels[0]` newest first; deeper levels sorted by key, non-overlapping.
    pub(crate) levels: Vec<Vec<Arc<SstableFile>>>,
}

impl Default for Version {
    fn default() -> Self {
        Version {
            levels: vec![Vec::new(); NUM_LEVELS],
        }
    }
}

fn in_range(meta: &FileMeta, start: &Bound<Vec<u8>>, end: &Bound<Vec<u8>>) -> bool {
    let above_start = match start {
        Bound::Included(s) => meta.largest >= *s,
        Bound::Excluded(s) => meta.largest > *s,
        Bound::Unbounded => true,
    };
    let below_end = match end {
        Bound::Included(e) => meta.smallest <= *e,
        Bound::Excluded(e) => meta.smallest < *e,
        Bound::Unbounded => true,
    };
    above_start && below_end
}

impl Version {
    /// The file metadata per level (for the manifest state and compaction picking).
    pub(crate) fn metas(&self) -> Vec<Vec<FileMeta>> {
        self.levels
            .iter()
            .map(|files| files.iter().map(|f| f.meta.clone()).collect())
            .collect()
    }

    /// A new version with `removed` (level, number) taken out and `added` put in.
    pub(crate) fn apply(
        &self,
        removed: &[(usize, u64)],
        added: &[(usize, Arc<SstableFile>)],
    ) -> Version {
        let mut levels = self.levels.clone();
        for (level, number) in removed {
            if let Some(files) = levels.get_mut(*level) {
                files.retain(|f| f.meta.number != *number);
            }
        }
        for (level, file) in added {
            let Some(files) = levels.get_mut(*level) else {
                continue;
            };
            if *level == 0 {
                let pos = files
                    .iter()
                    .position(|f| f.meta.number < file.meta.number)
                    .unwrap_or(files.len());
                files.insert(pos, file.clone());
            } else {
                let pos = files.partition_point(|f| f.meta.smallest < file.meta.smallest);
                files.insert(pos, file.clone());
            }
        }
        let next = Version { levels };
        debug_assert!(
            next.shape_error().is_none(),
            "version edit broke the tree: {:?}",
            next.shape_error()
        );
        next
    }

    /// What is wrong with the levels' shape, if anything: L0 must be newest first (file
    /// numbers descending) and every deeper level sorted by key with disjoint files, or the
    /// read path returns stale versions (`get` stops at the first table holding a key).
    pub(crate) fn shape_error(&self) -> Option<String> {
        let l0 = &self.levels[0];
        if let Some(w) = l0.windows(2).find(|w| w[0].meta.number <= w[1].meta.number) {
            return Some(format!(
                "L0 not newest first: {} before {}",
                w[0].meta.number, w[1].meta.number
            ));
        }
        for (level, files) in self.levels.iter().enumerate().skip(1) {
            if let Some(w) = files
                .windows(2)
                .find(|w| w[0].meta.largest >= w[1].meta.smallest)
            {
                return Some(format!(
                    "L{level} files {} and {} overlap or are out of order",
                    w[0].meta.number, w[1].meta.number
                ));
            }
        }
        None
    }

    /// The newest entry for `key` at `read_seq` from the tables, tombstones included.
    ///
    /// # Errors
    /// I/O failure or corruption.
    pub(crate) fn get(&self, key: &[u8], read_seq: u64) -> Result<Option<Entry>, StorageError> {
        for f in &self.levels[0] {
            if f.meta.smallest.as_slice() <= key && key <= f.meta.largest.as_slice() {
                if let Some(e) = f.get(key, read_seq)? {
                    return Ok(Some(e));
                }
            }
        }
        for files in &self.levels[1..] {
            let i = files.partition_point(|f| f.meta.largest.as_slice() < key);
            if let Some(f) = files.get(i) {
                if f.meta.smallest.as_slice() <= key {
                    if let Some(e) = f.get(key, read_seq)? {
                        return Ok(Some(e));
                    }
                }
            }
        }
        Ok(None)
    }

    /// Every live table.
    pub(crate) fn all_files(&self) -> impl Iterator<Item = &Arc<SstableFile>> {
        self.levels.iter().flatten()
    }
}

/// A frozen memtable waiting for flush, with the highest LSN it holds.
#[derive(Debug, Clone)]
pub(crate) struct Frozen {
    /// The memtable.
    pub(crate) mem: Arc<Memtable>,
    /// Every batch with a sequence number at or below this (and above the previous frozen
    /// memtable's) is in `mem`.
    pub(crate) last_seq: u64,
}

/// What a reader needs, published as one value (see `handoff`).
#[derive(Debug, Clone)]
pub(crate) struct SuperVersion {
    /// The memtable receiving writes.
    pub(crate) active: Arc<Memtable>,
    /// Frozen memtables, newest first.
    pub(crate) frozen: Vec<Frozen>,
    /// The tables.
    pub(crate) version: Arc<Version>,
}

impl SuperVersion {
    /// The newest entry for `key` at `read_seq`, tombstones included.
    ///
    /// # Errors
    /// I/O failure or corruption.
    pub(crate) fn get(&self, key: &[u8], read_seq: u64) -> Result<Option<Entry>, StorageError> {
        let mems = std::iter::once(&self.active).chain(self.frozen.iter().map(|f| &f.mem));
        for m in mems {
            if let Some(e) = m.get(key, read_seq) {
                return Ok(Some(e));
            }
        }
        self.version.get(key, read_seq)
    }

    /// Sources for a scan over the range, newest first.
    pub(crate) fn sources(
        &self,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        direction: Direction,
    ) -> Vec<Box<dyn EntrySource>> {
        let mut out: Vec<Box<dyn EntrySource>> = Vec::new();
        let mems = std::iter::once(&self.active).chain(self.frozen.iter().map(|f| &f.mem));
        for m in mems {
            out.push(Box::new(MemtableSource::new(
                m.clone(),
                start.clone(),
                end.clone(),
                direction,
            )));
        }
        // L0 tables overlap: each is its own source. A deeper level's tables are sorted
        // and disjoint, so one source walks them in turn and positions a table only when
        // the scan reaches it (a short scan touches one or two tables per level, not all).
        for f in &self.version.levels[0] {
            if in_range(&f.meta, start, end) {
                out.push(Box::new(f.source(start, end, direction)));
            }
        }
        for files in &self.version.levels[1..] {
            let files: Vec<Arc<SstableFile>> = files
                .iter()
                .filter(|f| in_range(&f.meta, start, end))
                .cloned()
                .collect();
            if !files.is_empty() {
                out.push(Box::new(LevelSource::new(files, start, end, direction)));
            }
        }
        out
    }
}
