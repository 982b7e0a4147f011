//! The durable records of exports and imports: catalog records (the catalog's envelope,
//! version 2; `docs/format/catalog.md`) under their own tags, beside the backup records
//! of `crate::backup_records`.
//!
//! | key | record |
//! |---|---|
//! | `[0]'E'` export id | [`ExportRecord`]: one ExportTableToPointInTime, kept for DescribeExport and ListExports |
//! | `[0]'I'` import id | [`ImportRecord`]: one ImportTable, kept for DescribeImport and ListImports |
//!
//! Ids are `<creation ms, 14 digits>-<8 hex>` (as DynamoDB's), so keys sort by time.

use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};

use crate::catalog_record::{decode_json, encode_json, TableRecord};
use crate::error::Error;

const EXPORT_TAG: u8 = b'E';
const IMPORT_TAG: u8 = b'I';

/// Makes the 8 hex digits of ids unique within a process.
static ID_SEQ: AtomicU32 = AtomicU32::new(0);

use crate::catalog::record_key as key;

/// The key of export `id`'s record.
pub(crate) fn export_key(id: &str) -> Vec<u8> {
    key(EXPORT_TAG, id)
}

/// The prefix of every export record's key.
pub(crate) fn export_prefix() -> Vec<u8> {
    key(EXPORT_TAG, "")
}

/// The key of import `id`'s record.
pub(crate) fn import_key(id: &str) -> Vec<u8> {
    key(IMPORT_TAG, id)
}

/// The prefix of every import record's key.
pub(crate) fn import_prefix() -> Vec<u8> {
    key(IMPORT_TAG, "")
}

/// A new id, `<creation ms, 14 digits>-<8 hex>`. The first 4 hex digits are a
/// process-wide counter, so a process's ids sort in creation order even within one
/// millisecond (keys, and so the List calls, follow it); the last 4 mix the time and the
/// process id, so two servers exporting into one directory in the same millisecond still
/// get different ids in practice.
pub(crate) fn new_id(created_micros: u64) -> String {
    let n = ID_SEQ.fetch_add(1, Ordering::Relaxed) & 0xffff;
    let mix = (created_micros as u32).wrapping_mul(2_654_435_761)
        ^ std::process::id().wrapping_mul(40_503);
    format!(
        "{:014}-{:04x}{:04x}",
        created_micros / 1000,
        n,
        (mix ^ (mix >> 16)) & 0xffff
    )
}

/// Whether `id` has the shape [`new_id`] gives.
pub(crate) fn is_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 23
        && b[..14].iter().all(u8::is_ascii_digit)
        && b[14] == b'-'
        && b[15..].iter().all(u8::is_ascii_hexdigit)
}

/// Where an export or import is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum JobStatus {
    /// Running, or interrupted by a crash (told apart by `crate::backup::jobs`).
    #[serde(rename = "in_progress")]
    InProgress,
    /// Finished.
    #[serde(rename = "completed")]
    Completed,
    /// Stopped; `failure` says why.
    #[serde(rename = "failed")]
    Failed,
}

/// Why a job failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FailureRecord {
    /// A short code (FailureCode).
    #[serde(rename = "code")]
    pub(crate) code: String,
    /// The message (FailureMessage).
    #[serde(rename = "message")]
    pub(crate) message: String,
}

/// One ExportTableToPointInTime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExportRecord {
    /// The ARN's last part, and the key.
    #[serde(rename = "id")]
    pub(crate) id: String,
    /// The source table's name.
    #[serde(rename = "table_name")]
    pub(crate) table_name: String,
    /// The source table's TableId.
    #[serde(rename = "table_uuid")]
    pub(crate) table_uuid: String,
    /// The point in time exported, µs since the epoch.
    #[serde(rename = "export_time_micros")]
    pub(crate) export_time_micros: u64,
    /// When the request started, µs.
    #[serde(rename = "start_micros")]
    pub(crate) start_micros: u64,
    /// When it finished, µs.
    #[serde(rename = "end_micros")]
    pub(crate) end_micros: Option<u64>,
    /// As given.
    #[serde(rename = "client_token")]
    pub(crate) client_token: Option<String>,
    /// As given (a directory under the export root).
    #[serde(rename = "bucket")]
    pub(crate) bucket: String,
    /// As given.
    #[serde(rename = "bucket_owner")]
    pub(crate) bucket_owner: Option<String>,
    /// As given (a relative path in the bucket).
    #[serde(rename = "prefix")]
    pub(crate) prefix: Option<String>,
    /// As given: `AES256` or `KMS`.
    #[serde(rename = "sse_algorithm")]
    pub(crate) sse_algorithm: Option<String>,
    /// As given.
    #[serde(rename = "sse_kms_key_id")]
    pub(crate) sse_kms_key_id: Option<String>,
    /// Always `dynamodb_json` (a field so another format is not a new record version).
    #[serde(rename = "format")]
    pub(crate) format: String,
    /// Always `full` (likewise).
    #[serde(rename = "type")]
    pub(crate) export_type: String,
    /// Where it is.
    #[serde(rename = "status")]
    pub(crate) status: JobStatus,
    /// Items written (0 until completed).
    #[serde(rename = "item_count")]
    pub(crate) item_count: u64,
    /// Their bytes by DynamoDB's item-size rules.
    #[serde(rename = "billed_size_bytes")]
    pub(crate) billed_size_bytes: u64,
    /// Why it failed.
    #[serde(rename = "failure")]
    pub(crate) failure: Option<FailureRecord>,
    /// The request's FilterSpecification, as its wire JSON (absent: the whole table;
    /// records written before filtered exports have none).
    #[serde(rename = "filter", default, skip_serializing_if = "Option::is_none")]
    pub(crate) filter: Option<String>,
}

/// `ImportRecord::format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ImportFormatRecord {
    /// DynamoDB JSON lines.
    #[serde(rename = "dynamodb_json")]
    DynamodbJson,
    /// CSV.
    #[serde(rename = "csv")]
    Csv,
}

/// One ImportTable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportRecord {
    /// The ARN's last part, and the key.
    #[serde(rename = "id")]
    pub(crate) id: String,
    /// The table created, as created (it may have been deleted since, or never kept:
    /// a failed import's table is removed).
    #[serde(rename = "table")]
    pub(crate) table: TableRecord,
    /// As given.
    #[serde(rename = "client_token")]
    pub(crate) client_token: Option<String>,
    /// As given.
    #[serde(rename = "bucket")]
    pub(crate) bucket: String,
    /// As given.
    #[serde(rename = "bucket_owner")]
    pub(crate) bucket_owner: Option<String>,
    /// As given.
    #[serde(rename = "key_prefix")]
    pub(crate) key_prefix: Option<String>,
    /// The input format.
    #[serde(rename = "format")]
    pub(crate) format: ImportFormatRecord,
    /// CSV's delimiter, when given.
    #[serde(rename = "csv_delimiter")]
    pub(crate) csv_delimiter: Option<String>,
    /// CSV's header list, when given.
    #[serde(rename = "csv_header_list")]
    pub(crate) csv_header_list: Option<Vec<String>>,
    /// Whether the files are gzipped.
    #[serde(rename = "gzip")]
    pub(crate) gzip: bool,
    /// Where it is.
    #[serde(rename = "status")]
    pub(crate) status: JobStatus,
    /// When the request started, µs.
    #[serde(rename = "start_micros")]
    pub(crate) start_micros: u64,
    /// When it finished, µs.
    #[serde(rename = "end_micros")]
    pub(crate) end_micros: Option<u64>,
    /// Bytes of the source files read.
    #[serde(rename = "processed_size_bytes")]
    pub(crate) processed_size_bytes: u64,
    /// Lines read.
    #[serde(rename = "processed_item_count")]
    pub(crate) processed_item_count: u64,
    /// Items written.
    #[serde(rename = "imported_item_count")]
    pub(crate) imported_item_count: u64,
    /// Bad lines and unreadable files.
    #[serde(rename = "error_count")]
    pub(crate) error_count: u64,
    /// Why it failed.
    #[serde(rename = "failure")]
    pub(crate) failure: Option<FailureRecord>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_dynamodb_shape_and_differ() {
        let a = new_id(1_700_000_000_123_456);
        let b = new_id(1_700_000_000_123_456);
        assert!(is_id(&a) && is_id(&b), "{a} {b}");
        assert_ne!(a, b);
        assert!(
            a < b,
            "ids sort in creation order within a millisecond: {a} {b}"
        );
        assert!(a.starts_with("01700000000123-"), "{a}");
        assert!(!is_id("01700000000123-0000000g"));
        assert!(!is_id("../../etc/passwd"));
    }

    #[test]
    fn export_records_round_trip_and_refuse_unknown_fields() {
        let r = ExportRecord {
            id: new_id(1),
            table_name: "T".into(),
            table_uuid: "u".into(),
            export_time_micros: 5,
            start_micros: 6,
            end_micros: Some(7),
            client_token: None,
            bucket: "b".into(),
            bucket_owner: None,
            prefix: Some("p/q".into()),
            sse_algorithm: None,
            sse_kms_key_id: None,
            format: "dynamodb_json".into(),
            export_type: "full".into(),
            status: JobStatus::Completed,
            item_count: 3,
            billed_size_bytes: 30,
            failure: None,
            filter: None,
        };
        let key = export_key(&r.id);
        let bytes = encode(&r);
        assert_eq!(decode::<ExportRecord>(&key, &bytes).unwrap(), r);
        // Unfiltered, the record has no `filter` field, as records written before
        // filtered exports have none; filtered, it round-trips.
        let mut json: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert!(json.get("filter").is_none());
        let filtered = ExportRecord {
            filter: Some(r#"{"FilterExpression":"a = :v"}"#.into()),
            ..r.clone()
        };
        assert_eq!(
            decode::<ExportRecord>(&key, &encode(&filtered)).unwrap(),
            filtered
        );
        json["extra"] = serde_json::json!(1);
        assert!(decode::<ExportRecord>(&key, &encode(&json)).is_err());
    }
}
