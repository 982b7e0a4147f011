//! Background work: the flush thread (frozen memtable → L0 table) and the compaction
//! thread (leveled compaction), and the installs they share.
//!
//! Any I/O failure here poisons the engine: a table or manifest write that failed may
//! have left the OS page cache in an unknown state, so nothing more is written until the
//! engine is reopened and recovers from what is durable.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::lsm::compaction_filter::VersionFilter;
use crate::lsm::compaction_pick::{self, CompactionPick};
use crate::lsm::db::{wal_err, DbInner, VersionSet};
use crate::lsm::manifest::{FileMeta, ManifestWriter, VersionEdit, NUM_LEVELS};
use crate::lsm::merge::{EntrySource, InternalMerge};
use crate::lsm::table_file::{TableBuilder, TableFile};
use crate::lsm::version::{Frozen, SuperVersion};
use crate::lsm::visibility::WaitError;
use crate::StorageError;
use std::ops::Bound;

/// How long an idle background thread sleeps before re-checking for work (it is also
/// woken by notifications; the timeout only bounds a missed one).
const IDLE_WAIT: Duration = Duration::from_millis(100);
/// A manifest larger than this is rewritten as a fresh one holding just the current state.
const MANIFEST_ROLL_BYTES: u64 = 4 << 20;

/// Starts the flush and compaction threads.
///
/// # Errors
/// The OS refused to spawn a thread.
pub(crate) fn spawn(inner: &Arc<DbInner>) -> std::io::Result<Vec<JoinHandle<()>>> {
    let a = inner.clone();
    let flush = std::thread::Builder::new()
        .name("shale-flush".into())
        .spawn(move || flush_loop(&a))?;
    let b = inner.clone();
    let compact = std::thread::Builder::new()
        .name("shale-compact".into())
        .spawn(move || compaction_loop(&b))?;
    Ok(vec![flush, compact])
}

fn flush_loop(inner: &DbInner) {
    loop {
        inner.reclaimer.collect();
        let oldest = {
            let mut g = inner.bg.lock();
            if g.shutdown || inner.poisoned.load(std::sync::atomic::Ordering::Acquire) {
                return;
            }
            let oldest = inner.sv.load().frozen.last().cloned();
            if oldest.is_none() {
                inner.bg_cv.wait_for(&mut g, IDLE_WAIT);
                continue;
            }
            oldest
        };
        if let Some(frozen) = oldest {
            if flush_one(inner, &frozen).is_err() {
                inner.poison();
                return;
            }
            inner.notify_bg();
        }
    }
}

/// Writes one frozen memtable as an L0 table and installs it.
fn flush_one(inner: &DbInner, frozen: &Frozen) -> Result<(), StorageError> {
    // Every batch in the memtable must be durable (so LSNs above the table can never be
    // reused after a crash) and visible (so compaction never sees a sequence number a
    // snapshot could still be taken below).
    inner.wal.sync().map_err(wal_err)?;
    match inner.visibility.wait_visible(frozen.last_seq) {
        Ok(()) => {}
        Err(WaitError::Failed | WaitError::TimedOut) => return Err(StorageError::Poisoned),
    }
    let mut added = Vec::new();
    if !frozen.mem.is_empty() {
        let number = inner.vs.lock().next_file_number();
        let mut builder =
            TableBuilder::create(inner.fs(), &inner.opts.dir, number, inner.table_options())?;
        for e in frozen.mem.entries() {
            if let Err(err) = builder.add(&e) {
                builder.abandon();
                return Err(err);
            }
        }
        let meta = builder.finish()?;
        inner.counters.add_flush_bytes(meta.size_bytes);
        added.push((0, meta));
    }
    install(inner, &[], added, frozen.last_seq, Some(frozen))?;
    // Readers that loaded the old state still hold the memtable; the last of them must not
    // be the one to free it.
    inner.reclaimer.retire(frozen.mem.clone());
    let lsn = frozen.last_seq.saturating_sub(inner.seq_offset);
    inner.wal.release_before(lsn + 1).map_err(wal_err)?;
    Ok(())
}

/// Applies an edit: syncs the directory (new tables' names), appends to the manifest,
/// opens the new tables, publishes the new state and marks removed tables obsolete.
/// `flushed` is the frozen memtable the edit replaces, if it is a flush.
fn install(
    inner: &DbInner,
    removed: &[(usize, u64)],
    added: Vec<(usize, FileMeta)>,
    last_flushed_seq: u64,
    flushed: Option<&Frozen>,
) -> Result<(), StorageError> {
    let dir = &inner.opts.dir;
    if !added.is_empty() {
        inner
            .fs()
            .sync_dir(dir)
            .map_err(|source| StorageError::Io {
                op: "sync dir",
                path: dir.clone(),
                source,
            })?;
    }
    let mut vs = inner.vs.lock();
    let mut opened = Vec::with_capacity(added.len());
    for (level, meta) in &added {
        // A trivial move re-uses the open table.
        let existing = vs
            .current
            .all_files()
            .find(|f| f.meta.number == meta.number)
            .cloned();
        let tf = match existing {
            Some(tf) => tf,
            None => TableFile::open(inner.fs(), dir, meta.clone(), Some(inner.cache.clone()))?,
        };
        opened.push((*level, tf));
    }
    let edit = VersionEdit {
        last_flushed_seq: last_flushed_seq.max(vs.state.last_flushed_seq),
        next_file_number: vs.state.next_file_number,
        seq_offset: vs.state.seq_offset,
        added,
        removed: removed.to_vec(),
    };
    vs.manifest.append(&edit)?;
    let manifest_path = dir.join(crate::lsm::manifest::manifest_name(vs.manifest.number()));
    let record_offset = vs.manifest.size_bytes();
    vs.state.apply(&edit, &manifest_path, record_offset)?;
    let moved: Vec<u64> = opened.iter().map(|(_, f)| f.meta.number).collect();
    let obsolete: Vec<Arc<TableFile>> = vs
        .current
        .levels
        .iter()
        .enumerate()
        .flat_map(|(l, files)| files.iter().map(move |f| (l, f)))
        .filter(|(l, f)| removed.contains(&(*l, f.meta.number)) && !moved.contains(&f.meta.number))
        .map(|(_, f)| f.clone())
        .collect();
    let next = Arc::new(vs.current.apply(removed, &opened));
    vs.current = next.clone();
    inner.sv.swap_with(|cur| {
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
                version: next,
            },
            (),
        ))
    });
    for f in obsolete {
        f.mark_obsolete();
        // Its file is deleted on drop: by a background thread, not inside a read.
        inner.reclaimer.retire(f);
    }
    maybe_roll_manifest(inner, &mut vs)?;
    Ok(())
}

fn maybe_roll_manifest(inner: &DbInner, vs: &mut VersionSet) -> Result<(), StorageError> {
    if vs.manifest.size_bytes() < MANIFEST_ROLL_BYTES {
        return Ok(());
    }
    let number = vs.next_file_number();
    let old = vs.manifest.number();
    vs.manifest = ManifestWriter::create(
        inner.fs().clone(),
        &inner.opts.dir,
        number,
        &vs.state,
        Some(old),
    )?;
    Ok(())
}

fn compaction_loop(inner: &DbInner) {
    loop {
        inner.reclaimer.collect();
        {
            let g = inner.bg.lock();
            if g.shutdown || inner.poisoned.load(std::sync::atomic::Ordering::Acquire) {
                return;
            }
        }
        let ran = {
            let _c = inner.compaction_lock.lock();
            let pick = {
                let vs = inner.vs.lock();
                compaction_pick::pick(&vs.state.levels, &inner.pick_policy(), &vs.cursors)
            };
            match pick {
                Some(p) => match run_compaction(inner, &p) {
                    Ok(()) => true,
                    Err(_) => {
                        inner.poison();
                        return;
                    }
                },
                None => false,
            }
        };
        if ran {
            inner.notify_bg();
        } else {
            let mut g = inner.bg.lock();
            if g.shutdown {
                return;
            }
            inner.bg_cv.wait_for(&mut g, IDLE_WAIT);
        }
    }
}

/// Runs one compaction. The caller holds `compaction_lock`.
pub(crate) fn run_compaction(inner: &DbInner, pick: &CompactionPick) -> Result<(), StorageError> {
    let level = pick.level;
    let out_level = level + 1;
    let (lo, hi) = pick.key_range();
    let removed: Vec<(usize, u64)> = pick
        .inputs
        .iter()
        .map(|f| (level, f.number))
        .chain(pick.next_inputs.iter().map(|f| (out_level, f.number)))
        .collect();
    let last_flushed = inner.vs.lock().state.last_flushed_seq;
    if pick.inputs.len() == 1 && pick.next_inputs.is_empty() {
        // Trivial move: nothing to merge with, so the table changes level without a rewrite.
        install(
            inner,
            &removed,
            vec![(out_level, pick.inputs[0].clone())],
            last_flushed,
            None,
        )?;
        inner.vs.lock().cursors[level] = hi;
        inner
            .counters
            .compactions
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        return Ok(());
    }
    let (files, bottom) = {
        let vs = inner.vs.lock();
        let files: Vec<Arc<TableFile>> = vs
            .current
            .all_files()
            .filter(|f| removed.iter().any(|(_, n)| *n == f.meta.number))
            .cloned()
            .collect();
        let bottom = compaction_pick::is_bottom_for_range(&vs.state.levels, out_level, &lo, &hi);
        (files, bottom)
    };
    if files.len() != removed.len() {
        return Err(StorageError::Corruption {
            file: inner.opts.dir.clone(),
            offset: 0,
            reason: "compaction input is not in the current version",
        });
    }
    let sources: Vec<Box<dyn EntrySource>> = files
        .iter()
        .map(|f| {
            Box::new(f.source(
                &Bound::Unbounded,
                &Bound::Unbounded,
                crate::backend::Direction::Forward,
            )) as Box<dyn EntrySource>
        })
        .collect();
    let mut merge = InternalMerge::new(sources);
    let horizon = inner.snapshots.horizon(|| inner.visibility.visible());
    let mut filter = VersionFilter::new(horizon, bottom);
    let mut outputs: Vec<(usize, FileMeta)> = Vec::new();
    let mut builder: Option<TableBuilder> = None;
    let mut last_key: Option<Vec<u8>> = None;
    let result = (|| -> Result<(), StorageError> {
        while let Some(e) = merge.next_entry()? {
            if !filter.keep(&e) {
                continue;
            }
            let new_key = last_key.as_deref() != Some(e.key.as_slice());
            // Cut only between user keys: all versions of a key stay in one table.
            if new_key
                && builder
                    .as_ref()
                    .is_some_and(|b| b.estimated_size_bytes() >= inner.opts.target_file_bytes)
            {
                if let Some(b) = builder.take() {
                    outputs.push((out_level, b.finish()?));
                }
            }
            if builder.is_none() {
                let number = inner.vs.lock().next_file_number();
                builder = Some(TableBuilder::create(
                    inner.fs(),
                    &inner.opts.dir,
                    number,
                    inner.table_options(),
                )?);
            }
            if let Some(b) = builder.as_mut() {
                b.add(&e)?;
            }
            if new_key {
                last_key = Some(e.key);
            }
        }
        if let Some(b) = builder.take() {
            outputs.push((out_level, b.finish()?));
        }
        Ok(())
    })();
    if let Err(e) = result {
        if let Some(b) = builder.take() {
            b.abandon();
        }
        return Err(e);
    }
    let written: u64 = outputs.iter().map(|(_, m)| m.size_bytes).sum();
    inner.counters.add_compaction_bytes(written);
    install(inner, &removed, outputs, last_flushed, None)?;
    if !pick.inputs.is_empty() {
        // (A bottom-level rewrite takes nothing from `level`: its cursor stays.)
        inner.vs.lock().cursors[level] = hi;
    }
    inner
        .counters
        .compactions
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Manual compaction of `[start, end]`, level by level down to the deepest level with files.
pub(crate) fn compact_range(
    inner: &DbInner,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Result<(), StorageError> {
    let _c = inner.compaction_lock.lock();
    for level in 0..NUM_LEVELS - 1 {
        let pick = {
            let vs = inner.vs.lock();
            let levels = &vs.state.levels;
            let deepest = levels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
            // L0 always goes down (its files overlap); a deeper level only if a level
            // below it holds files to merge with.
            let worth_it = (level == 0 && !levels[0].is_empty()) || level < deepest;
            if !worth_it {
                None
            } else {
                let lo = start.unwrap_or(&[]);
                let hi_owned;
                let hi = match end {
                    Some(h) => h,
                    None => {
                        hi_owned = levels[level]
                            .iter()
                            .map(|f| f.largest.clone())
                            .max()
                            .unwrap_or_default();
                        &hi_owned
                    }
                };
                compaction_pick::pick_range(levels, level, lo, hi)
            }
        };
        if let Some(p) = pick {
            run_manual(inner, &p)?;
        }
    }
    // Last, the bottom level is rewritten in place (RocksDB's bottommost level compaction
    // "force"): versions and tombstones a snapshot needed when they reached the bottom
    // are garbage once it is released, and nothing else would ever rewrite them.
    let pick = {
        let vs = inner.vs.lock();
        let levels = &vs.state.levels;
        let deepest = levels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
        let bottom = &levels[deepest];
        let hi = match end {
            Some(h) => h.to_vec(),
            None => bottom
                .iter()
                .map(|f| f.largest.clone())
                .max()
                .unwrap_or_default(),
        };
        let files = compaction_pick::overlapping(bottom, start.unwrap_or(&[]), &hi);
        (deepest > 0 && !files.is_empty()).then(|| CompactionPick {
            level: deepest - 1,
            inputs: Vec::new(),
            next_inputs: files,
        })
    };
    if let Some(p) = pick {
        run_manual(inner, &p)?;
    }
    Ok(())
}

/// Runs one pick of a manual compaction; a failure poisons the engine.
fn run_manual(inner: &DbInner, pick: &CompactionPick) -> Result<(), StorageError> {
    if let Err(e) = run_compaction(inner, pick) {
        inner.poison();
        return Err(e);
    }
    inner.notify_bg();
    Ok(())
}
