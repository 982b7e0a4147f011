//! TransactWriteItems and TransactGetItems, one semantic rule per test, on both backends
//! (API reference: TransactWriteItems, TransactGetItems, and the Developer Guide's
//! "Amazon DynamoDB Transactions").

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::types::Item;
use shale_table::*;
use support::*;

const ACC: &str = "Acc";

fn acc(pk: &str, balance: i64) -> Item {
    item(&[("pk", s(pk)), ("balance", n(&balance.to_string()))])
}

fn key(pk: &str) -> Item {
    item(&[("pk", s(pk))])
}

fn get(db: &Database, table: &str, k: Item) -> Option<Item> {
    db.get_item(GetItemInput {
        table_name: table.into(),
        key: k,
        consistent_read: Some(true),
        ..Default::default()
    })
    .unwrap()
    .item
}

/// Table "Acc" (pk) with two accounts a=100, b=0.
fn setup(db: &Database) {
    db.create_table(simple_table(ACC, None)).unwrap();
    put(db, ACC, acc("a", 100));
    put(db, ACC, acc("b", 0));
}

fn transfer(amount: i64) -> Vec<TransactWriteItem> {
    let amt = n(&amount.to_string());
    vec![
        tx_update(
            ACC,
            key("a"),
            "SET balance = balance - :amt",
            Some("balance >= :amt"),
            &[(":amt", amt.clone())],
        ),
        tx_update(
            ACC,
            key("b"),
            "SET balance = balance + :amt",
            None,
            &[(":amt", amt)],
        ),
    ]
}

#[test]
fn a_transaction_applies_every_action() {
    for_each_backend(|_, db| {
        setup(&db);
        transact(
            &db,
            vec![
                transfer(30).remove(0),
                transfer(30).remove(1),
                tx_put(ACC, acc("c", 7)),
                tx_check(ACC, key("zz"), "attribute_not_exists(pk)", &[]),
            ],
        )
        .unwrap();
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 70)));
        assert_eq!(get(&db, ACC, key("b")), Some(acc("b", 30)));
        assert_eq!(get(&db, ACC, key("c")), Some(acc("c", 7)));
        transact(&db, vec![tx_delete(ACC, key("c"))]).unwrap();
        assert_eq!(get(&db, ACC, key("c")), None);
    });
}

#[test]
fn a_failed_condition_cancels_all_with_positional_reasons() {
    for_each_backend(|_, db| {
        setup(&db);
        let err = transact(&db, {
            let mut t = transfer(500);
            t.push(tx_put(ACC, acc("c", 1)));
            t
        })
        .unwrap_err();
        assert_eq!(err.exception_name(), "TransactionCanceledException");
        assert_eq!(
            reason_codes(&err),
            vec!["ConditionalCheckFailed", "None", "None"]
        );
        assert_eq!(
            err.message(),
            "Transaction cancelled, please refer cancellation reasons for specific reasons \
             [ConditionalCheckFailed, None, None]"
        );
        // Nothing applied.
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 100)));
        assert_eq!(get(&db, ACC, key("b")), Some(acc("b", 0)));
        assert_eq!(get(&db, ACC, key("c")), None);
    });
}

#[test]
fn every_failing_condition_is_named_and_all_old_returns_the_item() {
    for_each_backend(|_, db| {
        setup(&db);
        let mut check = tx_check(ACC, key("b"), "balance > :z", &[(":z", n("0"))]);
        check
            .condition_check
            .as_mut()
            .unwrap()
            .return_values_on_condition_check_failure =
            Some(ReturnValuesOnConditionCheckFailure::AllOld);
        let err = transact(
            &db,
            vec![
                tx_put(ACC, acc("c", 1)),
                check,
                tx_check(ACC, key("zz"), "attribute_exists(pk)", &[]),
            ],
        )
        .unwrap_err();
        let Error::TransactionCanceled { reasons } = &err else {
            panic!("{err:?}")
        };
        let codes: Vec<_> = reasons.iter().map(|r| r.code).collect();
        assert_eq!(
            codes,
            vec!["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]
        );
        assert_eq!(reasons[1].item, Some(acc("b", 0)));
        assert_eq!(
            reasons[1].message.as_deref(),
            Some("The conditional request failed")
        );
        // Without ALL_OLD (and for an absent item) no item.
        assert_eq!(reasons[2].item, None);
        assert_eq!(reasons[0].message, None);
    });
}

#[test]
fn a_condition_check_changes_nothing() {
    for_each_backend(|_, db| {
        setup(&db);
        let out = db
            .transact_write_items(TransactWriteItemsInput {
                transact_items: vec![tx_check(ACC, key("a"), "balance = :v", &[(":v", n("100"))])],
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 100)));
        // Charged as a transactional write of the item: 2 units.
        let cc = out.consumed_capacity.unwrap();
        assert_eq!(cc[0].capacity_units, 2.0);
    });
}

#[test]
fn two_actions_on_one_item_are_a_validation_error() {
    for_each_backend(|_, db| {
        setup(&db);
        let err = transact(
            &db,
            vec![
                tx_check(ACC, key("a"), "attribute_exists(pk)", &[]),
                tx_put(ACC, acc("a", 5)),
            ],
        )
        .unwrap_err();
        assert_eq!(err.exception_name(), "ValidationException");
        assert_eq!(
            err.message(),
            "Transaction request cannot include multiple operations on one item"
        );
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 100)));
    });
}

#[test]
fn request_shape_and_limits_are_validated_before_anything_runs() {
    for_each_backend(|_, db| {
        setup(&db);
        // 0 and 101 actions.
        let err = transact(&db, Vec::new()).unwrap_err();
        assert_eq!(err.exception_name(), "ValidationException");
        let many: Vec<_> = (0..101)
            .map(|i| tx_put(ACC, acc(&format!("k{i}"), i)))
            .collect();
        let err = transact(&db, many).unwrap_err();
        assert!(
            err.message().contains("less than or equal to 100"),
            "{}",
            err.message()
        );
        // Exactly 100 is allowed.
        let hundred: Vec<_> = (0..100)
            .map(|i| tx_put(ACC, acc(&format!("k{i}"), i)))
            .collect();
        transact(&db, hundred).unwrap();
        // An action with none or two kinds.
        let err = transact(&db, vec![TransactWriteItem::default()]).unwrap_err();
        assert_eq!(
            err.message(),
            "TransactItems can only contain one of Check, Put, Update or Delete"
        );
        // A missing table.
        let err = transact(&db, vec![tx_put("Nope", acc("a", 1))]).unwrap_err();
        assert_eq!(err.exception_name(), "ResourceNotFoundException");
        // A key that does not match the schema is input validation, not a reason.
        let err = transact(
            &db,
            vec![
                tx_put(ACC, acc("z", 1)),
                tx_delete(ACC, item(&[("pk", n("1"))])),
            ],
        )
        .unwrap_err();
        assert_eq!(err.exception_name(), "ValidationException");
        assert_eq!(get(&db, ACC, key("z")), None);
    });
}

#[test]
fn more_than_4_mb_of_items_is_refused() {
    for_each_backend(|_, db| {
        setup(&db);
        let big = "x".repeat(350 * 1024);
        // 12 items of ~350 KB: over 4 MB in total, each under 400 KB.
        let actions: Vec<_> = (0..12)
            .map(|i| {
                tx_put(
                    ACC,
                    item(&[("pk", s(&format!("big{i}"))), ("blob", s(&big))]),
                )
            })
            .collect();
        let err = transact(&db, actions).unwrap_err();
        assert_eq!(err.exception_name(), "ValidationException");
        assert!(
            err.message().contains("exceeds the limit"),
            "{}",
            err.message()
        );
        assert_eq!(get(&db, ACC, key("big0")), None);
    });
}

#[test]
fn an_update_that_breaks_a_rule_at_run_time_is_a_validation_error_reason() {
    for_each_backend(|_, db| {
        setup(&db);
        // Adding a number to a string fails only once the item is read.
        let err = transact(
            &db,
            vec![
                tx_put(ACC, acc("c", 1)),
                tx_update(
                    ACC,
                    key("a"),
                    "SET balance = pk + :one",
                    None,
                    &[(":one", n("1"))],
                ),
            ],
        )
        .unwrap_err();
        let Error::TransactionCanceled { reasons } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(reasons[0].code, "None");
        assert_eq!(reasons[1].code, "ValidationError");
        assert!(reasons[1].message.is_some());
        assert_eq!(get(&db, ACC, key("c")), None);
    });
}

#[test]
fn consumed_capacity_is_twice_the_units_per_item() {
    for_each_backend(|_, db| {
        setup(&db);
        db.create_table(simple_table("Other", None)).unwrap();
        let out = db
            .transact_write_items(TransactWriteItemsInput {
                transact_items: vec![
                    tx_put(ACC, acc("c", 1)),
                    // 1.5 KB: 2 write units, 4 transactional.
                    tx_put(
                        "Other",
                        item(&[("pk", s("x")), ("blob", s(&"y".repeat(1500)))]),
                    ),
                    tx_delete(ACC, key("b")),
                ],
                return_consumed_capacity: Some(ReturnConsumedCapacity::Indexes),
                ..Default::default()
            })
            .unwrap();
        let cc = out.consumed_capacity.unwrap();
        let by_table = |t: &str| cc.iter().find(|c| c.table_name == t).unwrap();
        assert_eq!(by_table(ACC).capacity_units, 4.0);
        assert_eq!(by_table(ACC).write_capacity_units, Some(4.0));
        assert_eq!(by_table("Other").capacity_units, 4.0);
        let got = db
            .transact_get_items(TransactGetItemsInput {
                transact_items: vec![
                    TransactGetItem {
                        get: TransactGet {
                            table_name: ACC.into(),
                            key: key("a"),
                            ..Default::default()
                        },
                    },
                    TransactGetItem {
                        get: TransactGet {
                            table_name: "Other".into(),
                            key: key("x"),
                            projection_expression: Some("pk".into()),
                            ..Default::default()
                        },
                    },
                ],
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
            })
            .unwrap();
        assert_eq!(got.responses[1].item, Some(key("x")), "projected");
        let cc = got.consumed_capacity.unwrap();
        // One strongly consistent read unit each, doubled.
        assert!(cc.iter().all(|c| c.capacity_units == 2.0), "{cc:?}");
        assert_eq!(cc[0].read_capacity_units, Some(2.0));
    });
}

#[test]
fn transact_get_items_reads_positionally_and_refuses_an_item_twice() {
    for_each_backend(|_, db| {
        setup(&db);
        let got = transact_get(&db, &[(ACC, key("b")), (ACC, key("none")), (ACC, key("a"))]);
        assert_eq!(got, vec![Some(acc("b", 0)), None, Some(acc("a", 100))]);
        let err = db
            .transact_get_items(TransactGetItemsInput {
                transact_items: vec![
                    TransactGetItem {
                        get: TransactGet {
                            table_name: ACC.into(),
                            key: key("a"),
                            ..Default::default()
                        },
                    };
                    2
                ],
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            err.message(),
            "Transaction request cannot include multiple operations on one item"
        );
        let err = db
            .transact_get_items(TransactGetItemsInput::default())
            .unwrap_err();
        assert_eq!(err.exception_name(), "ValidationException");
    });
}

/// A table with an LSI (ByPosted) and a GSI (ByTag).
fn indexed_table() -> CreateTableInput {
    let mut t = lsi_table(ProjectionType::All);
    t.attribute_definitions
        .push(def("tag", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByTag".into(),
        key_schema: vec![hash("tag")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn post(pk: &str, sk: &str, posted: i64, tag: &str) -> Item {
    item(&[
        ("pk", s(pk)),
        ("sk", s(sk)),
        ("posted", n(&posted.to_string())),
        ("tag", s(tag)),
    ])
}

#[test]
fn indexes_follow_a_transaction_and_item_collection_metrics_are_reported() {
    for_each_backend(|_, db| {
        db.create_table(indexed_table()).unwrap();
        let out = db
            .transact_write_items(TransactWriteItemsInput {
                transact_items: vec![
                    tx_put("Thread", post("p", "1", 10, "x")),
                    tx_put("Thread", post("p", "2", 20, "y")),
                    tx_put("Thread", post("q", "1", 30, "x")),
                ],
                return_item_collection_metrics: Some(ReturnItemCollectionMetrics::Size),
                return_consumed_capacity: Some(ReturnConsumedCapacity::Indexes),
                ..Default::default()
            })
            .unwrap();
        let metrics = &out.item_collection_metrics.unwrap()["Thread"];
        assert_eq!(metrics.len(), 2, "one per partition: {metrics:?}");
        assert_eq!(metrics[0].item_collection_key, item(&[("pk", s("p"))]));
        assert_eq!(metrics[0].size_estimate_range_gb, vec![0.0, 1.0]);
        let cc = &out.consumed_capacity.unwrap()[0];
        // 3 items × (table 1 + LSI 1 + GSI 1) units, doubled.
        assert_eq!(cc.capacity_units, 18.0);
        assert_eq!(scan_all(&db, "Thread", Some("ByPosted")).len(), 3);
        db.wait_for_indexes().unwrap();
        assert_eq!(scan_all(&db, "Thread", Some("ByTag")).len(), 3);
        // A cancelled transaction leaves no index entry behind.
        let err = transact(
            &db,
            vec![
                tx_put("Thread", post("p", "3", 40, "z")),
                tx_check(
                    "Thread",
                    item(&[("pk", s("p")), ("sk", s("9"))]),
                    "attribute_exists(pk)",
                    &[],
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(reason_codes(&err), vec!["None", "ConditionalCheckFailed"]);
        db.wait_for_indexes().unwrap();
        assert_eq!(scan_all(&db, "Thread", Some("ByPosted")).len(), 3);
        assert_eq!(scan_all(&db, "Thread", Some("ByTag")).len(), 3);
    });
}

#[test]
fn a_full_item_collection_cancels_with_its_reason() {
    for b in backends() {
        let db = open_with_collection_limit(&b, 200);
        db.create_table(indexed_table()).unwrap();
        db.create_table(simple_table(ACC, None)).unwrap();
        let big = "z".repeat(150);
        let err = transact(
            &db,
            vec![
                tx_put(ACC, acc("a", 1)),
                tx_put(
                    "Thread",
                    item(&[
                        ("pk", s("p")),
                        ("sk", s("1")),
                        ("posted", n("1")),
                        ("blob", s(&big)),
                    ]),
                ),
            ],
        )
        .unwrap_err();
        assert_eq!(
            reason_codes(&err),
            vec!["None", "ItemCollectionSizeLimitExceeded"],
            "{}",
            b.name
        );
        assert_eq!(get(&db, ACC, key("a")), None);
    }
}

/// ClientRequestToken: replays within 10 minutes of completion, mismatches, and a new
/// request after the window (driven by the Clock seam).
#[test]
fn a_client_request_token_is_idempotent_for_ten_minutes() {
    for b in backends() {
        let clock = ManualClock::new(1_700_000_000_000_000);
        let db = Database::open(
            b.backend.clone(),
            options().with_clock(Arc::new(clock.clone())),
        )
        .unwrap();
        setup(&db);
        let request = |amount: i64, token: &str| TransactWriteItemsInput {
            transact_items: transfer(amount),
            client_request_token: Some(token.into()),
            return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
            ..Default::default()
        };
        let first = db.transact_write_items(request(10, "tok-1")).unwrap();
        assert_eq!(
            first.consumed_capacity.as_ref().unwrap()[0].write_capacity_units,
            Some(4.0)
        );
        clock.advance_secs(9 * 60);
        // The same request: success, not applied again; capacity is a read's.
        let again = db.transact_write_items(request(10, "tok-1")).unwrap();
        let cc = &again.consumed_capacity.unwrap()[0];
        assert_eq!(cc.read_capacity_units, Some(4.0));
        assert_eq!(cc.write_capacity_units, None);
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 90)), "{}", b.name);
        // The same token, another request.
        let err = db.transact_write_items(request(20, "tok-1")).unwrap_err();
        assert_eq!(err.exception_name(), "IdempotentParameterMismatchException");
        // After the window the token is new again.
        clock.advance_secs(61);
        db.transact_write_items(request(10, "tok-1")).unwrap();
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 80)));
        // A cancelled transaction does not keep its token: its retry runs.
        let err = db.transact_write_items(request(1000, "tok-2")).unwrap_err();
        assert_eq!(err.exception_name(), "TransactionCanceledException");
        put(&db, ACC, acc("a", 2000));
        db.transact_write_items(request(1000, "tok-2")).unwrap();
        assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 1000)));
        // A token over 36 characters.
        let err = db
            .transact_write_items(request(1, &"t".repeat(37)))
            .unwrap_err();
        assert_eq!(err.exception_name(), "ValidationException");
    }
}

/// Tokens are durable: written in the transaction's batch, loaded at open (a retry after
/// a restart is a replay), and deleted at open once expired.
#[test]
fn a_client_request_token_survives_a_restart_until_it_expires() {
    let fault = FaultLsm::new();
    let clock = ManualClock::new(1_700_000_000_000_000);
    let opts = || options().with_clock(Arc::new(clock.clone()));
    let open = || Database::open(fault.open_with_clock(&clock), opts()).unwrap();
    let request = |amount: i64| TransactWriteItemsInput {
        transact_items: transfer(amount),
        client_request_token: Some("durable".into()),
        ..Default::default()
    };
    let db = open();
    setup(&db);
    db.transact_write_items(request(10)).unwrap();
    drop(db);
    // A power cut after the (synced) commit: the token came back with the transaction.
    fault.fs.crash();
    let db = open();
    db.transact_write_items(request(10)).unwrap();
    assert_eq!(
        get(&db, ACC, key("a")),
        Some(acc("a", 90)),
        "not applied twice"
    );
    let e = db.transact_write_items(request(20)).unwrap_err();
    assert_eq!(e.exception_name(), "IdempotentParameterMismatchException");
    drop(db);
    // Past the window, the reopened database forgets it: the same request runs again.
    clock.advance_secs(10 * 60 + 1);
    let db = open();
    db.transact_write_items(request(10)).unwrap();
    assert_eq!(get(&db, ACC, key("a")), Some(acc("a", 80)));
}
