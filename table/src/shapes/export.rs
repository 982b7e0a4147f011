//! Exports to and imports from files in DynamoDB's S3 layout: ExportTableToPointInTime,
//! DescribeExport, ListExports, ImportTable, DescribeImport, ListImports.
//!
//! Shale writes to (and reads from) a local directory where DynamoDB uses S3: `S3Bucket`
//! names a directory under `DatabaseOptions::export_dir` and `S3Prefix` / `S3KeyPrefix` a
//! path in it (see `docs/pitr-and-backups.md`).

use serde::{Deserialize, Serialize};

use super::*;

/// `ExportFormat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExportFormat {
    /// One `{"Item":{...}}` per line, gzipped (the default; the only one Shale writes).
    #[serde(rename = "DYNAMODB_JSON")]
    DynamodbJson,
    /// Amazon Ion text (not written by Shale).
    #[serde(rename = "ION")]
    Ion,
}

/// `ExportType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportType {
    /// The whole table at one time (the default; the only one Shale makes).
    FullExport,
    /// The changes between two times (not made by Shale).
    IncrementalExport,
}

/// `ExportStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExportStatus {
    /// Running (Shale's exports run inside the request, so only a concurrent describe
    /// sees this).
    InProgress,
    /// Every file and manifest is written.
    Completed,
    /// Stopped: see `FailureCode` and `FailureMessage`.
    Failed,
}

/// `S3SseAlgorithm`: accepted and recorded; Shale does not encrypt the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum S3SseAlgorithm {
    /// S3-managed keys.
    #[serde(rename = "AES256")]
    Aes256,
    /// KMS keys.
    #[serde(rename = "KMS")]
    Kms,
}

/// `IncrementalExportSpecification`: Shale refuses it (incremental exports are not built).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IncrementalExportSpecification {
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_from_time: Option<f64>,
    /// Epoch seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_to_time: Option<f64>,
    /// `NEW_IMAGE` or `NEW_AND_OLD_IMAGES`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_view_type: Option<String>,
}

/// `ExportTableToPointInTime` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportTableToPointInTimeInput {
    /// The table's ARN (Shale also accepts its name).
    pub table_arn: String,
    /// The point in time, epoch seconds, inside the table's PITR window (default: now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_time: Option<f64>,
    /// Echoed in the description (Shale does not deduplicate requests by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// A directory under the export root.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: String,
    /// Recorded, not checked.
    #[serde(rename = "S3BucketOwner", skip_serializing_if = "Option::is_none")]
    pub s3_bucket_owner: Option<String>,
    /// A relative path inside the bucket.
    #[serde(rename = "S3Prefix", skip_serializing_if = "Option::is_none")]
    pub s3_prefix: Option<String>,
    /// Recorded, not applied.
    #[serde(rename = "S3SseAlgorithm", skip_serializing_if = "Option::is_none")]
    pub s3_sse_algorithm: Option<S3SseAlgorithm>,
    /// Recorded, not applied.
    #[serde(rename = "S3SseKmsKeyId", skip_serializing_if = "Option::is_none")]
    pub s3_sse_kms_key_id: Option<String>,
    /// Default DYNAMODB_JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_format: Option<ExportFormat>,
    /// Default FULL_EXPORT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_type: Option<ExportType>,
    /// Refused (incremental exports are not built).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incremental_export_specification: Option<IncrementalExportSpecification>,
    /// Which items and attributes to export: Query's key condition, filter and
    /// projection, applied to the table as of the export time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_specification: Option<FilterSpecification>,
}

/// `FilterSpecification`: which items and attributes an export writes, with Query's
/// syntax. A key condition names one partition (and optionally a sort condition); the
/// filter may then read only non-key attributes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FilterSpecification {
    /// Items to keep, as a Query's or Scan's FilterExpression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter_expression: Option<String>,
    /// Attributes to write, as a ProjectionExpression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// One partition (and sort range), as a Query's KeyConditionExpression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<BTreeMap<String, String>>,
    /// `:value` placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<BTreeMap<String, AttributeValue>>,
}

/// `ExportDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportDescription {
    /// `arn:aws:dynamodb:<region>:<account>:table/<name>/export/<ms:014>-<8 hex>`.
    pub export_arn: String,
    /// Status.
    pub export_status: ExportStatus,
    /// Epoch seconds.
    pub start_time: f64,
    /// Epoch seconds, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    /// The key of `manifest-summary.json` in the bucket, once written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_manifest: Option<String>,
    /// The table's ARN.
    pub table_arn: String,
    /// The table's id.
    pub table_id: String,
    /// The point in time exported, epoch seconds.
    pub export_time: f64,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// As given.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: String,
    /// As given.
    #[serde(rename = "S3BucketOwner", skip_serializing_if = "Option::is_none")]
    pub s3_bucket_owner: Option<String>,
    /// As given.
    #[serde(rename = "S3Prefix", skip_serializing_if = "Option::is_none")]
    pub s3_prefix: Option<String>,
    /// As given.
    #[serde(rename = "S3SseAlgorithm", skip_serializing_if = "Option::is_none")]
    pub s3_sse_algorithm: Option<S3SseAlgorithm>,
    /// As given.
    #[serde(rename = "S3SseKmsKeyId", skip_serializing_if = "Option::is_none")]
    pub s3_sse_kms_key_id: Option<String>,
    /// Why it failed (a short code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
    /// DYNAMODB_JSON.
    pub export_format: ExportFormat,
    /// The exported items' bytes (DynamoDB's item sizes), once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billed_size_bytes: Option<i64>,
    /// The exported items, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// FULL_EXPORT.
    pub export_type: ExportType,
    /// The request's filter, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_specification: Option<FilterSpecification>,
}

/// `ExportTableToPointInTime` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportTableToPointInTimeOutput {
    /// The export: COMPLETED (or FAILED) already, as Shale exports inside the request.
    pub export_description: ExportDescription,
}

/// `DescribeExport` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeExportInput {
    /// The export.
    pub export_arn: String,
}

/// `DescribeExport` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeExportOutput {
    /// The export.
    pub export_description: ExportDescription,
}

/// `ExportSummary` (ListExports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExportSummary {
    /// The export.
    pub export_arn: String,
    /// Its status.
    pub export_status: ExportStatus,
    /// Its type.
    pub export_type: ExportType,
}

/// `ListExports` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExportsInput {
    /// Only this table's exports (ARN or name; a deleted table is fine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_arn: Option<String>,
    /// At most this many (1 to 25, default 25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_results: Option<i64>,
    /// Where the previous page ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `ListExports` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListExportsOutput {
    /// The exports, oldest first.
    pub export_summaries: Vec<ExportSummary>,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `InputFormat` (ImportTable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputFormat {
    /// One `{"Item":{...}}` per line: what an export writes.
    #[serde(rename = "DYNAMODB_JSON")]
    DynamodbJson,
    /// Amazon Ion text (not read by Shale).
    #[serde(rename = "ION")]
    Ion,
    /// Delimited text.
    #[serde(rename = "CSV")]
    Csv,
}

/// `InputCompressionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InputCompressionType {
    /// gzip (one or more members per file).
    Gzip,
    /// Zstandard (not read by Shale).
    Zstd,
    /// Plain (the default).
    None,
}

/// `CsvOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CsvOptions {
    /// One of `,;:|\t ` and space (default `,`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// The column names; when given, every line is data (else each file's first line is
    /// its header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header_list: Option<Vec<String>>,
}

/// `InputFormatOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputFormatOptions {
    /// For CSV.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csv: Option<CsvOptions>,
}

/// `S3BucketSource`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3BucketSource {
    /// Recorded, not checked.
    #[serde(rename = "S3BucketOwner", skip_serializing_if = "Option::is_none")]
    pub s3_bucket_owner: Option<String>,
    /// A directory under the import root.
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: String,
    /// Every file whose key (its path in the bucket, `/`-separated) starts with this.
    #[serde(rename = "S3KeyPrefix", skip_serializing_if = "Option::is_none")]
    pub s3_key_prefix: Option<String>,
}

/// `TableCreationParameters`: the table an import creates.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableCreationParameters {
    /// The new table.
    pub table_name: String,
    /// Types of every key attribute of the table and its GSIs.
    #[serde(default)]
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The primary key.
    #[serde(default)]
    pub key_schema: Vec<KeySchemaElement>,
    /// PROVISIONED (default) or PAY_PER_REQUEST.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<BillingMode>,
    /// Required for PROVISIONED.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughput>,
    /// Server-side encryption, stored and described as CreateTable's (see
    /// [`SseSpecification`]).
    #[serde(rename = "SSESpecification", skip_serializing_if = "Option::is_none")]
    pub sse_specification: Option<SseSpecification>,
    /// GSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndex>>,
    /// An on-demand table's maximum throughput, as CreateTable's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Vector indexes (vector search): not implemented, refused when set.
    #[serde(default, skip_serializing)]
    pub vector_indexes: Option<serde::de::IgnoredAny>,
}

/// `ImportTable` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTableInput {
    /// Echoed in the description (Shale does not deduplicate requests by it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// Where the files are.
    #[serde(rename = "S3BucketSource")]
    pub s3_bucket_source: S3BucketSource,
    /// DYNAMODB_JSON or CSV (required).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_format: Option<InputFormat>,
    /// CSV's delimiter and header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_format_options: Option<InputFormatOptions>,
    /// GZIP or NONE (default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_compression_type: Option<InputCompressionType>,
    /// The table to create.
    pub table_creation_parameters: TableCreationParameters,
}

/// `ImportStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportStatus {
    /// Running.
    InProgress,
    /// Done; bad lines, if any, are in `ErrorCount`.
    Completed,
    /// Being cancelled (never in Shale).
    Cancelling,
    /// Cancelled (never in Shale).
    Cancelled,
    /// Stopped; the table was not kept.
    Failed,
}

/// `ImportTableDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTableDescription {
    /// `arn:aws:dynamodb:<region>:<account>:table/<name>/import/<ms:014>-<8 hex>`.
    pub import_arn: String,
    /// Status.
    pub import_status: ImportStatus,
    /// The new table's ARN.
    pub table_arn: String,
    /// The new table's id.
    pub table_id: String,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
    /// As given.
    #[serde(rename = "S3BucketSource")]
    pub s3_bucket_source: S3BucketSource,
    /// Lines (or files) that could not be imported.
    pub error_count: i64,
    /// As given.
    pub input_format: InputFormat,
    /// As given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_format_options: Option<InputFormatOptions>,
    /// As given (NONE by default).
    pub input_compression_type: InputCompressionType,
    /// The table as created.
    pub table_creation_parameters: TableCreationParameters,
    /// Epoch seconds.
    pub start_time: f64,
    /// Epoch seconds, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
    /// Bytes of the source files read.
    pub processed_size_bytes: i64,
    /// Lines read (items and bad lines).
    pub processed_item_count: i64,
    /// Items written.
    pub imported_item_count: i64,
    /// Why it failed (a short code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_message: Option<String>,
}

/// `ImportTable` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportTableOutput {
    /// The import: COMPLETED (or FAILED) already, as Shale imports inside the request.
    pub import_table_description: ImportTableDescription,
}

/// `DescribeImport` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeImportInput {
    /// The import.
    pub import_arn: String,
}

/// `DescribeImport` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeImportOutput {
    /// The import.
    pub import_table_description: ImportTableDescription,
}

/// `ImportSummary` (ListImports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportSummary {
    /// The import.
    pub import_arn: String,
    /// Its status.
    pub import_status: ImportStatus,
    /// The table it created.
    pub table_arn: String,
    /// Where from.
    #[serde(rename = "S3BucketSource")]
    pub s3_bucket_source: S3BucketSource,
    /// The format.
    pub input_format: InputFormat,
    /// Epoch seconds.
    pub start_time: f64,
    /// Epoch seconds, once finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<f64>,
}

/// `ListImports` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListImportsInput {
    /// Only imports into this table (ARN or name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_arn: Option<String>,
    /// At most this many (1 to 25, default 25).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<i64>,
    /// Where the previous page ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `ListImports` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListImportsOutput {
    /// The imports, oldest first.
    pub import_summary_list: Vec<ImportSummary>,
    /// Where the next page starts; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
