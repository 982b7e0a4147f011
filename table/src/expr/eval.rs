//! Evaluating conditions against an item with DynamoDB's semantics: a comparison across
//! types, or with a missing attribute, is false (and `<>` is then true), never an error.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::ast::{Comparator, Condition, Operand, Path, PathElement};
use super::error::ExprError;
use crate::types::{AttributeValue, Item, Number};

/// Evaluates `condition` against `item` (an absent item is an empty one).
///
/// # Errors
/// None today: every condition that parsed evaluates to true or false. The `Result` keeps
/// room for DynamoDB's runtime validation errors.
pub fn eval_condition(condition: &Condition, item: &Item) -> Result<bool, ExprError> {
    Ok(match condition {
        Condition::Compare {
            left,
            comparator,
            right,
        } => {
            let (left, right) = (operand_value(left, item), operand_value(right, item));
            match (left.as_deref(), right.as_deref()) {
                (Some(left), Some(right)) => match comparator {
                    Comparator::Eq => same_value(left, right),
                    Comparator::Ne => !same_value(left, right),
                    ordering => compare_scalars(left, right).is_some_and(|order| match ordering {
                        Comparator::Lt => order == Ordering::Less,
                        Comparator::Le => order != Ordering::Greater,
                        Comparator::Gt => order == Ordering::Greater,
                        _ => order != Ordering::Less,
                    }),
                },
                // A missing operand equals nothing, so only `<>` holds.
                _ => *comparator == Comparator::Ne,
            }
        }
        Condition::Between { operand, low, high } => {
            match (
                operand_value(operand, item),
                operand_value(low, item),
                operand_value(high, item),
            ) {
                (Some(value), Some(low), Some(high)) => {
                    compare_scalars(&value, &low).is_some_and(|o| o != Ordering::Less)
                        && compare_scalars(&value, &high).is_some_and(|o| o != Ordering::Greater)
                }
                _ => false,
            }
        }
        Condition::In {
            operand,
            candidates,
        } => match operand_value(operand, item) {
            Some(value) => candidates.iter().any(|candidate| {
                operand_value(candidate, item).is_some_and(|c| same_value(&value, &c))
            }),
            None => false,
        },
        Condition::AttributeExists(path) => lookup(item, path).is_some(),
        Condition::AttributeNotExists(path) => lookup(item, path).is_none(),
        Condition::AttributeType { path, type_name } => {
            match (
                lookup(item, path),
                operand_value(type_name, item).as_deref(),
            ) {
                (Some(value), Some(AttributeValue::S(name))) => value.type_tag() == name,
                _ => false,
            }
        }
        Condition::BeginsWith { operand, prefix } => {
            match (
                operand_value(operand, item).as_deref(),
                operand_value(prefix, item).as_deref(),
            ) {
                (Some(AttributeValue::S(text)), Some(AttributeValue::S(prefix))) => {
                    text.starts_with(prefix.as_str())
                }
                (Some(AttributeValue::B(bytes)), Some(AttributeValue::B(prefix))) => {
                    bytes.starts_with(prefix)
                }
                _ => false,
            }
        }
        Condition::Contains { operand, element } => {
            match (
                operand_value(operand, item).as_deref(),
                operand_value(element, item).as_deref(),
            ) {
                (Some(AttributeValue::S(text)), Some(AttributeValue::S(part))) => {
                    text.contains(part.as_str())
                }
                // A subsequence of a binary, as the API reference's Condition page defines
                // CONTAINS for B ("looks for a subsequence of the target that matches
                // the input"); the legacy CONTAINS translates to this condition.
                (Some(AttributeValue::B(bytes)), Some(AttributeValue::B(part))) => {
                    part.is_empty() || bytes.windows(part.len()).any(|w| w == part.as_slice())
                }
                (Some(AttributeValue::Ss(set)), Some(AttributeValue::S(member))) => {
                    set.contains(member)
                }
                (Some(AttributeValue::Ns(set)), Some(AttributeValue::N(member))) => {
                    set.contains(member)
                }
                (Some(AttributeValue::Bs(set)), Some(AttributeValue::B(member))) => {
                    set.contains(member)
                }
                (Some(AttributeValue::L(list)), Some(member)) => {
                    list.iter().any(|v| same_value(v, member))
                }
                _ => false,
            }
        }
        Condition::Not(inner) => !eval_condition(inner, item)?,
        Condition::And(left, right) => eval_condition(left, item)? && eval_condition(right, item)?,
        Condition::Or(left, right) => eval_condition(left, item)? || eval_condition(right, item)?,
    })
}

/// The value at `path` in `item`, if every step exists and has the right type.
#[must_use]
pub fn lookup<'i>(item: &'i Item, path: &Path) -> Option<&'i AttributeValue> {
    let mut elements = path.elements().iter();
    let mut current = match elements.next()? {
        PathElement::Key(name) => item.get(name)?,
        PathElement::Index(_) => return None,
    };
    for element in elements {
        current = match (element, current) {
            (PathElement::Key(key), AttributeValue::M(map)) => map.get(key)?,
            (PathElement::Index(index), AttributeValue::L(list)) => list.get(*index as usize)?,
            _ => return None,
        };
    }
    Some(current)
}

/// An operand's value: borrowed from the item or the expression, or computed (`size`).
pub(crate) fn operand_value<'v>(
    operand: &'v Operand,
    item: &'v Item,
) -> Option<Cow<'v, AttributeValue>> {
    match operand {
        Operand::Path(path) => lookup(item, path).map(Cow::Borrowed),
        Operand::Value(value) => Some(Cow::Borrowed(value)),
        Operand::Size(path) => {
            size_of(lookup(item, path)?).map(|size| Cow::Owned(AttributeValue::N(size)))
        }
    }
}

/// `size()`: bytes of S and B, elements of sets, lists and maps; other types have none.
fn size_of(value: &AttributeValue) -> Option<Number> {
    let size = match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::B(bytes) => bytes.len(),
        AttributeValue::Ss(set) => set.len(),
        AttributeValue::Ns(set) => set.len(),
        AttributeValue::Bs(set) => set.len(),
        AttributeValue::L(list) => list.len(),
        AttributeValue::M(map) => map.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null(_) => return None,
    };
    // Sizes are bounded by the 400 KB item limit, far inside i64.
    Some(Number::from(i64::try_from(size).unwrap_or(i64::MAX)))
}

/// Order between two scalars of the same type (N numerically, S and B bytewise); `None`
/// for mixed or non-scalar types.
#[must_use]
pub fn compare_scalars(left: &AttributeValue, right: &AttributeValue) -> Option<Ordering> {
    match (left, right) {
        (AttributeValue::N(a), AttributeValue::N(b)) => Some(a.cmp(b)),
        (AttributeValue::S(a), AttributeValue::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (AttributeValue::B(a), AttributeValue::B(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// DynamoDB equality: like `==`, except that sets are equal regardless of element order.
/// Recursion follows the values' nesting, which validation bounds by 32.
#[must_use]
pub fn same_value(left: &AttributeValue, right: &AttributeValue) -> bool {
    fn same_set<T: Ord>(a: &[T], b: &[T]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        let (mut a, mut b): (Vec<&T>, Vec<&T>) = (a.iter().collect(), b.iter().collect());
        a.sort_unstable();
        b.sort_unstable();
        a == b
    }
    match (left, right) {
        (AttributeValue::Ss(a), AttributeValue::Ss(b)) => same_set(a, b),
        (AttributeValue::Ns(a), AttributeValue::Ns(b)) => same_set(a, b),
        (AttributeValue::Bs(a), AttributeValue::Bs(b)) => same_set(a, b),
        (AttributeValue::L(a), AttributeValue::L(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
        }
        (AttributeValue::M(a), AttributeValue::M(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => left == right,
    }
}
