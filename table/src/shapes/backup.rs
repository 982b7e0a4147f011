//! Point-in-time recovery (UpdateContinuousBackups, DescribeContinuousBackups,
//! RestoreTableToPointInTime) and on-demand backups (CreateBackup, DescribeBackup,
//! ListBackups, DeleteBackup, RestoreTableFromBackup).

use serde::{Deserialize, Serialize};

use super::*;

/// `ContinuousBackupsStatus`: always ENABLED in Shale (DynamoDB enables continuous
/// backups on every table at creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContinuousBackupsStatus {
    /// On.
    Enabled,
    /// Off.
    Disabled,
}

/// `PointInTimeRecoveryStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PointInTimeRecoveryStatus {
    /// On.
    Enabled,
    /// Off.
    Disabled,
}

/// `PointInTimeRecoverySpecification` (input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    /// On or off (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time_recovery_enabled: Option<bool>,
    /// The window in days, 1 to 35 (default 35); only with `Enabled = true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_period_in_days: Option<i64>,
}

/// `PointInTimeRecoveryDescription`. Only the status when off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoveryDescription {
    /// On or off.
    pub point_in_time_recovery_status: PointInTimeRecoveryStatus,
    /// The window in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovery_period_in_days: Option<i64>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest_restorable_date_time: Option<f64>,
    /// Epoch seconds: Shale's is now (every acknowledged write is restorable), where
    /// DynamoDB's trails by about five minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_restorable_date_time: Option<f64>,
}

/// `ContinuousBackupsDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContinuousBackupsDescription {
    /// Always ENABLED.
    pub continuous_backups_status: ContinuousBackupsStatus,
    /// Point-in-time recovery.
    pub point_in_time_recovery_description: PointInTimeRecoveryDescription,
}

/// `UpdateContinuousBackups` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateContinuousBackupsInput {
    /// The table (name or ARN).
    pub table_name: String,
    /// The change (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time_recovery_specification: Option<PointInTimeRecoverySpecification>,
}

/// `UpdateContinuousBackups` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateContinuousBackupsOutput {
    /// The settings as applied.
    pub continuous_backups_description: ContinuousBackupsDescription,
}

/// `DescribeContinuousBackups` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeContinuousBackupsInput {
    /// The table (name or ARN).
    pub table_name: String,
}

/// `DescribeContinuousBackups` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeContinuousBackupsOutput {
    /// The settings.
    pub continuous_backups_description: ContinuousBackupsDescription,
}

/// `SSESpecification`: on CreateTable and UpdateTable, stored and described
/// (SSEDescription) without encrypting anything (Shale has no KMS; its files are not
/// encrypted at rest, as DynamoDB Local's are not); as a restore's override, accepted
/// and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseSpecification {
    /// Whether server-side encryption is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// `AES256` or `KMS`.
    #[serde(rename = "SSEType", skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<String>,
    /// A KMS key.
    #[serde(rename = "KMSMasterKeyId", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
}

/// The overrides both restores take.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreOverrides {
    /// A billing mode other than the source's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode_override: Option<BillingMode>,
    /// The GSIs to restore (a subset of the source's, by name); `[]` restores none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_index_override: Option<Vec<GlobalSecondaryIndex>>,
    /// The LSIs to restore (a subset of the source's, by name); `[]` restores none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_index_override: Option<Vec<LocalSecondaryIndex>>,
    /// The base table's provisioned throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput_override: Option<ProvisionedThroughput>,
    /// The restored table's server-side encryption, stored and described as
    /// CreateTable's `SSESpecification` (see [`SseSpecification`]).
    #[serde(
        rename = "SSESpecificationOverride",
        skip_serializing_if = "Option::is_none"
    )]
    pub sse_specification_override: Option<SseSpecification>,
    /// An on-demand target's maximum throughput (else the source's, when the target is
    /// on demand).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput_override: Option<OnDemandThroughput>,
    /// Vector indexes (vector search): not implemented, refused when set.
    #[serde(default, skip_serializing)]
    pub vector_index_override: Option<serde::de::IgnoredAny>,
}

/// `RestoreTableToPointInTime` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableToPointInTimeInput {
    /// The source table's ARN (exactly one of this and `SourceTableName`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_table_arn: Option<String>,
    /// The source table's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_table_name: Option<String>,
    /// The new table.
    pub target_table_name: String,
    /// Restore to the latest restorable time (exactly one of this and `RestoreDateTime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_latest_restorable_time: Option<bool>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_date_time: Option<f64>,
    /// Overrides.
    #[serde(flatten)]
    pub overrides: RestoreOverrides,
}

/// `RestoreTableToPointInTime` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableToPointInTimeOutput {
    /// The new table, CREATING with a `RestoreSummary` while the restore runs.
    pub table_description: TableDescription,
}

/// `RestoreTableFromBackup` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableFromBackupInput {
    /// The new table.
    pub target_table_name: String,
    /// The backup.
    pub backup_arn: String,
    /// Overrides.
    #[serde(flatten)]
    pub overrides: RestoreOverrides,
}

/// `RestoreTableFromBackup` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreTableFromBackupOutput {
    /// The new table, CREATING with a `RestoreSummary` while the restore runs.
    pub table_description: TableDescription,
}

/// `RestoreSummary`, in a table description while a restore into it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSummary {
    /// The backup restored from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_backup_arn: Option<String>,
    /// The table restored from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_table_arn: Option<String>,
    /// The point in time (or the backup's creation time), epoch seconds.
    pub restore_date_time: f64,
    /// Whether the restore is still running.
    pub restore_in_progress: bool,
}

/// `BackupStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackupStatus {
    /// Being taken.
    Creating,
    /// Deleted (DeleteBackup's answer).
    Deleted,
    /// Ready to restore.
    Available,
}

/// `BackupType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackupType {
    /// CreateBackup.
    User,
    /// Taken by DynamoDB (Shale never makes one).
    System,
    /// AWS Backup (never in Shale).
    AwsBackup,
}

/// `BackupTypeFilter` (ListBackups).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackupTypeFilter {
    /// USER backups (the default).
    User,
    /// SYSTEM backups.
    System,
    /// AWS Backup's.
    AwsBackup,
    /// USER and SYSTEM.
    All,
}

/// `BackupDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDetails {
    /// `arn:aws:dynamodb:<region>:<account>:table/<name>/backup/<ms:014>-<8 hex>`.
    pub backup_arn: String,
    /// The name given (not unique).
    pub backup_name: String,
    /// Bytes of the table's items when the backup was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_size_bytes: Option<i64>,
    /// Status.
    pub backup_status: BackupStatus,
    /// Type.
    pub backup_type: BackupType,
    /// Epoch seconds (millisecond precision).
    pub backup_creation_date_time: f64,
}

/// `SourceTableDetails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceTableDetails {
    /// The table's name.
    pub table_name: String,
    /// Its id.
    pub table_id: String,
    /// Its ARN.
    pub table_arn: String,
    /// Bytes of its items at backup time.
    pub table_size_bytes: i64,
    /// Its key.
    pub key_schema: Vec<KeySchemaElement>,
    /// Epoch seconds.
    pub table_creation_date_time: f64,
    /// Its throughput (zeros for on-demand).
    pub provisioned_throughput: ProvisionedThroughput,
    /// Items at backup time.
    pub item_count: i64,
    /// Its billing mode.
    pub billing_mode: BillingMode,
}

/// A secondary index as a backup records it (`LocalSecondaryIndexInfo`,
/// `GlobalSecondaryIndexInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecondaryIndexInfo {
    /// The index name.
    pub index_name: String,
    /// Its key.
    pub key_schema: Vec<KeySchemaElement>,
    /// Its projection.
    pub projection: Projection,
    /// A GSI's throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
}

/// `SourceTableFeatureDetails`: members only for the features the table had.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SourceTableFeatureDetails {
    /// LSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<SecondaryIndexInfo>>,
    /// GSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<SecondaryIndexInfo>>,
    /// The stream setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_description: Option<StreamSpecification>,
    /// The TTL setting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live_description: Option<TimeToLiveDescription>,
}

/// `BackupDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupDescription {
    /// The backup.
    pub backup_details: BackupDetails,
    /// The table it came from.
    pub source_table_details: SourceTableDetails,
    /// That table's features.
    pub source_table_feature_details: SourceTableFeatureDetails,
}

/// `BackupSummary` (ListBackups).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupSummary {
    /// The source table's name.
    pub table_name: String,
    /// Its id.
    pub table_id: String,
    /// Its ARN.
    pub table_arn: String,
    /// The backup's ARN.
    pub backup_arn: String,
    /// The backup's name.
    pub backup_name: String,
    /// Epoch seconds.
    pub backup_creation_date_time: f64,
    /// Status.
    pub backup_status: BackupStatus,
    /// Type.
    pub backup_type: BackupType,
    /// Bytes.
    pub backup_size_bytes: i64,
}

/// `CreateBackup` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupInput {
    /// The table (name or ARN).
    pub table_name: String,
    /// A name for the backup.
    pub backup_name: String,
}

/// `CreateBackup` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupOutput {
    /// The backup.
    pub backup_details: BackupDetails,
}

/// `DescribeBackup` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupInput {
    /// The backup.
    pub backup_arn: String,
}

/// `DescribeBackup` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupOutput {
    /// The backup.
    pub backup_description: BackupDescription,
}

/// `DeleteBackup` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteBackupInput {
    /// The backup.
    pub backup_arn: String,
}

/// `DeleteBackup` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteBackupOutput {
    /// The backup as it was, with status DELETED.
    pub backup_description: BackupDescription,
}

/// `ListBackups` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupsInput {
    /// Only this table's backups (name or ARN; a table that no longer exists is fine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// At most this many (1 to 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Created at or after (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range_lower_bound: Option<f64>,
    /// Created before (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_range_upper_bound: Option<f64>,
    /// Resume after this backup.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclusive_start_backup_arn: Option<String>,
    /// Which types (default USER).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_type: Option<BackupTypeFilter>,
}

/// `ListBackups` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListBackupsOutput {
    /// The backups, oldest first.
    pub backup_summaries: Vec<BackupSummary>,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_backup_arn: Option<String>,
}
