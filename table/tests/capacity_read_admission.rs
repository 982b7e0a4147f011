//! Reads are admitted where they are charged: Query and Scan pages on the partition where
//! they start, charged the page's bytes once read (into debt if need be); a GetItem on
//! its item's partition, decided and charged its item's units in one step once read; a
//! GSI Query on the GSI's own read capacity; TransactGetItems at twice a strongly
//! consistent read, all admitted before any is done.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use shale_table::*;
use support::*;

fn setup(read_units: i64) -> (ManualClock, Database) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    // 500 WCU: one partition (DynamoDB sizes by ceil(RCU/3000 + WCU/1000); 1000 WCU plus
    // any reads would be two).
    let mut t = provisioned_table("Reads", read_units, 500);
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByG".into(),
        key_schema: vec![hash("g")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: 1,
            write_capacity_units: 500,
        }),
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    db.create_table(t).unwrap();
    clock.advance_secs(1);
    // 40 items of ~1 KB under one partition key of the GSI.
    let body = "x".repeat(1000);
    for i in 0..40 {
        db.put_item(PutItemInput {
            table_name: "Reads".into(),
            item: item(&[
                ("pk", s(&format!("k{i}"))),
                ("g", s("all")),
                ("v", s(&body)),
            ]),
            ..Default::default()
        })
        .unwrap();
    }
    db.wait_for_indexes().unwrap();
    (clock, db)
}

fn scan(db: &Database) -> Result<QueryOutput, Error> {
    db.scan(ScanInput {
        table_name: "Reads".into(),
        consistent_read: Some(true),
        ..Default::default()
    })
}

fn query_gsi(db: &Database) -> Result<QueryOutput, Error> {
    db.query(QueryInput {
        table_name: "Reads".into(),
        index_name: Some("ByG".into()),
        key_condition_expression: Some("g = :g".into()),
        expression_attribute_values: vals(&[(":g", s("all"))]),
        ..Default::default()
    })
}

#[test]
fn a_scan_page_is_charged_its_bytes_and_runs_the_table_into_debt() {
    let (_clock, db) = setup(5);
    // 5 RCU on a positive balance admit the page: 40,390 bytes cost 10 RCU strongly
    // consistent (10 keys of 1,009 bytes, 30 of 1,010; rounded up per 4 KB per page).
    let page = scan(&db).expect("admitted on a positive balance");
    assert_eq!(page.count, 40);
    let read = &db.capacity_view("Reads").unwrap().resources[0].partitions[0].read;
    assert_eq!(read.consumed_units, 10.0);
    assert_eq!(read.balance_units, Some(5.0 - 10.0));
    let e = scan(&db).unwrap_err();
    assert_eq!(e.exception_name(), "ProvisionedThroughputExceededException");
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("TableReadProvisionedThroughputExceeded")
    );
}

#[test]
fn a_get_item_is_charged_its_items_units_on_a_positive_balance_and_a_throttled_one_nothing() {
    let (clock, db) = setup(1);
    db.put_item(PutItemInput {
        table_name: "Reads".into(),
        item: item(&[("pk", s("big")), ("v", s(&"x".repeat(9_000)))]),
        ..Default::default()
    })
    .unwrap();
    let get = || {
        db.get_item(GetItemInput {
            table_name: "Reads".into(),
            key: item(&[("pk", s("big"))]),
            consistent_read: Some(true),
            ..Default::default()
        })
    };
    let read = |db: &Database| {
        let view = db.capacity_view("Reads").unwrap();
        let r = &view.resources[0].partitions[0].read;
        (r.consumed_units, r.balance_units)
    };
    // 1 RCU admits the read, charged 9,006 bytes strongly consistent: 3 RCU, into debt.
    let out = get().expect("admitted on a positive balance");
    assert!(out.item.is_some());
    assert_eq!(read(&db), (3.0, Some(1.0 - 3.0)));
    let e = get().unwrap_err();
    assert_eq!(e.exception_name(), "ProvisionedThroughputExceededException");
    assert_eq!(
        read(&db),
        (3.0, Some(-2.0)),
        "a throttled GetItem consumes nothing"
    );
    // 2 units of debt at 1 RCU: 2 s to repay, then any positive balance admits.
    clock.advance_secs(2);
    assert!(throttled(&get()));
    clock.advance_micros(1);
    get().expect("repaid");
}

#[test]
fn a_gsi_query_reads_on_the_gsis_own_capacity() {
    let (clock, db) = setup(1000);
    // The GSI has 1 RCU: one page (eventually consistent, 40,390 bytes: 5 RCU), then debt.
    query_gsi(&db).expect("one unit admits a page");
    let e = query_gsi(&db).unwrap_err();
    match &e {
        Error::ProvisionedThroughputExceeded {
            index_name,
            operation,
            ..
        } => {
            assert_eq!(index_name.as_deref(), Some("ByG"));
            assert_eq!(*operation, CapacityOperation::Read);
        }
        other => panic!("expected the GSI's throttle, got {other:?}"),
    }
    // The table's own reads are untouched.
    scan(&db).expect("the table has 1000 RCU");
    // 4 units of debt at 1 RCU: 4 s.
    clock.advance_secs(4);
    assert!(throttled(&query_gsi(&db)));
    clock.advance_micros(1);
    query_gsi(&db).expect("repaid");
}

#[test]
fn transact_get_items_costs_twice_and_reads_nothing_when_throttled() {
    let (clock, db) = setup(4);
    let get = |keys: &[&str]| transact_get(&db, keys);
    // 4 RCU: two items of ~1 KB at 2 RCU each.
    get(&["k1", "k2"]).expect("admitted");
    let read = &db.capacity_view("Reads").unwrap().resources[0].partitions[0].read;
    assert_eq!(read.consumed_units, 4.0);
    // Cancelled, as DynamoDB does "when there is insufficient provisioned capacity",
    // with the throttle in the throttled read's position.
    let e = get(&["k3"]).unwrap_err();
    assert_eq!(e.exception_name(), "TransactionCanceledException");
    assert_eq!(reason_codes(&e), vec!["ProvisionedThroughputExceeded"]);
    let read = &db.capacity_view("Reads").unwrap().resources[0].partitions[0].read;
    assert_eq!(
        read.consumed_units, 4.0,
        "a throttled transaction consumes nothing"
    );
    clock.advance_secs(1);
    get(&["k3"]).expect("refilled");
}

/// Regression: items were charged as they were admitted, so a transaction's own earlier
/// items could throttle a later one, and a cancelled transaction kept their charges.
#[test]
fn a_transactions_items_are_all_admitted_before_any_is_charged() {
    let (_clock, db) = setup(4);
    let out =
        transact_get(&db, &["k1", "k2", "k3"]).expect("admitted on the 4 units before any charge");
    assert_eq!(out.responses.len(), 3);
    let read = &db.capacity_view("Reads").unwrap().resources[0].partitions[0].read;
    assert_eq!(read.consumed_units, 6.0, "2 RCU each, into debt");
}

/// A TransactGetItems of `keys` on the "Reads" table.
fn transact_get(db: &Database, keys: &[&str]) -> Result<TransactGetItemsOutput, Error> {
    db.transact_get_items(TransactGetItemsInput {
        transact_items: keys
            .iter()
            .map(|k| TransactGetItem {
                get: TransactGet {
                    table_name: "Reads".into(),
                    key: item(&[("pk", s(k))]),
                    ..Default::default()
                },
            })
            .collect(),
        ..Default::default()
    })
}
