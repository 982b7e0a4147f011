//! The durable record of a table's tags: a catalog record (the catalog's envelope,
//! version 2; `docs/format/catalog.md`) under its own tag.
//!
//! | key | record |
//! |---|---|
//! | `[0]'G'` table name | [`TagsRecord`]: the table's tags (deleted with the table) |

use serde::{Deserialize, Serialize};

use crate::catalog_record::{decode_json, encode_json};
use crate::error::{Error, TagValidation};
use crate::shapes::Tag;

const TAGS_TAG: u8 = b'G';

/// Most user tags on one resource (DynamoDB's limit; `aws:` tags would not count, but
/// users cannot set those).
pub const TAGS_PER_RESOURCE_MAX: usize = 50;
/// Longest tag key, in Unicode characters.
pub const TAG_KEY_CHARS_MAX: usize = 128;
/// Longest tag value, in Unicode characters.
pub const TAG_VALUE_CHARS_MAX: usize = 256;
/// The prefix AWS reserves for its own tags. DynamoDB's message names it in lower case;
/// the check is case-sensitive, as that message suggests (the AWS tagging guide calls the
/// prefix reserved in any case, but for keys AWS itself creates).
const RESERVED_PREFIX: &str = "aws:";

/// The key of `table`'s tags record.
pub(crate) fn tags_key(table: &str) -> Vec<u8> {
    crate::catalog::record_key(TAGS_TAG, table)
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

/// Whether `c` may appear in a key or value: Unicode letters and digits, white space, and
/// `_ . : / = + - @` (the DynamoDB developer guide's "Tagging restrictions").
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

pub(crate) fn validate_key(key: &str) -> Result<(), Error> {
    let chars = key.chars().count();
    if !(1..=TAG_KEY_CHARS_MAX).contains(&chars) || !key.chars().all(allowed) {
        return Err(TagValidation::InvalidKey {
            key: key.to_owned(),
        }
        .into());
    }
    if key.starts_with(RESERVED_PREFIX) {
        return Err(TagValidation::ReservedPrefix {
            key: key.to_owned(),
        }
        .into());
    }
    Ok(())
}

/// Checks one tag; returns its value.
pub(crate) fn validate_tag(tag: &Tag) -> Result<String, Error> {
    validate_key(&tag.key)?;
    let bad = || TagValidation::InvalidValue {
        value: tag.value.clone(),
    };
    let value = tag.value.as_deref().ok_or_else(bad)?;
    if value.chars().count() > TAG_VALUE_CHARS_MAX || !value.chars().all(allowed) {
        return Err(bad().into());
    }
    Ok(value.to_owned())
}

/// CreateTable's `Tags`: checked as TagResource checks them, as the table's record.
///
/// # Errors
/// ValidationException for a bad key or value, the `aws:` prefix, a duplicate key, more
/// than [`TAGS_PER_RESOURCE_MAX`] tags.
pub(crate) fn record_of(table_id: u32, tags: &[Tag]) -> Result<TagsRecord, Error> {
    let mut sorted = std::collections::BTreeMap::new();
    for tag in tags {
        let value = validate_tag(tag)?;
        if sorted.insert(tag.key.clone(), value).is_some() {
            return Err(TagValidation::DuplicateKey {
                key: tag.key.clone(),
            }
            .into());
        }
    }
    if sorted.len() > TAGS_PER_RESOURCE_MAX {
        return Err(TagValidation::TooManyTags.into());
    }
    Ok(TagsRecord {
        table_id,
        tags: sorted
            .into_iter()
            .map(|(key, value)| TagRecord { key, value })
            .collect(),
    })
}
