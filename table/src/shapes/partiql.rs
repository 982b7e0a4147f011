//! ExecuteStatement, BatchExecuteStatement and ExecuteTransaction (PartiQL).

use serde::{Deserialize, Serialize};

use super::*;
use crate::types::{AttributeValue, Item};

/// `ExecuteStatement` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecuteStatementInput {
    /// The PartiQL statement.
    pub statement: String,
    /// Values for its `?` parameters, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<AttributeValue>>,
    /// Strongly consistent (SELECT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// Where the previous page of a SELECT stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
    /// Most items a SELECT evaluates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// ALL_OLD puts the current item in ConditionalCheckFailed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
}

/// `ExecuteStatement` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecuteStatementOutput {
    /// A SELECT's items, or a write's RETURNING item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// Set when a SELECT stopped early; pass it back for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    /// Capacity, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
    /// The key the SELECT stopped after (with `NextToken`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Item>,
}

/// One statement of a BatchExecuteStatement.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchStatementRequest {
    /// The PartiQL statement.
    pub statement: String,
    /// Values for its `?` parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<AttributeValue>>,
    /// Strongly consistent (SELECT).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistent_read: Option<bool>,
    /// ALL_OLD puts the current item in the statement's error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
}

/// `BatchExecuteStatement` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchExecuteStatementInput {
    /// 1 to 25 statements, all reads or all writes.
    pub statements: Vec<BatchStatementRequest>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
}

/// `BatchStatementError`: why one statement of a batch failed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchStatementError {
    /// `ConditionalCheckFailed`, `DuplicateItem`, `ValidationError`, ...
    pub code: String,
    /// The message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The current item, with ALL_OLD on a failed condition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

/// `BatchStatementResponse`: one statement's result.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchStatementResponse {
    /// The failure, if the statement failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<BatchStatementError>,
    /// The table the statement named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// A read's item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
}

/// `BatchExecuteStatement` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchExecuteStatementOutput {
    /// One response per statement, in order.
    pub responses: Vec<BatchStatementResponse>,
    /// Capacity per table, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// `ParameterizedStatement`: one statement of an ExecuteTransaction.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ParameterizedStatement {
    /// The PartiQL statement.
    pub statement: String,
    /// Values for its `?` parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Vec<AttributeValue>>,
    /// ALL_OLD puts the current item in the cancellation reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_values_on_condition_check_failure: Option<ReturnValuesOnConditionCheckFailure>,
}

/// `ExecuteTransaction` input.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecuteTransactionInput {
    /// 1 to 100 statements: all SELECTs, or writes and EXISTS checks.
    pub transact_statements: Vec<ParameterizedStatement>,
    /// Makes a write transaction idempotent for 10 minutes after it completes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_request_token: Option<String>,
    /// Report consumed capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_consumed_capacity: Option<ReturnConsumedCapacity>,
}

/// `ExecuteTransaction` output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecuteTransactionOutput {
    /// A read transaction's items, one per statement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<Vec<ItemResponse>>,
    /// Capacity per table, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}
