//! Per-partition limits, split for heat and split by size, on a manual clock. With limits on, a
//! partition serves at most 1,000 WCU a second whatever its table's capacity; a hot key
//! sharing a partition with a warm one is throttled (`…KeyRangeThroughputExceeded`)
//! until the minute's split isolates it; a single key cannot be split further; the
//! partition view names the heaviest keys; a table past the size a partition holds is
//! split into as many partitions as its size needs, its size being its last count plus
//! what it grew by since; a hot item collection that has a
//! partition of its own is split on its sort key, unless its traffic climbs a rising
//! sort key.

mod support;

use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::split::NoSplits;
use shale_table::capacity::{BorrowUnused, CapacityOptions};
use shale_table::*;
use support::*;

const T0: u64 = 1_700_000_000_000_000;

fn db_at(clock: &ManualClock, splits: bool) -> Database {
    let mut opts = CapacityOptions::default()
        .with_policy(Arc::new(BorrowUnused))
        .with_partition_limits(true);
    if !splits {
        opts = opts.with_split_policy(Arc::new(NoSplits));
    }
    capacity_db(clock, opts)
}

/// One clock second: `hot` writes to key A and `warm` to key B (one WCU each), at once;
/// returns the throttled writes and the last throttle.
fn second(db: &Database, clock: &ManualClock, hot: u32, warm: u32) -> (u32, Option<Error>) {
    let mut throttled = 0;
    let mut last = None;
    for (key, n) in [("A", hot), ("B", warm)] {
        for _ in 0..n {
            if let Err(e) = put_small(db, "Hot", key) {
                throttled += 1;
                last = Some(e);
            }
        }
    }
    clock.advance_secs(1);
    (throttled, last)
}

fn partitions(db: &Database) -> usize {
    partitions_of(db, "Hot")
}

#[test]
fn a_hot_key_is_held_to_its_partitions_limit_until_a_split_isolates_it() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    // 990 WCU: one partition (ceil(5 / 3,000 + 990 / 1,000)), with 300 s of burst credit.
    db.create_table(provisioned_table("Hot", 5, 990)).unwrap();
    assert_eq!(partitions(&db), 1);
    let (throttled, e) = second(&db, &clock, 700, 500);
    assert_eq!(throttled, 200, "1,200 WCU on a partition that serves 1,000");
    let e = e.unwrap();
    assert_eq!(e.exception_name(), "ProvisionedThroughputExceededException");
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("TableWriteKeyRangeThroughputExceeded")
    );
    // Contributor insights: A first by consumption, in DynamoDB JSON.
    let w = &db.capacity_view("Hot").unwrap().resources[0].partitions[0].write;
    assert_eq!(w.limit_units_per_sec, Some(1_000.0));
    assert_eq!(w.most_consumed[0].key.as_deref(), Some(r#"{"S":"A"}"#));
    assert_eq!(w.most_consumed[0].count, 700.0);
    assert_eq!(w.most_throttled[0].key.as_deref(), Some(r#"{"S":"B"}"#));
    for _ in 1..60 {
        second(&db, &clock, 700, 500);
    }
    // The minute's window closes: A carried most of a partition at its limit.
    let splits = db.run_capacity_splits();
    assert_eq!(splits.len(), 1, "{splits:?}");
    assert_eq!(splits[0].into.len(), 3, "A alone in the middle: {splits:?}");
    assert_eq!(partitions(&db), 3);
    let (throttled, _) = second(&db, &clock, 700, 500);
    assert_eq!(throttled, 0, "A and B have a partition each");
    // No further split is due before the next window closes.
    assert!(db.run_capacity_splits().is_empty());
}

#[test]
fn one_key_over_its_partitions_limit_cannot_be_helped() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(provisioned_table("Hot", 5, 990)).unwrap();
    for _ in 0..60 {
        second(&db, &clock, 1_500, 0);
    }
    let first = db.run_capacity_splits();
    assert_eq!(first.len(), 1);
    for _ in 0..60 {
        let (throttled, _) = second(&db, &clock, 1_500, 0);
        assert_eq!(throttled, 500, "one key, one partition, 1,000 WCU");
    }
    assert!(
        db.run_capacity_splits().is_empty(),
        "a partition of one key is not split again"
    );
}

#[test]
fn without_splits_the_hot_partition_keeps_throttling() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, false);
    db.create_table(provisioned_table("Hot", 5, 990)).unwrap();
    for _ in 0..61 {
        assert_eq!(second(&db, &clock, 700, 500).0, 200);
    }
    assert!(db.run_capacity_splits().is_empty());
    assert_eq!(partitions(&db), 1);
    assert_eq!(second(&db, &clock, 700, 500).0, 200);
}

#[test]
fn spread_traffic_is_split_at_its_middle_and_splits_survive_update_table() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(provisioned_table("Hot", 5, 990)).unwrap();
    for _ in 0..60 {
        for k in 0..8 {
            for _ in 0..100 {
                put_small(&db, "Hot", &format!("spread{k}")).unwrap();
            }
        }
        clock.advance_secs(1);
    }
    // 800 WCU over eight keys: hot (over half the limit), no key dominant.
    let splits = db.run_capacity_splits();
    assert_eq!(splits.len(), 1);
    assert_eq!(splits[0].into.len(), 2, "{splits:?}");
    assert_eq!(partitions(&db), 2);
    // Raising the throughput within what two partitions hold keeps the split ranges.
    let before: Vec<u64> = db.capacity_view("Hot").unwrap().resources[0]
        .partitions
        .iter()
        .map(|p| p.hash_start)
        .collect();
    db.update_table(UpdateTableInput {
        table_name: "Hot".into(),
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: 5,
            write_capacity_units: 1_500,
        }),
        ..Default::default()
    })
    .unwrap();
    let after: Vec<u64> = db.capacity_view("Hot").unwrap().resources[0]
        .partitions
        .iter()
        .map(|p| p.hash_start)
        .collect();
    assert_eq!(before, after);
}

#[test]
fn an_on_demand_partition_over_its_limit_is_a_throttling_exception() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(simple_table("Hot", None)).unwrap();
    let (throttled, e) = second(&db, &clock, 1_200, 0);
    assert_eq!(throttled, 200);
    let e = e.unwrap();
    assert_eq!(e.exception_name(), "ThrottlingException");
    assert_eq!(
        e.throttling_reason().as_deref(),
        Some("TableWriteKeyRangeThroughputExceeded")
    );
}

#[test]
fn a_hot_key_at_twice_its_partitions_share_is_served_by_adaptive_capacity_and_isolated() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    // 30,000 RCU and 2,000 WCU: twelve partitions (ceil(10 + 2)), a write share of
    // 2,000 / 12 = 167 WCU each, and a limit of 1,000 each.
    db.create_table(provisioned_table("Hot", 30_000, 2_000))
        .unwrap();
    assert_eq!(partitions(&db), 12);
    let share = db.capacity_view("Hot").unwrap().resources[0].partitions[0]
        .write
        .share_units_per_sec
        .unwrap();
    assert!((share - 2_000.0 / 12.0).abs() < 0.01, "{share}");
    // Key A at 600 WCU/s (3.6 times its partition's share, over half the partition's
    // limit), and 600 WCU/s spread over 60 other keys: 1,200 of the table's 2,000.
    for _ in 0..60 {
        let (throttled, _) = second(&db, &clock, 600, 0);
        assert_eq!(throttled, 0, "adaptive capacity serves the hot key");
        for k in 0..60 {
            for _ in 0..10 {
                put_small(&db, "Hot", &format!("other{k}")).unwrap();
            }
        }
    }
    let splits = db.run_capacity_splits();
    let hot = splits
        .iter()
        .find(|s| s.into.len() == 3)
        .expect("the hot key's partition is split around it");
    // The key alone in the middle: its partition starts at its hash and ends there.
    let view = db.capacity_view("Hot").unwrap();
    let middle = view.resources[0]
        .partitions
        .iter()
        .find(|p| p.hash_start == hot.into[1])
        .unwrap();
    assert_eq!(middle.hash_start, middle.hash_end, "a partition of one key");
    assert_eq!(hot.into[2], hot.into[1] + 1);
}

#[test]
fn contributor_insights_count_keys_only_when_asked() {
    for on in [false, true] {
        let clock = ManualClock::new(T0);
        let db = capacity_db(
            &clock,
            CapacityOptions::default().with_contributor_insights(on),
        );
        db.create_table(provisioned_table("Hot", 5, 990)).unwrap();
        second(&db, &clock, 30, 10);
        // Reads are counted on the read side: three of B, one of A (one RCU each).
        for key in ["B", "A", "B", "B"] {
            get_consistent(&db, "Hot", key).unwrap();
        }
        let view = db.capacity_view("Hot").unwrap();
        let (w, r) = (
            &view.resources[0].partitions[0].write,
            &view.resources[0].partitions[0].read,
        );
        assert_eq!(w.limit_units_per_sec, None, "limits stay off");
        if on {
            assert_eq!(w.most_consumed[0].key.as_deref(), Some(r#"{"S":"A"}"#));
            assert_eq!(w.most_consumed[0].count, 30.0);
            assert_eq!(w.most_consumed[1].count, 10.0);
            assert_eq!(r.most_consumed[0].key.as_deref(), Some(r#"{"S":"B"}"#));
            assert_eq!(r.most_consumed[0].count, 3.0);
            assert_eq!(r.most_consumed[1].count, 1.0);
        } else {
            assert!(w.most_consumed.is_empty());
            assert!(r.most_consumed.is_empty());
        }
    }
}

/// A database whose partitions hold 100 KB, with a 5 RCU / 900 WCU table `name`.
fn small_partitions(clock: &ManualClock, name: &str) -> Database {
    let db = capacity_db(
        clock,
        CapacityOptions::default().with_partition_size_max(100_000),
    );
    db.create_table(provisioned_table(name, 5, 900)).unwrap();
    db
}

/// A blind PutItem of a 997-byte item with key `pk`.
fn put_997(db: &Database, table: &str, pk: &str) {
    db.put_item(PutItemInput {
        table_name: table.into(),
        item: item(&[("pk", s(pk)), ("v", s(&"x".repeat(990)))]),
        ..Default::default()
    })
    .unwrap();
}

#[test]
fn a_table_is_split_by_size_one_partition_per_size_limit() {
    let clock = ManualClock::new(T0);
    // 300 items of 997 bytes (299,100 bytes) need three partitions of 100 KB.
    let db = small_partitions(&clock, "Big");
    for i in 0..300 {
        put_997(&db, "Big", &format!("k{i}"));
    }
    // No ItemCount pass has run: the growth through the write path has the table
    // counted now, and the count splits it.
    let splits = db.run_capacity_splits();
    let view = db.capacity_view("Big").unwrap();
    let parts = &view.resources[0].partitions;
    assert_eq!(parts.len(), 3, "{splits:?}");
    // The ranges still cover the hash space, in order, and each has a third of the
    // write rate (shares are even, however wide a range).
    assert_eq!(parts[0].hash_start, 0);
    assert_eq!(parts.last().unwrap().hash_end, u64::MAX);
    for w in parts.windows(2) {
        assert_eq!(w[0].hash_end + 1, w[1].hash_start);
    }
    assert!(parts
        .iter()
        .all(|p| p.write.share_units_per_sec == Some(300.0)));
    assert!(db.run_capacity_splits().is_empty(), "split once");
    // The count agrees: no more splits.
    db.refresh_table_stats("Big").unwrap();
    assert!(db.run_capacity_splits().is_empty());
}

#[test]
fn a_table_that_grows_past_a_partition_between_counts_is_counted_again_and_split() {
    let clock = ManualClock::new(T0);
    let db = small_partitions(&clock, "Grows");
    let put = |i: u32| put_997(&db, "Grows", &format!("k{i}"));
    let delete = |i: u32| {
        db.delete_item(DeleteItemInput {
            table_name: "Grows".into(),
            key: item(&[("pk", s(&format!("k{i}")))]),
            ..Default::default()
        })
        .unwrap()
    };
    // 150 items (149,550 bytes) of which 100 are deleted again: 49,850 bytes, one
    // partition's worth. Deletes shrink the estimate.
    for i in 0..150 {
        put(i);
    }
    for i in 0..100 {
        delete(i);
    }
    assert!(db.run_capacity_splits().is_empty());
    // Counted (49,850), then 60 more items (59,820): 109,670 bytes, two partitions.
    db.refresh_table_stats("Grows").unwrap();
    assert!(db.run_capacity_splits().is_empty());
    for i in 150..210 {
        put(i);
    }
    assert_eq!(db.run_capacity_splits().len(), 1);
    assert_eq!(partitions_of(&db, "Grows"), 2);
}

/// Regression (this session's review): growth counted a blind overwrite (a PutItem
/// that reads no old item) as new data, so a table rewritten more than a partition's
/// size was split by size however small it was, and partitions never merge. Growth is
/// now only an upper bound that makes the table be counted again; the split follows
/// the count.
#[test]
fn a_table_only_rewritten_is_recounted_and_not_split() {
    let clock = ManualClock::new(T0);
    let db = small_partitions(&clock, "Rewritten");
    // 300 blind puts of 997 bytes to `keys` keys.
    let rewrite = |keys: u32| {
        for i in 0..300 {
            put_997(&db, "Rewritten", &format!("k{}", i % keys));
        }
    };
    // To 3 keys: 299,100 bytes written, 2,991 stored.
    rewrite(3);
    assert!(db.run_capacity_splits().is_empty());
    assert_eq!(partitions_of(&db, "Rewritten"), 1);
    let described = db
        .describe_table(DescribeTableInput {
            table_name: "Rewritten".into(),
        })
        .unwrap();
    assert_eq!(described.table.item_count, 3, "counted again");
    // Paced: rewritten as much again, with a fourth item, the table is not walked
    // again within a minute of the last ask, and is after it.
    rewrite(4);
    let item_count = |db: &Database| {
        db.describe_table(DescribeTableInput {
            table_name: "Rewritten".into(),
        })
        .unwrap()
        .table
        .item_count
    };
    assert!(db.run_capacity_splits().is_empty());
    assert_eq!(item_count(&db), 3, "not walked again yet");
    clock.advance_secs(61);
    assert!(db.run_capacity_splits().is_empty());
    assert_eq!(item_count(&db), 4, "walked again after the pace");
    assert_eq!(partitions_of(&db, "Rewritten"), 1);
}

fn partitions_of(db: &Database, table: &str) -> usize {
    db.capacity_view(table).unwrap().resources[0]
        .partitions
        .len()
}

/// One clock second of `n` one-WCU writes to collection "A" of table "Coll" (pk, sk), the
/// sort keys given by `sort(i)` for the i-th write overall; returns the throttled writes.
fn collection_second(
    db: &Database,
    clock: &ManualClock,
    n: u32,
    first: &mut u64,
    sort: impl Fn(u64) -> String,
) -> u32 {
    let mut throttled = 0;
    for _ in 0..n {
        let put = db.put_item(PutItemInput {
            table_name: "Coll".into(),
            item: item(&[("pk", s("A")), ("sk", s(&sort(*first))), ("v", s("x"))]),
            ..Default::default()
        });
        *first += 1;
        if put.is_err() {
            throttled += 1;
        }
    }
    clock.advance_secs(1);
    throttled
}

fn collection_table() -> CreateTableInput {
    CreateTableInput {
        billing_mode: Some(BillingMode::Provisioned),
        provisioned_throughput: Some(ProvisionedThroughput {
            read_capacity_units: 5,
            write_capacity_units: 990,
        }),
        ..simple_table("Coll", Some(ScalarAttributeType::S))
    }
}

/// Sort keys over 100 values in a scrambled order (not rising).
fn scrambled(i: u64) -> String {
    format!("item#{:03}", (i * 37) % 100)
}

/// Rising sort keys (a timestamp).
fn rising(i: u64) -> String {
    format!("t#{i:09}")
}

#[test]
fn a_hot_item_collection_is_split_on_its_sort_key() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(collection_table()).unwrap();
    let mut i = 0;
    // Minute 1: 1,500 WCU on the one partition; the split isolates A's collection.
    for _ in 0..60 {
        assert_eq!(
            collection_second(&db, &clock, 1_500, &mut i, scrambled),
            500
        );
    }
    let first = db.run_capacity_splits();
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].at_key, None, "between partition keys first");
    // Minute 2: A alone in its partition, still over 1,000: split on the sort key.
    for _ in 0..60 {
        assert_eq!(
            collection_second(&db, &clock, 1_500, &mut i, scrambled),
            500
        );
    }
    let second = db.run_capacity_splits();
    assert_eq!(second.len(), 1, "{second:?}");
    let cut = second[0].at_key.clone().expect("a cut on the sort key");
    assert_eq!(second[0].into, vec![second[0].start_hash; 2]);
    // The cut is a key position inside A's collection, around the middle of its sort keys.
    let text = String::from_utf8_lossy(&cut);
    assert!(
        text.contains("item#04") || text.contains("item#05"),
        "{text}"
    );
    let view = db.capacity_view("Coll").unwrap();
    let parts = &view.resources[0].partitions;
    let of_a: Vec<_> = parts
        .iter()
        .filter(|p| p.hash_start == second[0].start_hash)
        .collect();
    assert_eq!(of_a.len(), 2);
    assert!(of_a[0].key_start.is_none() && of_a[1].key_start.is_some());
    // Each half serves about half the writes: nothing is throttled now.
    for _ in 0..5 {
        assert_eq!(collection_second(&db, &clock, 1_500, &mut i, scrambled), 0);
    }
    // Reads route by position too: a read of a low sort key charges the lower half.
    let before = db.capacity_view("Coll").unwrap().resources[0]
        .partitions
        .clone();
    db.get_item(GetItemInput {
        table_name: "Coll".into(),
        key: item(&[("pk", s("A")), ("sk", s("item#001"))]),
        consistent_read: Some(true),
        ..Default::default()
    })
    .unwrap();
    let after = db.capacity_view("Coll").unwrap().resources[0]
        .partitions
        .clone();
    let read_delta = |p: usize| after[p].read.consumed_units - before[p].read.consumed_units;
    let lower = parts
        .iter()
        .position(|p| p.hash_start == second[0].start_hash)
        .unwrap();
    assert_eq!(read_delta(lower), 1.0);
    assert_eq!(read_delta(lower + 1), 0.0);
}

#[test]
fn a_rising_sort_key_is_not_split_on() {
    let clock = ManualClock::new(T0);
    let db = db_at(&clock, true);
    db.create_table(collection_table()).unwrap();
    let mut i = 0;
    for _ in 0..60 {
        collection_second(&db, &clock, 1_500, &mut i, rising);
    }
    assert_eq!(
        db.run_capacity_splits().len(),
        1,
        "A's collection is isolated"
    );
    for _ in 0..60 {
        assert_eq!(collection_second(&db, &clock, 1_500, &mut i, rising), 500);
    }
    assert!(
        db.run_capacity_splits().is_empty(),
        "a cut would leave every next write above it"
    );
    assert_eq!(collection_second(&db, &clock, 1_500, &mut i, rising), 500);
}
