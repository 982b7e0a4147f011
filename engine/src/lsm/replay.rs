//! A past view's replay ([`crate::lsm::view`]): the log's operations on a set of key ranges,
//! written into the view's private database as sorted runs, each one L0 table, instead of
//! through its write path.
//!
//! The write path would log every replayed byte again in the private database's WAL and
//! insert it into a memtable for a flush to write out: about a third of a replay's time
//! for a tail as large as the table (issue 14). A run is gathered in an ordered map
//! (later operations on a key win, deletes kept as tombstones, since the restore base
//! beneath may hold the key) and written as one table at a sequence number of its own.
//!
//! Three threads share the work: a helper reads and decodes the log, the caller gathers
//! runs, and a second helper writes each full run while the next fills. At most two runs
//! of [`RUN_BYTES`] are in memory, plus the batches in flight.
//!
//! Invariants: runs get strictly increasing sequence numbers, all above everything the
//! base holds, so a later run's version of a key wins; only a database nothing else writes
//! (a view's private one) may be loaded so (see [`load_run`]).

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, SyncSender};

use crate::backend::{BatchOp, CommitLogIter, WriteBatch};
use crate::key_range::KeyRanges;
use crate::lsm::db::Db;
use crate::lsm::entry::EntryKind;
use crate::StorageError;

/// Bytes of replayed operations the reader hands over at a time.
const REPLAY_BATCH_BYTES: usize = 4 << 20;
/// Bytes of keys and values in one run (one L0 table of the view).
const RUN_BYTES: usize = 128 << 20;

/// The latest operation on each key of a run: a value, or `None` for a delete.
#[derive(Debug, Default)]
struct Run {
    entries: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    bytes: usize,
}

impl Run {
    fn apply(&mut self, op: BatchOp) {
        let (key, value) = match op {
            BatchOp::Put { key, value } => (key, Some(value)),
            BatchOp::Delete { key } => (key, None),
            BatchOp::LogData { .. } => return,
        };
        let (key_len, value_len) = (key.len(), value.as_ref().map_or(0, Vec::len));
        match self.entries.insert(key, value) {
            // The key was counted already; its old value is gone.
            Some(old) => {
                self.bytes = (self.bytes + value_len).saturating_sub(old.map_or(0, |v| v.len()))
            }
            None => self.bytes += key_len + value_len,
        }
    }
}

/// Replays the operations on `ranges` of the batches in `log` committed at or before
/// `t_micros` into `private`, as runs (see the module docs).
///
/// # Errors
/// The log's (a damaged or unreadable record) or the private database's failure.
pub(crate) fn replay(
    private: &Db,
    log: CommitLogIter,
    t_micros: u64,
    ranges: &KeyRanges,
) -> Result<(), StorageError> {
    std::thread::scope(|scope| {
        let (batches, replayed) = sync_channel::<WriteBatch>(2);
        let (runs, to_load) = sync_channel::<Run>(0);
        let reader = scope.spawn(move || read_range_batches(log, t_micros, ranges, &batches));
        let loader = scope.spawn(move || -> Result<(), StorageError> {
            for run in to_load {
                load_run(private, &run)?;
            }
            Ok(())
        });
        let mut run = Run::default();
        let mut handed_over = true;
        for batch in replayed {
            for op in batch.into_ops() {
                run.apply(op);
            }
            // A failed send means the loader stopped on an error, which it returns.
            if run.bytes >= RUN_BYTES && runs.send(std::mem::take(&mut run)).is_err() {
                handed_over = false;
                break;
            }
        }
        if handed_over && !run.entries.is_empty() {
            let _ = runs.send(run);
        }
        // Dropping the senders and receivers stops the helpers at their next send.
        drop(runs);
        let loaded = loader.join().unwrap_or(Err(StorageError::Closed));
        let read = reader.join().unwrap_or(Err(StorageError::Closed));
        loaded.and(read)
    })
}

/// Sends the operations on `ranges` of the log's batches committed at or before
/// `t_micros`, merged into batches of about [`REPLAY_BATCH_BYTES`]. Stops early, without
/// error, when the receiver is gone.
fn read_range_batches(
    log: CommitLogIter,
    t_micros: u64,
    ranges: &KeyRanges,
    out: &SyncSender<WriteBatch>,
) -> Result<(), StorageError> {
    let mut merged = WriteBatch::new();
    for committed in log {
        let committed = committed?;
        if committed.commit_time_micros > t_micros {
            break;
        }
        for op in committed.batch.into_ops() {
            match op {
                BatchOp::Put { key, value } if ranges.contains(&key) => merged.put(key, value),
                BatchOp::Delete { key } if ranges.contains(&key) => merged.delete(key),
                _ => &mut merged,
            };
        }
        if merged.payload_bytes() >= REPLAY_BATCH_BYTES
            && out.send(std::mem::take(&mut merged)).is_err()
        {
            return Ok(());
        }
    }
    if !merged.is_empty() {
        let _ = out.send(merged);
    }
    Ok(())
}

/// Writes `run` as one L0 table at a new sequence number, above everything `db` holds.
///
/// The number comes from a batch of log data alone, which changes no key (so the memtable
/// stays empty), and the table is installed with it as the last flushed sequence number:
/// true only because such batches are all the WAL holds, which is why only a database
/// nothing else writes may be loaded so. An I/O failure poisons `db`, as a failed flush
/// does.
fn load_run(db: &Db, run: &Run) -> Result<(), StorageError> {
    if run.entries.is_empty() {
        return Ok(());
    }
    let seq = db.write(WriteBatch::from(vec![BatchOp::LogData {
        data: Vec::new(),
    }]))?;
    let inner = &db.inner;
    let tree = inner.tree();
    let entries = run.entries.iter().map(|(key, value)| match value {
        Some(v) => (key.as_slice(), EntryKind::Put, v.as_slice()),
        None => (key.as_slice(), EntryKind::Delete, &[][..]),
    });
    let meta = tree
        .write_table(entries, seq)
        .inspect_err(|_| inner.poison())?;
    tree.install(&[], vec![(0, meta)], seq, None)
        .inspect_err(|_| inner.poison())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_keeps_the_latest_operation_per_key_and_counts_its_bytes() {
        let mut run = Run::default();
        run.apply(BatchOp::Put {
            key: b"a".to_vec(),
            value: b"1234".to_vec(),
        });
        run.apply(BatchOp::Put {
            key: b"a".to_vec(),
            value: b"12".to_vec(),
        });
        run.apply(BatchOp::Delete { key: b"b".to_vec() });
        run.apply(BatchOp::LogData {
            data: b"ignored".to_vec(),
        });
        assert_eq!(run.entries.len(), 2);
        assert_eq!(run.entries[&b"a".to_vec()].as_deref(), Some(&b"12"[..]));
        assert_eq!(run.entries[&b"b".to_vec()], None);
        // "a" + "12" and "b": each key counted once, only the latest value.
        assert_eq!(run.bytes, 1 + 2 + 1);
    }
}
