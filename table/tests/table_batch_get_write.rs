//! BatchGetItem and BatchWriteItem: limits, duplicates, per-request atomicity,
//! projections and UnprocessedKeys/UnprocessedItems shapes.

mod support;

use std::collections::BTreeMap;

use shale_table::*;
use support::*;

fn put_req(pk: &str, v: &str) -> WriteRequest {
    WriteRequest {
        put_request: Some(PutRequest {
            item: item(&[("pk", s(pk)), ("v", s(v)), ("w", n("1"))]),
        }),
        delete_request: None,
    }
}

fn del_req(pk: &str) -> WriteRequest {
    WriteRequest {
        put_request: None,
        delete_request: Some(DeleteRequest {
            key: item(&[("pk", s(pk))]),
        }),
    }
}

fn write(
    db: &Database,
    table: &str,
    reqs: Vec<WriteRequest>,
) -> Result<BatchWriteItemOutput, Error> {
    db.batch_write_item(BatchWriteItemInput {
        return_item_collection_metrics: None,
        request_items: BTreeMap::from([(table.to_string(), reqs)]),
        return_consumed_capacity: None,
    })
}

#[test]
fn batch_write_then_batch_get_across_tables() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("One", None)).unwrap();
        db.create_table(simple_table("Two", None)).unwrap();
        let out = db
            .batch_write_item(BatchWriteItemInput {
                return_item_collection_metrics: None,
                request_items: BTreeMap::from([
                    (
                        "One".to_string(),
                        (0..10).map(|i| put_req(&format!("k{i}"), "a")).collect(),
                    ),
                    ("Two".to_string(), vec![put_req("x", "b")]),
                ]),
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
            })
            .unwrap();
        assert!(out.unprocessed_items.is_empty());
        let cc = out.consumed_capacity.unwrap();
        assert_eq!(cc.iter().map(|c| c.capacity_units).sum::<f64>(), 11.0);
        assert_eq!(
            serde_json::to_value(BatchWriteItemOutput::default()).unwrap()["UnprocessedItems"],
            serde_json::json!({})
        );

        write(&db, "One", vec![del_req("k0"), put_req("k1", "changed")]).unwrap();
        let got = db
            .batch_get_item(BatchGetItemInput {
                request_items: BTreeMap::from([
                    (
                        "One".to_string(),
                        KeysAndAttributes {
                            keys: ["k0", "k1", "k2", "missing"]
                                .iter()
                                .map(|k| item(&[("pk", s(k))]))
                                .collect(),
                            attributes_to_get: Some(vec!["pk".into(), "v".into()]),
                            ..KeysAndAttributes::default()
                        },
                    ),
                    (
                        "Two".to_string(),
                        KeysAndAttributes {
                            keys: vec![item(&[("pk", s("x"))])],
                            ..KeysAndAttributes::default()
                        },
                    ),
                ]),
                return_consumed_capacity: None,
            })
            .unwrap();
        let mut one = got.responses["One"].clone();
        one.sort_by_key(|i| format!("{:?}", i["pk"]));
        assert_eq!(
            one,
            vec![
                item(&[("pk", s("k1")), ("v", s("changed"))]),
                item(&[("pk", s("k2")), ("v", s("a"))])
            ]
        );
        assert_eq!(
            got.responses["Two"],
            vec![item(&[("pk", s("x")), ("v", s("b")), ("w", n("1"))])]
        );
        assert!(got.unprocessed_keys.is_empty());
    });
}

#[test]
fn batch_limits_and_duplicates_are_validation_errors() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("One", None)).unwrap();
        let e = write(
            &db,
            "One",
            (0..26).map(|i| put_req(&format!("k{i}"), "a")).collect(),
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        // DynamoDB's map-value constraint, recorded in boto/boto3#483 (the request objects'
        // identities differ: they are Java's there).
        let m = e.message();
        assert!(
            m.starts_with("1 validation error detected: Value '{One=[com.amazonaws.dynamodb.v20120810.WriteRequest@"),
            "{m}"
        );
        assert!(
            m.ends_with("]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"),
            "{m}"
        );
        assert_eq!(m.matches("WriteRequest@").count(), 26);
        // An empty list: the same constraint, as elegantdevelopment/aws-cdk-dynamodb-seeder#3
        // recorded it.
        let e = write(&db, "One", vec![]).unwrap_err();
        assert_eq!(
            e.message(),
            "1 validation error detected: Value '{One=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
        );
        // Two tables of at most 25 each, 26 in all: too many for one call.
        db.create_table(simple_table("Two", None)).unwrap();
        let e = db
            .batch_write_item(BatchWriteItemInput {
                request_items: [
                    (
                        "One".to_owned(),
                        (0..13).map(|i| put_req(&format!("k{i}"), "a")).collect(),
                    ),
                    (
                        "Two".to_owned(),
                        (0..13).map(|i| put_req(&format!("k{i}"), "a")).collect(),
                    ),
                ]
                .into(),
                return_consumed_capacity: None,
                return_item_collection_metrics: None,
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Too many items requested for the BatchWriteItem call"
        );
        let e = write(&db, "One", vec![put_req("k", "a"), del_req("k")]).unwrap_err();
        assert_eq!(
            e.message(),
            "Provided list of item keys contains duplicates"
        );
        let e = write(&db, "One", vec![WriteRequest::default()]).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        // A bad member rejects the whole batch: nothing was written.
        let e = write(
            &db,
            "One",
            vec![
                put_req("ok", "a"),
                WriteRequest {
                    put_request: Some(PutRequest {
                        item: item(&[("nokey", s("a"))]),
                    }),
                    delete_request: None,
                },
            ],
        )
        .unwrap_err();
        assert!(
            e.message().contains("Missing the key pk"),
            "{}",
            e.message()
        );
        let scan = db
            .scan(ScanInput {
                table_name: "One".into(),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(scan.count, 0);

        let keys = |n: usize| KeysAndAttributes {
            keys: (0..n)
                .map(|i| item(&[("pk", s(&format!("k{i}")))]))
                .collect(),
            ..KeysAndAttributes::default()
        };
        let get = |ka: KeysAndAttributes| {
            db.batch_get_item(BatchGetItemInput {
                request_items: BTreeMap::from([("One".to_string(), ka)]),
                return_consumed_capacity: None,
            })
        };
        assert!(get(keys(100)).is_ok());
        let e = get(keys(101)).unwrap_err();
        assert_eq!(
            e.message(),
            "Too many items requested for the BatchGetItem call"
        );
        let mut dup = keys(2);
        dup.keys.push(item(&[("pk", s("k0"))]));
        assert_eq!(
            get(dup).unwrap_err().message(),
            "Provided list of item keys contains duplicates"
        );
        let e = db
            .batch_get_item(BatchGetItemInput {
                request_items: BTreeMap::from([("Missing".to_string(), keys(1))]),
                return_consumed_capacity: None,
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
    });
}

#[test]
fn batch_get_over_sixteen_megabytes_returns_unprocessed_keys() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Big", None)).unwrap();
        let big = "z".repeat(390 * 1024);
        for i in 0..50 {
            db.put_item(PutItemInput {
                table_name: "Big".into(),
                item: item(&[("pk", s(&format!("k{i:02}"))), ("v", s(&big))]),
                ..PutItemInput::default()
            })
            .unwrap();
        }
        let mut pending: Vec<_> = (0..50)
            .map(|i| item(&[("pk", s(&format!("k{i:02}")))]))
            .collect();
        let mut got = 0;
        let mut rounds = 0;
        while !pending.is_empty() {
            rounds += 1;
            assert!(rounds <= 5);
            let out = db
                .batch_get_item(BatchGetItemInput {
                    request_items: BTreeMap::from([(
                        "Big".to_string(),
                        KeysAndAttributes {
                            keys: pending.clone(),
                            ..KeysAndAttributes::default()
                        },
                    )]),
                    return_consumed_capacity: None,
                })
                .unwrap();
            got += out.responses.get("Big").map_or(0, Vec::len);
            pending = out
                .unprocessed_keys
                .get("Big")
                .map(|k| k.keys.clone())
                .unwrap_or_default();
        }
        assert_eq!(got, 50);
        assert_eq!(rounds, 2, "16 MB holds 42 items of 390 KB, so two rounds");
    });
}

/// A request whose item violates a GSI's key fails the whole batch before any request is
/// applied (DynamoDB validates the batch up front).
#[test]
fn a_bad_index_key_anywhere_rejects_the_whole_batch() {
    for_each_backend(|_, db| {
        let mut t = simple_table("Idx", None);
        t.attribute_definitions
            .push(def("w", ScalarAttributeType::S));
        t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
            index_name: "ByW".into(),
            key_schema: vec![hash("w")],
            projection: Projection {
                projection_type: Some(ProjectionType::KeysOnly),
                non_key_attributes: None,
            },
            provisioned_throughput: None,
            on_demand_throughput: None,
            warm_throughput: None,
        }]);
        db.create_table(t).unwrap();
        // put_req gives `w` a Number: wrong type for ByW's S key.
        let fine = |pk: &str| WriteRequest {
            put_request: Some(PutRequest {
                item: item(&[("pk", s(pk)), ("w", s("ok"))]),
            }),
            delete_request: None,
        };
        let e = write(&db, "Idx", vec![fine("a"), fine("b"), put_req("c", "x")]).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException", "{}", e.message());
        for pk in ["a", "b", "c"] {
            let got = db
                .get_item(GetItemInput {
                    table_name: "Idx".into(),
                    key: item(&[("pk", s(pk))]),
                    ..GetItemInput::default()
                })
                .unwrap();
            assert!(got.item.is_none(), "{pk} was applied");
        }
    });
}
