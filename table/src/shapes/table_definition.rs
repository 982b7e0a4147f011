//! Key schemas, indexes, throughput and table descriptions: the parts of a table definition.

use serde::{Deserialize, Serialize};

use super::*;

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

/// `OnDemandThroughput`: the most request units per second an on-demand table serves
/// (input and output). Absent or `-1` means no maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OnDemandThroughput {
    /// MaxReadRequestUnits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_read_request_units: Option<i64>,
    /// MaxWriteRequestUnits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_write_request_units: Option<i64>,
}

impl OnDemandThroughput {
    /// The read maximum, when one is set (a positive value).
    pub fn max_read_units(&self) -> Option<u64> {
        self.max_read_request_units
            .filter(|u| *u > 0)
            .map(|u| u as u64)
    }
    /// The write maximum, when one is set (a positive value).
    pub fn max_write_units(&self) -> Option<u64> {
        self.max_write_request_units
            .filter(|u| *u > 0)
            .map(|u| u as u64)
    }
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

/// `TableClass`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TableClass {
    /// The default class.
    Standard,
    /// Cheaper storage, dearer access (DynamoDB's pricing; Shale stores it and says so).
    StandardInfrequentAccess,
}

/// `TableClassSummary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableClassSummary {
    /// The class.
    pub table_class: TableClass,
    /// Epoch seconds of the last change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_date_time: Option<f64>,
}

/// `SSEType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SseType {
    /// `AES256`.
    #[serde(rename = "AES256")]
    Aes256,
    /// `KMS`.
    #[serde(rename = "KMS")]
    Kms,
}

/// `SSEDescription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SseDescription {
    /// `ENABLED`.
    #[serde(rename = "Status")]
    pub status: String,
    /// `KMS`.
    #[serde(rename = "SSEType")]
    pub sse_type: SseType,
    /// The key, when one was named.
    #[serde(rename = "KMSMasterKeyArn", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_arn: Option<String>,
}

/// `TableWarmThroughputDescription` / `GlobalSecondaryIndexWarmThroughputDescription`:
/// the throughput the table's (or index's) partitions can serve at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WarmThroughputDescription {
    /// Read units per second.
    pub read_units_per_second: i64,
    /// Write units per second.
    pub write_units_per_second: i64,
    /// `ACTIVE`.
    pub status: String,
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
    /// Its own on-demand maxima (on-demand tables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Pre-warmed throughput: not implemented, refused when set.
    #[serde(default, skip_serializing)]
    pub warm_throughput: Option<serde::de::IgnoredAny>,
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

/// `StreamSpecification`: whether the table's stream is on, and what it records.
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
    /// Its own on-demand maxima, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
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
    /// The stream specification, while a stream is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// The latest stream's ARN (kept after it is disabled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_stream_arn: Option<String>,
    /// The latest stream's label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_stream_label: Option<String>,
    /// Whether DeleteTable is refused.
    pub deletion_protection_enabled: bool,
    /// An on-demand table's maximum throughput, if one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// While a restore into this table runs: where from and to when.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_summary: Option<RestoreSummary>,
    /// The table class, when one was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class_summary: Option<TableClassSummary>,
    /// Server-side encryption with a KMS key, when specified.
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    pub sse_description: Option<SseDescription>,
    /// What the table's partitions serve at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughputDescription>,
}
