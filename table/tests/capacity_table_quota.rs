//! The per-table quota: a table or GSI provisions, or takes as an on-demand maximum, at
//! most `CapacityOptions::table_max_read_units` / `_write_units` (DynamoDB's default
//! 40,000 each), refused above it with DynamoDB's LimitExceededException; ProvisionedThroughput
//! above 10^12 is a ValidationException whatever the quota; and OnDemandThroughput is
//! refused on a PROVISIONED table.

mod support;

use std::sync::Arc;

use shale_table::capacity::CapacityOptions;
use shale_table::*;
use support::*;

fn database(capacity: CapacityOptions) -> Database {
    let opts = DatabaseOptions::default()
        .with_background_index_worker(false)
        .with_capacity(capacity);
    Database::open(Arc::new(shale_engine::MemBackend::new()), opts).expect("open database")
}

fn throughput(read: i64, write: i64) -> Option<ProvisionedThroughput> {
    Some(ProvisionedThroughput {
        read_capacity_units: read,
        write_capacity_units: write,
    })
}

fn maxima(read: Option<i64>, write: Option<i64>) -> Option<OnDemandThroughput> {
    Some(OnDemandThroughput {
        max_read_request_units: read,
        max_write_request_units: write,
    })
}

fn on_demand_table(name: &str, max: Option<OnDemandThroughput>) -> CreateTableInput {
    CreateTableInput {
        on_demand_throughput: max,
        ..simple_table(name, None)
    }
}

fn update(name: &str) -> UpdateTableInput {
    UpdateTableInput {
        table_name: name.into(),
        ..Default::default()
    }
}

fn gsi_update(
    index: &str,
    throughput: Option<ProvisionedThroughput>,
    on_demand: Option<OnDemandThroughput>,
) -> Option<Vec<GlobalSecondaryIndexUpdate>> {
    Some(vec![GlobalSecondaryIndexUpdate {
        update: Some(UpdateGlobalSecondaryIndexAction {
            index_name: index.into(),
            provisioned_throughput: throughput,
            on_demand_throughput: on_demand,
            warm_throughput: None,
        }),
        ..Default::default()
    }])
}

fn limit_exceeded(r: Result<impl std::fmt::Debug, Error>) -> String {
    let e = r.unwrap_err();
    assert_eq!(e.exception_name(), "LimitExceededException", "{e}");
    e.to_string()
}

fn invalid(r: Result<impl std::fmt::Debug, Error>) -> String {
    let e = r.unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException", "{e}");
    e.to_string()
}

const ABOVE_TABLE_READ: &str = "The requested ReadCapacityUnits, 40001, is above the per table \
    maximum for the account in us-east-1. Per table maximum: 40000. Refer to the Amazon \
    DynamoDB Developer Guide for current limits and how to request higher limits.";

#[test]
fn provisioned_units_above_the_quota_are_refused_with_dynamodbs_text() {
    let db = database(CapacityOptions::default());
    assert_eq!(
        limit_exceeded(db.create_table(provisioned_table("Big", 40_001, 5))),
        ABOVE_TABLE_READ
    );
    assert!(
        limit_exceeded(db.create_table(provisioned_table("Big", 5, 45_000)))
            .starts_with("The requested WriteCapacityUnits, 45000, is above the per table maximum")
    );
    // Both above: reads are named.
    assert_eq!(
        limit_exceeded(db.create_table(provisioned_table("Big", 40_001, 40_001))),
        ABOVE_TABLE_READ
    );
    // At the quota is allowed; raising past it with UpdateTable is not, and changes
    // nothing.
    db.create_table(provisioned_table("Big", 40_000, 5))
        .unwrap();
    let e = limit_exceeded(db.update_table(UpdateTableInput {
        provisioned_throughput: throughput(5, 40_001),
        ..update("Big")
    }));
    assert!(e.contains("WriteCapacityUnits, 40001"), "{e}");
    let described = db
        .describe_table(DescribeTableInput {
            table_name: "Big".into(),
        })
        .unwrap()
        .table;
    let t = described.provisioned_throughput;
    assert_eq!((t.read_capacity_units, t.write_capacity_units), (40_000, 5));
}

#[test]
fn a_gsis_units_are_held_to_the_same_quota() {
    let db = database(CapacityOptions::default());
    let e = limit_exceeded(db.create_table(with_gsi_on_g(
        provisioned_table("Indexed", 5, 5),
        throughput(50_000, 5),
        None,
    )));
    assert_eq!(
        e,
        "The requested ReadCapacityUnits for index ByG, 50000, is above the per index \
         maximum for the account in us-east-1. Per index maximum: 40000. Refer to the Amazon \
         DynamoDB Developer Guide for current limits and how to request higher limits."
    );
    db.create_table(with_gsi_on_g(
        provisioned_table("Indexed", 5, 5),
        throughput(5, 5),
        None,
    ))
    .unwrap();
    let e = limit_exceeded(db.update_table(UpdateTableInput {
        global_secondary_index_updates: gsi_update("ByG", throughput(5, 40_001), None),
        ..update("Indexed")
    }));
    assert!(
        e.starts_with("The requested WriteCapacityUnits for index ByG, 40001"),
        "{e}"
    );
}

#[test]
fn a_raised_quota_allows_more_but_not_past_dynamodbs_bound() {
    let db = database(CapacityOptions::default().with_table_max_units(100_000, 100_000));
    db.create_table(provisioned_table("Raised", 100_000, 50_000))
        .unwrap();
    assert_eq!(db.table_max_units(), (100_000, 100_000));
    assert!(limit_exceeded(db.update_table(UpdateTableInput {
        provisioned_throughput: throughput(100_001, 50_000),
        ..update("Raised")
    }))
    .contains("Per table maximum: 100000"));
    // Above 10^12 is out of the member's bounds: a ValidationException, reads first,
    // whatever the quota.
    let db = database(CapacityOptions::default().with_table_max_units(u64::MAX, u64::MAX));
    assert_eq!(
        invalid(db.create_table(provisioned_table("Huge", 1_000_000_000_001, 5))),
        "Given value 1000000000001 for ReadCapacityUnits is out of bounds"
    );
    assert_eq!(
        invalid(db.create_table(provisioned_table("Huge", 5, 1_000_000_000_001))),
        "Given value 1000000000001 for WriteCapacityUnits is out of bounds"
    );
    db.create_table(provisioned_table("Huge", 1_000_000_000_000, 5))
        .unwrap();
}

#[test]
fn on_demand_maxima_above_the_quota_are_refused() {
    let db = database(CapacityOptions::default());
    assert_eq!(
        limit_exceeded(db.create_table(on_demand_table("Open", maxima(Some(40_001), None)))),
        "Subscriber limit exceeded: Requested MaxReadRequestUnits for OnDemandThroughput for \
         table exceeds TableMaxReadCapacityUnits of the account in region us-east-1"
    );
    db.create_table(on_demand_table("Open", maxima(Some(40_000), Some(-1))))
        .unwrap();
    assert_eq!(
        limit_exceeded(db.update_table(UpdateTableInput {
            on_demand_throughput: maxima(None, Some(40_001)),
            ..update("Open")
        })),
        "Subscriber limit exceeded: Requested MaxWriteRequestUnits for OnDemandThroughput for \
         table exceeds TableMaxWriteCapacityUnits of the account in region us-east-1"
    );
    // A GSI's maxima.
    assert_eq!(
        limit_exceeded(db.create_table(with_gsi_on_g(
            on_demand_table("OpenIndexed", None),
            None,
            maxima(Some(50_000), None),
        ))),
        "Subscriber limit exceeded: Requested MaxReadRequestUnits for OnDemandThroughput for \
         index : ByG exceeds TableMaxReadCapacityUnits of the account in region us-east-1"
    );
    db.create_table(with_gsi_on_g(
        on_demand_table("OpenIndexed", None),
        None,
        maxima(Some(10), None),
    ))
    .unwrap();
    assert!(limit_exceeded(db.update_table(UpdateTableInput {
        global_secondary_index_updates: gsi_update("ByG", None, maxima(None, Some(40_001))),
        ..update("OpenIndexed")
    }))
    .contains("MaxWriteRequestUnits for OnDemandThroughput for index : ByG exceeds"));
}

#[test]
fn on_demand_maxima_are_refused_on_a_provisioned_table() {
    let db = database(CapacityOptions::default());
    // CreateTable's wording ("when table", a final period) and UpdateTable's ("when the
    // table", none), as DynamoDB words them.
    assert_eq!(
        invalid(db.create_table(CreateTableInput {
            on_demand_throughput: maxima(None, Some(10)),
            ..provisioned_table("Fixed", 5, 5)
        })),
        "One or more parameter values were invalid: MaxWriteRequestUnits for \
         OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED."
    );
    assert_eq!(
        invalid(db.create_table(with_gsi_on_g(
            provisioned_table("Fixed", 5, 5),
            throughput(5, 5),
            maxima(Some(10), None),
        ))),
        "One or more parameter values were invalid: MaxReadRequestUnits for \
         OnDemandThroughput for index: ByG cannot be specified when table BillingMode is \
         PROVISIONED."
    );
    db.create_table(with_gsi_on_g(
        provisioned_table("Fixed", 5, 5),
        throughput(5, 5),
        None,
    ))
    .unwrap();
    assert_eq!(
        invalid(db.update_table(UpdateTableInput {
            on_demand_throughput: maxima(Some(-1), None),
            ..update("Fixed")
        })),
        "One or more parameter values were invalid: MaxReadRequestUnits for \
         OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED"
    );
    assert_eq!(
        invalid(db.update_table(UpdateTableInput {
            global_secondary_index_updates: gsi_update(
                "ByG",
                throughput(6, 6),
                maxima(Some(10), None)
            ),
            ..update("Fixed")
        })),
        "One or more parameter values were invalid: MaxReadRequestUnits for \
         OnDemandThroughput for index : ByG cannot be specified when the table BillingMode \
         is PROVISIONED"
    );
    // Switching to on demand in the same call makes them allowed.
    db.update_table(UpdateTableInput {
        billing_mode: Some(BillingMode::PayPerRequest),
        on_demand_throughput: maxima(Some(100), None),
        ..update("Fixed")
    })
    .unwrap();
}

/// Regression (this session's review): a restore's throughput override skipped the
/// quota that CreateTable applies.
#[test]
fn a_restores_throughput_override_is_held_to_the_quota() {
    let db = database(CapacityOptions::default());
    db.create_table(provisioned_table("Source", 5, 5)).unwrap();
    let backup = db
        .create_backup(CreateBackupInput {
            table_name: "Source".into(),
            backup_name: "before".into(),
        })
        .unwrap()
        .backup_details;
    let restore = |units: i64| {
        db.restore_table_from_backup(RestoreTableFromBackupInput {
            target_table_name: "Target".into(),
            backup_arn: backup.backup_arn.clone(),
            overrides: RestoreOverrides {
                provisioned_throughput_override: throughput(units, 5),
                ..Default::default()
            },
        })
    };
    assert_eq!(limit_exceeded(restore(40_001)), ABOVE_TABLE_READ);
    restore(40_000).unwrap();
}
