//! Checking a database directory without opening it for writes (`shale-admin verify`):
//! the manifest `CURRENT` names, every record of every live SSTable (each block's
//! checksum), and every WAL segment as recovery would read it. Nothing is changed: a torn
//! WAL tail is reported as what opening would cut, not cut.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_io::FileSystem;
use shale_wal::SegmentVerdict;

use crate::lsm::manifest;
use crate::lsm::sstable_file::{parse_sstable_name, SstableFile};
use crate::StorageError;

/// What [`verify_dir`] found.
#[derive(Debug)]
pub struct VerifyReport {
    /// The manifest: `Ok` with its number, or why it cannot be read.
    pub manifest: Result<u64, StorageError>,
    /// Every live SSTable the manifest names.
    pub sstables: Vec<SstableVerdict>,
    /// Table files in the directory the manifest does not name (left by a crash; removed
    /// at the next open).
    pub orphan_sstables: Vec<PathBuf>,
    /// Every WAL segment, live and archived (empty if the WAL directory cannot be listed:
    /// see `wal_listing`).
    pub wal: Vec<SegmentVerdict>,
    /// Why the WAL directory could not be listed, if it could not.
    pub wal_listing: Option<shale_wal::Error>,
}

/// One SSTable's check.
#[derive(Debug)]
pub struct SstableVerdict {
    /// Its file number.
    pub number: u64,
    /// Its level.
    pub level: usize,
    /// Entries read (every one, through every block).
    pub entries: u64,
    /// `Ok`, or the first error reading it.
    pub outcome: Result<(), StorageError>,
}

impl VerifyReport {
    /// Whether anything is damaged: the manifest, a table, or a WAL segment that opening
    /// would refuse. A torn WAL tail, which opening cuts, is not damage.
    pub fn is_damaged(&self) -> bool {
        self.manifest.is_err()
            || self.sstables.iter().any(|t| t.outcome.is_err())
            || self.wal.iter().any(|s| s.outcome.is_err())
            || self.wal_listing.is_some()
    }
}

/// Checks the database in `dir` on `fs`, reading every byte of every live file once.
pub fn verify_dir(fs: &Arc<dyn FileSystem>, dir: &Path) -> VerifyReport {
    let (manifest, sstables) = match manifest::load(&**fs, dir) {
        Ok((state, number)) => {
            let tables = state
                .levels
                .iter()
                .enumerate()
                .flat_map(|(level, files)| files.iter().map(move |f| (level, f.clone())))
                .map(|(level, meta)| verify_sstable(fs, dir, level, meta))
                .collect();
            (Ok(number), tables)
        }
        Err(e) => (Err(e), Vec::new()),
    };
    let named: Vec<u64> = sstables.iter().map(|t: &SstableVerdict| t.number).collect();
    let orphan_sstables = fs
        .list_dir(dir)
        .map(|names| {
            names
                .iter()
                .filter(|n| parse_sstable_name(n).is_some_and(|number| !named.contains(&number)))
                .map(|n| dir.join(n))
                .collect()
        })
        .unwrap_or_default();
    let (wal, wal_listing) = match shale_wal::verify_dir(&**fs, &dir.join("wal")) {
        Ok(verdicts) => (verdicts, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    VerifyReport {
        manifest,
        sstables,
        orphan_sstables,
        wal,
        wal_listing,
    }
}

/// Opens one table (its footer, index and filter checked) and reads every entry.
fn verify_sstable(
    fs: &Arc<dyn FileSystem>,
    dir: &Path,
    level: usize,
    meta: crate::lsm::manifest::FileMeta,
) -> SstableVerdict {
    let number = meta.number;
    let mut entries = 0;
    let outcome = SstableFile::open(fs, dir, meta, None).and_then(|file| {
        let mut it = file.table.iter();
        it.seek_to_first()?;
        while it.valid() {
            entries += 1;
            it.next()?;
        }
        Ok(())
    });
    SstableVerdict {
        number,
        level,
        entries,
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use shale_io::FaultFs;

    use super::*;
    use crate::lsm::{Db, DbOptions};

    #[test]
    fn a_healthy_database_verifies_clean_and_reads_every_entry() {
        let fs: Arc<dyn FileSystem> = Arc::new(FaultFs::new());
        let mut opts = DbOptions::new("/db").with_fs(fs.clone());
        opts.wal_segment_bytes = 1 << 20;
        let db = Db::open(opts).expect("open");
        for i in 0..500u32 {
            db.put(format!("k{i:05}").as_bytes(), b"v").expect("put");
        }
        db.flush().expect("flush");
        db.put(b"in-the-wal", b"v").expect("put");
        db.close().expect("close");
        let report = verify_dir(&fs, Path::new("/db"));
        assert!(!report.is_damaged(), "{report:?}");
        assert!(report.manifest.is_ok());
        assert_eq!(report.sstables.iter().map(|t| t.entries).sum::<u64>(), 500);
        assert!(!report.wal.is_empty());
        assert!(report.wal.iter().all(|s| s.outcome.is_ok()));
    }
}
