//! On-demand scaling, as DynamoDB documents it: a new on-demand table takes 4,000 WRU
//! and 12,000 RRU per second at once (twice a previous peak of half that); it serves
//! double its previous peak at once; beyond that it throttles with ThrottlingException
//! until the new peak is established 30 minutes later; a table switched from
//! provisioned starts from half its provisioned throughput if that is higher.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::{BorrowUnused, CapacityOptions, PEAK_ESTABLISH_SECS};
use shale_table::*;
use support::*;

const T0: u64 = 1_700_000_000_000_000;

fn db_at(clock: &ManualClock, scaling: bool) -> Database {
    capacity_db(
        clock,
        CapacityOptions::default()
            .with_policy(Arc::new(BorrowUnused))
            .with_on_demand_scaling(scaling),
    )
}

/// A PutItem of a 10 KB item: 10 WRU.
fn put_10kb(db: &Database, table: &str, pk: &str) -> Result<PutItemOutput, Error> {
    db.put_item(PutItemInput {
        table_name: table.into(),
        item: item(&[("pk", s(pk)), ("v", s(&"x".repeat(10_200)))]),
        ..Default::default()
    })
}

/// Offers `units` WRU as 10 WRU puts at the clock's current second; returns the WRU
/// admitted and the last refusal's exception name.
fn offer_writes(db: &Database, table: &str, units: u64) -> (u64, Option<&'static str>) {
    let mut admitted = 0;
    let mut refusal = None;
    for i in 0..units / 10 {
        match put_10kb(db, table, &format!("k{i}")) {
            Ok(_) => admitted += 10,
            Err(e) => refusal = Some(e.exception_name()),
        }
    }
    (admitted, refusal)
}

#[test]
fn a_new_table_takes_its_initial_capacity_at_once_and_no_more() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(simple_table("Fresh", None)).unwrap();
    let (admitted, refusal) = offer_writes(&db, "Fresh", 4_000);
    assert_eq!(admitted, 4_000);
    assert!(refusal.is_none());
    let e = put_10kb(&db, "Fresh", "over").unwrap_err();
    assert_eq!(e.exception_name(), "ThrottlingException");
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("TableWriteKeyRangeThroughputExceeded")
    );
    assert!(e
        .to_string()
        .contains("DynamoDB is automatically scaling your table or index"));
    // Reads have their own 12,000 RRU.
    db.put_item(PutItemInput {
        table_name: "Fresh".into(),
        item: item(&[("pk", s("big")), ("v", s(&"y".repeat(40_000)))]),
        ..Default::default()
    })
    .expect_err("writes are still over for this second");
    clock.advance_secs(1);
    db.put_item(PutItemInput {
        table_name: "Fresh".into(),
        item: item(&[("pk", s("big")), ("v", s(&"y".repeat(40_900)))]),
        ..Default::default()
    })
    .expect("a new second");
    clock.advance_secs(1);
    let mut read = 0;
    // A strongly consistent read of a 40 KB item: 10 RRU.
    while get_consistent(&db, "Fresh", "big").is_ok() {
        read += 10;
        assert!(read <= 20_000, "reads were never refused");
    }
    assert_eq!(read, 12_000);
}

#[test]
fn double_the_peak_is_served_and_four_times_it_waits_thirty_minutes() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(simple_table("Spiky", None)).unwrap();
    // Previous peak 2,000 WRU: 4,000 (double) is served in full.
    assert_eq!(offer_writes(&db, "Spiky", 4_000), (4_000, None));
    clock.advance_secs(1);
    // 8,000 (four times): half is refused.
    let (admitted, refusal) = offer_writes(&db, "Spiky", 8_000);
    assert_eq!(admitted, 4_000);
    assert_eq!(refusal, Some("ThrottlingException"));
    // Still so 29 minutes later: the 4,000 peak is not yet established.
    clock.advance_secs(PEAK_ESTABLISH_SECS - 60);
    assert_eq!(offer_writes(&db, "Spiky", 8_000).0, 4_000);
    // Once 30 minutes have passed since 4,000 was first reached, 8,000 is served.
    clock.advance_secs(60);
    assert_eq!(offer_writes(&db, "Spiky", 8_000), (8_000, None));
    let view = db.capacity_view("Spiky").unwrap();
    assert_eq!(view.resources[0].on_demand_write_peak_units, Some(4_000.0));
    assert_eq!(view.resources[0].on_demand_read_peak_units, Some(6_000.0));
    // The partitions grow with the peak: DynamoDB's sizing of twice it (12,000 RRU and
    // 8,000 WRU) is 12 partitions, where a new table has 8.
    assert_eq!(view.resources[0].partitions.len(), 8);
    db.run_capacity_splits();
    let view = db.capacity_view("Spiky").unwrap();
    assert_eq!(view.resources[0].partitions.len(), 12);
    assert_eq!(
        view.resources[0].on_demand_write_peak_units,
        Some(4_000.0),
        "carried"
    );
}

#[test]
fn a_table_switched_from_provisioned_starts_from_half_its_provisioned_throughput() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(provisioned_table("Switched", 5, 10_000))
        .unwrap();
    switch_to_on_demand(&db, "Switched");
    clock.advance_secs(1);
    // Previous peak max(10,000 / 2, 2,000): 10,000 WRU at once.
    assert_eq!(offer_writes(&db, "Switched", 10_000), (10_000, None));
    assert!(put_10kb(&db, "Switched", "over").is_err());
    let view = db.capacity_view("Switched").unwrap();
    assert_eq!(view.resources[0].on_demand_write_peak_units, Some(5_000.0));
    // Reads: half of 5 RCU is below a new table's 6,000, which wins.
    assert_eq!(view.resources[0].on_demand_read_peak_units, Some(6_000.0));
}

#[test]
fn the_peak_survives_an_update_table_that_rebuilds_admission() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(simple_table("Kept", None)).unwrap();
    offer_writes(&db, "Kept", 4_000);
    clock.advance_secs(PEAK_ESTABLISH_SECS + 1);
    // Setting a (high: the per-table quota) maximum rebuilds the table's admission state.
    db.update_table(UpdateTableInput {
        table_name: "Kept".into(),
        on_demand_throughput: Some(OnDemandThroughput {
            max_read_request_units: None,
            max_write_request_units: Some(40_000),
        }),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(offer_writes(&db, "Kept", 8_000), (8_000, None));
}

#[test]
fn scaling_can_be_turned_off() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, false);
    db.create_table(simple_table("Open", None)).unwrap();
    assert_eq!(offer_writes(&db, "Open", 20_000), (20_000, None));
    assert_eq!(throttled_total(&db, "Open"), 0);
    let view = db.capacity_view("Open").unwrap();
    assert_eq!(view.resources[0].on_demand_write_peak_units, None);
}
