//! Request and response structs: DynamoDB's operation shapes, with serde using DynamoDB's
//! JSON field names, so the HTTP frontend deserializes request bodies straight into them.
//!
//! Conventions: unknown fields are ignored (SDKs send fields Shale does not model, such as
//! `ReturnItemCollectionMetrics`); `Option` fields are omitted from output when `None`;
//! enum values use DynamoDB's spelling (`ALL_OLD`, `PAY_PER_REQUEST`, ...).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::types::{AttributeValue, Item};

/// `ExpressionAttributeNames`: `#placeholder` → attribute name.
pub type AttributeNames = BTreeMap<String, String>;
/// `ExpressionAttributeValues`: `:placeholder` → value.
pub type AttributeValues = BTreeMap<String, AttributeValue>;
/// A primary key: the key attributes only.
pub type Key = Item;

// ---------------------------------------------------------------------------------------
// Enums
// ---------------------------------------------------------------------------------------

/// `KeyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KeyType {
    /// The partition key.
    Hash,
    /// The sort key.
    Range,
}

/// `ScalarAttributeType`: the types a key attribute may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalarAttributeType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

impl ScalarAttributeType {
    /// DynamoDB's one-letter name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarAttributeType::S => "S",
            ScalarAttributeType::N => "N",
            ScalarAttributeType::B => "B",
        }
    }
}

/// `BillingMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BillingMode {
    /// Provisioned read/write capacity.
    #[default]
    Provisioned,
    /// On-demand.
    PayPerRequest,
}

/// `ProjectionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProjectionType {
    /// Every attribute.
    All,
    /// The table and index keys only.
    KeysOnly,
    /// The keys plus `NonKeyAttributes`.
    Include,
}

impl ProjectionType {
    /// DynamoDB's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectionType::All => "ALL",
            ProjectionType::KeysOnly => "KEYS_ONLY",
            ProjectionType::Include => "INCLUDE",
        }
    }
}

/// `TableStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TableStatus {
    /// Being created.
    Creating,
    /// Being changed (e.g. a GSI backfills).
    Updating,
    /// Being deleted.
    Deleting,
    /// Ready.
    Active,
}

/// `IndexStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IndexStatus {
    /// Backfilling.
    Creating,
    /// Being changed.
    Updating,
    /// Being deleted.
    Deleting,
    /// Ready.
    Active,
}

/// `ReturnValue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnValue {
    /// Nothing.
    #[default]
    None,
    /// The whole item before the write.
    AllOld,
    /// The updated attributes, before the write.
    UpdatedOld,
    /// The whole item after the write.
    AllNew,
    /// The updated attributes, after the write.
    UpdatedNew,
}

/// `ReturnValuesOnConditionCheckFailure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnValuesOnConditionCheckFailure {
    /// Nothing.
    #[default]
    None,
    /// The item as it was.
    AllOld,
}

/// `ReturnConsumedCapacity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReturnConsumedCapacity {
    /// Nothing.
    #[default]
    None,
    /// The total only.
    Total,
    /// The total plus per table and per index.
    Indexes,
}

/// `Select`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Select {
    /// Every attribute (of the table, fetched for index queries).
    AllAttributes,
    /// Every attribute projected into the index.
    AllProjectedAttributes,
    /// The attributes named by the projection.
    SpecificAttributes,
    /// Only the count.
    Count,
}

impl Select {
    /// DynamoDB's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Select::AllAttributes => "ALL_ATTRIBUTES",
            Select::AllProjectedAttributes => "ALL_PROJECTED_ATTRIBUTES",
            Select::SpecificAttributes => "SPECIFIC_ATTRIBUTES",
            Select::Count => "COUNT",
        }
    }
}

/// `StreamViewType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamViewType {
    /// Keys only.
    KeysOnly,
    /// The new image.
    NewImage,
    /// The old image.
    OldImage,
    /// Both images.
    NewAndOldImages,
}

// ---------------------------------------------------------------------------------------
// Table definitions
// ---------------------------------------------------------------------------------------

/// `KeySchemaElement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// The attribute.
    pub attribute_name: String,
    /// HASH or RANGE.
    pub key_type: KeyType,
}

/// `AttributeDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// The attribute.
    pub attribute_name: String,
    /// S, N or B.
    pub attribute_type: ScalarAttributeType,
}

/// `ProvisionedThroughput` (input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughput {
    /// Read capacity units.
    pub read_capacity_units: i64,
    /// Write capacity units.
    pub write_capacity_units: i64,
}

/// `ProvisionedThroughputDescription` (output).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughputDescription {
    /// Epoch seconds of the last increase.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_increase_date_time: Option<f64>,
    /// Epoch seconds of the last decrease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_decrease_date_time: Option<f64>,
    /// Decreases in the current UTC day.
    pub number_of_decreases_today: i64,
    /// Read capacity units (0 for on-demand).
    pub read_capacity_units: i64,
    /// Write capacity units (0 for on-demand).
    pub write_capacity_units: i64,
}

/// `BillingModeSummary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingModeSummary {
    /// The mode.
    pub billing_mode: BillingMode,
    /// Epoch seconds of the last switch to on-demand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_to_pay_per_request_date_time: Option<f64>,
}

/// `Projection`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    /// ALL, KEYS_ONLY or INCLUDE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_type: Option<ProjectionType>,
    /// For INCLUDE: the extra attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub non_key_attributes: Option<Vec<String>>,
}

/// `GlobalSecondaryIndex` (input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndex {
    /// The index name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    pub projection: Projection,
    /// Its throughput (provisioned tables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `LocalSecondaryIndex` (input).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndex {
    /// The index name.
    pub index_name: String,
    /// Its key schema (the table's partition key + another sort key).
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    pub projection: Projection,
}

/// `StreamSpecification`. Stored in the catalog; streams themselves are not implemented.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecification {
    /// Whether a stream is on.
    pub stream_enabled: bool,
    /// What it records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<StreamViewType>,
}

/// `GlobalSecondaryIndexDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexDescription {
    /// The index name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    pub projection: Projection,
    /// CREATING while it backfills, then ACTIVE.
    pub index_status: IndexStatus,
    /// True while CREATING.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfilling: Option<bool>,
    /// Its throughput.
    pub provisioned_throughput: ProvisionedThroughputDescription,
    /// Approximate bytes (not tracked: 0).
    pub index_size_bytes: i64,
    /// Approximate items (not tracked: 0).
    pub item_count: i64,
    /// Its ARN.
    pub index_arn: String,
}

/// `LocalSecondaryIndexDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexDescription {
    /// The index name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    pub projection: Projection,
    /// Approximate bytes (not tracked: 0).
    pub index_size_bytes: i64,
    /// Approximate items (not tracked: 0).
    pub item_count: i64,
    /// Its ARN.
    pub index_arn: String,
}

/// `TableDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescription {
    /// The table name.
    pub table_name: String,
    /// Lifecycle status.
    pub table_status: TableStatus,
    /// The primary key.
    pub key_schema: Vec<KeySchemaElement>,
    /// Types of every key attribute of the table and its indexes.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// Epoch seconds.
    pub creation_date_time: f64,
    /// Throughput (zeros for on-demand).
    pub provisioned_throughput: ProvisionedThroughputDescription,
    /// Billing mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode_summary: Option<BillingModeSummary>,
    /// `arn:aws:dynamodb:<region>:<account>:table/<name>`.
    pub table_arn: String,
    /// A UUID-shaped id, stable for the table's life.
    pub table_id: String,
    /// Approximate items (not tracked: 0, as DynamoDB's is updated every ~6 hours).
    pub item_count: i64,
    /// Approximate bytes (not tracked: 0).
    pub table_size_bytes: i64,
    /// GSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexDescription>>,
    /// LSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexDescription>>,
    /// The stream specification, if one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// Whether DeleteTable is refused.
    pub deletion_protection_enabled: bool,
}

// ---------------------------------------------------------------------------------------
// Control plane
// ---------------------------------------------------------------------------------------

/// `CreateTable` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableInput {
    /// The table name.
    pub table_name: String,
    /// Types of every key attribute of the table and its indexes.
    #[serde(default)]
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The primary key.
    #[serde(default)]
    pub key_schema: Vec<KeySchemaElement>,
    /// LSIs (only at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndex>>,
    /// GSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    /// PROVISIONED (default) or PAY_PER_REQUEST.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<BillingMode>,
    /// Required for PROVISIONED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Stored, not acted on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// Refuse DeleteTable while set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
}

/// `CreateTable` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableOutput {
    /// The new table.
    pub table_description: TableDescription,
}

/// `DescribeTable` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTableInput {
    /// The table name.
    pub table_name: String,
}

/// `DescribeTable` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTableOutput {
    /// The table.
    pub table: TableDescription,
}

/// `ListTables` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesInput {
    /// Start after this name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_table_name: Option<String>,
    /// 1–100 (default 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `ListTables` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesOutput {
    /// Names in ascending order.
    pub table_names: Vec<String>,
    /// Set when more names follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_table_name: Option<String>,
}

/// `DeleteTable` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableInput {
    /// The table name.
    pub table_name: String,
}

/// `DeleteTable` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableOutput {
    /// The table, with status DELETING.
    pub table_description: TableDescription,
}

/// `CreateGlobalSecondaryIndexAction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGlobalSecondaryIndexAction {
    /// The index name.
    pub index_name: String,
    /// Its key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// What it projects.
    pub projection: Projection,
    /// Its throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `UpdateGlobalSecondaryIndexAction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateGlobalSecondaryIndexAction {
    /// The index name.
    pub index_name: String,
    /// The new throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `DeleteGlobalSecondaryIndexAction`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteGlobalSecondaryIndexAction {
    /// The index name.
    pub index_name: String,
}

/// `GlobalSecondaryIndexUpdate`: exactly one of the three.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexUpdate {
    /// Create an index (backfilled in the background).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create: Option<CreateGlobalSecondaryIndexAction>,
    /// Change an index's throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update: Option<UpdateGlobalSecondaryIndexAction>,
    /// Delete an index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete: Option<DeleteGlobalSecondaryIndexAction>,
}

/// `UpdateTable` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableInput {
    /// The table name.
    pub table_name: String,
    /// Needed when creating a GSI on new attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// The new billing mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<BillingMode>,
    /// The new throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// GSI create/update/delete (one per call).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_index_updates: Option<Vec<GlobalSecondaryIndexUpdate>>,
    /// The new stream specification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// Turn deletion protection on or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
}

/// `UpdateTable` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableOutput {
    /// The table after the change.
    pub table_description: TableDescription,
}

// ---------------------------------------------------------------------------------------
// Capacity
// ---------------------------------------------------------------------------------------

/// `Capacity`: units for one table or index.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capacity {
    /// Total units.
    pub capacity_units: f64,
    /// Read units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Write units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
}

/// `ConsumedCapacity`. Computed from item sizes by DynamoDB's rules; not enforced.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity {
    /// The table.
    pub table_name: String,
    /// Total units.
    pub capacity_units: f64,
    /// Read units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Write units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    /// The table's share (INDEXES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Capacity>,
    /// Per LSI (INDEXES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<BTreeMap<String, Capacity>>,
    /// Per GSI (INDEXES).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<BTreeMap<String, Capacity>>,
}

// ---------------------------------------------------------------------------------------
// Items
// ---------------------------------------------------------------------------------------

/// `PutItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemInput {
    /// The table.
    pub table_name: String,
    /// The whole item, keys included.
    pub item: Item,
    /// Must hold on the existing item (or its absence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// NONE or ALL_OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValue>,
    /// ALL_OLD puts the old item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy conditions (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<serde_json::Value>,
}

/// `PutItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemOutput {
    /// The old item for ALL_OLD (absent if there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `GetItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemInput {
    /// The table.
    pub table_name: String,
    /// The primary key.
    pub key: Key,
    /// Which attributes to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// Strongly consistent (every read is, here; it changes only the capacity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy projection: attribute names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `GetItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOutput {
    /// The item, absent if there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `UpdateItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemInput {
    /// The table.
    pub table_name: String,
    /// The primary key.
    pub key: Key,
    /// SET/REMOVE/ADD/DELETE; without it the item is created with just its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_expression: Option<String>,
    /// Must hold on the existing item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// Any ReturnValue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValue>,
    /// ALL_OLD puts the old item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy updates (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_updates: Option<serde_json::Value>,
    /// Legacy conditions (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<serde_json::Value>,
}

/// `UpdateItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemOutput {
    /// Per ReturnValues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `DeleteItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemInput {
    /// The table.
    pub table_name: String,
    /// The primary key.
    pub key: Key,
    /// Must hold on the existing item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// NONE or ALL_OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValue>,
    /// ALL_OLD puts the old item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy conditions (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<serde_json::Value>,
}

/// `DeleteItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemOutput {
    /// The old item for ALL_OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

// ---------------------------------------------------------------------------------------
// Query and Scan
// ---------------------------------------------------------------------------------------

/// `Query` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryInput {
    /// The table.
    pub table_name: String,
    /// Query an index instead of the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// `pk = :v [AND <sort key condition>]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_condition_expression: Option<String>,
    /// Applied after the page is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// Which attributes to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// Items to evaluate (before the filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Resume after this key (a previous LastEvaluatedKey).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<Key>,
    /// Ascending (default) or descending sort-key order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_index_forward: Option<bool>,
    /// What to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<Select>,
    /// Strongly consistent (not allowed on GSIs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy key conditions (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_conditions: Option<serde_json::Value>,
    /// Legacy filter (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_filter: Option<serde_json::Value>,
    /// Legacy projection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `Query` and `Scan` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryOutput {
    /// The matching items (absent for Select=COUNT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// Items after the filter.
    pub count: i64,
    /// Items evaluated before the filter.
    pub scanned_count: i64,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Key>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `Scan` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScanInput {
    /// The table.
    pub table_name: String,
    /// Scan an index instead of the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// Applied after the page is read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// Which attributes to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// Items to evaluate (before the filter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Resume after this key (a previous LastEvaluatedKey).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_key: Option<Key>,
    /// What to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub select: Option<Select>,
    /// This worker's segment, 0-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<i64>,
    /// Parallel-scan workers, 1–1,000,000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_segments: Option<i64>,
    /// Strongly consistent (not allowed on GSIs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy filter (not supported; rejected with NotImplemented).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_filter: Option<serde_json::Value>,
    /// Legacy projection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `Scan` output: the same shape as Query's.
pub type ScanOutput = QueryOutput;

// ---------------------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------------------

/// `KeysAndAttributes`: one table's part of a BatchGetItem.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes {
    /// The keys to read.
    pub keys: Vec<Key>,
    /// Which attributes to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// Strongly consistent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Legacy projection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `BatchGetItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemInput {
    /// Table name → keys.
    pub request_items: BTreeMap<String, KeysAndAttributes>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
}

/// `BatchGetItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    /// Table name → items found (in no particular order).
    pub responses: BTreeMap<String, Vec<Item>>,
    /// Keys not read because the response hit its size limit; retry them.
    pub unprocessed_keys: BTreeMap<String, KeysAndAttributes>,
    /// Capacity per table, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `PutRequest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequest {
    /// The item.
    pub item: Item,
}

/// `DeleteRequest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequest {
    /// The key.
    pub key: Key,
}

/// `WriteRequest`: exactly one of put or delete.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequest {
    /// A put.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put_request: Option<PutRequest>,
    /// A delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_request: Option<DeleteRequest>,
}

/// `BatchWriteItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemInput {
    /// Table name → requests.
    pub request_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
}

/// `BatchWriteItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemOutput {
    /// Requests not applied; retry them.
    pub unprocessed_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Capacity per table, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_table_input_accepts_what_the_aws_cli_sends() {
        let body = r#"{"AttributeDefinitions":[{"AttributeName":"UserId","AttributeType":"S"}],
            "TableName":"Users","KeySchema":[{"AttributeName":"UserId","KeyType":"HASH"}],
            "BillingMode":"PAY_PER_REQUEST","Tags":[],"SomethingNew":1}"#;
        let input: CreateTableInput = serde_json::from_str(body).unwrap();
        assert_eq!(input.table_name, "Users");
        assert_eq!(input.key_schema[0].key_type, KeyType::Hash);
        assert_eq!(input.billing_mode, Some(BillingMode::PayPerRequest));
        assert_eq!(
            input.attribute_definitions[0].attribute_type,
            ScalarAttributeType::S
        );
    }

    #[test]
    fn none_fields_are_omitted_and_names_are_pascal_case() {
        let out = QueryOutput {
            items: Some(vec![]),
            count: 0,
            scanned_count: 3,
            last_evaluated_key: None,
            consumed_capacity: None,
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"Items":[],"Count":0,"ScannedCount":3}"#
        );
        let rv: ReturnValue = serde_json::from_str("\"UPDATED_NEW\"").unwrap();
        assert_eq!(rv, ReturnValue::UpdatedNew);
    }
}

// ---------------------------------------------------------------------------------------
// Time to live
// ---------------------------------------------------------------------------------------

/// `TimeToLiveSpecification`: turn TTL on or off for one attribute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    /// On or off.
    pub enabled: bool,
    /// The attribute holding each item's expiry, a Number of seconds since the epoch.
    pub attribute_name: String,
}

/// `TimeToLiveStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TimeToLiveStatus {
    /// Being turned on (DynamoDB takes up to an hour; Shale never reports it).
    Enabling,
    /// Being turned off (never reported by Shale).
    Disabling,
    /// On.
    Enabled,
    /// Off.
    Disabled,
}

/// `TimeToLiveDescription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveDescription {
    /// On or off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live_status: Option<TimeToLiveStatus>,
    /// The TTL attribute, when on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_name: Option<String>,
}

/// `UpdateTimeToLive` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveInput {
    /// The table.
    pub table_name: String,
    /// The change.
    pub time_to_live_specification: TimeToLiveSpecification,
}

/// `UpdateTimeToLive` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTimeToLiveOutput {
    /// The specification as applied.
    pub time_to_live_specification: TimeToLiveSpecification,
}

/// `DescribeTimeToLive` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTimeToLiveInput {
    /// The table.
    pub table_name: String,
}

/// `DescribeTimeToLive` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTimeToLiveOutput {
    /// The table's TTL state.
    pub time_to_live_description: TimeToLiveDescription,
}
