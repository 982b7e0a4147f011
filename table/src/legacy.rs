//! The legacy (pre-expression) parameters, translated into the expression AST.
//!
//! `Expected`, `QueryFilter` and `ScanFilter` become a [`Condition`], `KeyConditions` a
//! [`KeyCondition`], `AttributeUpdates` an [`UpdateExpr`]: the structures expressions
//! parse into, so one evaluator serves both forms. Nothing here evaluates anything.
//!
//! Each ComparisonOperator maps onto the expression language as DynamoDB defines it
//! (the API reference's `Condition` page; where it is silent, DynamoDB Local's
//! `LocalDBComparisonOperator`):
//!
//! | legacy        | expression                                        |
//! |---------------|---------------------------------------------------|
//! | EQ, NE, LT, … | `a = v`, `a <> v`, `a < v`, …                     |
//! | NOT_NULL      | `attribute_exists(a)`                             |
//! | NULL          | `attribute_not_exists(a)`                         |
//! | CONTAINS      | `contains(a, v)`                                  |
//! | NOT_CONTAINS  | `attribute_exists(a) AND NOT contains(a, v)` (false on a missing attribute) |
//! | BEGINS_WITH   | `begins_with(a, v)`                               |
//! | IN            | `a IN (v1, v2, …)`                                |
//! | BETWEEN       | `a BETWEEN v1 AND v2`                             |
//!
//! The conditions of one map combine with ConditionalOperator into a balanced tree, so
//! evaluation recurses O(log n) deep however many conditions a request carries.

use crate::catalog::KeyDef;
use crate::error::{LegacyError, ValidationError};
use crate::expr::{
    Comparator, Condition, KeyCondition, Operand, Path, SetAction, SetValue, SortCondition,
    UpdateExpr, UpdateOperand,
};
use crate::shapes::{
    AttributeAction, AttributeUpdates, ComparisonOperator, ConditionalOperator, Conditions,
    Expected, ExpectedAttributeValue,
};
use crate::types::{validate_value, AttributeValue, ScalarType};

/// Which legacy map a ConditionalOperator applies to, for its checks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Combined<'a> {
    /// `Expected` (PutItem, UpdateItem, DeleteItem).
    Expected(Option<&'a Expected>),
    /// `QueryFilter` or `ScanFilter`.
    Filter(Option<&'a Conditions>),
}

/// Checks ConditionalOperator against the map it combines: it needs two or more
/// entries (DynamoDB Local's `externalToInternalConditionalOperator`).
///
/// # Errors
/// [`LegacyError::ConditionalOperatorAlone`], [`LegacyError::ConditionalOperatorWithOne`].
pub(crate) fn check_conditional_operator(
    operator: Option<ConditionalOperator>,
    combined: Combined<'_>,
) -> Result<(), ValidationError> {
    if operator.is_none() {
        return Ok(());
    }
    let entries = match combined {
        Combined::Expected(map) => map.map_or(0, |m| m.len()),
        Combined::Filter(map) => map.map_or(0, |m| m.len()),
    };
    match entries {
        0 => Err(LegacyError::ConditionalOperatorAlone.into()),
        1 => Err(LegacyError::ConditionalOperatorWithOne.into()),
        _ => Ok(()),
    }
}

/// Validates one operator's arguments: each value, their count, one type among them,
/// a type the operator takes, and BETWEEN's order. The order of the checks and the
/// types each operator takes are those dynalite recorded against DynamoDB
/// (architect/dynalite validations/index.js `validateConditions`, test/query.js).
fn check_arguments(
    operator: ComparisonOperator,
    values: &[AttributeValue],
) -> Result<(), ValidationError> {
    use ComparisonOperator as C;
    for v in values {
        validate_value(v)?;
    }
    let count_ok = match operator {
        C::Null | C::NotNull => values.is_empty(),
        C::In => !values.is_empty(),
        C::Between => values.len() == 2,
        _ => values.len() == 1,
    };
    if !count_ok {
        return Err(LegacyError::ArgumentCount {
            operator: operator.as_str(),
        }
        .into());
    }
    if let Some(first) = values.first() {
        if values.iter().any(|v| v.type_tag() != first.type_tag()) {
            return Err(LegacyError::MixedTypes.into());
        }
        let tag = first.type_tag();
        let allowed = match operator {
            C::Eq | C::Ne => true,
            C::Lt | C::Le | C::Gt | C::Ge | C::In | C::Between => ScalarType::of(first).is_some(),
            C::Contains | C::NotContains => matches!(tag, "S" | "N" | "B" | "BOOL" | "NULL"),
            C::BeginsWith => matches!(tag, "S" | "B"),
            C::Null | C::NotNull => true,
        };
        if !allowed {
            return Err(LegacyError::OperatorType {
                operator: operator.as_str(),
                type_tag: tag,
            }
            .into());
        }
    }
    if let (C::Between, [low, high]) = (operator, values) {
        let reversed = crate::expr::eval::compare_scalars(low, high)
            .is_some_and(|o| o == std::cmp::Ordering::Greater);
        if reversed {
            return Err(LegacyError::BetweenReversed.into());
        }
    }
    Ok(())
}

/// One condition on a top-level attribute, as the expression AST.
fn leaf(name: &str, operator: ComparisonOperator, values: &[AttributeValue]) -> Condition {
    use ComparisonOperator as C;
    let path = Path::attribute(name);
    let attribute = || Operand::Path(path.clone());
    // Arguments were counted by `check_arguments`; an empty value stands in for a
    // missing one so that this function cannot panic.
    let value =
        |i: usize| Operand::Value(values.get(i).cloned().unwrap_or(AttributeValue::Null(true)));
    let compare = |comparator| Condition::Compare {
        left: attribute(),
        comparator,
        right: value(0),
    };
    match operator {
        C::Eq => compare(Comparator::Eq),
        C::Ne => compare(Comparator::Ne),
        C::Lt => compare(Comparator::Lt),
        C::Le => compare(Comparator::Le),
        C::Gt => compare(Comparator::Gt),
        C::Ge => compare(Comparator::Ge),
        C::NotNull => Condition::AttributeExists(path),
        C::Null => Condition::AttributeNotExists(path),
        C::Contains => Condition::Contains {
            operand: attribute(),
            element: value(0),
        },
        C::NotContains => Condition::And(
            Box::new(Condition::AttributeExists(path.clone())),
            Box::new(Condition::Not(Box::new(Condition::Contains {
                operand: attribute(),
                element: value(0),
            }))),
        ),
        C::BeginsWith => Condition::BeginsWith {
            operand: attribute(),
            prefix: value(0),
        },
        C::In => Condition::In {
            operand: attribute(),
            candidates: values.iter().cloned().map(Operand::Value).collect(),
        },
        C::Between => Condition::Between {
            operand: attribute(),
            low: value(0),
            high: value(1),
        },
    }
}

/// Combines conditions into a balanced AND/OR tree (depth ⌈log2 n⌉ + 1); `None` for none.
fn combine(mut leaves: Vec<Condition>, operator: ConditionalOperator) -> Option<Condition> {
    // Pairwise rounds: each halves the count, so the loop runs ⌈log2 n⌉ times.
    while leaves.len() > 1 {
        let mut next = Vec::with_capacity(leaves.len().div_ceil(2));
        let mut it = leaves.into_iter();
        while let Some(left) = it.next() {
            next.push(match it.next() {
                None => left,
                Some(right) => match operator {
                    ConditionalOperator::And => Condition::And(Box::new(left), Box::new(right)),
                    ConditionalOperator::Or => Condition::Or(Box::new(left), Box::new(right)),
                },
            });
        }
        leaves = next;
    }
    leaves.pop()
}

/// `QueryFilter` or `ScanFilter` as a filter condition (`None` for an empty map).
///
/// # Errors
/// The argument checks of each condition.
pub(crate) fn filter(
    conditions: &Conditions,
    operator: Option<ConditionalOperator>,
) -> Result<Option<Condition>, ValidationError> {
    let mut leaves = Vec::with_capacity(conditions.len());
    for (name, c) in conditions {
        let values = c.attribute_value_list.as_deref().unwrap_or_default();
        check_arguments(c.comparison_operator, values)?;
        leaves.push(leaf(name, c.comparison_operator, values));
    }
    Ok(combine(leaves, operator.unwrap_or_default()))
}

/// Refuses a QueryFilter on a key attribute of the table or index queried.
///
/// # Errors
/// [`LegacyError::QueryFilterOnKey`].
pub(crate) fn check_query_filter_keys(
    conditions: &Conditions,
    key: &KeyDef,
) -> Result<(), ValidationError> {
    match key.attrs().find(|k| conditions.contains_key(&k.name)) {
        Some(k) => Err(LegacyError::QueryFilterOnKey {
            attribute: k.name.clone(),
        }
        .into()),
        None => Ok(()),
    }
}

/// Validates one `Expected` entry in DynamoDB Local's order (`validateExpectedAttribute`)
/// and returns its operator and arguments.
fn expected_entry<'e>(
    name: &str,
    e: &'e ExpectedAttributeValue,
) -> Result<(ComparisonOperator, &'e [AttributeValue]), ValidationError> {
    let attribute = || name.to_owned();
    if e.exists.is_some() && e.comparison_operator.is_some() {
        return Err(LegacyError::ExistsWithOperator {
            attribute: attribute(),
        }
        .into());
    }
    if e.value.is_some() && e.attribute_value_list.is_some() {
        return Err(LegacyError::ValueWithList {
            attribute: attribute(),
        }
        .into());
    }
    if e.comparison_operator.is_none() && e.attribute_value_list.is_some() {
        return Err(LegacyError::ListWithoutOperator {
            attribute: attribute(),
        }
        .into());
    }
    if e.exists == Some(false) && e.value.is_some() {
        return Err(LegacyError::ValueWhenNotExists {
            attribute: attribute(),
        }
        .into());
    }
    let values: &[AttributeValue] = match (&e.value, &e.attribute_value_list) {
        (Some(v), _) => std::slice::from_ref(v),
        (None, Some(list)) => list,
        (None, None) => &[],
    };
    if values.is_empty() && e.attribute_value_list.is_none() {
        match (e.comparison_operator, e.exists) {
            (Some(op @ (ComparisonOperator::Null | ComparisonOperator::NotNull)), _) => {
                return Ok((op, values))
            }
            (Some(op), _) => {
                return Err(LegacyError::OperatorWithoutValue {
                    operator: op.as_str(),
                    attribute: attribute(),
                }
                .into())
            }
            (None, Some(false)) => return Ok((ComparisonOperator::Null, values)),
            (None, exists) => {
                return Err(LegacyError::ExistsWithoutValue {
                    exists: if exists.is_none() { "null" } else { "true" },
                    attribute: attribute(),
                }
                .into())
            }
        }
    }
    // A Value without an operator: Exists is true or absent, so it is an equality.
    Ok((
        e.comparison_operator.unwrap_or(ComparisonOperator::Eq),
        values,
    ))
}

/// `Expected` as a condition on the current item (`None` for an empty map).
///
/// # Errors
/// The entry checks, then the argument checks of each operator.
pub(crate) fn expected(
    expected: &Expected,
    operator: Option<ConditionalOperator>,
) -> Result<Option<Condition>, ValidationError> {
    let mut leaves = Vec::with_capacity(expected.len());
    for (name, e) in expected {
        let (op, values) = expected_entry(name, e)?;
        check_arguments(op, values)?;
        leaves.push(leaf(name, op, values));
    }
    Ok(combine(leaves, operator.unwrap_or_default()))
}

/// `KeyConditions` as a key condition on `key` (the table's or the index's schema), by
/// DynamoDB's rules (as dynalite recorded them: architect/dynalite actions/query.js).
///
/// # Errors
/// The argument checks, then [`LegacyError::KeyConditionCount`],
/// [`LegacyError::KeyConditionMissedKey`], [`LegacyError::NotIndexable`],
/// [`LegacyError::KeyConditionNotSupported`], and a value whose type differs from the
/// key's.
pub(crate) fn key_conditions(
    conditions: &Conditions,
    key: &KeyDef,
) -> Result<KeyCondition, ValidationError> {
    use ComparisonOperator as C;
    for c in conditions.values() {
        check_arguments(
            c.comparison_operator,
            c.attribute_value_list.as_deref().unwrap_or_default(),
        )?;
    }
    if key.is_multi_attribute() {
        return multi_attribute_key_conditions(conditions, key);
    }
    if !(1..=2).contains(&conditions.len()) {
        return Err(LegacyError::KeyConditionCount.into());
    }
    let missed = |name: &str| LegacyError::KeyConditionMissedKey {
        attribute: name.to_owned(),
    };
    let hash = &key.hash.name;
    let Some(on_hash) = conditions.get(hash) else {
        return Err(missed(hash).into());
    };
    let range = match (&key.range, conditions.len()) {
        (_, 1) => None,
        (Some(r), _) => Some((r, conditions.get(&r.name).ok_or_else(|| missed(&r.name))?)),
        (None, _) => return Err(LegacyError::KeyConditionNotSupported.into()),
    };
    let not_indexable = |op| {
        matches!(
            op,
            C::Null | C::NotNull | C::Contains | C::NotContains | C::In
        )
    };
    if conditions
        .values()
        .any(|c| not_indexable(c.comparison_operator))
    {
        return Err(LegacyError::NotIndexable.into());
    }
    if on_hash.comparison_operator != C::Eq {
        return Err(LegacyError::KeyConditionNotSupported.into());
    }
    let first = |c: &crate::shapes::Condition| {
        c.attribute_value_list
            .as_ref()
            .and_then(|l| l.first())
            .cloned()
            .ok_or(LegacyError::ArgumentCount {
                operator: c.comparison_operator.as_str(),
            })
    };
    let type_check = |name: &str, v: &AttributeValue, ty: ScalarType| {
        if ScalarType::of(v) == Some(ty) {
            Ok(())
        } else {
            Err(ValidationError::Expr(
                crate::expr::ExprError::KeyConditionTypeMismatch {
                    name: name.to_owned(),
                },
            ))
        }
    };
    let pk = first(on_hash)?;
    type_check(hash, &pk, key.hash.ty.scalar())?;
    let sort = match range {
        None => None,
        Some((attr, c)) => {
            let v = first(c)?;
            let condition = match c.comparison_operator {
                C::Eq => SortCondition::Eq(v.clone()),
                C::Lt => SortCondition::Lt(v.clone()),
                C::Le => SortCondition::Le(v.clone()),
                C::Gt => SortCondition::Gt(v.clone()),
                C::Ge => SortCondition::Ge(v.clone()),
                C::BeginsWith => SortCondition::BeginsWith(v.clone()),
                C::Between => {
                    let high = c
                        .attribute_value_list
                        .as_ref()
                        .and_then(|l| l.get(1))
                        .cloned()
                        .ok_or(LegacyError::ArgumentCount {
                            operator: C::Between.as_str(),
                        })?;
                    type_check(&attr.name, &high, attr.ty.scalar())?;
                    SortCondition::Between(v.clone(), high)
                }
                _ => return Err(LegacyError::KeyConditionNotSupported.into()),
            };
            type_check(&attr.name, &v, attr.ty.scalar())?;
            Some((attr.name.clone(), condition))
        }
    };
    Ok(KeyCondition {
        partition: vec![(hash.clone(), pk)],
        sort: sort.into_iter().collect(),
    })
}

/// [`key_conditions`] on a multi-attribute GSI key: each condition becomes its key
/// condition form, and the expression path's rules apply (equality on every partition
/// attribute, sort attributes left to right). DynamoDB accepts legacy KeyConditions on
/// such indexes (ScyllaDB's AWS-run `test_gsi_composite_keys.py`: "real DynamoDB appears
/// to allow it").
fn multi_attribute_key_conditions(
    conditions: &Conditions,
    key: &KeyDef,
) -> Result<KeyCondition, ValidationError> {
    use ComparisonOperator as C;
    let mut named = Vec::with_capacity(conditions.len());
    for (name, c) in conditions {
        let values = c.attribute_value_list.as_deref().unwrap_or_default();
        let arg = |i: usize| {
            values.get(i).cloned().ok_or(LegacyError::ArgumentCount {
                operator: c.comparison_operator.as_str(),
            })
        };
        let condition = match c.comparison_operator {
            C::Eq => SortCondition::Eq(arg(0)?),
            C::Lt => SortCondition::Lt(arg(0)?),
            C::Le => SortCondition::Le(arg(0)?),
            C::Gt => SortCondition::Gt(arg(0)?),
            C::Ge => SortCondition::Ge(arg(0)?),
            C::BeginsWith => SortCondition::BeginsWith(arg(0)?),
            C::Between => SortCondition::Between(arg(0)?, arg(1)?),
            C::Null | C::NotNull | C::Contains | C::NotContains | C::In => {
                return Err(LegacyError::NotIndexable.into())
            }
            _ => return Err(LegacyError::KeyConditionNotSupported.into()),
        };
        named.push((name.clone(), condition));
    }
    crate::expr::key_condition::resolve(named, &crate::exprs::schema_of(key))
        .map_err(ValidationError::Expr)
}

/// `AttributeUpdates` as an update expression: PUT is `SET a = v`, DELETE without a
/// value `REMOVE a`, DELETE with a set `DELETE a v`, ADD of a number or set `ADD a v`,
/// and ADD of a list `SET a = list_append(if_not_exists(a, []), v)` (DynamoDB Local
/// accepts lists for ADD: its `TypesSupportingAttributeAddUpdate`).
///
/// # Errors
/// Invalid values, [`LegacyError::UpdateWithoutValue`], [`LegacyError::DeleteType`],
/// [`LegacyError::AddType`].
pub(crate) fn attribute_updates(updates: &AttributeUpdates) -> Result<UpdateExpr, ValidationError> {
    let mut out = UpdateExpr::default();
    for (name, u) in updates {
        let path = Path::attribute(name);
        let action = u.action.unwrap_or_default();
        if let Some(v) = &u.value {
            validate_value(v)?;
        }
        match (action, &u.value) {
            (AttributeAction::Delete, None) => out.remove.push(path),
            (_, None) => return Err(LegacyError::UpdateWithoutValue.into()),
            (AttributeAction::Put, Some(v)) => out.set.push(SetAction {
                path,
                value: SetValue::Operand(UpdateOperand::Value(v.clone())),
            }),
            (AttributeAction::Delete, Some(v)) => {
                if !matches!(v.type_tag(), "SS" | "NS" | "BS") {
                    return Err(LegacyError::DeleteType {
                        type_tag: v.type_tag(),
                    }
                    .into());
                }
                out.delete.push((path, v.clone()));
            }
            (AttributeAction::Add, Some(v)) => match v.type_tag() {
                "N" | "SS" | "NS" | "BS" => out.add.push((path, v.clone())),
                "L" => out.set.push(SetAction {
                    path: path.clone(),
                    value: SetValue::Operand(UpdateOperand::ListAppend(
                        Box::new(UpdateOperand::IfNotExists(
                            path,
                            Box::new(UpdateOperand::Value(AttributeValue::L(Vec::new()))),
                        )),
                        Box::new(UpdateOperand::Value(v.clone())),
                    )),
                }),
                other => return Err(LegacyError::AddType { type_tag: other }.into()),
            },
        }
    }
    Ok(out)
}

/// Validates `AttributesToGet`: not empty, no name twice.
///
/// # Errors
/// [`LegacyError::EmptyAttributesToGet`], [`LegacyError::DuplicateAttributeToGet`].
pub(crate) fn check_attributes_to_get(names: &[String]) -> Result<(), ValidationError> {
    if names.is_empty() {
        return Err(LegacyError::EmptyAttributesToGet.into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for n in names {
        if !seen.insert(n.as_str()) {
            return Err(LegacyError::DuplicateAttributeToGet {
                attribute: n.clone(),
            }
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Number;

    fn cond(op: ComparisonOperator, values: Vec<AttributeValue>) -> crate::shapes::Condition {
        crate::shapes::Condition {
            comparison_operator: op,
            attribute_value_list: Some(values),
        }
    }

    #[test]
    fn many_conditions_make_a_shallow_tree() {
        fn depth(c: &Condition) -> usize {
            match c {
                Condition::And(a, b) | Condition::Or(a, b) => 1 + depth(a).max(depth(b)),
                Condition::Not(a) => 1 + depth(a),
                _ => 1,
            }
        }
        let map: Conditions = (0..10_000)
            .map(|i| {
                (
                    format!("a{i}"),
                    cond(
                        ComparisonOperator::Eq,
                        vec![AttributeValue::N(Number::from(i))],
                    ),
                )
            })
            .collect();
        let c = filter(&map, Some(ConditionalOperator::Or))
            .unwrap()
            .unwrap();
        assert!(depth(&c) <= 15, "depth {}", depth(&c));
    }

    #[test]
    fn argument_rules() {
        let s = || AttributeValue::S("a".into());
        let e = check_arguments(ComparisonOperator::Between, &[s()]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "One or more parameter values were invalid: Invalid number of argument(s) for the BETWEEN ComparisonOperator"
        );
        let e = check_arguments(
            ComparisonOperator::In,
            &[s(), AttributeValue::N(Number::from(1))],
        )
        .unwrap_err();
        assert!(matches!(
            e,
            ValidationError::Legacy(LegacyError::MixedTypes)
        ));
        let e = check_arguments(ComparisonOperator::Lt, &[AttributeValue::Bool(true)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "One or more parameter values were invalid: ComparisonOperator LT is not valid for BOOL AttributeValue type"
        );
        assert!(
            check_arguments(ComparisonOperator::Contains, &[AttributeValue::Null(true)]).is_ok()
        );
        assert!(check_arguments(ComparisonOperator::Eq, &[AttributeValue::L(vec![])]).is_ok());
    }
}
