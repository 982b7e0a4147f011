//! Local secondary indexes: maintained synchronously in the base write's batch (visible
//! at once), sorted by the alternate sort key, fetching non-projected attributes from the
//! table, and enforcing the item-collection size limit.

mod support;

use shale_table::types::Item;
use shale_table::*;
use support::*;

fn put(db: &Database, it: Item) -> Result<PutItemOutput, Error> {
    db.put_item(PutItemInput {
        table_name: "Thread".into(),
        item: it,
        ..PutItemInput::default()
    })
}

fn msg(pk: &str, sk: &str, posted: Option<&str>) -> Item {
    let mut it = item(&[("pk", s(pk)), ("sk", s(sk)), ("body", s("text"))]);
    if let Some(p) = posted {
        it.insert("posted".into(), n(p));
    }
    it
}

fn scan_lsi(db: &Database, select: Option<Select>) -> Vec<Item> {
    db.scan(ScanInput {
        table_name: "Thread".into(),
        index_name: Some("ByPosted".into()),
        select,
        ..ScanInput::default()
    })
    .unwrap()
    .items
    .unwrap()
}

#[test]
fn lsi_entries_are_visible_immediately_in_alternate_sort_order() {
    for_each_backend(|_, db| {
        db.create_table(lsi_table(ProjectionType::All)).unwrap();
        put(&db, msg("t1", "a", Some("30"))).unwrap();
        put(&db, msg("t1", "b", Some("10"))).unwrap();
        put(&db, msg("t1", "c", Some("20"))).unwrap();
        put(&db, msg("t1", "d", None)).unwrap(); // sparse
                                                 // No wait_for_indexes: LSIs are synchronous.
        let items = scan_lsi(&db, None);
        let sks: Vec<_> = items.iter().map(|i| i["sk"].clone()).collect();
        assert_eq!(sks, vec![s("b"), s("c"), s("a")]);
        // Moving an item's LSI key re-sorts it; deleting removes it.
        put(&db, msg("t1", "b", Some("99"))).unwrap();
        db.delete_item(DeleteItemInput {
            table_name: "Thread".into(),
            key: item(&[("pk", s("t1")), ("sk", s("c"))]),
            ..DeleteItemInput::default()
        })
        .unwrap();
        let sks: Vec<_> = scan_lsi(&db, None)
            .iter()
            .map(|i| i["sk"].clone())
            .collect();
        assert_eq!(sks, vec![s("a"), s("b")]);
    });
}

#[test]
fn keys_only_lsi_fetches_all_attributes_from_the_table_on_request() {
    for_each_backend(|_, db| {
        db.create_table(lsi_table(ProjectionType::KeysOnly))
            .unwrap();
        put(&db, msg("t1", "a", Some("1"))).unwrap();
        assert_eq!(
            scan_lsi(&db, None),
            vec![item(&[("pk", s("t1")), ("sk", s("a")), ("posted", n("1"))])]
        );
        assert_eq!(
            scan_lsi(&db, Some(Select::AllAttributes)),
            vec![msg("t1", "a", Some("1"))]
        );
        // A projection naming an attribute the entries lack reads it from the table too;
        // one the entries have needs no fetch and gives the same answer.
        let query = |projection: &str| {
            db.query(QueryInput {
                table_name: "Thread".into(),
                index_name: Some("ByPosted".into()),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: Some([(":p".to_string(), s("t1"))].into()),
                projection_expression: Some(projection.into()),
                ..QueryInput::default()
            })
            .unwrap()
            .items
            .unwrap()
        };
        assert_eq!(
            query("sk, body"),
            vec![item(&[("sk", s("a")), ("body", s("text"))])]
        );
        assert_eq!(query("posted"), vec![item(&[("posted", n("1"))])]);
    });
}

#[test]
fn item_collection_limit_is_enforced_per_partition() {
    for b in backends() {
        let db = open_with_collection_limit(&b, 2_000);
        db.create_table(lsi_table(ProjectionType::All)).unwrap();
        let big = |sk: &str| {
            let mut it = msg("t1", sk, Some("1"));
            it.insert("body".into(), s(&"x".repeat(400)));
            it
        };
        // Each item counts twice (base + ALL-projected LSI entry): ~0.9 KB.
        put(&db, big("a")).unwrap();
        put(&db, big("b")).unwrap();
        let e = put(&db, big("c")).unwrap_err();
        assert_eq!(
            e.exception_name(),
            "ItemCollectionSizeLimitExceededException",
            "{}",
            b.name
        );
        // Another partition has its own collection.
        let mut other = big("a");
        other.insert("pk".into(), s("t2"));
        put(&db, other).unwrap();
        // Shrinking is always allowed, and frees room.
        db.delete_item(DeleteItemInput {
            table_name: "Thread".into(),
            key: item(&[("pk", s("t1")), ("sk", s("a"))]),
            ..DeleteItemInput::default()
        })
        .unwrap();
        put(&db, big("c")).unwrap();
        // The rejected write left nothing behind.
        assert_eq!(scan_lsi(&db, None).len(), 3);
    }
}

#[test]
fn lsi_requires_a_composite_table_key_and_the_same_partition_key() {
    for_each_backend(|_, db| {
        let mut hash_only = lsi_table(ProjectionType::All);
        hash_only.key_schema.truncate(1);
        hash_only
            .attribute_definitions
            .retain(|d| d.attribute_name != "sk");
        let e = db.create_table(hash_only).unwrap_err();
        assert!(
            e.message()
                .contains("Table KeySchema does not have a range key"),
            "{}",
            e.message()
        );
        let mut other_hash = lsi_table(ProjectionType::All);
        other_hash.local_secondary_indexes.as_mut().unwrap()[0].key_schema[0] = hash("posted");
        other_hash.local_secondary_indexes.as_mut().unwrap()[0].key_schema[1] = range("sk");
        let e = db.create_table(other_hash).unwrap_err();
        assert!(
            e.message().contains("same leading hash key"),
            "{}",
            e.message()
        );
    });
}
