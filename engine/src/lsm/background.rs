//! The background threads: the flush thread (frozen memtable → L0 table, in `flush`) and
//! the compaction thread (the configured strategy's jobs, run by `compaction`), and
//! manual compaction, which shares the compaction lock with the latter.
//!
//! Any failure here poisons the engine: a table or manifest write that failed may have
//! left the OS page cache in an unknown state, so nothing more is written until the
//! engine is reopened and recovers from what is durable.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::lsm::compaction::{self, CompactionCtx};
use crate::lsm::compaction_pick::{self, CompactionJob, LevelsView};
use crate::lsm::flush::{self, FlushCtx};
use crate::lsm::manifest::NUM_LEVELS;
use crate::lsm::state::DbInner;
use crate::StorageError;

/// How long a manual compaction waits for a moment's reader of the tables it replaced
/// before it returns (`Reclaimer::collect_within`).
const MANUAL_RECLAIM_PATIENCE_MS: u64 = 200;

/// How long an idle background thread sleeps before re-checking for work (it is also
/// woken by notifications; the timeout only bounds a missed one).
const IDLE_WAIT: Duration = Duration::from_millis(100);

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

/// The flush thread's context: paced by the rate limiter, if there is one.
fn flush_ctx<'a>(inner: &'a DbInner, pace: &'a dyn Fn(u64)) -> FlushCtx<'a> {
    FlushCtx {
        tree: inner.tree(),
        wal: &inner.wal,
        visibility: &inner.visibility,
        seq_offset: inner.seq_offset,
        pace: inner.background_limiter.is_some().then_some(pace),
    }
}

fn compaction_ctx(inner: &DbInner) -> CompactionCtx<'_> {
    CompactionCtx {
        tree: inner.tree(),
        target_file_bytes: inner.opts.target_file_bytes,
        snapshots: &inner.snapshots,
        visibility: &inner.visibility,
        pace: None,
    }
}

/// Background compaction's context: paced by the rate limiter, if there is one.
fn paced_compaction_ctx<'a>(inner: &'a DbInner, pace: &'a dyn Fn(u64)) -> CompactionCtx<'a> {
    CompactionCtx {
        pace: inner.background_limiter.is_some().then_some(pace),
        ..compaction_ctx(inner)
    }
}

/// Drops what the reclaimer holds that nobody else does, if the background threads may
/// (`DbOptions::background_reclaim`).
fn background_collect(inner: &DbInner) {
    if inner.opts.background_reclaim {
        inner.reclaimer.collect();
    }
}

fn flush_loop(inner: &DbInner) {
    let pace = |bytes| inner.pace_background(bytes);
    loop {
        background_collect(inner);
        let oldest = {
            let mut g = inner.bg.lock();
            if g.shutdown || inner.poisoned.load(Ordering::Acquire) {
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
            if flush::flush_one(&flush_ctx(inner, &pace), &frozen).is_err() {
                inner.poison();
                return;
            }
            inner
                .flushed_seq
                .fetch_max(frozen.last_seq, Ordering::AcqRel);
            inner.notify_bg();
        }
    }
}

fn compaction_loop(inner: &DbInner) {
    let pace = |bytes| inner.pace_background(bytes);
    loop {
        background_collect(inner);
        {
            let g = inner.bg.lock();
            if g.shutdown || inner.poisoned.load(Ordering::Acquire) {
                return;
            }
        }
        let ran = {
            let _c = inner.compaction_lock.lock();
            let job = {
                let vs = inner.vs.lock();
                inner.strategy.pick(&LevelsView {
                    levels: &vs.state.levels,
                    cursors: &vs.cursors,
                })
            };
            match job {
                Some(j) => match compaction::run(&paced_compaction_ctx(inner, &pace), &j) {
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

/// Manual compaction of `[start, end]`, level by level down to the deepest level with
/// files, then the bottom level rewritten in place (see `compaction_pick::pick_manual`
/// and `pick_bottom_rewrite`).
///
/// # Errors
/// Table or manifest failure; the engine is poisoned.
pub(crate) fn compact_range(
    inner: &DbInner,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Result<(), StorageError> {
    let _waiting = inner.waiting_for_background();
    let _c = inner.compaction_lock.lock();
    for level in 0..NUM_LEVELS - 1 {
        let job = compaction_pick::pick_manual(&inner.vs.lock().state.levels, level, start, end);
        if let Some(j) = job {
            run_manual(inner, &j)?;
        }
    }
    let job = compaction_pick::pick_bottom_rewrite(&inner.vs.lock().state.levels, start, end);
    if let Some(j) = job {
        run_manual(inner, &j)?;
    }
    // The replaced tables no reader holds are unlinked before this returns, as RocksDB's
    // CompactRange purges obsolete files, instead of whenever a background loop next
    // wakes: the caller sees the disk as the compaction left it (the deterministic
    // simulation relied on that timing, and replayed differently without it). A
    // background thread may hold the old state for a moment (it loaded it to look for
    // work), so the collection waits for that, a bounded while: under load a table that
    // thread still held outlived the call, and the simulation diverged (issue 16).
    inner
        .reclaimer
        .collect_within(std::time::Duration::from_millis(MANUAL_RECLAIM_PATIENCE_MS));
    Ok(())
}

/// Runs one job of a manual compaction; a failure poisons the engine.
fn run_manual(inner: &DbInner, job: &CompactionJob) -> Result<(), StorageError> {
    if let Err(e) = compaction::run(&compaction_ctx(inner), job) {
        inner.poison();
        return Err(e);
    }
    inner.notify_bg();
    Ok(())
}
