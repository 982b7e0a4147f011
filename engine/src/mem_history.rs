//! The in-memory backend's history: a base state plus the log of batches after it.
//!
//! While retention is on, every committed batch is appended to the log with its commit
//! time. Batches older than the retention are folded into the base, whose valid-from
//! time moves up to the newest folded batch. A past view at `t` is the base with every
//! logged batch committed at or before `t` applied; the commit log starts after the base.
//!
//! Invariants: `log` is in sequence order with non-decreasing times; its first entry (if
//! any) has sequence `base_seq + 1`, and `base_time_micros` is at or below its time.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use crate::backend::{
    BatchOp, CommittedBatch, Direction, HistoryBounds, KvIter, ReadView, WriteBatch,
};
use crate::key_range::{range_is_empty, KeyRanges, RangeView};
use crate::value::Value;
use crate::StorageError;

/// The history of a [`crate::MemBackend`]; guarded by its data lock's companion mutex.
#[derive(Debug, Default)]
pub(crate) struct MemHistory {
    retention: Option<Duration>,
    base: BTreeMap<Vec<u8>, Vec<u8>>,
    base_seq: u64,
    base_time_micros: u64,
    log: VecDeque<CommittedBatch>,
}

/// Applies the operations of `batch` on keys in `range` to `map`.
fn apply(map: &mut BTreeMap<Vec<u8>, Vec<u8>>, batch: &WriteBatch, ranges: &KeyRanges) {
    for op in batch.ops() {
        match op {
            BatchOp::Put { key, value } if ranges.contains(key) => {
                map.insert(key.clone(), value.clone());
            }
            BatchOp::Delete { key } if ranges.contains(key) => {
                map.remove(key);
            }
            _ => {}
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl MemHistory {
    pub(crate) fn retention(&self) -> Option<Duration> {
        self.retention
    }

    /// Turns retention on from `state` (the latest values at `seq`), or changes it; off
    /// discards everything kept.
    pub(crate) fn set_retention(
        &mut self,
        retention: Option<Duration>,
        state: impl FnOnce() -> BTreeMap<Vec<u8>, Vec<u8>>,
        seq: u64,
        now_micros: u64,
    ) {
        match (self.retention, retention) {
            (_, None) => *self = MemHistory::default(),
            (None, Some(period)) => {
                *self = MemHistory {
                    retention: Some(period),
                    base: state(),
                    base_seq: seq,
                    base_time_micros: now_micros,
                    log: VecDeque::new(),
                };
            }
            (Some(_), Some(period)) => {
                self.retention = Some(period);
                self.trim(now_micros);
            }
        }
    }

    /// Records a committed batch (a no-op without retention) and trims.
    pub(crate) fn record(&mut self, seq: u64, now_micros: u64, batch: &WriteBatch) {
        if self.retention.is_none() {
            return;
        }
        let time = self
            .log
            .back()
            .map_or(self.base_time_micros, |b| b.commit_time_micros)
            .max(now_micros);
        debug_assert_eq!(
            seq,
            self.log.back().map_or(self.base_seq, |b| b.seq) + 1,
            "the log is contiguous"
        );
        self.log.push_back(CommittedBatch {
            seq,
            commit_time_micros: time,
            batch: batch.clone(),
        });
        self.trim(now_micros);
    }

    /// Folds into the base every batch older than the retention.
    fn trim(&mut self, now_micros: u64) {
        let Some(period) = self.retention else { return };
        let cutoff = now_micros.saturating_sub(micros(period));
        let everything = KeyRanges::full();
        while self
            .log
            .front()
            .is_some_and(|b| b.commit_time_micros <= cutoff)
        {
            if let Some(b) = self.log.pop_front() {
                apply(&mut self.base, &b.batch, &everything);
                self.base_seq = b.seq;
                self.base_time_micros = b.commit_time_micros;
            }
        }
    }

    pub(crate) fn bounds(&self, now_micros: u64) -> Option<HistoryBounds> {
        self.retention
            .map(|_| HistoryBounds::new(self.base_time_micros, now_micros, self.base_seq + 1))
    }

    /// Checks that the log reaches back to `from_seq` (a `from_seq` past `last_seq` is
    /// fine: nothing to read).
    ///
    /// # Errors
    /// [`StorageError::LogTrimmed`] without retention or before the retained log.
    pub(crate) fn check_log_from(&self, from_seq: u64, last_seq: u64) -> Result<(), StorageError> {
        if from_seq > last_seq {
            return Ok(());
        }
        if self.retention.is_none() || from_seq <= self.base_seq {
            return Err(StorageError::LogTrimmed {
                requested_seq: from_seq,
                earliest_seq: self.retention.map(|_| self.base_seq + 1),
            });
        }
        Ok(())
    }

    /// The logged batch `seq`, if still kept (the log is contiguous, so it is found by
    /// position, not by search).
    pub(crate) fn batch(&self, seq: u64) -> Option<&CommittedBatch> {
        let first = self.log.front()?.seq;
        let at = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.log.get(at).filter(|b| b.seq == seq)
    }

    /// The keys of `ranges` at `t_micros`: only they are copied out of the base and
    /// replayed from the log.
    pub(crate) fn view_at(
        &self,
        t_micros: u64,
        now_micros: u64,
        ranges: KeyRanges,
    ) -> Result<Box<dyn ReadView>, StorageError> {
        let earliest = self.retention.map(|_| self.base_time_micros);
        if earliest.is_none_or(|e| t_micros < e) || t_micros > now_micros {
            return Err(StorageError::OutsideRetention {
                requested_micros: t_micros,
                earliest_micros: earliest,
                latest_micros: now_micros,
            });
        }
        // The set's ranges are non-empty (`KeyRanges`), so each is a valid BTreeMap range.
        let mut map: BTreeMap<Vec<u8>, Vec<u8>> = ranges
            .ranges()
            .iter()
            .flat_map(|r| self.base.range::<Vec<u8>, _>(r.clone()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for b in self
            .log
            .iter()
            .take_while(|b| b.commit_time_micros <= t_micros)
        {
            apply(&mut map, &b.batch, &ranges);
        }
        let view = MemView::new(Arc::new(map), t_micros);
        Ok(Box::new(RangeView::new(Box::new(view), ranges)))
    }
}

/// A past state of the in-memory backend (a past view, or a checkpoint's view sharing
/// the checkpoint's map), immutable.
#[derive(Debug)]
pub(crate) struct MemView {
    map: Arc<BTreeMap<Vec<u8>, Vec<u8>>>,
    t_micros: u64,
}

impl MemView {
    /// A view of `map` showing commit time `t_micros`.
    pub(crate) fn new(map: Arc<BTreeMap<Vec<u8>, Vec<u8>>>, t_micros: u64) -> Self {
        MemView { map, t_micros }
    }
}

impl ReadView for MemView {
    fn commit_time_micros(&self) -> u64 {
        self.t_micros
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.map.get(key).cloned())
    }

    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Result<KvIter, StorageError> {
        // BTreeMap::range panics on a start past the end; such a range holds nothing.
        if range_is_empty(&start, &end) {
            return Ok(Box::new(std::iter::empty()));
        }
        let range = self.map.range::<Vec<u8>, _>((start, end));
        let pairs: Vec<_> = match direction {
            Direction::Forward => range
                .map(|(k, v)| Ok((k.clone(), Value::from(v.as_slice()))))
                .collect(),
            Direction::Reverse => range
                .rev()
                .map(|(k, v)| Ok((k.clone(), Value::from(v.as_slice()))))
                .collect(),
        };
        Ok(Box::new(pairs.into_iter()))
    }
}
