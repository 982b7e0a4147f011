//! Query and Scan.

use serde::{Deserialize, Serialize};

use super::*;
use crate::types::Item;

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
    /// Legacy key conditions (instead of KeyConditionExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_conditions: Option<Conditions>,
    /// Legacy filter on non-key attributes (instead of FilterExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query_filter: Option<Conditions>,
    /// How the entries of `QueryFilter` combine (AND when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<ConditionalOperator>,
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
    /// Legacy filter (instead of FilterExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan_filter: Option<Conditions>,
    /// How the entries of `ScanFilter` combine (AND when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<ConditionalOperator>,
    /// Legacy projection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `Scan` output: the same shape as Query's.
pub type ScanOutput = QueryOutput;
