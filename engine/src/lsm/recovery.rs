//! Recovery, the steps of `Db::open` in order (LevelDB's `Recover` and `RecoverLogFile`):
//! 1. [`recover_manifest`]: which tables are live, from `CURRENT` and its manifest;
//! 2. [`open_tables`]: open them into the first [`Version`];
//! 3. [`open_wal`] and [`replay_wal`]: the writes not yet in tables, into a memtable,
//!    checking that the WAL reaches back to what the manifest says is flushed;
//! 4. [`roll_manifest`]: a fresh manifest holding the recovered state, and the leftovers
//!    of a crash (orphan tables, stale manifests) deleted.
//!
//! Nothing here starts a thread or publishes anything: a failed open leaves no engine.

use std::path::Path;
use std::sync::Arc;

use shale_io::FileSystem;
use shale_sstable::BlockCache;
use shale_wal::{Preallocation, Wal, WalOptions};

use crate::backend::BatchOp;
use crate::lsm::batch_codec::{decode_batch, RECORD_KIND_BATCH};
use crate::lsm::entry::EntryKind;
use crate::lsm::error::LsmError;
use crate::lsm::manifest::{self, LevelsState, ManifestWriter, CURRENT_FILE, MAX_COUNTER};
use crate::lsm::memtable::Memtable;
use crate::lsm::options::DbOptions;
use crate::lsm::sstable_file::{parse_sstable_name, SstableFile};
use crate::lsm::state::{io_err, wal_err};
use crate::lsm::version::Version;
use crate::StorageError;

/// The manifest's state as found on disk.
#[derive(Debug)]
pub(crate) struct RecoveredManifest {
    pub(crate) state: LevelsState,
    /// The manifest `CURRENT` named (`None` for a new database).
    pub(crate) old_manifest: Option<u64>,
    /// `CURRENT` was missing beside manifests but no tables: a creation that crashed
    /// before its first `CURRENT` was installed, if the WAL turns out to be empty (see
    /// [`check_interrupted_creation`]).
    pub(crate) interrupted_creation: bool,
}

/// What the WAL replay yields.
#[derive(Debug)]
pub(crate) struct Replayed {
    /// The writes above the flushed sequence.
    pub(crate) mem: Memtable,
    /// Sequence number = WAL LSN + this (raised for a checkpoint's fresh WAL).
    pub(crate) seq_offset: u64,
    /// The highest sequence number recovered: visible from the start.
    pub(crate) last_seq: u64,
}

/// Step 1: creates the directory if needed and loads the live manifest; a directory
/// with neither is a new database. Raises the next file number above every table on
/// disk, so new files never collide with leftovers of a crashed flush or compaction.
///
/// # Errors
/// I/O failure; [`StorageError::Corruption`] for a damaged manifest or `CURRENT`, for
/// tables or manifests without a `CURRENT`, or a table number beyond [`MAX_COUNTER`].
pub(crate) fn recover_manifest(opts: &DbOptions) -> Result<RecoveredManifest, StorageError> {
    let fs = opts.fs.as_ref();
    let dir = &opts.dir;
    fs.create_dir_all(dir).map_err(io_err("create dir", dir))?;
    let names = fs.list_dir(dir).map_err(io_err("list dir", dir))?;
    let mut interrupted_creation = false;
    let (mut state, old_manifest) = if names.iter().any(|n| n == CURRENT_FILE) {
        let (s, n) = manifest::load(fs, dir)?;
        (s, Some(n))
    } else {
        if names.iter().any(|n| parse_sstable_name(n).is_some()) {
            return Err(missing_current(dir));
        }
        // A new database writes its first manifest, then installs `CURRENT`; a crash
        // between the two leaves manifests and no `CURRENT`. The WAL decides whether
        // that is all it was.
        interrupted_creation = names.iter().any(|n| n.starts_with("MANIFEST-"));
        (LevelsState::default(), None)
    };
    let max_on_disk = names
        .iter()
        .filter_map(|n| parse_sstable_name(n))
        .max()
        .unwrap_or(0);
    if max_on_disk >= MAX_COUNTER {
        return Err(StorageError::Corruption {
            file: dir.join(format!("{max_on_disk}.sst")),
            offset: 0,
            reason: "table file number beyond the range the engine writes",
        });
    }
    state.next_file_number = state.next_file_number.max(max_on_disk + 1);
    Ok(RecoveredManifest {
        state,
        old_manifest,
        interrupted_creation,
    })
}

fn missing_current(dir: &Path) -> StorageError {
    StorageError::Corruption {
        file: dir.join(CURRENT_FILE),
        offset: 0,
        reason: "CURRENT is missing but the directory holds tables or manifests",
    }
}

/// Step 3c: accepts manifests without `CURRENT` only as the leftovers of an interrupted
/// creation. No write can be acknowledged before `Db::open` has installed `CURRENT`, so
/// a creation that crashed left an empty WAL; a WAL with records means a database that
/// lost its `CURRENT`, and opening it as new would drop what its manifest recorded.
/// The leftover manifests are removed with the other orphans. It runs once the WAL is
/// open (whether the log holds records is what recovery finds), so a directory refused
/// here has had its log recovered as any open recovers it (a torn unsynced tail
/// zeroed), nothing more.
///
/// # Errors
/// [`StorageError::Corruption`] when the WAL holds records.
pub(crate) fn check_interrupted_creation(
    opts: &DbOptions,
    found: &RecoveredManifest,
    wal: &Wal,
) -> Result<(), StorageError> {
    if !found.interrupted_creation {
        return Ok(());
    }
    if wal.last_lsn() > 0 {
        return Err(missing_current(&opts.dir));
    }
    Ok(())
}

/// Step 2: opens every live table, level by level in the manifest's order.
///
/// # Errors
/// I/O failure or a damaged table.
pub(crate) fn open_tables(
    opts: &DbOptions,
    state: &LevelsState,
    cache: &Arc<BlockCache>,
) -> Result<Version, StorageError> {
    let mut version = Version::default();
    for (level, files) in state.levels.iter().enumerate() {
        for meta in files {
            let tf = SstableFile::open_with(
                &opts.fs,
                &opts.dir,
                meta.clone(),
                &opts.table_reads(cache),
            )?;
            version.levels[level].push(tf);
        }
    }
    // The manifest's state was validated as it was replayed; this is its in-memory twin.
    debug_assert!(
        version.shape_error().is_none(),
        "{:?}",
        version.shape_error()
    );
    Ok(version)
}

/// Step 3a: opens the WAL with the options' durability, segment size and archiving.
///
/// # Errors
/// WAL I/O failure or corruption.
pub(crate) fn open_wal(opts: &DbOptions) -> Result<Wal, StorageError> {
    let mut wal_opts = WalOptions::new(opts.wal_dir(), opts.fs.clone(), opts.clock.clone());
    wal_opts.durability = opts.durability;
    wal_opts.segment_size_bytes = opts.wal_segment_bytes;
    wal_opts.archive = opts.archive_wal;
    wal_opts.on_synced_loss = opts.wal_on_synced_loss;
    wal_opts.prepare_spare_segments = opts.wal_spare_segments;
    wal_opts.mmap_appends = opts.wal_mmap_appends;
    wal_opts.writeback_every_bytes = opts.wal_writeback_every_bytes;
    // Zero-filled segments make each fdatasync cheaper (no allocation metadata to
    // commit), which only pays when writes wait for one, and they are what appends
    // through a map need (no block allocated by a page fault). Otherwise writing a
    // segment's worth of zeros per roll just doubles the WAL's write traffic.
    wal_opts.preallocation = match (opts.wal_preallocation, opts.durability) {
        (Some(chosen), _) => chosen,
        (None, shale_wal::Durability::Sync) => Preallocation::Zeroed,
        (None, _) if opts.wal_mmap_appends => Preallocation::Zeroed,
        (None, _) => Preallocation::SetLen,
    };
    Wal::open(wal_opts).map_err(wal_err)
}

/// Step 3b: replays the WAL records above the flushed sequence into a memtable.
///
/// # Errors
/// [`LsmError::WalGap`] if the WAL does not cover every write between the flushed
/// sequence and its end; [`LsmError::CorruptBatch`] for an unparseable record; WAL I/O.
pub(crate) fn replay_wal(
    wal: &Wal,
    state: &LevelsState,
    memtable_bytes: usize,
) -> Result<Replayed, StorageError> {
    let flushed = state.last_flushed_seq;
    let wal_last = wal.last_lsn();
    let seq_offset = seq_offset_for(state, wal_last)?;
    let mem = Memtable::with_budget_after(memtable_bytes, flushed);
    let from_lsn = flushed.saturating_sub(seq_offset) + 1;
    if wal_last >= from_lsn {
        replay_records(wal, &mem, from_lsn, wal_last, seq_offset)?;
    }
    Ok(Replayed {
        mem,
        seq_offset,
        last_seq: (wal_last + seq_offset).max(flushed),
    })
}

/// The sequence offset to number the WAL's records with: the manifest's, or for a fresh
/// WAL under existing tables (a checkpoint) one that numbers above them.
fn seq_offset_for(state: &LevelsState, wal_last: u64) -> Result<u64, StorageError> {
    let flushed = state.last_flushed_seq;
    let seq_offset = state.seq_offset;
    if wal_last + seq_offset >= flushed {
        return Ok(seq_offset);
    }
    if wal_last == 0 {
        return Ok(flushed);
    }
    Err(LsmError::WalGap {
        flushed_seq: flushed,
        wal_next_seq: wal_last + seq_offset + 1,
    }
    .into())
}

/// Inserts records `from_lsn..=wal_last` into `mem`; each LSN must follow the previous.
fn replay_records(
    wal: &Wal,
    mem: &Memtable,
    from_lsn: u64,
    wal_last: u64,
    seq_offset: u64,
) -> Result<(), StorageError> {
    let mut expected = from_lsn;
    for rec in wal.read_from_lsn(from_lsn).map_err(wal_err)? {
        let rec = rec.map_err(wal_err)?;
        if rec.lsn != expected {
            return Err(LsmError::WalGap {
                flushed_seq: expected + seq_offset - 1,
                wal_next_seq: rec.lsn + seq_offset,
            }
            .into());
        }
        if rec.kind != RECORD_KIND_BATCH {
            return Err(LsmError::CorruptBatch {
                lsn: rec.lsn,
                reason: "unknown WAL record kind",
            }
            .into());
        }
        let batch = decode_batch(&rec.payload).map_err(|reason| LsmError::CorruptBatch {
            lsn: rec.lsn,
            reason,
        })?;
        let seq = rec.lsn + seq_offset;
        for op in batch.ops() {
            match op {
                BatchOp::Put { key, value } => mem.insert(key, seq, EntryKind::Put, value),
                BatchOp::Delete { key } => mem.insert(key, seq, EntryKind::Delete, &[]),
                BatchOp::LogData { .. } => {}
            }
        }
        expected += 1;
        if expected > wal_last {
            break;
        }
    }
    if expected != wal_last + 1 {
        return Err(LsmError::WalGap {
            flushed_seq: expected + seq_offset - 1,
            wal_next_seq: wal_last + seq_offset + 1,
        }
        .into());
    }
    Ok(())
}

/// Step 4: records the recovered state (with the replay's `seq_offset`) in a new
/// manifest, points `CURRENT` at it, and deletes what no manifest names.
///
/// # Errors
/// I/O failure.
pub(crate) fn roll_manifest(
    opts: &DbOptions,
    recovered: &mut RecoveredManifest,
    seq_offset: u64,
) -> Result<ManifestWriter, StorageError> {
    let state = &mut recovered.state;
    state.seq_offset = seq_offset;
    let manifest_number = state.next_file_number;
    state.next_file_number += 1;
    let manifest = ManifestWriter::create(
        opts.fs.clone(),
        &opts.dir,
        manifest_number,
        state,
        recovered.old_manifest,
    )?;
    remove_orphans(opts.fs.as_ref(), &opts.dir, state, manifest_number)?;
    Ok(manifest)
}

/// Deletes tables not in `state`, stale manifests, temp files and trash: leftovers of a
/// crash mid-flush, mid-compaction, mid-manifest-switch or mid-deletion
/// (`shale_io::gradual_delete`).
fn remove_orphans(
    fs: &dyn FileSystem,
    dir: &Path,
    state: &LevelsState,
    manifest_number: u64,
) -> Result<(), StorageError> {
    let names = fs.list_dir(dir).map_err(io_err("list dir", dir))?;
    let live: std::collections::BTreeSet<u64> =
        state.levels.iter().flatten().map(|f| f.number).collect();
    let mut removed = false;
    for name in names {
        let orphan = match parse_sstable_name(&name) {
            Some(n) => !live.contains(&n),
            None => {
                (name.starts_with("MANIFEST-") && name != manifest::manifest_name(manifest_number))
                    || name == "CURRENT.tmp"
                    || shale_io::is_trash_file_name(&name)
            }
        };
        if orphan {
            let p = dir.join(&name);
            fs.remove_file(&p).map_err(io_err("remove orphan", &p))?;
            removed = true;
        }
    }
    if removed {
        fs.sync_dir(dir).map_err(io_err("sync dir", dir))?;
    }
    Ok(())
}
