//! The catalog lives in the backend, not in the `Database` value, on the in-memory backend
//! too: drop the `Database`, open a new one on the same `Arc<MemBackend>`, and
//! DescribeTable and ListTables give the same answers (key schema, attribute definitions,
//! GSI and LSI definitions, table ids), items are readable through the table, its GSI
//! and its LSI, deleted tables stay deleted, and the reopened database keeps working
//! (writes, new tables without reusing ids). `table_catalog_survives_reopen.rs` covers
//! the LSM backend.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_engine::{Backend, MemBackend};
use shale_table::types::AttributeValue;
use shale_table::*;
use support::*;

fn all_projection() -> Projection {
    Projection {
        projection_type: Some(ProjectionType::All),
        non_key_attributes: None,
    }
}

/// Orders keyed `pk` (S) + `sk` (N), with GSI ByStatus (status, sk) and LSI ByTotal
/// (pk, total).
fn orders_table() -> CreateTableInput {
    let mut t = simple_table("Orders", Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("status", ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("total", ScalarAttributeType::N));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByStatus".into(),
        key_schema: vec![hash("status"), range("sk")],
        projection: Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByTotal".into(),
        key_schema: vec![hash("pk"), range("total")],
        projection: all_projection(),
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

fn list(db: &Database) -> Vec<String> {
    db.list_tables(ListTablesInput::default())
        .unwrap()
        .table_names
}

fn put(db: &Database, table: &str, it: shale_table::types::Item) {
    db.put_item(PutItemInput {
        table_name: table.into(),
        item: it,
        ..PutItemInput::default()
    })
    .unwrap();
}

fn order(i: u32) -> shale_table::types::Item {
    item(&[
        ("pk", s("cust")),
        ("sk", n(&i.to_string())),
        ("status", s(if i % 2 == 1 { "shipped" } else { "open" })),
        ("total", n(&(100 - i).to_string())),
    ])
}

/// Queries `index` (or the table) for partition `attr = :v`; returns the `sk`s in order.
fn query_sks(db: &Database, index: Option<&str>, attr: &str, v: AttributeValue) -> Vec<String> {
    db.query(QueryInput {
        table_name: "Orders".into(),
        index_name: index.map(str::to_owned),
        key_condition_expression: Some("#k = :v".into()),
        expression_attribute_names: Some(BTreeMap::from([("#k".into(), attr.into())])),
        expression_attribute_values: vals(&[(":v", v)]),
        ..QueryInput::default()
    })
    .unwrap()
    .items
    .unwrap()
    .iter()
    .map(|i| match &i["sk"] {
        AttributeValue::N(x) => x.to_string(),
        other => panic!("sk {other:?}"),
    })
    .collect()
}

#[test]
fn tables_indexes_and_items_survive_reopening_on_the_same_mem_backend() {
    let mem = Arc::new(MemBackend::new());
    let backend: Arc<dyn Backend> = mem.clone();
    let (orders_before, notes_before);
    {
        let db = Database::open(backend.clone(), options()).unwrap();
        db.create_table(orders_table()).unwrap();
        db.create_table(simple_table("Notes", None)).unwrap();
        db.create_table(simple_table("Gone", None)).unwrap();
        for i in 0..10 {
            put(&db, "Orders", order(i));
        }
        put(&db, "Notes", item(&[("pk", s("n1")), ("text", s("hello"))]));
        put(&db, "Gone", item(&[("pk", s("g"))]));
        db.delete_table(DeleteTableInput {
            table_name: "Gone".into(),
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        orders_before = describe(&db, "Orders");
        notes_before = describe(&db, "Notes");
        assert_eq!(list(&db), vec!["Notes", "Orders"]);
    }
    // Only the backend is left holding the data.
    assert_eq!(
        Arc::strong_count(&mem),
        2,
        "the dropped Database still holds the backend"
    );

    let db = Database::open(backend.clone(), options()).unwrap();
    assert_eq!(list(&db), vec!["Notes", "Orders"]);
    let orders = describe(&db, "Orders");
    assert_eq!(orders, orders_before);
    assert_eq!(describe(&db, "Notes"), notes_before);
    assert_eq!(orders.table_status, TableStatus::Active);
    let gsis = orders.global_secondary_indexes.expect("GSI described");
    assert_eq!(gsis.len(), 1);
    assert_eq!(gsis[0].index_name, "ByStatus");
    let lsis = orders.local_secondary_indexes.expect("LSI described");
    assert_eq!(lsis.len(), 1);
    assert_eq!(lsis[0].index_name, "ByTotal");
    let e = db
        .describe_table(DescribeTableInput {
            table_name: "Gone".into(),
        })
        .unwrap_err();
    assert_eq!(e.exception_name(), "ResourceNotFoundException");

    // Items, through the table and both indexes.
    let all: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(query_sks(&db, None, "pk", s("cust")), all);
    let evens: Vec<String> = (0..10).step_by(2).map(|i: u32| i.to_string()).collect();
    assert_eq!(query_sks(&db, Some("ByStatus"), "status", s("open")), evens);
    // The LSI orders by total = 100 - sk: descending sk.
    let by_total: Vec<String> = (0..10).rev().map(|i: u32| i.to_string()).collect();
    assert_eq!(query_sks(&db, Some("ByTotal"), "pk", s("cust")), by_total);
    let note = db
        .get_item(GetItemInput {
            table_name: "Notes".into(),
            key: item(&[("pk", s("n1"))]),
            ..GetItemInput::default()
        })
        .unwrap()
        .item;
    assert_eq!(note, Some(item(&[("pk", s("n1")), ("text", s("hello"))])));

    // The reopened database keeps working: writes reach the indexes, and a table created
    // now (even under a dropped table's name) gets a fresh id and none of the old data.
    put(&db, "Orders", order(10));
    db.wait_for_indexes().unwrap();
    assert_eq!(
        query_sks(&db, Some("ByStatus"), "status", s("open")).len(),
        6
    );
    db.create_table(simple_table("Gone", None)).unwrap();
    let gone = describe(&db, "Gone");
    for before in [&orders_before, &notes_before] {
        assert_ne!(gone.table_id, before.table_id);
    }
    let old = db
        .get_item(GetItemInput {
            table_name: "Gone".into(),
            key: item(&[("pk", s("g"))]),
            ..GetItemInput::default()
        })
        .unwrap()
        .item;
    assert_eq!(old, None, "a dropped table's items came back");
    assert_eq!(list(&db), vec!["Gone", "Notes", "Orders"]);
}

#[test]
fn a_second_reopen_sees_changes_made_after_the_first() {
    let mem = Arc::new(MemBackend::new());
    let backend: Arc<dyn Backend> = mem;
    {
        let db = Database::open(backend.clone(), options()).unwrap();
        db.create_table(orders_table()).unwrap();
    }
    let first_id;
    {
        let db = Database::open(backend.clone(), options()).unwrap();
        first_id = describe(&db, "Orders").table_id;
        put(&db, "Orders", order(1));
        db.delete_table(DeleteTableInput {
            table_name: "Orders".into(),
        })
        .unwrap();
        db.create_table(orders_table()).unwrap();
        put(&db, "Orders", order(2));
        db.wait_for_indexes().unwrap();
    }
    let db = Database::open(backend, options()).unwrap();
    assert_eq!(list(&db), vec!["Orders"]);
    assert_ne!(describe(&db, "Orders").table_id, first_id);
    assert_eq!(query_sks(&db, None, "pk", s("cust")), vec!["2"]);
    assert_eq!(
        query_sks(&db, Some("ByStatus"), "status", s("open")),
        vec!["2"]
    );
}
