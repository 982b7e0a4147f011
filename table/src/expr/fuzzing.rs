//! The fuzz target's body, here so that stable tests can replay the corpus through it.

use std::collections::BTreeMap;

use super::{
    apply_update, eval_condition, parse_condition, parse_key_condition, parse_projection,
    parse_update, project, ExprKind, KeyAttribute, KeySchema, Placeholders,
};
use crate::types::{AttributeValue, Item, Number, ScalarType};

/// Runs `data` (as lossy UTF-8) through every parser entry point and evaluates whatever
/// parses against a fixed sample item. It must never panic, whatever the input.
pub fn parse_and_eval(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (item, names, values) = sample();
    let schema = KeySchema::simple(
        KeyAttribute {
            name: "pk",
            key_type: ScalarType::S,
        },
        Some(KeyAttribute {
            name: "sk",
            key_type: ScalarType::N,
        }),
    );
    let fresh =
        || Placeholders::new(Some(&names), Some(&values)).expect("the sample maps are valid");

    for kind in [ExprKind::Condition, ExprKind::Filter] {
        let mut placeholders = fresh();
        if let Ok(condition) = parse_condition(&text, kind, &mut placeholders) {
            let _ = eval_condition(&condition, &item);
            let _ = eval_condition(&condition, &Item::new());
            let _ = placeholders.finish(true);
        }
    }
    let mut placeholders = fresh();
    if let Ok(paths) = parse_projection(&text, &mut placeholders) {
        let _ = project(&item, &paths);
    }
    let mut placeholders = fresh();
    if let Ok(update) = parse_update(&text, &mut placeholders) {
        let _ = apply_update(&update, Some(&item));
        let _ = apply_update(&update, None);
    }
    let mut placeholders = fresh();
    let _ = parse_key_condition(&text, &schema, &mut placeholders);
}

/// The item, names and values every fuzz input is evaluated with.
fn sample() -> (
    Item,
    BTreeMap<String, String>,
    BTreeMap<String, AttributeValue>,
) {
    let n = |i: i64| AttributeValue::N(Number::from(i));
    let s = |text: &str| AttributeValue::S(text.to_string());
    let nested = AttributeValue::M(BTreeMap::from([
        ("x".to_string(), n(1)),
        (
            "list".to_string(),
            AttributeValue::L(vec![n(1), s("two"), AttributeValue::Null(true)]),
        ),
    ]));
    let item = Item::from([
        ("pk".to_string(), s("user#1")),
        ("sk".to_string(), n(7)),
        ("a".to_string(), n(10)),
        ("b".to_string(), s("hello")),
        ("c".to_string(), AttributeValue::Bool(true)),
        ("m".to_string(), nested),
        ("l".to_string(), AttributeValue::L(vec![n(1), n(2), n(3)])),
        (
            "ss".to_string(),
            AttributeValue::Ss(vec!["a".into(), "b".into()]),
        ),
        (
            "ns".to_string(),
            AttributeValue::Ns(vec![Number::from(1), Number::from(2)]),
        ),
        ("bin".to_string(), AttributeValue::B(vec![0, 1, 2])),
        ("status".to_string(), s("active")),
    ]);
    let names = BTreeMap::from([
        ("#n".to_string(), "a".to_string()),
        ("#s".to_string(), "status".to_string()),
        ("#m".to_string(), "m".to_string()),
        ("#pk".to_string(), "pk".to_string()),
    ]);
    let values = BTreeMap::from([
        (":v".to_string(), n(5)),
        (":one".to_string(), n(1)),
        (":s".to_string(), s("he")),
        (":t".to_string(), s("S")),
        (":l".to_string(), AttributeValue::L(vec![n(9)])),
        (
            ":set".to_string(),
            AttributeValue::Ss(vec!["a".into(), "z".into()]),
        ),
        (
            ":nset".to_string(),
            AttributeValue::Ns(vec![Number::from(2)]),
        ),
        (":b".to_string(), AttributeValue::B(vec![0])),
        (
            ":big".to_string(),
            AttributeValue::N(
                Number::parse("9.9999999999999999999999999999999999999E+125").expect("valid"),
            ),
        ),
        (":pk".to_string(), s("user#1")),
    ]);
    (item, names, values)
}
