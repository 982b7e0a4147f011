//! In-process stream consumers: Lambda's role for a program that embeds Shale.
//!
//! A [`StreamConsumer`] follows one table's stream shard by shard (a child after its
//! parent, as Lambda does), hands batches of records to a handler, and checkpoints its
//! position durably under its name, so a consumer opened again with the same name (after
//! a restart) resumes where the last one stopped. Delivery is **at least once**: a batch
//! is checkpointed only after its handler returned `Ok`, so a crash between the two
//! delivers it again.
//!
//! - **Filters:** Lambda's event-filter patterns ([`super::filter`]); records no filter
//!   matches are skipped and never delivered (the position moves past them).
//! - **Failures:** a handler error leaves the position where it was: the next poll
//!   delivers the same batch again. After [`ConsumerOptions::max_attempts`] failed
//!   attempts the batch goes to the dead-letter handler and the consumer moves on, as a
//!   Lambda event source mapping's `MaximumRetryAttempts` and on-failure destination do.
//! - **Waiting:** [`StreamConsumer::poll_wait`] sleeps until a write logs change records
//!   (the write path wakes consumers after its commit) or a timeout, so delivery lag is
//!   a wake-up, not a polling interval.
//!
//! The checkpoint is one catalog record, `[0]'C'` consumer name, written like any other
//! write (durable to the backend's durability), holding the stream, the shard index and
//! the log position of the next record to deliver.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shale_engine::WriteBatch;

use super::api::{wire_record, MAX_GET_RECORDS_BYTES, MAX_GET_RECORDS_LIMIT};
use super::filter::{matches_any, FilterPattern};
use super::ids::LogPos;
use super::reader::{self, Page};
use super::registry::StreamMeta;
use crate::catalog::{record_key, validate_name};
use crate::catalog_record::{decode_json, encode_json};
use crate::core::Core;
use crate::database::Database;
use crate::error::{Error, ResourceKind, ValidationError};
use crate::shapes::Record;

const CHECKPOINT_TAG: u8 = b'C';

/// Where a new consumer (one without a checkpoint) starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartingPosition {
    /// The oldest record the stream still holds.
    #[default]
    TrimHorizon,
    /// Just after the newest record: only writes from now on.
    Latest,
}

/// How a consumer reads and delivers.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// The consumer's name: its checkpoint's key (`[a-zA-Z0-9_.-]`, 3 to 255 characters).
    pub name: String,
    /// The table whose latest stream it follows.
    pub table_name: String,
    /// Most records per batch (1 to 1000; default 100, Lambda's default for DynamoDB).
    pub batch_size: usize,
    /// Records matching none of these are skipped (none: every record is delivered).
    pub filters: Vec<FilterPattern>,
    /// Attempts per batch before it goes to the dead-letter handler (at least 1).
    pub max_attempts: u32,
    /// Where to start without a checkpoint.
    pub start: StartingPosition,
}

impl ConsumerOptions {
    /// Options with the defaults: batches of 100, no filters, 3 attempts, from the
    /// oldest record.
    pub fn new(name: impl Into<String>, table_name: impl Into<String>) -> Self {
        ConsumerOptions {
            name: name.into(),
            table_name: table_name.into(),
            batch_size: 100,
            filters: Vec::new(),
            max_attempts: 3,
            start: StartingPosition::TrimHorizon,
        }
    }
}

/// A batch that failed every attempt, handed to the dead-letter handler.
#[derive(Debug)]
pub struct DeadLetter<E> {
    /// The records.
    pub records: Vec<Record>,
    /// The handler's last error.
    pub error: E,
    /// How many times it was tried.
    pub attempts: u32,
}

/// What one poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PollOutcome {
    /// The handler took this many records; the position moved past them.
    Delivered(usize),
    /// Records were read but none matched a filter; the position moved past them.
    Filtered(usize),
    /// Nothing new.
    Idle,
    /// The handler failed this attempt; the same batch comes again next poll.
    Retrying {
        /// Failed attempts so far.
        attempts: u32,
    },
    /// The batch failed every attempt and went to the dead-letter handler.
    DeadLettered(usize),
    /// The stream is disabled and every record has been delivered.
    Ended,
}

/// The durable checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Checkpoint {
    #[serde(rename = "stream_micros")]
    stream_micros: u64,
    #[serde(rename = "shard")]
    shard: usize,
    #[serde(rename = "seq")]
    seq: u64,
    #[serde(rename = "op")]
    op: u32,
}

/// A consumer of one table's stream (see the module docs). Not `Sync`: one thread polls.
#[derive(Debug)]
pub struct StreamConsumer {
    core: Arc<Core>,
    opts: ConsumerOptions,
    at: Checkpoint,
    /// Failed attempts of the batch at `at`.
    attempts: u32,
}

impl Database {
    /// A consumer of `opts.table_name`'s latest stream, resuming from its checkpoint if
    /// one was saved under `opts.name` for that stream.
    ///
    /// # Errors
    /// ValidationException (name, batch size, attempts); ResourceNotFound when the table
    /// has never had a stream; storage failure.
    pub fn stream_consumer(&self, opts: ConsumerOptions) -> Result<StreamConsumer, Error> {
        validate_name("consumerName", &opts.name)?;
        validate_name("tableName", &opts.table_name)?;
        let max_batch = MAX_GET_RECORDS_LIMIT as usize;
        if opts.batch_size == 0 || opts.batch_size > max_batch {
            return Err(ValidationError::OutOfRange {
                field: "batchSize",
                value: i64::try_from(opts.batch_size).unwrap_or(i64::MAX),
                constraint: "between 1 and 1000",
            }
            .into());
        }
        if opts.max_attempts == 0 {
            return Err(ValidationError::OutOfRange {
                field: "maxAttempts",
                value: 0,
                constraint: "greater than or equal to 1",
            }
            .into());
        }
        let core = Arc::clone(&self.core);
        let stream_micros = core
            .catalog
            .read()
            .tables
            .get(&opts.table_name)
            .and_then(|d| d.latest_stream_micros)
            .ok_or_else(|| Error::ResourceNotFound {
                kind: ResourceKind::Table,
                name: Some(opts.table_name.clone()),
            })?;
        let saved =
            load_checkpoint(&core, &opts.name)?.filter(|c| c.stream_micros == stream_micros);
        let at = match saved {
            Some(c) => c,
            None => {
                let meta = reader::current_meta(&core, &opts.table_name, stream_micros)?;
                start_of(&core, &meta, opts.start)?
            }
        };
        Ok(StreamConsumer {
            core,
            opts,
            at,
            attempts: 0,
        })
    }
}

/// The checkpoint for a new consumer.
fn start_of(core: &Core, meta: &StreamMeta, start: StartingPosition) -> Result<Checkpoint, Error> {
    let last = meta.shards.len().saturating_sub(1);
    let (shard, pos) = match start {
        StartingPosition::TrimHorizon => {
            let earliest = core.backend.history_bounds()?.map_or(1, |b| b.earliest_seq);
            let shard = (0..meta.shards.len())
                .find(|&k| {
                    meta.shard_range(k)
                        .and_then(|r| r.end_seq)
                        .is_none_or(|e| e >= earliest)
                })
                .unwrap_or(last);
            let start = meta.shards.get(shard).map_or(earliest, |s| s.start_seq);
            (shard, LogPos::batch_start(start.max(earliest)))
        }
        StartingPosition::Latest => (last, LogPos::batch_start(core.backend.snapshot().seq() + 1)),
    };
    Ok(Checkpoint {
        stream_micros: meta.created_micros,
        shard,
        seq: pos.seq,
        op: pos.op,
    })
}

fn checkpoint_key(name: &str) -> Vec<u8> {
    record_key(CHECKPOINT_TAG, name)
}

fn load_checkpoint(core: &Core, name: &str) -> Result<Option<Checkpoint>, Error> {
    let key = checkpoint_key(name);
    core.backend
        .get(&key, None)?
        .map(|v| decode_json::<Checkpoint>(&key, &v))
        .transpose()
}

impl StreamConsumer {
    /// Reads the next batch and delivers it: see [`PollOutcome`]. `handler` gets the
    /// records that pass the filters, in stream order; `dead_letter` gets a batch that
    /// failed [`ConsumerOptions::max_attempts`] times.
    ///
    /// # Errors
    /// TrimmedDataAccess when the consumer fell more than 24 hours behind; storage
    /// failure; a corrupt record. The position is unchanged then.
    pub fn poll<E>(
        &mut self,
        mut handler: impl FnMut(&[Record]) -> Result<(), E>,
        mut dead_letter: impl FnMut(DeadLetter<E>),
    ) -> Result<PollOutcome, Error> {
        // A bounded walk over empty stretches (closed shards, other tables' batches) to
        // the first records.
        for _ in 0..=MAX_EMPTY_READS {
            let meta =
                reader::current_meta(&self.core, &self.opts.table_name, self.at.stream_micros)?;
            let from = LogPos {
                seq: self.at.seq,
                op: self.at.op,
            };
            let page = reader::read_shard(
                &self.core,
                &meta,
                self.at.shard,
                from,
                self.opts.batch_size,
                MAX_GET_RECORDS_BYTES,
            )?;
            let (after, ended) = self.after(&meta, &page);
            if page.records.is_empty() {
                // Past batches without records: nothing to checkpoint (a restart walks
                // them again), except a shard change or the stream's end.
                let moved = self.move_to(after, after.shard != self.at.shard || ended)?;
                if ended {
                    return Ok(PollOutcome::Ended);
                }
                if !moved {
                    return Ok(PollOutcome::Idle);
                }
                continue;
            }
            let region = &self.core.opts.region;
            let read = page.records.len();
            let records: Vec<Record> = page
                .records
                .iter()
                .map(|r| wire_record(&meta, region, r))
                .filter(|r| self.passes(r))
                .collect();
            if records.is_empty() {
                self.move_to(after, true)?;
                return Ok(PollOutcome::Filtered(read));
            }
            return match handler(&records) {
                Ok(()) => {
                    self.move_to(after, true)?;
                    Ok(PollOutcome::Delivered(records.len()))
                }
                Err(error) => {
                    self.attempts += 1;
                    if self.attempts < self.opts.max_attempts {
                        return Ok(PollOutcome::Retrying {
                            attempts: self.attempts,
                        });
                    }
                    let n = records.len();
                    dead_letter(DeadLetter {
                        records,
                        error,
                        attempts: self.attempts,
                    });
                    self.move_to(after, true)?;
                    Ok(PollOutcome::DeadLettered(n))
                }
            };
        }
        Ok(PollOutcome::Idle)
    }

    /// [`StreamConsumer::poll`], but when there is nothing new it waits (at most
    /// `timeout`) for a write to log change records, then polls once more.
    ///
    /// # Errors
    /// As [`StreamConsumer::poll`].
    pub fn poll_wait<E>(
        &mut self,
        timeout: Duration,
        mut handler: impl FnMut(&[Record]) -> Result<(), E>,
        mut dead_letter: impl FnMut(DeadLetter<E>),
    ) -> Result<PollOutcome, Error> {
        let seen = self.core.stream_wake.generation();
        match self.poll(&mut handler, &mut dead_letter)? {
            PollOutcome::Idle => {
                self.core.stream_wake.wait_past(seen, timeout);
                self.poll(handler, dead_letter)
            }
            other => Ok(other),
        }
    }

    /// The sequence number of the next record to deliver (it may not exist yet).
    pub fn position(&self) -> String {
        super::ids::sequence_number(LogPos {
            seq: self.at.seq,
            op: self.at.op,
        })
    }

    fn passes(&self, r: &Record) -> bool {
        if self.opts.filters.is_empty() {
            return true;
        }
        serde_json::to_value(r).is_ok_and(|v| matches_any(&self.opts.filters, &v))
    }

    /// The position after what `page` read: on in the same shard, or the start of the
    /// next shard when it finished one; `true` when it finished the last shard of a
    /// disabled stream (the position is then past its end).
    fn after(&self, meta: &StreamMeta, page: &Page) -> (Checkpoint, bool) {
        let at = |shard: usize, pos: LogPos| Checkpoint {
            stream_micros: self.at.stream_micros,
            shard,
            seq: pos.seq,
            op: pos.op,
        };
        match page.next {
            Some(next) => (at(self.at.shard, next), false),
            None => match meta.shards.get(self.at.shard + 1) {
                Some(child) => (
                    at(self.at.shard + 1, LogPos::batch_start(child.start_seq)),
                    false,
                ),
                None => {
                    let end = meta
                        .shard_range(self.at.shard)
                        .and_then(|r| r.end_seq)
                        .unwrap_or(self.at.seq);
                    (at(self.at.shard, LogPos::batch_start(end + 1)), true)
                }
            },
        }
    }

    /// Moves to `next`, checkpointing it when `durable`; `false` if already there.
    /// (A checkpoint is a write, so it is itself a batch in the log: checkpointing after
    /// every empty read would make the next read find one more batch to walk.)
    fn move_to(&mut self, next: Checkpoint, durable: bool) -> Result<bool, Error> {
        self.attempts = 0;
        if next == self.at {
            return Ok(false);
        }
        if durable {
            let mut batch = WriteBatch::new();
            batch.put(checkpoint_key(&self.opts.name), encode_json(&next));
            self.core.backend.write(batch)?;
        }
        self.at = next;
        Ok(true)
    }
}

/// Most empty reads one poll makes before it reports Idle (each walks at most
/// `reader::MAX_BATCHES_PER_READ` batches).
const MAX_EMPTY_READS: usize = 16;
