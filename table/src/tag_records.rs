//! The durable record of a table's tags: a catalog record (the catalog's envelope,
//! version 2; `docs/format/catalog.md`) under its own tag.
//!
//! | key | record |
//! |---|---|
//! | `[0]'G'` table name | [`TagsRecord`]: the table's tags (deleted with the table) |

use serde::{Deserialize, Serialize};

use crate::catalog_record::{decode_json, encode_json};
use crate::error::Error;
use crate::keys::{id_prefix, CATALOG_ID};

const TAGS_TAG: u8 = b'G';

/// The key of `table`'s tags record.
pub(crate) fn tags_key(table: &str) -> Vec<u8> {
    let mut k = id_prefix(CATALOG_ID).to_vec();
    k.push(TAGS_TAG);
    k.extend_from_slice(table.as_bytes());
    k
}

/// One tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagRecord {
    /// The key (1–128 characters).
    #[serde(rename = "key")]
    pub(crate) key: String,
    /// The value (0–256 characters).
    #[serde(rename = "value")]
    pub(crate) value: String,
}

/// A table's tags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TagsRecord {
    /// The base id of the table they belong to (a later table of the same name has
    /// another, so they never apply to it).
    #[serde(rename = "table_id")]
    pub(crate) table_id: u32,
    /// The tags, sorted by key, keys unique, at most 50.
    #[serde(rename = "tags")]
    pub(crate) tags: Vec<TagRecord>,
}

/// Encodes a tags record.
pub(crate) fn encode(record: &TagsRecord) -> Vec<u8> {
    encode_json(record)
}

/// Decodes the tags record stored under `key`.
///
/// # Errors
/// `CorruptCatalog`.
pub(crate) fn decode(key: &[u8], bytes: &[u8]) -> Result<TagsRecord, Error> {
    decode_json(key, bytes)
}
