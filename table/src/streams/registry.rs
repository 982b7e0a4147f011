//! The durable description of every stream: one record per stream, in the catalog's
//! key space, written in the same batch as the table change that enabled or disabled it.
//!
//! | key | record |
//! |---|---|
//! | `[0]'S'` table name `/` creation µs (20 digits) | [`StreamMeta`] |
//!
//! A stream's records live in the commit log; this record says which part of the log
//! belongs to it and how that part is cut into shards:
//! - shard `k` holds the change records of the stream in batches with sequence numbers
//!   `shards[k].start_seq ..= shards[k + 1].start_seq - 1` (or up to the disabling's
//!   `end_seq`, or open-ended for the current shard of an enabled stream);
//! - a shard is cut at a sequence number, never at a time, so membership is exact even
//!   with writes in flight: a batch is in the shard its sequence number falls in.
//!
//! Records of streams disabled more than 24 hours ago (with their tables, if deleted)
//! are removed by [`purge_expired`].

use serde::{Deserialize, Serialize};
use shale_engine::{Direction, WriteBatch};

use super::ids;
use super::{RETENTION_MICROS, SHARD_ROLL_MICROS};
use crate::catalog::{record_key, TableDef};
use crate::catalog_record::{decode_json, encode_json, StreamViewTypeRecord};
use crate::core::Core;
use crate::error::Error;
use crate::keys::prefix_bounds;
use crate::shapes::{KeySchemaElement, KeyType, StreamViewType};

const STREAM_TAG: u8 = b'S';

/// One shard's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShardMeta {
    /// When it was opened, µs since the epoch.
    #[serde(rename = "opened_micros")]
    pub(crate) opened_micros: u64,
    /// The first batch sequence number it holds.
    #[serde(rename = "start_seq")]
    pub(crate) start_seq: u64,
}

/// When and where a stream stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisabledMeta {
    /// When, µs since the epoch.
    #[serde(rename = "micros")]
    pub(crate) micros: u64,
    /// The last batch sequence number that may hold one of its records.
    #[serde(rename = "end_seq")]
    pub(crate) end_seq: u64,
}

/// A stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StreamMeta {
    /// Its table's name.
    #[serde(rename = "table_name")]
    pub(crate) table_name: String,
    /// Its table's id (a later table of the same name has another).
    #[serde(rename = "table_id")]
    pub(crate) table_id: u32,
    /// When it was enabled, µs since the epoch, a whole millisecond (its label).
    #[serde(rename = "created_micros")]
    pub(crate) created_micros: u64,
    /// What its records hold.
    #[serde(rename = "view_type")]
    view_type: StreamViewTypeRecord,
    /// The table's key attributes, partition key first.
    #[serde(rename = "key_attributes")]
    pub(crate) key_attributes: Vec<String>,
    /// Its shards, oldest first (never empty).
    #[serde(rename = "shards")]
    pub(crate) shards: Vec<ShardMeta>,
    /// Set once disabled (or its table deleted).
    #[serde(rename = "disabled")]
    pub(crate) disabled: Option<DisabledMeta>,
}

/// A shard's extent in the commit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShardRange {
    /// Its first batch.
    pub(crate) start_seq: u64,
    /// Its last batch, once closed.
    pub(crate) end_seq: Option<u64>,
    /// When it closed, µs since the epoch.
    pub(crate) closed_micros: Option<u64>,
}

impl StreamMeta {
    /// The view type.
    pub(crate) fn view_type(&self) -> StreamViewType {
        self.view_type.into()
    }

    /// The table's key schema, as DescribeStream shows it.
    pub(crate) fn key_schema(&self) -> Vec<KeySchemaElement> {
        self.key_attributes
            .iter()
            .enumerate()
            .map(|(i, name)| KeySchemaElement {
                attribute_name: name.clone(),
                key_type: if i == 0 {
                    KeyType::Hash
                } else {
                    KeyType::Range
                },
            })
            .collect()
    }

    /// Shard `k`'s extent, if it exists.
    pub(crate) fn shard_range(&self, k: usize) -> Option<ShardRange> {
        let shard = self.shards.get(k)?;
        let (end_seq, closed_micros) = match (self.shards.get(k + 1), self.disabled) {
            (Some(next), _) => (
                Some(next.start_seq.saturating_sub(1)),
                Some(next.opened_micros),
            ),
            (None, Some(d)) => (Some(d.end_seq), Some(d.micros)),
            (None, None) => (None, None),
        };
        Some(ShardRange {
            start_seq: shard.start_seq,
            end_seq,
            closed_micros,
        })
    }

    /// Shard `k`'s id.
    pub(crate) fn shard_id(&self, k: usize) -> Option<String> {
        let s = self.shards.get(k)?;
        Some(ids::shard_id(
            self.table_id,
            self.created_micros,
            k,
            s.opened_micros,
        ))
    }

    /// The index of the shard named `id`.
    pub(crate) fn shard_index(&self, id: &str) -> Option<usize> {
        (0..self.shards.len()).find(|&k| self.shard_id(k).as_deref() == Some(id))
    }

    /// Whether shard `k` is past retention: closed more than 24 hours before `now`.
    pub(crate) fn shard_trimmed(&self, k: usize, now_micros: u64) -> bool {
        self.shard_range(k)
            .and_then(|r| r.closed_micros)
            .is_some_and(|c| c.saturating_add(RETENTION_MICROS) < now_micros)
    }

    /// Whether the whole stream is past retention.
    pub(crate) fn expired(&self, now_micros: u64) -> bool {
        self.disabled
            .is_some_and(|d| d.micros.saturating_add(RETENTION_MICROS) < now_micros)
    }

    /// The stream's ARN.
    pub(crate) fn arn(&self, region: &str) -> String {
        ids::stream_arn(region, &self.table_name, self.created_micros)
    }
}

/// The key of a stream's record.
pub(crate) fn meta_key(table: &str, created_micros: u64) -> Vec<u8> {
    record_key(STREAM_TAG, &format!("{table}/{created_micros:020}"))
}

/// The prefix of every stream record of `table` (`None`: of every table).
fn prefix(table: Option<&str>) -> Vec<u8> {
    record_key(
        STREAM_TAG,
        &table.map(|t| format!("{t}/")).unwrap_or_default(),
    )
}

/// Stream `created_micros` of `table`, if recorded.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn load(
    core: &Core,
    table: &str,
    created_micros: u64,
) -> Result<Option<StreamMeta>, Error> {
    let key = meta_key(table, created_micros);
    core.backend
        .get(&key, None)?
        .map(|v| decode_json::<StreamMeta>(&key, &v))
        .transpose()
}

/// Every stream (of `table`, if given), by table name then creation.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn list(core: &Core, table: Option<&str>) -> Result<Vec<StreamMeta>, Error> {
    let (start, end) = prefix_bounds(&prefix(table));
    let mut out = Vec::new();
    for kv in core.backend.scan(start, end, Direction::Forward, None)? {
        let (k, v) = kv?;
        out.push(decode_json::<StreamMeta>(&k, &v)?);
    }
    Ok(out)
}

/// Adds `meta` to `batch`.
pub(crate) fn put(meta: &StreamMeta, batch: &mut WriteBatch) {
    batch.put(
        meta_key(&meta.table_name, meta.created_micros),
        encode_json(meta),
    );
}

/// A new stream of `def`, recording from batch `start_seq` on, enabled at `now_micros`
/// (rounded up to a millisecond later than the table's previous stream, so labels are
/// unique per table).
pub(crate) fn new_stream(
    def: &TableDef,
    view: StreamViewType,
    now_micros: u64,
    start_seq: u64,
) -> StreamMeta {
    let mut created = now_micros / 1000 * 1000;
    if let Some(prev) = def.latest_stream_micros {
        created = created.max(prev + 1000);
    }
    StreamMeta {
        table_name: def.name.clone(),
        table_id: def.id,
        created_micros: created,
        view_type: view.into(),
        key_attributes: def.key.attrs().map(|a| a.name.clone()).collect(),
        shards: vec![ShardMeta {
            opened_micros: created,
            start_seq,
        }],
        disabled: None,
    }
}

/// Rolls `meta` over to a new shard if its current one has been open for 4 hours:
/// the new shard starts after the last batch committed so far. Returns whether it did.
pub(crate) fn roll_if_due(meta: &mut StreamMeta, now_micros: u64, last_seq: u64) -> bool {
    if meta.disabled.is_some() {
        return false;
    }
    let Some(current) = meta.shards.last().copied() else {
        return false;
    };
    if now_micros < current.opened_micros.saturating_add(SHARD_ROLL_MICROS) {
        return false;
    }
    let start_seq = (last_seq + 1).max(current.start_seq + 1);
    meta.shards.push(ShardMeta {
        opened_micros: now_micros,
        start_seq,
    });
    true
}

/// Removes the records of streams past retention.
///
/// # Errors
/// Storage failure, a corrupt record.
pub(crate) fn purge_expired(core: &Core, now_micros: u64) -> Result<(), Error> {
    let mut batch = WriteBatch::new();
    for meta in list(core, None)? {
        if meta.expired(now_micros) {
            batch.delete(meta_key(&meta.table_name, meta.created_micros));
            batch.delete(crate::resource_policies::stream_policy_key(
                &meta.table_name,
                meta.created_micros,
            ));
        }
    }
    if !batch.is_empty() {
        core.backend.write(batch)?;
    }
    Ok(())
}
