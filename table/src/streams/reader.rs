//! Reading a shard: its stream's change records from the commit log, in log order,
//! bounded per call.

use shale_engine::{BatchOp, StorageError};

use super::change::{self, Change};
use super::ids::LogPos;
use super::registry::{self, StreamMeta};
use super::RETENTION_MICROS;
use crate::core::Core;
use crate::error::{Error, ResourceKind};

/// Most batches one read walks, records or not: bounds a GetRecords over a long stretch
/// of other tables' writes (the caller gets an empty page and an iterator further on, as
/// DynamoDB's "it might take multiple calls to get to a portion of the shard that
/// contains stream records").
pub(crate) const MAX_BATCHES_PER_READ: usize = 10_000;

/// One record read.
#[derive(Debug, Clone)]
pub(crate) struct ReadRecord {
    /// Where it is.
    pub(crate) pos: LogPos,
    /// Its batch's commit time, µs since the epoch.
    pub(crate) commit_micros: u64,
    /// The change.
    pub(crate) change: Change,
}

/// What one read returned.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// The records, in log order.
    pub(crate) records: Vec<ReadRecord>,
    /// Where the next read starts; `None` when the shard is closed and read to its end.
    pub(crate) next: Option<LogPos>,
}

/// The stream's record, loaded under the catalog read lock and rolled over to a new
/// shard first if one is due (the roll is written before anyone can see it). Rolls are
/// serialised by `Core::stream_rolls`; the catalog read lock keeps them from racing a
/// disable, which holds it for writing.
///
/// # Errors
/// ResourceNotFound (stream) if there is no such stream; storage failure.
pub(crate) fn current_meta(
    core: &Core,
    table: &str,
    created_micros: u64,
) -> Result<StreamMeta, Error> {
    let _cat = core.catalog.read();
    let _roll = core.stream_rolls.lock();
    let mut meta =
        registry::load(core, table, created_micros)?.ok_or_else(|| Error::ResourceNotFound {
            kind: ResourceKind::Stream,
            name: Some(super::ids::stream_arn(
                &core.opts.region,
                table,
                created_micros,
            )),
        })?;
    let now = core.opts.clock.now_micros();
    if registry::roll_if_due(&mut meta, now, core.backend.snapshot().seq()) {
        let mut batch = shale_engine::WriteBatch::new();
        registry::put(&meta, &mut batch);
        core.backend.write(batch)?;
    }
    Ok(meta)
}

/// Reads shard `k` of `meta` from `from`: at most `limit` records and about `max_bytes`
/// of them (the record that crosses it is the last), walking at most
/// [`MAX_BATCHES_PER_READ`] batches. Records older than 24 hours are skipped.
///
/// # Errors
/// TrimmedDataAccess if the log no longer reaches back to `from`; a corrupt record;
/// storage failure.
pub(crate) fn read_shard(
    core: &Core,
    meta: &StreamMeta,
    k: usize,
    from: LogPos,
    limit: usize,
    max_bytes: usize,
) -> Result<Page, Error> {
    let Some(range) = meta.shard_range(k) else {
        return Ok(Page {
            records: Vec::new(),
            next: None,
        });
    };
    let from = from.max(LogPos::batch_start(range.start_seq));
    if range.end_seq.is_some_and(|end| from.seq > end) {
        return Ok(Page {
            records: Vec::new(),
            next: None,
        });
    }
    let cutoff = core
        .opts
        .clock
        .now_micros()
        .saturating_sub(RETENTION_MICROS);
    let mut page = PageBuilder {
        meta,
        from,
        cutoff,
        limit,
        max_bytes,
        records: Vec::new(),
        bytes: 0,
    };
    // The fast path: the backend's in-memory tail of recent log data.
    if let Some(recent) = core.backend.recent_log_data(from.seq, MAX_BATCHES_PER_READ) {
        for batch in &recent.batches {
            if range.end_seq.is_some_and(|end| batch.seq > end) {
                break;
            }
            for (i, blob) in &batch.blobs {
                let pos = LogPos {
                    seq: batch.seq,
                    op: *i,
                };
                if page.take(pos, batch.commit_time_micros, blob)? {
                    return Ok(page.full(pos));
                }
            }
        }
        let next = LogPos::batch_start(recent.upto_seq.saturating_add(1)).max(from);
        return Ok(page.finish(next, range.end_seq));
    }
    let log = core
        .backend
        .read_commit_log(from.seq)
        .map_err(|e| match e {
            StorageError::LogTrimmed { .. } => Error::TrimmedDataAccess,
            other => other.into(),
        })?;
    let mut next = from;
    for (walked, batch) in log.enumerate() {
        let batch = batch.map_err(|e| match e {
            StorageError::LogTrimmed { .. } => Error::TrimmedDataAccess,
            other => other.into(),
        })?;
        if range.end_seq.is_some_and(|end| batch.seq > end) {
            break;
        }
        if walked >= MAX_BATCHES_PER_READ {
            return Ok(Page {
                records: page.records,
                next: Some(next),
            });
        }
        for (i, op) in batch.batch.ops().iter().enumerate() {
            let BatchOp::LogData { data } = op else {
                continue;
            };
            let pos = LogPos {
                seq: batch.seq,
                op: u32::try_from(i).unwrap_or(u32::MAX),
            };
            if page.take(pos, batch.commit_time_micros, data)? {
                return Ok(page.full(pos));
            }
        }
        next = LogPos::batch_start(batch.seq + 1);
    }
    Ok(page.finish(next, range.end_seq))
}

/// Collects one page of a shard's records.
struct PageBuilder<'a> {
    meta: &'a StreamMeta,
    from: LogPos,
    /// Records committed before this (µs) are past retention.
    cutoff: u64,
    limit: usize,
    max_bytes: usize,
    records: Vec<ReadRecord>,
    bytes: usize,
}

impl PageBuilder<'_> {
    /// Takes the log blob at `pos` if it is one of the stream's records at or after
    /// `from` and within retention; `true` when the page is full.
    fn take(&mut self, pos: LogPos, commit_micros: u64, blob: &[u8]) -> Result<bool, Error> {
        if pos < self.from
            || change::stream_of(blob) != Some((self.meta.table_id, self.meta.created_micros))
            || commit_micros < self.cutoff
        {
            return Ok(false);
        }
        let change = change::decode(pos.seq, blob)?;
        self.bytes = self.bytes.saturating_add(blob.len());
        self.records.push(ReadRecord {
            pos,
            commit_micros,
            change,
        });
        Ok(self.records.len() >= self.limit || self.bytes >= self.max_bytes)
    }

    /// The page, full after the record at `last`.
    fn full(self, last: LogPos) -> Page {
        Page {
            records: self.records,
            next: Some(last.next()),
        }
    }

    /// The page, having read everything before `next`: a closed shard (`end_seq`) is done
    /// once `next` is past its last batch; an open one goes on from `next`.
    fn finish(self, next: LogPos, end_seq: Option<u64>) -> Page {
        let done = end_seq.is_some_and(|end| next.seq > end);
        Page {
            records: self.records,
            next: (!done).then_some(next),
        }
    }
}
