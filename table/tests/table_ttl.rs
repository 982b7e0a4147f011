//! Time to live: UpdateTimeToLive / DescribeTimeToLive as DynamoDB answers them, and the
//! sweeper deleting expired items (through the write path, so GSIs follow) while
//! unexpired, non-numeric, attribute-less and very old items stay. Time is a manual
//! clock: expiry is decided in milliseconds, not hours.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use shale_io::clock::ManualClock;
use shale_table::types::Item;
use shale_table::*;
use support::*;

const NOW_SECS: u64 = 1_700_000_000;

fn enable(db: &Database, attr: &str, enabled: bool) -> Result<UpdateTimeToLiveOutput, Error> {
    db.update_time_to_live(UpdateTimeToLiveInput {
        table_name: "Sessions".into(),
        time_to_live_specification: TimeToLiveSpecification {
            enabled,
            attribute_name: attr.into(),
        },
    })
}

fn describe(db: &Database) -> TimeToLiveDescription {
    db.describe_time_to_live(DescribeTimeToLiveInput {
        table_name: "Sessions".into(),
    })
    .unwrap()
    .time_to_live_description
}

fn session(id: &str, exp: Option<AttributeValueLike>) -> Item {
    let mut it = item(&[("pk", s(id)), ("user", s("u1"))]);
    match exp {
        Some(AttributeValueLike::Secs(t)) => {
            it.insert("exp".into(), n(&t.to_string()));
        }
        Some(AttributeValueLike::Text) => {
            it.insert("exp".into(), s("1600000000"));
        }
        None => {}
    }
    it
}

enum AttributeValueLike {
    Secs(u64),
    Text,
}

fn table() -> CreateTableInput {
    let mut t = simple_table("Sessions", None);
    t.attribute_definitions
        .push(def("user", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByUser".into(),
        key_schema: vec![hash("user")],
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

fn put(db: &Database, it: Item) {
    db.put_item(PutItemInput {
        table_name: "Sessions".into(),
        item: it,
        ..PutItemInput::default()
    })
    .unwrap();
}

fn present(db: &Database, id: &str) -> bool {
    db.get_item(GetItemInput {
        table_name: "Sessions".into(),
        key: item(&[("pk", s(id))]),
        ..GetItemInput::default()
    })
    .unwrap()
    .item
    .is_some()
}

fn gsi_count(db: &Database) -> usize {
    db.wait_for_indexes().unwrap();
    db.scan(ScanInput {
        table_name: "Sessions".into(),
        index_name: Some("ByUser".into()),
        ..ScanInput::default()
    })
    .unwrap()
    .count as usize
}

fn open_with(backend: &TestBackend, clock: &ManualClock, background: bool) -> Database {
    let opts = options()
        .with_clock(Arc::new(clock.clone()))
        .with_background_index_worker(background)
        .with_ttl_sweep_interval(Duration::from_millis(5));
    Database::open(backend.backend.clone(), opts).unwrap()
}

#[test]
fn update_and_describe_time_to_live_follow_dynamodb() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        let d = describe(&db);
        assert_eq!(d.time_to_live_status, Some(TimeToLiveStatus::Disabled));
        assert_eq!(d.attribute_name, None);
        let e = enable(&db, "exp", false).unwrap_err();
        assert_eq!(e.message(), "TimeToLive is already disabled");
        let out = enable(&db, "exp", true).unwrap();
        assert!(out.time_to_live_specification.enabled);
        let d = describe(&db);
        assert_eq!(d.time_to_live_status, Some(TimeToLiveStatus::Enabled));
        assert_eq!(d.attribute_name.as_deref(), Some("exp"));
        let e = enable(&db, "other", true).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(e.message(), "TimeToLive is already enabled");
        let e = enable(&db, "", true).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let e = db
            .describe_time_to_live(DescribeTimeToLiveInput {
                table_name: "Nope".into(),
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        enable(&db, "exp", false).unwrap();
        assert_eq!(
            describe(&db).time_to_live_status,
            Some(TimeToLiveStatus::Disabled)
        );
    });
}

#[test]
fn the_setting_survives_a_reopen() {
    let lsm = FaultLsm::new();
    let backend = lsm.open();
    let db = Database::open(backend.clone(), options()).unwrap();
    db.create_table(table()).unwrap();
    enable(&db, "exp", true).unwrap();
    drop(db);
    drop(backend);
    let db = Database::open(lsm.open(), options()).unwrap();
    assert_eq!(describe(&db).attribute_name.as_deref(), Some("exp"));
}

#[test]
fn the_sweeper_deletes_exactly_the_expired_items() {
    for b in backends() {
        let clock = ManualClock::new(NOW_SECS * 1_000_000);
        let db = open_with(&b, &clock, false);
        db.create_table(table()).unwrap();
        put(
            &db,
            session("past", Some(AttributeValueLike::Secs(NOW_SECS - 10))),
        );
        put(
            &db,
            session("now", Some(AttributeValueLike::Secs(NOW_SECS))),
        );
        put(
            &db,
            session("soon", Some(AttributeValueLike::Secs(NOW_SECS + 60))),
        );
        put(&db, session("text", Some(AttributeValueLike::Text)));
        put(&db, session("none", None));
        let six_years = 6 * 365 * 24 * 3600;
        put(
            &db,
            session(
                "ancient",
                Some(AttributeValueLike::Secs(NOW_SECS - six_years)),
            ),
        );
        // TTL off: nothing is deleted.
        assert_eq!(db.sweep_expired_items().unwrap(), 0);
        enable(&db, "exp", true).unwrap();
        // Until the sweeper runs, expired items are still returned (as in DynamoDB).
        assert!(present(&db, "past"));
        assert_eq!(db.sweep_expired_items().unwrap(), 2, "backend {}", b.name);
        for (id, kept) in [
            ("past", false),
            ("now", false),
            ("soon", true),
            ("text", true),
            ("none", true),
            ("ancient", true),
        ] {
            assert_eq!(present(&db, id), kept, "{id} on {}", b.name);
        }
        assert_eq!(gsi_count(&db), 4, "GSI entries of deleted items are gone");
        // An item rewritten with a later expiry is not deleted by an old decision, and
        // time moving on expires the next one.
        clock.advance_secs(61);
        put(
            &db,
            session("renewed", Some(AttributeValueLike::Secs(NOW_SECS + 3600))),
        );
        assert_eq!(db.sweep_expired_items().unwrap(), 1);
        assert!(!present(&db, "soon"));
        assert!(present(&db, "renewed"));
    }
}

#[test]
fn many_expired_items_are_swept_across_rounds() {
    for b in backends() {
        let clock = ManualClock::new(NOW_SECS * 1_000_000);
        let db = open_with(&b, &clock, false);
        db.create_table(simple_table("Sessions", None)).unwrap();
        enable(&db, "exp", true).unwrap();
        // More than one round's worth (4096 items per table per round).
        for i in 0..5000u64 {
            let exp = if i % 2 == 0 {
                NOW_SECS - 1
            } else {
                NOW_SECS + 100
            };
            put(
                &db,
                session(&format!("s{i:05}"), Some(AttributeValueLike::Secs(exp))),
            );
        }
        assert_eq!(
            db.sweep_expired_items().unwrap(),
            2500,
            "backend {}",
            b.name
        );
        let left = db
            .scan(ScanInput {
                table_name: "Sessions".into(),
                select: Some(Select::Count),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(left.count, 2500);
    }
}

#[test]
fn the_background_worker_sweeps_on_its_own() {
    let b = backends().remove(0);
    let clock = ManualClock::new(NOW_SECS * 1_000_000);
    let db = open_with(&b, &clock, true);
    db.create_table(simple_table("Sessions", None)).unwrap();
    enable(&db, "exp", true).unwrap();
    put(
        &db,
        session("a", Some(AttributeValueLike::Secs(NOW_SECS + 5))),
    );
    std::thread::sleep(Duration::from_millis(50));
    assert!(present(&db, "a"), "deleted before it expired");
    clock.advance_secs(5);
    let deadline = Instant::now() + Duration::from_secs(10);
    while present(&db, "a") {
        assert!(
            Instant::now() < deadline,
            "the background sweeper never deleted it"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
