//! Shards and shard iterators on both backends, with a manual clock: rollover every 4
//! hours with child shards naming their parents, the four iterator types, paging,
//! iterators expiring after 15 minutes, 24-hour trimming, and DynamoDB's errors for
//! malformed or unknown ARNs, shards, iterators and sequence numbers.

mod support;

use shale_io::clock::ManualClock;
use shale_table::*;
use support::*;

const T: &str = "Events";

fn each_backend(f: impl Fn(&Database, &ManualClock, &str)) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let opts = options().with_clock(std::sync::Arc::new(clock.clone()));
        let db = Database::open(b.backend.clone(), opts).unwrap();
        db.create_table(simple_table(T, None)).unwrap();
        let arn = enable_stream(&db, T, StreamViewType::NewImage);
        f(&db, &clock, &arn);
    }
}

fn put(db: &Database, id: &str) {
    db.put_item(PutItemInput {
        table_name: T.into(),
        item: item(&[("pk", s(id))]),
        ..Default::default()
    })
    .unwrap();
}

fn ids(records: &[Record]) -> Vec<String> {
    records
        .iter()
        .map(|r| match &r.dynamodb.keys["pk"] {
            shale_table::types::AttributeValue::S(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn iterator(
    db: &Database,
    arn: &str,
    shard: &str,
    ty: ShardIteratorType,
    seq: Option<&str>,
) -> Result<String, Error> {
    db.get_shard_iterator(GetShardIteratorInput {
        stream_arn: arn.into(),
        shard_id: shard.into(),
        shard_iterator_type: ty,
        sequence_number: seq.map(str::to_owned),
    })
    .map(|o| o.shard_iterator)
}

fn records(db: &Database, it: &str, limit: Option<i64>) -> Result<GetRecordsOutput, Error> {
    db.get_records(GetRecordsInput {
        shard_iterator: it.into(),
        limit,
    })
}

fn first_shard(db: &Database, arn: &str) -> String {
    describe_stream(db, arn).shards[0].shard_id.clone()
}

const FOUR_HOURS: u64 = 4 * 3600;

#[test]
fn shards_roll_over_every_four_hours_and_children_name_their_parents() {
    each_backend(|db, clock, arn| {
        put(db, "a");
        let one = describe_stream(db, arn);
        assert_eq!(one.shards.len(), 1);
        assert_eq!(one.shards[0].parent_shard_id, None);
        assert_eq!(
            one.shards[0].sequence_number_range.ending_sequence_number,
            None
        );
        assert!(one.shards[0].shard_id.starts_with("shardId-"));

        clock.advance_secs(FOUR_HOURS + 1);
        let two = describe_stream(db, arn); // the roll happens on this touch
        put(db, "b");
        assert_eq!(two.shards.len(), 2);
        let (parent, child) = (&two.shards[0], &two.shards[1]);
        assert_eq!(parent.shard_id, one.shards[0].shard_id);
        assert_eq!(
            child.parent_shard_id.as_deref(),
            Some(parent.shard_id.as_str())
        );
        let end = parent
            .sequence_number_range
            .ending_sequence_number
            .clone()
            .unwrap();
        assert!(end < child.sequence_number_range.starting_sequence_number);

        // The parent holds a and ends; the child holds b and stays open.
        let it = iterator(
            db,
            arn,
            &parent.shard_id,
            ShardIteratorType::TrimHorizon,
            None,
        )
        .unwrap();
        let page = records(db, &it, None).unwrap();
        assert_eq!(ids(&page.records), ["a"]);
        let rest = match page.next_shard_iterator {
            Some(next) => records(db, &next, None).unwrap(),
            None => GetRecordsOutput::default(),
        };
        assert!(rest.records.is_empty());
        assert_eq!(
            rest.next_shard_iterator, None,
            "a closed shard read to its end"
        );
        let it = iterator(
            db,
            arn,
            &child.shard_id,
            ShardIteratorType::TrimHorizon,
            None,
        )
        .unwrap();
        let page = records(db, &it, None).unwrap();
        assert_eq!(ids(&page.records), ["b"]);
        assert!(page.next_shard_iterator.is_some(), "an open shard goes on");
        assert_eq!(ids(&read_stream(db, arn, 1000)), ["a", "b"]);

        // Another 4 hours with no touch: the background upkeep rolls it.
        clock.advance_secs(FOUR_HOURS);
        db.run_stream_upkeep().unwrap();
        assert_eq!(describe_stream(db, arn).shards.len(), 3);
    });
}

/// DescribeStream's ShardFilter (CHILD_SHARDS) returns only the children of the named
/// shard, paged like the whole list; a malformed filter is a ValidationException.
#[test]
fn a_shard_filter_returns_the_children_of_one_shard() {
    each_backend(|db, clock, arn| {
        put(db, "a");
        // A shard rolls over when the stream is next touched after four hours.
        clock.advance_secs(FOUR_HOURS + 1);
        describe_stream(db, arn);
        put(db, "b");
        clock.advance_secs(FOUR_HOURS + 1);
        describe_stream(db, arn);
        put(db, "c");
        let all = describe_stream(db, arn).shards;
        assert_eq!(all.len(), 3);
        let children = |parent: &str, ty: Option<ShardFilterType>| {
            db.describe_stream(DescribeStreamInput {
                stream_arn: arn.into(),
                shard_filter: Some(ShardFilter {
                    filter_type: ty,
                    shard_id: Some(parent.into()),
                }),
                ..Default::default()
            })
        };
        for (k, ty) in [(0, Some(ShardFilterType::ChildShards)), (1, None)] {
            let got = children(&all[k].shard_id, ty).unwrap().stream_description;
            assert_eq!(got.shards, [all[k + 1].clone()], "children of shard {k}");
            assert_eq!(got.last_evaluated_shard_id, None);
        }
        // The open shard has no children yet.
        let got = children(&all[2].shard_id, None).unwrap().stream_description;
        assert!(got.shards.is_empty());
        // A shard id of the wrong length, or none, is refused.
        let e = children("shardId-short", None).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(
            e.message().contains("shardFilter.shardId"),
            "{}",
            e.message()
        );
        let e = db
            .describe_stream(DescribeStreamInput {
                stream_arn: arn.into(),
                shard_filter: Some(ShardFilter::default()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(
            e.message().contains("ShardId is required"),
            "{}",
            e.message()
        );
    });
}

#[test]
fn latest_at_and_after_sequence_number_and_paging() {
    each_backend(|db, _, arn| {
        let shard = first_shard(db, arn);
        put(db, "a");
        let latest = iterator(db, arn, &shard, ShardIteratorType::Latest, None).unwrap();
        for id in ["b", "c", "d", "e"] {
            put(db, id);
        }
        let page = records(db, &latest, None).unwrap();
        assert_eq!(ids(&page.records), ["b", "c", "d", "e"]);
        let c_seq = page.records[1].dynamodb.sequence_number.clone();

        let at = iterator(
            db,
            arn,
            &shard,
            ShardIteratorType::AtSequenceNumber,
            Some(&c_seq),
        )
        .unwrap();
        assert_eq!(
            ids(&records(db, &at, None).unwrap().records),
            ["c", "d", "e"]
        );
        let after = iterator(
            db,
            arn,
            &shard,
            ShardIteratorType::AfterSequenceNumber,
            Some(&c_seq),
        )
        .unwrap();
        assert_eq!(ids(&records(db, &after, None).unwrap().records), ["d", "e"]);

        // Pages of two: a b | c d | e | (empty, still open)
        let mut it = iterator(db, arn, &shard, ShardIteratorType::TrimHorizon, None).unwrap();
        let mut pages = Vec::new();
        for _ in 0..4 {
            let page = records(db, &it, Some(2)).unwrap();
            pages.push(ids(&page.records));
            it = page.next_shard_iterator.expect("open shard");
        }
        assert_eq!(pages, [vec!["a", "b"], vec!["c", "d"], vec!["e"], vec![]]);
    });
}

#[test]
fn iterators_expire_after_fifteen_minutes_and_records_after_a_day() {
    each_backend(|db, clock, arn| {
        let shard = first_shard(db, arn);
        put(db, "old");
        let it = iterator(db, arn, &shard, ShardIteratorType::TrimHorizon, None).unwrap();
        clock.advance_secs(15 * 60 + 1);
        let e = records(db, &it, None).unwrap_err();
        assert_eq!(e.exception_name(), "ExpiredIteratorException");
        assert_eq!(
            e.to_string(),
            "The provided iterator exceeds the maximum age allowed."
        );

        clock.advance_secs(24 * 3600);
        put(db, "new");
        // The day-old record is trimmed; the new one is read.
        assert_eq!(ids(&read_stream(db, arn, 1000)), ["new"]);
    });
}

fn err(r: Result<impl std::fmt::Debug, Error>) -> (String, String) {
    let e = r.unwrap_err();
    (e.exception_name().to_owned(), e.to_string())
}

#[test]
fn malformed_and_unknown_names_get_dynamodbs_errors() {
    each_backend(|db, _, arn| {
        let shard = first_shard(db, arn);
        let v = |m: &str| ("ValidationException".to_owned(), m.to_owned());
        let describe = |a: &str| {
            db.describe_stream(DescribeStreamInput {
                stream_arn: a.into(),
                limit: None,
                exclusive_start_shard_id: None,
                shard_filter: None,
            })
        };
        assert_eq!(
            err(describe(
                "arn:aws:dynamodb:us-east-1:000000000000:table/Events"
            )),
            v("Invalid StreamArn")
        );
        assert_eq!(
            err(describe("fake-stream")),
            v("1 validation error detected: Value 'fake-stream' at 'streamArn' failed to satisfy constraint: Member must have length greater than or equal to 37")
        );
        let other_table = arn.replace("table/Events/", "table/Nothing/");
        assert_eq!(
            err(describe(&other_table)),
            (
                "ResourceNotFoundException".to_owned(),
                format!("Requested resource not found: Stream: {other_table} not found")
            )
        );
        let bad_shard = "shardId-00000000000000000000-00000000";
        assert_eq!(
            err(iterator(
                db,
                arn,
                bad_shard,
                ShardIteratorType::TrimHorizon,
                None
            )),
            (
                "ResourceNotFoundException".to_owned(),
                "Requested resource not found: Shard does not exist".to_owned()
            )
        );
        assert_eq!(
            err(iterator(db, arn, &shard, ShardIteratorType::AtSequenceNumber, None)),
            v("1 validation error detected: SequenceNumber is required for ShardIteratorType AT_SEQUENCE_NUMBER")
        );
        let seq = "1".repeat(21);
        assert_eq!(
            err(iterator(db, arn, &shard, ShardIteratorType::Latest, Some(&seq))),
            v("1 validation error detected: SequenceNumber must not be specified for ShardIteratorType LATEST")
        );
        let (name, _) = err(iterator(
            db,
            arn,
            &shard,
            ShardIteratorType::AtSequenceNumber,
            Some(&seq),
        ));
        assert_eq!(
            name, "ValidationException",
            "a sequence number past the shard"
        );
        assert_eq!(
            err(records(db, "sdfsdfsdf", None)),
            v("Invalid ShardIterator")
        );
        let good = iterator(db, arn, &shard, ShardIteratorType::TrimHorizon, None).unwrap();
        let tampered = good.replace("|1|0", "|1|1");
        assert_eq!(
            err(records(db, &tampered, None)),
            v("Invalid ShardIterator")
        );
        assert_eq!(
            err(records(db, &good, Some(1001))),
            v("1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000")
        );
        assert_eq!(
            err(records(db, &good, Some(0))),
            v("1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1")
        );
    });
}

#[test]
fn records_survive_a_reopen_of_the_lsm() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let fault = FaultLsm::new();
    let opts = || options().with_clock(std::sync::Arc::new(clock.clone()));
    let (arn, before) = {
        let db = Database::open(fault.open_with_clock(&clock), opts()).unwrap();
        db.create_table(simple_table(T, None)).unwrap();
        let arn = enable_stream(&db, T, StreamViewType::NewImage);
        for i in 0..200 {
            put(&db, &format!("k{i:03}"));
        }
        db.backend().flush().unwrap();
        let before = read_stream(&db, &arn, 1000);
        db.backend().close().unwrap();
        (arn, before)
    };
    assert_eq!(before.len(), 200);
    let db = Database::open(fault.open_with_clock(&clock), opts()).unwrap();
    put(&db, "after");
    let after = read_stream(&db, &arn, 1000);
    assert_eq!(after.len(), 201);
    assert_eq!(&after[..200], &before[..]);
    assert_eq!(ids(&after[200..]), ["after"]);
}
