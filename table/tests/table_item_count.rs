//! ItemCount and TableSizeBytes, and per index ItemCount and IndexSizeBytes: counted by
//! the background worker's pass (at open, then every `table_stats_interval`) or at once
//! by `Database::refresh_table_stats`, with DynamoDB's item sizes.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use shale_engine::MemBackend;
use shale_table::types::item_size_bytes;
use shale_table::*;
use support::*;

fn describe(db: &Database) -> TableDescription {
    db.describe_table(DescribeTableInput {
        table_name: "Thread".into(),
    })
    .unwrap()
    .table
}

/// "Thread" with LSI ByPosted (ALL) and GSI ByTag (KEYS_ONLY).
fn table() -> CreateTableInput {
    let mut t = lsi_table(ProjectionType::All);
    t.attribute_definitions
        .push(def("tag", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByTag".into(),
        key_schema: vec![hash("tag")],
        projection: Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

#[test]
fn refresh_counts_items_and_sizes_of_the_table_and_its_indexes() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        let items = [
            item(&[
                ("pk", s("a")),
                ("sk", s("1")),
                ("posted", n("1")),
                ("tag", s("x")),
            ]),
            item(&[
                ("pk", s("a")),
                ("sk", s("2")),
                ("body", s(&"b".repeat(2000))),
            ]),
            item(&[("pk", s("b")), ("sk", s("1")), ("tag", s("y"))]),
        ];
        for i in &items {
            put(&db, "Thread", i.clone());
        }
        db.wait_for_indexes().unwrap();
        assert_eq!(describe(&db).item_count, 0, "not counted yet");
        db.refresh_table_stats("Thread").unwrap();
        let d = describe(&db);
        assert_eq!(d.item_count, 3);
        let total: usize = items.iter().map(item_size_bytes).sum();
        assert_eq!(d.table_size_bytes, total as i64);
        let gsi = &d.global_secondary_indexes.unwrap()[0];
        assert_eq!(gsi.item_count, 2, "sparse: only items with a tag");
        // KEYS_ONLY: table key + index key.
        let keys_only = |i: &shale_table::types::Item| {
            item_size_bytes(
                &i.iter()
                    .filter(|(k, _)| ["pk", "sk", "tag"].contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        };
        assert_eq!(
            gsi.index_size_bytes,
            (keys_only(&items[0]) + keys_only(&items[2])) as i64
        );
        let lsi = &d.local_secondary_indexes.unwrap()[0];
        assert_eq!(lsi.item_count, 1);
        assert_eq!(lsi.index_size_bytes, item_size_bytes(&items[0]) as i64);
    });
}

#[test]
fn the_background_pass_counts_after_open_and_on_its_interval() {
    let backend = Arc::new(MemBackend::new());
    let opts = || {
        DatabaseOptions::default()
            .with_table_stats_interval(Duration::from_millis(50))
            .with_index_worker_interval(Duration::from_millis(10))
    };
    let db = Database::open(backend.clone(), opts()).unwrap();
    db.create_table(table()).unwrap();
    for i in 0..10 {
        put(
            &db,
            "Thread",
            item(&[("pk", s("p")), ("sk", s(&i.to_string()))]),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while describe(&db).item_count != 10 {
        assert!(Instant::now() < deadline, "the pass never counted 10 items");
        std::thread::sleep(Duration::from_millis(20));
    }
}
