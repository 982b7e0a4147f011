//! Key condition expressions (Query): `pk = :v` plus at most one sort-key condition, or,
//! on a GSI with a multi-attribute key, equality on every partition-key attribute and
//! conditions on the sort-key attributes left to right (equality on all but the last one
//! used).

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema<'a> {
    /// The partition-key attributes, in schema order (one, or up to four on a GSI).
    pub partition: Vec<KeyAttribute<'a>>,
    /// The sort-key attributes, in schema order (none, one, or up to four on a GSI).
    pub sort: Vec<KeyAttribute<'a>>,
}

impl<'a> KeySchema<'a> {
    /// A one-attribute partition key and an optional sort key (tables, LSIs, most GSIs).
    pub fn simple(partition: KeyAttribute<'a>, sort: Option<KeyAttribute<'a>>) -> Self {
        KeySchema {
            partition: vec![partition],
            sort: sort.into_iter().collect(),
        }
    }

    fn is_multi_attribute(&self) -> bool {
        self.partition.len() > 1 || self.sort.len() > 1
    }
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

/// A parsed key condition: the partition-key values and the sort conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCondition {
    /// Every partition-key attribute's name and the value it must equal, in schema order.
    pub partition: Vec<(String, AttributeValue)>,
    /// The sort-key attributes constrained, in schema order from the first: every one but
    /// the last with [`SortCondition::Eq`] (none: no sort condition).
    pub sort: Vec<(String, SortCondition)>,
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
    let mut named = Vec::with_capacity(leaves.len());
    for leaf in leaves {
        let (path, sort_condition) = leaf_condition(leaf)?;
        named.push((single_attribute(path)?.to_owned(), sort_condition));
    }
    resolve(named, schema)
}

/// Checks conditions, one per named key attribute, against `schema`, and orders them:
/// the rules shared by KeyConditionExpression and the legacy KeyConditions.
///
/// # Errors
/// A condition on a non-key attribute, or two on one; a non-equality condition on a
/// partition-key attribute, or a missing one; values of the wrong type; and, on a
/// multi-attribute key, a sort-key attribute before the last one used without an
/// equality condition (DynamoDB's "RANGE key attributes … must have equality conditions
/// …", recorded against DynamoDB by paritysuite's `multiAttributeGsiKey.test.ts`).
pub fn resolve(
    conditions: Vec<(String, SortCondition)>,
    schema: &KeySchema<'_>,
) -> Result<KeyCondition, ExprError> {
    let mut partition: Vec<Option<AttributeValue>> = vec![None; schema.partition.len()];
    let mut sort: Vec<Option<SortCondition>> = vec![None; schema.sort.len()];
    for (name, condition) in conditions {
        if let Some(i) = schema.partition.iter().position(|k| k.name == name) {
            let SortCondition::Eq(value) = condition else {
                return Err(if schema.is_multi_attribute() {
                    ExprError::KeyConditionHashNotEquality { names: name }
                } else {
                    ExprError::KeyConditionNotSupported {
                        detail: "the partition key takes only '='",
                    }
                });
            };
            check_type(&name, &value, schema.partition[i].key_type)?;
            if partition[i].replace(value).is_some() {
                return Err(ExprError::KeyConditionDuplicateKey { name });
            }
        } else if let Some(i) = schema.sort.iter().position(|k| k.name == name) {
            check_sort_types(&name, &condition, schema.sort[i].key_type)?;
            if sort[i].replace(condition).is_some() {
                return Err(ExprError::KeyConditionDuplicateKey { name });
            }
        } else {
            return Err(ExprError::KeyConditionNotSupported {
                detail: "condition on a non-key attribute",
            });
        }
    }
    let missing: Vec<&str> = schema
        .partition
        .iter()
        .zip(&partition)
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| k.name)
        .collect();
    if let Some(first) = missing.first() {
        return Err(if schema.is_multi_attribute() {
            ExprError::KeyConditionHashNotEquality {
                names: missing.join(", "),
            }
        } else {
            ExprError::KeyConditionMissingKey {
                name: (*first).to_string(),
            }
        });
    }
    // Left to right: the last sort attribute used may have any condition; each before it
    // must be there, with '='.
    if let Some(last) = sort.iter().rposition(Option::is_some) {
        if let Some(gap) = (0..last).find(|&i| !matches!(sort[i], Some(SortCondition::Eq(_)))) {
            return Err(ExprError::KeyConditionRangeNotEquality {
                name: schema.sort[gap].name.to_string(),
                present: schema.sort[last].name.to_string(),
            });
        }
    }
    Ok(KeyCondition {
        partition: schema
            .partition
            .iter()
            .zip(partition)
            .map(|(k, v)| (k.name.to_string(), v.expect("checked present above")))
            .collect(),
        sort: schema
            .sort
            .iter()
            .zip(sort)
            .map_while(|(k, c)| c.map(|c| (k.name.to_string(), c)))
            .collect(),
    })
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
