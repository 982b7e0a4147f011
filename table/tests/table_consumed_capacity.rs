//! Consumed capacity of writes on tables with secondary indexes, by DynamoDB's rules
//! (Developer Guide, "Provisioned throughput considerations for GSIs" and the LSI
//! equivalent): an index is charged one write per started KB of its entry when the entry
//! appears, disappears or changes, two (delete + put) when its index key changes, and
//! nothing when neither its key nor its projected attributes change.

mod support;

use shale_table::types::Item;
use shale_table::*;
use support::*;

const TABLE: &str = "Cap";

fn table() -> CreateTableInput {
    let mut t = simple_table(TABLE, Some(ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    t.attribute_definitions
        .push(def("l", ScalarAttributeType::S));
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: "ByG".into(),
        key_schema: vec![hash("g")],
        projection: Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByL".into(),
        key_schema: vec![hash("pk"), range("l")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
    }]);
    t
}

/// The per-share units of a write: (table, GSI ByG, LSI ByL, total).
fn shares(c: &ConsumedCapacity) -> (f64, f64, f64, f64) {
    let table = c.table.as_ref().map_or(-1.0, |t| t.capacity_units);
    let idx = |m: &Option<std::collections::BTreeMap<String, Capacity>>, name: &str| {
        m.as_ref()
            .and_then(|m| m.get(name))
            .map_or(0.0, |c| c.capacity_units)
    };
    (
        table,
        idx(&c.global_secondary_indexes, "ByG"),
        idx(&c.local_secondary_indexes, "ByL"),
        c.capacity_units,
    )
}

fn put(db: &Database, it: Item) -> (f64, f64, f64, f64) {
    let out = db
        .put_item(PutItemInput {
            table_name: TABLE.into(),
            item: it,
            return_consumed_capacity: Some(ReturnConsumedCapacity::Indexes),
            ..PutItemInput::default()
        })
        .unwrap();
    shares(&out.consumed_capacity.unwrap())
}

fn row(pk: &str, g: Option<&str>, l: Option<&str>, pad: usize) -> Item {
    let mut it = item(&[("pk", s(pk)), ("sk", s("x")), ("pad", s(&"p".repeat(pad)))]);
    if let Some(g) = g {
        it.insert("g".into(), s(g));
    }
    if let Some(l) = l {
        it.insert("l".into(), s(l));
    }
    it
}

#[test]
fn index_writes_are_charged_per_entry_change() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        // New item in neither index: only the table (a 1.5 KB item: 2 WCU).
        assert_eq!(put(&db, row("a", None, None, 1500)), (2.0, 0.0, 0.0, 2.0));
        // Overwrite adding both index keys: the GSI entry (keys only, 1 WCU) and the LSI
        // entry (ALL: the whole 1.5 KB item, 2 WCU) appear.
        assert_eq!(
            put(&db, row("a", Some("g1"), Some("l1"), 1500)),
            (2.0, 1.0, 2.0, 5.0)
        );
        // Same keys, only the padding changes: the KEYS_ONLY GSI entry is untouched (0);
        // the ALL LSI entry changes in place (1 write of 2 WCU).
        assert_eq!(
            put(&db, row("a", Some("g1"), Some("l1"), 1400)),
            (2.0, 0.0, 2.0, 4.0)
        );
        // Both index keys change: delete + put in each index.
        assert_eq!(
            put(&db, row("a", Some("g2"), Some("l2"), 1400)),
            (2.0, 2.0, 4.0, 8.0)
        );
        // DeleteItem removes both entries: one write each.
        let out = db
            .delete_item(DeleteItemInput {
                table_name: TABLE.into(),
                key: item(&[("pk", s("a")), ("sk", s("x"))]),
                return_consumed_capacity: Some(ReturnConsumedCapacity::Indexes),
                ..DeleteItemInput::default()
            })
            .unwrap();
        assert_eq!(
            shares(&out.consumed_capacity.unwrap()),
            (2.0, 1.0, 2.0, 5.0)
        );
        // TOTAL reports the same sum without the breakdown.
        let out = db
            .put_item(PutItemInput {
                table_name: TABLE.into(),
                item: row("b", Some("g"), None, 10),
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
                ..PutItemInput::default()
            })
            .unwrap();
        let c = out.consumed_capacity.unwrap();
        assert_eq!(c.capacity_units, 2.0);
        assert!(c.table.is_none() && c.global_secondary_indexes.is_none());
    });
}

#[test]
fn an_lsi_query_fetching_unprojected_attributes_charges_the_table_per_item() {
    for_each_backend(|_, db| {
        let mut t = table();
        t.local_secondary_indexes.as_mut().unwrap()[0].projection = Projection {
            projection_type: Some(ProjectionType::KeysOnly),
            non_key_attributes: None,
        };
        db.create_table(t).unwrap();
        for sk in ["1", "2"] {
            let mut it = row("p", None, Some(sk), 3000);
            it.insert("sk".into(), s(sk));
            put(&db, it);
        }
        let out = db
            .query(QueryInput {
                table_name: TABLE.into(),
                index_name: Some("ByL".into()),
                key_condition_expression: Some("pk = :p".into()),
                expression_attribute_values: Some([(":p".to_string(), s("p"))].into()),
                select: Some(Select::AllAttributes),
                consistent_read: Some(true),
                return_consumed_capacity: Some(ReturnConsumedCapacity::Indexes),
                ..QueryInput::default()
            })
            .unwrap();
        assert_eq!(out.count, 2);
        // Two small keys-only entries: 1 RCU on the index; two 3 KB fetches: 1 RCU each.
        assert_eq!(
            shares(&out.consumed_capacity.unwrap()),
            (2.0, 0.0, 1.0, 3.0)
        );
    });
}
