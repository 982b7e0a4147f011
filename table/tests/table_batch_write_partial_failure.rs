//! BatchWriteItem when one request fails part-way (here: an LSI item collection fills up).
//! Each request is atomic and the batch is not, so a batch that was partly applied must
//! never come back as an error: the failed request and those after it are returned in
//! `UnprocessedItems`, and only a retry in which nothing can be applied gets the error.

mod support;

use std::collections::BTreeMap;

use shale_table::types::Item;
use shale_table::*;
use support::*;

/// About 0.45 KB; with its ALL-projected LSI entry it counts about 0.9 KB.
fn big(sk: &str) -> Item {
    item(&[
        ("pk", s("t1")),
        ("sk", s(sk)),
        ("posted", n("1")),
        ("body", s(&"x".repeat(400))),
    ])
}

fn puts(items: Vec<Item>) -> BatchWriteItemInput {
    let requests = items
        .into_iter()
        .map(|item| WriteRequest {
            put_request: Some(PutRequest { item }),
            delete_request: None,
        })
        .collect();
    BatchWriteItemInput {
        request_items: BTreeMap::from([("Thread".to_string(), requests)]),
        ..BatchWriteItemInput::default()
    }
}

fn stored_sort_keys(db: &Database) -> Vec<String> {
    let mut keys: Vec<String> = db
        .scan(ScanInput {
            table_name: "Thread".into(),
            ..ScanInput::default()
        })
        .unwrap()
        .items
        .unwrap()
        .iter()
        .map(|it| match &it["sk"] {
            shale_table::types::AttributeValue::S(v) => v.clone(),
            other => panic!("sort key {other:?}"),
        })
        .collect();
    keys.sort();
    keys
}

fn unprocessed_sort_keys(out: &BatchWriteItemOutput) -> Vec<String> {
    out.unprocessed_items
        .get("Thread")
        .map(|rs| {
            rs.iter()
                .map(|r| match &r.put_request.as_ref().unwrap().item["sk"] {
                    shale_table::types::AttributeValue::S(v) => v.clone(),
                    other => panic!("sort key {other:?}"),
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_request_failing_after_others_were_applied_returns_the_rest_unprocessed() {
    for b in backends() {
        let db = open_with_collection_limit(&b, 2_000);
        // An LSI table keeps per-partition item-collection sizes.
        db.create_table(lsi_table(ProjectionType::All)).unwrap();

        let out = db
            .batch_write_item(puts(vec![big("a"), big("b"), big("c"), big("d")]))
            .unwrap_or_else(|e| panic!("{}: a partly applied batch is not an error: {e}", b.name));
        assert_eq!(stored_sort_keys(&db), ["a", "b"], "{}", b.name);
        assert_eq!(unprocessed_sort_keys(&out), ["c", "d"], "{}", b.name);

        // Retrying what came back applies nothing, so now the error is the answer.
        let retry = BatchWriteItemInput {
            request_items: out.unprocessed_items.clone(),
            ..BatchWriteItemInput::default()
        };
        let e = db.batch_write_item(retry).unwrap_err();
        assert_eq!(
            e.exception_name(),
            "ItemCollectionSizeLimitExceededException",
            "{}",
            b.name
        );
        assert_eq!(stored_sort_keys(&db), ["a", "b"], "{}", b.name);
    }
}
