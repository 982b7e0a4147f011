//! Applying an update expression to an item with DynamoDB's rules.
//!
//! Every right-hand side reads the item as it was *before* the update. Writes then happen
//! in clause order SET, ADD, DELETE, REMOVE; REMOVE goes last and from the highest list
//! index down, so every index in the expression refers to the original list.

use std::collections::BTreeSet;

use super::ast::{Path, PathElement, SetValue, UpdateExpr, UpdateOperand};
use super::error::ExprError;
use super::eval::lookup;
use crate::types::{AttributeValue, Item};

/// The item after an update, and what the update touched.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// The new item. Key attributes are whatever `old` had: a new item needs its key added
    /// by the caller, and the caller validates it (size, nesting) before storing it.
    pub item: Item,
    /// Every path the expression wrote or removed; project the old or new item through
    /// these for `ReturnValues=UPDATED_OLD/UPDATED_NEW`.
    pub updated_paths: Vec<Path>,
    /// The top-level attributes those paths are in (for key-attribute checks).
    pub updated_attributes: BTreeSet<String>,
}

/// Applies `update` to `old` (`None`: the item does not exist yet).
///
/// # Errors
/// [`ExprError::MissingAttribute`] when an operand reads a missing attribute,
/// [`ExprError::IncorrectDataType`] for `+`/`-` on non-numbers, `list_append` on
/// non-lists, ADD/DELETE on the wrong types, [`ExprError::InvalidUpdatePath`] when a
/// nested path's parent is missing or not a map/list, and
/// [`ExprError::NumberOutOfRange`] when arithmetic leaves DynamoDB's number range.
pub fn apply_update(update: &UpdateExpr, old: Option<&Item>) -> Result<UpdateOutcome, ExprError> {
    let empty = Item::new();
    let old = old.unwrap_or(&empty);
    let mut new = old.clone();

    let mut writes: Vec<(&Path, Option<AttributeValue>)> = Vec::new();
    for action in &update.set {
        writes.push((&action.path, Some(set_value(&action.value, old)?)));
    }
    for (path, operand) in &update.add {
        writes.push((path, Some(add(lookup(old, path), operand)?)));
    }
    for (path, operand) in &update.delete {
        match lookup(old, path) {
            Some(existing) => writes.push((path, delete(existing, operand)?)),
            // Nothing to delete from: a no-op where the path could hold a value (as
            // REMOVE's), invalid where it could not (`b.a` with `b` a string, as
            // dynalite's tests recorded DynamoDB answering).
            None => check_parent(old, path)?,
        }
    }
    for (path, value) in writes {
        match value {
            Some(value) => write(&mut new, path, value)?,
            None => remove(&mut new, path)?,
        }
    }
    let mut removals: Vec<&Path> = update.remove.iter().collect();
    // Descending order puts higher indexes of one list first (Key < Index in PathElement's
    // order does not matter here: removals never overlap).
    removals.sort_by(|a, b| b.cmp(a));
    for path in removals {
        remove(&mut new, path)?;
    }

    let updated_paths: Vec<Path> = update.target_paths().into_iter().cloned().collect();
    let updated_attributes = updated_paths
        .iter()
        .map(|p| p.top_level_name().to_string())
        .collect();
    Ok(UpdateOutcome {
        item: new,
        updated_paths,
        updated_attributes,
    })
}

fn set_value(value: &SetValue, old: &Item) -> Result<AttributeValue, ExprError> {
    let arithmetic = |a: &UpdateOperand, b: &UpdateOperand, plus: bool| {
        let operator = if plus { "+" } else { "-" };
        match (operand(a, old)?, operand(b, old)?) {
            (AttributeValue::N(a), AttributeValue::N(b)) => {
                let result = if plus {
                    a.checked_add(&b)
                } else {
                    a.checked_sub(&b)
                };
                result
                    .map(AttributeValue::N)
                    .map_err(|source| ExprError::NumberOutOfRange { source })
            }
            _ => Err(ExprError::IncorrectDataType { operator }),
        }
    };
    match value {
        SetValue::Operand(single) => operand(single, old),
        SetValue::Plus(a, b) => arithmetic(a, b, true),
        SetValue::Minus(a, b) => arithmetic(a, b, false),
    }
}

/// Recursion is bounded by the parser's nesting limit on function calls.
fn operand(operand_expr: &UpdateOperand, old: &Item) -> Result<AttributeValue, ExprError> {
    match operand_expr {
        UpdateOperand::Path(path) => {
            lookup(old, path)
                .cloned()
                .ok_or_else(|| ExprError::MissingAttribute {
                    path: path.to_string(),
                })
        }
        UpdateOperand::Value(value) => Ok(value.clone()),
        UpdateOperand::IfNotExists(path, fallback) => match lookup(old, path) {
            Some(value) => Ok(value.clone()),
            None => operand(fallback, old),
        },
        UpdateOperand::ListAppend(first, second) => {
            match (operand(first, old)?, operand(second, old)?) {
                (AttributeValue::L(mut first), AttributeValue::L(second)) => {
                    first.extend(second);
                    Ok(AttributeValue::L(first))
                }
                _ => Err(ExprError::IncorrectDataType {
                    operator: "list_append",
                }),
            }
        }
    }
}

/// ADD: numbers are summed, sets unioned; a missing attribute takes the operand.
fn add(
    existing: Option<&AttributeValue>,
    operand: &AttributeValue,
) -> Result<AttributeValue, ExprError> {
    /// O((n + m) log n): sets may hold ~10^5 elements within the 400 KB item limit, so a
    /// pairwise scan would be a CPU sink.
    fn union<T: Clone + Ord>(existing: &[T], extra: &[T]) -> Vec<T> {
        let mut seen: std::collections::BTreeSet<&T> = existing.iter().collect();
        let mut out = existing.to_vec();
        for element in extra {
            if seen.insert(element) {
                out.push(element.clone());
            }
        }
        out
    }
    let mismatch = || ExprError::IncorrectDataType { operator: "ADD" };
    Ok(match (existing, operand) {
        (None, value) => value.clone(),
        (Some(AttributeValue::N(a)), AttributeValue::N(b)) => AttributeValue::N(
            a.checked_add(b)
                .map_err(|source| ExprError::NumberOutOfRange { source })?,
        ),
        (Some(AttributeValue::Ss(a)), AttributeValue::Ss(b)) => AttributeValue::Ss(union(a, b)),
        (Some(AttributeValue::Ns(a)), AttributeValue::Ns(b)) => AttributeValue::Ns(union(a, b)),
        (Some(AttributeValue::Bs(a)), AttributeValue::Bs(b)) => AttributeValue::Bs(union(a, b)),
        _ => return Err(mismatch()),
    })
}

/// DELETE: set difference; `None` when nothing is left (the attribute is removed).
fn delete(
    existing: &AttributeValue,
    operand: &AttributeValue,
) -> Result<Option<AttributeValue>, ExprError> {
    fn difference<T: Clone + Ord>(existing: &[T], removed: &[T]) -> Vec<T> {
        let removed: std::collections::BTreeSet<&T> = removed.iter().collect();
        existing
            .iter()
            .filter(|e| !removed.contains(e))
            .cloned()
            .collect()
    }
    let result = match (existing, operand) {
        (AttributeValue::Ss(a), AttributeValue::Ss(b)) => AttributeValue::Ss(difference(a, b)),
        (AttributeValue::Ns(a), AttributeValue::Ns(b)) => AttributeValue::Ns(difference(a, b)),
        (AttributeValue::Bs(a), AttributeValue::Bs(b)) => AttributeValue::Bs(difference(a, b)),
        _ => return Err(ExprError::IncorrectDataType { operator: "DELETE" }),
    };
    let now_empty = match &result {
        AttributeValue::Ss(s) => s.is_empty(),
        AttributeValue::Ns(s) => s.is_empty(),
        AttributeValue::Bs(s) => s.is_empty(),
        _ => false,
    };
    Ok((!now_empty).then_some(result))
}

/// Whether `path`'s last element could be written in `item`: its parent exists and is a
/// map (for a key) or a list (for an index).
fn check_parent(item: &Item, path: &Path) -> Result<(), ExprError> {
    let invalid = || ExprError::InvalidUpdatePath {
        path: path.to_string(),
    };
    let elements = path.elements();
    if elements.len() == 1 {
        return Ok(());
    }
    let mut current = item.get(path.top_level_name()).ok_or_else(invalid)?;
    for element in &elements[1..elements.len() - 1] {
        current = match (element, current) {
            (PathElement::Key(key), AttributeValue::M(map)) => map.get(key).ok_or_else(invalid)?,
            (PathElement::Index(index), AttributeValue::L(list)) => {
                list.get(*index as usize).ok_or_else(invalid)?
            }
            _ => return Err(invalid()),
        };
    }
    match (elements.last(), current) {
        (Some(PathElement::Key(_)), AttributeValue::M(_))
        | (Some(PathElement::Index(_)), AttributeValue::L(_)) => Ok(()),
        _ => Err(invalid()),
    }
}

/// The container that holds the last element of `path`, which must exist.
fn parent_mut<'i>(item: &'i mut Item, path: &Path) -> Result<&'i mut AttributeValue, ExprError> {
    let invalid = || ExprError::InvalidUpdatePath {
        path: path.to_string(),
    };
    let elements = path.elements();
    let mut current = item.get_mut(path.top_level_name()).ok_or_else(invalid)?;
    for element in &elements[1..elements.len() - 1] {
        current = match (element, current) {
            (PathElement::Key(key), AttributeValue::M(map)) => {
                map.get_mut(key).ok_or_else(invalid)?
            }
            (PathElement::Index(index), AttributeValue::L(list)) => {
                list.get_mut(*index as usize).ok_or_else(invalid)?
            }
            _ => return Err(invalid()),
        };
    }
    Ok(current)
}

/// SET semantics: a list index past the end appends.
fn write(item: &mut Item, path: &Path, value: AttributeValue) -> Result<(), ExprError> {
    let elements = path.elements();
    if elements.len() == 1 {
        item.insert(path.top_level_name().to_string(), value);
        return Ok(());
    }
    let invalid = || ExprError::InvalidUpdatePath {
        path: path.to_string(),
    };
    match (
        elements.last().ok_or_else(invalid)?,
        parent_mut(item, path)?,
    ) {
        (PathElement::Key(key), AttributeValue::M(map)) => {
            map.insert(key.clone(), value);
        }
        (PathElement::Index(index), AttributeValue::L(list)) => match list.get_mut(*index as usize)
        {
            Some(slot) => *slot = value,
            None => list.push(value),
        },
        _ => return Err(invalid()),
    }
    Ok(())
}

/// REMOVE semantics: a missing final element is a no-op; list elements after it shift.
fn remove(item: &mut Item, path: &Path) -> Result<(), ExprError> {
    let elements = path.elements();
    if elements.len() == 1 {
        item.remove(path.top_level_name());
        return Ok(());
    }
    let invalid = || ExprError::InvalidUpdatePath {
        path: path.to_string(),
    };
    match (
        elements.last().ok_or_else(invalid)?,
        parent_mut(item, path)?,
    ) {
        (PathElement::Key(key), AttributeValue::M(map)) => {
            map.remove(key);
        }
        (PathElement::Index(index), AttributeValue::L(list)) => {
            if (*index as usize) < list.len() {
                list.remove(*index as usize);
            }
        }
        _ => return Err(invalid()),
    }
    Ok(())
}
