//! DynamoDB Streams (`DynamoDBStreams_20120810`): ListStreams, DescribeStream,
//! GetShardIterator, GetRecords. Timestamps are epoch seconds (JSON numbers), sequence
//! numbers decimal strings, as on the wire.

use serde::{Deserialize, Serialize};

use super::{Key, KeySchemaElement, StreamViewType};
use crate::types::Item;

/// `ListStreams` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsInput {
    /// Only this table's streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// Most streams returned (1–100; default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Start after this stream (the previous page's LastEvaluatedStreamArn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_stream_arn: Option<String>,
}

/// One stream in a `ListStreams` page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSummary {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its table.
    pub table_name: String,
    /// Its label (creation time, ISO 8601 UTC with milliseconds).
    pub stream_label: String,
}

/// `ListStreams` output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsOutput {
    /// The streams, by table name then creation.
    pub streams: Vec<StreamSummary>,
    /// Present when more streams follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_stream_arn: Option<String>,
}

/// `DescribeStream` input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamInput {
    /// The stream.
    pub stream_arn: String,
    /// Most shards returned (1–100; default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// Start after this shard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclusive_start_shard_id: Option<String>,
    /// Only the shards the filter names (the children of one shard).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_filter: Option<ShardFilter>,
}

/// `ShardFilter`: which shards DescribeStream returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ShardFilter {
    /// The kind of filter; `CHILD_SHARDS`, the only one, when absent.
    #[serde(default, rename = "Type", skip_serializing_if = "Option::is_none")]
    pub filter_type: Option<ShardFilterType>,
    /// The parent shard whose children are wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
}

/// `ShardFilterType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShardFilterType {
    /// The children of `ShardFilter::shard_id`.
    ChildShards,
}

/// `StreamStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamStatus {
    /// Being enabled (never reported: Shale enables at once).
    Enabling,
    /// Recording.
    Enabled,
    /// Being disabled (never reported).
    Disabling,
    /// No longer recording; readable for 24 hours.
    Disabled,
}

/// `SequenceNumberRange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceNumberRange {
    /// The shard's first sequence number.
    pub starting_sequence_number: String,
    /// Its last, once the shard is closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending_sequence_number: Option<String>,
}

/// `Shard`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Shard {
    /// `shardId-<20 digits>-<8 hex>`.
    pub shard_id: String,
    /// Its sequence numbers.
    pub sequence_number_range: SequenceNumberRange,
    /// The shard it follows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
}

/// `StreamDescription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescription {
    /// The stream's ARN.
    pub stream_arn: String,
    /// Its label.
    pub stream_label: String,
    /// Enabled or disabled.
    pub stream_status: StreamStatus,
    /// What its records hold.
    pub stream_view_type: StreamViewType,
    /// When it was enabled (epoch seconds).
    pub creation_request_date_time: f64,
    /// Its table.
    pub table_name: String,
    /// The table's key schema.
    pub key_schema: Vec<KeySchemaElement>,
    /// Its shards, oldest first.
    pub shards: Vec<Shard>,
    /// Present when more shards follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_shard_id: Option<String>,
}

/// `DescribeStream` output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamOutput {
    /// The stream.
    pub stream_description: StreamDescription,
}

/// `ShardIteratorType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShardIteratorType {
    /// The oldest record the shard still holds.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// At a sequence number.
    AtSequenceNumber,
    /// Just after a sequence number.
    AfterSequenceNumber,
}

impl ShardIteratorType {
    /// DynamoDB's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ShardIteratorType::TrimHorizon => "TRIM_HORIZON",
            ShardIteratorType::Latest => "LATEST",
            ShardIteratorType::AtSequenceNumber => "AT_SEQUENCE_NUMBER",
            ShardIteratorType::AfterSequenceNumber => "AFTER_SEQUENCE_NUMBER",
        }
    }
}

/// `GetShardIterator` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorInput {
    /// The stream.
    pub stream_arn: String,
    /// The shard.
    pub shard_id: String,
    /// Where to start.
    pub shard_iterator_type: ShardIteratorType,
    /// For AT_ and AFTER_SEQUENCE_NUMBER.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

/// `GetShardIterator` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorOutput {
    /// The iterator (valid for 15 minutes).
    pub shard_iterator: String,
}

/// `GetRecords` input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsInput {
    /// Where to read.
    pub shard_iterator: String,
    /// Most records returned (1–1000; default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// `OperationType`: what a record's write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationType {
    /// A new item.
    Insert,
    /// A changed item.
    Modify,
    /// A deleted item.
    Remove,
}

/// `Identity`: who made a change, present only for TTL deletions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// `dynamodb.amazonaws.com`.
    #[serde(rename = "PrincipalId")]
    pub principal_id: String,
    /// `Service`.
    #[serde(rename = "Type")]
    pub identity_type: String,
}

/// `StreamRecord`: the `dynamodb` member of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamRecordBody {
    /// Commit time, epoch seconds rounded down.
    pub approximate_creation_date_time: f64,
    /// The item's key.
    pub keys: Key,
    /// The item after the change (NEW_IMAGE, NEW_AND_OLD_IMAGES; not for REMOVE).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_image: Option<Item>,
    /// The item before (OLD_IMAGE, NEW_AND_OLD_IMAGES; not for INSERT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_image: Option<Item>,
    /// Its sequence number: increasing within the shard.
    pub sequence_number: String,
    /// The sizes of Keys and the images, by DynamoDB's item-size rules.
    pub size_bytes: i64,
    /// The stream's view type.
    pub stream_view_type: StreamViewType,
}

/// `Record`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// A unique id (32 hex digits).
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// INSERT, MODIFY or REMOVE.
    #[serde(rename = "eventName")]
    pub event_name: OperationType,
    /// `1.1`.
    #[serde(rename = "eventVersion")]
    pub event_version: String,
    /// `aws:dynamodb`.
    #[serde(rename = "eventSource")]
    pub event_source: String,
    /// The server's region.
    #[serde(rename = "awsRegion")]
    pub aws_region: String,
    /// The change.
    pub dynamodb: StreamRecordBody,
    /// For TTL deletions: the service.
    #[serde(rename = "userIdentity", skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<Identity>,
}

/// `GetRecords` output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsOutput {
    /// The records read, in shard order.
    pub records: Vec<Record>,
    /// Where to read next; absent once a closed shard is read to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_shard_iterator: Option<String>,
}
