//! A data directory written by commit c443921 — catalog records of format version 1, whose
//! payload was the JSON of that day's in-memory types — opens unchanged: every table,
//! index, TTL setting and item the fixture program wrote reads back exactly, the dropped
//! table stays gone and its id is not reused. After a change rewrites the definitions in
//! the current format, a reopen reads those back too.
//!
//! The fixture is `tests/fixtures/catalog-c443921/data`, made by
//! `make_catalog_fixture.rs.txt` beside it (an LSM `Db` with `DbOptions::tiny()`).

mod support;

use std::path::Path;
use std::sync::Arc;

use shale_engine::Backend;
use shale_engine::{Db, DbOptions};
use shale_table::types::Item;
use shale_table::*;
use support::*;

const FIXTURE: &str = "catalog-c443921/data";
/// The envelope version byte c443921 wrote, and the one written today.
const VERSION_LEGACY: u8 = 1;
const VERSION_CURRENT: u8 = 2;

/// Opens the LSM engine on `dir` as the fixture program did, and a database on it.
fn open_dir(dir: &Path) -> (Arc<Db>, Database) {
    let backend = Arc::new(Db::open(DbOptions::new(dir).tiny()).expect("open lsm"));
    let db = Database::open(backend.clone(), options()).expect("open database");
    (backend, db)
}

fn close(backend: Arc<Db>, db: Database) {
    drop(db);
    backend.close().expect("close lsm");
}

/// The catalog format version byte of `table`'s stored definition.
fn stored_version(backend: &Db, table: &str) -> u8 {
    let rec = Backend::get(backend, &catalog::table_key(table), None)
        .expect("read catalog")
        .expect("definition present");
    rec[4]
}

fn json_item(json: &str) -> Item {
    serde_json::from_str(json).expect("item JSON")
}

fn describe(db: &Database, name: &str) -> TableDescription {
    db.describe_table(DescribeTableInput {
        table_name: name.into(),
    })
    .expect("describe")
    .table
}

/// `expected` (DynamoDB JSON) against DescribeTable; CreationDateTime is compared to
/// within a microsecond, since both sides come from decimal text by different routes.
fn assert_describes(db: &Database, expected_json: &str) {
    let mut expected: TableDescription = serde_json::from_str(expected_json).expect("JSON");
    let actual = describe(db, &expected.table_name);
    assert!(
        (actual.creation_date_time - expected.creation_date_time).abs() < 1e-6,
        "{} CreationDateTime {} != {}",
        expected.table_name,
        actual.creation_date_time,
        expected.creation_date_time
    );
    expected.creation_date_time = actual.creation_date_time;
    // WarmThroughput is computed from the capacity model, not stored: present, and
    // whatever the model says.
    assert!(actual.warm_throughput.is_some(), "{}", expected.table_name);
    expected.warm_throughput = actual.warm_throughput.clone();
    assert_eq!(actual, expected);
}

fn users_json(deletion_protection: bool) -> String {
    format!(
        r#"{{"TableName":"Users","TableStatus":"ACTIVE",
        "KeySchema":[{{"AttributeName":"UserId","KeyType":"HASH"}}],
        "AttributeDefinitions":[{{"AttributeName":"UserId","AttributeType":"S"}}],
        "CreationDateTime":1796419643.175122,
        "ProvisionedThroughput":{{"NumberOfDecreasesToday":0,"ReadCapacityUnits":0,"WriteCapacityUnits":0}},
        "BillingModeSummary":{{"BillingMode":"PAY_PER_REQUEST"}},
        "TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Users",
        "TableId":"486a3979-5bf7-4ea0-8fe5-9d0af3116190","ItemCount":0,"TableSizeBytes":0,
        "DeletionProtectionEnabled":{deletion_protection}}}"#
    )
}

/// `increased`: the throughput was raised after the fixture was written (then
/// DescribeTable has its time: the test clock's 1.7e9 s).
fn orders_json(read_units: i64, write_units: i64, increased: bool) -> String {
    let last_increase = if increased {
        r#""LastIncreaseDateTime":1700000000.0,"#
    } else {
        ""
    };
    format!(
        r#"{{"TableName":"Orders","TableStatus":"ACTIVE",
        "KeySchema":[{{"AttributeName":"Customer","KeyType":"HASH"}},{{"AttributeName":"OrderNo","KeyType":"RANGE"}}],
        "AttributeDefinitions":[{{"AttributeName":"Customer","AttributeType":"S"}},{{"AttributeName":"OrderNo","AttributeType":"N"}},
            {{"AttributeName":"Status","AttributeType":"S"}},{{"AttributeName":"Placed","AttributeType":"B"}}],
        "CreationDateTime":1796419643.175355,
        "ProvisionedThroughput":{{{last_increase}"NumberOfDecreasesToday":0,"ReadCapacityUnits":{read_units},"WriteCapacityUnits":{write_units}}},
        "BillingModeSummary":{{"BillingMode":"PROVISIONED"}},
        "TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Orders",
        "TableId":"0847383a-c1d3-dda2-93cf-5abfa362644c","ItemCount":0,"TableSizeBytes":0,
        "GlobalSecondaryIndexes":[{{"IndexName":"ByStatus",
            "KeySchema":[{{"AttributeName":"Status","KeyType":"HASH"}},{{"AttributeName":"OrderNo","KeyType":"RANGE"}}],
            "Projection":{{"ProjectionType":"KEYS_ONLY"}},"IndexStatus":"ACTIVE",
            "ProvisionedThroughput":{{"NumberOfDecreasesToday":0,"ReadCapacityUnits":7,"WriteCapacityUnits":3}},
            "IndexSizeBytes":0,"ItemCount":0,
            "IndexArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Orders/index/ByStatus"}}],
        "LocalSecondaryIndexes":[{{"IndexName":"ByPlaced",
            "KeySchema":[{{"AttributeName":"Customer","KeyType":"HASH"}},{{"AttributeName":"Placed","KeyType":"RANGE"}}],
            "Projection":{{"ProjectionType":"INCLUDE","NonKeyAttributes":["Total"]}},
            "IndexSizeBytes":0,"ItemCount":0,
            "IndexArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Orders/index/ByPlaced"}}],
        "StreamSpecification":{{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"}},
        "DeletionProtectionEnabled":false}}"#
    )
}

const ADA: &str =
    r#"{"UserId":{"S":"ada"},"Name":{"S":"Ada Lovelace"},"Tags":{"SS":["math","poetry"]}}"#;
const ORDER_1: &str = r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"1"},"Status":{"S":"OPEN"},
    "Placed":{"B":"AQI="},"Total":{"N":"12.50"},"ExpiresAt":{"N":"4102444800"}}"#;
const ORDER_2: &str = r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"2"},"Status":{"S":"SHIPPED"},
    "Placed":{"B":"AQM="},"Total":{"N":"99"},"Lines":{"L":[{"M":{"Sku":{"S":"x"},"Qty":{"N":"2"}}}]}}"#;
/// Written by this test after opening the fixture.
const ORDER_3: &str = r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"3"},"Status":{"S":"OPEN"},
    "Placed":{"B":"AQQ="},"Total":{"N":"7"}}"#;
const GRACE: &str = r#"{"UserId":{"S":"grace"},"Name":{"S":"Grace Hopper"}}"#;

fn get(db: &Database, table: &str, key: &str) -> Option<Item> {
    db.get_item(GetItemInput {
        table_name: table.into(),
        key: json_item(key),
        consistent_read: Some(true),
        ..GetItemInput::default()
    })
    .expect("get item")
    .item
}

/// Every item of `index` whose `attr` equals `value`, in index order.
fn query_index(db: &Database, index: &str, attr: &str, value: &str) -> Vec<Item> {
    db.query(QueryInput {
        table_name: "Orders".into(),
        index_name: Some(index.into()),
        key_condition_expression: Some("#k = :v".into()),
        expression_attribute_names: Some([("#k".to_string(), attr.to_string())].into()),
        expression_attribute_values: vals(&[(":v", s(value))]),
        ..QueryInput::default()
    })
    .expect("query")
    .items
    .unwrap_or_default()
}

fn ttl(db: &Database, table: &str) -> TimeToLiveDescription {
    db.describe_time_to_live(DescribeTimeToLiveInput {
        table_name: table.into(),
    })
    .expect("describe ttl")
    .time_to_live_description
}

/// What the fixture program wrote, plus (when `changed`) what [`change`] did.
fn assert_state(db: &Database, changed: bool) {
    assert_describes(db, &users_json(!changed));
    let (read, write) = if changed { (20, 10) } else { (10, 5) };
    assert_describes(db, &orders_json(read, write, changed));
    let listed = db.list_tables(ListTablesInput::default()).expect("list");
    let mut names = vec!["Orders", "Users"];
    if changed {
        names.insert(0, "Dropped");
    }
    assert_eq!(listed.table_names, names);
    if !changed {
        assert!(matches!(
            db.describe_table(DescribeTableInput {
                table_name: "Dropped".into()
            }),
            Err(Error::ResourceNotFound { .. })
        ));
    }

    assert_eq!(
        ttl(db, "Orders"),
        TimeToLiveDescription {
            time_to_live_status: Some(TimeToLiveStatus::Enabled),
            attribute_name: Some("ExpiresAt".into()),
        }
    );
    assert_eq!(
        ttl(db, "Users"),
        TimeToLiveDescription {
            time_to_live_status: Some(TimeToLiveStatus::Disabled),
            attribute_name: None,
        }
    );

    assert_eq!(
        get(db, "Users", r#"{"UserId":{"S":"ada"}}"#),
        Some(json_item(ADA))
    );
    let order_1 = r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"1"}}"#;
    assert_eq!(get(db, "Orders", order_1), Some(json_item(ORDER_1)));
    let order_2 = r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"2"}}"#;
    assert_eq!(get(db, "Orders", order_2), Some(json_item(ORDER_2)));
    let grace = get(db, "Users", r#"{"UserId":{"S":"grace"}}"#);
    assert_eq!(grace, changed.then(|| json_item(GRACE)));

    // LSI ByPlaced (INCLUDE Total): table keys, index key and Total, ordered by Placed.
    let mut by_placed = vec![
        r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"1"},"Placed":{"B":"AQI="},"Total":{"N":"12.50"}}"#,
        r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"2"},"Placed":{"B":"AQM="},"Total":{"N":"99"}}"#,
    ];
    if changed {
        by_placed.push(
            r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"3"},"Placed":{"B":"AQQ="},"Total":{"N":"7"}}"#,
        );
    }
    let by_placed: Vec<Item> = by_placed.into_iter().map(json_item).collect();
    assert_eq!(query_index(db, "ByPlaced", "Customer", "ada"), by_placed);

    // GSI ByStatus (KEYS_ONLY): table keys and index key, ordered by OrderNo.
    let mut open = vec![r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"1"},"Status":{"S":"OPEN"}}"#];
    if changed {
        open.push(r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"3"},"Status":{"S":"OPEN"}}"#);
    }
    let open: Vec<Item> = open.into_iter().map(json_item).collect();
    assert_eq!(query_index(db, "ByStatus", "Status", "OPEN"), open);
    let shipped =
        json_item(r#"{"Customer":{"S":"ada"},"OrderNo":{"N":"2"},"Status":{"S":"SHIPPED"}}"#);
    assert_eq!(
        query_index(db, "ByStatus", "Status", "SHIPPED"),
        vec![shipped]
    );
}

/// Writes through every kind of catalog record: both tables' definitions (UpdateTable),
/// the id counter (CreateTable), and items in a table with both index kinds.
fn change(db: &Database) {
    db.update_table(UpdateTableInput {
        table_name: "Orders".into(),
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: 20,
            write_capacity_units: 10,
        }),
        ..UpdateTableInput::default()
    })
    .expect("update Orders");
    db.update_table(UpdateTableInput {
        table_name: "Users".into(),
        deletion_protection_enabled: Some(false),
        ..UpdateTableInput::default()
    })
    .expect("update Users");
    // A new table named like the dropped one gets a fresh id, so the dropped table's
    // item (still awaiting removal: the background worker is off) does not show.
    let dropped: CreateTableInput = serde_json::from_str(
        r#"{"TableName":"Dropped","AttributeDefinitions":[{"AttributeName":"k","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"k","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    )
    .expect("JSON");
    db.create_table(dropped).expect("recreate Dropped");
    for (table, item) in [("Orders", ORDER_3), ("Users", GRACE)] {
        db.put_item(PutItemInput {
            table_name: table.into(),
            item: json_item(item),
            ..PutItemInput::default()
        })
        .expect("put");
    }
    db.wait_for_indexes().expect("GSI catch-up");
}

fn assert_recreated_dropped_is_empty(db: &Database) {
    let scan = db
        .scan(ScanInput {
            table_name: "Dropped".into(),
            ..ScanInput::default()
        })
        .expect("scan Dropped");
    assert_eq!(scan.count, 0, "the dropped table's data resurfaced");
}

#[test]
fn c443921_data_dir_opens_unchanged_and_takes_new_writes() {
    let dir = copy_fixture(FIXTURE);

    let (backend, db) = open_dir(dir.path());
    for table in ["Users", "Orders"] {
        assert_eq!(stored_version(&backend, table), VERSION_LEGACY);
    }
    assert_state(&db, false);
    change(&db);
    assert_state(&db, true);
    assert_recreated_dropped_is_empty(&db);
    close(backend, db);

    let (backend, db) = open_dir(dir.path());
    for table in ["Users", "Orders", "Dropped"] {
        assert_eq!(stored_version(&backend, table), VERSION_CURRENT);
    }
    assert_state(&db, true);
    assert_recreated_dropped_is_empty(&db);
    close(backend, db);
}
