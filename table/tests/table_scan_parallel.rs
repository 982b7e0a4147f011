//! Scan: hash order, Limit/ExclusiveStartKey paging, Select=COUNT, and parallel scan
//! segments that together return every item exactly once.

mod support;

use std::collections::BTreeSet;

use shale_table::types::Item;
use shale_table::*;
use support::*;

fn load(db: &Database, table: &str, count: usize) {
    db.create_table(simple_table(table, Some(ScalarAttributeType::N)))
        .unwrap();
    for i in 0..count {
        db.put_item(PutItemInput {
            table_name: table.into(),
            item: item(&[
                ("pk", s(&format!("user{}", i % 37))),
                ("sk", n(&i.to_string())),
                ("payload", s(&"x".repeat(i % 50))),
            ]),
            ..PutItemInput::default()
        })
        .unwrap();
    }
}

fn scan_all(db: &Database, base: ScanInput) -> (Vec<Item>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut start = None;
    loop {
        pages += 1;
        assert!(pages < 10_000, "paging does not terminate");
        let out = db
            .scan(ScanInput {
                exclusive_start_key: start.take(),
                ..base.clone()
            })
            .unwrap();
        items.extend(out.items.unwrap());
        match out.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return (items, pages),
        }
    }
}

fn keys(items: &[Item]) -> BTreeSet<(String, String)> {
    items
        .iter()
        .map(|i| (format!("{:?}", i["pk"]), format!("{:?}", i["sk"])))
        .collect()
}

#[test]
fn paged_scan_returns_every_item_once() {
    for_each_backend(|_, db| {
        load(&db, "Tbl", 300);
        let (items, pages) = scan_all(
            &db,
            ScanInput {
                table_name: "Tbl".into(),
                limit: Some(7),
                ..ScanInput::default()
            },
        );
        assert_eq!(items.len(), 300);
        assert_eq!(keys(&items).len(), 300);
        assert!(pages >= 300 / 7);
        // Items of one partition stay together, in sort-key order (hash order of pks).
        let first = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(first.count, 300);
        assert_eq!(first.scanned_count, 300);
        assert_eq!(first.last_evaluated_key, None);
    });
}

#[test]
fn limit_sets_last_evaluated_key_to_the_last_item() {
    for_each_backend(|_, db| {
        load(&db, "Tbl", 20);
        let out = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                limit: Some(5),
                ..ScanInput::default()
            })
            .unwrap();
        let items = out.items.unwrap();
        assert_eq!(items.len(), 5);
        assert_eq!(out.scanned_count, 5);
        let lek = out.last_evaluated_key.unwrap();
        assert_eq!(lek.len(), 2);
        assert_eq!(lek["pk"], items[4]["pk"]);
        assert_eq!(lek["sk"], items[4]["sk"]);
    });
}

#[test]
fn parallel_segments_partition_the_table() {
    for_each_backend(|_, db| {
        load(&db, "Tbl", 400);
        for total in [1, 2, 3, 8, 1000] {
            let mut seen = BTreeSet::new();
            let mut n_items = 0;
            for segment in 0..total {
                let (items, _) = scan_all(
                    &db,
                    ScanInput {
                        table_name: "Tbl".into(),
                        segment: Some(segment),
                        total_segments: Some(total),
                        limit: Some(50),
                        ..ScanInput::default()
                    },
                );
                n_items += items.len();
                seen.extend(keys(&items));
            }
            assert_eq!(n_items, 400, "total_segments={total}");
            assert_eq!(seen.len(), 400, "total_segments={total}");
        }
    });
}

#[test]
fn count_select_returns_no_items() {
    for_each_backend(|_, db| {
        load(&db, "Tbl", 10);
        let out = db
            .scan(ScanInput {
                table_name: "Tbl".into(),
                select: Some(Select::Count),
                ..ScanInput::default()
            })
            .unwrap();
        assert_eq!(out.items, None);
        assert_eq!(out.count, 10);
        let json = serde_json::to_value(&out).unwrap();
        assert!(json.get("Items").is_none());
    });
}

#[test]
fn segment_parameters_are_validated() {
    for_each_backend(|_, db| {
        load(&db, "Tbl", 1);
        let scan = |segment, total_segments| {
            db.scan(ScanInput {
                table_name: "Tbl".into(),
                segment,
                total_segments,
                ..ScanInput::default()
            })
        };
        for (seg, tot, needle) in [
            (Some(0), None, "TotalSegments parameter is required"),
            (None, Some(2), "Segment parameter is required"),
            (
                Some(2),
                Some(2),
                "must be less than parameter TotalSegments",
            ),
            (Some(0), Some(1_000_001), "less than or equal to 1000000"),
            (Some(0), Some(0), "greater than or equal to 1"),
        ] {
            let e = scan(seg, tot).unwrap_err();
            assert_eq!(e.exception_name(), "ValidationException");
            assert!(e.message().contains(needle), "{}", e.message());
        }
        assert!(scan(Some(999_999), Some(1_000_000)).is_ok());
    });
}

#[test]
fn a_page_stops_after_one_megabyte_read() {
    for_each_backend(|_, db| {
        db.create_table(simple_table("Big", None)).unwrap();
        let big = "y".repeat(100 * 1024);
        for i in 0..25 {
            db.put_item(PutItemInput {
                table_name: "Big".into(),
                item: item(&[("pk", s(&format!("k{i}"))), ("v", s(&big))]),
                ..PutItemInput::default()
            })
            .unwrap();
        }
        let out = db
            .scan(ScanInput {
                table_name: "Big".into(),
                ..ScanInput::default()
            })
            .unwrap();
        // ~100 KB each: the page ends at the item that crosses 1 MB.
        assert_eq!(out.scanned_count, 11);
        assert!(out.last_evaluated_key.is_some());
        let (items, pages) = scan_all(
            &db,
            ScanInput {
                table_name: "Big".into(),
                ..ScanInput::default()
            },
        );
        assert_eq!(items.len(), 25);
        assert_eq!(pages, 3);
    });
}
