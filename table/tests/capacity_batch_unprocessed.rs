//! A throttled BatchWriteItem or BatchGetItem returns the members capacity refused as
//! unprocessed and does the rest; only a batch of which nothing could be done fails with
//! the throttle, as DynamoDB's does.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_io::clock::ManualClock;
use shale_table::capacity::FixedShare;
use shale_table::{
    BatchGetItemInput, BatchWriteItemInput, Error, KeysAndAttributes, PutRequest, WriteRequest,
};
use support::*;

fn setup() -> (ManualClock, shale_table::Database) {
    let clock = ManualClock::new(1_700_000_000_000_000);
    let db = capacity_db(&clock, empty_buckets(Arc::new(FixedShare)));
    db.create_table(provisioned_table("Batch", 5, 5)).unwrap();
    (clock, db)
}

fn puts(keys: std::ops::Range<usize>) -> BatchWriteItemInput {
    let requests = keys
        .map(|i| WriteRequest {
            put_request: Some(PutRequest {
                item: item(&[("pk", s(&format!("k{i}")))]),
            }),
            delete_request: None,
        })
        .collect();
    BatchWriteItemInput {
        request_items: BTreeMap::from([("Batch".to_string(), requests)]),
        ..Default::default()
    }
}

#[test]
fn a_throttled_batch_write_returns_the_refused_puts_unprocessed() {
    let (clock, db) = setup();
    clock.advance_secs(1); // 5 WCU
    let out = db.batch_write_item(puts(0..10)).expect("partly done");
    let unprocessed = &out.unprocessed_items["Batch"];
    assert_eq!(unprocessed.len(), 5);
    // The first five were applied, the last five came back.
    assert!(get_item_exists(&db, "k4"));
    assert!(!get_item_exists(&db, "k5"));
    // Nothing can be done now: the batch fails with the throttle.
    let e = db.batch_write_item(puts(10..12)).unwrap_err();
    assert!(
        matches!(e, Error::ProvisionedThroughputExceeded { .. }),
        "{e:?}"
    );
    // Retrying the unprocessed members after a second applies them.
    clock.advance_secs(1);
    let retry = BatchWriteItemInput {
        request_items: out.unprocessed_items,
        ..Default::default()
    };
    let again = db.batch_write_item(retry).unwrap();
    assert!(again.unprocessed_items.is_empty());
}

#[test]
fn a_throttled_batch_get_returns_the_refused_keys_unprocessed() {
    let (clock, db) = setup();
    clock.advance_secs(3); // 15 RCU and 15 WCU
    for i in 0..10 {
        put_small(&db, "Batch", &format!("k{i}")).unwrap();
    }
    // Reads are admitted on a positive balance and charged after: 15 RCU serve 15
    // strongly consistent reads, and the 16th key... one batch of 10 now, then 10 more.
    let get = |n: usize| BatchGetItemInput {
        request_items: BTreeMap::from([(
            "Batch".to_string(),
            KeysAndAttributes {
                keys: (0..n)
                    .map(|i| item(&[("pk", s(&format!("k{i}")))]))
                    .collect(),
                consistent_read: Some(true),
                ..Default::default()
            },
        )]),
        ..Default::default()
    };
    let first = db.batch_get_item(get(10)).unwrap();
    assert_eq!(first.responses["Batch"].len(), 10);
    assert!(first.unprocessed_keys.is_empty());
    let second = db.batch_get_item(get(10)).unwrap();
    assert_eq!(second.responses["Batch"].len(), 5);
    assert_eq!(second.unprocessed_keys["Batch"].keys.len(), 5);
    let e = db.batch_get_item(get(3)).unwrap_err();
    assert!(
        matches!(e, Error::ProvisionedThroughputExceeded { .. }),
        "{e:?}"
    );
}

fn get_item_exists(db: &shale_table::Database, pk: &str) -> bool {
    // Reads on their own table's capacity: give them time.
    db.get_item(shale_table::GetItemInput {
        table_name: "Batch".into(),
        key: item(&[("pk", s(pk))]),
        ..Default::default()
    })
    .expect("read admitted")
    .item
    .is_some()
}
