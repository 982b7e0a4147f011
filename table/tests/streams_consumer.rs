//! In-process stream consumers (Lambda's role): batches in stream order, a durable
//! checkpoint resumed by name (also after a reopen of the LSM), at-least-once retries, a
//! dead-letter handler after the last attempt, Lambda's filter patterns, child shards
//! after a rollover, LATEST, and the end of a disabled stream.

mod support;

use std::sync::Arc;
use std::time::Duration;

use shale_io::clock::ManualClock;
use shale_table::streams::consumer::{ConsumerOptions, DeadLetter, PollOutcome, StartingPosition};
use shale_table::streams::filter::FilterPattern;
use shale_table::*;
use support::*;

const T: &str = "Jobs";

fn each_backend(f: impl Fn(&Database, &ManualClock)) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    for b in clocked_backends(&clock) {
        eprintln!("backend: {}", b.name);
        let opts = options().with_clock(Arc::new(clock.clone()));
        let db = Database::open(b.backend.clone(), opts).unwrap();
        db.create_table(simple_table(T, None)).unwrap();
        enable_stream(&db, T, StreamViewType::NewAndOldImages);
        f(&db, &clock);
    }
}

fn put(db: &Database, id: &str, v: &str) {
    db.put_item(PutItemInput {
        table_name: T.into(),
        item: item(&[("pk", s(id)), ("v", n(v))]),
        ..Default::default()
    })
    .unwrap();
}

fn key_of(r: &Record) -> String {
    match &r.dynamodb.keys["pk"] {
        shale_table::types::AttributeValue::S(s) => s.clone(),
        other => panic!("{other:?}"),
    }
}

type Never = std::convert::Infallible;

/// Polls until Idle (bounded), collecting the keys delivered.
fn drain(c: &mut shale_table::streams::consumer::StreamConsumer) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..100 {
        let outcome = c
            .poll(
                |rs: &[Record]| {
                    got.extend(rs.iter().map(key_of));
                    Ok::<(), Never>(())
                },
                |_: DeadLetter<Never>| unreachable!("never fails"),
            )
            .unwrap();
        if matches!(outcome, PollOutcome::Idle | PollOutcome::Ended) {
            return got;
        }
    }
    panic!("never idle");
}

fn options_named(name: &str) -> ConsumerOptions {
    let mut o = ConsumerOptions::new(name, T);
    o.batch_size = 2;
    o
}

#[test]
fn batches_arrive_in_order_and_a_consumer_resumes_from_its_checkpoint() {
    each_backend(|db, _| {
        for id in ["a", "b", "c", "d", "e"] {
            put(db, id, "1");
        }
        let mut c = db.stream_consumer(options_named("indexer")).unwrap();
        let mut sizes = Vec::new();
        let mut keys = Vec::new();
        loop {
            let o = c
                .poll(
                    |rs: &[Record]| {
                        keys.extend(rs.iter().map(key_of));
                        Ok::<(), Never>(())
                    },
                    |_: DeadLetter<Never>| {},
                )
                .unwrap();
            match o {
                PollOutcome::Delivered(n) => sizes.push(n),
                PollOutcome::Idle => break,
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(sizes, [2, 2, 1]);
        assert_eq!(keys, ["a", "b", "c", "d", "e"]);
        drop(c);
        put(db, "f", "1");
        put(db, "a", "2");
        let mut again = db.stream_consumer(options_named("indexer")).unwrap();
        assert_eq!(
            drain(&mut again),
            ["f", "a"],
            "only what came after the checkpoint"
        );
        // Another name has its own position.
        let mut other = db.stream_consumer(options_named("auditor")).unwrap();
        assert_eq!(drain(&mut other), ["a", "b", "c", "d", "e", "f", "a"]);
    });
}

#[test]
fn a_failed_batch_is_retried_then_dead_lettered() {
    each_backend(|db, _| {
        put(db, "a", "1");
        put(db, "b", "1");
        put(db, "c", "1");
        let mut o = options_named("flaky");
        o.max_attempts = 3;
        let mut c = db.stream_consumer(o).unwrap();
        let mut calls = 0;
        let mut dead = Vec::new();
        let mut outcomes = Vec::new();
        for _ in 0..5 {
            outcomes.push(
                c.poll(
                    |rs: &[Record]| {
                        calls += 1;
                        // The first batch (a, b) always fails; later ones succeed.
                        if key_of(&rs[0]) == "a" {
                            Err("downstream is down")
                        } else {
                            Ok(())
                        }
                    },
                    |d: DeadLetter<&str>| {
                        dead.push((
                            d.records.iter().map(key_of).collect::<Vec<_>>(),
                            d.error,
                            d.attempts,
                        ))
                    },
                )
                .unwrap(),
            );
        }
        assert_eq!(
            outcomes,
            [
                PollOutcome::Retrying { attempts: 1 },
                PollOutcome::Retrying { attempts: 2 },
                PollOutcome::DeadLettered(2),
                PollOutcome::Delivered(1),
                PollOutcome::Idle,
            ]
        );
        assert_eq!(calls, 4);
        assert_eq!(
            dead,
            [(
                vec!["a".to_owned(), "b".to_owned()],
                "downstream is down",
                3
            )]
        );
    });
}

#[test]
fn records_no_filter_matches_are_skipped() {
    each_backend(|db, _| {
        put(db, "a", "5");
        put(db, "a", "20"); // MODIFY
        put(db, "b", "50");
        put(db, "c", "7");
        let mut o = options_named("big-inserts");
        o.batch_size = 100;
        o.filters = vec![FilterPattern::parse(
            r#"{"eventName":["INSERT"],"dynamodb":{"NewImage":{"v":{"N":[{"numeric":[">",6]}]}}}}"#,
        )
        .unwrap()];
        let mut c = db.stream_consumer(o).unwrap();
        assert_eq!(drain(&mut c), ["b", "c"]);
    });
}

#[test]
fn a_consumer_follows_child_shards_and_sees_the_end_of_a_disabled_stream() {
    each_backend(|db, clock| {
        put(db, "a", "1");
        let mut c = db.stream_consumer(options_named("follower")).unwrap();
        assert_eq!(drain(&mut c), ["a"]);
        put(db, "b", "1");
        clock.advance_secs(4 * 3600 + 1);
        db.run_stream_upkeep().unwrap();
        put(db, "c", "1");
        clock.advance_secs(4 * 3600 + 1);
        db.run_stream_upkeep().unwrap();
        put(db, "d", "1");
        assert_eq!(describe_stream(db, &latest_arn(db)).shards.len(), 3);
        assert_eq!(drain(&mut c), ["b", "c", "d"]);
        db.update_table(UpdateTableInput {
            table_name: T.into(),
            stream_specification: Some(StreamSpecification {
                stream_enabled: false,
                stream_view_type: None,
            }),
            ..Default::default()
        })
        .unwrap();
        put(db, "e", "1"); // after the disable: not in the stream
        let end = c
            .poll(
                |_: &[Record]| Ok::<(), Never>(()),
                |_: DeadLetter<Never>| {},
            )
            .unwrap();
        assert_eq!(end, PollOutcome::Ended);
    });
}

fn latest_arn(db: &Database) -> String {
    db.describe_table(DescribeTableInput {
        table_name: T.into(),
    })
    .unwrap()
    .table
    .latest_stream_arn
    .unwrap()
}

#[test]
fn latest_starts_after_what_is_there_and_poll_wait_wakes_on_a_write() {
    each_backend(|db, _| {
        put(db, "old", "1");
        let mut o = options_named("tail");
        o.start = StartingPosition::Latest;
        let mut c = db.stream_consumer(o).unwrap();
        assert_eq!(drain(&mut c), Vec::<String>::new());
        std::thread::scope(|scope| {
            scope.spawn(|| put(db, "new", "1"));
            let mut got = Vec::new();
            for _ in 0..10 {
                let o = c
                    .poll_wait(
                        Duration::from_secs(2),
                        |rs: &[Record]| {
                            got.extend(rs.iter().map(key_of));
                            Ok::<(), Never>(())
                        },
                        |_: DeadLetter<Never>| {},
                    )
                    .unwrap();
                if o == PollOutcome::Delivered(1) {
                    break;
                }
            }
            assert_eq!(got, ["new"]);
        });
    });
}

#[test]
fn bad_options_are_refused() {
    each_backend(|db, _| {
        let mut o = options_named("x");
        assert_eq!(
            db.stream_consumer(o.clone()).unwrap_err().exception_name(),
            "ValidationException",
            "a name under 3 characters"
        );
        o.name = "valid-name".into();
        o.batch_size = 1001;
        assert!(db.stream_consumer(o.clone()).is_err());
        o.batch_size = 10;
        o.max_attempts = 0;
        assert!(db.stream_consumer(o.clone()).is_err());
        o.max_attempts = 1;
        o.table_name = "NoSuchTable".into();
        assert_eq!(
            db.stream_consumer(o).unwrap_err().exception_name(),
            "ResourceNotFoundException"
        );
        assert!(FilterPattern::parse(r#"{"eventName":[{"cidr":"10.0.0.0/24"}]}"#).is_err());
    });
}

#[test]
fn the_checkpoint_survives_a_reopen_of_the_lsm() {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let fault = FaultLsm::new();
    let opts = || options().with_clock(Arc::new(clock.clone()));
    {
        let db = Database::open(fault.open_with_clock(&clock), opts()).unwrap();
        db.create_table(simple_table(T, None)).unwrap();
        enable_stream(&db, T, StreamViewType::KeysOnly);
        put(&db, "a", "1");
        put(&db, "b", "1");
        let mut c = db.stream_consumer(options_named("durable")).unwrap();
        assert_eq!(drain(&mut c), ["a", "b"]);
        put(&db, "c", "1");
        db.backend().close().unwrap();
    }
    let db = Database::open(fault.open_with_clock(&clock), opts()).unwrap();
    let mut c = db.stream_consumer(options_named("durable")).unwrap();
    assert_eq!(drain(&mut c), ["c"]);
}
