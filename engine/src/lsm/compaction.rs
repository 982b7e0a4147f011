//! Compaction: merge a [`CompactionJob`]'s input tables into new tables one level down,
//! dropping the versions no snapshot can see ([`VersionFilter`]), and install the result.
//! Which job runs is decided elsewhere: the configured [`CompactionStrategy`] for
//! background work, `compaction_pick::pick_manual` for `Db::compact_range`.
//!
//! [`CompactionStrategy`]: crate::lsm::compaction_pick::CompactionStrategy

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::lsm::compaction_filter::VersionFilter;
use crate::lsm::compaction_pick::{self, CompactionJob};
use crate::lsm::manifest::FileMeta;
use crate::lsm::merge::InternalMerge;
use crate::lsm::rate_limit::Pacer;
use crate::lsm::snapshots::SnapshotRegistry;
use crate::lsm::source::EntrySource;
use crate::lsm::sstable_file::{SstableFile, TableBuilder};
use crate::lsm::version_set::Tree;
use crate::lsm::visibility::Visibility;
use crate::StorageError;

/// What a compaction needs: the tree it rewrites, where to cut output tables, and what
/// the live snapshots still see.
pub(crate) struct CompactionCtx<'a> {
    pub(crate) tree: Tree<'a>,
    /// Output tables are cut at about this size (between user keys).
    pub(crate) target_file_bytes: u64,
    pub(crate) snapshots: &'a SnapshotRegistry,
    pub(crate) visibility: &'a Visibility,
    /// The background rate limiter, asked as the output is written and at the end of the
    /// job ([`Pacer`]); `None`: unpaced.
    pub(crate) pace: Option<&'a dyn Fn(u64)>,
}

/// Runs one compaction. The caller holds `compaction_lock`, so the job's inputs stay live.
///
/// # Errors
/// [`StorageError::Corruption`] for a job that breaks the `CompactionStrategy` contract
/// (nothing is written then); table or manifest I/O failure. The caller poisons.
pub(crate) fn run(ctx: &CompactionCtx<'_>, job: &CompactionJob) -> Result<(), StorageError> {
    let tree = &ctx.tree;
    let level = job.level;
    let out_level = level + 1;
    let (lo, hi) = job.key_range();
    let (last_flushed, contract) = {
        let vs = tree.vs.lock();
        let contract = compaction_pick::check_job(&vs.state.levels, job);
        (vs.state.last_flushed_seq, contract)
    };
    if let Err(reason) = contract {
        return Err(StorageError::Corruption {
            file: tree.dir.to_path_buf(),
            offset: 0,
            reason,
        });
    }
    let removed: Vec<(usize, u64)> = job
        .inputs
        .iter()
        .map(|f| (level, f.number))
        .chain(job.next_inputs.iter().map(|f| (out_level, f.number)))
        .collect();
    if job.inputs.len() == 1 && job.next_inputs.is_empty() {
        // Trivial move: nothing to merge with, so the table changes level without a rewrite.
        tree.install(
            &removed,
            vec![(out_level, job.inputs[0].clone())],
            last_flushed,
            None,
        )?;
        tree.vs.lock().cursors[level] = hi;
        tree.counters.compactions.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    let (files, bottom) = {
        let vs = tree.vs.lock();
        let files: Vec<Arc<SstableFile>> = vs
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
            file: tree.dir.to_path_buf(),
            offset: 0,
            reason: "compaction input is not in the current version",
        });
    }
    let horizon = ctx.snapshots.horizon(|| ctx.visibility.visible());
    let outputs = merge_into(ctx, &files, VersionFilter::new(horizon, bottom), out_level)?;
    let written: u64 = outputs.iter().map(|(_, m)| m.size_bytes).sum();
    tree.counters.add_compaction_bytes(written);
    tree.install(&removed, outputs, last_flushed, None)?;
    if !job.inputs.is_empty() {
        // (A bottom-level rewrite takes nothing from `level`: its cursor stays.)
        tree.vs.lock().cursors[level] = hi;
    }
    tree.counters.compactions.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Merges `files` through `filter` into new tables for `out_level`; on failure the
/// partial table is deleted.
fn merge_into(
    ctx: &CompactionCtx<'_>,
    files: &[Arc<SstableFile>],
    mut filter: VersionFilter,
    out_level: usize,
) -> Result<Vec<(usize, FileMeta)>, StorageError> {
    let sources: Vec<Box<dyn EntrySource>> = files
        .iter()
        .map(|f| Box::new(f.compaction_source()) as Box<dyn EntrySource>)
        .collect();
    let mut merge = InternalMerge::new(sources);
    let mut outputs: Vec<(usize, FileMeta)> = Vec::new();
    let mut builder: Option<TableBuilder> = None;
    let mut last_key: Option<Vec<u8>> = None;
    // Output bytes of finished tables.
    let mut finished_bytes = 0u64;
    let mut pacer = Pacer::new(ctx.pace);
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
                    .is_some_and(|b| b.estimated_size_bytes() >= ctx.target_file_bytes)
            {
                if let Some(b) = builder.take() {
                    let meta = b.finish()?;
                    finished_bytes += meta.size_bytes;
                    outputs.push((out_level, meta));
                }
            }
            if builder.is_none() {
                builder = Some(ctx.tree.create_table()?);
            }
            if let Some(b) = builder.as_mut() {
                b.add(&e)?;
                pacer.wrote(finished_bytes + b.estimated_size_bytes());
            }
            if new_key {
                last_key = Some(e.key);
            }
        }
        if let Some(b) = builder.take() {
            let meta = b.finish()?;
            finished_bytes += meta.size_bytes;
            outputs.push((out_level, meta));
        }
        // The rest, so that a run of small jobs is paced as one large one would be.
        pacer.finish(finished_bytes);
        Ok(())
    })();
    if let Err(e) = result {
        if let Some(b) = builder.take() {
            b.abandon();
        }
        return Err(e);
    }
    Ok(outputs)
}
