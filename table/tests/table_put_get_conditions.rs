//! PutItem/GetItem/DeleteItem with ConditionExpression, ProjectionExpression and
//! ReturnValuesOnConditionCheckFailure, per DynamoDB's condition-expression docs.

mod support;

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

fn vals(pairs: &[(&str, AttributeValue)]) -> Option<BTreeMap<String, AttributeValue>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn names(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn get(db: &Database, pk: &str) -> Option<Item> {
    db.get_item(GetItemInput {
        table_name: "Products".into(),
        key: item(&[("pk", s(pk))]),
        consistent_read: Some(true),
        ..GetItemInput::default()
    })
    .unwrap()
    .item
}

fn product(pk: &str, price: &str) -> Item {
    item(&[
        ("pk", s(pk)),
        ("Price", n(price)),
        ("ProductCategory", s("Sporting Goods")),
        (
            "Details",
            AttributeValue::M(item(&[("Color", s("red")), ("Size", n("3"))])),
        ),
    ])
}

#[test]
fn attribute_not_exists_prevents_overwrites() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Products", None)).unwrap();
        let put = |it: Item| {
            db.put_item(PutItemInput {
                table_name: "Products".into(),
                item: it,
                condition_expression: Some("attribute_not_exists(pk)".into()),
                ..PutItemInput::default()
            })
        };
        put(product("p1", "100")).unwrap();
        let e = put(product("p1", "5")).unwrap_err();
        assert_eq!(e.exception_name(), "ConditionalCheckFailedException");
        assert_eq!(e.message(), "The conditional request failed");
        assert!(matches!(e, Error::ConditionalCheckFailed { item: None }));
        assert_eq!(get(&db, "p1"), Some(product("p1", "100")));
    });
}

#[test]
fn failed_condition_returns_the_old_item_when_asked() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Products", None)).unwrap();
        db.put_item(PutItemInput {
            table_name: "Products".into(),
            item: product("p1", "100"),
            ..PutItemInput::default()
        })
        .unwrap();
        let e = db
            .delete_item(DeleteItemInput {
                table_name: "Products".into(),
                key: item(&[("pk", s("p1"))]),
                condition_expression: Some("Price > :limit".into()),
                expression_attribute_values: vals(&[(":limit", n("500"))]),
                return_values_on_condition_check_failure: Some(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                ),
                ..DeleteItemInput::default()
            })
            .unwrap_err();
        match e {
            Error::ConditionalCheckFailed { item } => assert_eq!(item, Some(product("p1", "100"))),
            other => panic!("unexpected {other:?}"),
        }
        // The documented conditional delete succeeds when the condition holds.
        let out = db
            .delete_item(DeleteItemInput {
                table_name: "Products".into(),
                key: item(&[("pk", s("p1"))]),
                condition_expression: Some(
                    "(ProductCategory IN (:cat1, :cat2)) and (Price between :lo and :hi)".into(),
                ),
                expression_attribute_values: vals(&[
                    (":cat1", s("Sporting Goods")),
                    (":cat2", s("Gardening Supplies")),
                    (":lo", n("20")),
                    (":hi", n("500")),
                ]),
                return_values: Some(ReturnValue::AllOld),
                ..DeleteItemInput::default()
            })
            .unwrap();
        assert_eq!(out.attributes, Some(product("p1", "100")));
        assert_eq!(get(&db, "p1"), None);
    });
}

#[test]
fn get_item_projects_nested_paths_with_placeholders() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Products", None)).unwrap();
        db.put_item(PutItemInput {
            table_name: "Products".into(),
            item: product("p1", "100"),
            ..PutItemInput::default()
        })
        .unwrap();
        let out = db
            .get_item(GetItemInput {
                table_name: "Products".into(),
                key: item(&[("pk", s("p1"))]),
                projection_expression: Some("Price, #d.Color".into()),
                expression_attribute_names: names(&[("#d", "Details")]),
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
                ..GetItemInput::default()
            })
            .unwrap();
        assert_eq!(
            out.item,
            Some(item(&[
                ("Price", n("100")),
                ("Details", AttributeValue::M(item(&[("Color", s("red"))]))),
            ]))
        );
        let cc = out.consumed_capacity.unwrap();
        assert_eq!(cc.table_name, "Products");
        assert_eq!(cc.capacity_units, 0.5);
        // A missing item is an empty output, not an error.
        let none = db
            .get_item(GetItemInput {
                table_name: "Products".into(),
                key: item(&[("pk", s("nope"))]),
                ..GetItemInput::default()
            })
            .unwrap();
        assert_eq!(serde_json::to_string(&none).unwrap(), "{}");
    });
}

#[test]
fn expression_errors_are_validation_exceptions() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Products", None)).unwrap();
        let put = |cond: &str, v: Option<BTreeMap<String, AttributeValue>>| {
            db.put_item(PutItemInput {
                table_name: "Products".into(),
                item: product("p1", "1"),
                condition_expression: Some(cond.into()),
                expression_attribute_values: v,
                ..PutItemInput::default()
            })
            .unwrap_err()
        };
        let e = put("Price >", None);
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(e.message().contains("Syntax error"), "{}", e.message());
        let e = put("Price > :undefined", None);
        assert_eq!(e.exception_name(), "ValidationException");
        let e = put("attribute_exists(pk)", vals(&[(":unused", n("1"))]));
        assert!(e.message().contains("unused"), "{}", e.message());
        let e = put("attribute_exists(Size)", None);
        assert!(e.message().contains("reserved keyword"), "{}", e.message());
        // Nothing was written by any of them.
        assert_eq!(get(&db, "p1"), None);
    });
}

#[test]
fn items_with_every_attribute_type_roundtrip() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Products", None)).unwrap();
        let it = item(&[
            ("pk", s("all")),
            ("s", s("")),
            ("n", n("-1.5E-10")),
            ("b", AttributeValue::B(vec![0, 1, 255])),
            ("t", AttributeValue::Bool(true)),
            ("z", AttributeValue::Null(true)),
            (
                "m",
                AttributeValue::M(item(&[("x", AttributeValue::L(vec![n("1"), s("a")]))])),
            ),
            ("ss", AttributeValue::Ss(vec!["a".into(), "b".into()])),
            (
                "ns",
                AttributeValue::Ns(vec![shale_table::types::Number::parse("3").unwrap()]),
            ),
            ("bs", AttributeValue::Bs(vec![vec![1], vec![2]])),
        ]);
        db.put_item(PutItemInput {
            table_name: "Products".into(),
            item: it.clone(),
            ..PutItemInput::default()
        })
        .unwrap();
        assert_eq!(get(&db, "all"), Some(it));
    });
}
