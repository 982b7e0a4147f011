//! Auto scaling, target tracking on a manual clock: two minutes above the target scale
//! out to consumed / target; fifteen minutes more than 20 points below it scale in;
//! both within the policy's bounds and DynamoDB's decrease budget.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::{
    AutoScaling, BorrowUnused, CapacityOptions, IndexScaling, TargetTracking,
};
use shale_table::*;
use support::*;

/// 2026-10-09T00:00:00Z: a UTC day starts, so the decrease budget is the day's.
const T0: u64 = 1_791_504_000_000_000;

fn writes(target: f64, min: i64, max: i64) -> AutoScaling {
    AutoScaling {
        write: Some(TargetTracking::new(target, min, max)),
        ..AutoScaling::default()
    }
}

fn db_with(clock: &ManualClock, table: &str, policy: AutoScaling) -> Database {
    capacity_db(
        clock,
        CapacityOptions::default()
            .with_policy(Arc::new(BorrowUnused))
            .with_auto_scaling(table, policy),
    )
}

fn wcu(db: &Database, table: &str) -> i64 {
    db.describe_table(DescribeTableInput {
        table_name: table.into(),
    })
    .unwrap()
    .table
    .provisioned_throughput
    .write_capacity_units
}

/// One clock minute of `per_sec` one-WCU writes (issued at once: the bucket's burst
/// takes them), then an evaluation.
fn minute_of_writes(db: &Database, clock: &ManualClock, table: &str, per_sec: u64) -> usize {
    for i in 0..per_sec * 60 {
        put_small(db, table, &format!("k{}", i % 500)).expect("within burst");
    }
    clock.advance_secs(60);
    db.run_auto_scaling().unwrap().len()
}

#[test]
fn two_minutes_above_the_target_scale_out_to_consumed_over_target() {
    let clock = ManualClock::new(T0);
    let db = db_with(&clock, "Busy", writes(70.0, 10, 1000));
    db.create_table(provisioned_table("Busy", 5, 100)).unwrap();
    assert!(
        db.run_auto_scaling().unwrap().is_empty(),
        "no datapoint yet"
    );
    // 90 WCU/s on 100: 90 % > 70 %.
    assert_eq!(
        minute_of_writes(&db, &clock, "Busy", 90),
        0,
        "one datapoint"
    );
    assert_eq!(
        minute_of_writes(&db, &clock, "Busy", 90),
        1,
        "two datapoints"
    );
    assert_eq!(wcu(&db, "Busy"), 129, "ceil(90 / 0.7)");
    let a = db.auto_scaling_activities();
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].from.write_capacity_units, a[0].to.write_capacity_units),
        (100, 129)
    );
    // Reads had no policy: unchanged.
    assert_eq!(a[0].to.read_capacity_units, 5);
    // The alarm starts again: one more busy minute is not enough.
    assert_eq!(minute_of_writes(&db, &clock, "Busy", 120), 0);
}

#[test]
fn fifteen_quiet_minutes_scale_in_to_the_minimum() {
    let clock = ManualClock::new(T0);
    let db = db_with(&clock, "Quiet", writes(70.0, 10, 1000));
    db.create_table(provisioned_table("Quiet", 5, 200)).unwrap();
    db.run_auto_scaling().unwrap();
    for _ in 0..14 {
        assert_eq!(minute_of_writes(&db, &clock, "Quiet", 1), 0);
    }
    // 1 WCU/s on 200 is far below 50 %; the fifteenth minute scales in.
    assert_eq!(minute_of_writes(&db, &clock, "Quiet", 1), 1);
    assert_eq!(
        wcu(&db, "Quiet"),
        10,
        "ceil(1 / 0.7) = 2, raised to the minimum"
    );
}

#[test]
fn several_minutes_at_once_count_as_that_many_datapoints() {
    let clock = ManualClock::new(T0);
    let db = db_with(&clock, "Idle", writes(50.0, 1, 1000));
    db.create_table(provisioned_table("Idle", 5, 100)).unwrap();
    db.run_auto_scaling().unwrap();
    clock.advance_secs(14 * 60);
    assert!(db.run_auto_scaling().unwrap().is_empty());
    clock.advance_secs(60);
    assert_eq!(db.run_auto_scaling().unwrap().len(), 1);
    assert_eq!(wcu(&db, "Idle"), 1);
}

#[test]
fn scale_in_waits_for_the_decrease_budget() {
    let clock = ManualClock::new(T0);
    let db = db_with(&clock, "Budget", writes(70.0, 1, 1000));
    db.create_table(provisioned_table("Budget", 5, 100))
        .unwrap();
    // Four manual decreases use the day's budget.
    for w in [90, 80, 70, 60] {
        db.update_table(UpdateTableInput {
            table_name: "Budget".into(),
            provisioned_throughput: Some(ProvisionedThroughput {
                read_capacity_units: 5,
                write_capacity_units: w,
            }),
            ..Default::default()
        })
        .unwrap();
    }
    let last_decrease = T0;
    db.run_auto_scaling().unwrap();
    clock.advance_secs(15 * 60);
    assert!(
        db.run_auto_scaling().unwrap().is_empty(),
        "the fifth decrease must wait an hour"
    );
    assert_eq!(wcu(&db, "Budget"), 60);
    // Still quiet; an hour after the last decrease the alarm, still on, gets through.
    clock.set_micros(last_decrease + 3_600_000_000);
    let done = db.run_auto_scaling().unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(wcu(&db, "Budget"), 1);
}

#[test]
fn a_table_outside_the_bounds_is_brought_inside_and_on_demand_is_left_alone() {
    let clock = ManualClock::new(T0);
    let db = db_with(&clock, "Small", writes(70.0, 10, 1000));
    db.create_table(provisioned_table("Small", 5, 5)).unwrap();
    assert_eq!(db.run_auto_scaling().unwrap().len(), 1);
    assert_eq!(wcu(&db, "Small"), 10);
    db.set_auto_scaling("OnDemand", Some(writes(70.0, 10, 1000)))
        .unwrap();
    db.create_table(simple_table("OnDemand", None)).unwrap();
    clock.advance_secs(3600);
    assert!(db
        .run_auto_scaling()
        .unwrap()
        .iter()
        .all(|a| a.table_name != "OnDemand"));
}

#[test]
fn policies_are_set_read_and_removed_and_bad_ones_refused() {
    let clock = ManualClock::new(T0);
    let db = capacity_db(&clock, CapacityOptions::default());
    assert_eq!(db.auto_scaling("T1"), None);
    db.set_auto_scaling("T1", Some(writes(70.0, 1, 10)))
        .unwrap();
    assert_eq!(db.auto_scaling("T1"), Some(writes(70.0, 1, 10)));
    let e = db
        .set_auto_scaling("T1", Some(writes(95.0, 1, 10)))
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert_eq!(
        e.to_string(),
        "Invalid auto scaling policy for write capacity: target utilization 95 is not \
         between 20 and 90 percent"
    );
    assert_eq!(db.auto_scaling("T1"), Some(writes(70.0, 1, 10)), "kept");
    db.set_auto_scaling("T1", None).unwrap();
    assert_eq!(db.auto_scaling("T1"), None);
    // At open, too.
    let bad = CapacityOptions::default().with_auto_scaling("T1", writes(70.0, 5, 4));
    let opened = Database::open(
        Arc::new(shale_engine::MemBackend::new()),
        DatabaseOptions::default().with_capacity(bad),
    );
    assert!(opened.is_err());
}

#[test]
fn a_gsi_is_scaled_on_its_own_throughput() {
    let clock = ManualClock::new(T0);
    let mut policy = AutoScaling::default();
    policy.indexes.insert(
        "ByG".into(),
        IndexScaling {
            read: None,
            write: Some(TargetTracking::new(70.0, 10, 1000)),
        },
    );
    let db = db_with(&clock, "WithGsi", policy);
    let t = with_gsi_on_g(
        provisioned_table("WithGsi", 5, 1000),
        Some(ProvisionedThroughput {
            read_capacity_units: 5,
            write_capacity_units: 100,
        }),
        None,
    );
    db.create_table(t).unwrap();
    db.run_auto_scaling().unwrap();
    // 90 writes a second, each one GSI write unit: 90 % of the GSI's 100 WCU.
    for minute in 0..2 {
        for i in 0..90 * 60 {
            db.put_item(PutItemInput {
                table_name: "WithGsi".into(),
                item: item(&[("pk", s(&format!("k{minute}-{i}"))), ("g", s("x"))]),
                ..Default::default()
            })
            .expect("within burst");
        }
        clock.advance_secs(60);
        db.run_auto_scaling().unwrap();
    }
    let a = db.auto_scaling_activities();
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].index_name.as_deref(), Some("ByG"));
    assert_eq!(a[0].to.write_capacity_units, 129);
    let g = db
        .describe_table(DescribeTableInput {
            table_name: "WithGsi".into(),
        })
        .unwrap()
        .table
        .global_secondary_indexes
        .unwrap()
        .remove(0);
    assert_eq!(g.provisioned_throughput.write_capacity_units, 129);
    // The table itself had no policy: unchanged.
    assert_eq!(wcu(&db, "WithGsi"), 1000);
}
