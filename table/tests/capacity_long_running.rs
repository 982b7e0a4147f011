//! A bucket's credit is counted from its creation in an `i64` of micro-units, so at a
//! very high rate it would saturate and stop refilling: the worker's round
//! (`Database::run_capacity_splits`) rebuilds such states, balances carried, long
//! before. A table of a billion RCU (the highest rate a bucket takes) still refills
//! after four times the time its credit would have taken to saturate.

mod support;

use shale_io::clock::ManualClock;
use shale_table::capacity::CapacityOptions;
use shale_table::*;
use support::*;

#[test]
fn a_bucket_at_the_highest_rate_still_refills_after_hours() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    // A billion is 25,000 times DynamoDB's default per-table quota.
    let capacity = CapacityOptions::default().with_table_max_units(1_000_000_000, 40_000);
    let db = capacity_db(&clock, capacity);
    db.create_table(provisioned_table("Huge", 1_000_000_000, 5))
        .unwrap();
    put_small(&db, "Huge", "k").unwrap();
    let balance = |db: &Database| {
        db.capacity_view("Huge").unwrap().resources[0]
            .table_read_balance_units
            .unwrap()
    };
    let full = balance(&db);
    assert_eq!(full, 300.0 * 1e9, "300 s of a billion units");
    // 10 hours in 20-minute rounds: the credit would saturate after about 2.5 hours.
    for _ in 0..30 {
        clock.advance_secs(20 * 60);
        db.run_capacity_splits();
    }
    get_consistent(&db, "Huge", "k").unwrap();
    assert_eq!(balance(&db), full - 1.0, "one RCU taken");
    clock.advance_secs(1);
    assert_eq!(balance(&db), full, "and refilled");
}
