//! BatchGetItem and BatchWriteItem.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::*;
use crate::types::Item;

/// `KeysAndAttributes`: one table's part of a BatchGetItem.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeysAndAttributes {
    /// The keys to read.
    pub keys: Vec<Key>,
    /// Which attributes to return.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_expression: Option<String>,
    /// `#name` placeholders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression_attribute_names: Option<AttributeNames>,
    /// Strongly consistent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Legacy projection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes_to_get: Option<Vec<String>>,
}

/// `BatchGetItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemInput {
    /// Table name → keys.
    pub request_items: BTreeMap<String, KeysAndAttributes>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
}

/// `BatchGetItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    /// Table name → items found (in no particular order).
    pub responses: BTreeMap<String, Vec<Item>>,
    /// Keys not read because the response hit its size limit; retry them.
    pub unprocessed_keys: BTreeMap<String, KeysAndAttributes>,
    /// Capacity per table, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `PutRequest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutRequest {
    /// The item.
    pub item: Item,
}

/// `DeleteRequest`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteRequest {
    /// The key.
    pub key: Key,
}

/// `WriteRequest`: exactly one of put or delete.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteRequest {
    /// A put.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub put_request: Option<PutRequest>,
    /// A delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_request: Option<DeleteRequest>,
}

/// `BatchWriteItem` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemInput {
    /// Table name → requests.
    pub request_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// SIZE: each touched item collection's size estimate (tables with LSIs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_item_collection_metrics: Option<ReturnItemCollectionMetrics>,
}

/// `BatchWriteItem` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemOutput {
    /// Requests not applied; retry them.
    pub unprocessed_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Capacity per table, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
    /// Per table with LSIs, the item collections the batch touched, for SIZE.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
}
