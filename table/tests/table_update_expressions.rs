//! UpdateItem with SET/REMOVE/ADD/DELETE, creation of missing items, conditions, and the
//! refusal to change key attributes — the examples of DynamoDB's update-expression docs.

mod support;

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item, Number};
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

fn update(
    db: &Database,
    expr: &str,
    v: &[(&str, AttributeValue)],
) -> Result<UpdateItemOutput, Error> {
    db.update_item(UpdateItemInput {
        table_name: "ProductCatalog".into(),
        key: item(&[("pk", s("p1"))]),
        update_expression: Some(expr.into()),
        expression_attribute_values: if v.is_empty() { None } else { vals(v) },
        return_values: Some(ReturnValue::AllNew),
        ..UpdateItemInput::default()
    })
}

fn ns(v: &[&str]) -> AttributeValue {
    AttributeValue::Ns(v.iter().map(|x| Number::parse(x).unwrap()).collect())
}

fn current(db: &Database) -> Item {
    db.get_item(GetItemInput {
        table_name: "ProductCatalog".into(),
        key: item(&[("pk", s("p1"))]),
        ..GetItemInput::default()
    })
    .unwrap()
    .item
    .unwrap()
}

#[test]
fn set_creates_the_item_and_arithmetic_updates_it() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("ProductCatalog", None))
            .unwrap();
        let out = update(
            &db,
            "SET ProductCategory = :c, Price = :p, RelatedItems = :ri",
            &[
                (":c", s("Hardware")),
                (":p", n("60")),
                (":ri", AttributeValue::L(vec![s("a"), s("b")])),
            ],
        )
        .unwrap();
        assert_eq!(
            out.attributes.unwrap(),
            item(&[
                ("pk", s("p1")),
                ("ProductCategory", s("Hardware")),
                ("Price", n("60")),
                ("RelatedItems", AttributeValue::L(vec![s("a"), s("b")])),
            ])
        );
        update(&db, "SET Price = Price - :d", &[(":d", n("15"))]).unwrap();
        assert_eq!(current(&db)["Price"], n("45"));
        update(
            &db,
            "SET RelatedItems = list_append(RelatedItems, :more)",
            &[(":more", AttributeValue::L(vec![s("c")]))],
        )
        .unwrap();
        assert_eq!(
            current(&db)["RelatedItems"],
            AttributeValue::L(vec![s("a"), s("b"), s("c")])
        );
        update(
            &db,
            "SET Stock = if_not_exists(Stock, :zero)",
            &[(":zero", n("0"))],
        )
        .unwrap();
        update(
            &db,
            "SET Stock = if_not_exists(Stock, :ten)",
            &[(":ten", n("10"))],
        )
        .unwrap();
        assert_eq!(current(&db)["Stock"], n("0"));
    });
}

#[test]
fn remove_add_and_delete_clauses() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("ProductCatalog", None))
            .unwrap();
        update(
            &db,
            "SET Color = :c, Tags = :t, Brand = :b",
            &[
                (
                    ":c",
                    AttributeValue::Ss(vec!["Red".into(), "Green".into(), "Blue".into()]),
                ),
                (":t", s("x")),
                (":b", s("Acme")),
            ],
        )
        .unwrap();
        update(&db, "REMOVE Tags, Brand", &[]).unwrap();
        let it = current(&db);
        assert!(!it.contains_key("Tags") && !it.contains_key("Brand"));
        // ADD to a missing number creates it; ADD to a set unions.
        update(&db, "ADD QuantityOnHand :q", &[(":q", n("5"))]).unwrap();
        update(&db, "ADD QuantityOnHand :q", &[(":q", n("-2"))]).unwrap();
        assert_eq!(current(&db)["QuantityOnHand"], n("3"));
        update(&db, "ADD Sizes :s", &[(":s", ns(&["1", "2"]))]).unwrap();
        update(&db, "ADD Sizes :s", &[(":s", ns(&["2", "3"]))]).unwrap();
        match &current(&db)["Sizes"] {
            AttributeValue::Ns(v) => {
                let mut v: Vec<String> = v.iter().map(|n| n.to_string()).collect();
                v.sort();
                assert_eq!(v, vec!["1", "2", "3"]);
            }
            other => panic!("{other:?}"),
        }
        update(
            &db,
            "DELETE Color :gone",
            &[(
                ":gone",
                AttributeValue::Ss(vec!["Red".into(), "Blue".into()]),
            )],
        )
        .unwrap();
        assert_eq!(
            current(&db)["Color"],
            AttributeValue::Ss(vec!["Green".into()])
        );
        // Deleting the last element removes the attribute.
        update(
            &db,
            "DELETE Color :gone",
            &[(":gone", AttributeValue::Ss(vec!["Green".into()]))],
        )
        .unwrap();
        assert!(!current(&db).contains_key("Color"));
    });
}

#[test]
fn conditional_update_and_type_errors_leave_the_item_unchanged() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("ProductCatalog", None))
            .unwrap();
        update(
            &db,
            "SET Price = :p, Name1 = :n",
            &[(":p", n("500")), (":n", s("bike"))],
        )
        .unwrap();
        let before = current(&db);
        let e = db
            .update_item(UpdateItemInput {
                table_name: "ProductCatalog".into(),
                key: item(&[("pk", s("p1"))]),
                update_expression: Some("SET Price = Price - :discount".into()),
                condition_expression: Some("Price > :limit".into()),
                expression_attribute_values: vals(&[(":discount", n("150")), (":limit", n("600"))]),
                return_values_on_condition_check_failure: Some(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                ),
                ..UpdateItemInput::default()
            })
            .unwrap_err();
        match e {
            Error::ConditionalCheckFailed { item } => assert_eq!(item.as_ref(), Some(&before)),
            other => panic!("{other:?}"),
        }
        let e = update(&db, "SET Price = Name1 + :one", &[(":one", n("1"))]).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(
            e.message().contains("incorrect data type"),
            "{}",
            e.message()
        );
        assert_eq!(current(&db), before);
    });
}

#[test]
fn key_attributes_cannot_be_updated() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("ProductCatalog", None))
            .unwrap();
        let e = update(&db, "SET pk = :v", &[(":v", s("other"))]).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(
            e.message().contains("This attribute is part of the key"),
            "{}",
            e.message()
        );
        let e = update(&db, "REMOVE pk", &[]).unwrap_err();
        assert!(e.message().contains("part of the key"), "{}", e.message());
        // No item was created by the failed updates.
        let got = db
            .get_item(GetItemInput {
                table_name: "ProductCatalog".into(),
                key: item(&[("pk", s("p1"))]),
                ..GetItemInput::default()
            })
            .unwrap();
        assert_eq!(got.item, None);
    });
}

#[test]
fn an_update_that_makes_the_item_too_large_is_rejected() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("ProductCatalog", None))
            .unwrap();
        let big = s(&"x".repeat(300 * 1024));
        update(&db, "SET a = :v", &[(":v", big.clone())]).unwrap();
        let e = update(&db, "SET b = :v", &[(":v", big)]).unwrap_err();
        // UpdateItem's own wording (the API reference lists it; dynalite and moto
        // recorded it), not PutItem's "Item size has exceeded the maximum allowed size".
        assert_eq!(
            e.message(),
            "Item size to update has exceeded the maximum allowed size"
        );
        assert!(!current(&db).contains_key("b"));
    });
}
