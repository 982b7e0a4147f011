//! UpdateTimeToLive and DescribeTimeToLive.

use serde::{Deserialize, Serialize};

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
