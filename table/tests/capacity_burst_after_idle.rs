//! Burst: unused capacity accrues for up to 300 seconds. After idleness, a burst is
//! absorbed up to the credit accrued, then throttled, and the table recovers at its rate.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use shale_table::{CapacityOperation, Error};
use support::*;

const WCU: i64 = 5;

fn setup() -> (ManualClock, shale_table::Database) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(provisioned_table("Bursty", 5, WCU))
        .unwrap();
    (clock, db)
}

/// Writes at one instant until the first throttle; returns how many were admitted.
fn burst(db: &shale_table::Database) -> (usize, Error) {
    for i in 0.. {
        if let Err(e) = put_small(db, "Bursty", &format!("k{i}")) {
            return (i, e);
        }
    }
    unreachable!()
}

#[test]
fn a_burst_after_300_s_idle_is_absorbed_up_to_the_credit_then_throttled() {
    let (clock, db) = setup();
    // 400 s idle: credit is capped at 300 s × 5 WCU.
    clock.advance_secs(400);
    let (admitted, e) = burst(&db);
    assert_eq!(admitted, 300 * WCU as usize);
    match e {
        Error::ProvisionedThroughputExceeded {
            table_name,
            index_name,
            operation,
            limit,
            resource,
        } => {
            assert_eq!(limit, shale_table::ThrottleLimit::Provisioned);
            assert_eq!(table_name, "Bursty");
            assert_eq!(
                resource,
                "arn:aws:dynamodb:us-east-1:000000000000:table/Bursty"
            );
            assert_eq!(index_name, None);
            assert_eq!(operation, CapacityOperation::Write);
        }
        other => panic!("expected a throttle, got {other:?}"),
    }
    // 0.2 s later one unit has refilled: one more write.
    clock.advance_micros(200_000);
    put_small(&db, "Bursty", "after").expect("refilled");
    assert!(throttled(&put_small(&db, "Bursty", "again")));
    assert_eq!(throttled_total(&db, "Bursty"), 2);
}

#[test]
fn a_shorter_idle_accrues_proportionally_less() {
    let (clock, db) = setup();
    clock.advance_secs(100);
    let (admitted, _) = burst(&db);
    assert_eq!(admitted, 100 * WCU as usize);
}

#[test]
fn a_request_larger_than_the_balance_runs_into_debt_that_refill_repays() {
    let (clock, db) = setup();
    clock.advance_secs(1); // 5 units
    let big = "x".repeat(20 * 1024); // 21 WCU
    db.put_item(shale_table::PutItemInput {
        table_name: "Bursty".into(),
        item: item(&[("pk", s("big")), ("v", s(&big))]),
        ..Default::default()
    })
    .expect("admitted on a positive balance");
    let debt = db.capacity_view("Bursty").unwrap().resources[0].partitions[0]
        .write
        .balance_units
        .unwrap();
    assert_eq!(debt, 5.0 - 21.0);
    // 16 units of debt take 3.2 s to repay; only then is anything admitted.
    clock.advance_micros(3_200_000);
    assert!(throttled(&put_small(&db, "Bursty", "k")));
    clock.advance_micros(1);
    put_small(&db, "Bursty", "k").expect("repaid");
}

#[test]
fn transactional_writes_cost_twice() {
    let (clock, db) = setup();
    clock.advance_secs(2); // 10 units: five transactional writes of one item
    for i in 0..5 {
        db.transact_write_items(shale_table::TransactWriteItemsInput {
            transact_items: vec![shale_table::TransactWriteItem {
                put: Some(shale_table::TransactPut {
                    table_name: "Bursty".into(),
                    item: item(&[("pk", s(&format!("t{i}")))]),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        })
        .expect("admitted");
    }
    let w = &db.capacity_view("Bursty").unwrap().resources[0].partitions[0].write;
    assert_eq!(w.consumed_units, 10.0);
    assert_eq!(w.balance_units, Some(0.0));
}

#[test]
fn a_throttled_transaction_is_cancelled_with_the_reason_on_its_actions() {
    let (clock, db) = setup();
    let other = provisioned_table("Other", 5, 5);
    db.create_table(other).unwrap();
    clock.advance_secs(1); // 5 units on Bursty: two transactional writes, and one more
    let put = |table: &str, pk: &str| shale_table::TransactWriteItem {
        put: Some(shale_table::TransactPut {
            table_name: table.into(),
            item: item(&[("pk", s(pk))]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let write = |items: Vec<shale_table::TransactWriteItem>| {
        db.transact_write_items(shale_table::TransactWriteItemsInput {
            transact_items: items,
            ..Default::default()
        })
    };
    write(vec![put("Bursty", "a"), put("Bursty", "b")]).expect("4 of 5 units");
    write(vec![put("Bursty", "c")]).expect("the balance is still positive: into debt");
    let e = write(vec![put("Other", "x"), put("Bursty", "d")]).unwrap_err();
    assert_eq!(e.exception_name(), "TransactionCanceledException");
    assert_eq!(
        reason_codes(&e),
        vec!["None", "ProvisionedThroughputExceeded"]
    );
    let shale_table::Error::TransactionCanceled { reasons } = &e else {
        unreachable!()
    };
    assert_eq!(
        reasons[1].message.as_deref(),
        Some(
            "The level of configured provisioned throughput for the table was exceeded. \
             Consider increasing your provisioning level with the UpdateTable API."
        )
    );
    assert_eq!(
        e.to_string(),
        "Transaction cancelled, please refer cancellation reasons for specific reasons \
         [None, ProvisionedThroughputExceeded]"
    );
}

/// [`setup`] with 500 units of credit and a ~3 KB item (3 WCU) at key `pk`, whose
/// write has been charged.
fn setup_with_big_item(pk: &str) -> shale_table::Database {
    let (clock, db) = setup();
    clock.advance_secs(100);
    db.put_item(shale_table::PutItemInput {
        table_name: "Bursty".into(),
        item: item(&[("pk", s(pk)), ("v", s(&"x".repeat(2_900)))]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(consumed(&db), 3.0);
    db
}

/// The write units the table's one partition has consumed.
fn consumed(db: &shale_table::Database) -> f64 {
    db.capacity_view("Bursty").unwrap().resources[0].partitions[0]
        .write
        .consumed_units
}

#[test]
fn a_failed_conditional_write_consumes_the_existing_items_units() {
    let db = setup_with_big_item("k");
    let e = db
        .put_item(shale_table::PutItemInput {
            table_name: "Bursty".into(),
            item: item(&[("pk", s("k"))]),
            condition_expression: Some("attribute_not_exists(pk)".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ConditionalCheckFailedException");
    // DynamoDB: "dependent on the size of the existing item (or a minimum of 1)".
    assert_eq!(consumed(&db), 6.0);
    let e = db
        .delete_item(shale_table::DeleteItemInput {
            table_name: "Bursty".into(),
            key: item(&[("pk", s("absent"))]),
            condition_expression: Some("attribute_exists(pk)".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ConditionalCheckFailedException");
    assert_eq!(consumed(&db), 7.0, "a minimum of 1 when there is no item");
}

#[test]
fn a_cancelled_transaction_consumes_its_prepare_phase() {
    let db = setup_with_big_item("big");
    // A put of a new item (prepare: 1, there is no item yet), an update of the big
    // item (prepare: 3) and a check that fails on an absent item (1).
    let e = transact(
        &db,
        vec![
            tx_put("Bursty", item(&[("pk", s("new"))])),
            tx_update(
                "Bursty",
                item(&[("pk", s("big"))]),
                "SET n = :one",
                None,
                &[(":one", n("1"))],
            ),
            tx_check(
                "Bursty",
                item(&[("pk", s("absent"))]),
                "attribute_exists(pk)",
                &[],
            ),
        ],
    )
    .unwrap_err();
    assert_eq!(
        reason_codes(&e),
        ["None", "None", "ConditionalCheckFailed"],
        "{e}"
    );
    assert_eq!(consumed(&db), 3.0 + 1.0 + 3.0 + 1.0);
    // A transaction refused whole before its prepare (two actions on one item) pays
    // nothing.
    let e = transact(
        &db,
        vec![
            tx_put("Bursty", item(&[("pk", s("twice"))])),
            tx_delete("Bursty", item(&[("pk", s("twice"))])),
        ],
    )
    .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert_eq!(consumed(&db), 8.0);
}

#[test]
fn enforcement_switched_off_at_run_time_throttles_nothing_until_switched_on() {
    let (clock, db) = setup();
    clock.advance_secs(10); // 50 units of credit
    db.set_capacity_enforcement(false);
    for i in 0..200 {
        put_small(&db, "Bursty", &format!("free{i}")).expect("not enforced");
    }
    assert_eq!(consumed(&db), 0.0, "nothing charged while off");
    db.set_capacity_enforcement(true);
    // The buckets refilled all along: the 50 units are there, and no more.
    assert_eq!(burst(&db).0, 50);
}
