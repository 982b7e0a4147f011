//! Bulk loads ([`crate::Backend::ingest`]) without the write path: sorted entries for a
//! key range nothing holds are written as one SSTable and installed in the deepest level,
//! which skips the WAL, the memtable, the flush and the compactions a load through the
//! write path costs (RocksDB's IngestExternalFile; issue 14's restores).
//!
//! Why a direct load is safe:
//! - **Placement.** The table goes to the deepest level only when no memtable holds a key
//!   in `[first, last]` (checked before the table is written; the caller owns the range,
//!   so nothing writes there afterwards) and no table of any level overlaps it (checked
//!   under the version-set lock as it is installed, so a compaction cannot have put one
//!   there meanwhile). Reads then find no other version of its keys.
//! - **Sequence numbers.** Every entry carries the manifest's `last_flushed_seq`: at or
//!   below the visible sequence number, so every reader sees it; below every later write,
//!   so a later update of a loaded key wins, also after a restart (the WAL numbers above
//!   the visible sequence number); and tables keep holding only numbers at or below
//!   `last_flushed_seq`, which recovery relies on. Before anything is flushed it is 0,
//!   and the load goes through the write path instead.
//! - **Durability.** The table and then the manifest edit naming it are synced before
//!   the call returns; a crash before the edit leaves an orphan table, removed at open.
//! - **History.** The WAL does not carry the load, so a past view rebuilt from an earlier
//!   restore base would miss it: while history is kept, a base is taken right after it,
//!   replacing the previous load's (`History::rebase_after_ingest`).
//!
//! Otherwise (a range something holds, nothing flushed yet) the entries go through the
//! write path, in batches of [`WRITE_THROUGH_BYTES`].

use std::ops::Bound;

use crate::backend::{check_ingest, ingest_batch, Direction, KvPair};
use crate::lsm::db::Db;
use crate::lsm::entry::EntryKind;
use crate::lsm::manifest::NUM_LEVELS;
use crate::lsm::state::DbInner;
use crate::StorageError;

/// Bytes of entries in one batch when a load goes through the write path.
const WRITE_THROUGH_BYTES: usize = 16 << 20;

/// Loads `entries` (see the module docs).
///
/// # Errors
/// [`StorageError::UnsortedIngest`]; key and value limits; I/O failure, which poisons the
/// engine as a failed flush does.
pub(crate) fn ingest(db: &Db, entries: &[KvPair]) -> Result<(), StorageError> {
    check_ingest(entries)?;
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return Ok(());
    };
    let inner = &db.inner;
    inner.check_writable()?;
    let seq = inner.vs.lock().state.last_flushed_seq;
    if seq == 0 || memtables_hold(inner, &first.0, &last.0) {
        return write_through(db, entries);
    }
    let tree = inner.tree();
    let puts = entries
        .iter()
        .map(|(key, value)| (key.as_slice(), EntryKind::Put, value.as_slice()));
    let meta = tree
        .write_table(puts, seq)
        .inspect_err(|_| inner.poison())?;
    let bytes = meta.size_bytes;
    match tree.install_if_free(NUM_LEVELS - 1, meta) {
        Ok(true) => {}
        Ok(false) => return write_through(db, entries),
        Err(e) => {
            inner.poison();
            return Err(e);
        }
    }
    inner.counters.add_ingest_bytes(bytes);
    db.history.rebase_after_ingest(inner)
}

/// Writes `entries` through the write path, in batches of about [`WRITE_THROUGH_BYTES`]
/// (a WAL record holds at most 64 MiB, and a caller may load more at once): not
/// atomically, which a bulk load does not promise.
fn write_through(db: &Db, entries: &[KvPair]) -> Result<(), StorageError> {
    let mut start = 0;
    let mut bytes = 0;
    for (i, (key, value)) in entries.iter().enumerate() {
        bytes += key.len() + value.len();
        if bytes >= WRITE_THROUGH_BYTES || i + 1 == entries.len() {
            db.write(ingest_batch(&entries[start..=i])?)?;
            start = i + 1;
            bytes = 0;
        }
    }
    Ok(())
}

/// Whether any memtable, active or frozen, holds an entry (tombstones included) with a
/// key in `[lo, hi]`.
fn memtables_hold(inner: &DbInner, lo: &[u8], hi: &[u8]) -> bool {
    let sv = inner.sv.load();
    let (start, end) = (Bound::Included(lo.to_vec()), Bound::Included(hi.to_vec()));
    std::iter::once(&sv.active)
        .chain(sv.frozen.iter().map(|f| &f.mem))
        .any(|mem| {
            !mem.chunk(&start, &end, None, Direction::Forward, 1)
                .is_empty()
        })
}
