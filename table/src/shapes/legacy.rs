//! The legacy (pre-expression) parameters: `Expected`, `AttributeUpdates`,
//! `KeyConditions`, `QueryFilter`, `ScanFilter` and `ConditionalOperator`.
//!
//! These are only shapes. `crate::legacy` translates them into the expression AST, so a
//! legacy request and its expression twin run through one evaluator.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::types::AttributeValue;

/// `ComparisonOperator` of a legacy condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComparisonOperator {
    /// Equal (any type).
    Eq,
    /// Not equal (any type); true when the attribute is absent.
    Ne,
    /// Less than or equal (S, N, B).
    Le,
    /// Less than (S, N, B).
    Lt,
    /// Greater than or equal (S, N, B).
    Ge,
    /// Greater than (S, N, B).
    Gt,
    /// The attribute exists.
    NotNull,
    /// The attribute does not exist.
    Null,
    /// Substring, subsequence, set member or list element.
    Contains,
    /// The attribute exists and does not contain the value.
    NotContains,
    /// String or binary prefix.
    BeginsWith,
    /// Equal to one of the values (S, N, B).
    In,
    /// Between two values, inclusive (S, N, B).
    Between,
}

impl ComparisonOperator {
    /// DynamoDB's spelling (`NOT_NULL`, `BEGINS_WITH`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ComparisonOperator::Eq => "EQ",
            ComparisonOperator::Ne => "NE",
            ComparisonOperator::Le => "LE",
            ComparisonOperator::Lt => "LT",
            ComparisonOperator::Ge => "GE",
            ComparisonOperator::Gt => "GT",
            ComparisonOperator::NotNull => "NOT_NULL",
            ComparisonOperator::Null => "NULL",
            ComparisonOperator::Contains => "CONTAINS",
            ComparisonOperator::NotContains => "NOT_CONTAINS",
            ComparisonOperator::BeginsWith => "BEGINS_WITH",
            ComparisonOperator::In => "IN",
            ComparisonOperator::Between => "BETWEEN",
        }
    }
}

impl fmt::Display for ComparisonOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ConditionalOperator`: how the entries of `Expected`, `QueryFilter` or `ScanFilter`
/// combine (AND when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConditionalOperator {
    /// Every condition must hold.
    #[default]
    And,
    /// At least one condition must hold.
    Or,
}

/// `Condition`: one entry of `KeyConditions`, `QueryFilter` or `ScanFilter`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Condition {
    /// The operator.
    pub comparison_operator: ComparisonOperator,
    /// Its arguments (none for NULL and NOT_NULL, two for BETWEEN, one or more for IN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// `ExpectedAttributeValue`: one entry of `Expected`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    /// The value the attribute must equal (with `Exists` true or absent), or the single
    /// argument of `ComparisonOperator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<AttributeValue>,
    /// false: the attribute must be absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exists: Option<bool>,
    /// The operator (instead of `Exists`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison_operator: Option<ComparisonOperator>,
    /// The operator's arguments (instead of `Value`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// `AttributeAction` of an `AttributeValueUpdate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AttributeAction {
    /// Numbers are added, sets unioned, lists appended.
    Add,
    /// The attribute is replaced (the default).
    #[default]
    Put,
    /// The attribute is removed, or (with a set value) those elements are.
    Delete,
}

impl AttributeAction {
    /// DynamoDB's spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeAction::Add => "ADD",
            AttributeAction::Put => "PUT",
            AttributeAction::Delete => "DELETE",
        }
    }
}

/// `AttributeValueUpdate`: one entry of `AttributeUpdates`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    /// The value (absent only for a DELETE of the whole attribute).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<AttributeValue>,
    /// PUT when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<AttributeAction>,
}

/// `Expected`: attribute name → expectation.
pub type Expected = BTreeMap<String, ExpectedAttributeValue>;
/// `KeyConditions`, `QueryFilter`, `ScanFilter`: attribute name → condition.
pub type Conditions = BTreeMap<String, Condition>;
/// `AttributeUpdates`: attribute name → update.
pub type AttributeUpdates = BTreeMap<String, AttributeValueUpdate>;
