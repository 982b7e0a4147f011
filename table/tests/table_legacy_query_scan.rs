//! Legacy Query and Scan parameters: KeyConditions, QueryFilter, ScanFilter with
//! ConditionalOperator, and AttributesToGet. Each is checked against its expression twin
//! (KeyConditionExpression, FilterExpression, ProjectionExpression) over a table whose
//! items hold every attribute type: one property test per operator family (comparisons,
//! existence, membership, ranges), on both backends. Then DynamoDB's error texts.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use shale_table::types::{AttributeValue, Item, Number};
use shale_table::ComparisonOperator as C;
use shale_table::*;
use support::*;

fn b(bytes: &[u8]) -> AttributeValue {
    AttributeValue::B(bytes.to_vec())
}

/// The values stored in attribute `v` (and, shifted, `w`): every type, with neighbours
/// for the orderings, prefixes and memberships the operators test.
fn palette() -> Vec<Option<AttributeValue>> {
    vec![
        Some(s("a")),
        Some(s("ab")),
        Some(s("b")),
        Some(n("1")),
        Some(n("2")),
        Some(n("10")),
        Some(b(&[1])),
        Some(b(&[1, 2])),
        Some(b(&[0x80])),
        Some(AttributeValue::Ss(vec!["a".into(), "b".into()])),
        Some(AttributeValue::Ns(vec![Number::from(1), Number::from(2)])),
        Some(AttributeValue::Bs(vec![vec![1], vec![2]])),
        Some(AttributeValue::L(vec![
            s("a"),
            n("1"),
            AttributeValue::Bool(true),
        ])),
        Some(AttributeValue::M([("a".to_string(), s("a"))].into())),
        Some(AttributeValue::Bool(true)),
        Some(AttributeValue::Null(true)),
        None,
    ]
}

/// Arguments of the scalar types (S, N, B) the ordering operators take.
fn scalar() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        prop::sample::select(vec!["a", "ab", "b", "c"]).prop_map(s),
        prop::sample::select(vec!["0", "1", "2", "9", "10", "10.00"]).prop_map(n),
        prop::sample::select(vec![vec![1u8], vec![1, 2], vec![2], vec![0x80]])
            .prop_map(AttributeValue::B),
    ]
}

/// Values of any type, for EQ and NE.
fn any_value() -> impl Strategy<Value = AttributeValue> {
    prop_oneof![
        scalar(),
        Just(AttributeValue::Ss(vec!["b".into(), "a".into()])),
        Just(AttributeValue::Ns(vec![Number::from(2), Number::from(1)])),
        Just(AttributeValue::Bool(true)),
        Just(AttributeValue::Null(true)),
        Just(AttributeValue::L(vec![
            s("a"),
            n("1"),
            AttributeValue::Bool(true)
        ])),
    ]
}

/// A table `T` (pk S, sk N) with one partition "p": item i holds palette value i in `v`
/// and palette value i+5 in `w`.
fn populate(db: &Database) {
    db.create_table(simple_table("Tbl", Some(ScalarAttributeType::N)))
        .unwrap();
    let p = palette();
    for i in 0..p.len() {
        let mut it = item(&[("pk", s("p")), ("sk", n(&i.to_string()))]);
        if let Some(v) = &p[i] {
            it.insert("v".into(), v.clone());
        }
        if let Some(w) = &p[(i + 5) % p.len()] {
            it.insert("w".into(), w.clone());
        }
        put(db, "Tbl", it);
    }
}

fn keys_of(out: &QueryOutput) -> Vec<String> {
    out.items
        .iter()
        .flatten()
        .map(|i| format!("{:?}", i.get("sk")))
        .collect()
}

/// ScanFilter and QueryFilter against FilterExpression, for `filters` combined by
/// `op`.
fn assert_filters_agree(
    db: &Database,
    filters: &[(&str, C, Vec<AttributeValue>)],
    op: Option<ConditionalOperator>,
) -> Result<(), TestCaseError> {
    let legacy = legacy_conds(
        &filters
            .iter()
            .map(|(a, c, v)| (*a, legacy_cond(*c, v)))
            .collect::<Vec<_>>(),
    );
    // The twin: each condition with its own argument names, joined by AND/OR.
    let mut texts = Vec::new();
    let mut values = std::collections::BTreeMap::new();
    for (k, (attr, c, args)) in filters.iter().enumerate() {
        let mut text = legacy_twin(attr, *c, args.len());
        for i in (0..args.len()).rev() {
            text = text.replace(&format!(":a{i}"), &format!(":c{k}a{i}"));
            values.insert(format!(":c{k}a{i}"), args[i].clone());
        }
        texts.push(format!("({text})"));
    }
    let joiner = match op {
        Some(ConditionalOperator::Or) => " OR ",
        _ => " AND ",
    };
    let filter_expression = texts.join(joiner);
    let values = (!values.is_empty()).then_some(values);
    let scan_legacy = db
        .scan(ScanInput {
            table_name: "Tbl".into(),
            scan_filter: Some(legacy.clone()),
            conditional_operator: op,
            ..ScanInput::default()
        })
        .unwrap();
    let scan_twin = db
        .scan(ScanInput {
            table_name: "Tbl".into(),
            filter_expression: Some(filter_expression.clone()),
            expression_attribute_values: values.clone(),
            ..ScanInput::default()
        })
        .unwrap();
    prop_assert_eq!(
        keys_of(&scan_legacy),
        keys_of(&scan_twin),
        "{}",
        filter_expression
    );
    prop_assert_eq!(scan_legacy.count, scan_twin.count);
    prop_assert_eq!(scan_legacy.scanned_count, scan_twin.scanned_count);
    let query_legacy = db
        .query(QueryInput {
            table_name: "Tbl".into(),
            key_conditions: Some(legacy_conds(&[("pk", legacy_cond(C::Eq, &[s("p")]))])),
            query_filter: Some(legacy),
            conditional_operator: op,
            ..QueryInput::default()
        })
        .unwrap();
    let mut twin_values = values.unwrap_or_default();
    twin_values.insert(":pk".into(), s("p"));
    let query_twin = db
        .query(QueryInput {
            table_name: "Tbl".into(),
            key_condition_expression: Some("pk = :pk".into()),
            filter_expression: Some(filter_expression.clone()),
            expression_attribute_values: Some(twin_values),
            ..QueryInput::default()
        })
        .unwrap();
    prop_assert_eq!(
        keys_of(&query_legacy),
        keys_of(&query_twin),
        "{}",
        filter_expression
    );
    prop_assert_eq!(keys_of(&query_legacy), keys_of(&scan_legacy));
    Ok(())
}

fn run_family(strategy: impl Strategy<Value = (C, Vec<AttributeValue>)>) {
    for_each_backend(|_, db| {
        populate(&db);
        let mut runner = TestRunner::new(Config {
            cases: 48,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |(op, args)| {
                assert_filters_agree(&db, &[("v", op, args)], None)
            })
            .unwrap();
    });
}

#[test]
fn comparison_family_matches_the_expression_twin() {
    run_family(prop_oneof![
        (prop::sample::select(vec![C::Eq, C::Ne]), any_value()).prop_map(|(o, v)| (o, vec![v])),
        (
            prop::sample::select(vec![C::Lt, C::Le, C::Gt, C::Ge]),
            scalar()
        )
            .prop_map(|(o, v)| (o, vec![v])),
    ]);
}

#[test]
fn existence_family_matches_the_expression_twin() {
    run_family(prop::sample::select(vec![C::Null, C::NotNull]).prop_map(|o| (o, vec![])));
}

#[test]
fn membership_family_matches_the_expression_twin() {
    let contains_arg = prop_oneof![
        scalar(),
        Just(AttributeValue::Bool(true)),
        Just(AttributeValue::Null(true)),
    ];
    run_family(prop_oneof![
        (
            prop::sample::select(vec![C::Contains, C::NotContains]),
            contains_arg
        )
            .prop_map(|(o, v)| (o, vec![v])),
        // IN: 1 to 4 candidates of one type.
        (0..3usize, 1..5usize).prop_flat_map(|(ty, count)| {
            let one = match ty {
                0 => prop::sample::select(vec!["a", "ab", "b", "c"])
                    .prop_map(s)
                    .boxed(),
                1 => prop::sample::select(vec!["1", "2", "10", "3"])
                    .prop_map(n)
                    .boxed(),
                _ => prop::sample::select(vec![vec![1u8], vec![1, 2], vec![0x80]])
                    .prop_map(AttributeValue::B)
                    .boxed(),
            };
            prop::collection::vec(one, count).prop_map(|v| (C::In, v))
        }),
    ]);
}

#[test]
fn range_family_matches_the_expression_twin() {
    run_family(prop_oneof![
        // BETWEEN with ordered bounds of one type.
        (scalar(), scalar()).prop_filter_map("same type, ordered", |(x, y)| {
            let order = shale_table::expr::eval::compare_scalars(&x, &y)?;
            Some(match order {
                std::cmp::Ordering::Greater => (C::Between, vec![y, x]),
                _ => (C::Between, vec![x, y]),
            })
        }),
        prop_oneof![
            prop::sample::select(vec!["a", "ab", "b"]).prop_map(s),
            prop::sample::select(vec![vec![1u8], vec![1, 2], vec![0x80]])
                .prop_map(AttributeValue::B),
        ]
        .prop_map(|v| (C::BeginsWith, vec![v])),
    ]);
}

#[test]
fn conditional_operator_combines_conditions_as_and_or() {
    for_each_backend(|_, db| {
        populate(&db);
        let mut runner = TestRunner::new(Config {
            cases: 32,
            failure_persistence: None,
            ..Config::default()
        });
        let op = prop::sample::select(vec![C::Eq, C::Ne, C::Lt, C::Ge, C::NotNull, C::Null]);
        let strategy = (
            op.clone(),
            scalar(),
            op,
            scalar(),
            prop::sample::select(vec![
                None,
                Some(ConditionalOperator::And),
                Some(ConditionalOperator::Or),
            ]),
        );
        runner
            .run(&strategy, |(o1, v1, o2, v2, combine)| {
                let args = |o: C, v: AttributeValue| {
                    if matches!(o, C::Null | C::NotNull) {
                        vec![]
                    } else {
                        vec![v]
                    }
                };
                assert_filters_agree(
                    &db,
                    &[("v", o1, args(o1, v1)), ("w", o2, args(o2, v2))],
                    combine,
                )
            })
            .unwrap();
    });
}

/// KeyConditions against KeyConditionExpression: every sort-key operator, both
/// directions, with Limit paging.
#[test]
fn key_conditions_match_the_key_condition_expression() {
    for_each_backend(|_, db| {
        populate(&db);
        let cases: Vec<(C, Vec<AttributeValue>, &str)> = vec![
            (C::Eq, vec![n("3")], "sk = :a0"),
            (C::Lt, vec![n("3")], "sk < :a0"),
            (C::Le, vec![n("3")], "sk <= :a0"),
            (C::Gt, vec![n("12")], "sk > :a0"),
            (C::Ge, vec![n("12")], "sk >= :a0"),
            (C::Between, vec![n("2"), n("6")], "sk BETWEEN :a0 AND :a1"),
        ];
        for forward in [true, false] {
            for (op, args, text) in &cases {
                let legacy = db
                    .query(QueryInput {
                        table_name: "Tbl".into(),
                        key_conditions: Some(legacy_conds(&[
                            ("pk", legacy_cond(C::Eq, &[s("p")])),
                            ("sk", legacy_cond(*op, args)),
                        ])),
                        scan_index_forward: Some(forward),
                        limit: Some(3),
                        ..QueryInput::default()
                    })
                    .unwrap();
                let mut values = twin_values(args).unwrap();
                values.insert(":pk".into(), s("p"));
                let twin = db
                    .query(QueryInput {
                        table_name: "Tbl".into(),
                        key_condition_expression: Some(format!("pk = :pk AND {text}")),
                        expression_attribute_values: Some(values),
                        scan_index_forward: Some(forward),
                        limit: Some(3),
                        ..QueryInput::default()
                    })
                    .unwrap();
                assert_eq!(legacy, twin, "{text} forward={forward}");
                assert!(legacy.count > 0, "{text}");
            }
        }
        // Partition only.
        let legacy = db
            .query(QueryInput {
                table_name: "Tbl".into(),
                key_conditions: Some(legacy_conds(&[("pk", legacy_cond(C::Eq, &[s("p")]))])),
                ..QueryInput::default()
            })
            .unwrap();
        assert_eq!(legacy.count as usize, palette().len());
    });
}

#[test]
fn key_conditions_begins_with_on_a_string_sort_key() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Str", Some(ScalarAttributeType::S)))
            .unwrap();
        for sk in ["a", "ab", "abc", "b"] {
            put(&db, "Str", item(&[("pk", s("p")), ("sk", s(sk))]));
        }
        let out = db
            .query(QueryInput {
                table_name: "Str".into(),
                key_conditions: Some(legacy_conds(&[
                    ("pk", legacy_cond(C::Eq, &[s("p")])),
                    ("sk", legacy_cond(C::BeginsWith, &[s("ab")])),
                ])),
                ..QueryInput::default()
            })
            .unwrap();
        assert_eq!(out.count, 2);
    });
}

/// KeyConditions together with a FilterExpression is allowed (DynamoDB counts
/// KeyConditions as mixing only beside a KeyConditionExpression).
#[test]
fn key_conditions_may_go_with_a_filter_expression() {
    for_each_backend(|_, db| {
        populate(&db);
        let out = db
            .query(QueryInput {
                table_name: "Tbl".into(),
                key_conditions: Some(legacy_conds(&[("pk", legacy_cond(C::Eq, &[s("p")]))])),
                filter_expression: Some("attribute_type(v, :t)".into()),
                expression_attribute_values: vals(&[(":t", s("N"))]),
                ..QueryInput::default()
            })
            .unwrap();
        assert_eq!(out.count, 3);
    });
}

#[test]
fn attributes_to_get_matches_the_projection_expression() {
    for_each_backend(|_, db| {
        populate(&db);
        let legacy = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                attributes_to_get: Some(vec!["sk".into(), "w".into()]),
                ..ScanInput::default()
            })
            .unwrap();
        let twin = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                projection_expression: Some("sk, w".into()),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(legacy, twin);
        let q = db
            .query(QueryInput {
                table_name: "Tbl".into(),
                key_conditions: Some(legacy_conds(&[("pk", legacy_cond(C::Eq, &[s("p")]))])),
                attributes_to_get: Some(vec!["v".into()]),
                limit: Some(2),
                ..QueryInput::default()
            })
            .unwrap();
        let items: Vec<Item> = q.items.unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| i.keys().all(|k| k == "v")));
        let e = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                attributes_to_get: Some(vec!["v".into(), "v".into()]),
                ..ScanInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "One or more parameter values were invalid: Duplicate value in attribute name: v"
        );
    });
}

fn query_err(db: &Database, input: QueryInput) -> String {
    let e = db.query(input).unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException", "{e}");
    e.message()
}

fn kc(pairs: &[(&str, shale_table::Condition)]) -> QueryInput {
    QueryInput {
        table_name: "Tbl".into(),
        key_conditions: Some(legacy_conds(pairs)),
        ..QueryInput::default()
    }
}

#[test]
fn key_condition_errors_are_dynamodbs() {
    for_each_backend(|_, db| {
        populate(&db);
        let pk = || legacy_cond(C::Eq, &[s("p")]);
        let cases: Vec<(QueryInput, &str)> = vec![
            (kc(&[]), "Conditions can be of length 1 or 2 only"),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::Eq, &[n("1")])), ("x", pk())]),
                "Conditions can be of length 1 or 2 only",
            ),
            (
                kc(&[("sk", legacy_cond(C::Eq, &[n("1")]))]),
                "Query condition missed key schema element: pk",
            ),
            (
                kc(&[("pk", pk()), ("x", pk())]),
                "Query condition missed key schema element: sk",
            ),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::NotNull, &[]))]),
                "Attempted conditional constraint is not an indexable operation",
            ),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::In, &[n("1")]))]),
                "Attempted conditional constraint is not an indexable operation",
            ),
            (
                kc(&[("pk", legacy_cond(C::Gt, &[s("p")]))]),
                "Query key condition not supported",
            ),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::Ne, &[n("1")]))]),
                "Query key condition not supported",
            ),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::Eq, &[s("1")]))]),
                "One or more parameter values were invalid: Condition parameter type does not match schema type",
            ),
            (
                kc(&[("pk", legacy_cond(C::Eq, &[]))]),
                "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator",
            ),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::Between, &[n("5"), n("1")]))]),
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            ),
            (
                kc(&[("pk", pk()), ("sk", legacy_cond(C::BeginsWith, &[n("1")]))]),
                "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
            ),
            (
                QueryInput {
                    query_filter: Some(legacy_conds(&[("sk", legacy_cond(C::Eq, &[n("1")]))])),
                    ..kc(&[("pk", pk())])
                },
                "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk",
            ),
            (
                QueryInput {
                    conditional_operator: Some(ConditionalOperator::Or),
                    ..kc(&[("pk", pk())])
                },
                "ConditionalOperator cannot be used without Filter or Expected",
            ),
            (
                QueryInput {
                    conditional_operator: Some(ConditionalOperator::Or),
                    query_filter: Some(legacy_conds(&[("v", legacy_cond(C::NotNull, &[]))])),
                    ..kc(&[("pk", pk())])
                },
                "ConditionalOperator can only be used when Filter or Expected has two or more elements",
            ),
            (
                QueryInput {
                    table_name: "Tbl".into(),
                    ..QueryInput::default()
                },
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ),
        ];
        for (input, message) in cases {
            assert_eq!(query_err(&db, input), message);
        }
    });
}

#[test]
fn filter_argument_errors_are_dynamodbs() {
    for_each_backend(|_, db| {
        populate(&db);
        let scan = |c: shale_table::Condition| {
            let e = db
                .scan(ScanInput {
                    table_name: "Tbl".into(),
                    scan_filter: Some(legacy_conds(&[("v", c)])),
                    ..ScanInput::default()
                })
                .unwrap_err();
            e.message()
        };
        let count = |op: &str| {
            format!("One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator")
        };
        for op in [
            C::Eq,
            C::Ne,
            C::Le,
            C::Lt,
            C::Ge,
            C::Gt,
            C::Contains,
            C::NotContains,
            C::BeginsWith,
            C::In,
            C::Between,
        ] {
            assert_eq!(scan(legacy_cond(op, &[])), count(op.as_str()));
        }
        for op in [C::Null, C::NotNull] {
            assert_eq!(scan(legacy_cond(op, &[s("a")])), count(op.as_str()));
        }
        for op in [C::Eq, C::Lt, C::Contains, C::BeginsWith] {
            assert_eq!(scan(legacy_cond(op, &[s("a"), s("b")])), count(op.as_str()));
        }
        assert_eq!(
            scan(legacy_cond(C::Between, &[s("a"), s("b"), s("c")])),
            count("BETWEEN")
        );
        let bad_type = |op: C, tag: &str| {
            format!("One or more parameter values were invalid: ComparisonOperator {} is not valid for {tag} AttributeValue type", op.as_str())
        };
        let non_scalars = [
            AttributeValue::Bool(true),
            AttributeValue::Null(true),
            AttributeValue::Ss(vec!["a".into()]),
            AttributeValue::Ns(vec![Number::from(1)]),
            AttributeValue::Bs(vec![vec![1]]),
            AttributeValue::M(Default::default()),
            AttributeValue::L(vec![]),
        ];
        for op in [C::Lt, C::Le, C::Gt, C::Ge, C::In] {
            for v in &non_scalars {
                assert_eq!(
                    scan(legacy_cond(op, std::slice::from_ref(v))),
                    bad_type(op, v.type_tag())
                );
            }
        }
        for v in &non_scalars {
            assert_eq!(
                scan(legacy_cond(C::Between, &[v.clone(), v.clone()])),
                bad_type(C::Between, v.type_tag())
            );
        }
        for op in [C::Contains, C::NotContains] {
            for v in &non_scalars[2..] {
                assert_eq!(
                    scan(legacy_cond(op, std::slice::from_ref(v))),
                    bad_type(op, v.type_tag())
                );
            }
        }
        assert_eq!(
            scan(legacy_cond(C::BeginsWith, &[n("1")])),
            bad_type(C::BeginsWith, "N")
        );
        assert_eq!(
            scan(legacy_cond(C::In, &[s("b"), n("1")])),
            "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
        );
        assert_eq!(
            scan(legacy_cond(C::Between, &[s("b"), s("a")])),
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
        );
    });
}

/// DynamoDB's mixing message and its order of names (DynamoDB Local's
/// `validateMixingOldStyleWithExpressions`; dynalite test/query.js).
#[test]
fn mixing_legacy_and_expression_parameters_is_refused() {
    for_each_backend(|_, db| {
        populate(&db);
        let msg = query_err(
            &db,
            QueryInput {
                table_name: "Tbl".into(),
                attributes_to_get: Some(vec!["a".into()]),
                query_filter: Some(legacy_conds(&[("v", legacy_cond(C::NotNull, &[]))])),
                conditional_operator: Some(ConditionalOperator::Or),
                key_conditions: Some(legacy_conds(&[("pk", legacy_cond(C::Eq, &[s("p")]))])),
                projection_expression: Some("v".into()),
                filter_expression: Some("attribute_exists(v)".into()),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: vals(&[(":p", s("p"))]),
                ..QueryInput::default()
            },
        );
        assert_eq!(
            msg,
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {AttributesToGet, QueryFilter, ConditionalOperator, KeyConditions} \
             Expression parameters: {ProjectionExpression, FilterExpression, KeyConditionExpression}"
        );
        let e = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                scan_filter: Some(legacy_conds(&[("v", legacy_cond(C::NotNull, &[]))])),
                filter_expression: Some("attribute_exists(v)".into()),
                ..ScanInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}"
        );
    });
}

/// DynamoDB names the projection parameter and says "only the Count" (moto's
/// `test_attributes_to_get_rejected_for_non_specific_select`, verified against AWS).
#[test]
fn attributes_to_get_with_a_select_other_than_specific_attributes() {
    for_each_backend(|_, db| {
        populate(&db);
        for (select, said) in [
            (Select::AllAttributes, "ALL_ATTRIBUTES"),
            (Select::Count, "only the Count"),
        ] {
            let e = db
                .scan(ScanInput {
                    table_name: "Tbl".into(),
                    attributes_to_get: Some(vec!["v".into()]),
                    select: Some(select),
                    ..ScanInput::default()
                })
                .unwrap_err();
            assert_eq!(
                e.message(),
                format!("Cannot specify the AttributesToGet when choosing to get {said}")
            );
        }
        let out = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                attributes_to_get: Some(vec!["v".into()]),
                select: Some(Select::SpecificAttributes),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(out.count as usize, palette().len());
    });
}
