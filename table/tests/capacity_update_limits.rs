//! UpdateTable's capacity budgets, as DynamoDB applies them: four throughput decreases
//! per UTC day then one per 3600 s after the last accepted one (ack-api-quirks
//! DDB-TABLE-184/-185/-326), and four switches to PAY_PER_REQUEST in a rolling 24 hours
//! (the developer guide). All on a manual clock.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::BorrowUnused;
use shale_table::*;
use support::*;

/// 2026-10-09T00:21:34Z, the instant of DynamoDB's recorded fifth-decrease refusal.
const T0: u64 = 1_791_505_294_000_000;
const HOUR: u64 = 3_600_000_000;

fn set_throughput(db: &Database, table: &str, rcu: i64) -> Result<UpdateTableOutput, Error> {
    db.update_table(UpdateTableInput {
        table_name: table.into(),
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: rcu,
            write_capacity_units: 10,
        }),
        ..Default::default()
    })
}

fn set_billing(db: &Database, table: &str, mode: BillingMode) -> Result<UpdateTableOutput, Error> {
    let throughput = (mode == BillingMode::Provisioned).then_some(ProvisionedThroughput {
        read_capacity_units: 10,
        write_capacity_units: 10,
    });
    db.update_table(UpdateTableInput {
        table_name: table.into(),
        billing_mode: Some(mode),
        provisioned_throughput: throughput,
        ..Default::default()
    })
}

fn decreases_today(db: &Database, table: &str) -> i64 {
    db.describe_table(DescribeTableInput {
        table_name: table.into(),
    })
    .unwrap()
    .table
    .provisioned_throughput
    .number_of_decreases_today
}

#[test]
fn four_decreases_then_one_an_hour_after_the_last_accepted_one() {
    let clock = ManualClock::new(T0 - 4 * 1_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(BorrowUnused)));
    db.create_table(provisioned_table("Tbl", 10, 10)).unwrap();
    for rcu in [9, 8, 7, 6] {
        set_throughput(&db, "Tbl", rcu).expect("one of the first four");
        clock.advance_secs(1);
    }
    assert_eq!(decreases_today(&db, "Tbl"), 4);
    clock.set_micros(T0);
    // Increases are never limited.
    set_throughput(&db, "Tbl", 20).expect("an increase");
    let e = set_throughput(&db, "Tbl", 5).unwrap_err();
    assert_eq!(e.exception_name(), "LimitExceededException");
    let last = T0 - 1_000_000; // the fourth decrease, at 00:21:33
    assert_eq!(
        e.to_string(),
        "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given \
         UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be \
         performed at most once every 3600 seconds. Number of decreases today: 4. Last decrease at \
         Friday, October 9, 2026 at 12:21:33 AM Coordinated Universal Time. Next decrease can be \
         made at Friday, October 9, 2026 at 1:21:33 AM Coordinated Universal Time"
    );
    // A refused decrease moves neither the count nor the time.
    clock.set_micros(last + HOUR - 1);
    assert!(
        set_throughput(&db, "Tbl", 5).is_err(),
        "a microsecond early"
    );
    assert_eq!(decreases_today(&db, "Tbl"), 4);
    clock.set_micros(last + HOUR);
    set_throughput(&db, "Tbl", 5).expect("3600 s after the last accepted decrease");
    assert_eq!(decreases_today(&db, "Tbl"), 5);
    let e = set_throughput(&db, "Tbl", 4).unwrap_err();
    assert!(
        e.to_string().contains("Number of decreases today: 5."),
        "{e}"
    );
}

#[test]
fn the_budget_resets_at_utc_midnight() {
    // 23:00 UTC: four decreases, then midnight restores all four.
    let midnight = T0 - (21 * 60 + 34) * 1_000_000 + 24 * HOUR;
    let clock = ManualClock::new(midnight - HOUR);
    let db = capacity_db(&clock, empty_buckets(Arc::new(BorrowUnused)));
    db.create_table(provisioned_table("Tbl", 100, 10)).unwrap();
    for rcu in [90, 80, 70, 60] {
        set_throughput(&db, "Tbl", rcu).unwrap();
    }
    clock.advance_secs(30 * 60);
    let e = set_throughput(&db, "Tbl", 50).unwrap_err();
    // The next time is midnight, which comes before the hourly one.
    assert!(
        e.to_string().ends_with(
            "Next decrease can be made at Saturday, October 10, 2026 at 12:00:00 AM \
             Coordinated Universal Time"
        ),
        "{e}"
    );
    clock.set_micros(midnight);
    assert_eq!(
        decreases_today(&db, "Tbl"),
        0,
        "NumberOfDecreasesToday resets"
    );
    for rcu in [50, 40, 30, 20] {
        set_throughput(&db, "Tbl", rcu).expect("a new day's four");
    }
    assert_eq!(decreases_today(&db, "Tbl"), 4);
}

#[test]
fn the_decrease_budget_survives_a_reopen() {
    let clock = ManualClock::new(T0);
    let lsm = FaultLsm::new();
    let opts = || options().with_clock(Arc::new(clock.clone()));
    {
        let db = Database::open(lsm.open_with_clock(&clock), opts()).unwrap();
        db.create_table(provisioned_table("Tbl", 10, 10)).unwrap();
        for rcu in [9, 8, 7, 6] {
            set_throughput(&db, "Tbl", rcu).unwrap();
        }
    }
    let db = Database::open(lsm.open_with_clock(&clock), opts()).unwrap();
    assert_eq!(decreases_today(&db, "Tbl"), 4);
    let e = set_throughput(&db, "Tbl", 5).unwrap_err();
    assert_eq!(e.exception_name(), "LimitExceededException");
}

#[test]
fn four_switches_to_on_demand_in_a_rolling_day() {
    let start = T0;
    let clock = ManualClock::new(start);
    let db = capacity_db(&clock, empty_buckets(Arc::new(BorrowUnused)));
    db.create_table(provisioned_table("Tbl", 10, 10)).unwrap();
    for _ in 0..4 {
        set_billing(&db, "Tbl", BillingMode::PayPerRequest).expect("within the four");
        clock.advance_secs(60);
        // Back to provisioned is free, at any time.
        set_billing(&db, "Tbl", BillingMode::Provisioned).expect("switching back");
        clock.advance_secs(60);
    }
    let e = set_billing(&db, "Tbl", BillingMode::PayPerRequest).unwrap_err();
    assert_eq!(e.exception_name(), "LimitExceededException");
    assert_eq!(
        e.to_string(),
        "Subscriber limit exceeded: Update to PayPerRequest mode are limited to 4 times in 1 \
         day(s). Last update at Fri Oct 09 00:27:34 UTC 2026. Next update can be made at Sat Oct \
         10 00:21:34 UTC 2026"
    );
    // The table stayed provisioned.
    let t = db
        .describe_table(DescribeTableInput {
            table_name: "Tbl".into(),
        })
        .unwrap()
        .table;
    assert_eq!(
        t.billing_mode_summary.map(|b| b.billing_mode),
        Some(BillingMode::Provisioned)
    );
    // 24 hours after the first switch, one more is allowed.
    clock.set_micros(start + 24 * HOUR);
    set_billing(&db, "Tbl", BillingMode::PayPerRequest).expect("the oldest left the window");
}

#[test]
fn a_gsi_has_a_decrease_budget_of_its_own() {
    let clock = ManualClock::new(T0);
    let db = capacity_db(&clock, empty_buckets(Arc::new(BorrowUnused)));
    let t = with_gsi_on_g(
        provisioned_table("Tbl", 10, 10),
        Some(ProvisionedThroughput {
            read_capacity_units: 10,
            write_capacity_units: 10,
        }),
        None,
    );
    db.create_table(t).unwrap();
    let set_gsi = |rcu: i64| {
        db.update_table(UpdateTableInput {
            table_name: "Tbl".into(),
            global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                update: Some(UpdateGlobalSecondaryIndexAction {
                    index_name: "ByG".into(),
                    provisioned_throughput: Some(ProvisionedThroughput {
                        read_capacity_units: rcu,
                        write_capacity_units: 10,
                    }),
                    on_demand_throughput: None,
                    warm_throughput: None,
                }),
                ..Default::default()
            }]),
            ..Default::default()
        })
    };
    for rcu in [9, 8, 7, 6] {
        set_gsi(rcu).expect("one of the GSI's four");
    }
    let e = set_gsi(5).unwrap_err();
    assert_eq!(e.exception_name(), "LimitExceededException");
    // The table's own budget is untouched.
    set_throughput(&db, "Tbl", 9).expect("the table's first decrease");
    let g = db
        .describe_table(DescribeTableInput {
            table_name: "Tbl".into(),
        })
        .unwrap()
        .table
        .global_secondary_indexes
        .unwrap()
        .remove(0);
    assert_eq!(g.provisioned_throughput.number_of_decreases_today, 4);
    assert_eq!(
        g.provisioned_throughput.last_decrease_date_time,
        Some(T0 as f64 / 1e6)
    );
    assert_eq!(decreases_today(&db, "Tbl"), 1);
}
