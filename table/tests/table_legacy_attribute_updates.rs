//! The legacy `AttributeUpdates` parameter of UpdateItem: PUT, ADD and DELETE, with
//! DynamoDB's rules for numbers, sets, lists and missing attributes or items. A property
//! test applies random actions to items holding every attribute type and checks the
//! outcome (new item, ReturnValues, or the error) against the UpdateExpression twin, on
//! both backends. Then the cases dynalite recorded against DynamoDB (test/updateItem.js)
//! and DynamoDB's error texts.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shale_table::types::{AttributeValue, Item, Number};
use shale_table::*;
use support::*;

const TABLE: &str = "Upd";

fn ns(v: &[i64]) -> AttributeValue {
    AttributeValue::Ns(v.iter().map(|&x| Number::from(x)).collect())
}

fn ss(v: &[&str]) -> AttributeValue {
    AttributeValue::Ss(v.iter().map(|x| x.to_string()).collect())
}

/// What `v` holds before the update (None: absent; the item itself may be absent too).
fn before() -> impl Strategy<Value = Option<Option<AttributeValue>>> {
    prop_oneof![
        Just(None),
        Just(Some(None)),
        Just(Some(Some(n("5")))),
        Just(Some(Some(s("x")))),
        Just(Some(Some(ns(&[1, 2])))),
        Just(Some(Some(ss(&["a", "b"])))),
        Just(Some(Some(AttributeValue::Bs(vec![vec![1]])))),
        Just(Some(Some(AttributeValue::L(vec![s("a")])))),
    ]
}

/// A valid AttributeValueUpdate and its UpdateExpression twin (with `:x` the value).
fn action() -> impl Strategy<Value = (AttributeValueUpdate, &'static str)> {
    let value = prop_oneof![
        prop::sample::select(vec!["1", "-2.5", "0"]).prop_map(n),
        Just(ns(&[2, 3])),
        Just(ss(&["b", "c"])),
        Just(AttributeValue::Bs(vec![vec![1], vec![2]])),
        Just(AttributeValue::L(vec![n("1")])),
    ];
    let update = |action, value| AttributeValueUpdate {
        value,
        action: Some(action),
    };
    prop_oneof![
        prop_oneof![
            value.clone(),
            Just(s("y")),
            Just(AttributeValue::Bool(true))
        ]
        .prop_map(move |v| (update(AttributeAction::Put, Some(v)), "SET v = :x")),
        value.prop_map(move |v| {
            let twin = if matches!(v, AttributeValue::L(_)) {
                "SET v = list_append(if_not_exists(v, :empty), :x)"
            } else {
                "ADD v :x"
            };
            (update(AttributeAction::Add, Some(v)), twin)
        }),
        Just((update(AttributeAction::Delete, None), "REMOVE v")),
        prop_oneof![
            Just(ns(&[2, 9])),
            Just(ss(&["a"])),
            Just(AttributeValue::Bs(vec![vec![1]]))
        ]
        .prop_map(move |v| (update(AttributeAction::Delete, Some(v)), "DELETE v :x")),
    ]
}

fn seed(db: &Database, pk: &str, v: &Option<Option<AttributeValue>>) {
    db.delete_item(DeleteItemInput {
        table_name: TABLE.into(),
        key: item(&[("pk", s(pk))]),
        ..DeleteItemInput::default()
    })
    .unwrap();
    if let Some(v) = v {
        let mut it = item(&[("pk", s(pk)), ("other", n("7"))]);
        if let Some(v) = v {
            it.insert("v".into(), v.clone());
        }
        put(db, TABLE, it);
    }
}

fn get(db: &Database, pk: &str) -> Option<Item> {
    db.get_item(GetItemInput {
        table_name: TABLE.into(),
        key: item(&[("pk", s(pk))]),
        ..GetItemInput::default()
    })
    .unwrap()
    .item
}

/// Sets in a canonical order, so a union built in another order compares equal.
fn canonical(item: Option<Item>) -> Option<Item> {
    item.map(|mut i| {
        for v in i.values_mut() {
            match v {
                AttributeValue::Ss(x) => x.sort(),
                AttributeValue::Ns(x) => x.sort(),
                AttributeValue::Bs(x) => x.sort(),
                _ => {}
            }
        }
        i
    })
}

#[test]
fn attribute_updates_match_the_update_expression() {
    for_each_backend(|_, db| {
        db.create_table(simple_table(TABLE, None)).unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 96,
            failure_persistence: None,
            ..Config::default()
        });
        let rv = prop::sample::select(vec![
            ReturnValue::AllNew,
            ReturnValue::UpdatedOld,
            ReturnValue::UpdatedNew,
            ReturnValue::AllOld,
        ]);
        runner
            .run(&(before(), action(), rv), |(v, (update, twin), rv)| {
                seed(&db, "legacy", &v);
                seed(&db, "twin", &v);
                let legacy = db.update_item(UpdateItemInput {
                    table_name: TABLE.into(),
                    key: item(&[("pk", s("legacy"))]),
                    attribute_updates: Some([("v".to_string(), update.clone())].into()),
                    return_values: Some(rv),
                    ..UpdateItemInput::default()
                });
                let mut values = std::collections::BTreeMap::new();
                if let Some(x) = &update.value {
                    values.insert(":x".to_string(), x.clone());
                }
                if twin.contains(":empty") {
                    values.insert(":empty".to_string(), AttributeValue::L(vec![]));
                }
                let expression = db.update_item(UpdateItemInput {
                    table_name: TABLE.into(),
                    key: item(&[("pk", s("twin"))]),
                    update_expression: Some(twin.into()),
                    expression_attribute_values: (!values.is_empty()).then_some(values),
                    return_values: Some(rv),
                    ..UpdateItemInput::default()
                });
                match (legacy, expression) {
                    (Ok(a), Ok(b)) => {
                        let strip = |i: Option<Item>| {
                            canonical(i.map(|mut i| {
                                i.remove("pk");
                                i
                            }))
                        };
                        prop_assert_eq!(strip(a.attributes), strip(b.attributes));
                        prop_assert_eq!(strip(get(&db, "legacy")), strip(get(&db, "twin")));
                    }
                    (Err(a), Err(b)) => {
                        // The legacy wording for a type mismatch; the rest is shared.
                        let b = b.message().replace(
                            "An operand in the update expression has an incorrect data type",
                            "Type mismatch for attribute to update",
                        );
                        prop_assert_eq!(a.message(), b);
                    }
                    (a, b) => prop_assert!(false, "legacy {:?} twin {:?}", a, b),
                }
                Ok(())
            })
            .unwrap();
    });
}

fn update(
    db: &Database,
    pk: &str,
    updates: &[(&str, Option<AttributeAction>, Option<AttributeValue>)],
    rv: ReturnValue,
) -> Result<Option<Item>, Error> {
    db.update_item(UpdateItemInput {
        table_name: TABLE.into(),
        key: item(&[("pk", s(pk))]),
        attribute_updates: Some(
            updates
                .iter()
                .map(|(name, action, value)| {
                    (
                        name.to_string(),
                        AttributeValueUpdate {
                            value: value.clone(),
                            action: *action,
                        },
                    )
                })
                .collect(),
        ),
        return_values: Some(rv),
        ..UpdateItemInput::default()
    })
    .map(|o| o.attributes)
}

/// dynalite's "should just add valid ADD actions if nothing exists" and its neighbours,
/// recorded against DynamoDB.
#[test]
fn actions_on_missing_items_and_attributes() {
    use AttributeAction::*;
    for_each_backend(|_, db| {
        db.create_table(simple_table(TABLE, None)).unwrap();
        let out = update(
            &db,
            "new",
            &[
                ("b", Some(Delete), None),
                ("c", Some(Delete), Some(ss(&["a", "b"]))),
                ("d", Some(Add), Some(n("5"))),
                ("e", Some(Add), Some(ss(&["a", "b"]))),
            ],
            ReturnValue::UpdatedNew,
        )
        .unwrap();
        assert_eq!(out, Some(item(&[("d", n("5")), ("e", ss(&["a", "b"]))])));
        assert_eq!(
            get(&db, "new"),
            Some(item(&[
                ("pk", s("new")),
                ("d", n("5")),
                ("e", ss(&["a", "b"]))
            ]))
        );
        // PUT is the default action; ADD sums; DELETE of every element removes the set.
        update(&db, "new", &[("b", None, Some(n("1")))], ReturnValue::None).unwrap();
        let out = update(
            &db,
            "new",
            &[
                ("b", Some(Add), Some(n("3"))),
                ("e", Some(Delete), Some(ss(&["a", "b"]))),
            ],
            ReturnValue::UpdatedNew,
        )
        .unwrap();
        assert_eq!(out, Some(item(&[("b", n("4"))])));
        assert_eq!(get(&db, "new").unwrap().get("e"), None);
        // ADD of a list appends.
        update(
            &db,
            "new",
            &[("l", Some(Add), Some(AttributeValue::L(vec![n("1")])))],
            ReturnValue::None,
        )
        .unwrap();
        update(
            &db,
            "new",
            &[("l", Some(Add), Some(AttributeValue::L(vec![n("2")])))],
            ReturnValue::None,
        )
        .unwrap();
        assert_eq!(
            get(&db, "new").unwrap().get("l"),
            Some(&AttributeValue::L(vec![n("1"), n("2")]))
        );
        // No actions: the item is created with just its key.
        update(&db, "bare", &[], ReturnValue::None).unwrap();
        assert_eq!(get(&db, "bare"), Some(item(&[("pk", s("bare"))])));
    });
}

#[test]
fn attribute_update_errors_are_dynamodbs() {
    use AttributeAction::*;
    for_each_backend(|_, db| {
        db.create_table(simple_table(TABLE, None)).unwrap();
        update(
            &db,
            "k",
            &[("set", None, Some(ss(&["1"]))), ("num", None, Some(n("1")))],
            ReturnValue::None,
        )
        .unwrap();
        let err = |updates: &[(&str, Option<AttributeAction>, Option<AttributeValue>)]| {
            let e = update(&db, "k", updates, ReturnValue::None).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{e}");
            e.message()
        };
        let prefix = "One or more parameter values were invalid: ";
        assert_eq!(
            err(&[("a", None, None)]),
            format!("{prefix}Only DELETE action is allowed when no attribute value is specified")
        );
        assert_eq!(
            err(&[("a", Some(Add), None)]),
            format!("{prefix}Only DELETE action is allowed when no attribute value is specified")
        );
        for v in [
            s("x"),
            n("1"),
            AttributeValue::B(vec![1]),
            AttributeValue::Bool(true),
            AttributeValue::Null(true),
            AttributeValue::M(Default::default()),
            AttributeValue::L(vec![]),
        ] {
            assert_eq!(
                err(&[("a", Some(Delete), Some(v.clone()))]),
                format!(
                    "{prefix}DELETE action with value is not supported for the type {}",
                    v.type_tag()
                )
            );
        }
        for v in [
            s("x"),
            AttributeValue::B(vec![1]),
            AttributeValue::Bool(true),
            AttributeValue::Null(true),
            AttributeValue::M(Default::default()),
        ] {
            assert_eq!(
                err(&[("a", Some(Add), Some(v.clone()))]),
                format!(
                    "{prefix}ADD action is not supported for the type {}",
                    v.type_tag()
                )
            );
        }
        assert_eq!(
            err(&[("pk", Some(Put), Some(s("other")))]),
            format!("{prefix}Cannot update attribute pk. This attribute is part of the key")
        );
        for (name, v) in [("set", ns(&[1])), ("num", ns(&[1]))] {
            assert_eq!(
                err(&[(name, Some(Delete), Some(v))]),
                "Type mismatch for attribute to update"
            );
        }
        assert_eq!(
            err(&[("set", Some(Add), Some(ns(&[2])))]),
            "Type mismatch for attribute to update"
        );
        assert_eq!(
            err(&[("num", Some(Add), Some(ns(&[2])))]),
            "Type mismatch for attribute to update"
        );
        assert_eq!(
            err(&[("a", Some(Put), Some(AttributeValue::Ss(vec![])))]),
            "One or more parameter values were invalid: An string set  may not be empty"
        );
        // The item is unchanged by the refused updates.
        assert_eq!(
            get(&db, "k"),
            Some(item(&[
                ("pk", s("k")),
                ("set", ss(&["1"])),
                ("num", n("1"))
            ]))
        );
    });
}
