//! Query paging: Limit counts items evaluated before the filter, Count/ScannedCount,
//! LastEvaluatedKey/ExclusiveStartKey in both directions, Select, projections, and
//! queries on GSIs and LSIs (whose LastEvaluatedKey carries index and table keys).

mod support;

use std::collections::BTreeMap;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

fn setup(db: &Database) {
    let mut t = simple_table("Forum", Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("author", ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("votes", ScalarAttributeType::N));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByAuthor".into(),
        key_schema: vec![hash("author"), range("sk")],
        projection: Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByVotes".into(),
        key_schema: vec![hash("pk"), range("votes")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
    }]);
    db.create_table(t).unwrap();
    for i in 0..40 {
        db.put_item(PutItemInput {
            table_name: "Forum".into(),
            item: item(&[
                ("pk", s("thread")),
                ("sk", n(&i.to_string())),
                ("author", s(if i % 2 == 0 { "ann" } else { "bob" })),
                ("votes", n(&((i * 7) % 40).to_string())),
                ("body", s("hello")),
            ]),
            ..PutItemInput::default()
        })
        .unwrap();
    }
    db.wait_for_indexes().unwrap();
}

fn vals(pairs: &[(&str, AttributeValue)]) -> Option<BTreeMap<String, AttributeValue>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

fn page_all(db: &Database, base: QueryInput) -> (Vec<Item>, Vec<(i64, i64)>) {
    let mut items = Vec::new();
    let mut counts = Vec::new();
    let mut start = None;
    for _ in 0..1000 {
        let out = db
            .query(QueryInput {
                exclusive_start_key: start.take(),
                ..base.clone()
            })
            .unwrap();
        counts.push((out.count, out.scanned_count));
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return (items, counts),
        }
    }
    panic!("paging does not terminate");
}

fn sks(items: &[Item]) -> Vec<AttributeValue> {
    items.iter().map(|i| i["sk"].clone()).collect()
}

#[test]
fn limit_counts_items_evaluated_before_the_filter() {
    for_each_backend(|_, db| {
        setup(&db);
        let base = QueryInput {
            table_name: "Forum".into(),
            key_condition_expression: Some("pk = :p".into()),
            filter_expression: Some("author = :a".into()),
            expression_attribute_values: vals(&[(":p", s("thread")), (":a", s("bob"))]),
            limit: Some(6),
            ..QueryInput::default()
        };
        let first = db.query(base.clone()).unwrap();
        assert_eq!(first.scanned_count, 6);
        assert_eq!(first.count, 3);
        assert_eq!(
            first.last_evaluated_key,
            Some(item(&[("pk", s("thread")), ("sk", n("5"))]))
        );
        let (items, counts) = page_all(&db, base);
        assert_eq!(items.len(), 20);
        assert!(items.iter().all(|i| i["author"] == s("bob")));
        assert_eq!(counts.iter().map(|c| c.1).sum::<i64>(), 40);
        // Six full pages of 6, then a short page (items 36..39) without a
        // LastEvaluatedKey.
        assert_eq!(counts.len(), 7);
        assert_eq!(*counts.last().unwrap(), (2, 4));
        // A full final page still carries a LastEvaluatedKey (DynamoDB does not look
        // ahead), so paging by 8 ends with an empty page.
        let (_, by8) = page_all(
            &db,
            QueryInput {
                table_name: "Forum".into(),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: vals(&[(":p", s("thread"))]),
                limit: Some(8),
                ..QueryInput::default()
            },
        );
        assert_eq!(by8.len(), 6);
        assert_eq!(*by8.last().unwrap(), (0, 0));
    });
}

#[test]
fn backward_paging_resumes_from_the_last_key() {
    for_each_backend(|_, db| {
        setup(&db);
        let (items, _) = page_all(
            &db,
            QueryInput {
                table_name: "Forum".into(),
                key_condition_expression: Some("pk = :p AND sk BETWEEN :a AND :b".into()),
                expression_attribute_values: vals(&[
                    (":p", s("thread")),
                    (":a", n("10")),
                    (":b", n("29")),
                ]),
                scan_index_forward: Some(false),
                limit: Some(3),
                ..QueryInput::default()
            },
        );
        let expect: Vec<_> = (10..30).rev().map(|i| n(&i.to_string())).collect();
        assert_eq!(sks(&items), expect);
    });
}

#[test]
fn select_count_and_projection() {
    for_each_backend(|_, db| {
        setup(&db);
        let out = db
            .query(QueryInput {
                table_name: "Forum".into(),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: vals(&[(":p", s("thread"))]),
                select: Some(Select::Count),
                ..QueryInput::default()
            })
            .unwrap();
        assert_eq!((out.items, out.count, out.scanned_count), (None, 40, 40));
        let out = db
            .query(QueryInput {
                table_name: "Forum".into(),
                key_condition_expression: Some("pk = :p AND sk = :s".into()),
                projection_expression: Some("#b, votes".into()),
                expression_attribute_names: Some(BTreeMap::from([(
                    "#b".to_string(),
                    "body".to_string(),
                )])),
                expression_attribute_values: vals(&[(":p", s("thread")), (":s", n("3"))]),
                ..QueryInput::default()
            })
            .unwrap();
        assert_eq!(
            out.items.unwrap(),
            vec![item(&[("body", s("hello")), ("votes", n("21"))])]
        );
        let e = db
            .query(QueryInput {
                table_name: "Forum".into(),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: vals(&[(":p", s("thread"))]),
                select: Some(Select::SpecificAttributes),
                ..QueryInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
    });
}

#[test]
fn gsi_query_pages_with_index_and_table_keys() {
    for_each_backend(|_, db| {
        setup(&db);
        let base = QueryInput {
            table_name: "Forum".into(),
            index_name: Some("ByAuthor".into()),
            key_condition_expression: Some("author = :a AND sk >= :from".into()),
            expression_attribute_values: vals(&[(":a", s("ann")), (":from", n("30"))]),
            limit: Some(2),
            ..QueryInput::default()
        };
        let first = db.query(base.clone()).unwrap();
        assert_eq!(
            first.last_evaluated_key,
            Some(item(&[
                ("pk", s("thread")),
                ("sk", n("32")),
                ("author", s("ann"))
            ]))
        );
        let (items, _) = page_all(&db, base);
        assert_eq!(
            sks(&items),
            vec![n("30"), n("32"), n("34"), n("36"), n("38")]
        );
        // KEYS_ONLY: no body.
        assert!(items
            .iter()
            .all(|i| !i.contains_key("body") && i.len() == 3));
        let e = db
            .query(QueryInput {
                table_name: "Forum".into(),
                index_name: Some("ByAuthor".into()),
                key_condition_expression: Some("author = :a".into()),
                expression_attribute_values: vals(&[(":a", s("ann"))]),
                select: Some(Select::AllAttributes),
                ..QueryInput::default()
            })
            .unwrap_err();
        assert!(e.message().contains("ALL_ATTRIBUTES"), "{}", e.message());
        let e = db
            .query(QueryInput {
                table_name: "Forum".into(),
                index_name: Some("NoSuchIndex".into()),
                key_condition_expression: Some("author = :a".into()),
                expression_attribute_values: vals(&[(":a", s("ann"))]),
                ..QueryInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "The table does not have the specified index: NoSuchIndex"
        );
    });
}

#[test]
fn lsi_query_orders_by_the_alternate_sort_key() {
    for_each_backend(|_, db| {
        setup(&db);
        let (items, _) = page_all(
            &db,
            QueryInput {
                table_name: "Forum".into(),
                index_name: Some("ByVotes".into()),
                key_condition_expression: Some("pk = :p AND votes < :v".into()),
                expression_attribute_values: vals(&[(":p", s("thread")), (":v", n("5"))]),
                consistent_read: Some(true),
                limit: Some(2),
                ..QueryInput::default()
            },
        );
        let votes: Vec<_> = items.iter().map(|i| i["votes"].clone()).collect();
        assert_eq!(votes, vec![n("0"), n("1"), n("2"), n("3"), n("4")]);
        assert!(items.iter().all(|i| i["body"] == s("hello")));
    });
}

#[test]
fn bad_exclusive_start_keys_are_rejected() {
    for_each_backend(|_, db| {
        setup(&db);
        let q = |esk: Item| {
            db.query(QueryInput {
                table_name: "Forum".into(),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: vals(&[(":p", s("thread"))]),
                exclusive_start_key: Some(esk),
                ..QueryInput::default()
            })
        };
        assert!(q(item(&[("pk", s("thread")), ("sk", n("3"))])).is_ok());
        for bad in [
            item(&[("pk", s("thread"))]),
            item(&[("pk", s("thread")), ("sk", s("3"))]),
            item(&[("pk", s("other")), ("sk", n("3"))]),
            item(&[("pk", s("thread")), ("sk", n("3")), ("x", n("1"))]),
        ] {
            let e = q(bad).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException");
        }
    });
}
