//! The durable records of point-in-time recovery and backups: catalog records (the
//! catalog's envelope, version 2; `docs/format/catalog.md`) under their own tags.
//!
//! | key | record |
//! |---|---|
//! | `[0]'P'` table name | [`PitrRecord`]: the table's PITR setting (kept after DeleteTable while its window lasts) |
//! | `[0]'B'` backup id | [`BackupRecord`]: a backup's metadata and where its checkpoint is |
//! | `[0]'R'` target name | [`RestoreRecord`]: a restore in progress (removed when it finishes) |

use serde::{Deserialize, Serialize};

use crate::catalog::TableDef;
use crate::catalog_record::{decode_json, encode_json, TableRecord};
use crate::error::Error;

const PITR_TAG: u8 = b'P';
const BACKUP_TAG: u8 = b'B';
const RESTORE_TAG: u8 = b'R';

use crate::catalog::record_key as key;

/// The key of `table`'s PITR record.
pub(crate) fn pitr_key(table: &str) -> Vec<u8> {
    key(PITR_TAG, table)
}

/// The prefix of every PITR record's key.
pub(crate) fn pitr_prefix() -> Vec<u8> {
    key(PITR_TAG, "")
}

/// The key of backup `id`'s record.
pub(crate) fn backup_key(id: &str) -> Vec<u8> {
    key(BACKUP_TAG, id)
}

/// The prefix of every backup record's key (they sort by id, so by creation time).
pub(crate) fn backup_prefix() -> Vec<u8> {
    key(BACKUP_TAG, "")
}

/// The key of the restore into `target`.
pub(crate) fn restore_key(target: &str) -> Vec<u8> {
    key(RESTORE_TAG, target)
}

/// The prefix of every restore record's key.
pub(crate) fn restore_prefix() -> Vec<u8> {
    key(RESTORE_TAG, "")
}

/// A table's point-in-time recovery setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PitrRecord {
    /// The base id of the table it belongs to (a later table of the same name has another).
    #[serde(rename = "table_id")]
    pub(crate) table_id: u32,
    /// The recovery window.
    #[serde(rename = "period_days")]
    pub(crate) period_days: u32,
    /// When PITR was (last) turned on: the window never starts before it.
    #[serde(rename = "enabled_micros")]
    pub(crate) enabled_micros: u64,
    /// When the table was deleted; restores reach it until then plus the window.
    #[serde(rename = "deleted_micros")]
    pub(crate) deleted_micros: Option<u64>,
}

/// A backup: the source table's definition at backup time, and its checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BackupRecord {
    /// `<creation ms, 14 digits>-<8 hex>`: the ARN's last part, and the key.
    #[serde(rename = "id")]
    pub(crate) id: String,
    /// The name given.
    #[serde(rename = "name")]
    pub(crate) name: String,
    /// The source table's definition when the backup was taken.
    #[serde(rename = "table")]
    pub(crate) table: TableRecord,
    /// Creation time, µs since the epoch.
    #[serde(rename = "created_micros")]
    pub(crate) created_micros: u64,
    /// Bytes of the table's items.
    #[serde(rename = "size_bytes")]
    pub(crate) size_bytes: u64,
    /// The table's items.
    #[serde(rename = "item_count")]
    pub(crate) item_count: u64,
    /// The backend checkpoint holding the data (UTF-8 path).
    #[serde(rename = "checkpoint_dir")]
    pub(crate) checkpoint_dir: String,
}

impl BackupRecord {
    /// The source table's definition.
    pub(crate) fn table_def(&self) -> TableDef {
        TableDef::from(self.table.clone())
    }
}

/// Where a restore reads from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) enum RestoreSourceRecord {
    /// The backend's history at a commit time.
    #[serde(rename = "point_in_time")]
    PointInTime {
        /// The source table's base id at that time.
        #[serde(rename = "table_id")]
        table_id: u32,
        /// The source table's ARN (for RestoreSummary).
        #[serde(rename = "table_arn")]
        table_arn: String,
    },
    /// A backup's checkpoint.
    #[serde(rename = "backup")]
    Backup {
        /// The backup's id.
        #[serde(rename = "backup_id")]
        backup_id: String,
        /// Its ARN (for RestoreSummary).
        #[serde(rename = "backup_arn")]
        backup_arn: String,
        /// The source table's ARN.
        #[serde(rename = "table_arn")]
        table_arn: String,
        /// The source table's base id in the checkpoint.
        #[serde(rename = "table_id")]
        table_id: u32,
        /// The checkpoint (UTF-8 path).
        #[serde(rename = "checkpoint_dir")]
        checkpoint_dir: String,
    },
}

/// A restore in progress into `target`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RestoreRecord {
    /// The new table.
    #[serde(rename = "target")]
    pub(crate) target: String,
    /// Where from.
    #[serde(rename = "source")]
    pub(crate) source: RestoreSourceRecord,
    /// The point in time (or the backup's creation time), µs since the epoch.
    #[serde(rename = "time_micros")]
    pub(crate) time_micros: u64,
    /// The source's indexes that the target keeps, as the source had them when the
    /// restore was asked for (not at the restore time): a past view holds their entries
    /// too, so they can be replayed rather than rebuilt (`crate::restore_plan`). Absent in
    /// records written before replay existed, whose restores rebuild.
    #[serde(
        rename = "source_indexes",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) source_indexes: Vec<SourceIndex>,
    /// How the restore fills its target once its first step has chosen (`true`: replay,
    /// `false`: rebuild), so a run after a crash goes on the same way: a rebuild over a
    /// half-done replay would leave collection sizes short (`crate::restore_plan`).
    #[serde(rename = "replay", default, skip_serializing_if = "Option::is_none")]
    pub(crate) replay: Option<bool>,
}

/// One of the source's indexes a restore keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceIndex {
    /// Its id.
    #[serde(rename = "id")]
    pub(crate) id: u32,
    /// A GSI (else an LSI).
    #[serde(rename = "global")]
    pub(crate) global: bool,
}

impl RestoreRecord {
    /// `source`'s indexes named in `target` (the restore's CreateTable input).
    pub(crate) fn kept_indexes(
        source: &crate::catalog::TableDef,
        target: &crate::shapes::CreateTableInput,
    ) -> Vec<SourceIndex> {
        let kept = |name: &str| {
            let gsi = target
                .global_secondary_indexes
                .iter()
                .flatten()
                .any(|g| g.index_name == name);
            gsi || target
                .local_secondary_indexes
                .iter()
                .flatten()
                .any(|l| l.index_name == name)
        };
        let gsis = source.gsis.iter().map(|i| (i, true));
        let lsis = source.lsis.iter().map(|i| (i, false));
        gsis.chain(lsis)
            .filter(|(i, _)| kept(&i.name))
            .map(|(i, global)| SourceIndex { id: i.id, global })
            .collect()
    }
}

/// Encodes any of this module's records.
pub(crate) fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    encode_json(record)
}

/// Decodes one of this module's records stored under `key`.
///
/// # Errors
/// `CorruptCatalog`.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(key: &[u8], bytes: &[u8]) -> Result<T, Error> {
    decode_json(key, bytes)
}
