//! Flush: one frozen memtable written as an L0 table, installed, and the WAL it came
//! from released.

use shale_wal::Wal;

use crate::lsm::rate_limit::Pacer;
use crate::lsm::state::wal_err;
use crate::lsm::version::Frozen;
use crate::lsm::version_set::Tree;
use crate::lsm::visibility::{Visibility, WaitError};
use crate::StorageError;

/// What a flush needs: the tree it adds a table to, and the WAL and visibility it waits on.
pub(crate) struct FlushCtx<'a> {
    pub(crate) tree: Tree<'a>,
    pub(crate) wal: &'a Wal,
    pub(crate) visibility: &'a Visibility,
    /// Sequence number = WAL LSN + this.
    pub(crate) seq_offset: u64,
    /// The background rate limiter, asked as the table is written ([`Pacer`]); `None`:
    /// unpaced.
    pub(crate) pace: Option<&'a dyn Fn(u64)>,
}

/// Writes one frozen memtable as an L0 table and installs it.
///
/// # Errors
/// WAL, table or manifest failure; the caller poisons the engine.
pub(crate) fn flush_one(ctx: &FlushCtx<'_>, frozen: &Frozen) -> Result<(), StorageError> {
    // Every batch in the memtable must be durable (so LSNs above the table can never be
    // reused after a crash) and visible (so compaction never sees a sequence number a
    // snapshot could still be taken below).
    ctx.wal.sync().map_err(wal_err)?;
    match ctx.visibility.wait_visible(frozen.last_seq) {
        Ok(()) => {}
        Err(WaitError::Failed | WaitError::TimedOut) => return Err(StorageError::Poisoned),
    }
    let tree = &ctx.tree;
    let mut added = Vec::new();
    if !frozen.mem.is_empty() {
        let mut builder = tree.create_table()?;
        let mut pacer = Pacer::new(ctx.pace);
        for e in frozen.mem.entries() {
            if let Err(err) = builder.add(&e) {
                builder.abandon();
                return Err(err);
            }
            pacer.wrote(builder.estimated_size_bytes());
        }
        let meta = builder.finish()?;
        pacer.finish(meta.size_bytes);
        tree.counters.add_flush_bytes(meta.size_bytes);
        added.push((0, meta));
    }
    tree.install(&[], added, frozen.last_seq, Some(frozen))?;
    // Readers that loaded the old state still hold the memtable; the last of them must not
    // be the one to free it.
    tree.reclaimer.retire(frozen.mem.clone());
    let lsn = frozen.last_seq.saturating_sub(ctx.seq_offset);
    ctx.wal.release_before(lsn + 1).map_err(wal_err)?;
    Ok(())
}
