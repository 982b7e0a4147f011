//! The catalog, items and pending GSI work live in the backend: they survive closing and
//! reopening the LSM engine (and a crash, under Sync durability), and ids are not reused.

mod support;

use shale_table::*;
use support::*;

fn with_gsi(name: &str) -> CreateTableInput {
    let mut t = simple_table(name, Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByG".into(),
        key_schema: vec![hash("g")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn describe(db: &Database, name: &str) -> TableDescription {
    db.describe_table(DescribeTableInput {
        table_name: name.into(),
    })
    .unwrap()
    .table
}

fn gsi_count(db: &Database, table: &str) -> i64 {
    db.scan(ScanInput {
        table_name: table.into(),
        index_name: Some("ByG".into()),
        ..ScanInput::default()
    })
    .unwrap()
    .count
}

#[test]
fn tables_items_and_queued_index_work_survive_reopen() {
    let fault = FaultLsm::new();
    let before;
    {
        let db = Database::open(fault.open(), options()).unwrap();
        db.create_table(with_gsi("Keep")).unwrap();
        db.create_table(simple_table("Dropped", None)).unwrap();
        for i in 0..50 {
            db.put_item(PutItemInput {
                table_name: "Keep".into(),
                item: item(&[("pk", s("p")), ("sk", n(&i.to_string())), ("g", s("x"))]),
                ..PutItemInput::default()
            })
            .unwrap();
        }
        db.put_item(PutItemInput {
            table_name: "Dropped".into(),
            item: item(&[("pk", s("old"))]),
            ..PutItemInput::default()
        })
        .unwrap();
        db.delete_table(DeleteTableInput {
            table_name: "Dropped".into(),
        })
        .unwrap();
        before = describe(&db, "Keep");
        // GSI records are still queued: the worker is off and nobody waited.
        assert_eq!(gsi_count(&db, "Keep"), 0);
    }
    let db = Database::open(fault.open(), options()).unwrap();
    assert_eq!(describe(&db, "Keep"), before);
    assert_eq!(
        db.list_tables(ListTablesInput::default())
            .unwrap()
            .table_names,
        vec!["Keep"]
    );
    let scan = db
        .scan(ScanInput {
            table_name: "Keep".into(),
            ..ScanInput::default()
        })
        .unwrap();
    assert_eq!(scan.count, 50);
    db.wait_for_indexes().unwrap();
    assert_eq!(gsi_count(&db, "Keep"), 50);
    // A new table with the dropped one's name does not see its data.
    db.create_table(simple_table("Dropped", None)).unwrap();
    let got = db
        .get_item(GetItemInput {
            table_name: "Dropped".into(),
            key: item(&[("pk", s("old"))]),
            ..GetItemInput::default()
        })
        .unwrap();
    assert_eq!(got.item, None);
    assert_ne!(describe(&db, "Dropped").table_id, before.table_id);
}

#[test]
fn acknowledged_writes_and_tables_survive_a_crash() {
    let fault = FaultLsm::new();
    {
        let db = Database::open(fault.open(), options()).unwrap();
        db.create_table(with_gsi("Crash")).unwrap();
        for i in 0..20 {
            db.put_item(PutItemInput {
                table_name: "Crash".into(),
                item: item(&[("pk", s("p")), ("sk", n(&i.to_string())), ("g", s("y"))]),
                ..PutItemInput::default()
            })
            .unwrap();
        }
        // Power cut while the database is still open: unsynced bytes are lost, but
        // every write above was acknowledged under Sync durability.
        fault.fs.crash();
    }
    let db = Database::open(fault.open(), options()).unwrap();
    let scan = db
        .scan(ScanInput {
            table_name: "Crash".into(),
            ..ScanInput::default()
        })
        .unwrap();
    assert_eq!(scan.count, 20);
    db.wait_for_indexes().unwrap();
    assert_eq!(gsi_count(&db, "Crash"), 20);
}

#[test]
fn an_interrupted_backfill_resumes_after_reopen() {
    let fault = FaultLsm::new();
    {
        let db = Database::open(fault.open(), options()).unwrap();
        db.create_table(simple_table("Late", Some(ScalarAttributeType::N)))
            .unwrap();
        for i in 0..30 {
            db.put_item(PutItemInput {
                table_name: "Late".into(),
                item: item(&[("pk", s("p")), ("sk", n(&i.to_string())), ("g", s("z"))]),
                ..PutItemInput::default()
            })
            .unwrap();
        }
        db.update_table(UpdateTableInput {
            table_name: "Late".into(),
            attribute_definitions: Some(vec![def("g", ScalarAttributeType::S)]),
            global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                create: Some(CreateGlobalSecondaryIndexAction {
                    index_name: "ByG".into(),
                    key_schema: vec![hash("g")],
                    projection: Projection {
                        projection_type: Some(ProjectionType::KeysOnly),
                        non_key_attributes: None,
                    },
                    provisioned_throughput: None,
                    on_demand_throughput: None,
                    warm_throughput: None,
                }),
                ..GlobalSecondaryIndexUpdate::default()
            }]),
            ..UpdateTableInput::default()
        })
        .unwrap();
    }
    let db = Database::open(fault.open(), options()).unwrap();
    let t = describe(&db, "Late");
    assert_eq!(t.table_status, TableStatus::Updating);
    db.wait_for_indexes().unwrap();
    assert_eq!(describe(&db, "Late").table_status, TableStatus::Active);
    assert_eq!(gsi_count(&db, "Late"), 30);
}
