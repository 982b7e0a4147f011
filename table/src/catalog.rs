//! The catalog: table definitions, their validation, and the keys their records live under.
//!
//! Definitions are stored in the backend itself under [`CATALOG_ID`], so they share the
//! backend's atomicity and durability (a CreateTable and the id counter bump are one
//! batch) and survive reopen. The record format (envelope, versions, schema) is
//! `catalog_record` and `docs/format/catalog.md`; the in-memory types here carry no serde
//! derives, so nothing but that module decides what is on disk.
//!
//! Catalog keys: `[0u32 BE]['T'][table name]` → a table-definition record;
//! `[0u32 BE]['N']` → the next unused id (a record whose payload is a JSON number);
//! `[0u32 BE]['D'][id u32 BE]` → an id whose data is waiting to be removed (empty value).

use std::collections::BTreeSet;

use crate::capacity::admission::AdmissionSlot;
use crate::error::{
    CatalogCorruption, Error, KeySchemaError, ProjectionError, ThroughputError, ValidationError,
};
use crate::keys::{id_prefix, CATALOG_ID};
use crate::shapes::{
    AttributeDefinition, BillingMode, BillingModeSummary, GlobalSecondaryIndexDescription,
    IndexStatus, KeySchemaElement, KeyType, LocalSecondaryIndexDescription, OnDemandThroughput,
    Projection, ProjectionType, ProvisionedThroughput, ProvisionedThroughputDescription,
    ScalarAttributeType, StreamSpecification, TableDescription, TableStatus,
};
use crate::types::{AttributeValue, Item, KeyRole, ScalarType};

/// Tag byte of a table-definition key.
const TABLE_TAG: u8 = b'T';
/// Tag byte of the id-counter key.
const NEXT_ID_TAG: u8 = b'N';
/// Tag byte of a pending-drop key.
const DROP_TAG: u8 = b'D';

/// Shortest table or index name.
pub const MIN_NAME_LEN: usize = 3;
/// Longest table or index name.
pub const MAX_NAME_LEN: usize = 255;
/// Longest key or index attribute name, in bytes.
pub const MAX_KEY_ATTRIBUTE_NAME_BYTES: usize = 255;
/// Most LSIs per table.
pub const MAX_LSIS: usize = 5;
/// Most GSIs per table.
pub const MAX_GSIS: usize = 20;
/// Most NonKeyAttributes over all of a table's indexes.
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;
/// The account id in ARNs.
pub const ACCOUNT_ID: &str = "000000000000";

/// One key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttr {
    /// The attribute name.
    pub name: String,
    /// Its scalar type.
    pub ty: ScalarAttributeType,
}

/// A primary-key or index-key schema.
///
/// Tables and LSIs have one partition-key attribute and at most one sort-key attribute.
/// A GSI may have a multi-attribute key (DynamoDB, November 2025): up to
/// [`MAX_GSI_KEY_ATTRIBUTES`] partition-key attributes (`hash`, then `hash_rest`) and up
/// to as many sort-key attributes (`range`, then `range_rest`). Invariant: `range_rest`
/// is empty when `range` is `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyDef {
    /// The (first) partition-key attribute.
    pub hash: KeyAttr,
    /// The (first) sort-key attribute, if any.
    pub range: Option<KeyAttr>,
    /// A GSI's further partition-key attributes, in key-schema order (empty otherwise).
    pub hash_rest: Vec<KeyAttr>,
    /// A GSI's further sort-key attributes, in key-schema order (empty otherwise).
    pub range_rest: Vec<KeyAttr>,
}

/// Most partition-key (and, separately, sort-key) attributes of a GSI's key.
pub const MAX_GSI_KEY_ATTRIBUTES: usize = 4;

/// An index key's values: every partition-key attribute's, then every sort-key
/// attribute's, in key-schema order.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexKeyValues {
    /// The partition-key values (1 to 4).
    pub partition: Vec<AttributeValue>,
    /// The sort-key values (0 to 4).
    pub sort: Vec<AttributeValue>,
}

/// A key extracted from an item: partition value and optional sort value.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValues {
    /// Partition key value.
    pub pk: AttributeValue,
    /// Sort key value.
    pub sk: Option<AttributeValue>,
}

impl ScalarAttributeType {
    /// The types module's equivalent.
    pub fn scalar(self) -> ScalarType {
        match self {
            ScalarAttributeType::S => ScalarType::S,
            ScalarAttributeType::N => ScalarType::N,
            ScalarAttributeType::B => ScalarType::B,
        }
    }
}

impl KeyDef {
    /// A one-attribute (or two-attribute) key: `hash` and an optional `range`.
    pub fn simple(hash: KeyAttr, range: Option<KeyAttr>) -> KeyDef {
        KeyDef {
            hash,
            range,
            hash_rest: Vec::new(),
            range_rest: Vec::new(),
        }
    }

    /// The partition-key attributes, in order.
    pub fn partition_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        std::iter::once(&self.hash).chain(self.hash_rest.iter())
    }

    /// The sort-key attributes, in order.
    pub fn sort_attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        self.range.iter().chain(self.range_rest.iter())
    }

    /// Whether this is a multi-attribute (GSI) key.
    pub fn is_multi_attribute(&self) -> bool {
        !self.hash_rest.is_empty() || !self.range_rest.is_empty()
    }

    /// The key attributes: the partition key's, then the sort key's.
    pub fn attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        self.partition_attrs().chain(self.sort_attrs())
    }

    /// Whether `name` is one of this key's attributes.
    pub fn contains(&self, name: &str) -> bool {
        self.attrs().any(|a| a.name == name)
    }

    /// The schema elements, as DescribeTable shows them.
    pub fn schema(&self) -> Vec<KeySchemaElement> {
        let element = |a: &KeyAttr, key_type| KeySchemaElement {
            attribute_name: a.name.clone(),
            key_type,
        };
        self.partition_attrs()
            .map(|a| element(a, KeyType::Hash))
            .chain(self.sort_attrs().map(|a| element(a, KeyType::Range)))
            .collect()
    }

    /// The primary key of an item being written: every key attribute present, typed,
    /// non-empty and within its size limit.
    ///
    /// # Errors
    /// `MissingKeyInItem`, or the types module's key errors.
    pub fn item_key(&self, item: &Item) -> Result<KeyValues, Error> {
        let get = |attr: &KeyAttr, role| -> Result<AttributeValue, Error> {
            let v = item
                .get(&attr.name)
                .ok_or_else(|| ValidationError::MissingKeyInItem {
                    attribute: attr.name.clone(),
                })?;
            crate::types::validate_key_value(&attr.name, v, attr.ty.scalar(), role)?;
            Ok(v.clone())
        };
        Ok(KeyValues {
            pk: get(&self.hash, KeyRole::Partition)?,
            sk: self
                .range
                .as_ref()
                .map(|r| get(r, KeyRole::Sort))
                .transpose()?,
        })
    }

    /// A `Key` parameter: exactly the key attributes, correctly typed.
    ///
    /// # Errors
    /// `KeyMismatch` when attributes are missing or extra; key value errors otherwise.
    pub fn exact_key(&self, key: &Item) -> Result<KeyValues, Error> {
        let expected = 1 + usize::from(self.range.is_some());
        if key.len() != expected || self.attrs().any(|a| !key.contains_key(&a.name)) {
            return Err(ValidationError::KeyMismatch.into());
        }
        for a in self.attrs() {
            if ScalarType::of(&key[&a.name]) != Some(a.ty.scalar()) {
                return Err(ValidationError::KeyMismatch.into());
            }
        }
        self.item_key(key)
    }

    /// The index key of an item, or `None` if the item lacks an index key attribute
    /// (sparse index: with a multi-attribute key, an item missing any one of them is not
    /// indexed). A present attribute of the wrong type is an error, as in DynamoDB.
    ///
    /// # Errors
    /// `IndexKeyTypeMismatch`, or the types module's key errors (empty, too large).
    pub fn sparse_key(&self, item: &Item, index: &str) -> Result<Option<IndexKeyValues>, Error> {
        let mut out = IndexKeyValues {
            partition: Vec::with_capacity(1 + self.hash_rest.len()),
            sort: Vec::with_capacity(self.range_rest.len() + 1),
        };
        let attrs = self
            .partition_attrs()
            .map(|a| (a, KeyRole::Partition))
            .chain(self.sort_attrs().map(|a| (a, KeyRole::Sort)));
        for (attr, role) in attrs {
            let Some(v) = item.get(&attr.name) else {
                return Ok(None);
            };
            if ScalarType::of(v) != Some(attr.ty.scalar()) {
                return Err(ValidationError::IndexKeyTypeMismatch {
                    attribute: attr.name.clone(),
                    expected: attr.ty.as_str(),
                    actual: v.type_tag(),
                    index: index.to_owned(),
                }
                .into());
            }
            crate::types::validate_key_value(&attr.name, v, attr.ty.scalar(), role)?;
            match role {
                KeyRole::Partition => out.partition.push(v.clone()),
                KeyRole::Sort => out.sort.push(v.clone()),
            }
        }
        Ok(Some(out))
    }

    /// The key attributes of `item` as a `Key` map (attributes absent in `item` skipped).
    pub fn key_item(&self, item: &Item) -> Item {
        self.attrs()
            .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
            .collect()
    }
}

/// A projection, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectionDef {
    /// ALL, KEYS_ONLY or INCLUDE.
    pub ty: ProjectionType,
    /// For INCLUDE.
    pub non_key: Vec<String>,
}

/// A secondary index.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexDef {
    /// The index name.
    pub name: String,
    /// Its backend id.
    pub id: u32,
    /// Its key.
    pub key: KeyDef,
    /// What it stores.
    pub projection: ProjectionDef,
    /// CREATING while it backfills (GSI), else ACTIVE.
    pub status: IndexStatus,
    /// Its throughput (GSI on provisioned tables).
    pub throughput: Option<ProvisionedThroughput>,
    /// Its own on-demand maxima (a GSI of an on-demand table).
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Its throughput's changes (a GSI has a decrease budget of its own).
    pub changes: ThroughputChanges,
}

/// When a GSI's provisioned throughput last went up and down, and how many decreases
/// the UTC day of the last one has seen (see [`TableDef::decreases`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ThroughputChanges {
    /// Decreases on the UTC day of `last_decrease_micros`.
    pub decreases: i64,
    /// The last decrease, µs since the epoch.
    pub last_decrease_micros: Option<u64>,
    /// The last increase.
    pub last_increase_micros: Option<u64>,
}

/// NumberOfDecreasesToday at `now_micros`: `decreases` if the last decrease was on the
/// same UTC day, else 0 (the count resets at 00:00 UTC).
pub fn decreases_today(decreases: i64, last_decrease_micros: Option<u64>, now_micros: u64) -> i64 {
    match last_decrease_micros {
        Some(last) if crate::utc_text::utc_day(last) == crate::utc_text::utc_day(now_micros) => {
            decreases
        }
        _ => 0,
    }
}

impl IndexDef {
    /// The index entry stored for `item`: the projected attributes plus all key
    /// attributes of the table and the index.
    pub fn project(&self, table_key: &KeyDef, item: &Item) -> Item {
        match self.projection.ty {
            ProjectionType::All => item.clone(),
            ProjectionType::KeysOnly | ProjectionType::Include => item
                .iter()
                .filter(|(name, _)| self.projects(table_key, name))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        }
    }

    /// Whether the index's entries hold attribute `name`.
    pub fn projects(&self, table_key: &KeyDef, name: &str) -> bool {
        self.projection.ty == ProjectionType::All
            || table_key.contains(name)
            || self.key.contains(name)
            || self.projection.non_key.iter().any(|n| n == name)
    }

    fn projection_shape(&self) -> Projection {
        Projection {
            projection_type: Some(self.projection.ty),
            non_key_attributes: (self.projection.ty == ProjectionType::Include)
                .then(|| self.projection.non_key.clone()),
        }
    }
}

/// A table definition: what CreateTable/UpdateTable said, plus ids and lifecycle status.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// The table name.
    pub name: String,
    /// The backend id of its items.
    pub id: u32,
    /// A stable unique id (shown as TableId).
    pub uuid: String,
    /// Lifecycle status.
    pub status: TableStatus,
    /// Creation time, µs since the epoch.
    pub created_micros: u64,
    /// Primary key.
    pub key: KeyDef,
    /// Attribute definitions (of every key attribute of the table and its indexes).
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// Billing mode.
    pub billing_mode: BillingMode,
    /// Provisioned throughput (None for on-demand).
    pub throughput: Option<ProvisionedThroughput>,
    /// Throughput decreases accepted on the UTC day of `settings.last_decrease_micros`
    /// (DynamoDB's NumberOfDecreasesToday, which resets at 00:00 UTC; see
    /// [`TableDef::decreases_today`]). Catalogs written before the daily budget counted
    /// every decrease ever; read as the day's count, that can only tighten the budget
    /// until the next UTC midnight.
    pub decreases: i64,
    /// GSIs.
    pub gsis: Vec<IndexDef>,
    /// LSIs.
    pub lsis: Vec<IndexDef>,
    /// Stored stream specification.
    pub stream: Option<StreamSpecification>,
    /// Whether DeleteTable is refused.
    pub deletion_protection: bool,
    /// The TTL attribute when time to live is on (see `table::ttl`). Absent in catalogs
    /// written before TTL existed, which reads as off.
    pub ttl_attribute: Option<String>,
    /// An on-demand table's maximum throughput (OnDemandThroughput), enforced by
    /// `capacity::admission`. Absent in catalogs written before it existed.
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// When the table's latest stream was enabled, µs since the epoch: its label and ARN
    /// derive from it (`crate::streams`). Kept after the stream is disabled (DescribeTable
    /// still shows LatestStreamArn); the stream records only while `stream` says enabled.
    pub latest_stream_micros: Option<u64>,
    /// DescribeTable's history and settings that no operation acts on (issue 11):
    /// when the throughput last rose and fell, when the table last became on-demand, its
    /// table class and its SSE settings.
    pub settings: TableSettings,
    /// The table's admission state, found here by the request path without the
    /// registry's lock (`capacity::admission`). Not part of what the definition says:
    /// a clone starts empty and every slot compares equal.
    pub(crate) admission: AdmissionSlot,
}

/// A KMS key's ARN from what SSESpecification's `KMSMasterKeyId` said: an ARN as given,
/// an alias (`alias/...`) or key id under this region and account.
fn kms_key_arn(region: &str, key: &str) -> String {
    if key.starts_with("arn:") {
        key.to_owned()
    } else if key.starts_with("alias/") {
        format!("arn:aws:kms:{region}:{ACCOUNT_ID}:{key}")
    } else {
        format!("arn:aws:kms:{region}:{ACCOUNT_ID}:key/{key}")
    }
}

/// See [`TableDef::settings`]. Every field is absent in catalogs written before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSettings {
    /// When the provisioned throughput was last increased, µs since the epoch.
    pub last_increase_micros: Option<u64>,
    /// When it was last decreased.
    pub last_decrease_micros: Option<u64>,
    /// When the table last became PAY_PER_REQUEST (at creation, or by UpdateTable).
    pub pay_per_request_since_micros: Option<u64>,
    /// When UpdateTable switched the table to PAY_PER_REQUEST within the last 24 hours,
    /// oldest first (at most four: DynamoDB's rolling-window budget).
    pub pay_per_request_switches: Vec<u64>,
    /// The table class and when it was set.
    pub table_class: Option<(crate::shapes::TableClass, u64)>,
    /// SSE with a KMS key: the key as given (`None`: the AWS managed key).
    pub sse_kms_key: Option<Option<String>>,
}

/// The ARN of table `table` in `region`.
pub(crate) fn table_arn(region: &str, table: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{ACCOUNT_ID}:table/{table}")
}

impl TableDef {
    /// The table's ARN.
    pub fn arn(&self, region: &str) -> String {
        table_arn(region, &self.name)
    }

    /// Finds an index by name: `(def, is_gsi)`.
    pub fn index(&self, name: &str) -> Option<(&IndexDef, bool)> {
        self.gsis
            .iter()
            .map(|g| (g, true))
            .chain(self.lsis.iter().map(|l| (l, false)))
            .find(|(i, _)| i.name == name)
    }

    /// NumberOfDecreasesToday at `now_micros`: the decreases counted on the UTC day of
    /// the last one, or 0 once that day is over.
    pub fn decreases_today(&self, now_micros: u64) -> i64 {
        decreases_today(
            self.decreases,
            self.settings.last_decrease_micros,
            now_micros,
        )
    }

    /// DescribeTable's view at `now_micros` (which decides NumberOfDecreasesToday).
    pub fn describe(&self, region: &str, now_micros: u64) -> TableDescription {
        let secs = |micros: u64| micros as f64 / 1e6;
        let throughput =
            |t: &Option<ProvisionedThroughput>, decreases: i64| ProvisionedThroughputDescription {
                last_increase_date_time: None,
                last_decrease_date_time: None,
                number_of_decreases_today: decreases,
                read_capacity_units: t.map_or(0, |t| t.read_capacity_units),
                write_capacity_units: t.map_or(0, |t| t.write_capacity_units),
            };
        let arn = self.arn(region);
        TableDescription {
            table_name: self.name.clone(),
            table_status: self.status,
            key_schema: self.key.schema(),
            attribute_definitions: self.attribute_definitions.clone(),
            creation_date_time: secs(self.created_micros),
            provisioned_throughput: ProvisionedThroughputDescription {
                last_increase_date_time: self.settings.last_increase_micros.map(secs),
                last_decrease_date_time: self.settings.last_decrease_micros.map(secs),
                ..throughput(&self.throughput, self.decreases_today(now_micros))
            },
            billing_mode_summary: Some(BillingModeSummary {
                billing_mode: self.billing_mode,
                last_update_to_pay_per_request_date_time: self
                    .settings
                    .pay_per_request_since_micros
                    .filter(|_| self.billing_mode == BillingMode::PayPerRequest)
                    .map(secs),
            }),
            table_arn: arn.clone(),
            table_id: self.uuid.clone(),
            item_count: 0,
            table_size_bytes: 0,
            global_secondary_indexes: (!self.gsis.is_empty()).then(|| {
                self.gsis
                    .iter()
                    .map(|g| GlobalSecondaryIndexDescription {
                        index_name: g.name.clone(),
                        key_schema: g.key.schema(),
                        projection: g.projection_shape(),
                        index_status: g.status,
                        backfilling: (g.status == IndexStatus::Creating).then_some(true),
                        provisioned_throughput: ProvisionedThroughputDescription {
                            last_increase_date_time: g.changes.last_increase_micros.map(secs),
                            last_decrease_date_time: g.changes.last_decrease_micros.map(secs),
                            ..throughput(
                                &g.throughput,
                                decreases_today(
                                    g.changes.decreases,
                                    g.changes.last_decrease_micros,
                                    now_micros,
                                ),
                            )
                        },
                        on_demand_throughput: g.on_demand_throughput.filter(|o| {
                            o.max_read_units().is_some() || o.max_write_units().is_some()
                        }),
                        index_size_bytes: 0,
                        item_count: 0,
                        index_arn: format!("{arn}/index/{}", g.name),
                    })
                    .collect()
            }),
            local_secondary_indexes: (!self.lsis.is_empty()).then(|| {
                self.lsis
                    .iter()
                    .map(|l| LocalSecondaryIndexDescription {
                        index_name: l.name.clone(),
                        key_schema: l.key.schema(),
                        projection: l.projection_shape(),
                        index_size_bytes: 0,
                        item_count: 0,
                        index_arn: format!("{arn}/index/{}", l.name),
                    })
                    .collect()
            }),
            stream_specification: self.stream.clone(),
            latest_stream_arn: self
                .latest_stream_micros
                .map(|m| crate::streams::ids::stream_arn(region, &self.name, m)),
            latest_stream_label: self.latest_stream_micros.map(crate::streams::ids::label),
            deletion_protection_enabled: self.deletion_protection,
            on_demand_throughput: self.on_demand_throughput,
            restore_summary: None,
            table_class_summary: self.settings.table_class.map(|(class, micros)| {
                crate::shapes::TableClassSummary {
                    table_class: class,
                    last_update_date_time: Some(secs(micros)),
                }
            }),
            sse_description: self.settings.sse_kms_key.as_ref().map(|key| {
                crate::shapes::SseDescription {
                    status: "ENABLED".to_owned(),
                    sse_type: crate::shapes::SseType::Kms,
                    kms_master_key_arn: key.as_ref().map(|k| kms_key_arn(region, k)),
                }
            }),
            warm_throughput: None,
        }
    }

    /// Every id this table's data lives under.
    pub fn all_ids(&self) -> Vec<u32> {
        std::iter::once(self.id)
            .chain(self.gsis.iter().map(|g| g.id))
            .chain(self.lsis.iter().map(|l| l.id))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------

/// Checks the table name of a table operation (CreateTable, DescribeTable, UpdateTable,
/// DeleteTable, UpdateTimeToLive, DescribeTimeToLive) as DynamoDB does: its length first, with the operation's own text, then
/// [`validate_name`]'s pattern. (Item operations report the length as a constraint.)
///
/// # Errors
/// [`ValidationError::TableNameLength`], or NamePattern.
pub fn validate_table_operation_name(name: &str) -> Result<(), ValidationError> {
    if !(MIN_NAME_LEN..=MAX_NAME_LEN).contains(&name.chars().count()) {
        return Err(ValidationError::TableNameLength);
    }
    validate_name("tableName", name)
}

/// Checks a table or index name against DynamoDB's constraints (3 to 255 characters of
/// `[a-zA-Z0-9_.-]`), reporting every constraint it breaks.
///
/// # Errors
/// NamePattern and/or NameLength, as one error or [`ValidationError::Several`].
pub fn validate_name(field: &'static str, name: &str) -> Result<(), ValidationError> {
    // DynamoDB reports every constraint a name breaks, the pattern first and then the
    // length: an empty tableName is "2 validation errors detected: Value '' at
    // 'tableName' failed to satisfy constraint: Member must satisfy regular expression
    // pattern: [a-zA-Z0-9_.-]+; Value '' at 'tableName' failed to satisfy constraint:
    // Member must have length greater than or equal to 3" (openstack/magnetodb's
    // PutItem tests, recorded against DynamoDB).
    let mut errors = Vec::new();
    let valid_chars = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid_chars {
        errors.push(ValidationError::NamePattern {
            field,
            value: name.to_owned(),
        });
    }
    if name.len() < MIN_NAME_LEN {
        errors.push(ValidationError::NameLength {
            field,
            value: name.to_owned(),
            constraint: "greater than or equal to 3",
        });
    } else if name.len() > MAX_NAME_LEN {
        errors.push(ValidationError::NameLength {
            field,
            value: name.chars().take(MAX_NAME_LEN).collect(),
            constraint: "less than or equal to 255",
        });
    }
    ValidationError::combined(errors).map_or(Ok(()), Err)
}

/// The largest page ListTables and ListBackups return.
pub const MAX_PAGE_LIMIT: i64 = 100;

/// A `Limit` of a list operation (ListTables, ListBackups): `None` means the largest page.
///
/// # Errors
/// ValidationException outside 1 to [`MAX_PAGE_LIMIT`].
pub fn page_limit(limit: Option<i64>) -> Result<usize, ValidationError> {
    let limit = limit.unwrap_or(MAX_PAGE_LIMIT);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(ValidationError::OutOfRange {
            field: "limit",
            value: limit,
            constraint: if limit < 1 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            },
        });
    }
    Ok(limit as usize)
}

/// Builds a [`KeyDef`] from schema elements and attribute definitions.
///
/// # Errors
/// [`KeySchemaError`] for shape problems and undefined attributes.
pub fn key_def(
    schema: &[KeySchemaElement],
    defs: &[AttributeDefinition],
) -> Result<KeyDef, KeySchemaError> {
    match schema.len() {
        0 => return Err(KeySchemaError::Empty),
        1 | 2 => {}
        _ => return Err(KeySchemaError::TooManyElements),
    }
    if schema[0].key_type != KeyType::Hash {
        return Err(KeySchemaError::FirstNotHash);
    }
    if schema.len() == 2 {
        if schema[1].key_type != KeyType::Range {
            return Err(KeySchemaError::SecondNotRange);
        }
        if schema[0].attribute_name == schema[1].attribute_name {
            return Err(KeySchemaError::DuplicateAttribute);
        }
    }
    let lookup = |name: &str| -> Result<KeyAttr, KeySchemaError> {
        if name.is_empty() || name.len() > MAX_KEY_ATTRIBUTE_NAME_BYTES {
            return Err(KeySchemaError::AttributeNameLength {
                attribute: name.chars().take(64).collect(),
            });
        }
        defs.iter()
            .find(|d| d.attribute_name == name)
            .map(|d| KeyAttr {
                name: name.to_owned(),
                ty: d.attribute_type,
            })
            .ok_or_else(|| KeySchemaError::Undefined {
                keys: schema
                    .iter()
                    .map(|e| e.attribute_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                definitions: defs
                    .iter()
                    .map(|d| d.attribute_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    };
    Ok(KeyDef::simple(
        lookup(&schema[0].attribute_name)?,
        schema
            .get(1)
            .map(|e| lookup(&e.attribute_name))
            .transpose()?,
    ))
}

/// A GSI's key schema: as [`key_def`] for one HASH and at most one RANGE element; else a
/// multi-attribute key of up to [`MAX_GSI_KEY_ATTRIBUTES`] HASH elements followed by up
/// to as many RANGE elements, each attribute defined and named once.
///
/// # Errors
/// [`KeySchemaError`]: empty, first not HASH, HASH after RANGE, too many of a kind, a
/// repeated attribute, an undefined one.
pub fn gsi_key_def(
    schema: &[KeySchemaElement],
    defs: &[AttributeDefinition],
) -> Result<KeyDef, KeySchemaError> {
    let simple = schema.len() <= 1
        || (schema.len() == 2
            && schema[1].key_type == KeyType::Range
            && schema[0].key_type == KeyType::Hash);
    if simple {
        return key_def(schema, defs);
    }
    if schema[0].key_type != KeyType::Hash {
        return Err(KeySchemaError::FirstNotHash);
    }
    let hashes = schema
        .iter()
        .take_while(|e| e.key_type == KeyType::Hash)
        .count();
    if schema[hashes..].iter().any(|e| e.key_type == KeyType::Hash) {
        return Err(KeySchemaError::HashAfterRange);
    }
    if hashes > MAX_GSI_KEY_ATTRIBUTES {
        return Err(KeySchemaError::TooManyKeyAttributes { key_type: "HASH" });
    }
    if schema.len() - hashes > MAX_GSI_KEY_ATTRIBUTES {
        return Err(KeySchemaError::TooManyKeyAttributes { key_type: "RANGE" });
    }
    for (i, e) in schema.iter().enumerate() {
        if schema[..i]
            .iter()
            .any(|p| p.attribute_name == e.attribute_name)
        {
            return Err(KeySchemaError::RepeatedKeyAttribute);
        }
    }
    // Each element through the one-element rules (name length, definition).
    let mut attrs = Vec::with_capacity(schema.len());
    for e in schema {
        let one = [KeySchemaElement {
            attribute_name: e.attribute_name.clone(),
            key_type: KeyType::Hash,
        }];
        attrs.push(
            key_def(&one, defs)
                .map_err(|err| match err {
                    KeySchemaError::Undefined { .. } => KeySchemaError::Undefined {
                        keys: schema
                            .iter()
                            .map(|e| e.attribute_name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        definitions: defs
                            .iter()
                            .map(|d| d.attribute_name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    },
                    other => other,
                })?
                .hash,
        );
    }
    let mut rest = attrs.into_iter();
    let hash = rest.next().ok_or(KeySchemaError::Empty)?;
    let hash_rest: Vec<KeyAttr> = rest.by_ref().take(hashes - 1).collect();
    let range = rest.next();
    Ok(KeyDef {
        hash,
        range,
        hash_rest,
        range_rest: rest.collect(),
    })
}

/// Normalises a projection.
///
/// # Errors
/// [`ProjectionError`].
pub fn projection_def(p: &Projection) -> Result<ProjectionDef, ProjectionError> {
    let ty = p
        .projection_type
        .ok_or(ProjectionError::MissingProjectionType)?;
    let non_key = p.non_key_attributes.clone().unwrap_or_default();
    match ty {
        ProjectionType::Include if non_key.is_empty() => {
            Err(ProjectionError::EmptyNonKeyAttributes)
        }
        ProjectionType::All | ProjectionType::KeysOnly if p.non_key_attributes.is_some() => {
            Err(ProjectionError::NonKeyAttributesNotAllowed {
                projection_type: ty.as_str(),
            })
        }
        _ => Ok(ProjectionDef { ty, non_key }),
    }
}

/// Checks billing mode against provisioned throughput and returns the stored throughput.
///
/// # Errors
/// [`ThroughputError`].
pub fn throughput_for(
    mode: BillingMode,
    t: Option<ProvisionedThroughput>,
) -> Result<Option<ProvisionedThroughput>, ThroughputError> {
    match (mode, t) {
        (BillingMode::Provisioned, None) => Err(ThroughputError::MissingForProvisioned),
        (BillingMode::PayPerRequest, Some(_)) => Err(ThroughputError::GivenForOnDemand),
        (BillingMode::PayPerRequest, None) => Ok(None),
        (BillingMode::Provisioned, Some(t)) => {
            match (t.read_capacity_units < 1, t.write_capacity_units < 1) {
                // DynamoDB names both, writes first (ack-api-quirks DDB-TABLE-058).
                (true, true) => Err(ThroughputError::BothBelowOne {
                    read: t.read_capacity_units,
                    write: t.write_capacity_units,
                }),
                (true, false) => Err(ThroughputError::BelowOne {
                    field: "readCapacityUnits",
                    value: t.read_capacity_units,
                }),
                (false, true) => Err(ThroughputError::BelowOne {
                    field: "writeCapacityUnits",
                    value: t.write_capacity_units,
                }),
                (false, false) if t.read_capacity_units > MAX_PROVISIONED_UNITS => {
                    Err(ThroughputError::OutOfBounds {
                        member: "ReadCapacityUnits",
                        value: t.read_capacity_units,
                    })
                }
                (false, false) if t.write_capacity_units > MAX_PROVISIONED_UNITS => {
                    Err(ThroughputError::OutOfBounds {
                        member: "WriteCapacityUnits",
                        value: t.write_capacity_units,
                    })
                }
                (false, false) => Ok(Some(t)),
            }
        }
    }
}

/// The most units ProvisionedThroughput's members accept before any quota: DynamoDB's
/// bound, 10^12 (dynalite's validations, recorded against DynamoDB).
pub(crate) const MAX_PROVISIONED_UNITS: i64 = 1_000_000_000_000;

/// Checks that every attribute definition is used by some key, and none is defined twice.
///
/// # Errors
/// `DuplicateDefinition` or `UnusedDefinitions`.
pub fn check_definitions_used<'a>(
    defs: &[AttributeDefinition],
    keys: impl Iterator<Item = &'a KeyDef>,
) -> Result<(), KeySchemaError> {
    let mut defined = BTreeSet::new();
    for d in defs {
        if !defined.insert(d.attribute_name.as_str()) {
            return Err(KeySchemaError::DuplicateDefinition);
        }
    }
    let used: BTreeSet<&str> = keys
        .flat_map(|k| k.attrs().map(|a| a.name.as_str()).collect::<Vec<_>>())
        .collect();
    if used != defined {
        return Err(KeySchemaError::UnusedDefinitions);
    }
    Ok(())
}

/// Checks index-count and projected-attribute limits and name uniqueness.
///
/// # Errors
/// [`KeySchemaError`].
pub fn check_index_limits(def: &TableDef) -> Result<(), KeySchemaError> {
    if def.lsis.len() > MAX_LSIS {
        return Err(KeySchemaError::TooManyIndexes {
            kind: "LocalSecondaryIndexes",
            limit: MAX_LSIS,
        });
    }
    if def.gsis.len() > MAX_GSIS {
        return Err(KeySchemaError::TooManyIndexes {
            kind: "GlobalSecondaryIndexes",
            limit: MAX_GSIS,
        });
    }
    let mut names = BTreeSet::new();
    for i in def.gsis.iter().chain(&def.lsis) {
        if !names.insert(i.name.as_str()) {
            return Err(KeySchemaError::DuplicateIndexName {
                index: i.name.clone(),
            });
        }
    }
    let projected: usize = def
        .gsis
        .iter()
        .chain(&def.lsis)
        .map(|i| i.projection.non_key.len())
        .sum();
    if projected > MAX_PROJECTED_ATTRIBUTES {
        return Err(KeySchemaError::Projection(
            ProjectionError::TooManyProjectedAttributes {
                limit: MAX_PROJECTED_ATTRIBUTES,
            },
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Keys (the records themselves: `catalog_record`)
// ---------------------------------------------------------------------------------------

/// The catalog key of a table definition.
pub fn table_key(name: &str) -> Vec<u8> {
    record_key(TABLE_TAG, name)
}

/// A catalog key: id 0, the record kind's tag byte, then `name` (every catalog record
/// kind keys its records this way; `docs/format/catalog.md` lists the tags).
pub(crate) fn record_key(tag: u8, name: &str) -> Vec<u8> {
    let mut k = id_prefix(CATALOG_ID).to_vec();
    k.push(tag);
    k.extend_from_slice(name.as_bytes());
    k
}

/// The prefix of all table-definition keys.
pub fn table_key_prefix() -> Vec<u8> {
    table_key("")
}

/// The catalog key of the id counter.
pub fn next_id_key() -> Vec<u8> {
    let mut k = id_prefix(CATALOG_ID).to_vec();
    k.push(NEXT_ID_TAG);
    k
}

/// The catalog key marking `id`'s data for removal.
pub fn drop_key(id: u32) -> Vec<u8> {
    let mut k = drop_key_prefix();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// The prefix of all drop keys.
pub fn drop_key_prefix() -> Vec<u8> {
    let mut k = id_prefix(CATALOG_ID).to_vec();
    k.push(DROP_TAG);
    k
}

/// The id in a drop key.
///
/// # Errors
/// `CorruptCatalog` if the key is malformed.
pub fn id_of_drop_key(key: &[u8]) -> Result<u32, Error> {
    let prefix = drop_key_prefix();
    key.strip_prefix(prefix.as_slice())
        .and_then(|rest| <[u8; 4]>::try_from(rest).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| Error::CorruptCatalog {
            key: key.to_vec(),
            reason: CatalogCorruption::Truncated,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dynamodb_rules() {
        assert!(validate_name("tableName", "Users").is_ok());
        assert!(validate_name("tableName", "a.b-c_9").is_ok());
        assert!(matches!(
            validate_name("tableName", "ab"),
            Err(ValidationError::NameLength { .. })
        ));
        assert!(matches!(
            validate_name("tableName", &"x".repeat(256)),
            Err(ValidationError::NameLength { .. })
        ));
        assert!(matches!(
            validate_name("tableName", "bad name"),
            Err(ValidationError::NamePattern { .. })
        ));
    }

    #[test]
    fn key_schema_shapes_are_checked() {
        let defs = vec![AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: ScalarAttributeType::S,
        }];
        let el = |n: &str, t| KeySchemaElement {
            attribute_name: n.into(),
            key_type: t,
        };
        assert!(key_def(&[el("pk", KeyType::Hash)], &defs).is_ok());
        assert_eq!(key_def(&[], &defs), Err(KeySchemaError::Empty));
        assert_eq!(
            key_def(&[el("pk", KeyType::Range)], &defs),
            Err(KeySchemaError::FirstNotHash)
        );
        assert!(matches!(
            key_def(&[el("zz", KeyType::Hash)], &defs),
            Err(KeySchemaError::Undefined { .. })
        ));
    }
}
