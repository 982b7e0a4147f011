//! The one seam between the table layer and [`crate::expr`]: compiles all expressions of
//! a request together (so placeholder use is validated across them) and evaluates them.
//!
//! Everything the table layer needs from expressions goes through [`Compiled`], so the
//! operations never touch the parser's types.

use std::cmp::Ordering;

use super::catalog::KeyDef;
use super::error::{Error, ValidationError};
use super::shapes::{AttributeNames, AttributeValues};
use crate::types::{AttributeValue, Item, ScalarType};

/// The expressions and placeholder maps of one request.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct ExprInputs<'a> {
    pub condition: Option<&'a str>,
    pub update: Option<&'a str>,
    pub projection: Option<&'a str>,
    pub filter: Option<&'a str>,
    pub key_condition: Option<&'a str>,
    /// Legacy projection: top-level attribute names.
    pub attributes_to_get: Option<&'a [String]>,
    pub names: Option<&'a AttributeNames>,
    pub values: Option<&'a AttributeValues>,
}

/// A sort-key condition of a Query.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SortCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

/// A Query's key condition, resolved against a key schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyConditionValues {
    pub pk: AttributeValue,
    pub sort: Option<SortCondition>,
}

/// A request's compiled expressions.
#[derive(Debug, Default)]
pub(crate) struct Compiled {
    attributes_to_get: Option<Vec<String>>,
}

/// Compiles and cross-validates a request's expressions.
///
/// # Errors
/// ValidationException for syntax errors, undefined or unused placeholders, reserved
/// words; NotImplemented while the expression engine is unavailable.
pub(crate) fn compile(inputs: ExprInputs<'_>) -> Result<Compiled, Error> {
    if inputs.condition.is_some()
        || inputs.update.is_some()
        || inputs.projection.is_some()
        || inputs.filter.is_some()
        || inputs.key_condition.is_some()
        || inputs.names.is_some()
        || inputs.values.is_some()
    {
        return Err(Error::NotImplemented {
            operation: "expressions (the expression engine is not wired in yet)",
        });
    }
    Ok(Compiled {
        attributes_to_get: inputs.attributes_to_get.map(<[String]>::to_vec),
    })
}

impl Compiled {
    /// Whether the ConditionExpression (if any) holds for `item` (None = absent item).
    pub(crate) fn condition_holds(&self, _item: Option<&Item>) -> Result<bool, Error> {
        Ok(true)
    }

    /// Whether the FilterExpression (if any) holds.
    pub(crate) fn filter_holds(&self, _item: &Item) -> Result<bool, Error> {
        Ok(true)
    }

    /// Whether a projection was given.
    pub(crate) fn has_projection(&self) -> bool {
        self.attributes_to_get.is_some()
    }

    /// Applies the projection (if any).
    pub(crate) fn project(&self, item: &Item) -> Item {
        match &self.attributes_to_get {
            None => item.clone(),
            Some(names) => item
                .iter()
                .filter(|(n, _)| names.contains(n))
                .map(|(n, v)| (n.clone(), v.clone()))
                .collect(),
        }
    }

    /// Applies the UpdateExpression to `base`; returns the new item and the names of the
    /// top-level attributes it touched.
    pub(crate) fn apply_update(&self, base: &Item) -> Result<(Item, Vec<String>), Error> {
        Ok((base.clone(), Vec::new()))
    }

    /// The key condition, checked against `key`.
    pub(crate) fn key_condition(&self, key: &KeyDef) -> Result<KeyConditionValues, Error> {
        Err(ValidationError::KeyConditionMissesKey {
            attribute: key.hash.name.clone(),
        }
        .into())
    }
}

/// Compares two key values of the same scalar type by DynamoDB's order.
pub(crate) fn compare_key_values(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Checks a sort condition's operand types against the sort key's type.
pub(crate) fn check_sort_condition(cond: &SortCondition, ty: ScalarType) -> Result<(), Error> {
    let same = |v: &AttributeValue| ScalarType::of(v) == Some(ty);
    let ok = match cond {
        SortCondition::Eq(v)
        | SortCondition::Lt(v)
        | SortCondition::Le(v)
        | SortCondition::Gt(v)
        | SortCondition::Ge(v) => same(v),
        SortCondition::Between(a, b) => {
            if !(same(a) && same(b)) {
                false
            } else if compare_key_values(a, b) == Some(Ordering::Greater) {
                return Err(ValidationError::BetweenBoundsReversed.into());
            } else {
                true
            }
        }
        SortCondition::BeginsWith(v) => {
            if ty == ScalarType::N {
                return Err(ValidationError::BeginsWithOnNumber.into());
            }
            same(v)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(ValidationError::KeyConditionTypeMismatch.into())
    }
}
