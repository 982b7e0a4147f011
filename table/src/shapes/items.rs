//! PutItem, GetItem, UpdateItem and DeleteItem.

use serde::{Deserialize, Serialize};

use super::*;
use crate::types::Item;

/// `PutItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemInput {
    /// The table.
    pub table_name: String,
    /// The whole item, keys included.
    pub item: Item,
    /// Must hold on the existing item (or its absence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// NONE or ALL_OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValue>,
    /// ALL_OLD puts the old item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy conditions on the current item (instead of ConditionExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    /// How the entries of `Expected` combine (AND when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<ConditionalOperator>,
    /// SIZE: the item collection's size estimate (tables with LSIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<ReturnItemCollectionMetrics>,
}

/// `PutItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutItemOutput {
    /// The old item for ALL_OLD (absent if there was none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
    /// The item collection's size estimate, for SIZE on a table with LSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<ItemCollectionMetrics>,
}

/// `GetItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemInput {
    /// The table.
    pub table_name: String,
    /// The primary key.
    pub key: Key,
    /// Which attributes to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// Strongly consistent (every read is, here; it changes only the capacity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy projection: attribute names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `GetItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOutput {
    /// The item, absent if there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// `UpdateItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemInput {
    /// The table.
    pub table_name: String,
    /// The primary key.
    pub key: Key,
    /// SET/REMOVE/ADD/DELETE; without it the item is created with just its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_expression: Option<String>,
    /// Must hold on the existing item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// Any ReturnValue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValue>,
    /// ALL_OLD puts the old item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy updates (instead of UpdateExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_updates: Option<AttributeUpdates>,
    /// Legacy conditions on the current item (instead of ConditionExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    /// How the entries of `Expected` combine (AND when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<ConditionalOperator>,
    /// SIZE: the item collection's size estimate (tables with LSIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<ReturnItemCollectionMetrics>,
}

/// `UpdateItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateItemOutput {
    /// Per ReturnValues.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
    /// The item collection's size estimate, for SIZE on a table with LSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<ItemCollectionMetrics>,
}

/// `DeleteItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemInput {
    /// The table.
    pub table_name: String,
    /// The primary key.
    pub key: Key,
    /// Must hold on the existing item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// `:value` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_values: Option<AttributeValues>,
    /// NONE or ALL_OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values: Option<ReturnValue>,
    /// ALL_OLD puts the old item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Legacy conditions on the current item (instead of ConditionExpression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Expected>,
    /// How the entries of `Expected` combine (AND when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_operator: Option<ConditionalOperator>,
    /// SIZE: the item collection's size estimate (tables with LSIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<ReturnItemCollectionMetrics>,
}

/// `DeleteItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteItemOutput {
    /// The old item for ALL_OLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
    /// The item collection's size estimate, for SIZE on a table with LSIs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<ItemCollectionMetrics>,
}
