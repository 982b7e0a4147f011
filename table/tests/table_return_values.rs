//! ReturnValues for each write operation: which values are allowed where, and what each
//! returns (ALL_OLD, ALL_NEW, UPDATED_OLD, UPDATED_NEW with nested paths).

mod support;

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

fn original() -> Item {
    item(&[
        ("pk", s("k")),
        ("a", n("1")),
        ("b", s("keep")),
        (
            "m",
            AttributeValue::M(item(&[("x", n("1")), ("y", n("2"))])),
        ),
    ])
}

fn setup(db: &Database) {
    db.create_table(simple_table("Rv_table", None)).unwrap();
    db.put_item(PutItemInput {
        table_name: "Rv_table".into(),
        item: original(),
        ..PutItemInput::default()
    })
    .unwrap();
}

fn update(db: &Database, rv: ReturnValue) -> Option<Item> {
    db.update_item(UpdateItemInput {
        table_name: "Rv_table".into(),
        key: item(&[("pk", s("k"))]),
        update_expression: Some("SET a = a + :one, m.x = :ten".into()),
        expression_attribute_values: Some(BTreeMap::from([
            (":one".to_string(), n("1")),
            (":ten".to_string(), n("10")),
        ])),
        return_values: Some(rv),
        ..UpdateItemInput::default()
    })
    .unwrap()
    .attributes
}

#[test]
fn update_item_return_values() {
    for_each_backend(|_, db| {
        setup(&db);
        assert_eq!(update(&db, ReturnValue::None), None);
        // Now a = 2, m.x = 10.
        assert_eq!(
            update(&db, ReturnValue::UpdatedOld),
            Some(item(&[
                ("a", n("2")),
                ("m", AttributeValue::M(item(&[("x", n("10"))])))
            ]))
        );
        assert_eq!(
            update(&db, ReturnValue::UpdatedNew),
            Some(item(&[
                ("a", n("4")),
                ("m", AttributeValue::M(item(&[("x", n("10"))])))
            ]))
        );
        let old = update(&db, ReturnValue::AllOld).unwrap();
        assert_eq!(old["a"], n("4"));
        assert_eq!(old["b"], s("keep"));
        let new = update(&db, ReturnValue::AllNew).unwrap();
        assert_eq!(new["a"], n("6"));
        assert_eq!(
            new["m"],
            AttributeValue::M(item(&[("x", n("10")), ("y", n("2"))]))
        );
    });
}

#[test]
fn put_and_delete_allow_only_none_and_all_old() {
    for_each_backend(|_, db| {
        setup(&db);
        for rv in [
            ReturnValue::AllNew,
            ReturnValue::UpdatedOld,
            ReturnValue::UpdatedNew,
        ] {
            let e = db
                .put_item(PutItemInput {
                    table_name: "Rv_table".into(),
                    item: original(),
                    return_values: Some(rv),
                    ..PutItemInput::default()
                })
                .unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException");
            let e = db
                .delete_item(DeleteItemInput {
                    table_name: "Rv_table".into(),
                    key: item(&[("pk", s("k"))]),
                    return_values: Some(rv),
                    ..DeleteItemInput::default()
                })
                .unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException");
        }
        let mut replacement = original();
        replacement.insert("a".into(), n("99"));
        let out = db
            .put_item(PutItemInput {
                table_name: "Rv_table".into(),
                item: replacement.clone(),
                return_values: Some(ReturnValue::AllOld),
                ..PutItemInput::default()
            })
            .unwrap();
        assert_eq!(out.attributes, Some(original()));
        // Putting a brand-new item with ALL_OLD returns nothing.
        let out = db
            .put_item(PutItemInput {
                table_name: "Rv_table".into(),
                item: item(&[("pk", s("fresh"))]),
                return_values: Some(ReturnValue::AllOld),
                ..PutItemInput::default()
            })
            .unwrap();
        assert_eq!(out.attributes, None);
        let out = db
            .delete_item(DeleteItemInput {
                table_name: "Rv_table".into(),
                key: item(&[("pk", s("k"))]),
                return_values: Some(ReturnValue::AllOld),
                ..DeleteItemInput::default()
            })
            .unwrap();
        assert_eq!(out.attributes, Some(replacement));
    });
}
