//! OnDemandThroughput's MaxReadRequestUnits / MaxWriteRequestUnits: requests above them
//! get ThrottlingException (on-demand scaling's own limit is in
//! `capacity_on_demand_scaling.rs`).

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use shale_table::*;
use support::*;

fn on_demand(name: &str, max: Option<OnDemandThroughput>) -> CreateTableInput {
    CreateTableInput {
        on_demand_throughput: max,
        ..simple_table(name, None)
    }
}

#[test]
fn the_write_maximum_is_enforced_with_a_throttling_exception() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    let max = OnDemandThroughput {
        max_read_request_units: None,
        max_write_request_units: Some(10),
    };
    db.create_table(on_demand("Capped", Some(max))).unwrap();
    let described = db
        .describe_table(DescribeTableInput {
            table_name: "Capped".into(),
        })
        .unwrap();
    assert_eq!(described.table.on_demand_throughput, Some(max));
    // The maximum allows one second of its rate at once, and no more.
    for i in 0..10 {
        put_small(&db, "Capped", &format!("k{i}")).expect("under the maximum");
    }
    let e = put_small(&db, "Capped", "over").unwrap_err();
    assert_eq!(e.exception_name(), "ThrottlingException");
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("TableWriteMaxOnDemandThroughputExceeded")
    );
    // Reads have no maximum here.
    for i in 0..100 {
        get_consistent(&db, "Capped", &format!("k{}", i % 10)).expect("reads unlimited");
    }
    clock.advance_secs(1);
    put_small(&db, "Capped", "later").expect("a second later");
}

#[test]
fn without_a_maximum_an_on_demand_table_is_not_throttled() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(on_demand("Open", None)).unwrap();
    // 5,000 writes over two seconds: within a new table's 4,000 WRU per second
    // (`capacity_on_demand_scaling.rs` covers what lies above it).
    for i in 0..5000 {
        if i == 2500 {
            clock.advance_secs(1);
        }
        put_small(&db, "Open", &format!("k{i}")).expect("no maximum");
    }
    assert_eq!(throttled_total(&db, "Open"), 0);
}

#[test]
fn update_table_sets_and_removes_the_maximum() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(on_demand("Later", None)).unwrap();
    let set = |read: i64| {
        db.update_table(UpdateTableInput {
            table_name: "Later".into(),
            on_demand_throughput: Some(OnDemandThroughput {
                max_read_request_units: Some(read),
                max_write_request_units: None,
            }),
            ..Default::default()
        })
        .unwrap()
    };
    set(2);
    get_consistent(&db, "Later", "a").unwrap();
    get_consistent(&db, "Later", "a").unwrap();
    let e = get_consistent(&db, "Later", "a").unwrap_err();
    assert_eq!(e.exception_name(), "ThrottlingException");
    set(-1);
    for _ in 0..100 {
        get_consistent(&db, "Later", "a").expect("maximum removed");
    }
}

#[test]
fn maxima_must_be_positive_or_minus_one() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(on_demand("Bounds", None)).unwrap();
    let set = |read: Option<i64>, write: Option<i64>| {
        db.update_table(UpdateTableInput {
            table_name: "Bounds".into(),
            on_demand_throughput: Some(OnDemandThroughput {
                max_read_request_units: read,
                max_write_request_units: write,
            }),
            ..Default::default()
        })
    };
    // DynamoDB's text, as the ack-api-quirks catalogue recorded it (DDB-TABLE-051/-178).
    for bad in [0, -2] {
        let e = set(Some(bad), None).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "One or more parameter values were invalid: Requested MaxReadRequestUnits for \
             OnDemandThroughput for table is outside of valid range"
        );
    }
    assert!(set(None, Some(0))
        .unwrap_err()
        .message()
        .contains("Requested MaxWriteRequestUnits"));
    set(Some(100), Some(-1)).expect("positive, and -1 to clear");
    let e = db
        .create_table(on_demand(
            "BadMax",
            Some(OnDemandThroughput {
                max_read_request_units: None,
                max_write_request_units: Some(0),
            }),
        ))
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
}

#[test]
fn a_gsi_has_maxima_of_its_own() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    let t = with_gsi_on_g(
        on_demand("WithGsi", None),
        None,
        Some(OnDemandThroughput {
            max_read_request_units: None,
            max_write_request_units: Some(5),
        }),
    );
    db.create_table(t).unwrap();
    let gsi = |db: &Database| {
        db.describe_table(DescribeTableInput {
            table_name: "WithGsi".into(),
        })
        .unwrap()
        .table
        .global_secondary_indexes
        .unwrap()
        .remove(0)
    };
    assert_eq!(
        gsi(&db)
            .on_demand_throughput
            .and_then(|o| o.max_write_request_units),
        Some(5)
    );
    let put = |pk: &str, g: Option<&str>| {
        let mut it = item(&[("pk", s(pk))]);
        if let Some(g) = g {
            it.insert("g".into(), s(g));
        }
        db.put_item(PutItemInput {
            table_name: "WithGsi".into(),
            item: it,
            ..Default::default()
        })
    };
    for i in 0..5 {
        put(&format!("k{i}"), Some("x")).expect("under the GSI's maximum");
    }
    let e = put("over", Some("x")).unwrap_err();
    assert_eq!(e.exception_name(), "ThrottlingException");
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("IndexWriteMaxOnDemandThroughputExceeded")
    );
    // An item the GSI does not index costs the GSI nothing.
    put("sparse", None).expect("no GSI entry");
    // UpdateTable raises the GSI's maximum; -1 then clears it.
    let update = |write: i64| {
        db.update_table(UpdateTableInput {
            table_name: "WithGsi".into(),
            global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                update: Some(UpdateGlobalSecondaryIndexAction {
                    index_name: "ByG".into(),
                    provisioned_throughput: None,
                    on_demand_throughput: Some(OnDemandThroughput {
                        max_read_request_units: None,
                        max_write_request_units: Some(write),
                    }),
                    warm_throughput: None,
                }),
                ..Default::default()
            }]),
            ..Default::default()
        })
    };
    update(1_000).unwrap();
    assert_eq!(
        gsi(&db)
            .on_demand_throughput
            .and_then(|o| o.max_write_request_units),
        Some(1_000)
    );
    // The balance carries over (in debt from the burst above); the new rate refills it.
    clock.advance_secs(1);
    put("after", Some("x")).expect("the new maximum");
    update(-1).unwrap();
    assert_eq!(gsi(&db).on_demand_throughput, None, "cleared");
    assert!(update(0).is_err(), "0 is out of range");
}

#[test]
fn a_gsi_created_by_update_table_keeps_its_maxima() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(on_demand("Later", None)).unwrap();
    db.update_table(UpdateTableInput {
        table_name: "Later".into(),
        attribute_definitions: Some(vec![def("g", ScalarAttributeType::S)]),
        global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
            create: Some(CreateGlobalSecondaryIndexAction {
                index_name: "ByG".into(),
                key_schema: vec![hash("g")],
                projection: Projection {
                    projection_type: Some(ProjectionType::KeysOnly),
                    non_key_attributes: None,
                },
                provisioned_throughput: None,
                on_demand_throughput: Some(OnDemandThroughput {
                    max_read_request_units: None,
                    max_write_request_units: Some(3),
                }),
                warm_throughput: None,
            }),
            ..Default::default()
        }]),
        ..Default::default()
    })
    .unwrap();
    db.wait_for_indexes().unwrap();
    let gsi = db
        .describe_table(DescribeTableInput {
            table_name: "Later".into(),
        })
        .unwrap()
        .table
        .global_secondary_indexes
        .unwrap()
        .remove(0);
    assert_eq!(
        gsi.on_demand_throughput
            .and_then(|o| o.max_write_request_units),
        Some(3)
    );
    let put = |pk: &str| {
        db.put_item(PutItemInput {
            table_name: "Later".into(),
            item: item(&[("pk", s(pk)), ("g", s("x"))]),
            ..Default::default()
        })
    };
    for i in 0..3 {
        put(&format!("k{i}")).expect("under the GSI's maximum");
    }
    let e = put("over").unwrap_err();
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("IndexWriteMaxOnDemandThroughputExceeded")
    );
}
