//! DynamoDB Streams' records, on both backends: event names and images for each view
//! type, no record for a write that changes nothing, transactions as one run of records,
//! TTL deletions naming the service, and the stream's lifecycle in DescribeTable,
//! ListStreams and DescribeStream.

mod support;

use shale_io::clock::ManualClock;
use shale_table::types::Item;
use shale_table::*;
use support::*;

const T: &str = "Orders";

fn open_clocked(b: &TestBackend, clock: &ManualClock) -> Database {
    let opts = options().with_clock(std::sync::Arc::new(clock.clone()));
    Database::open(b.backend.clone(), opts).unwrap()
}

fn each_backend(f: impl Fn(&Database, &ManualClock)) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let db = open_clocked(&b, &clock);
        f(&db, &clock);
    }
}

fn order(id: &str, qty: &str) -> Item {
    item(&[("pk", s(id)), ("qty", n(qty))])
}

fn key(id: &str) -> Item {
    item(&[("pk", s(id))])
}

fn put(db: &Database, i: Item) {
    db.put_item(PutItemInput {
        table_name: T.into(),
        item: i,
        ..Default::default()
    })
    .unwrap();
}

fn delete(db: &Database, id: &str) {
    db.delete_item(DeleteItemInput {
        table_name: T.into(),
        key: key(id),
        ..Default::default()
    })
    .unwrap();
}

fn update_qty(db: &Database, id: &str, qty: &str) {
    db.update_item(UpdateItemInput {
        table_name: T.into(),
        key: key(id),
        update_expression: Some("SET qty = :q".into()),
        expression_attribute_values: vals(&[(":q", n(qty))]),
        ..Default::default()
    })
    .unwrap();
}

fn events(records: &[Record]) -> Vec<(OperationType, String)> {
    records
        .iter()
        .map(|r| {
            let AttributeValueRef(id) = AttributeValueRef::of(&r.dynamodb.keys["pk"]);
            (r.event_name, id)
        })
        .collect()
}

struct AttributeValueRef(String);

impl AttributeValueRef {
    fn of(v: &shale_table::types::AttributeValue) -> Self {
        match v {
            shale_table::types::AttributeValue::S(s) => AttributeValueRef(s.clone()),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn insert_modify_remove_with_both_images_and_nothing_for_writes_that_change_nothing() {
    each_backend(|db, _| {
        db.create_table(simple_table(T, None)).unwrap();
        let arn = enable_stream(db, T, StreamViewType::NewAndOldImages);
        put(db, order("a", "1")); // INSERT
        put(db, order("a", "1")); // identical: no record
        update_qty(db, "a", "2"); // MODIFY
        update_qty(db, "a", "2"); // changes nothing: no record
        delete(db, "a"); // REMOVE
        delete(db, "a"); // absent: no record
        put(db, order("b", "5")); // INSERT
        let records = read_stream(db, &arn, 1000);
        use OperationType::*;
        assert_eq!(
            events(&records),
            [
                (Insert, "a".into()),
                (Modify, "a".into()),
                (Remove, "a".into()),
                (Insert, "b".into())
            ]
        );
        let [ins, modify, remove, _] = &records[..] else {
            unreachable!()
        };
        assert_eq!(ins.dynamodb.new_image, Some(order("a", "1")));
        assert_eq!(ins.dynamodb.old_image, None);
        assert_eq!(modify.dynamodb.old_image, Some(order("a", "1")));
        assert_eq!(modify.dynamodb.new_image, Some(order("a", "2")));
        assert_eq!(remove.dynamodb.old_image, Some(order("a", "2")));
        assert_eq!(remove.dynamodb.new_image, None);
        assert_eq!(remove.dynamodb.keys, key("a"));
        for r in &records {
            assert_eq!(r.event_source, "aws:dynamodb");
            assert_eq!(r.event_version, "1.1");
            assert_eq!(r.event_id.len(), 32);
            assert_eq!(r.dynamodb.stream_view_type, StreamViewType::NewAndOldImages);
            assert!(r.dynamodb.size_bytes > 0);
            assert!(r.user_identity.is_none());
            assert_eq!(r.dynamodb.approximate_creation_date_time, 1_700_000_000.0);
        }
        // Sequence numbers: digits, 21 or more, increasing.
        let seqs: Vec<&str> = records
            .iter()
            .map(|r| r.dynamodb.sequence_number.as_str())
            .collect();
        assert!(seqs
            .iter()
            .all(|s| s.len() >= 21 && s.bytes().all(|b| b.is_ascii_digit())));
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        // SizeBytes by the item-size rules: keys + new image + old image (a number
        // counts its digits halved, plus one).
        assert_eq!(ins.dynamodb.size_bytes, (2 + 1) + (2 + 1) + (3 + 2));
    });
}

#[test]
fn each_view_type_keeps_the_images_it_names() {
    use StreamViewType::*;
    for (view, old, new) in [
        (KeysOnly, false, false),
        (NewImage, false, true),
        (OldImage, true, false),
        (NewAndOldImages, true, true),
    ] {
        each_backend(|db, _| {
            db.create_table(simple_table(T, None)).unwrap();
            let arn = enable_stream(db, T, view);
            put(db, order("a", "1"));
            update_qty(db, "a", "2");
            delete(db, "a");
            let records = read_stream(db, &arn, 1000);
            assert_eq!(records.len(), 3, "{view:?}");
            for r in &records {
                assert_eq!(r.dynamodb.keys, key("a"));
                assert_eq!(r.dynamodb.stream_view_type, view);
            }
            // INSERT has no old image, REMOVE no new one; the others as the view says.
            assert_eq!(records[0].dynamodb.new_image.is_some(), new, "{view:?}");
            assert!(records[0].dynamodb.old_image.is_none());
            assert_eq!(records[1].dynamodb.old_image.is_some(), old, "{view:?}");
            assert_eq!(records[1].dynamodb.new_image.is_some(), new, "{view:?}");
            assert_eq!(records[2].dynamodb.old_image.is_some(), old, "{view:?}");
            assert!(records[2].dynamodb.new_image.is_none());
        });
    }
}

#[test]
fn a_transaction_is_one_run_of_records_and_a_cancelled_one_leaves_none() {
    each_backend(|db, _| {
        db.create_table(simple_table(T, None)).unwrap();
        let arn = enable_stream(db, T, StreamViewType::NewImage);
        put(db, order("x", "1"));
        transact(
            db,
            vec![
                tx_put(T, order("a", "1")),
                tx_put(T, order("b", "1")),
                tx_delete(T, key("x")),
                tx_check(T, key("zz"), "attribute_not_exists(pk)", &[]),
            ],
        )
        .unwrap();
        let cancelled = transact(
            db,
            vec![
                tx_put(T, order("c", "1")),
                tx_check(T, key("zz"), "attribute_exists(pk)", &[]),
            ],
        );
        assert!(cancelled.is_err());
        let records = read_stream(db, &arn, 1000);
        use OperationType::*;
        assert_eq!(
            events(&records),
            [
                (Insert, "x".into()),
                (Insert, "a".into()),
                (Insert, "b".into()),
                (Remove, "x".into())
            ]
        );
        // The transaction's three records share one commit-log batch: their sequence
        // numbers differ only in the last three digits.
        let batch_of = |r: &Record| r.dynamodb.sequence_number[..18].to_owned();
        assert_eq!(batch_of(&records[1]), batch_of(&records[3]));
        assert_ne!(batch_of(&records[0]), batch_of(&records[1]));
    });
}

#[test]
fn ttl_deletions_are_removes_by_the_service() {
    each_backend(|db, clock| {
        db.create_table(simple_table(T, None)).unwrap();
        db.update_time_to_live(UpdateTimeToLiveInput {
            table_name: T.into(),
            time_to_live_specification: TimeToLiveSpecification {
                enabled: true,
                attribute_name: "exp".into(),
            },
        })
        .unwrap();
        let arn = enable_stream(db, T, StreamViewType::OldImage);
        let mut expiring = order("old", "1");
        expiring.insert("exp".into(), n("1600000000"));
        put(db, expiring.clone());
        delete(db, "nobody");
        clock.advance_secs(10);
        assert_eq!(db.sweep_expired_items().unwrap(), 1);
        let records = read_stream(db, &arn, 1000);
        assert_eq!(records.len(), 2);
        assert!(records[0].user_identity.is_none());
        let ttl = &records[1];
        assert_eq!(ttl.event_name, OperationType::Remove);
        assert_eq!(ttl.dynamodb.old_image, Some(expiring));
        let who = ttl
            .user_identity
            .as_ref()
            .expect("a TTL delete names the service");
        assert_eq!(who.principal_id, "dynamodb.amazonaws.com");
        assert_eq!(who.identity_type, "Service");
    });
}

fn set_stream(
    db: &Database,
    enabled: bool,
    view: Option<StreamViewType>,
) -> Result<UpdateTableOutput, Error> {
    db.update_table(UpdateTableInput {
        table_name: T.into(),
        stream_specification: Some(StreamSpecification {
            stream_enabled: enabled,
            stream_view_type: view,
        }),
        ..Default::default()
    })
}

fn describe_table(db: &Database) -> TableDescription {
    db.describe_table(DescribeTableInput {
        table_name: T.into(),
    })
    .unwrap()
    .table
}

#[test]
fn disable_keeps_the_stream_readable_and_enable_again_makes_a_new_one() {
    each_backend(|db, clock| {
        db.create_table(simple_table(T, None)).unwrap();
        // DynamoDB's recorded messages for the wrong combinations.
        let msg = |r: Result<UpdateTableOutput, Error>| r.unwrap_err().to_string();
        assert_eq!(
            msg(set_stream(db, false, None)),
            "Table has no stream to disable: TableName: Orders"
        );
        assert_eq!(
            msg(set_stream(db, true, None)),
            "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required"
        );
        let first = enable_stream(db, T, StreamViewType::KeysOnly);
        assert_eq!(
            msg(set_stream(db, true, Some(StreamViewType::NewImage))),
            "Table already has an enabled stream: TableName: Orders"
        );
        assert_eq!(
            msg(set_stream(db, false, Some(StreamViewType::NewImage))),
            "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified"
        );
        let d = describe_table(db);
        assert_eq!(d.latest_stream_arn.as_deref(), Some(first.as_str()));
        let label = d.latest_stream_label.clone().unwrap();
        assert!(first.ends_with(&format!("/stream/{label}")), "{first}");
        assert_eq!(
            d.stream_specification,
            Some(StreamSpecification {
                stream_enabled: true,
                stream_view_type: Some(StreamViewType::KeysOnly)
            })
        );
        put(db, order("a", "1"));
        set_stream(db, false, None).unwrap();
        put(db, order("b", "1")); // not recorded: the stream is off
        let d = describe_table(db);
        assert_eq!(d.stream_specification, None);
        assert_eq!(d.latest_stream_arn.as_deref(), Some(first.as_str()));
        let desc = describe_stream(db, &first);
        assert_eq!(desc.stream_status, StreamStatus::Disabled);
        assert_eq!(desc.shards.len(), 1);
        assert!(desc.shards[0]
            .sequence_number_range
            .ending_sequence_number
            .is_some());
        assert_eq!(
            events(&read_stream(db, &first, 1000)),
            [(OperationType::Insert, "a".into())]
        );

        clock.advance_micros(1);
        let second = enable_stream(db, T, StreamViewType::NewImage);
        assert_ne!(first, second);
        put(db, order("c", "1"));
        assert_eq!(
            events(&read_stream(db, &second, 1000)),
            [(OperationType::Insert, "c".into())]
        );
        let listed = db.list_streams(ListStreamsInput::default()).unwrap();
        let arns: Vec<&str> = listed
            .streams
            .iter()
            .map(|s| s.stream_arn.as_str())
            .collect();
        assert_eq!(arns, [first.as_str(), second.as_str()]);
        assert!(listed.streams.iter().all(|s| s.table_name == T));

        // After 24 hours the disabled stream is gone; the enabled one stays.
        clock.advance_secs(24 * 3600 + 1);
        let listed = db.list_streams(ListStreamsInput::default()).unwrap();
        assert_eq!(listed.streams.len(), 1);
        let gone = db.describe_stream(DescribeStreamInput {
            stream_arn: first.clone(),
            limit: None,
            exclusive_start_shard_id: None,
            shard_filter: None,
        });
        assert_eq!(
            gone.unwrap_err().exception_name(),
            "ResourceNotFoundException"
        );
    });
}

#[test]
fn create_table_can_enable_the_stream_and_delete_table_disables_it() {
    each_backend(|db, _| {
        let mut t = simple_table(T, None);
        t.stream_specification = Some(StreamSpecification {
            stream_enabled: true,
            stream_view_type: Some(StreamViewType::NewAndOldImages),
        });
        let created = db.create_table(t).unwrap().table_description;
        let arn = created.latest_stream_arn.expect("stream ARN at creation");
        put(db, order("a", "1"));
        db.delete_table(DeleteTableInput {
            table_name: T.into(),
        })
        .unwrap();
        // Still readable: DynamoDB keeps a deleted table's stream for 24 hours.
        assert_eq!(
            describe_stream(db, &arn).stream_status,
            StreamStatus::Disabled
        );
        assert_eq!(
            events(&read_stream(db, &arn, 1000)),
            [(OperationType::Insert, "a".into())]
        );
    });
}

#[test]
fn list_streams_pages_and_filters_by_table() {
    each_backend(|db, _| {
        for name in ["Alpha", "Beta", "Gamma"] {
            let mut t = simple_table(name, None);
            t.stream_specification = Some(StreamSpecification {
                stream_enabled: true,
                stream_view_type: Some(StreamViewType::KeysOnly),
            });
            db.create_table(t).unwrap();
        }
        let page = db
            .list_streams(ListStreamsInput {
                limit: Some(2),
                ..Default::default()
            })
            .unwrap();
        let names: Vec<&str> = page.streams.iter().map(|s| s.table_name.as_str()).collect();
        assert_eq!(names, ["Alpha", "Beta"]);
        let rest = db
            .list_streams(ListStreamsInput {
                exclusive_start_stream_arn: page.last_evaluated_stream_arn.clone(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(rest.streams.len(), 1);
        assert_eq!(rest.streams[0].table_name, "Gamma");
        assert_eq!(rest.last_evaluated_stream_arn, None);
        let beta = db
            .list_streams(ListStreamsInput {
                table_name: Some("Beta".into()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(beta.streams.len(), 1);
        let bad = db.list_streams(ListStreamsInput {
            limit: Some(101),
            ..Default::default()
        });
        assert_eq!(
            bad.unwrap_err().to_string(),
            "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100"
        );
    });
}
