//! The legacy `Expected` parameter (with `Exists`, `Value`, `ComparisonOperator`,
//! `AttributeValueList` and `ConditionalOperator`) on PutItem, UpdateItem and
//! DeleteItem. Each operator family is a property test: over items holding every
//! attribute type, a conditional write with `Expected` must succeed or fail exactly as
//! its ConditionExpression twin does, on both backends. Then DynamoDB's error texts.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shale_table::types::{AttributeValue, Item, Number};
use shale_table::ComparisonOperator as C;
use shale_table::*;
use support::*;

const TABLE: &str = "Cond";

fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(bytes.to_vec())
}

/// What attribute `v` of item `k{i}` holds (None: the item lacks `v`).
fn palette() -> Vec<Option<AttributeValue>> {
    vec![
        Some(s("a")),
        Some(s("ab")),
        Some(n("1")),
        Some(n("10")),
        Some(b(&[1])),
        Some(b(&[1, 2, 3])),
        Some(AttributeValue::Ss(vec!["a".into(), "b".into()])),
        Some(AttributeValue::Ns(vec![Number::from(1), Number::from(2)])),
        Some(AttributeValue::Bs(vec![vec![2, 3]])),
        Some(AttributeValue::L(vec![
            s("a"),
            n("1"),
            AttributeValue::Null(true),
        ])),
        Some(AttributeValue::M([("a".to_string(), s("a"))].into())),
        Some(AttributeValue::Bool(false)),
        Some(AttributeValue::Null(true)),
        None,
    ]
}

fn stored(i: usize) -> Item {
    let mut it = item(&[("pk", s(&format!("k{i}"))), ("w", n(&i.to_string()))]);
    if let Some(v) = &palette()[i] {
        it.insert("v".into(), v.clone());
    }
    it
}

fn populate(db: &Database) {
    db.create_table(simple_table(TABLE, None)).unwrap();
    for i in 0..palette().len() {
        put(db, TABLE, stored(i));
    }
}

fn scalar() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        prop::sample::select(vec!["a", "ab", "b"]).prop_map(s),
        prop::sample::select(vec!["1", "2", "10", "1.0"]).prop_map(n),
        prop::sample::select(vec![vec![1u8], vec![2, 3], vec![1, 2, 3]])
            .prop_map(AttributeValue::B),
    ]
}

/// Ok(true) when the write happened, Ok(false) on ConditionalCheckFailed.
fn outcome(r: Result<PutItemOutput, Error>) -> Result<bool, TestCaseError> {
    match r {
        Ok(_) => Ok(true),
        Err(Error::ConditionalCheckFailed { .. }) => Ok(false),
        Err(e) => Err(TestCaseError::fail(format!("unexpected error: {e}"))),
    }
}

/// PutItem of each stored item (unchanged) under `expected` and under its twin.
fn assert_expected_agrees(
    db: &Database,
    expected: Expected,
    op: Option<ConditionalOperator>,
    twin: &str,
    values: Option<std::collections::BTreeMap<String, AttributeValue>>,
) -> Result<(), TestCaseError> {
    for i in 0..palette().len() {
        let legacy = outcome(db.put_item(PutItemInput {
            table_name: TABLE.into(),
            item: stored(i),
            expected: Some(expected.clone()),
            conditional_operator: op,
            ..PutItemInput::default()
        }))?;
        let expression = outcome(db.put_item(PutItemInput {
            table_name: TABLE.into(),
            item: stored(i),
            condition_expression: Some(twin.to_owned()),
            expression_attribute_values: values.clone(),
            ..PutItemInput::default()
        }))?;
        prop_assert_eq!(legacy, expression, "item {} twin {}", i, twin);
    }
    Ok(())
}

fn with_operator(op: C, args: &[AttributeValue]) -> ExpectedAttributeValue {
    ExpectedAttributeValue {
        comparison_operator: Some(op),
        attribute_value_list: Some(args.to_vec()),
        ..ExpectedAttributeValue::default()
    }
}

fn run_family(strategy: impl Strategy<Value = (C, Vec<AttributeValue>)>) {
    for_each_backend(|_, db| {
        populate(&db);
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |(op, args)| {
                let expected: Expected = [("v".to_string(), with_operator(op, &args))].into();
                let twin = legacy_twin("v", op, args.len());
                assert_expected_agrees(&db, expected, None, &twin, twin_values(&args))
            })
            .unwrap();
    });
}

#[test]
fn comparison_family_matches_the_condition_expression() {
    run_family(prop_oneof![
        (
            prop::sample::select(vec![C::Eq, C::Ne]),
            prop_oneof![
                scalar(),
                Just(AttributeValue::Ss(vec!["b".into(), "a".into()])),
                Just(AttributeValue::Bool(false)),
                Just(AttributeValue::Null(true)),
            ]
        )
            .prop_map(|(o, v)| (o, vec![v])),
        (
            prop::sample::select(vec![C::Lt, C::Le, C::Gt, C::Ge]),
            scalar()
        )
            .prop_map(|(o, v)| (o, vec![v])),
    ]);
}

#[test]
fn existence_family_matches_the_condition_expression() {
    run_family(prop::sample::select(vec![C::Null, C::NotNull]).prop_map(|o| (o, vec![])));
}

#[test]
fn membership_family_matches_the_condition_expression() {
    run_family(prop_oneof![
        (
            prop::sample::select(vec![C::Contains, C::NotContains]),
            prop_oneof![scalar(), Just(AttributeValue::Null(true))]
        )
            .prop_map(|(o, v)| (o, vec![v])),
        prop::collection::vec(prop::sample::select(vec!["a", "b", "ab"]).prop_map(s), 1..4)
            .prop_map(|v| (C::In, v)),
        prop::collection::vec(prop::sample::select(vec!["1", "2", "10"]).prop_map(n), 1..4)
            .prop_map(|v| (C::In, v)),
    ]);
}

#[test]
fn range_family_matches_the_condition_expression() {
    run_family(prop_oneof![
        (scalar(), scalar()).prop_filter_map("same type, ordered", |(x, y)| {
            let order = shale_table::expr::eval::compare_scalars(&x, &y)?;
            Some(match order {
                std::cmp::Ordering::Greater => (C::Between, vec![y, x]),
                _ => (C::Between, vec![x, y]),
            })
        }),
        prop_oneof![
            prop::sample::select(vec!["a", "ab"]).prop_map(s),
            prop::sample::select(vec![vec![1u8], vec![1, 2]]).prop_map(AttributeValue::B),
        ]
        .prop_map(|v| (C::BeginsWith, vec![v])),
    ]);
}

/// `Value` alone, `Exists: true` with `Value`, and `Exists: false`: the forms before
/// ComparisonOperator existed; and two entries joined by ConditionalOperator.
#[test]
fn exists_forms_and_conditional_operator_match_the_condition_expression() {
    for_each_backend(|_, db| {
        populate(&db);
        let mut runner = TestRunner::new(Config {
            cases: 24,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = (
            scalar(),
            prop::sample::select(vec![None, Some(true), Some(false)]),
            prop::sample::select(vec!["0", "3", "12"]),
            prop::sample::select(vec![
                None,
                Some(ConditionalOperator::And),
                Some(ConditionalOperator::Or),
            ]),
        );
        runner
            .run(&strategy, |(value, exists, w, op)| {
                let (v_entry, v_twin) = match exists {
                    Some(false) => (
                        ExpectedAttributeValue {
                            exists: Some(false),
                            ..ExpectedAttributeValue::default()
                        },
                        "attribute_not_exists(v)",
                    ),
                    _ => (
                        ExpectedAttributeValue {
                            value: Some(value.clone()),
                            exists,
                            ..ExpectedAttributeValue::default()
                        },
                        "v = :a0",
                    ),
                };
                let w_entry = with_operator(C::Ge, &[n(w)]);
                let expected: Expected =
                    [("v".to_string(), v_entry), ("w".to_string(), w_entry)].into();
                let joiner = if op == Some(ConditionalOperator::Or) {
                    "OR"
                } else {
                    "AND"
                };
                let twin = format!("({v_twin}) {joiner} (w >= :w)");
                let mut values = std::collections::BTreeMap::new();
                if exists != Some(false) {
                    values.insert(":a0".to_string(), value);
                }
                values.insert(":w".to_string(), n(w));
                assert_expected_agrees(&db, expected, op, &twin, Some(values))
            })
            .unwrap();
    });
}

/// Where the legacy operators differ from a naive reading of their expression names,
/// as DynamoDB defines them: NOT_CONTAINS is false on a missing attribute, NE is true,
/// CONTAINS finds a subsequence of a binary and an element of a list.
#[test]
fn legacy_operator_semantics_on_missing_and_binary_attributes() {
    for_each_backend(|_, db| {
        populate(&db);
        let holds = |i: usize, op: C, args: &[AttributeValue]| {
            outcome(db.put_item(PutItemInput {
                table_name: TABLE.into(),
                item: stored(i),
                expected: Some([("v".to_string(), with_operator(op, args))].into()),
                ..PutItemInput::default()
            }))
            .unwrap()
        };
        let missing = palette().len() - 1;
        assert!(!holds(missing, C::NotContains, &[s("a")]));
        assert!(holds(missing, C::Ne, &[s("a")]));
        assert!(!holds(missing, C::Contains, &[s("a")]));
        assert!(holds(5, C::Contains, &[b(&[2, 3])]), "binary subsequence");
        assert!(!holds(5, C::Contains, &[b(&[1, 3])]));
        assert!(
            holds(9, C::Contains, &[AttributeValue::Null(true)]),
            "list element"
        );
        assert!(holds(7, C::Contains, &[n("2")]), "number set member");
        assert!(holds(0, C::NotContains, &[s("b")]));
        assert!(!holds(1, C::NotContains, &[s("b")]));
    });
}

#[test]
fn expected_guards_update_item_and_delete_item() {
    for_each_backend(|_, db| {
        populate(&db);
        let key = item(&[("pk", s("k2"))]);
        // UpdateItem: Expected on v = 1 holds for k2.
        db.update_item(UpdateItemInput {
            table_name: TABLE.into(),
            key: key.clone(),
            update_expression: None,
            attribute_updates: Some(
                [(
                    "x".to_string(),
                    AttributeValueUpdate {
                        value: Some(s("set")),
                        action: Some(AttributeAction::Put),
                    },
                )]
                .into(),
            ),
            expected: Some(
                [(
                    "v".to_string(),
                    ExpectedAttributeValue {
                        value: Some(n("1")),
                        ..ExpectedAttributeValue::default()
                    },
                )]
                .into(),
            ),
            ..UpdateItemInput::default()
        })
        .unwrap();
        // DeleteItem: Exists false on an attribute the item has fails, and returns the
        // item when asked.
        let e = db
            .delete_item(DeleteItemInput {
                table_name: TABLE.into(),
                key: key.clone(),
                expected: Some(
                    [(
                        "x".to_string(),
                        ExpectedAttributeValue {
                            exists: Some(false),
                            ..ExpectedAttributeValue::default()
                        },
                    )]
                    .into(),
                ),
                return_values_on_condition_check_failure: Some(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                ),
                ..DeleteItemInput::default()
            })
            .unwrap_err();
        match e {
            Error::ConditionalCheckFailed { item: Some(old) } => {
                assert_eq!(old.get("x"), Some(&s("set")));
            }
            other => panic!("{other:?}"),
        }
        // Expecting a value on an absent item fails.
        let e = db
            .delete_item(DeleteItemInput {
                table_name: TABLE.into(),
                key: item(&[("pk", s("absent"))]),
                expected: Some([("v".to_string(), with_operator(C::NotNull, &[]))].into()),
                ..DeleteItemInput::default()
            })
            .unwrap_err();
        assert!(matches!(e, Error::ConditionalCheckFailed { .. }));
        db.delete_item(DeleteItemInput {
            table_name: TABLE.into(),
            key,
            expected: Some([("v".to_string(), with_operator(C::Eq, &[n("1")]))].into()),
            ..DeleteItemInput::default()
        })
        .unwrap();
    });
}

fn put_err(db: &Database, expected: Expected, op: Option<ConditionalOperator>) -> String {
    let e = db
        .put_item(PutItemInput {
            table_name: TABLE.into(),
            item: stored(0),
            expected: Some(expected),
            conditional_operator: op,
            ..PutItemInput::default()
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException", "{e}");
    e.message()
}

/// The texts DynamoDB Local raises in `validateExpectedAttribute` and
/// `validateArgumentsForComparisonOperator` (and dynalite recorded from DynamoDB).
#[test]
fn expected_errors_are_dynamodbs() {
    for_each_backend(|_, db| {
        populate(&db);
        let one = |e: ExpectedAttributeValue| -> Expected { [("v".to_string(), e)].into() };
        let prefix = "One or more parameter values were invalid: ";
        let cases: Vec<(ExpectedAttributeValue, String)> = vec![
            (
                ExpectedAttributeValue {
                    exists: Some(true),
                    comparison_operator: Some(C::Eq),
                    value: Some(s("a")),
                    ..Default::default()
                },
                format!("{prefix}Exists and ComparisonOperator cannot be used together for Attribute: v"),
            ),
            (
                ExpectedAttributeValue {
                    comparison_operator: Some(C::Eq),
                    value: Some(s("a")),
                    attribute_value_list: Some(vec![s("a")]),
                    ..Default::default()
                },
                format!("{prefix}Value and AttributeValueList cannot be used together for Attribute: v"),
            ),
            (
                ExpectedAttributeValue {
                    attribute_value_list: Some(vec![s("a")]),
                    ..Default::default()
                },
                format!("{prefix}AttributeValueList can only be used with a ComparisonOperator for Attribute: v"),
            ),
            (
                ExpectedAttributeValue {
                    exists: Some(false),
                    value: Some(s("a")),
                    ..Default::default()
                },
                format!("{prefix}Value cannot be used when Exists is false for Attribute: v"),
            ),
            (
                ExpectedAttributeValue {
                    comparison_operator: Some(C::Gt),
                    ..Default::default()
                },
                format!("{prefix}Value or AttributeValueList must be used with ComparisonOperator: GT for Attribute: v"),
            ),
            (
                ExpectedAttributeValue::default(),
                format!("{prefix}Value must be provided when Exists is null for Attribute: v"),
            ),
            (
                ExpectedAttributeValue {
                    exists: Some(true),
                    ..Default::default()
                },
                format!("{prefix}Value must be provided when Exists is true for Attribute: v"),
            ),
            (
                ExpectedAttributeValue {
                    comparison_operator: Some(C::Null),
                    value: Some(s("a")),
                    ..Default::default()
                },
                format!("{prefix}Invalid number of argument(s) for the NULL ComparisonOperator"),
            ),
            (
                with_operator(C::Between, &[s("a")]),
                format!("{prefix}Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
            ),
            (
                with_operator(C::Eq, &[]),
                format!("{prefix}Invalid number of argument(s) for the EQ ComparisonOperator"),
            ),
            (
                with_operator(C::Gt, &[AttributeValue::Ss(vec!["a".into()])]),
                format!("{prefix}ComparisonOperator GT is not valid for SS AttributeValue type"),
            ),
            (
                with_operator(C::In, &[s("a"), n("1")]),
                format!("{prefix}AttributeValues inside AttributeValueList must be of same type"),
            ),
            (
                with_operator(C::Between, &[n("2"), n("1")]),
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".to_string(),
            ),
            (
                with_operator(C::Eq, &[AttributeValue::Ss(vec![])]),
                "One or more parameter values were invalid: An string set  may not be empty".to_string(),
            ),
        ];
        for (entry, message) in cases {
            assert_eq!(put_err(&db, one(entry), None), message);
        }
        let not_null = || with_operator(C::NotNull, &[]);
        assert_eq!(
            put_err(&db, Expected::new(), Some(ConditionalOperator::And)),
            "ConditionalOperator cannot be used without Filter or Expected"
        );
        assert_eq!(
            put_err(&db, one(not_null()), Some(ConditionalOperator::Or)),
            "ConditionalOperator can only be used when Filter or Expected has two or more elements"
        );
    });
}

#[test]
fn expected_with_condition_expression_is_refused() {
    for_each_backend(|_, db| {
        populate(&db);
        let e = db
            .put_item(PutItemInput {
                table_name: TABLE.into(),
                item: stored(0),
                expected: Some(
                    [(
                        "v".to_string(),
                        ExpectedAttributeValue {
                            exists: Some(false),
                            ..Default::default()
                        },
                    )]
                    .into(),
                ),
                condition_expression: Some("attribute_not_exists(v)".into()),
                ..PutItemInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
        );
        let e = db
            .update_item(UpdateItemInput {
                table_name: TABLE.into(),
                key: item(&[("pk", s("k0"))]),
                attribute_updates: Some(Default::default()),
                expected: Some(Default::default()),
                conditional_operator: Some(ConditionalOperator::And),
                update_expression: Some("SET x = :x".into()),
                condition_expression: Some("attribute_exists(v)".into()),
                expression_attribute_values: vals(&[(":x", s("x"))]),
                ..UpdateItemInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {AttributeUpdates, Expected, ConditionalOperator} \
             Expression parameters: {UpdateExpression, ConditionExpression}"
        );
    });
}
