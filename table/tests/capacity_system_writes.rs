//! The service's own writes consume none of a table's capacity: TTL deletes (free in
//! DynamoDB, run "to ensure availability of throughput for other data operations"), and
//! the bulk writes of restores and imports. A TTL sweep on a table with no write
//! capacity left deletes every expired item, and the table's balance is untouched.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use shale_table::*;
use support::*;

#[test]
fn a_ttl_sweep_deletes_expired_items_without_write_capacity() {
    let start_secs = 1_700_000_000;
    let clock = ManualClock::new(start_secs * 1_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(provisioned_table("Sessions", 5, 1))
        .unwrap();
    db.update_time_to_live(UpdateTimeToLiveInput {
        table_name: "Sessions".into(),
        time_to_live_specification: TimeToLiveSpecification {
            enabled: true,
            attribute_name: "expires".into(),
        },
    })
    .unwrap();
    clock.advance_secs(50); // 50 WCU of credit: 50 writes
    for i in 0..50 {
        db.put_item(PutItemInput {
            table_name: "Sessions".into(),
            item: item(&[
                ("pk", s(&format!("s{i}"))),
                ("expires", n(&(start_secs + 60).to_string())),
            ]),
            ..Default::default()
        })
        .expect("within the credit");
    }
    assert!(throttled(&put_small(&db, "Sessions", "one-more")));
    let before = db.capacity_view("Sessions").unwrap().resources[0].partitions[0]
        .write
        .clone();
    // The items expire; the sweep runs within the same microsecond's balance.
    clock.set_micros((start_secs + 61) * 1_000_000);
    let balance = db.capacity_view("Sessions").unwrap().resources[0].partitions[0]
        .write
        .balance_units;
    assert_eq!(db.sweep_expired_items().unwrap(), 50);
    let after = db.capacity_view("Sessions").unwrap().resources[0].partitions[0]
        .write
        .clone();
    assert_eq!(after.consumed_units, before.consumed_units);
    assert_eq!(after.balance_units, balance);
    assert_eq!(after.throttled_requests, before.throttled_requests);
}
