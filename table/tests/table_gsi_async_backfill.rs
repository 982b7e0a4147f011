//! Global secondary indexes: asynchronous maintenance (visible after
//! `wait_for_indexes`), sparseness, projections, backfill through UpdateTable while the
//! index is CREATING, and deletion.

mod support;

use shale_table::types::Item;
use shale_table::*;
use support::*;

fn gsi(
    name: &str,
    pk: &str,
    sk: Option<&str>,
    projection: ProjectionType,
    include: &[&str],
) -> GlobalSecondaryIndex {
    let mut key_schema = vec![hash(pk)];
    if let Some(sk) = sk {
        key_schema.push(range(sk));
    }
    GlobalSecondaryIndex {
        index_name: name.into(),
        key_schema,
        projection: Projection {
            projection_type: Some(projection),
            non_key_attributes: (!include.is_empty())
                .then(|| include.iter().map(|s| s.to_string()).collect()),
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }
}

fn table_with_gsis() -> CreateTableInput {
    let mut t = simple_table("Orders", Some(ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("status", ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("total", ScalarAttributeType::N));
    t.global_secondary_indexes = Some(vec![
        gsi(
            "ByStatus",
            "status",
            Some("total"),
            ProjectionType::All,
            &[],
        ),
        gsi("StatusKeys", "status", None, ProjectionType::KeysOnly, &[]),
        gsi(
            "StatusNote",
            "status",
            None,
            ProjectionType::Include,
            &["note"],
        ),
    ]);
    t
}

fn put(db: &Database, it: Item) {
    db.put_item(PutItemInput {
        table_name: "Orders".into(),
        item: it,
        ..PutItemInput::default()
    })
    .unwrap();
}

fn scan_index(db: &Database, index: &str) -> Vec<Item> {
    let out = db
        .scan(ScanInput {
            table_name: "Orders".into(),
            index_name: Some(index.into()),
            ..ScanInput::default()
        })
        .unwrap();
    let mut items = out.items.unwrap();
    items.sort_by_key(|i| format!("{:?}{:?}", i["pk"], i["sk"]));
    items
}

fn order(pk: &str, status: Option<&str>, total: &str) -> Item {
    let mut it = item(&[
        ("pk", s(pk)),
        ("sk", s("o")),
        ("total", n(total)),
        ("note", s("hi")),
        ("other", s("z")),
    ]);
    if let Some(st) = status {
        it.insert("status".into(), s(st));
    }
    it
}

#[test]
fn gsi_is_updated_asynchronously_and_sparsely() {
    for_each_backend(|_, db| {
        db.create_table(table_with_gsis()).unwrap();
        put(&db, order("a", Some("OPEN"), "10"));
        put(&db, order("b", Some("SHIPPED"), "20"));
        put(&db, order("c", None, "30")); // no status: absent from every GSI
                                          // The background worker is off: nothing has reached the index yet.
        assert!(scan_index(&db, "ByStatus").is_empty());
        db.wait_for_indexes().unwrap();
        let all = scan_index(&db, "ByStatus");
        assert_eq!(all.len(), 2);
        assert_eq!(all[0], order("a", Some("OPEN"), "10"));
        // KEYS_ONLY: table and index keys only.
        let keys = scan_index(&db, "StatusKeys");
        assert_eq!(
            keys[0],
            item(&[("pk", s("a")), ("sk", s("o")), ("status", s("OPEN"))])
        );
        // INCLUDE adds the named attributes.
        let inc = scan_index(&db, "StatusNote");
        assert_eq!(
            inc[1],
            item(&[
                ("pk", s("b")),
                ("sk", s("o")),
                ("status", s("SHIPPED")),
                ("note", s("hi"))
            ])
        );

        // Changing the index key moves the entry; removing it removes the entry.
        put(&db, order("a", Some("CLOSED"), "11"));
        put(&db, order("b", None, "20"));
        db.delete_item(DeleteItemInput {
            table_name: "Orders".into(),
            key: item(&[("pk", s("c")), ("sk", s("o"))]),
            ..DeleteItemInput::default()
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        let all = scan_index(&db, "ByStatus");
        assert_eq!(all, vec![order("a", Some("CLOSED"), "11")]);
        assert_eq!(scan_index(&db, "StatusKeys").len(), 1);
    });
}

#[test]
fn background_worker_catches_up_without_being_asked() {
    for b in backends() {
        let db = Database::open(
            b.backend.clone(),
            options().with_background_index_worker(true),
        )
        .unwrap();
        db.create_table(table_with_gsis()).unwrap();
        put(&db, order("a", Some("OPEN"), "10"));
        let mut seen = 0;
        for _ in 0..500 {
            seen = scan_index(&db, "ByStatus").len();
            if seen == 1 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(seen, 1, "backend {}: GSI never caught up", b.name);
    }
}

#[test]
fn gsi_key_of_the_wrong_type_is_rejected_at_write_time() {
    for_each_backend(|_, db| {
        db.create_table(table_with_gsis()).unwrap();
        let mut bad = order("a", Some("OPEN"), "1");
        bad.insert("total".into(), s("not a number"));
        let e = db
            .put_item(PutItemInput {
                table_name: "Orders".into(),
                item: bad,
                ..PutItemInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(
            e.message().contains("Type mismatch for Index Key total"),
            "{}",
            e.message()
        );
    });
}

#[test]
fn consistent_read_on_a_gsi_is_a_validation_error() {
    for_each_backend(|_, db| {
        db.create_table(table_with_gsis()).unwrap();
        let e = db
            .scan(ScanInput {
                table_name: "Orders".into(),
                index_name: Some("ByStatus".into()),
                consistent_read: Some(true),
                ..ScanInput::default()
            })
            .unwrap_err();
        assert_eq!(
            e.message(),
            "Consistent reads are not supported on global secondary indexes"
        );
        let e = db
            .query(QueryInput {
                table_name: "Orders".into(),
                index_name: Some("ByStatus".into()),
                consistent_read: Some(true),
                key_condition_expression: Some("#s = :s".into()),
                expression_attribute_names: Some([("#s".to_string(), "status".to_string())].into()),
                expression_attribute_values: Some([(":s".to_string(), s("open"))].into()),
                ..QueryInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "Consistent reads are not supported on global secondary indexes"
        );
    });
}

#[test]
fn update_table_backfills_a_new_gsi_then_deletes_it() {
    for_each_backend(|b, db| {
        db.create_table(simple_table("Orders", Some(ScalarAttributeType::S)))
            .unwrap();
        for i in 0..600 {
            let st = if i % 3 == 0 {
                None
            } else {
                Some(if i % 2 == 0 { "OPEN" } else { "SHIPPED" })
            };
            put(&db, order(&format!("p{i}"), st, &i.to_string()));
        }
        let before_keys = count_keys(b);
        let out = db
            .update_table(UpdateTableInput {
                table_name: "Orders".into(),
                attribute_definitions: Some(vec![def("status", ScalarAttributeType::S)]),
                global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                    create: Some(CreateGlobalSecondaryIndexAction {
                        index_name: "ByStatus".into(),
                        key_schema: vec![hash("status")],
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
            .unwrap()
            .table_description;
        assert_eq!(out.table_status, TableStatus::Updating);
        let g = &out.global_secondary_indexes.as_ref().unwrap()[0];
        assert_eq!(g.index_status, IndexStatus::Creating);
        assert_eq!(g.backfilling, Some(true));
        // Reading a backfilling index is refused; another index change is ResourceInUse.
        let e = db
            .scan(ScanInput {
                table_name: "Orders".into(),
                index_name: Some("ByStatus".into()),
                ..ScanInput::default()
            })
            .unwrap_err();
        assert!(e.message().contains("backfilling"), "{}", e.message());
        let e = db
            .update_table(UpdateTableInput {
                table_name: "Orders".into(),
                billing_mode: Some(BillingMode::PayPerRequest),
                ..UpdateTableInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceInUseException");
        // A write during the backfill is still indexed.
        put(&db, order("late", Some("OPEN"), "1"));
        db.wait_for_indexes().unwrap();
        let t = db
            .describe_table(DescribeTableInput {
                table_name: "Orders".into(),
            })
            .unwrap()
            .table;
        assert_eq!(t.table_status, TableStatus::Active);
        assert_eq!(
            t.global_secondary_indexes.as_ref().unwrap()[0].index_status,
            IndexStatus::Active
        );
        assert_eq!(
            t.attribute_definitions
                .iter()
                .map(|d| d.attribute_name.as_str())
                .collect::<Vec<_>>(),
            vec!["pk", "sk", "status"]
        );
        assert_eq!(scan_index(&db, "ByStatus").len(), 400 + 1);

        db.update_table(UpdateTableInput {
            table_name: "Orders".into(),
            global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
                delete: Some(DeleteGlobalSecondaryIndexAction {
                    index_name: "ByStatus".into(),
                }),
                ..GlobalSecondaryIndexUpdate::default()
            }]),
            ..UpdateTableInput::default()
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        let t = db
            .describe_table(DescribeTableInput {
                table_name: "Orders".into(),
            })
            .unwrap()
            .table;
        assert!(t.global_secondary_indexes.is_none());
        assert_eq!(t.attribute_definitions.len(), 2);
        // Index entries are gone: only the base items (+1 late item) and catalog remain.
        assert_eq!(count_keys(b), before_keys + 1);
    });
}

fn count_keys(b: &TestBackend) -> usize {
    b.backend
        .scan(
            std::ops::Bound::Unbounded,
            std::ops::Bound::Unbounded,
            shale_engine::Direction::Forward,
            None,
        )
        .unwrap()
        .count()
}

/// DynamoDB's "index key violations": items already in the table whose attribute has the
/// wrong type (or an invalid value) for a new GSI's key are left out of the index, the
/// backfill completes, and those items stay readable and writable.
#[test]
fn backfill_skips_items_that_violate_the_new_index_key() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Orders", Some(ScalarAttributeType::S)))
            .unwrap();
        put(&db, order("good", Some("OPEN"), "1"));
        let mut numeric = order("numeric", None, "2");
        numeric.insert("status".into(), n("7"));
        put(&db, numeric);
        let mut empty = order("empty", None, "3");
        empty.insert("status".into(), s(""));
        put(&db, empty);
        let mut long = order("long", None, "4");
        long.insert("status".into(), s(&"x".repeat(2049)));
        put(&db, long);
        db.update_table(UpdateTableInput {
            table_name: "Orders".into(),
            attribute_definitions: Some(vec![def("status", ScalarAttributeType::S)]),
            global_secondary_index_updates: Some(vec![GlobalSecondaryIndexUpdate {
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
                ..GlobalSecondaryIndexUpdate::default()
            }]),
            ..UpdateTableInput::default()
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        let t = db
            .describe_table(DescribeTableInput {
                table_name: "Orders".into(),
            })
            .unwrap()
            .table;
        assert_eq!(t.table_status, TableStatus::Active);
        let indexed: Vec<String> = scan_index(&db, "ByStatus")
            .iter()
            .map(|i| format!("{:?}", i["pk"]))
            .collect();
        assert_eq!(indexed, vec![format!("{:?}", s("good"))]);
        // The violating item can still be updated; fixing its key puts it in the index.
        db.update_item(UpdateItemInput {
            table_name: "Orders".into(),
            key: item(&[("pk", s("numeric")), ("sk", s("o"))]),
            update_expression: Some("SET #s = :v".into()),
            expression_attribute_names: Some([("#s".to_string(), "status".to_string())].into()),
            expression_attribute_values: Some([(":v".to_string(), s("SHIPPED"))].into()),
            ..UpdateItemInput::default()
        })
        .unwrap();
        // ... and deleting one that is still invalid works too.
        db.delete_item(DeleteItemInput {
            table_name: "Orders".into(),
            key: item(&[("pk", s("empty")), ("sk", s("o"))]),
            ..DeleteItemInput::default()
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        assert_eq!(scan_index(&db, "ByStatus").len(), 2);
        // A new write that violates the key is refused, as before.
        let mut bad = order("new", None, "5");
        bad.insert("status".into(), n("1"));
        let e = db
            .put_item(PutItemInput {
                table_name: "Orders".into(),
                item: bad,
                ..PutItemInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
    });
}
