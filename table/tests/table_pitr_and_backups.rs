//! Point-in-time recovery and on-demand backups through the table API, on the memory
//! backend and the LSM: restoring to any second of the window gives exactly the table
//! (and its indexes) as it was; backups outlive their table; DynamoDB's errors, in
//! DynamoDB's order; a restore interrupted by a crash resumes.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_engine::Backend;
use shale_io::clock::{Clock, ManualClock};
use shale_table::types::Item;
use shale_table::*;
use support::*;

const START_MICROS: u64 = 1_700_000_000_000_000;
type Model = BTreeMap<String, Item>;

fn open_clocked(backend: Arc<dyn Backend>, clock: &ManualClock) -> Database {
    Database::open(backend, options().with_clock(Arc::new(clock.clone()))).expect("open database")
}

/// Table `Orders` (pk S, sk N) with LSI `ByTotal` (total N) and GSI `ByStatus` (status S).
fn orders() -> CreateTableInput {
    let mut t = simple_table("Orders", Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("total", ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("status", ScalarAttributeType::S));
    let all = Projection {
        projection_type: Some(ProjectionType::All),
        non_key_attributes: None,
    };
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByTotal".into(),
        key_schema: vec![hash("pk"), range("total")],
        projection: all.clone(),
    }]);
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByStatus".into(),
        key_schema: vec![hash("status")],
        projection: all,
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn order(pk: &str, sk: u32, total: u32, status: Option<&str>) -> Item {
    let mut i = item(&[
        ("pk", s(pk)),
        ("sk", n(&sk.to_string())),
        ("total", n(&total.to_string())),
    ]);
    if let Some(st) = status {
        i.insert("status".into(), s(st));
    }
    i
}

fn delete(db: &Database, table: &str, i: &Item) {
    let key: Item = [("pk", i["pk"].clone()), ("sk", i["sk"].clone())]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    db.delete_item(DeleteItemInput {
        table_name: table.into(),
        key,
        ..Default::default()
    })
    .expect("delete");
}

/// A database on `backend` with table [`orders`] and PITR on for it.
fn orders_with_pitr(backend: Arc<dyn Backend>, clock: &ManualClock) -> Database {
    let db = open_clocked(backend, clock);
    db.create_table(orders()).unwrap();
    enable_pitr(&db, "Orders");
    db
}

fn enable_pitr(db: &Database, table: &str) -> ContinuousBackupsDescription {
    db.update_continuous_backups(UpdateContinuousBackupsInput {
        table_name: table.into(),
        point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: Some(true),
            recovery_period_in_days: None,
        }),
    })
    .expect("enable pitr")
    .continuous_backups_description
}

fn restore_at(
    db: &Database,
    source: &str,
    target: &str,
    t_micros: u64,
) -> Result<TableDescription, Error> {
    db.restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
        source_table_name: Some(source.into()),
        target_table_name: target.into(),
        restore_date_time: Some(t_micros as f64 / 1e6),
        ..Default::default()
    })
    .map(|o| o.table_description)
}

/// A deterministic mix of puts, updates and deletes for round `r`.
fn round(db: &Database, model: &mut Model, r: u32) {
    for j in 0..12u32 {
        let sk = (r * 7 + j * 5) % 40;
        let status = ["OPEN", "SHIPPED", "DONE"][((r + j) % 3) as usize];
        let i = order(
            &format!("c{}", sk % 4),
            sk,
            r * 100 + j,
            (j % 4 != 0).then_some(status),
        );
        model.insert(model_key(&i), i.clone());
        put(db, "Orders", i);
    }
    let victim = model
        .values()
        .nth((r as usize * 3) % model.len().max(1))
        .cloned();
    if let Some(v) = victim {
        model.remove(&model_key(&v));
        delete(db, "Orders", &v);
    }
}

#[test]
fn restoring_to_any_second_gives_the_table_and_its_indexes_as_they_were() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let db = open_clocked(b.backend.clone(), &clock);
        db.create_table(orders()).unwrap();
        let mut model = Model::new();
        round(&db, &mut model, 0);
        let pitr = enable_pitr(&db, "Orders");
        let desc = pitr.point_in_time_recovery_description;
        assert_eq!(
            desc.point_in_time_recovery_status,
            PointInTimeRecoveryStatus::Enabled
        );
        assert_eq!(desc.recovery_period_in_days, Some(35));
        let mut states = vec![(clock.now_micros(), model.clone())];
        for r in 1..8u32 {
            clock.advance_secs(1);
            round(&db, &mut model, r);
            if r % 3 == 0 {
                db.backend().flush().unwrap();
            }
            states.push((clock.now_micros(), model.clone()));
        }
        for (i, (t, want)) in states.iter().enumerate() {
            let target = format!("Orders{i}");
            let out = restore_at(&db, "Orders", &target, *t).unwrap();
            assert_eq!(out.table_status, TableStatus::Creating);
            let summary = out
                .restore_summary
                .expect("a restore summary while it runs");
            assert!(summary.restore_in_progress);
            assert_eq!(summary.restore_date_time, *t as f64 / 1e6);
            db.wait_for_restores().unwrap();
            db.wait_for_indexes().unwrap();
            let described = db
                .describe_table(DescribeTableInput {
                    table_name: target.clone(),
                })
                .unwrap()
                .table;
            assert_eq!(described.table_status, TableStatus::Active);
            assert!(described.restore_summary.is_none());
            let want_items: Vec<Item> = want.values().cloned().collect();
            assert_eq!(
                sorted(scan_all(&db, &target, None)),
                sorted(want_items.clone()),
                "second {i}"
            );
            assert_eq!(
                sorted(scan_all(&db, &target, Some("ByTotal"))),
                sorted(want_items.clone()),
                "LSI at second {i}"
            );
            let with_status: Vec<Item> = want_items
                .into_iter()
                .filter(|i| i.contains_key("status"))
                .collect();
            assert_eq!(
                sorted(scan_all(&db, &target, Some("ByStatus"))),
                sorted(with_status),
                "GSI at second {i}"
            );
        }
        // UseLatestRestorableTime: everything acknowledged.
        db.restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
            source_table_name: Some("Orders".into()),
            target_table_name: "Latest".into(),
            use_latest_restorable_time: Some(true),
            ..Default::default()
        })
        .unwrap();
        db.wait_for_restores().unwrap();
        assert_eq!(
            sorted(scan_all(&db, "Latest", None)),
            sorted(model.values().cloned())
        );
    }
}

#[test]
fn a_restore_target_takes_no_item_calls_until_it_is_done() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        let db = orders_with_pitr(b.backend.clone(), &clock);
        put(&db, "Orders", order("a", 1, 5, None));
        restore_at(&db, "Orders", "Copy", clock.now_micros()).unwrap();
        let got = db.get_item(GetItemInput {
            table_name: "Copy".into(),
            key: item(&[("pk", s("a")), ("sk", n("1"))]),
            ..Default::default()
        });
        assert!(
            matches!(got, Err(Error::ResourceNotFound { .. })),
            "{}",
            b.name
        );
        assert!(matches!(
            db.describe_continuous_backups(DescribeContinuousBackupsInput {
                table_name: "Copy".into()
            }),
            Err(Error::TableNotFound { .. })
        ));
        db.wait_for_restores().unwrap();
        let got = db
            .get_item(GetItemInput {
                table_name: "Copy".into(),
                key: item(&[("pk", s("a")), ("sk", n("1"))]),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(got.item, Some(order("a", 1, 5, None)));
    }
}

#[test]
fn errors_come_in_dynamodbs_order_with_its_text() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[0];
    let db = open_clocked(b.backend.clone(), &clock);
    db.create_table(orders()).unwrap();
    db.create_table(simple_table("Plain", None)).unwrap();
    let spec = |enabled, days| UpdateContinuousBackupsInput {
        table_name: "Orders".into(),
        point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: enabled,
            recovery_period_in_days: days,
        }),
    };
    let e = db
        .update_continuous_backups(spec(Some(true), Some(36)))
        .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert_eq!(e.message(), "1 validation error detected: Value '36' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 35");
    let e = db
        .update_continuous_backups(spec(Some(false), Some(7)))
        .unwrap_err();
    assert_eq!(e.message(), "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.");
    let e = db.update_continuous_backups(spec(None, None)).unwrap_err();
    assert_eq!(e.message(), "1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null");
    let e = db
        .describe_continuous_backups(DescribeContinuousBackupsInput {
            table_name: "Nope".into(),
        })
        .unwrap_err();
    assert_eq!(
        (e.exception_name(), e.message().as_str()),
        ("TableNotFoundException", "Table not found: Nope")
    );

    // Shape first (even with PITR off), then the source, PITR, the time, the target.
    let both = db.restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
        source_table_name: Some("Plain".into()),
        target_table_name: "Xyz".into(),
        ..Default::default()
    });
    assert_eq!(
        both.unwrap_err().message(),
        "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both"
    );
    let e = restore_at(&db, "Gone", "Xyz", clock.now_micros()).unwrap_err();
    assert_eq!(e.exception_name(), "TableNotFoundException");
    let e = restore_at(&db, "Plain", "Plain", clock.now_micros()).unwrap_err();
    assert_eq!(
        (e.exception_name(), e.message().as_str()),
        (
            "PointInTimeRecoveryUnavailableException",
            "Point in time recovery is not enabled for table 'Plain'"
        )
    );
    enable_pitr(&db, "Orders");
    let enabled_at = clock.now_micros();
    clock.advance_secs(5);
    let e = restore_at(&db, "Orders", "Orders", enabled_at - 1_000_000).unwrap_err();
    assert_eq!(e.exception_name(), "InvalidRestoreTimeException");
    assert_eq!(
        e.message(),
        "RestoreDateTime '2023-11-14T22:13:19Z' must be within EarliestRestorableDateTime '2023-11-14T22:13:20Z' and LatestRestorableDateTime '2023-11-14T22:13:25Z'"
    );
    let e = restore_at(&db, "Orders", "Orders", enabled_at).unwrap_err();
    assert_eq!(
        (e.exception_name(), e.message().as_str()),
        (
            "TableAlreadyExistsException",
            "Table already exists: Orders"
        )
    );

    // Off and on again: the window starts afresh.
    db.update_continuous_backups(spec(Some(false), None))
        .unwrap();
    let off = db
        .describe_continuous_backups(DescribeContinuousBackupsInput {
            table_name: "Orders".into(),
        })
        .unwrap()
        .continuous_backups_description;
    assert_eq!(
        off.point_in_time_recovery_description
            .point_in_time_recovery_status,
        PointInTimeRecoveryStatus::Disabled
    );
    assert_eq!(
        off.point_in_time_recovery_description
            .earliest_restorable_date_time,
        None
    );
    clock.advance_secs(1);
    let on = enable_pitr(&db, "Orders").point_in_time_recovery_description;
    assert_eq!(
        on.earliest_restorable_date_time,
        Some(clock.now_micros() as f64 / 1e6)
    );
    assert!(matches!(
        restore_at(&db, "Orders", "Back", enabled_at),
        Err(Error::InvalidRestoreTime { .. })
    ));
}

#[test]
fn a_deleted_table_restores_within_its_window() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        let db = orders_with_pitr(b.backend.clone(), &clock);
        let mut model = Model::new();
        clock.advance_secs(1);
        round(&db, &mut model, 1);
        let before_delete = clock.now_micros();
        clock.advance_secs(1);
        db.delete_table(DeleteTableInput {
            table_name: "Orders".into(),
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        restore_at(&db, "Orders", "Revived", before_delete).unwrap();
        db.wait_for_restores().unwrap();
        assert_eq!(
            sorted(scan_all(&db, "Revived", None)),
            sorted(model.values().cloned()),
            "{}",
            b.name
        );
    }
}

fn backup(db: &Database, table: &str, name: &str) -> BackupDetails {
    db.create_backup(CreateBackupInput {
        table_name: table.into(),
        backup_name: name.into(),
    })
    .expect("create backup")
    .backup_details
}

#[test]
fn backups_outlive_their_table_and_restore_it() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let db = open_clocked(b.backend.clone(), &clock);
        db.create_table(orders()).unwrap();
        let mut model = Model::new();
        round(&db, &mut model, 1);
        let first = backup(&db, "Orders", "first");
        assert_eq!(first.backup_status, BackupStatus::Available);
        assert_eq!(first.backup_type, BackupType::User);
        assert!(
            first
                .backup_arn
                .starts_with("arn:aws:dynamodb:us-east-1:000000000000:table/Orders/backup/"),
            "{}",
            first.backup_arn
        );
        let at_first = model.clone();
        clock.advance_secs(1);
        round(&db, &mut model, 2);
        let second = backup(&db, "Orders", "second");

        let described = db
            .describe_backup(DescribeBackupInput {
                backup_arn: first.backup_arn.clone(),
            })
            .unwrap()
            .backup_description;
        assert_eq!(described.source_table_details.table_name, "Orders");
        assert_eq!(described.source_table_details.key_schema.len(), 2);
        assert!(described
            .source_table_feature_details
            .global_secondary_indexes
            .is_some());

        let page = db
            .list_backups(ListBackupsInput {
                limit: Some(1),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(page.backup_summaries.len(), 1);
        assert_eq!(page.backup_summaries[0].backup_arn, first.backup_arn);
        assert_eq!(
            page.last_evaluated_backup_arn.as_deref(),
            Some(first.backup_arn.as_str())
        );
        let rest = db
            .list_backups(ListBackupsInput {
                exclusive_start_backup_arn: page.last_evaluated_backup_arn,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rest.backup_summaries.len(), 1);
        assert_eq!(rest.backup_summaries[0].backup_arn, second.backup_arn);
        assert!(rest.last_evaluated_backup_arn.is_none());
        let later = db
            .list_backups(ListBackupsInput {
                time_range_lower_bound: Some(second.backup_creation_date_time),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(later.backup_summaries.len(), 1);

        // The source goes; its backups stay, and restore it.
        db.delete_table(DeleteTableInput {
            table_name: "Orders".into(),
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        let out = db
            .restore_table_from_backup(RestoreTableFromBackupInput {
                target_table_name: "FromFirst".into(),
                backup_arn: first.backup_arn.clone(),
                ..Default::default()
            })
            .unwrap()
            .table_description;
        assert_eq!(
            out.restore_summary
                .as_ref()
                .and_then(|s| s.source_backup_arn.clone()),
            Some(first.backup_arn.clone())
        );
        db.wait_for_restores().unwrap();
        db.wait_for_indexes().unwrap();
        let want: Vec<Item> = at_first.values().cloned().collect();
        assert_eq!(
            sorted(scan_all(&db, "FromFirst", None)),
            sorted(want.clone())
        );
        assert_eq!(
            sorted(scan_all(&db, "FromFirst", Some("ByTotal"))),
            sorted(want)
        );

        let deleted = db
            .delete_backup(DeleteBackupInput {
                backup_arn: first.backup_arn.clone(),
            })
            .unwrap();
        assert_eq!(
            deleted.backup_description.backup_details.backup_status,
            BackupStatus::Deleted
        );
        let e = db
            .describe_backup(DescribeBackupInput {
                backup_arn: first.backup_arn.clone(),
            })
            .unwrap_err();
        assert_eq!(
            (e.exception_name(), e.message()),
            (
                "BackupNotFoundException",
                format!("Backup not found: {}", first.backup_arn)
            )
        );
        let e = db
            .describe_backup(DescribeBackupInput {
                backup_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Orders".into(),
            })
            .unwrap_err();
        assert_eq!(e.message(), "Invalid Backup ARN");
    }
}

#[test]
fn restore_overrides_pick_indexes_and_billing() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[1];
    let db = open_clocked(b.backend.clone(), &clock);
    db.create_table(orders()).unwrap();
    put(&db, "Orders", order("a", 1, 5, Some("OPEN")));
    let bk = backup(&db, "Orders", "nightly");
    let restore = |target: &str, overrides: RestoreOverrides| {
        db.restore_table_from_backup(RestoreTableFromBackupInput {
            target_table_name: target.into(),
            backup_arn: bk.backup_arn.clone(),
            overrides,
        })
    };
    let t = restore(
        "NoIndexes",
        RestoreOverrides {
            global_secondary_index_override: Some(vec![]),
            local_secondary_index_override: Some(vec![]),
            billing_mode_override: Some(BillingMode::Provisioned),
            provisioned_throughput_override: Some(ProvisionedThroughput {
                read_capacity_units: 3,
                write_capacity_units: 4,
            }),
            ..Default::default()
        },
    )
    .unwrap()
    .table_description;
    assert!(t.global_secondary_indexes.is_none() && t.local_secondary_indexes.is_none());
    assert_eq!(t.provisioned_throughput.read_capacity_units, 3);
    // While that restore runs, the backup is in use: for another restore and for delete.
    let e = restore("Again", RestoreOverrides::default()).unwrap_err();
    assert_eq!(e.exception_name(), "BackupInUseException");
    let e = db
        .delete_backup(DeleteBackupInput {
            backup_arn: bk.backup_arn.clone(),
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "BackupInUseException");
    db.wait_for_restores().unwrap();
    assert_eq!(scan_all(&db, "NoIndexes", None).len(), 1);
    let e = restore(
        "Bad",
        RestoreOverrides {
            provisioned_throughput_override: Some(ProvisionedThroughput {
                read_capacity_units: 3,
                write_capacity_units: 4,
            }),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "Invalid Request: Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED"
    );
    let e = restore("NoIndexes", RestoreOverrides::default()).unwrap_err();
    assert_eq!(e.exception_name(), "TableAlreadyExistsException");
    db.delete_backup(DeleteBackupInput {
        backup_arn: bk.backup_arn.clone(),
    })
    .unwrap();
}

/// OnDemandThroughputOverride and SSESpecificationOverride shape the restored table as
/// CreateTable's members would; VectorIndexOverride is refused by name.
#[test]
fn restore_overrides_set_on_demand_maxima_and_encryption() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[0];
    let db = open_clocked(b.backend.clone(), &clock);
    db.create_table(orders()).unwrap();
    let bk = backup(&db, "Orders", "nightly");
    let restore = |target: &str, overrides: RestoreOverrides| {
        db.restore_table_from_backup(RestoreTableFromBackupInput {
            target_table_name: target.into(),
            backup_arn: bk.backup_arn.clone(),
            overrides,
        })
    };
    let maxima = OnDemandThroughput {
        max_read_request_units: Some(100),
        max_write_request_units: Some(50),
    };
    let t = restore(
        "Capped",
        RestoreOverrides {
            on_demand_throughput_override: Some(maxima),
            sse_specification_override: Some(SseSpecification {
                enabled: Some(true),
                sse_type: Some("KMS".into()),
                kms_master_key_id: None,
            }),
            ..Default::default()
        },
    )
    .unwrap()
    .table_description;
    assert_eq!(t.on_demand_throughput, Some(maxima));
    assert_eq!(t.sse_description.unwrap().sse_type, SseType::Kms);
    db.wait_for_restores().unwrap();
    let e = restore(
        "Vectors",
        RestoreOverrides {
            vector_index_override: Some(serde::de::IgnoredAny),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.exception_name(), "ValidationException");
    assert_eq!(
        e.message(),
        "Shale does not implement the VectorIndexOverride parameter of RestoreTableFromBackup yet"
    );
}

#[test]
fn a_restore_interrupted_by_a_crash_resumes_at_the_next_open() {
    let clock = ManualClock::new(START_MICROS);
    let lsm = FaultLsm::new();
    let mut model = Model::new();
    {
        let backend = lsm.open_with_clock(&clock);
        let db = orders_with_pitr(backend.clone(), &clock);
        for r in 0..4 {
            clock.advance_secs(1);
            round(&db, &mut model, r);
        }
        restore_at(&db, "Orders", "Copy", clock.now_micros()).unwrap();
        // No restore step ran: the crash comes first.
        drop(db);
        lsm.fs.crash();
    }
    let backend = lsm.open_with_clock(&clock);
    let db = open_clocked(backend, &clock);
    let d = db
        .describe_table(DescribeTableInput {
            table_name: "Copy".into(),
        })
        .unwrap()
        .table;
    assert_eq!(
        d.table_status,
        TableStatus::Creating,
        "never a half-restored ACTIVE table"
    );
    db.wait_for_restores().unwrap();
    assert_eq!(
        sorted(scan_all(&db, "Copy", None)),
        sorted(model.values().cloned())
    );
}

/// A RestoreDateTime far past the window (year 10000 and beyond) is an
/// InvalidRestoreTimeException, not a panic while writing its message.
#[test]
fn a_restore_time_beyond_year_9999_is_a_typed_error() {
    let clock = ManualClock::new(START_MICROS);
    let b = &clocked_backends(&clock)[0];
    let db = orders_with_pitr(b.backend.clone(), &clock);
    for seconds in [1e12, 1e300, f64::INFINITY] {
        let e = db
            .restore_table_to_point_in_time(RestoreTableToPointInTimeInput {
                source_table_name: Some("Orders".into()),
                target_table_name: "Future".into(),
                restore_date_time: Some(seconds),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            e.exception_name(),
            "InvalidRestoreTimeException",
            "{seconds}"
        );
    }
}

/// Regression (a review of index replay): a GSI deleted and created again after the
/// restore time has a new id, and a past view holds the entries of the ids the source had
/// when the restore was asked for. Replaying the old id's entries from that view copied
/// nothing, so the restored GSI came back empty; such an index is now rebuilt.
#[test]
fn a_gsi_created_again_after_the_restore_time_is_restored_whole() {
    let clock = ManualClock::new(START_MICROS);
    for b in clocked_backends(&clock) {
        let db = orders_with_pitr(b.backend.clone(), &clock);
        let mut model = Model::new();
        for r in 0..3 {
            clock.advance_secs(1);
            round(&db, &mut model, r);
        }
        db.wait_for_indexes().unwrap();
        let t = clock.now_micros();
        clock.advance_secs(1);
        let gsi_update = |update: GlobalSecondaryIndexUpdate| {
            db.update_table(UpdateTableInput {
                table_name: "Orders".into(),
                attribute_definitions: Some(vec![def("status", ScalarAttributeType::S)]),
                global_secondary_index_updates: Some(vec![update]),
                ..Default::default()
            })
            .unwrap();
            db.wait_for_indexes().unwrap();
        };
        gsi_update(GlobalSecondaryIndexUpdate {
            delete: Some(DeleteGlobalSecondaryIndexAction {
                index_name: "ByStatus".into(),
            }),
            ..Default::default()
        });
        gsi_update(GlobalSecondaryIndexUpdate {
            create: Some(CreateGlobalSecondaryIndexAction {
                index_name: "ByStatus".into(),
                key_schema: vec![hash("status")],
                projection: Projection {
                    projection_type: Some(ProjectionType::All),
                    non_key_attributes: None,
                },
                provisioned_throughput: None,
                on_demand_throughput: None,
                warm_throughput: None,
            }),
            ..Default::default()
        });
        restore_at(&db, "Orders", "Copy", t).unwrap();
        db.wait_for_restores().unwrap();
        db.wait_for_indexes().unwrap();
        let with_status = model.values().filter(|i| i.contains_key("status")).cloned();
        assert_eq!(
            sorted(scan_all(&db, "Copy", Some("ByStatus"))),
            sorted(with_status),
            "{}: the GSI",
            b.name
        );
        assert_eq!(
            sorted(scan_all(&db, "Copy", None)),
            sorted(model.values().cloned()),
            "{}: the table",
            b.name
        );
    }
}
