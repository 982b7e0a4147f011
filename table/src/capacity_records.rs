//! The durable record of a table's admission state: a catalog record (the catalog's
//! envelope, version 2; `docs/format/catalog.md`) under its own tag, so that a reopened
//! database keeps what DynamoDB never forgets: the partitions a table was split into,
//! its on-demand peaks, and its buckets' balances.
//!
//! | key | record |
//! |---|---|
//! | `[0]'A'` table name | [`CapacityRecord`]: the table's and its GSIs' state (deleted with the table) |
//!
//! The record is soft state, written every minute by the worker and by
//! `Database::save_capacity` (the server calls it at shutdown): a crash loses at most the
//! balances since the last save, and a table without a record starts as a new one does.

use serde::{Deserialize, Serialize};

use crate::capacity::MAX_PARTITIONS;
use crate::catalog_record::{decode_json, encode_json};
use crate::error::{CatalogCorruption, Error};

const CAPACITY_TAG: u8 = b'A';

/// The most units a saved billing may name: DynamoDB's bound on ProvisionedThroughput.
const MAX_UNITS: u64 = crate::catalog::MAX_PROVISIONED_UNITS.unsigned_abs();

/// Pending on-demand peaks a side may carry: `capacity::on_demand`'s own bound.
const MAX_PENDING_PEAKS: usize = crate::capacity::on_demand::MAX_PENDING;

/// The key of `table`'s capacity record.
pub(crate) fn capacity_key(table: &str) -> Vec<u8> {
    crate::catalog::record_key(CAPACITY_TAG, table)
}

/// The prefix of every capacity record's key.
pub(crate) fn capacity_key_prefix() -> Vec<u8> {
    capacity_key("")
}

/// A table's admission state when it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CapacityRecord {
    /// The base id of the table it belongs to: a record whose id is not the live
    /// table's is ignored, so a later table of the same name starts afresh.
    #[serde(rename = "table_id")]
    pub(crate) table_id: u32,
    /// When it was saved, µs since the epoch on the database's clock: balances refill
    /// from here over the time the database was closed.
    #[serde(rename = "saved_micros")]
    pub(crate) saved_micros: u64,
    /// The table's resource, then its GSIs', each under its own id.
    #[serde(rename = "resources")]
    pub(crate) resources: Vec<ResourceRecord>,
}

/// One table's or GSI's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceRecord {
    /// The table's or the GSI's id.
    #[serde(rename = "id")]
    pub(crate) id: u32,
    /// How it was billed when saved: a reopened table rebuilds from the saved state in
    /// that mode, so that a billing change the save caught is carried as UpdateTable
    /// carries it (say, a table switched to on demand starting from half its
    /// provisioned throughput).
    #[serde(rename = "billing")]
    pub(crate) billing: BillingRecord,
    /// Where each partition starts, sorted; the first at hash 0 without a key.
    #[serde(rename = "starts")]
    pub(crate) starts: Vec<StartRecord>,
    /// The table-level read bucket's balance, micro-units (negative: debt); `None` for
    /// a side without one.
    #[serde(rename = "read_balance")]
    pub(crate) read_balance: Option<i64>,
    /// The table-level write bucket's balance.
    #[serde(rename = "write_balance")]
    pub(crate) write_balance: Option<i64>,
    /// On-demand scaling of reads: the established and pending peaks.
    #[serde(rename = "read_peaks")]
    pub(crate) read_peaks: Option<PeaksRecord>,
    /// On-demand scaling of writes.
    #[serde(rename = "write_peaks")]
    pub(crate) write_peaks: Option<PeaksRecord>,
}

/// A resource's billing: provisioned units, or on demand with optional maxima.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) enum BillingRecord {
    /// Read and write units per second.
    #[serde(rename = "provisioned")]
    Provisioned {
        #[serde(rename = "read_units")]
        read_units: u64,
        #[serde(rename = "write_units")]
        write_units: u64,
    },
    /// MaxReadRequestUnits and MaxWriteRequestUnits, if set.
    #[serde(rename = "on_demand")]
    OnDemand {
        #[serde(rename = "max_read_units")]
        max_read_units: Option<u64>,
        #[serde(rename = "max_write_units")]
        max_write_units: Option<u64>,
    },
}

/// A partition's start: a hash, and within it a key position (a sort-key split).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartRecord {
    #[serde(rename = "hash")]
    pub(crate) hash: u64,
    /// The key position in lower-case hex, beginning with the hash's eight big-endian
    /// bytes; `None`: the hash's first item.
    #[serde(rename = "key")]
    pub(crate) key: Option<String>,
}

/// One side's on-demand peaks, micro-units per second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeaksRecord {
    /// The established previous peak.
    #[serde(rename = "peak")]
    pub(crate) peak: u64,
    /// Peaks reached and not yet established: (the clock second each is established
    /// at, its level), both strictly increasing.
    #[serde(rename = "pending")]
    pub(crate) pending: Vec<(u64, u64)>,
}

impl StartRecord {
    /// The key position's bytes (`None`: no key, or not hex).
    pub(crate) fn key_bytes(&self) -> Option<Vec<u8>> {
        crate::hex::decode(self.key.as_deref()?)
    }
}

/// Encodes a capacity record.
pub(crate) fn encode(record: &CapacityRecord) -> Vec<u8> {
    encode_json(record)
}

/// Decodes the capacity record stored under `key`, checking what the schema cannot:
/// each resource's starts are sorted and unique, the first at hash 0 without a key, at
/// most `MAX_PARTITIONS`, and every key is hex that begins with its hash; pending peaks
/// are strictly increasing and bounded; units are at most 10^12.
///
/// # Errors
/// `CorruptCatalog`.
pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<CapacityRecord, Error> {
    let record: CapacityRecord = decode_json(key, bytes)?;
    if record.resources.iter().all(valid_resource) {
        Ok(record)
    } else {
        Err(Error::CorruptCatalog {
            key: key.to_vec(),
            reason: CatalogCorruption::BadPayload,
        })
    }
}

fn valid_resource(r: &ResourceRecord) -> bool {
    let Some(first) = r.starts.first() else {
        return false;
    };
    let mut starts = Vec::with_capacity(r.starts.len());
    for s in &r.starts {
        let key = match (&s.key, s.key_bytes()) {
            (None, _) => None,
            (Some(_), Some(k)) if k.starts_with(&s.hash.to_be_bytes()) => Some(k),
            (Some(_), _) => return false,
        };
        starts.push((s.hash, key));
    }
    let units_ok = match r.billing {
        BillingRecord::Provisioned {
            read_units,
            write_units,
        } => read_units <= MAX_UNITS && write_units <= MAX_UNITS,
        BillingRecord::OnDemand {
            max_read_units,
            max_write_units,
        } => [max_read_units, max_write_units]
            .into_iter()
            .flatten()
            .all(|u| u <= MAX_UNITS),
    };
    units_ok
        && first.hash == 0
        && first.key.is_none()
        && r.starts.len() <= MAX_PARTITIONS
        && starts.windows(2).all(|w| w[0] < w[1])
        && [&r.read_peaks, &r.write_peaks]
            .into_iter()
            .flatten()
            .all(|p| {
                p.pending.len() <= MAX_PENDING_PEAKS
                    && p.pending
                        .windows(2)
                        .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(starts: Vec<StartRecord>) -> CapacityRecord {
        CapacityRecord {
            table_id: 16,
            saved_micros: 1_700_000_000_000_000,
            resources: vec![ResourceRecord {
                id: 16,
                billing: BillingRecord::Provisioned {
                    read_units: 5,
                    write_units: 7,
                },
                starts,
                read_balance: Some(-5),
                write_balance: None,
                read_peaks: None,
                write_peaks: Some(PeaksRecord {
                    peak: 2_000_000_000,
                    pending: vec![(100, 3), (160, 4)],
                }),
            }],
        }
    }

    fn start(hash: u64, key: Option<&[u8]>) -> StartRecord {
        StartRecord {
            hash,
            key: key.map(crate::hex::encode),
        }
    }

    #[test]
    fn a_record_round_trips() {
        let split_key = [&7u64.to_be_bytes()[..], b"sk"].concat();
        let r = record(vec![
            start(0, None),
            start(7, None),
            start(7, Some(&split_key)),
            start(u64::MAX / 2, None),
        ]);
        let key = capacity_key("Orders");
        assert_eq!(decode(&key, &encode(&r)).unwrap(), r);
        assert_eq!(r.resources[0].starts[2].key_bytes(), Some(split_key));
    }

    #[test]
    fn starts_that_cannot_be_a_partitioning_are_corrupt() {
        let key = capacity_key("Orders");
        let bad = [
            vec![],
            vec![start(5, None)],
            vec![start(0, None), start(9, None), start(7, None)],
            vec![start(0, None), start(7, None), start(7, None)],
            vec![start(0, None), start(7, Some(b"not the hash"))],
            vec![
                start(0, None),
                StartRecord {
                    hash: 7,
                    key: Some("zz".into()),
                },
            ],
        ];
        for starts in bad {
            let r = record(starts.clone());
            assert!(
                matches!(decode(&key, &encode(&r)), Err(Error::CorruptCatalog { .. })),
                "{starts:?}"
            );
        }
        let mut r = record(vec![start(0, None)]);
        r.resources[0].write_peaks.as_mut().unwrap().pending = vec![(100, 3), (100, 4)];
        assert!(
            decode(&key, &encode(&r)).is_err(),
            "pending peaks out of order"
        );
    }
}
