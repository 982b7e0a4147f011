//! Adaptive capacity, first rule: a hot partition borrows the table's unused throughput
//! up to the table's total. Under a fixed share the same load is throttled.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::{AdmissionPolicy, BorrowUnused, FixedShare};
use support::*;

/// One hot key written at 1,500 WCU/s for 10 s on a table of 1 RCU and 1,990 WCU (two
/// partitions of 995 WCU: ceil(1/3000 + 1990/1000) = 2); returns the writes throttled.
fn hot_key_throttles(policy: Arc<dyn AdmissionPolicy>) -> usize {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(policy));
    db.create_table(provisioned_table("Hot", 1, 1990)).unwrap();
    let mut refused = 0;
    for _ in 0..10 {
        clock.advance_secs(1);
        for _ in 0..1500 {
            if throttled(&put_small(&db, "Hot", "the-hot-key")) {
                refused += 1;
            }
        }
    }
    refused
}

#[test]
fn a_hot_partition_borrows_unused_table_throughput() {
    assert_eq!(hot_key_throttles(Arc::new(BorrowUnused)), 0);
}

#[test]
fn a_fixed_share_throttles_the_hot_partition() {
    // Each second the hot partition earns 995 units and 505 requests are refused.
    assert_eq!(hot_key_throttles(Arc::new(FixedShare)), 10 * 505);
}

#[test]
fn borrowing_never_exceeds_the_table_total() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(BorrowUnused)));
    db.create_table(provisioned_table("Hot", 1, 1990)).unwrap();
    clock.advance_secs(1);
    let mut admitted = 0;
    for _ in 0..5000 {
        if !throttled(&put_small(&db, "Hot", "the-hot-key")) {
            admitted += 1;
        }
    }
    // One second of the table's whole rate, and not a unit more.
    assert_eq!(admitted, 1990);
}
