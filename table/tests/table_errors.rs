//! Each DynamoDB exception kind the table layer raises, with its name and message, and
//! hostile input that must produce a typed error rather than a panic.

mod support;

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

fn users(db: &Database) {
    let mut t = simple_table("Users", None);
    t.table_name = "Users".into();
    t.attribute_definitions[0].attribute_name = "UserId".into();
    t.key_schema[0].attribute_name = "UserId".into();
    db.create_table(t).unwrap();
}

fn put(db: &Database, it: Item) -> Result<PutItemOutput, Error> {
    db.put_item(PutItemInput {
        table_name: "Users".into(),
        item: it,
        ..PutItemInput::default()
    })
}

#[test]
fn missing_tables_are_resource_not_found() {
    for_each_backend(|_, db| {
        let e = put(&db, item(&[("UserId", s("1"))])).unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        assert_eq!(e.message(), "Requested resource not found");
        for e in [
            db.describe_table(DescribeTableInput {
                table_name: "Nope".into(),
            })
            .unwrap_err(),
            db.delete_table(DeleteTableInput {
                table_name: "Nope".into(),
            })
            .unwrap_err(),
            db.update_table(UpdateTableInput {
                table_name: "Nope".into(),
                billing_mode: Some(BillingMode::PayPerRequest),
                ..UpdateTableInput::default()
            })
            .unwrap_err(),
        ] {
            assert_eq!(e.exception_name(), "ResourceNotFoundException");
            assert!(e.message().contains("Nope"));
        }
        let e = db
            .scan(ScanInput {
                table_name: "Nope".into(),
                ..ScanInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
    });
}

#[test]
fn key_problems_in_items_and_keys() {
    for_each_backend(|_, db| {
        users(&db);
        // The seed-doc mistake: UserID instead of UserId.
        let e = put(&db, item(&[("UserID", s("123")), ("Name", s("John Doe"))])).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "One or more parameter values were invalid: Missing the key UserId in the item"
        );
        let e = put(&db, item(&[("UserId", n("1"))])).unwrap_err();
        assert!(
            e.message()
                .contains("Type mismatch for key UserId expected: S actual: N"),
            "{}",
            e.message()
        );
        let e = put(&db, item(&[("UserId", s(""))])).unwrap_err();
        assert!(
            e.message().contains("cannot contain an empty string value"),
            "{}",
            e.message()
        );
        let e = put(&db, item(&[("UserId", s(&"k".repeat(2049)))])).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let e = put(&db, item(&[("UserId", AttributeValue::Bool(true))])).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        for key in [
            item(&[]),
            item(&[("UserId", s("1")), ("extra", s("x"))]),
            item(&[("Other", s("1"))]),
        ] {
            let e = db
                .get_item(GetItemInput {
                    table_name: "Users".into(),
                    key,
                    ..GetItemInput::default()
                })
                .unwrap_err();
            assert_eq!(
                e.message(),
                "The provided key element does not match the schema"
            );
        }
    });
}

#[test]
fn invalid_items_are_rejected_whole() {
    for_each_backend(|_, db| {
        users(&db);
        let too_big = item(&[("UserId", s("1")), ("blob", s(&"x".repeat(400 * 1024)))]);
        let e = put(&db, too_big).unwrap_err();
        assert_eq!(
            e.message(),
            "Item size has exceeded the maximum allowed size"
        );
        let e = put(
            &db,
            item(&[("UserId", s("1")), ("set", AttributeValue::Ss(vec![]))]),
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let e = put(
            &db,
            item(&[
                ("UserId", s("1")),
                ("set", AttributeValue::Ss(vec!["a".into(), "a".into()])),
            ]),
        )
        .unwrap_err();
        assert!(e.message().contains("duplicates"), "{}", e.message());
        let mut deep = s("leaf");
        for _ in 0..40 {
            deep = AttributeValue::L(vec![deep]);
        }
        let e = put(&db, item(&[("UserId", s("1")), ("deep", deep)])).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let scan = db
            .scan(ScanInput {
                table_name: "Users".into(),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(scan.count, 0);
    });
}

#[test]
fn hostile_expressions_and_names_get_typed_errors() {
    for_each_backend(|_, db| {
        users(&db);
        let deep = format!(
            "{}attribute_exists(a){}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        let long = format!("a = :v{}", " ".repeat(5000));
        for cond in [
            deep.as_str(),
            long.as_str(),
            "\u{0}",
            "#",
            ":",
            "a = = b",
            ")",
        ] {
            let e = db
                .put_item(PutItemInput {
                    table_name: "Users".into(),
                    item: item(&[("UserId", s("1"))]),
                    condition_expression: Some(cond.to_string()),
                    expression_attribute_values: Some(BTreeMap::from([(":v".to_string(), n("1"))])),
                    ..PutItemInput::default()
                })
                .unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException");
        }
        for name in ["", "x", &"y".repeat(300), "sp ace", "ünï"] {
            let e = db
                .describe_table(DescribeTableInput {
                    table_name: name.to_string(),
                })
                .unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{name:?}");
        }
    });
}

#[test]
fn control_plane_state_errors() {
    for_each_backend(|_, db| {
        users(&db);
        let e = db
            .update_table(UpdateTableInput {
                table_name: "Users".into(),
                ..UpdateTableInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        db.update_table(UpdateTableInput {
            table_name: "Users".into(),
            deletion_protection_enabled: Some(true),
            ..UpdateTableInput::default()
        })
        .unwrap();
        let e = db
            .delete_table(DeleteTableInput {
                table_name: "Users".into(),
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(e.message().contains("protected against deletion"));
        // Billing mode switch as the AWS CLI seed does it.
        let t = db
            .update_table(UpdateTableInput {
                table_name: "Users".into(),
                billing_mode: Some(BillingMode::Provisioned),
                provisioned_throughput: Some(ProvisionedThroughput {
                    read_capacity_units: 5,
                    write_capacity_units: 5,
                }),
                ..UpdateTableInput::default()
            })
            .unwrap()
            .table_description;
        assert_eq!(t.provisioned_throughput.read_capacity_units, 5);
        assert_eq!(
            t.billing_mode_summary.unwrap().billing_mode,
            BillingMode::Provisioned
        );
        // The same throughput again: DynamoDB's UpdateTable is not idempotent.
        let e = db
            .update_table(UpdateTableInput {
                table_name: "Users".into(),
                provisioned_throughput: Some(ProvisionedThroughput {
                    read_capacity_units: 5,
                    write_capacity_units: 5,
                }),
                ..UpdateTableInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: 5. Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 5. Requested WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
        );
        let e = db
            .update_table(UpdateTableInput {
                table_name: "Users".into(),
                global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                    delete: Some(DeleteGlobalSecondaryIndexAction {
                        index_name: "Nope".into(),
                    }),
                    ..GlobalSecondaryIndexUpdate::default()
                }]),
                ..UpdateTableInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        assert_eq!(
            e.message(),
            "Requested resource not found: Index: Nope not found"
        );
    });
}

/// Values in a KeyConditionExpression obey the key-value rules: no empty string or
/// binary, and the partition / sort key size limits.
#[test]
fn key_condition_values_follow_the_key_rules() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Queries", Some(ScalarAttributeType::S)))
            .unwrap();
        let query = |expr: &str, values: &[(&str, AttributeValue)]| {
            db.query(QueryInput {
                table_name: "Queries".into(),
                key_condition_expression: Some(expr.into()),
                expression_attribute_values: Some(
                    values
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.clone()))
                        .collect(),
                ),
                ..QueryInput::default()
            })
        };
        let e = query("pk = :p", &[(":p", s(""))]).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(
            e.message().contains("empty string value. Key: pk"),
            "{}",
            e.message()
        );
        let e = query(
            "pk = :p AND begins_with(sk, :s)",
            &[(":p", s("a")), (":s", s(""))],
        )
        .unwrap_err();
        assert!(e.message().contains("Key: sk"), "{}", e.message());
        let e = query("pk = :p", &[(":p", s(&"x".repeat(2049)))]).unwrap_err();
        assert!(e.message().contains("2048 bytes"), "{}", e.message());
        let e = query(
            "pk = :p AND sk BETWEEN :a AND :b",
            &[(":p", s("a")), (":a", s("a")), (":b", s(&"z".repeat(1025)))],
        )
        .unwrap_err();
        assert!(e.message().contains("1024 bytes"), "{}", e.message());
        // At the limits it is fine.
        query(
            "pk = :p AND sk <= :b",
            &[(":p", s(&"x".repeat(2048))), (":b", s(&"z".repeat(1024)))],
        )
        .unwrap();
    });
}

/// Several constraint violations are reported together, in DynamoDB's order, as
/// recorded against DynamoDB (openstack/magnetodb's PutItem tests for the table name;
/// the ack-api-quirks catalogue, DDB-TABLE-058, for the throughput).
#[test]
fn several_constraint_violations_are_reported_together() {
    for_each_backend(|_, db| {
        let put = |name: &str| {
            db.put_item(PutItemInput {
                table_name: name.into(),
                item: item(&[("pk", s("a"))]),
                ..PutItemInput::default()
            })
            .unwrap_err()
        };
        let e = put("");
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "2 validation errors detected: Value '' at 'tableName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
             Value '' at 'tableName' failed to satisfy constraint: Member must have length \
             greater than or equal to 3"
        );
        assert!(put("a!")
            .message()
            .starts_with("2 validation errors detected: Value 'a!'"));
        // One broken constraint is still "1 validation error".
        assert!(put("ab")
            .message()
            .starts_with("1 validation error detected: Value 'ab'"));
        assert!(put("bad name")
            .message()
            .starts_with("1 validation error detected:"));
        let e = db
            .create_table(provisioned_table_units("Zero", 0, 0))
            .unwrap_err();
        assert_eq!(
            e.message(),
            "2 validation errors detected: Value '0' at \
             'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member \
             must have value greater than or equal to 1; Value '0' at \
             'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member \
             must have value greater than or equal to 1"
        );
        let e = db
            .create_table(provisioned_table_units("ZeroRead", 0, 5))
            .unwrap_err();
        assert!(e.message().starts_with(
            "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits'"
        ));
    });
}

fn provisioned_table_units(name: &str, read: i64, write: i64) -> CreateTableInput {
    CreateTableInput {
        billing_mode: Some(BillingMode::Provisioned),
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: read,
            write_capacity_units: write,
        }),
        ..simple_table(name, None)
    }
}

/// A Query's FilterExpression may not read a key attribute of the table or index queried
/// (DynamoDB's text, quoted from production logs in the comment on
/// `ValidationError::FilterOnKey`); a Scan's may, and so may a GSI query's filter read the
/// table's own keys. Emulators that accept such a filter let the bug reach production.
#[test]
fn a_query_filter_on_a_key_attribute_is_refused() {
    for_each_backend(|_, db| {
        let mut t = simple_table("Posts", Some(ScalarAttributeType::S));
        t.attribute_definitions
            .push(def("author", ScalarAttributeType::S));
        t.global_secondary_indexes = Some(vec![gsi("ByAuthor", "author", None)]);
        db.create_table(t).unwrap();
        let query = |index: Option<&str>, key: &str, filter: &str| {
            db.query(QueryInput {
                table_name: "Posts".into(),
                index_name: index.map(str::to_owned),
                key_condition_expression: Some(key.into()),
                filter_expression: Some(filter.into()),
                expression_attribute_names: Some(BTreeMap::from([("#s".into(), "sk".into())])),
                expression_attribute_values: vals(&[(":v", s("x")), (":w", s("y"))]),
                ..QueryInput::default()
            })
        };
        for filter in [
            "#s = :w",
            "size(#s.part) > :w OR #s = :w",
            "NOT begins_with(#s, :w)",
        ] {
            let e = query(None, "pk = :v", filter).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException", "{filter}");
            assert_eq!(
                e.message(),
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
                "{filter}"
            );
        }
        // The first key attribute in written order is named.
        let e = query(None, "pk = :v", "#s = :w AND pk = :v").unwrap_err();
        assert!(e.message().ends_with("Primary key attribute: sk"));
        // Non-key attributes are fine; so are the table's keys in a GSI query's filter,
        // but not the index's own.
        db.query(QueryInput {
            table_name: "Posts".into(),
            key_condition_expression: Some("pk = :v AND #s > :w".into()),
            filter_expression: Some("author = :w OR attribute_exists(extra)".into()),
            expression_attribute_names: Some(BTreeMap::from([("#s".into(), "sk".into())])),
            expression_attribute_values: vals(&[(":v", s("x")), (":w", s("y"))]),
            ..QueryInput::default()
        })
        .unwrap();
        query(Some("ByAuthor"), "author = :v", "#s = :w AND pk <> :w").unwrap();
        let e = query(Some("ByAuthor"), "author = :v", "author = :w AND #s = :w").unwrap_err();
        assert!(
            e.message().ends_with("Primary key attribute: author"),
            "{e}"
        );
        // A Scan's filter may read keys.
        db.scan(ScanInput {
            table_name: "Posts".into(),
            filter_expression: Some("#s = :w AND pk = :v".into()),
            expression_attribute_names: Some(BTreeMap::from([("#s".into(), "sk".into())])),
            expression_attribute_values: vals(&[(":v", s("x")), (":w", s("y"))]),
            ..ScanInput::default()
        })
        .unwrap();
    });
}

/// Found by replaying dynalite's tests (recorded against DynamoDB) against Shale: each
/// request here was accepted, or answered with Shale's own words, where DynamoDB refuses
/// it with these texts.
#[test]
fn requests_dynamodb_refuses_are_refused_with_its_texts() {
    for_each_backend(|_, db| {
        let mut t = simple_table("Dyn", None);
        t.attribute_definitions
            .push(def("d", ScalarAttributeType::S));
        t.global_secondary_indexes = Some(vec![gsi("ByD", "d", None)]);
        db.create_table(t).unwrap();
        let key = item(&[("pk", s("k"))]);
        db.put_item(PutItemInput {
            table_name: "Dyn".into(),
            item: item(&[("pk", s("k")), ("b", s("str")), ("d", s("x"))]),
            ..PutItemInput::default()
        })
        .unwrap();
        let scalars = |kind: &str, attr: &str| {
            format!("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {kind}: {attr}")
        };
        // A projection into a key attribute (the table's, or an index's).
        for (projection, kind, attr) in [("pk.b.c", "Key", "pk"), ("d[0]", "IndexKey", "d")] {
            let e = db
                .get_item(GetItemInput {
                    table_name: "Dyn".into(),
                    key: key.clone(),
                    projection_expression: Some(projection.into()),
                    ..GetItemInput::default()
                })
                .unwrap_err();
            assert_eq!(e.message(), scalars(kind, attr), "{projection}");
        }
        // A filter reading into one.
        let e = db
            .scan(ScanInput {
                table_name: "Dyn".into(),
                filter_expression: Some("attribute_exists(pk.b.c)".into()),
                ..ScanInput::default()
            })
            .unwrap_err();
        assert_eq!(e.message(), scalars("Key", "pk"));
        let e = db
            .query(QueryInput {
                table_name: "Dyn".into(),
                key_condition_expression: Some("pk = :k".into()),
                filter_expression: Some("d[1] = :k".into()),
                expression_attribute_values: vals(&[(":k", s("k"))]),
                ..QueryInput::default()
            })
            .unwrap_err();
        assert_eq!(e.message(), scalars("IndexKey", "d"));
        // A name may not start with '_' (use a #placeholder).
        let e = db
            .put_item(PutItemInput {
                table_name: "Dyn".into(),
                item: key.clone(),
                condition_expression: Some("attribute_not_exists(_c)".into()),
                ..PutItemInput::default()
            })
            .unwrap_err();
        assert!(
            e.message()
                .starts_with("Invalid ConditionExpression: Syntax error; token: \"_\""),
            "{e}"
        );
        // DELETE from a path whose parent is not a map: invalid, not a no-op.
        let e = db
            .update_item(UpdateItemInput {
                table_name: "Dyn".into(),
                key: key.clone(),
                update_expression: Some("DELETE b.a :v".into()),
                expression_attribute_values: vals(&[(":v", AttributeValue::Ss(vec!["a".into()]))]),
                ..UpdateItemInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "The document path provided in the update expression is invalid for update"
        );
        // ...while DELETE from an absent top-level attribute is a no-op.
        db.update_item(UpdateItemInput {
            table_name: "Dyn".into(),
            key: key.clone(),
            update_expression: Some("DELETE absent :v".into()),
            expression_attribute_values: vals(&[(":v", AttributeValue::Ss(vec!["a".into()]))]),
            ..UpdateItemInput::default()
        })
        .unwrap();
        // ReturnValues on PutItem: DynamoDB's text names no operation.
        let e = db
            .put_item(PutItemInput {
                table_name: "Dyn".into(),
                item: key.clone(),
                return_values: Some(ReturnValue::AllNew),
                ..PutItemInput::default()
            })
            .unwrap_err();
        assert_eq!(e.message(), "ReturnValues can only be ALL_OLD or NONE");
        // An on-demand table's GSI may not name ProvisionedThroughput.
        let mut t = simple_table("OnDemandGsi", None);
        t.attribute_definitions
            .push(def("g", ScalarAttributeType::S));
        t.global_secondary_indexes = Some(vec![gsi(
            "abd",
            "g",
            Some(ProvisionedThroughput {
                read_capacity_units: 1,
                write_capacity_units: 1,
            }),
        )]);
        let e = db.create_table(t).unwrap_err();
        assert_eq!(
            e.message(),
            "One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: abd when BillingMode is PAY_PER_REQUEST"
        );
        // Expressions are validated before the table is looked for.
        let e = db
            .get_item(GetItemInput {
                table_name: "NoSuchTable".into(),
                key: key.clone(),
                projection_expression: Some("a..b".into()),
                ..GetItemInput::default()
            })
            .unwrap_err();
        assert!(
            e.message()
                .starts_with("Invalid ProjectionExpression: Syntax error"),
            "{e}"
        );
    });
}

/// A GSI on `key` (hash only) projecting everything, with `throughput` if given.
fn gsi(name: &str, key: &str, throughput: Option<ProvisionedThroughput>) -> GlobalSecondaryIndex {
    GlobalSecondaryIndex {
        index_name: name.into(),
        key_schema: vec![hash(key)],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: throughput,
        on_demand_throughput: None,
        warm_throughput: None,
    }
}
