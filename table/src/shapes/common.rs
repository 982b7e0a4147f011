//! Enumerations shared by many operations.

use serde::{Deserialize, Serialize};

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
