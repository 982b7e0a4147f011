//! Key condition expressions (Query): `pk = :v` plus at most one sort-key condition.

use super::ast::{Comparator, Condition, Operand, Path};
use super::error::{ExprError, ExprKind};
use super::parser::parse_condition;
use super::placeholders::Placeholders;
use crate::types::{AttributeValue, ScalarType};

/// One key attribute of a table or index schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAttribute<'a> {
    /// The attribute's name.
    pub name: &'a str,
    /// Its declared type.
    pub key_type: ScalarType,
}

/// The key schema a key condition is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySchema<'a> {
    /// The partition key.
    pub partition: KeyAttribute<'a>,
    /// The sort key, if the table or index has one.
    pub sort: Option<KeyAttribute<'a>>,
}

/// What a Query may say about the sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortCondition {
    /// `sk = :v`
    Eq(AttributeValue),
    /// `sk < :v`
    Lt(AttributeValue),
    /// `sk <= :v`
    Le(AttributeValue),
    /// `sk > :v`
    Gt(AttributeValue),
    /// `sk >= :v`
    Ge(AttributeValue),
    /// `sk BETWEEN :low AND :high` (inclusive; `low <= high` is checked).
    Between(AttributeValue, AttributeValue),
    /// `begins_with(sk, :prefix)` (S or B sort keys only).
    BeginsWith(AttributeValue),
}

/// A parsed key condition: the partition key's value and the optional sort condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCondition {
    /// The partition key's name and the value it must equal.
    pub partition: (String, AttributeValue),
    /// The sort key's name and condition.
    pub sort: Option<(String, SortCondition)>,
}

/// Parses a `KeyConditionExpression` and checks it against `schema`.
///
/// # Errors
/// Parse errors as for conditions, then DynamoDB's key-condition errors: operators other
/// than `=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, `begins_with` and `AND`; conditions on
/// non-key or nested attributes; two conditions on one key; a missing partition-key
/// condition; values whose type differs from the schema.
pub fn parse_key_condition(
    text: &str,
    schema: &KeySchema<'_>,
    placeholders: &mut Placeholders<'_>,
) -> Result<KeyCondition, ExprError> {
    let condition = parse_condition(text, ExprKind::KeyCondition, placeholders)?;
    key_condition(&condition, schema)
}

/// Checks a parsed condition against `schema` (see [`parse_key_condition`]).
///
/// # Errors
/// As [`parse_key_condition`], minus parsing.
pub fn key_condition(
    condition: &Condition,
    schema: &KeySchema<'_>,
) -> Result<KeyCondition, ExprError> {
    let mut leaves = Vec::new();
    flatten_and(condition, &mut leaves)?;
    let mut partition = None;
    let mut sort = None;
    for leaf in leaves {
        let (path, sort_condition) = leaf_condition(leaf)?;
        let name = single_attribute(path)?;
        if name == schema.partition.name {
            let SortCondition::Eq(value) = sort_condition else {
                return Err(ExprError::KeyConditionNotSupported {
                    detail: "the partition key takes only '='",
                });
            };
            check_type(name, &value, schema.partition.key_type)?;
            if partition.replace((name.to_string(), value)).is_some() {
                return Err(ExprError::KeyConditionDuplicateKey {
                    name: name.to_string(),
                });
            }
        } else if let Some(sort_key) = schema.sort.filter(|key| key.name == name) {
            check_sort_types(name, &sort_condition, sort_key.key_type)?;
            if sort.replace((name.to_string(), sort_condition)).is_some() {
                return Err(ExprError::KeyConditionDuplicateKey {
                    name: name.to_string(),
                });
            }
        } else {
            return Err(ExprError::KeyConditionNotSupported {
                detail: "condition on a non-key attribute",
            });
        }
    }
    let partition = partition.ok_or_else(|| ExprError::KeyConditionMissingKey {
        name: schema.partition.name.to_string(),
    })?;
    Ok(KeyCondition { partition, sort })
}

/// Collects the leaves of an AND tree; any other connective is invalid here. The tree's
/// depth is bounded by the parser's operator limit.
fn flatten_and<'c>(
    condition: &'c Condition,
    leaves: &mut Vec<&'c Condition>,
) -> Result<(), ExprError> {
    match condition {
        Condition::And(left, right) => {
            flatten_and(left, leaves)?;
            flatten_and(right, leaves)
        }
        Condition::Or(..) => Err(ExprError::KeyConditionInvalidOperator { operator: "OR" }),
        Condition::Not(_) => Err(ExprError::KeyConditionInvalidOperator { operator: "NOT" }),
        leaf => {
            leaves.push(leaf);
            Ok(())
        }
    }
}

fn leaf_condition(leaf: &Condition) -> Result<(&Path, SortCondition), ExprError> {
    let not_supported = ExprError::KeyConditionNotSupported {
        detail: "key conditions compare a key attribute with a value",
    };
    match leaf {
        Condition::Compare {
            left: Operand::Path(path),
            comparator,
            right: Operand::Value(value),
        } => {
            let value = value.clone();
            let condition = match comparator {
                Comparator::Eq => SortCondition::Eq(value),
                Comparator::Lt => SortCondition::Lt(value),
                Comparator::Le => SortCondition::Le(value),
                Comparator::Gt => SortCondition::Gt(value),
                Comparator::Ge => SortCondition::Ge(value),
                Comparator::Ne => {
                    return Err(ExprError::KeyConditionInvalidOperator { operator: "<>" })
                }
            };
            Ok((path, condition))
        }
        Condition::Compare {
            comparator: Comparator::Ne,
            ..
        } => Err(ExprError::KeyConditionInvalidOperator { operator: "<>" }),
        Condition::Between {
            operand: Operand::Path(path),
            low: Operand::Value(low),
            high: Operand::Value(high),
        } => Ok((path, SortCondition::Between(low.clone(), high.clone()))),
        Condition::BeginsWith {
            operand: Operand::Path(path),
            prefix: Operand::Value(prefix),
        } => Ok((path, SortCondition::BeginsWith(prefix.clone()))),
        Condition::In { .. } => Err(ExprError::KeyConditionInvalidOperator { operator: "IN" }),
        Condition::AttributeExists(_) => Err(ExprError::KeyConditionInvalidOperator {
            operator: "attribute_exists",
        }),
        Condition::AttributeNotExists(_) => Err(ExprError::KeyConditionInvalidOperator {
            operator: "attribute_not_exists",
        }),
        Condition::AttributeType { .. } => Err(ExprError::KeyConditionInvalidOperator {
            operator: "attribute_type",
        }),
        Condition::Contains { .. } => Err(ExprError::KeyConditionInvalidOperator {
            operator: "contains",
        }),
        _ => Err(not_supported),
    }
}

fn single_attribute(path: &Path) -> Result<&str, ExprError> {
    if path.elements().len() != 1 {
        return Err(ExprError::KeyConditionNotSupported {
            detail: "key conditions cannot use nested attributes",
        });
    }
    Ok(path.top_level_name())
}

fn check_type(name: &str, value: &AttributeValue, key_type: ScalarType) -> Result<(), ExprError> {
    if ScalarType::of(value) == Some(key_type) {
        Ok(())
    } else {
        Err(ExprError::KeyConditionTypeMismatch {
            name: name.to_string(),
        })
    }
}

fn check_sort_types(
    name: &str,
    condition: &SortCondition,
    key_type: ScalarType,
) -> Result<(), ExprError> {
    match condition {
        SortCondition::Eq(v)
        | SortCondition::Lt(v)
        | SortCondition::Le(v)
        | SortCondition::Gt(v)
        | SortCondition::Ge(v) => check_type(name, v, key_type),
        SortCondition::Between(low, high) => {
            check_type(name, low, key_type)?;
            check_type(name, high, key_type)
        }
        SortCondition::BeginsWith(prefix) => {
            if key_type == ScalarType::N {
                return Err(ExprError::IncorrectOperandType {
                    kind: ExprKind::KeyCondition,
                    operator: "begins_with",
                    operand_type: "N",
                });
            }
            check_type(name, prefix, key_type)
        }
    }
}
