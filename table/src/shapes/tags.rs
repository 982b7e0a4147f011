//! TagResource, UntagResource and ListTagsOfResource.

use serde::{Deserialize, Serialize};

/// `Tag`: one key and its value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// The key.
    pub key: String,
    /// The value (required; `None` only in a request that left it out, which is refused).
    pub value: Option<String>,
}

/// `TagResource` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    /// The table's ARN (absent: empty, which is refused as DynamoDB refuses it).
    #[serde(default)]
    pub resource_arn: String,
    /// The tags to add or overwrite (`None`: left out, which is refused).
    pub tags: Option<Vec<Tag>>,
}

/// `TagResource` output: an empty body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TagResourceOutput {}

/// `UntagResource` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    /// The table's ARN (absent: empty, which is refused as DynamoDB refuses it).
    #[serde(default)]
    pub resource_arn: String,
    /// The keys to remove (`None`: left out, which is refused).
    pub tag_keys: Option<Vec<String>>,
}

/// `UntagResource` output: an empty body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UntagResourceOutput {}

/// `ListTagsOfResource` input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceInput {
    /// The table's ARN (absent: empty, which is refused as DynamoDB refuses it).
    #[serde(default)]
    pub resource_arn: String,
    /// A token from an earlier page (Shale never hands one out: see
    /// [`ListTagsOfResourceOutput::next_token`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// `ListTagsOfResource` output.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsOfResourceOutput {
    /// The table's tags, by key.
    pub tags: Vec<Tag>,
    /// Always `None`: a table has at most 50 tags, and they fit in one page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
