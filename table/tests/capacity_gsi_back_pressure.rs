//! A GSI has its own buckets, and a GSI out of write capacity throttles writes to its
//! base table (DynamoDB's back-pressure): the base write is refused whole, with
//! DynamoDB's GSI message, and nothing of it is applied.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use shale_table::*;
use support::*;

fn setup() -> (ManualClock, Database) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    let mut t = provisioned_table("Base", 1000, 1000);
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByG".into(),
        key_schema: vec![hash("g")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: 1,
            write_capacity_units: 1,
        }),
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    db.create_table(t).unwrap();
    (clock, db)
}

fn put_g(db: &Database, pk: &str, g: Option<&str>) -> Result<PutItemOutput, Error> {
    let mut i = item(&[("pk", s(pk))]);
    if let Some(g) = g {
        i.insert("g".into(), s(g));
    }
    db.put_item(PutItemInput {
        table_name: "Base".into(),
        item: i,
        ..Default::default()
    })
}

#[test]
fn a_gsi_out_of_write_capacity_throttles_the_base_table() {
    let (clock, db) = setup();
    clock.advance_secs(1); // table 1000 WCU, GSI 1 WCU
    put_g(&db, "a", Some("x")).expect("the GSI has one unit");
    let e = put_g(&db, "b", Some("y")).unwrap_err();
    match &e {
        Error::ProvisionedThroughputExceeded {
            table_name,
            index_name,
            operation,
            limit,
            resource,
        } => {
            assert_eq!(*limit, shale_table::ThrottleLimit::Provisioned);
            assert_eq!(table_name, "Base");
            assert_eq!(index_name.as_deref(), Some("ByG"));
            // ThrottlingReason's resource: the GSI's ARN.
            assert_eq!(
                resource,
                "arn:aws:dynamodb:us-east-1:000000000000:table/Base/index/ByG"
            );
            assert_eq!(*operation, CapacityOperation::Write);
        }
        other => panic!("expected back-pressure, got {other:?}"),
    }
    assert!(e
        .message()
        .contains("one or more global secondary indexes of the table"));
    // Nothing of the refused write was applied.
    let got = db
        .get_item(GetItemInput {
            table_name: "Base".into(),
            key: item(&[("pk", s("b"))]),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(got.item, None);
    // A write that leaves the GSI untouched (sparse) needs only the table's capacity.
    put_g(&db, "c", None).expect("no GSI entry, no GSI charge");
    // The table's own bucket was not charged for the refused write.
    let view = db.capacity_view("Base").unwrap();
    assert_eq!(view.resources[0].partitions[0].write.consumed_units, 2.0);
    assert_eq!(view.resources[1].index_name.as_deref(), Some("ByG"));
    assert_eq!(view.resources[1].partitions[0].write.throttled_requests, 1);
    // A second later the GSI has refilled.
    clock.advance_secs(1);
    put_g(&db, "b", Some("y")).expect("refilled");
}
