//! A uniform load at 90% of a table's provisioned rate is never throttled, however long
//! it runs: each interval refills more than it takes, starting from empty buckets.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use support::*;

const RATE_PER_SEC: u64 = 10;
const SECONDS: u64 = 600;

#[test]
fn ninety_percent_of_provisioned_is_never_throttled() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(provisioned_table(
        "Uniform",
        RATE_PER_SEC as i64,
        RATE_PER_SEC as i64,
    ))
    .unwrap();
    // 9 writes and 9 strongly consistent reads (one unit each) per second, evenly spaced.
    let per_sec = RATE_PER_SEC * 9 / 10;
    let step_us = 1_000_000 / per_sec;
    let mut requests = 0u64;
    for i in 0..SECONDS * per_sec {
        clock.advance_micros(step_us);
        let pk = format!("k{}", i % 50);
        put_small(&db, "Uniform", &pk).expect("write at 90% admitted");
        get_consistent(&db, "Uniform", &pk).expect("read at 90% admitted");
        requests += 1;
    }
    assert_eq!(throttled_total(&db, "Uniform"), 0);
    let view = db.capacity_view("Uniform").unwrap();
    let p = &view.resources[0].partitions[0];
    assert_eq!(p.write.consumed_units, requests as f64);
    assert_eq!(p.read.consumed_units, requests as f64);
    // The unused 10% accrued as burst credit (never above 300 s of it).
    let balance = p.write.balance_units.unwrap();
    assert!(
        balance > 0.0 && balance <= 300.0 * RATE_PER_SEC as f64,
        "{balance}"
    );
}

#[test]
fn a_multi_partition_table_spreads_its_rate_over_its_partitions() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    // 3 RCU and 3,996 WCU: ceil(0.001 + 3.996) = 4 partitions of 999 WCU each.
    db.create_table(provisioned_table("Wide", 3, 3996)).unwrap();
    let view = db.capacity_view("Wide").unwrap();
    let parts = &view.resources[0].partitions;
    assert_eq!(parts.len(), 4);
    assert!(parts
        .iter()
        .all(|p| p.write.share_units_per_sec == Some(999.0)));
    assert_eq!(parts[0].hash_start, 0);
    assert_eq!(parts[3].hash_end, u64::MAX);
    // 90% of the table's rate, spread over many keys, for a minute.
    clock.advance_secs(1);
    for _ in 0..60 {
        for k in 0..3596 {
            put_small(&db, "Wide", &format!("key-{k}")).expect("admitted");
        }
        clock.advance_secs(1);
    }
    assert_eq!(throttled_total(&db, "Wide"), 0);
}
