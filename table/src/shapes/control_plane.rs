//! CreateTable, DescribeTable, ListTables, UpdateTable and DeleteTable.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::*;

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
    /// The table's stream (`docs/streams.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// Refuse DeleteTable while set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
    /// Tags for the new table (as TagResource would add them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<Tag>>,
    /// An on-demand table's maximum throughput (enforced: see `docs/capacity.md`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// STANDARD or STANDARD_INFREQUENT_ACCESS (stored and described).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class: Option<TableClass>,
    /// Server-side encryption (stored and described; see [`SseSpecification`]).
    #[serde(rename = "SSESpecification", skip_serializing_if = "Option::is_none")]
    pub sse_specification: Option<SseSpecification>,
    /// A resource-based policy for the new table (as PutResourcePolicy would attach it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    // Members DynamoDB has and Shale does not implement: a request that sets one is
    // refused (`Error::NotImplemented`, see `CreateTableInput::unimplemented_member`)
    // rather than served without it. Only whether they are set is kept.
    /// Vector indexes (vector search): not implemented.
    #[serde(default, skip_serializing)]
    pub vector_indexes: Option<IgnoredAny>,
    /// Pre-warmed throughput: not implemented.
    #[serde(default, skip_serializing)]
    pub warm_throughput: Option<IgnoredAny>,
    /// A global table's source (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub global_table_source_arn: Option<IgnoredAny>,
    /// A global table's settings replication (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub global_table_settings_replication_mode: Option<IgnoredAny>,
}

impl CreateTableInput {
    /// The first member the request set that Shale does not implement, by its name.
    pub fn unimplemented_member(&self) -> Option<&'static str> {
        let gsi_warm = self
            .global_secondary_indexes
            .iter()
            .flatten()
            .any(|g| g.warm_throughput.is_some());
        first_set(&[
            ("VectorIndexes", self.vector_indexes.is_some()),
            ("WarmThroughput", self.warm_throughput.is_some() || gsi_warm),
            (
                "GlobalTableSourceArn",
                self.global_table_source_arn.is_some(),
            ),
            (
                "GlobalTableSettingsReplicationMode",
                self.global_table_settings_replication_mode.is_some(),
            ),
        ])
    }
}

/// The first name in `members` whose flag is set.
fn first_set(members: &[(&'static str, bool)]) -> Option<&'static str> {
    members.iter().find_map(|&(name, set)| set.then_some(name))
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
    /// Its on-demand maxima (on an on-demand table; ignored otherwise, as CreateTable's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Pre-warmed throughput: not implemented, refused when set.
    #[serde(default, skip_serializing)]
    pub warm_throughput: Option<IgnoredAny>,
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
    /// New on-demand maxima (each given replaces the old; -1 removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Pre-warmed throughput: not implemented, refused when set.
    #[serde(default, skip_serializing)]
    pub warm_throughput: Option<IgnoredAny>,
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
    /// A new maximum throughput for an on-demand table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// A new table class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class: Option<TableClass>,
    /// New server-side encryption settings.
    #[serde(rename = "SSESpecification", skip_serializing_if = "Option::is_none")]
    pub sse_specification: Option<SseSpecification>,
    // Members DynamoDB has and Shale does not implement, as CreateTable's
    // (`UpdateTableInput::unimplemented_member`).
    /// Replicas (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub replica_updates: Option<IgnoredAny>,
    /// Vector index changes (vector search): not implemented.
    #[serde(default, skip_serializing)]
    pub vector_index_updates: Option<IgnoredAny>,
    /// Pre-warmed throughput: not implemented.
    #[serde(default, skip_serializing)]
    pub warm_throughput: Option<IgnoredAny>,
    /// A global table's consistency (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub multi_region_consistency: Option<IgnoredAny>,
    /// A global table's witness (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub global_table_witness_updates: Option<IgnoredAny>,
    /// A global table's settings replication (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub global_table_settings_replication_mode: Option<IgnoredAny>,
    /// A global table's disassociation protection (global tables): not implemented.
    #[serde(default, skip_serializing)]
    pub disassociation_protection_enabled: Option<IgnoredAny>,
}

impl UpdateTableInput {
    /// The first member the request set that Shale does not implement, by its name.
    pub fn unimplemented_member(&self) -> Option<&'static str> {
        let gsi_warm = self
            .global_secondary_index_updates
            .iter()
            .flatten()
            .any(|u| {
                u.create
                    .as_ref()
                    .is_some_and(|c| c.warm_throughput.is_some())
                    || u.update
                        .as_ref()
                        .is_some_and(|c| c.warm_throughput.is_some())
            });
        first_set(&[
            ("ReplicaUpdates", self.replica_updates.is_some()),
            ("VectorIndexUpdates", self.vector_index_updates.is_some()),
            ("WarmThroughput", self.warm_throughput.is_some() || gsi_warm),
            (
                "MultiRegionConsistency",
                self.multi_region_consistency.is_some(),
            ),
            (
                "GlobalTableWitnessUpdates",
                self.global_table_witness_updates.is_some(),
            ),
            (
                "GlobalTableSettingsReplicationMode",
                self.global_table_settings_replication_mode.is_some(),
            ),
            (
                "DisassociationProtectionEnabled",
                self.disassociation_protection_enabled.is_some(),
            ),
        ])
    }
}

/// `UpdateTable` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableOutput {
    /// The table after the change.
    pub table_description: TableDescription,
}
