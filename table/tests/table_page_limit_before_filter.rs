//! The 1 MB page limit of Query and Scan is measured on items *read*, before the
//! FilterExpression (DynamoDB: "the 1 MB limit applies before the filter expression is
//! evaluated"). With ~3 MB of ~100 KB items in one partition and a filter that matches
//! nothing, a page must still stop after about 1 MB: Count 0, 0 < ScannedCount < total,
//! and a LastEvaluatedKey to resume from; paging to the end must read every item exactly
//! once (ScannedCounts sum to the item count). A filter that drops everything must not
//! turn one request into a read of the whole partition.

mod support;

use shale_table::types::{item_size_bytes, Item};
use shale_table::*;
use support::*;

const ITEMS: usize = 30;
const BLOB_BYTES: usize = 100_000;
const MB: usize = 1024 * 1024;

fn big_item(i: usize) -> Item {
    item(&[
        ("pk", s("p")),
        ("sk", n(&i.to_string())),
        ("kind", s("blob")),
        ("blob", s(&"x".repeat(BLOB_BYTES))),
    ])
}

/// Creates the table and writes `ITEMS` items of ~100 KB into one partition; returns the
/// size of one item by DynamoDB's rules (they differ by at most a byte).
fn setup(db: &Database) -> usize {
    db.create_table(simple_table("Big", Some(ScalarAttributeType::N)))
        .unwrap();
    for i in 0..ITEMS {
        db.put_item(PutItemInput {
            table_name: "Big".into(),
            item: big_item(i),
            ..PutItemInput::default()
        })
        .unwrap();
    }
    item_size_bytes(&big_item(ITEMS - 1))
}

/// Checks one page that stopped on the byte limit: it read just enough items to reach
/// 1 MB.
fn assert_full_page(out: &QueryOutput, item_bytes: usize, what: &str) {
    let scanned = out.scanned_count as usize;
    assert_eq!(out.count, 0, "{what}: the filter matches nothing");
    assert_eq!(out.items.as_ref().map(Vec::len), Some(0), "{what}");
    assert!(
        scanned > 0 && scanned < ITEMS,
        "{what}: ScannedCount {scanned} of {ITEMS}"
    );
    assert!(
        scanned * item_bytes >= MB - scanned && (scanned - 1) * item_bytes < MB,
        "{what}: {scanned} items of {item_bytes} bytes is not 'about 1 MB'"
    );
    assert!(
        out.last_evaluated_key.is_some(),
        "{what}: no LastEvaluatedKey"
    );
}

/// Pages `read` to the end; returns the ScannedCount of every page and the total Count.
fn page_to_end(mut read: impl FnMut(Option<Item>) -> QueryOutput) -> (Vec<i64>, i64) {
    let mut start = None;
    let mut scanned = Vec::new();
    let mut count = 0;
    for _ in 0..=ITEMS + 1 {
        let out = read(start.take());
        scanned.push(out.scanned_count);
        count += out.count;
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return (scanned, count),
        }
    }
    panic!("paging did not terminate: {scanned:?}");
}

fn query_nothing(start: Option<Item>) -> QueryInput {
    QueryInput {
        table_name: "Big".into(),
        key_condition_expression: Some("pk = :p".into()),
        filter_expression: Some("kind = :k".into()),
        expression_attribute_values: vals(&[(":p", s("p")), (":k", s("no such kind"))]),
        exclusive_start_key: start,
        ..QueryInput::default()
    }
}

fn scan_nothing(start: Option<Item>) -> ScanInput {
    ScanInput {
        table_name: "Big".into(),
        filter_expression: Some("attribute_exists(no_such_attr)".into()),
        exclusive_start_key: start,
        ..ScanInput::default()
    }
}

#[test]
fn query_stops_at_one_megabyte_read_even_when_the_filter_drops_everything() {
    for_each_backend(|_, db| {
        let item_bytes = setup(&db);
        let first = db.query(query_nothing(None)).unwrap();
        assert_full_page(&first, item_bytes, "query page 1");
        let resumed = first.last_evaluated_key.clone().unwrap();
        let k = (first.scanned_count - 1).to_string();
        assert_eq!(resumed, item(&[("pk", s("p")), ("sk", n(&k))]));

        let (pages, count) = page_to_end(|start| db.query(query_nothing(start)).unwrap());
        assert_eq!(count, 0);
        assert_eq!(pages.iter().sum::<i64>(), ITEMS as i64, "{pages:?}");
        assert!(pages.len() >= 3, "3 MB needs at least 3 pages: {pages:?}");

        // Backwards, the same limit applies.
        let back = db
            .query(QueryInput {
                scan_index_forward: Some(false),
                ..query_nothing(None)
            })
            .unwrap();
        assert_full_page(&back, item_bytes, "reverse query");
    });
}

#[test]
fn scan_stops_at_one_megabyte_read_even_when_the_filter_drops_everything() {
    for_each_backend(|_, db| {
        let item_bytes = setup(&db);
        let first = db.scan(scan_nothing(None)).unwrap();
        assert_full_page(&first, item_bytes, "scan page 1");

        let (pages, count) = page_to_end(|start| db.scan(scan_nothing(start)).unwrap());
        assert_eq!(count, 0);
        assert_eq!(pages.iter().sum::<i64>(), ITEMS as i64, "{pages:?}");
        assert!(pages.len() >= 3, "3 MB needs at least 3 pages: {pages:?}");
        // Every page but the last stopped on the byte limit.
        for (i, p) in pages[..pages.len() - 1].iter().enumerate() {
            let p = *p as usize;
            assert!(
                p * item_bytes >= MB - p && (p - 1) * item_bytes < MB,
                "page {i}: {pages:?}"
            );
        }
    });
}

#[test]
fn a_matching_filter_pages_the_same_way() {
    // Control: the page boundaries do not depend on what the filter keeps.
    for_each_backend(|_, db| {
        setup(&db);
        let all = |start: Option<Item>| QueryInput {
            expression_attribute_values: vals(&[(":p", s("p")), (":k", s("blob"))]),
            ..query_nothing(start)
        };
        let (kept, kept_count) = page_to_end(|start| db.query(all(start)).unwrap());
        let (dropped, _) = page_to_end(|start| db.query(query_nothing(start)).unwrap());
        assert_eq!(kept, dropped);
        assert_eq!(kept_count, ITEMS as i64);
    });
}
