//! CreateTable → DescribeTable → ListTables (paged) → DeleteTable, per DynamoDB's docs.

mod support;

use shale_table::*;
use support::*;

#[test]
fn create_then_describe_shows_the_definition() {
    for_each_backend(|_, db| {
        let out = db
            .create_table(simple_table("Music", Some(ScalarAttributeType::S)))
            .unwrap();
        let d = out.table_description;
        assert_eq!(d.table_name, "Music");
        assert_eq!(d.table_status, TableStatus::Creating);
        assert_eq!(d.key_schema, vec![hash("pk"), range("sk")]);
        assert_eq!(
            d.table_arn,
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music"
        );
        assert_eq!(d.creation_date_time, 1_700_000_000.0);
        assert_eq!(
            d.billing_mode_summary.unwrap().billing_mode,
            BillingMode::PayPerRequest
        );

        let t = db
            .describe_table(DescribeTableInput {
                table_name: "Music".into(),
            })
            .unwrap()
            .table;
        assert_eq!(t.table_status, TableStatus::Active);
        assert_eq!(t.table_id, d.table_id);
        assert_eq!(t.provisioned_throughput.read_capacity_units, 0);
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["TableName"], "Music");
        assert_eq!(json["KeySchema"][1]["KeyType"], "RANGE");
        assert_eq!(json["AttributeDefinitions"][0]["AttributeType"], "S");
        assert_eq!(json["ProvisionedThroughput"]["NumberOfDecreasesToday"], 0);
        assert!(json.get("GlobalSecondaryIndexes").is_none());
    });
}

#[test]
fn provisioned_tables_report_their_throughput() {
    for_each_backend(|_, db| {
        let mut input = simple_table("Prov", None);
        input.billing_mode = None;
        input.provisioned_throughput = Some(ProvisionedThroughput {
            read_capacity_units: 5,
            write_capacity_units: 7,
        });
        let d = db.create_table(input).unwrap().table_description;
        assert_eq!(d.provisioned_throughput.read_capacity_units, 5);
        assert_eq!(d.provisioned_throughput.write_capacity_units, 7);
        assert_eq!(
            d.billing_mode_summary.unwrap().billing_mode,
            BillingMode::Provisioned
        );
    });
}

#[test]
fn creating_an_existing_table_is_resource_in_use() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Dup", None)).unwrap();
        let e = db.create_table(simple_table("Dup", None)).unwrap_err();
        assert_eq!(e.exception_name(), "ResourceInUseException");
        assert_eq!(e.message(), "Table already exists: Dup");
    });
}

#[test]
fn list_tables_pages_in_name_order() {
    for_each_backend(|_, db| {
        for name in ["ccc", "aaa", "bbb", "ddd", "eee"] {
            db.create_table(simple_table(name, None)).unwrap();
        }
        let p1 = db
            .list_tables(ListTablesInput {
                limit: Some(2),
                ..ListTablesInput::default()
            })
            .unwrap();
        assert_eq!(p1.table_names, vec!["aaa", "bbb"]);
        assert_eq!(p1.last_evaluated_table_name.as_deref(), Some("bbb"));
        let p2 = db
            .list_tables(ListTablesInput {
                limit: Some(2),
                exclusive_start_table_name: p1.last_evaluated_table_name,
            })
            .unwrap();
        assert_eq!(p2.table_names, vec!["ccc", "ddd"]);
        let p3 = db
            .list_tables(ListTablesInput {
                limit: Some(2),
                exclusive_start_table_name: p2.last_evaluated_table_name,
            })
            .unwrap();
        assert_eq!(p3.table_names, vec!["eee"]);
        assert_eq!(p3.last_evaluated_table_name, None);
        let all = db.list_tables(ListTablesInput::default()).unwrap();
        assert_eq!(all.table_names.len(), 5);
        assert_eq!(all.last_evaluated_table_name, None);
        for bad in [0, 101] {
            let e = db
                .list_tables(ListTablesInput {
                    limit: Some(bad),
                    ..ListTablesInput::default()
                })
                .unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException");
        }
    });
}

#[test]
fn delete_table_removes_it_and_its_items() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Gone", None)).unwrap();
        db.put_item(PutItemInput {
            table_name: "Gone".into(),
            item: item(&[("pk", s("a")), ("x", n("1"))]),
            ..PutItemInput::default()
        })
        .unwrap();
        let d = db
            .delete_table(DeleteTableInput {
                table_name: "Gone".into(),
            })
            .unwrap()
            .table_description;
        assert_eq!(d.table_status, TableStatus::Deleting);
        let e = db
            .describe_table(DescribeTableInput {
                table_name: "Gone".into(),
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        assert_eq!(
            e.message(),
            "Requested resource not found: Table: Gone not found"
        );
        // Recreating gives a fresh, empty table (ids are never reused).
        db.create_table(simple_table("Gone", None)).unwrap();
        let got = db
            .get_item(GetItemInput {
                table_name: "Gone".into(),
                key: item(&[("pk", s("a"))]),
                ..GetItemInput::default()
            })
            .unwrap();
        assert_eq!(got.item, None);
        db.wait_for_indexes().unwrap();
    });
}

#[test]
fn create_table_validates_like_dynamodb() {
    for_each_backend(|_, db| {
        let msg = |input: CreateTableInput| db.create_table(input).unwrap_err().message();
        // The table operations check a name's length first, in words of their own
        // (dynalite's createTable and describeTable tests, recorded against DynamoDB).
        let length = "TableName must be at least 3 characters long and at most 255 characters long";
        assert_eq!(msg(simple_table("ab", None)), length);
        assert_eq!(msg(simple_table(&"a".repeat(256), None)), length);
        let described = db.describe_table(DescribeTableInput {
            table_name: "a;".into(),
        });
        assert_eq!(described.unwrap_err().message(), length);
        let deleted = db.delete_table(DeleteTableInput {
            table_name: String::new(),
        });
        assert_eq!(deleted.unwrap_err().message(), length);
        // Item operations report it as constraints (dynalite's scan and getItem tests).
        let got = db.get_item(GetItemInput {
            table_name: "ab".into(),
            key: item(&[("pk", s("a"))]),
            ..GetItemInput::default()
        });
        assert!(got
            .unwrap_err()
            .message()
            .contains("Member must have length greater than or equal to 3"));
        assert!(msg(simple_table("bad name!", None)).contains("regular expression pattern"));
        let mut undefined = simple_table("Undef", None);
        undefined.attribute_definitions.clear();
        assert!(msg(undefined)
            .contains("Some index key attributes are not defined in AttributeDefinitions"));
        let mut extra = simple_table("Extra", None);
        extra
            .attribute_definitions
            .push(def("other", ScalarAttributeType::N));
        assert!(msg(extra).contains("Number of attributes in KeySchema does not exactly match"));
        let mut no_tp = simple_table("NoTp", None);
        no_tp.billing_mode = Some(BillingMode::Provisioned);
        assert!(
            msg(no_tp).contains("ReadCapacityUnits and WriteCapacityUnits must both be specified")
        );
        let mut range_first = simple_table("RangeFirst", None);
        range_first.key_schema = vec![range("pk")];
        assert!(msg(range_first).contains("not a HASH key type"));
        // Six LSIs is one too many.
        let mut lsis = simple_table("Lsis", Some(ScalarAttributeType::S));
        for i in 0..6 {
            let a = format!("l{i}");
            lsis.attribute_definitions
                .push(def(&a, ScalarAttributeType::S));
            lsis.local_secondary_indexes
                .get_or_insert_with(Vec::new)
                .push(LocalSecondaryIndex {
                    index_name: format!("idx{i}"),
                    key_schema: vec![hash("pk"), range(&a)],
                    projection: Projection {
                        projection_type: Some(ProjectionType::KeysOnly),
                        non_key_attributes: None,
                    },
                });
        }
        assert!(msg(lsis).contains("LocalSecondaryIndexes exceeds per-table limit of 5"));
        // None of the failures created a table.
        assert!(db
            .list_tables(ListTablesInput::default())
            .unwrap()
            .table_names
            .is_empty());
    });
}

/// Members DynamoDB has and Shale does not implement (vector indexes, warm throughput,
/// global tables) are refused with a clear error, never served without them; the
/// request changes nothing. Checked before the definition's own validation, whose
/// complaints (an attribute defined for a vector index only) would mislead.
#[test]
fn unimplemented_create_and_update_members_are_refused_not_ignored() {
    use serde::de::IgnoredAny;
    for_each_backend(|_, db| {
        let e = db
            .create_table(CreateTableInput {
                vector_indexes: Some(IgnoredAny),
                attribute_definitions: vec![
                    def("pk", ScalarAttributeType::S),
                    def("embedding_owner", ScalarAttributeType::S),
                ],
                ..simple_table("Vec", None)
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "Shale does not implement the VectorIndexes parameter of CreateTable yet"
        );
        let e = db
            .create_table(CreateTableInput {
                warm_throughput: Some(IgnoredAny),
                ..simple_table("Warm", None)
            })
            .unwrap_err();
        assert!(e
            .message()
            .contains("WarmThroughput parameter of CreateTable"));
        // A GSI's own WarmThroughput too.
        let mut gsi_warm = simple_table("GsiWarm", None);
        gsi_warm
            .attribute_definitions
            .push(def("posted", ScalarAttributeType::S));
        gsi_warm.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
            index_name: "ByPosted".into(),
            key_schema: vec![hash("posted")],
            projection: Projection {
                projection_type: Some(ProjectionType::KeysOnly),
                non_key_attributes: None,
            },
            provisioned_throughput: None,
            on_demand_throughput: None,
            warm_throughput: Some(IgnoredAny),
        }]);
        let e = db.create_table(gsi_warm).unwrap_err();
        assert_eq!(
            e.message(),
            "Shale does not implement the WarmThroughput parameter of CreateTable yet"
        );
        assert!(db
            .list_tables(ListTablesInput::default())
            .unwrap()
            .table_names
            .is_empty());

        db.create_table(simple_table("Plain", None)).unwrap();
        let e = db
            .update_table(UpdateTableInput {
                table_name: "Plain".into(),
                replica_updates: Some(IgnoredAny),
                deletion_protection_enabled: Some(true),
                ..UpdateTableInput::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "Shale does not implement the ReplicaUpdates parameter of UpdateTable yet"
        );
        let d = db
            .describe_table(DescribeTableInput {
                table_name: "Plain".into(),
            })
            .unwrap()
            .table;
        assert!(!d.deletion_protection_enabled, "nothing changed");
    });
}
