//! ReturnItemCollectionMetrics = SIZE on PutItem, UpdateItem, DeleteItem and
//! BatchWriteItem: for a table with LSIs, the written item collection's partition key
//! and DynamoDB's 1 GB size-estimate range; nothing for a table without LSIs or when not
//! asked.

mod support;

use shale_table::*;
use support::*;

fn metrics_of(pk: &str) -> ItemCollectionMetrics {
    ItemCollectionMetrics {
        item_collection_key: item(&[("pk", s(pk))]),
        size_estimate_range_gb: vec![0.0, 1.0],
    }
}

#[test]
fn single_item_writes_report_their_collection() {
    for_each_backend(|_, db| {
        db.create_table(lsi_table(ProjectionType::All)).unwrap();
        db.create_table(simple_table("Plain", None)).unwrap();
        let size = Some(ReturnItemCollectionMetrics::Size);
        let put = db
            .put_item(PutItemInput {
                table_name: "Thread".into(),
                item: item(&[("pk", s("a")), ("sk", s("1")), ("posted", n("5"))]),
                return_item_collection_metrics: size,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(put.item_collection_metrics, Some(metrics_of("a")));
        let key = item(&[("pk", s("a")), ("sk", s("1"))]);
        let update = db
            .update_item(UpdateItemInput {
                table_name: "Thread".into(),
                key: key.clone(),
                update_expression: Some("SET posted = :p".into()),
                expression_attribute_values: vals(&[(":p", n("6"))]),
                return_item_collection_metrics: size,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(update.item_collection_metrics, Some(metrics_of("a")));
        let delete = db
            .delete_item(DeleteItemInput {
                table_name: "Thread".into(),
                key,
                return_item_collection_metrics: size,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(delete.item_collection_metrics, Some(metrics_of("a")));
        // Not asked, or no LSIs: none.
        let quiet = db
            .put_item(PutItemInput {
                table_name: "Thread".into(),
                item: item(&[("pk", s("b")), ("sk", s("1"))]),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(quiet.item_collection_metrics, None);
        let plain = db
            .put_item(PutItemInput {
                table_name: "Plain".into(),
                item: item(&[("pk", s("b"))]),
                return_item_collection_metrics: size,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(plain.item_collection_metrics, None);
    });
}

#[test]
fn batch_writes_report_each_collection_once() {
    for_each_backend(|_, db| {
        db.create_table(lsi_table(ProjectionType::All)).unwrap();
        let put = |pk: &str, sk: &str| WriteRequest {
            put_request: Some(PutRequest {
                item: item(&[("pk", s(pk)), ("sk", s(sk))]),
            }),
            delete_request: None,
        };
        let out = db
            .batch_write_item(BatchWriteItemInput {
                request_items: [(
                    "Thread".to_string(),
                    vec![put("a", "1"), put("a", "2"), put("b", "1")],
                )]
                .into(),
                return_consumed_capacity: None,
                return_item_collection_metrics: Some(ReturnItemCollectionMetrics::Size),
            })
            .unwrap();
        let metrics = out.item_collection_metrics.expect("asked for");
        assert_eq!(metrics["Thread"], [metrics_of("a"), metrics_of("b")]);
    });
}
