//! The log-data tail: the [`BatchOp::LogData`] of recently committed batches, kept in
//! memory so a stream reader at the head of the log never reads WAL segments
//! (`Backend::recent_log_data`).
//!
//! Without it, every read of the newest records re-reads and re-checks the whole active
//! WAL segment (the WAL reader loads a segment at a time): with 64 MiB segments that is
//! tens of milliseconds per poll, and the lag of a stream consumer grew with the segment
//! (`shale-bench stream-lag`: p99 167 ms on the LSM against 20 µs in memory).
//!
//! Invariants:
//! - an entry is added by the writer under the memtable's write guard, before its batch
//!   is published as visible; so every visible batch with log data at or after
//!   [`LogTail::covers_from`] is in the tail (readers read only up to the visible
//!   sequence number);
//! - entries are ordered by sequence number (writers holding the shared guard may add
//!   out of order: each is inserted in its place);
//! - at most `max_bytes` of blobs are held; the oldest entries are evicted first, and
//!   `covers_from` moves past them, so a reader further back falls back to the WAL.
//!
//! Batches without log data are not recorded (the tail costs nothing without streams).

use std::collections::VecDeque;

use crate::backend::{BatchOp, LoggedData, WriteBatch};

/// The tail.
#[derive(Debug)]
pub(crate) struct LogTail {
    entries: VecDeque<LoggedData>,
    bytes: usize,
    max_bytes: usize,
    /// Every batch with log data and a sequence number at or after this is in the tail.
    covers_from: u64,
}

impl LogTail {
    /// An empty tail that covers every batch after `last_seq`.
    pub(crate) fn new(last_seq: u64, max_bytes: usize) -> LogTail {
        LogTail {
            entries: VecDeque::new(),
            bytes: 0,
            max_bytes,
            covers_from: last_seq + 1,
        }
    }

    /// Records `batch`'s log data, if it has any, as batch `seq` committed at
    /// `commit_time_micros`.
    pub(crate) fn record(&mut self, seq: u64, commit_time_micros: u64, batch: &WriteBatch) {
        if self.max_bytes == 0 || seq < self.covers_from {
            return;
        }
        let blobs: Vec<(u32, Vec<u8>)> = batch
            .ops()
            .iter()
            .enumerate()
            .filter_map(|(i, op)| match op {
                BatchOp::LogData { data } => {
                    Some((u32::try_from(i).unwrap_or(u32::MAX), data.clone()))
                }
                _ => None,
            })
            .collect();
        if blobs.is_empty() {
            return;
        }
        let size: usize = blobs.iter().map(|(_, b)| b.len()).sum();
        let at = self
            .entries
            .iter()
            .rposition(|e| e.seq < seq)
            .map_or(0, |p| p + 1);
        self.entries.insert(
            at,
            LoggedData {
                seq,
                commit_time_micros,
                blobs,
            },
        );
        self.bytes += size;
        while self.bytes > self.max_bytes {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.blobs.iter().map(|(_, b)| b.len()).sum::<usize>();
            self.covers_from = self.covers_from.max(old.seq + 1);
        }
    }

    /// The entries with `from_seq <= seq <= upto_seq`, at most `max_batches` of them, or
    /// `None` if the tail does not reach back to `from_seq`.
    pub(crate) fn read(
        &self,
        from_seq: u64,
        upto_seq: u64,
        max_batches: usize,
    ) -> Option<Vec<LoggedData>> {
        // Off (no budget): it records nothing, so it covers nothing.
        if self.max_bytes == 0 || from_seq < self.covers_from {
            return None;
        }
        let start = self.entries.partition_point(|e| e.seq < from_seq);
        Some(
            self.entries
                .range(start..)
                .take_while(|e| e.seq <= upto_seq)
                .take(max_batches)
                .cloned()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch_with(blob: &[u8]) -> WriteBatch {
        let mut b = WriteBatch::new();
        b.put("k", "v").log_data(blob.to_vec());
        b
    }

    #[test]
    fn keeps_log_data_in_order_and_evicts_the_oldest() {
        let mut t = LogTail::new(10, 10);
        t.record(
            11,
            1,
            &WriteBatch::from(vec![BatchOp::Put {
                key: b"k".to_vec(),
                value: vec![],
            }]),
        );
        t.record(13, 3, &batch_with(b"ccc"));
        t.record(12, 2, &batch_with(b"bbb")); // out of order: goes in its place
        let seqs =
            |v: Option<Vec<LoggedData>>| v.map(|v| v.iter().map(|e| e.seq).collect::<Vec<_>>());
        assert_eq!(seqs(t.read(11, 100, 10)), Some(vec![12, 13]));
        assert_eq!(seqs(t.read(13, 100, 10)), Some(vec![13]));
        assert_eq!(
            seqs(t.read(11, 12, 10)),
            Some(vec![12]),
            "up to the visible seq"
        );
        assert_eq!(seqs(t.read(11, 100, 1)), Some(vec![12]));
        assert_eq!(
            t.read(10, 100, 10).map(|v| v.len()),
            None,
            "before the tail began"
        );
        let e = &t.read(12, 12, 1).unwrap()[0];
        assert_eq!(e.blobs, vec![(1, b"bbb".to_vec())]);
        t.record(14, 4, &batch_with(b"dddddd")); // 12 bytes: 12 is evicted
        assert_eq!(t.read(12, 100, 10).map(|v| v.len()), None);
        assert_eq!(seqs(t.read(13, 100, 10)), Some(vec![13, 14]));
    }
}
