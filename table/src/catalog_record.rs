//! The catalog's durable record format: the checksummed envelope, the payload schema of
//! each format version, and the one place where a [`TableDef`] becomes bytes and back.
//! The byte-level spec is `docs/format/catalog.md`.
//!
//! The payload is JSON, but of this module's record types, never of the in-memory or API
//! types: every field and enum value is spelled out with `#[serde(rename)]`, so renaming a
//! Rust field or a serde attribute in `shapes` cannot change what is on disk.
//!
//! Versions (the envelope's version byte):
//! - **1** (legacy, read-only): written by Shale up to commit c443921; the payload was the
//!   serde JSON of the in-memory `TableDef` of that day. [`v1`] freezes that shape.
//! - **2** (current): the schema of [`TableRecord`]; the checksum also covers the header.
//!
//! Records are validated before they are written (debug builds assert the round trip) and
//! again after they are read ([`check_table`]): a record that fails is
//! [`Error::CorruptCatalog`], never a panic.
//!
//! It is not: the key layout (that is `catalog::{table_key, next_id_key, drop_key}`), nor
//! validation of API input (that is `catalog`'s validation functions).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::catalog::{
    table_key, validate_name, IndexDef, KeyAttr, KeyDef, ProjectionDef, TableDef,
};
use crate::error::{CatalogCorruption, Error};
use crate::keys::FIRST_USER_ID;
use crate::shapes::{
    AttributeDefinition, BillingMode, IndexStatus, OnDemandThroughput, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType, TableClass,
    TableStatus,
};

/// Catalog record magic.
pub(crate) const RECORD_MAGIC: &[u8; 4] = b"SHCT";
/// The legacy format: payload = serde JSON of c443921's `TableDef`; CRC over the payload.
pub(crate) const VERSION_LEGACY: u8 = 1;
/// The format written today: payload = [`TableRecord`] JSON; CRC over version, length and
/// payload.
pub(crate) const VERSION_CURRENT: u8 = 2;
/// Header bytes before the payload: magic, version, crc32, payload length.
pub(crate) const RECORD_HEADER_BYTES: usize = 4 + 1 + 4 + 4;

// ---------------------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------------------

/// The current-version record of a table definition.
pub(crate) fn encode_table(def: &TableDef) -> Vec<u8> {
    debug_assert_eq!(
        check_table(def),
        Ok(()),
        "writing an invalid table definition"
    );
    let payload = serde_json::to_vec(&TableRecord::from(def))
        .expect("record types are plain structs with string keys: they always serialize");
    let out = seal(&payload);
    // Assert in pairs: what is written must read back as what was meant.
    debug_assert_eq!(
        decode_table(&table_key(&def.name), &out).ok().as_ref(),
        Some(def),
        "catalog record does not round-trip"
    );
    out
}

/// Decodes and validates the table definition stored under `key`, of any supported
/// version.
///
/// # Errors
/// `CorruptCatalog`: header, checksum or payload problems, an unknown version, or a
/// definition that breaks an invariant (see [`check_table`]).
pub(crate) fn decode_table(key: &[u8], bytes: &[u8]) -> Result<TableDef, Error> {
    let corrupt = |reason| Error::CorruptCatalog {
        key: key.to_vec(),
        reason,
    };
    let (version, payload) = open(bytes).map_err(corrupt)?;
    let record = match version {
        VERSION_LEGACY => serde_json::from_slice::<v1::TableV1>(payload).map(TableRecord::from),
        VERSION_CURRENT => serde_json::from_slice::<TableRecord>(payload),
        v => return Err(corrupt(CatalogCorruption::UnsupportedVersion(v))),
    }
    .map_err(|_| corrupt(CatalogCorruption::BadPayload))?;
    let def = TableDef::from(record);
    if key != table_key(&def.name).as_slice() || check_table(&def).is_err() {
        return Err(corrupt(CatalogCorruption::BadPayload));
    }
    Ok(def)
}

/// The current-version record of the id counter.
pub(crate) fn encode_next_id(next_id: u32) -> Vec<u8> {
    debug_assert!(
        next_id >= FIRST_USER_ID,
        "the id counter starts at FIRST_USER_ID"
    );
    seal(next_id.to_string().as_bytes())
}

/// Decodes the id counter stored under `key`, of any supported version (both store a
/// JSON number).
///
/// # Errors
/// `CorruptCatalog`: header, checksum or payload problems, or an unknown version.
pub(crate) fn decode_next_id(key: &[u8], bytes: &[u8]) -> Result<u32, Error> {
    let corrupt = |reason| Error::CorruptCatalog {
        key: key.to_vec(),
        reason,
    };
    let (_version, payload) = open(bytes).map_err(corrupt)?;
    match serde_json::from_slice::<u32>(payload) {
        Ok(next) if next >= FIRST_USER_ID => Ok(next),
        _ => Err(corrupt(CatalogCorruption::BadPayload)),
    }
}

/// A current-version record of any catalog record type (`crate::backup_records`).
pub(crate) fn encode_json<T: Serialize>(record: &T) -> Vec<u8> {
    let payload = serde_json::to_vec(record)
        .expect("record types are plain structs with string keys: they always serialize");
    seal(&payload)
}

/// Decodes a current-version record of type `T` stored under `key`.
///
/// # Errors
/// `CorruptCatalog`: header, checksum or payload problems, or a version other than the
/// current one (these record types did not exist before it).
pub(crate) fn decode_json<T: serde::de::DeserializeOwned>(
    key: &[u8],
    bytes: &[u8],
) -> Result<T, Error> {
    let corrupt = |reason| Error::CorruptCatalog {
        key: key.to_vec(),
        reason,
    };
    match open(bytes).map_err(corrupt)? {
        (VERSION_CURRENT, payload) => {
            serde_json::from_slice(payload).map_err(|_| corrupt(CatalogCorruption::BadPayload))
        }
        (v, _) => Err(corrupt(CatalogCorruption::UnsupportedVersion(v))),
    }
}

impl TableRecord {
    /// The table's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

/// The invariants every stored definition keeps: valid names, ids in the user range and
/// distinct, key attributes defined with their types.
///
/// # Errors
/// A short static description of the first broken invariant.
pub(crate) fn check_table(def: &TableDef) -> Result<(), &'static str> {
    validate_name("tableName", &def.name).map_err(|_| "table name")?;
    let ids = def.all_ids();
    if ids.iter().any(|&id| id < FIRST_USER_ID) {
        return Err("id below FIRST_USER_ID");
    }
    if ids.iter().collect::<BTreeSet<_>>().len() != ids.len() {
        return Err("duplicate id");
    }
    let defined = |a: &KeyAttr| {
        def.attribute_definitions
            .iter()
            .any(|d| d.attribute_name == a.name && d.attribute_type == a.ty)
    };
    if !def.key.attrs().all(defined) {
        return Err("table key attribute not defined");
    }
    for index in def.gsis.iter().chain(&def.lsis) {
        validate_name("indexName", &index.name).map_err(|_| "index name")?;
        if !index.key.attrs().all(defined) {
            return Err("index key attribute not defined");
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Envelope
// ---------------------------------------------------------------------------------------

/// Wraps `payload` in a current-version envelope.
fn seal(payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).expect("a catalog payload is far below 4 GiB");
    let mut out = Vec::with_capacity(RECORD_HEADER_BYTES + payload.len());
    out.extend_from_slice(RECORD_MAGIC);
    out.push(VERSION_CURRENT);
    out.extend_from_slice(&current_crc(len, payload).to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// The version-2 checksum: CRC-32 of the version byte, the length field and the payload,
/// so a damaged header is caught by the checksum rather than by luck.
fn current_crc(len: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&[VERSION_CURRENT]);
    h.update(&len.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// Checks an envelope of a supported version and returns `(version, payload)`.
fn open(bytes: &[u8]) -> Result<(u8, &[u8]), CatalogCorruption> {
    let (header, payload) = bytes
        .split_first_chunk::<RECORD_HEADER_BYTES>()
        .ok_or(CatalogCorruption::Truncated)?;
    let [m0, m1, m2, m3, version, c0, c1, c2, c3, l0, l1, l2, l3] = *header;
    if [m0, m1, m2, m3] != *RECORD_MAGIC {
        return Err(CatalogCorruption::BadMagic);
    }
    // The version is checked before anything else in the header: a future version may
    // lay out the rest differently.
    if version != VERSION_LEGACY && version != VERSION_CURRENT {
        return Err(CatalogCorruption::UnsupportedVersion(version));
    }
    let expected = u32::from_le_bytes([c0, c1, c2, c3]);
    let len = u32::from_le_bytes([l0, l1, l2, l3]);
    if u32::try_from(payload.len()) != Ok(len) {
        return Err(CatalogCorruption::Truncated);
    }
    let actual = if version == VERSION_LEGACY {
        crc32fast::hash(payload)
    } else {
        current_crc(len, payload)
    };
    if actual != expected {
        return Err(CatalogCorruption::ChecksumMismatch { expected, actual });
    }
    Ok((version, payload))
}

// ---------------------------------------------------------------------------------------
// Version 2 schema (current)
// ---------------------------------------------------------------------------------------

/// A table definition as stored (version 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableRecord {
    #[serde(rename = "name")]
    name: String,
    #[serde(rename = "id")]
    id: u32,
    #[serde(rename = "uuid")]
    uuid: String,
    #[serde(rename = "status")]
    status: TableStatusRecord,
    #[serde(rename = "created_micros")]
    created_micros: u64,
    #[serde(rename = "key")]
    key: KeyRecord,
    #[serde(rename = "attribute_definitions")]
    attribute_definitions: Vec<AttrRecord>,
    #[serde(rename = "billing_mode")]
    billing_mode: BillingModeRecord,
    #[serde(rename = "throughput")]
    throughput: Option<ThroughputRecord>,
    #[serde(rename = "throughput_decreases")]
    throughput_decreases: i64,
    #[serde(rename = "gsis")]
    gsis: Vec<IndexRecord>,
    #[serde(rename = "lsis")]
    lsis: Vec<IndexRecord>,
    #[serde(rename = "stream")]
    stream: Option<StreamRecord>,
    #[serde(rename = "deletion_protection")]
    deletion_protection: bool,
    #[serde(rename = "ttl_attribute")]
    ttl_attribute: Option<String>,
    /// Added with capacity enforcement (issue 13): absent means no maximum, and a table
    /// without one is written without the field, byte for byte as before.
    #[serde(
        rename = "on_demand_throughput",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    on_demand_throughput: Option<OnDemandRecord>,
    /// Added with streams (issue 15): when the table's latest stream was enabled, µs since
    /// the epoch (its label and ARN derive from it). Absent: the table never had one, and
    /// such a table is written without the field, byte for byte as before.
    #[serde(
        rename = "latest_stream_micros",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    latest_stream_micros: Option<u64>,
    /// Added with DescribeTable's full shape (issue 11): history and settings no
    /// operation acts on. Absent when empty, so older tables are written as before.
    #[serde(
        rename = "settings",
        default,
        skip_serializing_if = "SettingsRecord::is_empty"
    )]
    settings: SettingsRecord,
}

/// [`crate::catalog::TableSettings`] as stored; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsRecord {
    #[serde(
        rename = "last_increase_micros",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    last_increase_micros: Option<u64>,
    #[serde(
        rename = "last_decrease_micros",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    last_decrease_micros: Option<u64>,
    #[serde(
        rename = "pay_per_request_since_micros",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pay_per_request_since_micros: Option<u64>,
    #[serde(
        rename = "pay_per_request_switches_micros",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pay_per_request_switches_micros: Vec<u64>,
    #[serde(
        rename = "table_class",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    table_class: Option<TableClassRecord>,
    #[serde(
        rename = "table_class_micros",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    table_class_micros: Option<u64>,
    /// Present when SSE with a KMS key is on; its `key` is null for the AWS managed key.
    #[serde(rename = "sse_kms", default, skip_serializing_if = "Option::is_none")]
    sse_kms: Option<SseKmsRecord>,
}

impl SettingsRecord {
    fn is_empty(&self) -> bool {
        *self == SettingsRecord::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SseKmsRecord {
    #[serde(rename = "key")]
    key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum TableClassRecord {
    #[serde(rename = "STANDARD")]
    Standard,
    #[serde(rename = "STANDARD_INFREQUENT_ACCESS")]
    StandardInfrequentAccess,
}

impl From<&crate::catalog::TableSettings> for SettingsRecord {
    fn from(s: &crate::catalog::TableSettings) -> Self {
        SettingsRecord {
            last_increase_micros: s.last_increase_micros,
            last_decrease_micros: s.last_decrease_micros,
            pay_per_request_since_micros: s.pay_per_request_since_micros,
            pay_per_request_switches_micros: s.pay_per_request_switches.clone(),
            table_class: s.table_class.map(|(c, _)| c.into()),
            table_class_micros: s.table_class.map(|(_, t)| t),
            sse_kms: s.sse_kms_key.clone().map(|key| SseKmsRecord { key }),
        }
    }
}

impl From<SettingsRecord> for crate::catalog::TableSettings {
    fn from(r: SettingsRecord) -> Self {
        crate::catalog::TableSettings {
            last_increase_micros: r.last_increase_micros,
            last_decrease_micros: r.last_decrease_micros,
            pay_per_request_since_micros: r.pay_per_request_since_micros,
            pay_per_request_switches: r.pay_per_request_switches_micros,
            table_class: r
                .table_class
                .map(|c| (c.into(), r.table_class_micros.unwrap_or(0))),
            sse_kms_key: r.sse_kms.map(|s| s.key),
        }
    }
}

/// OnDemandThroughput as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDemandRecord {
    #[serde(rename = "max_read_request_units")]
    max_read_request_units: Option<i64>,
    #[serde(rename = "max_write_request_units")]
    max_write_request_units: Option<i64>,
}

impl From<OnDemandThroughput> for OnDemandRecord {
    fn from(o: OnDemandThroughput) -> Self {
        OnDemandRecord {
            max_read_request_units: o.max_read_request_units,
            max_write_request_units: o.max_write_request_units,
        }
    }
}

impl From<OnDemandRecord> for OnDemandThroughput {
    fn from(o: OnDemandRecord) -> Self {
        OnDemandThroughput {
            max_read_request_units: o.max_read_request_units,
            max_write_request_units: o.max_write_request_units,
        }
    }
}

/// A named, typed attribute: a key attribute or an attribute definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttrRecord {
    #[serde(rename = "name")]
    name: String,
    #[serde(rename = "type")]
    ty: ScalarTypeRecord,
}

/// A primary or index key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord {
    #[serde(rename = "hash")]
    hash: AttrRecord,
    #[serde(rename = "range")]
    range: Option<AttrRecord>,
    /// Added with multi-attribute GSI keys (issue 11): a GSI's further partition-key
    /// attributes. Absent when empty, so every other key is written as before.
    #[serde(rename = "hash_rest", default, skip_serializing_if = "Vec::is_empty")]
    hash_rest: Vec<AttrRecord>,
    /// A GSI's further sort-key attributes; absent when empty.
    #[serde(rename = "range_rest", default, skip_serializing_if = "Vec::is_empty")]
    range_rest: Vec<AttrRecord>,
}

/// A secondary index (GSI or LSI; an LSI's throughput is always null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexRecord {
    #[serde(rename = "name")]
    name: String,
    #[serde(rename = "id")]
    id: u32,
    #[serde(rename = "key")]
    key: KeyRecord,
    #[serde(rename = "projection")]
    projection: ProjectionRecord,
    #[serde(rename = "status")]
    status: IndexStatusRecord,
    #[serde(rename = "throughput")]
    throughput: Option<ThroughputRecord>,
    /// A GSI's own OnDemandThroughput; absent when none (and in older catalogs).
    #[serde(
        rename = "on_demand_throughput",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    on_demand_throughput: Option<OnDemandRecord>,
    /// Absent in catalogs written before GSIs had a decrease budget.
    #[serde(
        rename = "throughput_changes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    throughput_changes: Option<ChangesRecord>,
}

/// A GSI's throughput changes (`catalog::ThroughputChanges`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangesRecord {
    #[serde(rename = "decreases")]
    decreases: i64,
    #[serde(rename = "last_decrease_micros", default)]
    last_decrease_micros: Option<u64>,
    #[serde(rename = "last_increase_micros", default)]
    last_increase_micros: Option<u64>,
}

/// An index projection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectionRecord {
    #[serde(rename = "type")]
    ty: ProjectionTypeRecord,
    #[serde(rename = "non_key_attributes")]
    non_key_attributes: Vec<String>,
}

/// Provisioned read and write capacity units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThroughputRecord {
    #[serde(rename = "read_capacity_units")]
    read_capacity_units: i64,
    #[serde(rename = "write_capacity_units")]
    write_capacity_units: i64,
}

/// A stored stream specification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StreamRecord {
    #[serde(rename = "enabled")]
    enabled: bool,
    #[serde(rename = "view_type")]
    view_type: Option<StreamViewTypeRecord>,
}

// Enum values use DynamoDB's spelling in both versions (version 1 got it from `shapes`).

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum ScalarTypeRecord {
    #[serde(rename = "S")]
    S,
    #[serde(rename = "N")]
    N,
    #[serde(rename = "B")]
    B,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum TableStatusRecord {
    #[serde(rename = "CREATING")]
    Creating,
    #[serde(rename = "UPDATING")]
    Updating,
    #[serde(rename = "DELETING")]
    Deleting,
    #[serde(rename = "ACTIVE")]
    Active,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum IndexStatusRecord {
    #[serde(rename = "CREATING")]
    Creating,
    #[serde(rename = "UPDATING")]
    Updating,
    #[serde(rename = "DELETING")]
    Deleting,
    #[serde(rename = "ACTIVE")]
    Active,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum BillingModeRecord {
    #[serde(rename = "PROVISIONED")]
    Provisioned,
    #[serde(rename = "PAY_PER_REQUEST")]
    PayPerRequest,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
enum ProjectionTypeRecord {
    #[serde(rename = "ALL")]
    All,
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
    #[serde(rename = "INCLUDE")]
    Include,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) enum StreamViewTypeRecord {
    #[serde(rename = "KEYS_ONLY")]
    KeysOnly,
    #[serde(rename = "NEW_IMAGE")]
    NewImage,
    #[serde(rename = "OLD_IMAGE")]
    OldImage,
    #[serde(rename = "NEW_AND_OLD_IMAGES")]
    NewAndOldImages,
}

// ---------------------------------------------------------------------------------------
// Version 1 schema (legacy, decode only)
// ---------------------------------------------------------------------------------------

/// The payload of c443921's records, frozen: the serde JSON of that day's `TableDef`, whose
/// nested API types (`AttributeDefinition`, `ProvisionedThroughput`,
/// `StreamSpecification`) brought DynamoDB's PascalCase names with them. Unknown fields are
/// ignored and a missing `Option` reads as `None`, as that derive did.
mod v1 {
    use serde::Deserialize;

    use super::{
        BillingModeRecord, IndexStatusRecord, ProjectionTypeRecord, ScalarTypeRecord,
        StreamViewTypeRecord, TableStatusRecord,
    };

    #[derive(Deserialize)]
    pub(super) struct TableV1 {
        #[serde(rename = "name")]
        pub name: String,
        #[serde(rename = "id")]
        pub id: u32,
        #[serde(rename = "uuid")]
        pub uuid: String,
        #[serde(rename = "status")]
        pub status: TableStatusRecord,
        #[serde(rename = "created_micros")]
        pub created_micros: u64,
        #[serde(rename = "key")]
        pub key: KeyV1,
        #[serde(rename = "attribute_definitions")]
        pub attribute_definitions: Vec<AttributeDefinitionV1>,
        #[serde(rename = "billing_mode")]
        pub billing_mode: BillingModeRecord,
        #[serde(rename = "throughput")]
        pub throughput: Option<ThroughputV1>,
        #[serde(rename = "decreases")]
        pub decreases: i64,
        #[serde(rename = "gsis")]
        pub gsis: Vec<IndexV1>,
        #[serde(rename = "lsis")]
        pub lsis: Vec<IndexV1>,
        #[serde(rename = "stream")]
        pub stream: Option<StreamV1>,
        #[serde(rename = "deletion_protection")]
        pub deletion_protection: bool,
        /// Absent in records written before TTL existed.
        #[serde(rename = "ttl_attribute", default)]
        pub ttl_attribute: Option<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct KeyV1 {
        #[serde(rename = "hash")]
        pub hash: KeyAttrV1,
        #[serde(rename = "range")]
        pub range: Option<KeyAttrV1>,
    }

    #[derive(Deserialize)]
    pub(super) struct KeyAttrV1 {
        #[serde(rename = "name")]
        pub name: String,
        #[serde(rename = "ty")]
        pub ty: ScalarTypeRecord,
    }

    #[derive(Deserialize)]
    pub(super) struct AttributeDefinitionV1 {
        #[serde(rename = "AttributeName")]
        pub name: String,
        #[serde(rename = "AttributeType")]
        pub ty: ScalarTypeRecord,
    }

    #[derive(Deserialize)]
    pub(super) struct ThroughputV1 {
        #[serde(rename = "ReadCapacityUnits")]
        pub read: i64,
        #[serde(rename = "WriteCapacityUnits")]
        pub write: i64,
    }

    #[derive(Deserialize)]
    pub(super) struct IndexV1 {
        #[serde(rename = "name")]
        pub name: String,
        #[serde(rename = "id")]
        pub id: u32,
        #[serde(rename = "key")]
        pub key: KeyV1,
        #[serde(rename = "projection")]
        pub projection: ProjectionV1,
        #[serde(rename = "status")]
        pub status: IndexStatusRecord,
        #[serde(rename = "throughput")]
        pub throughput: Option<ThroughputV1>,
    }

    #[derive(Deserialize)]
    pub(super) struct ProjectionV1 {
        #[serde(rename = "ty")]
        pub ty: ProjectionTypeRecord,
        #[serde(rename = "non_key")]
        pub non_key: Vec<String>,
    }

    #[derive(Deserialize)]
    pub(super) struct StreamV1 {
        #[serde(rename = "StreamEnabled")]
        pub enabled: bool,
        #[serde(rename = "StreamViewType")]
        pub view_type: Option<StreamViewTypeRecord>,
    }
}

// ---------------------------------------------------------------------------------------
// Conversions: version 1 → version 2 → TableDef, and TableDef → version 2
// ---------------------------------------------------------------------------------------

impl From<v1::TableV1> for TableRecord {
    fn from(t: v1::TableV1) -> Self {
        let key = |k: v1::KeyV1| KeyRecord {
            hash: AttrRecord {
                name: k.hash.name,
                ty: k.hash.ty,
            },
            range: k.range.map(|r| AttrRecord {
                name: r.name,
                ty: r.ty,
            }),
            hash_rest: Vec::new(),
            range_rest: Vec::new(),
        };
        let throughput = |t: v1::ThroughputV1| ThroughputRecord {
            read_capacity_units: t.read,
            write_capacity_units: t.write,
        };
        let index = |i: v1::IndexV1| IndexRecord {
            name: i.name,
            id: i.id,
            key: key(i.key),
            projection: ProjectionRecord {
                ty: i.projection.ty,
                non_key_attributes: i.projection.non_key,
            },
            status: i.status,
            throughput: i.throughput.map(throughput),
            on_demand_throughput: None,
            throughput_changes: None,
        };
        TableRecord {
            name: t.name,
            id: t.id,
            uuid: t.uuid,
            status: t.status,
            created_micros: t.created_micros,
            key: key(t.key),
            attribute_definitions: t
                .attribute_definitions
                .into_iter()
                .map(|d| AttrRecord {
                    name: d.name,
                    ty: d.ty,
                })
                .collect(),
            billing_mode: t.billing_mode,
            throughput: t.throughput.map(throughput),
            throughput_decreases: t.decreases,
            gsis: t.gsis.into_iter().map(index).collect(),
            lsis: t.lsis.into_iter().map(index).collect(),
            stream: t.stream.map(|s| StreamRecord {
                enabled: s.enabled,
                view_type: s.view_type,
            }),
            deletion_protection: t.deletion_protection,
            ttl_attribute: t.ttl_attribute,
            on_demand_throughput: None,
            latest_stream_micros: None,
            settings: SettingsRecord::default(),
        }
    }
}

impl From<&TableDef> for TableRecord {
    fn from(d: &TableDef) -> Self {
        TableRecord {
            name: d.name.clone(),
            id: d.id,
            uuid: d.uuid.clone(),
            status: d.status.into(),
            created_micros: d.created_micros,
            key: (&d.key).into(),
            attribute_definitions: d
                .attribute_definitions
                .iter()
                .map(|a| AttrRecord {
                    name: a.attribute_name.clone(),
                    ty: a.attribute_type.into(),
                })
                .collect(),
            billing_mode: d.billing_mode.into(),
            throughput: d.throughput.map(Into::into),
            throughput_decreases: d.decreases,
            gsis: d.gsis.iter().map(Into::into).collect(),
            lsis: d.lsis.iter().map(Into::into).collect(),
            stream: d.stream.as_ref().map(|s| StreamRecord {
                enabled: s.stream_enabled,
                view_type: s.stream_view_type.map(Into::into),
            }),
            deletion_protection: d.deletion_protection,
            ttl_attribute: d.ttl_attribute.clone(),
            on_demand_throughput: d.on_demand_throughput.map(Into::into),
            latest_stream_micros: d.latest_stream_micros,
            settings: (&d.settings).into(),
        }
    }
}

impl From<TableRecord> for TableDef {
    fn from(r: TableRecord) -> Self {
        TableDef {
            name: r.name,
            id: r.id,
            uuid: r.uuid,
            status: r.status.into(),
            created_micros: r.created_micros,
            key: r.key.into(),
            attribute_definitions: r
                .attribute_definitions
                .into_iter()
                .map(|a| AttributeDefinition {
                    attribute_name: a.name,
                    attribute_type: a.ty.into(),
                })
                .collect(),
            billing_mode: r.billing_mode.into(),
            throughput: r.throughput.map(Into::into),
            decreases: r.throughput_decreases,
            gsis: r.gsis.into_iter().map(Into::into).collect(),
            lsis: r.lsis.into_iter().map(Into::into).collect(),
            stream: r.stream.map(|s| StreamSpecification {
                stream_enabled: s.enabled,
                stream_view_type: s.view_type.map(Into::into),
            }),
            deletion_protection: r.deletion_protection,
            ttl_attribute: r.ttl_attribute,
            on_demand_throughput: r.on_demand_throughput.map(Into::into),
            latest_stream_micros: r.latest_stream_micros,
            settings: r.settings.into(),
            admission: Default::default(),
        }
    }
}

impl From<&IndexDef> for IndexRecord {
    fn from(i: &IndexDef) -> Self {
        IndexRecord {
            name: i.name.clone(),
            id: i.id,
            key: (&i.key).into(),
            projection: ProjectionRecord {
                ty: i.projection.ty.into(),
                non_key_attributes: i.projection.non_key.clone(),
            },
            status: i.status.into(),
            throughput: i.throughput.map(Into::into),
            on_demand_throughput: i.on_demand_throughput.map(Into::into),
            throughput_changes: (i.changes != crate::catalog::ThroughputChanges::default())
                .then_some(ChangesRecord {
                    decreases: i.changes.decreases,
                    last_decrease_micros: i.changes.last_decrease_micros,
                    last_increase_micros: i.changes.last_increase_micros,
                }),
        }
    }
}

impl From<IndexRecord> for IndexDef {
    fn from(i: IndexRecord) -> Self {
        IndexDef {
            name: i.name,
            id: i.id,
            key: i.key.into(),
            projection: ProjectionDef {
                ty: i.projection.ty.into(),
                non_key: i.projection.non_key_attributes,
            },
            status: i.status.into(),
            throughput: i.throughput.map(Into::into),
            on_demand_throughput: i.on_demand_throughput.map(Into::into),
            changes: i
                .throughput_changes
                .map(|c| crate::catalog::ThroughputChanges {
                    decreases: c.decreases,
                    last_decrease_micros: c.last_decrease_micros,
                    last_increase_micros: c.last_increase_micros,
                })
                .unwrap_or_default(),
        }
    }
}

impl From<&KeyDef> for KeyRecord {
    fn from(k: &KeyDef) -> Self {
        let attr = |a: &KeyAttr| AttrRecord {
            name: a.name.clone(),
            ty: a.ty.into(),
        };
        KeyRecord {
            hash: attr(&k.hash),
            range: k.range.as_ref().map(attr),
            hash_rest: k.hash_rest.iter().map(attr).collect(),
            range_rest: k.range_rest.iter().map(attr).collect(),
        }
    }
}

impl From<KeyRecord> for KeyDef {
    fn from(k: KeyRecord) -> Self {
        let attr = |a: AttrRecord| KeyAttr {
            name: a.name,
            ty: a.ty.into(),
        };
        KeyDef {
            hash: attr(k.hash),
            range: k.range.map(attr),
            hash_rest: k.hash_rest.into_iter().map(attr).collect(),
            range_rest: k.range_rest.into_iter().map(attr).collect(),
        }
    }
}

impl From<ProvisionedThroughput> for ThroughputRecord {
    fn from(t: ProvisionedThroughput) -> Self {
        ThroughputRecord {
            read_capacity_units: t.read_capacity_units,
            write_capacity_units: t.write_capacity_units,
        }
    }
}

impl From<ThroughputRecord> for ProvisionedThroughput {
    fn from(t: ThroughputRecord) -> Self {
        ProvisionedThroughput {
            read_capacity_units: t.read_capacity_units,
            write_capacity_units: t.write_capacity_units,
        }
    }
}

/// Two-way conversions between an API enum and its record enum. The matches are
/// exhaustive on purpose: a new API variant does not compile until it has a spelling on
/// disk.
macro_rules! enum_pair {
    ($api:ident, $rec:ident, [$($v:ident),+ $(,)?]) => {
        impl From<$api> for $rec {
            fn from(v: $api) -> Self {
                match v { $($api::$v => $rec::$v,)+ }
            }
        }
        impl From<$rec> for $api {
            fn from(v: $rec) -> Self {
                match v { $($rec::$v => $api::$v,)+ }
            }
        }
    };
}

enum_pair!(ScalarAttributeType, ScalarTypeRecord, [S, N, B]);
enum_pair!(
    TableStatus,
    TableStatusRecord,
    [Creating, Updating, Deleting, Active]
);
enum_pair!(
    IndexStatus,
    IndexStatusRecord,
    [Creating, Updating, Deleting, Active]
);
enum_pair!(BillingMode, BillingModeRecord, [Provisioned, PayPerRequest]);
enum_pair!(
    ProjectionType,
    ProjectionTypeRecord,
    [All, KeysOnly, Include]
);
enum_pair!(
    TableClass,
    TableClassRecord,
    [Standard, StandardInfrequentAccess]
);
enum_pair!(
    StreamViewType,
    StreamViewTypeRecord,
    [KeysOnly, NewImage, OldImage, NewAndOldImages]
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::next_id_key;

    /// The Orders record exactly as c443921 wrote it into the fixture
    /// (`tests/fixtures/catalog-c443921`), after UpdateTimeToLive.
    const ORDERS_V1: &str = r#"{"name":"Orders","id":17,"uuid":"0847383a-c1d3-dda2-93cf-5abfa362644c","status":"ACTIVE","created_micros":1796419643175355,"key":{"hash":{"name":"Customer","ty":"S"},"range":{"name":"OrderNo","ty":"N"}},"attribute_definitions":[{"AttributeName":"Customer","AttributeType":"S"},{"AttributeName":"OrderNo","AttributeType":"N"},{"AttributeName":"Status","AttributeType":"S"},{"AttributeName":"Placed","AttributeType":"B"}],"billing_mode":"PROVISIONED","throughput":{"ReadCapacityUnits":10,"WriteCapacityUnits":5},"decreases":0,"gsis":[{"name":"ByStatus","id":19,"key":{"hash":{"name":"Status","ty":"S"},"range":{"name":"OrderNo","ty":"N"}},"projection":{"ty":"KEYS_ONLY","non_key":[]},"status":"ACTIVE","throughput":{"ReadCapacityUnits":7,"WriteCapacityUnits":3}}],"lsis":[{"name":"ByPlaced","id":18,"key":{"hash":{"name":"Customer","ty":"S"},"range":{"name":"Placed","ty":"B"}},"projection":{"ty":"INCLUDE","non_key":["Total"]},"status":"ACTIVE","throughput":null}],"stream":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},"deletion_protection":false,"ttl_attribute":"ExpiresAt"}"#;

    /// The same definition in version 2: pins the current schema, field by field.
    const ORDERS_V2: &str = r#"{"name":"Orders","id":17,"uuid":"0847383a-c1d3-dda2-93cf-5abfa362644c","status":"ACTIVE","created_micros":1796419643175355,"key":{"hash":{"name":"Customer","type":"S"},"range":{"name":"OrderNo","type":"N"}},"attribute_definitions":[{"name":"Customer","type":"S"},{"name":"OrderNo","type":"N"},{"name":"Status","type":"S"},{"name":"Placed","type":"B"}],"billing_mode":"PROVISIONED","throughput":{"read_capacity_units":10,"write_capacity_units":5},"throughput_decreases":0,"gsis":[{"name":"ByStatus","id":19,"key":{"hash":{"name":"Status","type":"S"},"range":{"name":"OrderNo","type":"N"}},"projection":{"type":"KEYS_ONLY","non_key_attributes":[]},"status":"ACTIVE","throughput":{"read_capacity_units":7,"write_capacity_units":3}}],"lsis":[{"name":"ByPlaced","id":18,"key":{"hash":{"name":"Customer","type":"S"},"range":{"name":"Placed","type":"B"}},"projection":{"type":"INCLUDE","non_key_attributes":["Total"]},"status":"ACTIVE","throughput":null}],"stream":{"enabled":true,"view_type":"NEW_AND_OLD_IMAGES"},"deletion_protection":false,"ttl_attribute":"ExpiresAt"}"#;

    fn attr(name: &str, ty: ScalarAttributeType) -> KeyAttr {
        KeyAttr {
            name: name.into(),
            ty,
        }
    }

    fn orders() -> TableDef {
        let defs = [
            ("Customer", ScalarAttributeType::S),
            ("OrderNo", ScalarAttributeType::N),
            ("Status", ScalarAttributeType::S),
            ("Placed", ScalarAttributeType::B),
        ];
        TableDef {
            name: "Orders".into(),
            id: 17,
            uuid: "0847383a-c1d3-dda2-93cf-5abfa362644c".into(),
            status: TableStatus::Active,
            created_micros: 1_796_419_643_175_355,
            key: KeyDef::simple(
                attr("Customer", ScalarAttributeType::S),
                Some(attr("OrderNo", ScalarAttributeType::N)),
            ),
            attribute_definitions: defs
                .iter()
                .map(|&(n, t)| AttributeDefinition {
                    attribute_name: n.into(),
                    attribute_type: t,
                })
                .collect(),
            billing_mode: BillingMode::Provisioned,
            throughput: Some(ProvisionedThroughput {
                read_capacity_units: 10,
                write_capacity_units: 5,
            }),
            decreases: 0,
            gsis: vec![IndexDef {
                name: "ByStatus".into(),
                id: 19,
                key: KeyDef::simple(
                    attr("Status", ScalarAttributeType::S),
                    Some(attr("OrderNo", ScalarAttributeType::N)),
                ),
                projection: ProjectionDef {
                    ty: ProjectionType::KeysOnly,
                    non_key: vec![],
                },
                status: IndexStatus::Active,
                throughput: Some(ProvisionedThroughput {
                    read_capacity_units: 7,
                    write_capacity_units: 3,
                }),
                on_demand_throughput: None,
                changes: Default::default(),
            }],
            lsis: vec![IndexDef {
                name: "ByPlaced".into(),
                id: 18,
                key: KeyDef::simple(
                    attr("Customer", ScalarAttributeType::S),
                    Some(attr("Placed", ScalarAttributeType::B)),
                ),
                projection: ProjectionDef {
                    ty: ProjectionType::Include,
                    non_key: vec!["Total".into()],
                },
                status: IndexStatus::Active,
                throughput: None,
                on_demand_throughput: None,
                changes: Default::default(),
            }],
            stream: Some(StreamSpecification {
                stream_enabled: true,
                stream_view_type: Some(StreamViewType::NewAndOldImages),
            }),
            deletion_protection: false,
            ttl_attribute: Some("ExpiresAt".into()),
            on_demand_throughput: None,
            latest_stream_micros: None,
            settings: crate::catalog::TableSettings::default(),
            admission: Default::default(),
        }
    }

    /// A version-1 envelope, as c443921's `encode_record` built it.
    fn seal_v1(payload: &[u8]) -> Vec<u8> {
        let mut out = RECORD_MAGIC.to_vec();
        out.push(VERSION_LEGACY);
        out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn reason(r: Result<impl std::fmt::Debug, Error>) -> CatalogCorruption {
        match r {
            Err(Error::CorruptCatalog { reason, .. }) => reason,
            other => panic!("expected CorruptCatalog, got {other:?}"),
        }
    }

    #[test]
    fn v1_record_decodes_to_the_same_definition() {
        let key = table_key("Orders");
        let def = decode_table(&key, &seal_v1(ORDERS_V1.as_bytes())).unwrap();
        assert_eq!(def, orders());
        // The id counter of version 1 is a bare JSON number, as in version 2.
        let nk = next_id_key();
        assert_eq!(decode_next_id(&nk, &seal_v1(b"21")).unwrap(), 21);
    }

    #[test]
    fn v1_record_from_before_ttl_reads_as_ttl_off() {
        let without_ttl = ORDERS_V1.replace(r#","ttl_attribute":"ExpiresAt""#, "");
        assert_ne!(without_ttl, ORDERS_V1);
        let def = decode_table(&table_key("Orders"), &seal_v1(without_ttl.as_bytes())).unwrap();
        assert_eq!(def.ttl_attribute, None);
    }

    #[test]
    fn v2_record_has_the_documented_layout() {
        let rec = encode_table(&orders());
        assert_eq!(&rec[..4], b"SHCT");
        assert_eq!(rec[4], VERSION_CURRENT);
        let payload = &rec[RECORD_HEADER_BYTES..];
        assert_eq!(std::str::from_utf8(payload).unwrap(), ORDERS_V2);
        assert_eq!(rec[9..13], (payload.len() as u32).to_le_bytes());
        let mut covered = vec![VERSION_CURRENT];
        covered.extend_from_slice(&rec[9..13]);
        covered.extend_from_slice(payload);
        assert_eq!(rec[5..9], crc32fast::hash(&covered).to_le_bytes());
    }

    #[test]
    fn v2_record_roundtrips() {
        let mut minimal = orders();
        minimal.name = "Users".into();
        minimal.key.range = None;
        minimal.attribute_definitions.truncate(1);
        minimal.billing_mode = BillingMode::PayPerRequest;
        minimal.throughput = None;
        minimal.gsis.clear();
        minimal.lsis.clear();
        minimal.stream = Some(StreamSpecification {
            stream_enabled: false,
            stream_view_type: None,
        });
        minimal.ttl_attribute = None;
        minimal.deletion_protection = true;
        minimal.status = TableStatus::Updating;
        let mut streamed = orders();
        streamed.latest_stream_micros = Some(1_796_419_643_175_000);
        for def in [orders(), minimal, streamed] {
            let rec = encode_table(&def);
            assert_eq!(decode_table(&table_key(&def.name), &rec).unwrap(), def);
        }
        let nk = next_id_key();
        assert_eq!(decode_next_id(&nk, &encode_next_id(4321)).unwrap(), 4321);
    }

    #[test]
    fn id_counter_matches_the_documented_example() {
        // docs/format/catalog.md, "Envelope": next id 21 in version 2 and version 1.
        let v2 = [
            0x53, 0x48, 0x43, 0x54, 0x02, 0x17, 0x3b, 0x95, 0xfb, 0x02, 0, 0, 0, 0x32, 0x31,
        ];
        let v1 = [
            0x53, 0x48, 0x43, 0x54, 0x01, 0xb4, 0x46, 0x77, 0xfd, 0x02, 0, 0, 0, 0x32, 0x31,
        ];
        assert_eq!(encode_next_id(21), v2);
        assert_eq!(seal_v1(b"21"), v1);
        for rec in [&v2[..], &v1[..]] {
            assert_eq!(decode_next_id(&next_id_key(), rec).unwrap(), 21);
        }
    }

    #[test]
    fn unknown_version_is_a_typed_error() {
        let key = table_key("Orders");
        for v in [0u8, 3, 0xff] {
            let mut rec = encode_table(&orders());
            rec[4] = v;
            assert_eq!(
                reason(decode_table(&key, &rec)),
                CatalogCorruption::UnsupportedVersion(v)
            );
            let mut counter = encode_next_id(20);
            counter[4] = v;
            assert_eq!(
                reason(decode_next_id(&next_id_key(), &counter)),
                CatalogCorruption::UnsupportedVersion(v)
            );
        }
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let key = table_key("Orders");
        let rec = encode_table(&orders());
        for i in 0..rec.len() {
            let mut bad = rec.clone();
            bad[i] ^= 0x40;
            assert!(
                decode_table(&key, &bad).is_err(),
                "flip at byte {i} went unnoticed"
            );
        }
        // A version-2 record relabelled as version 1 fails the version-1 checksum.
        let mut relabelled = rec.clone();
        relabelled[4] = VERSION_LEGACY;
        assert!(matches!(
            reason(decode_table(&key, &relabelled)),
            CatalogCorruption::ChecksumMismatch { .. }
        ));
        assert_eq!(
            reason(decode_table(&key, &rec[..5])),
            CatalogCorruption::Truncated
        );
        assert_eq!(
            reason(decode_table(&key, &rec[..rec.len() - 1])),
            CatalogCorruption::Truncated
        );
    }

    #[test]
    fn payloads_that_break_the_schema_or_an_invariant_are_corrupt() {
        let key = table_key("Orders");
        let reseal = |json: String| {
            let mut rec = encode_table(&orders());
            rec.truncate(RECORD_HEADER_BYTES);
            let payload = json.into_bytes();
            let len = payload.len() as u32;
            rec[5..9].copy_from_slice(&current_crc(len, &payload).to_le_bytes());
            rec[9..13].copy_from_slice(&len.to_le_bytes());
            rec.extend_from_slice(&payload);
            rec
        };
        // A field this version does not know: a newer writer forgot to bump the version.
        let extra = ORDERS_V2.replacen('{', r#"{"surprise":1,"#, 1);
        // A field spelled the version-1 way.
        let renamed = ORDERS_V2.replace("throughput_decreases", "decreases");
        // An id in the reserved range.
        let reserved = ORDERS_V2.replace(r#""id":19"#, r#""id":1"#);
        // Two indexes sharing an id.
        let shared = ORDERS_V2.replace(r#""id":19"#, r#""id":18"#);
        for json in [extra, renamed, reserved, shared] {
            assert_eq!(
                reason(decode_table(&key, &reseal(json))),
                CatalogCorruption::BadPayload
            );
        }
        // A definition stored under another table's key.
        assert_eq!(
            reason(decode_table(&table_key("Users"), &encode_table(&orders()))),
            CatalogCorruption::BadPayload
        );
        assert_eq!(
            reason(decode_next_id(&next_id_key(), &seal(b"\"17\""))),
            CatalogCorruption::BadPayload
        );
    }
}
