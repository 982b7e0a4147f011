//! The DynamoDB Streams operations: ListStreams, DescribeStream, GetShardIterator and
//! GetRecords, as `impl Database`. Validation runs in DynamoDB's order: member
//! constraints (lengths, ranges, which members go together), then lookups.

use super::ids::{self, LogPos};
use super::iterator::{ShardIterator, MAX_ITERATOR_LEN};
use super::reader::{self, ReadRecord};
use super::registry::StreamMeta;
use super::ITERATOR_LIFETIME_MICROS;
use crate::catalog::validate_name;
use crate::database::Database;
use crate::error::{Error, StreamValidation, ValidationError};
use crate::shapes::{
    DescribeStreamInput, DescribeStreamOutput, GetRecordsInput, GetRecordsOutput,
    GetShardIteratorInput, GetShardIteratorOutput, Identity, ListStreamsInput, ListStreamsOutput,
    OperationType, Record, SequenceNumberRange, Shard, ShardFilter, ShardFilterType,
    ShardIteratorType, StreamDescription, StreamRecordBody, StreamStatus, StreamSummary,
};
use crate::types::item_size_bytes;

/// Most streams per ListStreams page, and shards per DescribeStream page.
pub const MAX_STREAMS_PAGE: i64 = 100;
/// Most records per GetRecords call.
pub const MAX_GET_RECORDS_LIMIT: i64 = 1000;
/// About the most bytes of records per GetRecords call (1 MB).
pub const MAX_GET_RECORDS_BYTES: usize = 1024 * 1024;

fn check_limit(limit: Option<i64>, max: i64) -> Result<usize, Error> {
    match limit {
        None => Ok(max as usize),
        Some(l) if l < 1 => Err(ValidationError::OutOfRange {
            field: "limit",
            value: l,
            constraint: "greater than or equal to 1",
        }
        .into()),
        Some(l) if l > max => Err(ValidationError::OutOfRange {
            field: "limit",
            value: l,
            constraint: if max == MAX_GET_RECORDS_LIMIT {
                "less than or equal to 1000"
            } else {
                "less than or equal to 100"
            },
        }
        .into()),
        Some(l) => Ok(l as usize),
    }
}

fn check_length(
    field: &'static str,
    value: &str,
    range: std::ops::RangeInclusive<usize>,
    too_short: &'static str,
    too_long: &'static str,
) -> Result<(), Error> {
    let constraint = if value.len() < *range.start() {
        too_short
    } else if value.len() > *range.end() {
        too_long
    } else {
        return Ok(());
    };
    Err(ValidationError::NameLength {
        field,
        value: value.chars().take(*range.end()).collect(),
        constraint,
    }
    .into())
}

fn check_stream_arn(field: &'static str, arn: &str) -> Result<(String, u64), Error> {
    check_length(
        field,
        arn,
        ids::STREAM_ARN_LEN,
        "greater than or equal to 37",
        "less than or equal to 1024",
    )?;
    ids::parse_stream_arn(arn)
}

impl Database {
    /// ListStreams: the streams (of one table, if given), enabled or disabled less than
    /// 24 hours ago, by table name then creation, paged.
    ///
    /// # Errors
    /// ValidationException (limit, table name, a malformed ExclusiveStartStreamArn);
    /// storage failure.
    pub fn list_streams(&self, input: ListStreamsInput) -> Result<ListStreamsOutput, Error> {
        let limit = check_limit(input.limit, MAX_STREAMS_PAGE)?;
        if let Some(t) = &input.table_name {
            validate_name("tableName", t)?;
        }
        let start = match &input.exclusive_start_stream_arn {
            Some(arn) => Some(check_stream_arn("exclusiveStartStreamArn", arn)?),
            None => None,
        };
        let core = &self.core;
        let now = core.opts.clock.now_micros();
        let region = &core.opts.region;
        let mut streams = super::registry::list(core, input.table_name.as_deref())?
            .into_iter()
            .filter(|m| !m.expired(now))
            .filter(|m| {
                start.as_ref().is_none_or(|(t, c)| {
                    (m.table_name.as_str(), m.created_micros) > (t.as_str(), *c)
                })
            })
            .map(|m| StreamSummary {
                stream_arn: m.arn(region),
                table_name: m.table_name.clone(),
                stream_label: ids::label(m.created_micros),
            });
        let page: Vec<_> = streams.by_ref().take(limit).collect();
        let more = streams.next().is_some();
        Ok(ListStreamsOutput {
            last_evaluated_stream_arn: more
                .then(|| page.last().map(|s| s.stream_arn.clone()))
                .flatten(),
            streams: page,
        })
    }

    /// DescribeStream: the stream and its shards (those not past retention), paged by
    /// shard id. An ExclusiveStartShardId that names no shard returns no shards, as
    /// DynamoDB does.
    ///
    /// # Errors
    /// ValidationException; ResourceNotFound for an unknown stream; storage failure.
    pub fn describe_stream(
        &self,
        input: DescribeStreamInput,
    ) -> Result<DescribeStreamOutput, Error> {
        let (table, created) = check_stream_arn("streamArn", &input.stream_arn)?;
        let limit = check_limit(input.limit, MAX_STREAMS_PAGE)?;
        if let Some(s) = &input.exclusive_start_shard_id {
            check_length(
                "exclusiveStartShardId",
                s,
                ids::SHARD_ID_LEN,
                "greater than or equal to 28",
                "less than or equal to 65",
            )?;
        }
        let parent = children_of(input.shard_filter.as_ref())?;
        let meta = self.live_stream(&table, created)?;
        let now = self.core.opts.clock.now_micros();
        let mut shards = (0..meta.shards.len())
            .filter(|&k| !meta.shard_trimmed(k, now))
            .map(|k| describe_shard(&meta, k))
            .filter(|s| parent.is_none_or(|p| s.parent_shard_id.as_deref() == Some(p)))
            .skip_while(|s| {
                input
                    .exclusive_start_shard_id
                    .as_ref()
                    .is_some_and(|start| &s.shard_id != start)
            })
            .skip(usize::from(input.exclusive_start_shard_id.is_some()));
        let page: Vec<Shard> = shards.by_ref().take(limit).collect();
        let more = shards.next().is_some();
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_arn: meta.arn(&self.core.opts.region),
                stream_label: ids::label(meta.created_micros),
                stream_status: if meta.disabled.is_some() {
                    StreamStatus::Disabled
                } else {
                    StreamStatus::Enabled
                },
                stream_view_type: meta.view_type(),
                creation_request_date_time: (meta.created_micros / 1000) as f64 / 1e3,
                table_name: meta.table_name.clone(),
                key_schema: meta.key_schema(),
                last_evaluated_shard_id: more
                    .then(|| page.last().map(|s| s.shard_id.clone()))
                    .flatten(),
                shards: page,
            },
        })
    }

    /// GetShardIterator: an iterator into one shard, valid for 15 minutes.
    ///
    /// # Errors
    /// ValidationException (lengths, a SequenceNumber missing or not allowed, or not in
    /// the shard); ResourceNotFound for an unknown stream or shard; TrimmedDataAccess for
    /// a sequence number past retention; storage failure.
    pub fn get_shard_iterator(
        &self,
        input: GetShardIteratorInput,
    ) -> Result<GetShardIteratorOutput, Error> {
        let (table, created) = check_stream_arn("streamArn", &input.stream_arn)?;
        check_length(
            "shardId",
            &input.shard_id,
            ids::SHARD_ID_LEN,
            "greater than or equal to 28",
            "less than or equal to 65",
        )?;
        let ty = input.shard_iterator_type;
        let wanted = match (ty, &input.sequence_number) {
            (
                ShardIteratorType::AtSequenceNumber | ShardIteratorType::AfterSequenceNumber,
                None,
            ) => {
                return Err(StreamValidation::SequenceNumberRequired {
                    iterator_type: ty.as_str(),
                }
                .into())
            }
            (ShardIteratorType::TrimHorizon | ShardIteratorType::Latest, Some(_)) => {
                return Err(StreamValidation::SequenceNumberNotAllowed {
                    iterator_type: ty.as_str(),
                }
                .into())
            }
            (_, Some(s)) => {
                check_length(
                    "sequenceNumber",
                    s,
                    21..=40,
                    "greater than or equal to 21",
                    "less than or equal to 40",
                )?;
                Some(s.as_str())
            }
            (_, None) => None,
        };
        let core = &self.core;
        let meta = self.live_stream(&table, created)?;
        let now = core.opts.clock.now_micros();
        let k = meta
            .shard_index(&input.shard_id)
            .filter(|&k| !meta.shard_trimmed(k, now))
            .ok_or_else(|| Error::ShardNotFound {
                shard_id: input.shard_id.clone(),
            })?;
        let Some(range) = meta.shard_range(k) else {
            return Err(Error::ShardNotFound {
                shard_id: input.shard_id,
            });
        };
        let start = LogPos::batch_start(range.start_seq);
        let pos = match (ty, wanted) {
            (ShardIteratorType::TrimHorizon, _) => {
                let earliest = core.backend.history_bounds()?.map_or(1, |b| b.earliest_seq);
                start.max(LogPos::batch_start(earliest))
            }
            (ShardIteratorType::Latest, _) => {
                let after_last = LogPos::batch_start(core.backend.snapshot().seq() + 1);
                let after_end = range.end_seq.map(|e| LogPos::batch_start(e + 1));
                start.max(after_end.map_or(after_last, |e| e.min(after_last)))
            }
            (_, Some(s)) => {
                let invalid = || StreamValidation::InvalidSequenceNumber {
                    sequence_number: s.to_owned(),
                    shard_id: input.shard_id.clone(),
                };
                let at = ids::parse_sequence_number(s).ok_or_else(invalid)?;
                // In the shard, and written: the end of a closed shard, or the last
                // batch committed for an open one.
                let last = range
                    .end_seq
                    .unwrap_or_else(|| core.backend.snapshot().seq());
                if at.seq < range.start_seq || at.seq > last {
                    return Err(invalid().into());
                }
                let earliest = core.backend.history_bounds()?.map_or(1, |b| b.earliest_seq);
                if at.seq < earliest {
                    return Err(Error::TrimmedDataAccess);
                }
                if ty == ShardIteratorType::AfterSequenceNumber {
                    at.next()
                } else {
                    at
                }
            }
            (_, None) => start,
        };
        let it = ShardIterator {
            table,
            stream_micros: created,
            shard: u32::try_from(k).unwrap_or(u32::MAX),
            pos,
            issued_micros: now,
        };
        Ok(GetShardIteratorOutput {
            shard_iterator: it.encode(&core.opts.region),
        })
    }

    /// GetRecords: up to `Limit` records (1000 at most) and about 1 MB from an iterator,
    /// and the iterator to read on with (absent once a closed shard is read to its end).
    ///
    /// # Errors
    /// ValidationException (limit, a malformed iterator); ExpiredIterator after 15
    /// minutes; ResourceNotFound when the stream or shard is gone; TrimmedDataAccess when
    /// the log no longer reaches the position; storage failure.
    pub fn get_records(&self, input: GetRecordsInput) -> Result<GetRecordsOutput, Error> {
        check_length(
            "shardIterator",
            &input.shard_iterator,
            1..=MAX_ITERATOR_LEN,
            "greater than or equal to 1",
            "less than or equal to 2048",
        )?;
        let limit = check_limit(input.limit, MAX_GET_RECORDS_LIMIT)?;
        let it = ShardIterator::decode(&input.shard_iterator)?;
        let core = &self.core;
        let now = core.opts.clock.now_micros();
        if now.saturating_sub(it.issued_micros) > ITERATOR_LIFETIME_MICROS {
            return Err(Error::ExpiredIterator);
        }
        let meta = self.live_stream(&it.table, it.stream_micros)?;
        let k = it.shard as usize;
        if k >= meta.shards.len() {
            // Only a tampered iterator gets here (its checksum passed): say so.
            return Err(StreamValidation::InvalidShardIterator.into());
        }
        if meta.shard_trimmed(k, now) {
            return Err(Error::TrimmedDataAccess);
        }
        let page = reader::read_shard(core, &meta, k, it.pos, limit, MAX_GET_RECORDS_BYTES)?;
        let region = &core.opts.region;
        Ok(GetRecordsOutput {
            records: page
                .records
                .iter()
                .map(|r| wire_record(&meta, region, r))
                .collect(),
            next_shard_iterator: page.next.map(|pos| {
                ShardIterator {
                    pos,
                    issued_micros: now,
                    ..it
                }
                .encode(region)
            }),
        })
    }

    /// Stream upkeep now, as the background worker runs it every minute: rolls shards
    /// that have been open 4 hours, forgets streams disabled more than 24 hours ago, and
    /// releases history nothing needs any more. For tests and tools on a manual clock.
    ///
    /// # Errors
    /// Storage failure, a corrupt record.
    pub fn run_stream_upkeep(&self) -> Result<(), Error> {
        super::upkeep(&self.core)?;
        crate::pitr_retention::sync_retention(&self.core)
    }

    /// The stream, rolled over if due, unless past retention.
    fn live_stream(&self, table: &str, created: u64) -> Result<StreamMeta, Error> {
        let meta = reader::current_meta(&self.core, table, created)?;
        if meta.expired(self.core.opts.clock.now_micros()) {
            return Err(Error::ResourceNotFound {
                kind: crate::error::ResourceKind::Stream,
                name: Some(meta.arn(&self.core.opts.region)),
            });
        }
        Ok(meta)
    }
}

fn describe_shard(meta: &StreamMeta, k: usize) -> Shard {
    let range = meta.shard_range(k);
    Shard {
        shard_id: meta.shard_id(k).unwrap_or_default(),
        sequence_number_range: SequenceNumberRange {
            starting_sequence_number: ids::sequence_number(LogPos::batch_start(
                range.map_or(0, |r| r.start_seq),
            )),
            ending_sequence_number: range.and_then(|r| r.end_seq).map(|end| {
                ids::sequence_number(LogPos {
                    seq: end,
                    op: u32::MAX,
                })
            }),
        },
        parent_shard_id: k.checked_sub(1).and_then(|p| meta.shard_id(p)),
    }
}

/// A record as GetRecords returns it.
pub(crate) fn wire_record(meta: &StreamMeta, region: &str, r: &ReadRecord) -> Record {
    let c = &r.change;
    let size = item_size_bytes(&c.keys)
        + c.new_image.as_ref().map_or(0, item_size_bytes)
        + c.old_image.as_ref().map_or(0, item_size_bytes);
    Record {
        event_id: ids::event_id(meta.table_id, meta.created_micros, r.pos),
        event_name: c.event,
        event_version: "1.1".to_owned(),
        event_source: "aws:dynamodb".to_owned(),
        aws_region: region.to_owned(),
        dynamodb: StreamRecordBody {
            approximate_creation_date_time: (r.commit_micros / 1_000_000) as f64,
            keys: c.keys.clone(),
            new_image: c.new_image.clone(),
            old_image: c.old_image.clone(),
            sequence_number: ids::sequence_number(r.pos),
            size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
            stream_view_type: meta.view_type(),
        },
        user_identity: (c.by_ttl && c.event == OperationType::Remove).then(|| Identity {
            principal_id: "dynamodb.amazonaws.com".to_owned(),
            identity_type: "Service".to_owned(),
        }),
    }
}

/// The parent shard DescribeStream's `ShardFilter` asks for the children of (`None`: no
/// filter, every shard).
///
/// # Errors
/// ValidationException for a ShardId outside 28–65 characters, or a filter without one
/// (the API reference marks both members optional; what DynamoDB answers to a filter
/// without a ShardId was not found recorded, and a child-shards filter needs a parent).
fn children_of(filter: Option<&ShardFilter>) -> Result<Option<&str>, Error> {
    let Some(filter) = filter else {
        return Ok(None);
    };
    // CHILD_SHARDS is the only type, and the default.
    let (None | Some(ShardFilterType::ChildShards)) = filter.filter_type;
    let Some(id) = filter.shard_id.as_deref() else {
        return Err(StreamValidation::ShardFilterWithoutShardId.into());
    };
    check_length(
        "shardFilter.shardId",
        id,
        ids::SHARD_ID_LEN,
        "greater than or equal to 28",
        "less than or equal to 65",
    )?;
    Ok(Some(id))
}
