//! PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy.

use serde::{Deserialize, Serialize};

/// `PutResourcePolicy` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyInput {
    /// The table's ARN (absent: empty, which is refused as DynamoDB refuses it).
    #[serde(default)]
    pub resource_arn: String,
    /// The policy document: JSON, at most 20 KB counting white space.
    pub policy: String,
    /// Put only if the current policy has this revision (`NO_POLICY`: only if there is
    /// none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_revision_id: Option<String>,
    /// Accepted and ignored: Shale does not evaluate policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_remove_self_resource_access: Option<bool>,
}

/// `PutResourcePolicy` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutResourcePolicyOutput {
    /// The policy's revision.
    pub revision_id: String,
}

/// `GetResourcePolicy` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyInput {
    /// The table's ARN (absent: empty, which is refused as DynamoDB refuses it).
    #[serde(default)]
    pub resource_arn: String,
}

/// `GetResourcePolicy` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyOutput {
    /// The policy document, as it was put.
    pub policy: String,
    /// Its revision.
    pub revision_id: String,
}

/// `DeleteResourcePolicy` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteResourcePolicyInput {
    /// The table's ARN (absent: empty, which is refused as DynamoDB refuses it).
    #[serde(default)]
    pub resource_arn: String,
    /// Delete only if the current policy has this revision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_revision_id: Option<String>,
}

/// `DeleteResourcePolicy` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteResourcePolicyOutput {
    /// The revision of the policy deleted.
    pub revision_id: String,
}
