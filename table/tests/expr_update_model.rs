//! Model test: random top-level SET / REMOVE / ADD updates, built as expression text and
//! parsed, must do exactly what a naive `BTreeMap` model does. proptest prints the seed
//! and the minimal failing case.

use std::collections::BTreeMap;

use proptest::prelude::*;
use shale_table::expr::{apply_update, parse_request, RequestExpressions};
use shale_table::types::{AttributeValue, Item, Number};

/// Attributes a0..a{ATTRIBUTES-1}; none is a reserved word.
const ATTRIBUTES: usize = 8;

#[derive(Debug, Clone)]
enum Op {
    Keep,
    Set(i64),
    Remove,
    Add(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::Keep),
        (-1000i64..1000).prop_map(Op::Set),
        Just(Op::Remove),
        (-1000i64..1000).prop_map(Op::Add),
    ]
}

fn n(value: i64) -> AttributeValue {
    AttributeValue::N(Number::from(value))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn top_level_updates_match_the_model(
        initial in proptest::collection::vec(proptest::option::of(-1000i64..1000), ATTRIBUTES),
        ops in proptest::collection::vec(op(), ATTRIBUTES),
    ) {
        let old: Item = initial
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.map(|v| (format!("a{i}"), n(v))))
            .collect();
        let mut model = old.clone();
        let (mut set, mut remove, mut add) = (Vec::new(), Vec::new(), Vec::new());
        let mut values = BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            let name = format!("a{i}");
            match op {
                Op::Keep => {}
                Op::Set(v) => {
                    set.push(format!("{name} = :v{i}"));
                    values.insert(format!(":v{i}"), n(*v));
                    model.insert(name, n(*v));
                }
                Op::Remove => {
                    remove.push(name.clone());
                    model.remove(&name);
                }
                Op::Add(v) => {
                    add.push(format!("{name} :v{i}"));
                    values.insert(format!(":v{i}"), n(*v));
                    let sum = match old.get(&name) {
                        Some(AttributeValue::N(existing)) => existing.checked_add(&Number::from(*v)).unwrap(),
                        _ => Number::from(*v),
                    };
                    model.insert(name, AttributeValue::N(sum));
                }
            }
        }
        let mut clauses = Vec::new();
        if !set.is_empty() { clauses.push(format!("SET {}", set.join(", "))); }
        if !remove.is_empty() { clauses.push(format!("REMOVE {}", remove.join(", "))); }
        if !add.is_empty() { clauses.push(format!("ADD {}", add.join(", "))); }
        prop_assume!(!clauses.is_empty());
        // Clause order must not matter.
        clauses.reverse();
        let text = clauses.join(" ");
        let request = RequestExpressions { update: Some(&text), ..Default::default() };
        let values_arg = (!values.is_empty()).then_some(&values);
        let parsed = parse_request(&request, None, values_arg).unwrap();
        let outcome = apply_update(parsed.update.as_ref().unwrap(), Some(&old)).unwrap();
        prop_assert_eq!(&outcome.item, &model, "expression: {}", text);
        let touched: Vec<String> = ops
            .iter()
            .enumerate()
            .filter(|(_, op)| !matches!(op, Op::Keep))
            .map(|(i, _)| format!("a{i}"))
            .collect();
        prop_assert_eq!(outcome.updated_attributes.into_iter().collect::<Vec<_>>(), touched);
    }
}
