//! Model-based test: random table operations against a naive model (a `BTreeMap` of
//! items, with index views recomputed from it), on MemBackend and on the LSM engine over
//! FaultFs with reopens and power cuts. Operations: puts (plain and conditional), update
//! expressions (SET with arithmetic and if_not_exists, REMOVE, ADD/DELETE on a string set,
//! a nested map path), conditional deletes, queries on the table, an LSI and two GSIs
//! (ALL and KEYS_ONLY), paged parallel scans, batches, and transactions (TransactWriteItems
//! of puts, deletes, conditioned increments and condition checks, with the model deciding
//! every cancellation reason; TransactGetItems). Every read must agree with the
//! model (collections compared as multisets); GSI reads agree after `wait_for_indexes()`.
//! proptest prints the failing case (and its seed) for replay.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use proptest::prelude::*;
use shale_engine::{Backend, MemBackend};
use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const PKS: u8 = 4;
const SKS: u8 = 6;
const GS: u8 = 3;
const TABLE: &str = "Model";

#[derive(Debug, Clone)]
enum Op {
    Put {
        pk: u8,
        sk: u8,
        a: Option<i8>,
        g: Option<u8>,
    },
    PutIfAbsent {
        pk: u8,
        sk: u8,
        a: i8,
    },
    Update {
        pk: u8,
        sk: u8,
        delta: i8,
        g: Option<Option<u8>>,
    },
    Delete {
        pk: u8,
        sk: u8,
        if_a_below: Option<i8>,
    },
    Query {
        pk: u8,
        forward: bool,
        limit: u8,
    },
    QueryLsi {
        pk: u8,
        forward: bool,
        limit: u8,
    },
    QueryGsi {
        g: u8,
        limit: u8,
    },
    Scan {
        limit: u8,
        segments: u8,
    },
    BatchWrite {
        writes: Vec<(u8, u8, Option<i8>)>,
    },
    BatchGet {
        keys: Vec<(u8, u8)>,
    },
    /// `ADD tags :t` or `DELETE tags :t` with a one-element string set.
    Tags {
        pk: u8,
        sk: u8,
        add: bool,
        tag: u8,
    },
    /// `SET m.x = :v`: valid only when the item has the map `m`.
    SetNested {
        pk: u8,
        sk: u8,
        v: i8,
    },
    QueryGsiKeysOnly {
        g: u8,
    },
    /// TransactWriteItems of these actions (an item twice is a ValidationException).
    Transact {
        actions: Vec<(u8, u8, TxAction)>,
    },
    /// TransactGetItems of these keys.
    TransactGet {
        keys: Vec<(u8, u8)>,
    },
    /// PartiQL `SELECT * FROM Model [WHERE pk = ? [AND sk > ?]] [AND a >= ?]` (a query
    /// with a partition, else a scan; optionally on the LSI), paged by Limit/NextToken.
    PartiqlSelect {
        pk: Option<u8>,
        sk_above: Option<u8>,
        min_a: Option<i8>,
        on_lsi: bool,
        limit: u8,
    },
    Reopen,
    /// Power cut (FaultFs drops everything unsynced) and reopen: every acknowledged write
    /// was synced, so the model is unchanged.
    Crash,
}

/// One action of an [`Op::Transact`].
#[derive(Debug, Clone)]
enum TxAction {
    /// Put the whole item, unconditionally.
    Put { a: Option<i8>, g: Option<u8> },
    /// Delete, unconditionally.
    Delete,
    /// `SET a = if_not_exists(a, :z) + :d` if the item exists.
    Add { delta: i8 },
    /// ConditionCheck `attribute_exists(pk)`.
    CheckExists,
}

fn tx_action() -> impl Strategy<Value = TxAction> {
    prop_oneof![
        (
            proptest::option::of(any::<i8>()),
            proptest::option::of(0..GS)
        )
            .prop_map(|(a, g)| TxAction::Put { a, g }),
        Just(TxAction::Delete),
        any::<i8>().prop_map(|delta| TxAction::Add { delta }),
        Just(TxAction::CheckExists),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let pk = 0..PKS;
    let sk = 0..SKS;
    prop_oneof![
        4 => (pk.clone(), sk.clone(), proptest::option::of(any::<i8>()), proptest::option::of(0..GS))
            .prop_map(|(pk, sk, a, g)| Op::Put { pk, sk, a, g }),
        1 => (pk.clone(), sk.clone(), any::<i8>()).prop_map(|(pk, sk, a)| Op::PutIfAbsent { pk, sk, a }),
        3 => (pk.clone(), sk.clone(), any::<i8>(), proptest::option::of(proptest::option::of(0..GS)))
            .prop_map(|(pk, sk, delta, g)| Op::Update { pk, sk, delta, g }),
        2 => (pk.clone(), sk.clone(), proptest::option::of(any::<i8>()))
            .prop_map(|(pk, sk, if_a_below)| Op::Delete { pk, sk, if_a_below }),
        2 => (pk.clone(), any::<bool>(), 1..5u8).prop_map(|(pk, forward, limit)| Op::Query { pk, forward, limit }),
        1 => (pk.clone(), any::<bool>(), 1..5u8).prop_map(|(pk, forward, limit)| Op::QueryLsi { pk, forward, limit }),
        1 => (0..GS, 1..5u8).prop_map(|(g, limit)| Op::QueryGsi { g, limit }),
        1 => (1..7u8, 1..4u8).prop_map(|(limit, segments)| Op::Scan { limit, segments }),
        1 => proptest::collection::vec((pk.clone(), sk.clone(), proptest::option::of(any::<i8>())), 1..6)
            .prop_map(|writes| Op::BatchWrite { writes }),
        1 => proptest::collection::vec((pk.clone(), sk.clone()), 1..6).prop_map(|keys| Op::BatchGet { keys }),
        2 => (pk.clone(), sk.clone(), any::<bool>(), 0..3u8).prop_map(|(pk, sk, add, tag)| Op::Tags { pk, sk, add, tag }),
        1 => (pk, sk, any::<i8>()).prop_map(|(pk, sk, v)| Op::SetNested { pk, sk, v }),
        1 => (0..GS).prop_map(|g| Op::QueryGsiKeysOnly { g }),
        2 => proptest::collection::vec((0..PKS, 0..SKS, tx_action()), 1..5)
            .prop_map(|actions| Op::Transact { actions }),
        1 => proptest::collection::vec((0..PKS, 0..SKS), 1..5).prop_map(|keys| Op::TransactGet { keys }),
        2 => (proptest::option::of(0..PKS), proptest::option::of(0..SKS), proptest::option::of(any::<i8>()), any::<bool>(), 1..6u8)
            .prop_map(|(pk, sk_above, min_a, on_lsi, limit)| Op::PartiqlSelect { pk, sk_above, min_a, on_lsi, limit }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
    ]
}

fn key(pk: u8, sk: u8) -> Item {
    item(&[("pk", s(&format!("p{pk}"))), ("sk", n(&sk.to_string()))])
}

fn full(pk: u8, sk: u8, a: Option<i64>, g: Option<u8>) -> Item {
    let mut it = key(pk, sk);
    it.insert("m".into(), AttributeValue::M(BTreeMap::new()));
    if let Some(a) = a {
        it.insert("a".into(), n(&a.to_string()));
    }
    if let Some(g) = g {
        it.insert("g".into(), s(&format!("g{g}")));
    }
    it
}

fn num(v: &AttributeValue) -> i64 {
    match v {
        AttributeValue::N(x) => x.to_string().parse().unwrap(),
        other => panic!("not a number: {other:?}"),
    }
}

fn table_def() -> CreateTableInput {
    let mut t = simple_table(TABLE, Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("a", ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("g", ScalarAttributeType::S));
    let all = Projection {
        projection_type: Some(ProjectionType::All),
        non_key_attributes: None,
    };
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByA".into(),
        key_schema: vec![hash("pk"), range("a")],
        projection: all.clone(),
    }]);
    t.global_secondary_indexes = Some(vec![
        GlobalSecondaryIndex {
            index_name: "ByG".into(),
            key_schema: vec![hash("g"), range("sk")],
            projection: all,
            provisioned_throughput: None,
            on_demand_throughput: None,
            warm_throughput: None,
        },
        GlobalSecondaryIndex {
            index_name: "ByGKeys".into(),
            key_schema: vec![hash("g")],
            projection: Projection {
                projection_type: Some(ProjectionType::KeysOnly),
                non_key_attributes: None,
            },
            provisioned_throughput: None,
            on_demand_throughput: None,
            warm_throughput: None,
        },
    ]);
    t
}

/// `item` with its set attributes in a canonical order (sets have no defined order).
fn normalised(mut item: Item) -> Item {
    for v in item.values_mut() {
        match v {
            AttributeValue::Ss(x) => x.sort(),
            AttributeValue::Ns(x) => x.sort(),
            AttributeValue::Bs(x) => x.sort(),
            _ => {}
        }
    }
    item
}

/// Items sorted by their (normalised) debug form: compares collections as multisets, so
/// a duplicate or a missing item shows, whatever the order.
fn sorted(items: impl IntoIterator<Item = Item>) -> Vec<String> {
    let mut v: Vec<String> = items
        .into_iter()
        .map(|i| format!("{:?}", normalised(i)))
        .collect();
    v.sort();
    v
}

type Model = BTreeMap<(u8, u8), Item>;

fn vals(pairs: &[(&str, AttributeValue)]) -> Option<BTreeMap<String, AttributeValue>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

/// Pages a query to the end, checking every page respects the limit.
fn query_all(db: &Database, base: QueryInput, limit: u8) -> Vec<Item> {
    let mut out = Vec::new();
    let mut start = None;
    for _ in 0..200 {
        let page = db
            .query(QueryInput {
                exclusive_start_key: start.take(),
                limit: Some(i64::from(limit)),
                ..base.clone()
            })
            .unwrap();
        assert!(page.scanned_count <= i64::from(limit));
        out.extend(page.items.unwrap().into_iter().map(normalised));
        match page.last_evaluated_key {
            Some(k) => start = Some(k),
            None => return out,
        }
    }
    panic!("query paging does not terminate");
}

struct Harness {
    fault: Option<FaultLsm>,
    db: Option<Database>,
}

impl Harness {
    fn open(backend: Arc<dyn Backend>) -> Database {
        Database::open(backend, options()).unwrap()
    }

    fn db(&self) -> &Database {
        self.db.as_ref().unwrap()
    }

    fn reopen(&mut self) {
        if let Some(f) = &self.fault {
            self.db = None; // drops the database, then the LSM engine
            self.db = Some(Self::open(f.open()));
        }
    }

    fn crash(&mut self) {
        if let Some(f) = &self.fault {
            f.fs.crash();
            self.db = None;
            self.db = Some(Self::open(f.open()));
        }
    }
}

fn run(ops: Vec<Op>, lsm: bool) {
    let fault = lsm.then(FaultLsm::new);
    let backend: Arc<dyn Backend> = match &fault {
        Some(f) => f.open(),
        None => Arc::new(MemBackend::new()),
    };
    let mut h = Harness {
        db: Some(Harness::open(backend)),
        fault,
    };
    h.db().create_table(table_def()).unwrap();
    let mut model: Model = BTreeMap::new();
    for op in ops {
        let db = h.db();
        match op {
            Op::Put { pk, sk, a, g } => {
                let it = full(pk, sk, a.map(i64::from), g);
                db.put_item(PutItemInput {
                    table_name: TABLE.into(),
                    item: it.clone(),
                    ..PutItemInput::default()
                })
                .unwrap();
                model.insert((pk, sk), it);
            }
            Op::PutIfAbsent { pk, sk, a } => {
                let it = full(pk, sk, Some(i64::from(a)), None);
                let r = db.put_item(PutItemInput {
                    table_name: TABLE.into(),
                    item: it.clone(),
                    condition_expression: Some("attribute_not_exists(pk)".into()),
                    ..PutItemInput::default()
                });
                match model.entry((pk, sk)) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        assert!(matches!(r, Err(Error::ConditionalCheckFailed { .. })));
                    }
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        r.unwrap();
                        slot.insert(it);
                    }
                }
            }
            Op::Update { pk, sk, delta, g } => {
                let mut expr = "SET a = if_not_exists(a, :z) + :d".to_string();
                let mut v = vec![(":z", n("0")), (":d", n(&delta.to_string()))];
                match g {
                    Some(Some(g)) => {
                        expr.push_str(", g = :g");
                        v.push((":g", s(&format!("g{g}"))));
                    }
                    Some(None) => expr.push_str(" REMOVE g"),
                    None => {}
                }
                let out = db
                    .update_item(UpdateItemInput {
                        table_name: TABLE.into(),
                        key: key(pk, sk),
                        update_expression: Some(expr),
                        expression_attribute_values: vals(&v),
                        return_values: Some(ReturnValue::AllNew),
                        ..UpdateItemInput::default()
                    })
                    .unwrap();
                let entry = model.entry((pk, sk)).or_insert_with(|| key(pk, sk));
                let a = entry.get("a").map_or(0, num) + i64::from(delta);
                entry.insert("a".into(), n(&a.to_string()));
                match g {
                    Some(Some(g)) => {
                        entry.insert("g".into(), s(&format!("g{g}")));
                    }
                    Some(None) => {
                        entry.remove("g");
                    }
                    None => {}
                }
                assert_eq!(out.attributes.map(normalised).as_ref(), Some(&*entry));
            }
            Op::Delete { pk, sk, if_a_below } => {
                let r = db.delete_item(DeleteItemInput {
                    table_name: TABLE.into(),
                    key: key(pk, sk),
                    condition_expression: if_a_below.map(|_| "a < :lim".to_string()),
                    expression_attribute_values: if_a_below
                        .and_then(|l| vals(&[(":lim", n(&l.to_string()))])),
                    return_values: Some(ReturnValue::AllOld),
                    ..DeleteItemInput::default()
                });
                let holds = match (if_a_below, model.get(&(pk, sk))) {
                    (None, _) => true,
                    (Some(l), Some(it)) => it.get("a").is_some_and(|a| num(a) < i64::from(l)),
                    (Some(_), None) => false,
                };
                if holds {
                    assert_eq!(
                        r.unwrap().attributes.map(normalised),
                        model.remove(&(pk, sk))
                    );
                } else {
                    assert!(
                        matches!(r, Err(Error::ConditionalCheckFailed { .. })),
                        "{r:?}"
                    );
                }
            }
            Op::Query { pk, forward, limit } => {
                let got = query_all(
                    db,
                    QueryInput {
                        table_name: TABLE.into(),
                        key_condition_expression: Some("pk = :p".into()),
                        expression_attribute_values: vals(&[(":p", s(&format!("p{pk}")))]),
                        scan_index_forward: Some(forward),
                        ..QueryInput::default()
                    },
                    limit,
                );
                let mut want: Vec<Item> = model
                    .range((pk, 0)..(pk + 1, 0))
                    .map(|(_, v)| v.clone())
                    .collect();
                if !forward {
                    want.reverse();
                }
                assert_eq!(got, want);
            }
            Op::QueryLsi { pk, forward, limit } => {
                let got = query_all(
                    db,
                    QueryInput {
                        table_name: TABLE.into(),
                        index_name: Some("ByA".into()),
                        key_condition_expression: Some("pk = :p".into()),
                        expression_attribute_values: vals(&[(":p", s(&format!("p{pk}")))]),
                        scan_index_forward: Some(forward),
                        consistent_read: Some(true),
                        ..QueryInput::default()
                    },
                    limit,
                );
                let mut want: Vec<(i64, u8, Item)> = model
                    .range((pk, 0)..(pk + 1, 0))
                    .filter_map(|((_, sk), v)| v.get("a").map(|a| (num(a), *sk, v.clone())))
                    .collect();
                want.sort_by_key(|(a, sk, _)| (*a, *sk));
                if !forward {
                    want.reverse();
                }
                assert_eq!(got, want.into_iter().map(|w| w.2).collect::<Vec<_>>());
            }
            Op::QueryGsi { g, limit } => {
                db.wait_for_indexes().unwrap();
                let got = query_all(
                    db,
                    QueryInput {
                        table_name: TABLE.into(),
                        index_name: Some("ByG".into()),
                        key_condition_expression: Some("g = :g".into()),
                        expression_attribute_values: vals(&[(":g", s(&format!("g{g}")))]),
                        ..QueryInput::default()
                    },
                    limit,
                );
                let gv = s(&format!("g{g}"));
                let mut want: Vec<((u8, u8), Item)> = model
                    .iter()
                    .filter(|(_, v)| v.get("g") == Some(&gv))
                    .map(|(k, v)| (*k, v.clone()))
                    .collect();
                // Index order: sort key, then the base key's encoding (pk string, sk).
                want.sort_by_key(|((pk, sk), _)| (*sk, format!("p{pk}")));
                assert_eq!(got, want.into_iter().map(|w| w.1).collect::<Vec<_>>());
            }
            Op::Scan { limit, segments } => {
                let mut got = Vec::new();
                for segment in 0..segments {
                    let mut start = None;
                    for round in 0.. {
                        assert!(round < 500, "scan paging does not terminate");
                        let page = db
                            .scan(ScanInput {
                                table_name: TABLE.into(),
                                limit: Some(i64::from(limit)),
                                segment: Some(i64::from(segment)),
                                total_segments: Some(i64::from(segments)),
                                exclusive_start_key: start.take(),
                                ..ScanInput::default()
                            })
                            .unwrap();
                        got.extend(page.items.unwrap());
                        match page.last_evaluated_key {
                            Some(k) => start = Some(k),
                            None => break,
                        }
                    }
                }
                assert_eq!(sorted(got), sorted(model.values().cloned()));
            }
            Op::BatchWrite { writes } => {
                let unique: BTreeSet<(u8, u8)> = writes.iter().map(|w| (w.0, w.1)).collect();
                let requests: Vec<WriteRequest> = writes
                    .iter()
                    .map(|&(pk, sk, a)| match a {
                        Some(a) => WriteRequest {
                            put_request: Some(PutRequest {
                                item: full(pk, sk, Some(i64::from(a)), None),
                            }),
                            delete_request: None,
                        },
                        None => WriteRequest {
                            put_request: None,
                            delete_request: Some(DeleteRequest { key: key(pk, sk) }),
                        },
                    })
                    .collect();
                let r = db.batch_write_item(BatchWriteItemInput {
                    return_item_collection_metrics: None,
                    request_items: BTreeMap::from([(TABLE.to_string(), requests)]),
                    return_consumed_capacity: None,
                });
                if unique.len() < writes.len() {
                    assert_eq!(
                        r.unwrap_err().message(),
                        "Provided list of item keys contains duplicates"
                    );
                } else {
                    assert!(r.unwrap().unprocessed_items.is_empty());
                    for (pk, sk, a) in writes {
                        match a {
                            Some(a) => {
                                model.insert((pk, sk), full(pk, sk, Some(i64::from(a)), None));
                            }
                            None => {
                                model.remove(&(pk, sk));
                            }
                        }
                    }
                }
            }
            Op::BatchGet { keys } => {
                let unique: BTreeSet<(u8, u8)> = keys.iter().copied().collect();
                let r = db.batch_get_item(BatchGetItemInput {
                    request_items: BTreeMap::from([(
                        TABLE.to_string(),
                        KeysAndAttributes {
                            keys: keys.iter().map(|&(pk, sk)| key(pk, sk)).collect(),
                            ..KeysAndAttributes::default()
                        },
                    )]),
                    return_consumed_capacity: None,
                });
                if unique.len() < keys.len() {
                    assert!(matches!(
                        r,
                        Err(Error::Validation(ValidationError::DuplicateKeys))
                    ));
                } else {
                    let got = sorted(r.unwrap().responses[TABLE].clone());
                    let want = sorted(unique.iter().filter_map(|k| model.get(k)).cloned());
                    assert_eq!(got, want);
                }
            }
            Op::Tags { pk, sk, add, tag } => {
                let t = format!("t{tag}");
                let action = if add { "ADD" } else { "DELETE" };
                let out = db
                    .update_item(UpdateItemInput {
                        table_name: TABLE.into(),
                        key: key(pk, sk),
                        update_expression: Some(format!("{action} tags :t")),
                        expression_attribute_values: vals(&[(
                            ":t",
                            AttributeValue::Ss(vec![t.clone()]),
                        )]),
                        return_values: Some(ReturnValue::AllNew),
                        ..UpdateItemInput::default()
                    })
                    .unwrap();
                let entry = model.entry((pk, sk)).or_insert_with(|| key(pk, sk));
                let mut tags: BTreeSet<String> = match entry.remove("tags") {
                    Some(AttributeValue::Ss(v)) => v.into_iter().collect(),
                    None => BTreeSet::new(),
                    Some(other) => panic!("tags is {other:?}"),
                };
                if add {
                    tags.insert(t);
                } else {
                    tags.remove(&t);
                }
                // DynamoDB removes a set that becomes empty.
                if !tags.is_empty() {
                    entry.insert(
                        "tags".into(),
                        AttributeValue::Ss(tags.into_iter().collect()),
                    );
                }
                assert_eq!(normalised(out.attributes.clone().unwrap()), *entry);
            }
            Op::SetNested { pk, sk, v } => {
                let r = db.update_item(UpdateItemInput {
                    table_name: TABLE.into(),
                    key: key(pk, sk),
                    update_expression: Some("SET m.x = :v".into()),
                    expression_attribute_values: vals(&[(":v", n(&v.to_string()))]),
                    ..UpdateItemInput::default()
                });
                match model.get_mut(&(pk, sk)).and_then(|it| it.get_mut("m")) {
                    Some(AttributeValue::M(m)) => {
                        r.unwrap();
                        m.insert("x".into(), n(&v.to_string()));
                    }
                    Some(other) => panic!("m is {other:?}"),
                    None => {
                        // A path into a map that does not exist is invalid for update.
                        assert_eq!(r.unwrap_err().exception_name(), "ValidationException");
                    }
                }
            }
            Op::QueryGsiKeysOnly { g } => {
                db.wait_for_indexes().unwrap();
                let got = query_all(
                    db,
                    QueryInput {
                        table_name: TABLE.into(),
                        index_name: Some("ByGKeys".into()),
                        key_condition_expression: Some("g = :g".into()),
                        expression_attribute_values: vals(&[(":g", s(&format!("g{g}")))]),
                        ..QueryInput::default()
                    },
                    3,
                );
                let gv = s(&format!("g{g}"));
                let want = model.values().filter(|v| v.get("g") == Some(&gv)).map(|v| {
                    // KEYS_ONLY: the table's key and the index's key, nothing else.
                    v.iter()
                        .filter(|(name, _)| ["pk", "sk", "g"].contains(&name.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect::<Item>()
                });
                assert_eq!(sorted(got), sorted(want));
            }
            Op::Transact { actions } => transact_op(db, &mut model, &actions),
            Op::PartiqlSelect {
                pk,
                sk_above,
                min_a,
                on_lsi,
                limit,
            } => {
                let mut terms = Vec::new();
                let mut params = Vec::new();
                if let Some(pk) = pk {
                    terms.push("pk = ?");
                    params.push(s(&format!("p{pk}")));
                    if let Some(sk) = sk_above {
                        terms.push("sk > ?");
                        params.push(n(&sk.to_string()));
                    }
                }
                if let Some(a) = min_a {
                    terms.push("a >= ?");
                    params.push(n(&a.to_string()));
                }
                let from = if on_lsi { r#""Model"."ByA""# } else { "Model" };
                let mut statement = format!("SELECT * FROM {from}");
                if !terms.is_empty() {
                    statement.push_str(" WHERE ");
                    statement.push_str(&terms.join(" AND "));
                }
                let mut got = Vec::new();
                let mut token = None;
                for round in 0.. {
                    assert!(round < 500, "PartiQL paging does not terminate");
                    let page = db
                        .execute_statement(ExecuteStatementInput {
                            statement: statement.clone(),
                            parameters: (!params.is_empty()).then(|| params.clone()),
                            limit: Some(i64::from(limit)),
                            next_token: token.take(),
                            consistent_read: Some(true),
                            ..ExecuteStatementInput::default()
                        })
                        .unwrap();
                    got.extend(page.items.unwrap());
                    match page.next_token {
                        Some(t) => token = Some(t),
                        None => break,
                    }
                }
                let want = model.iter().filter(|((p, k), it)| {
                    pk.is_none_or(|pk| *p == pk)
                        && (pk.is_none() || sk_above.is_none_or(|s| *k > s))
                        && min_a.is_none_or(|m| it.get("a").is_some_and(|a| num(a) >= i64::from(m)))
                        // The LSI holds only items with its sort key `a`.
                        && (!on_lsi || it.contains_key("a"))
                });
                assert_eq!(
                    sorted(got),
                    sorted(want.map(|(_, it)| it.clone())),
                    "{statement}"
                );
            }
            Op::TransactGet { keys } => {
                let unique: BTreeSet<(u8, u8)> = keys.iter().copied().collect();
                let r = db.transact_get_items(TransactGetItemsInput {
                    transact_items: keys
                        .iter()
                        .map(|&(pk, sk)| TransactGetItem {
                            get: TransactGet {
                                table_name: TABLE.into(),
                                key: key(pk, sk),
                                ..TransactGet::default()
                            },
                        })
                        .collect(),
                    return_consumed_capacity: None,
                });
                if unique.len() < keys.len() {
                    let e = r.unwrap_err();
                    assert_eq!(e.exception_name(), "ValidationException", "{e:?}");
                } else {
                    let got: Vec<Option<Item>> = r
                        .unwrap()
                        .responses
                        .into_iter()
                        .map(|r| r.item.map(normalised))
                        .collect();
                    let want: Vec<Option<Item>> =
                        keys.iter().map(|k| model.get(k).cloned()).collect();
                    assert_eq!(got, want);
                }
            }
            Op::Reopen => h.reopen(),
            Op::Crash => h.crash(),
        }
    }
}

/// [`Op::Transact`]: the model decides whether the transaction is refused, cancelled
/// (with which reason in which position) or applied, and applies it to itself.
fn transact_op(db: &Database, model: &mut Model, actions: &[(u8, u8, TxAction)]) {
    let request: Vec<TransactWriteItem> = actions
        .iter()
        .map(|(pk, sk, a)| {
            let k = key(*pk, *sk);
            match a {
                TxAction::Put { a, g } => tx_put(TABLE, full(*pk, *sk, a.map(i64::from), *g)),
                TxAction::Delete => tx_delete(TABLE, k),
                TxAction::Add { delta } => tx_update(
                    TABLE,
                    k,
                    "SET a = if_not_exists(a, :z) + :d",
                    Some("attribute_exists(pk)"),
                    &[(":z", n("0")), (":d", n(&delta.to_string()))],
                ),
                TxAction::CheckExists => tx_check(TABLE, k, "attribute_exists(pk)", &[]),
            }
        })
        .collect();
    let r = transact(db, request);
    let unique: BTreeSet<(u8, u8)> = actions.iter().map(|(p, s, _)| (*p, *s)).collect();
    if unique.len() < actions.len() {
        let e = r.unwrap_err();
        assert_eq!(
            e.message(),
            "Transaction request cannot include multiple operations on one item"
        );
        return;
    }
    let codes: Vec<&str> = actions
        .iter()
        .map(|(pk, sk, a)| {
            let exists = model.contains_key(&(*pk, *sk));
            match a {
                TxAction::Add { .. } | TxAction::CheckExists if !exists => "ConditionalCheckFailed",
                _ => "None",
            }
        })
        .collect();
    if codes.iter().any(|c| *c != "None") {
        assert_eq!(reason_codes(&r.unwrap_err()), codes);
        return;
    }
    r.unwrap();
    for (pk, sk, a) in actions {
        match a {
            TxAction::Put { a, g } => {
                model.insert((*pk, *sk), full(*pk, *sk, a.map(i64::from), *g));
            }
            TxAction::Delete => {
                model.remove(&(*pk, *sk));
            }
            TxAction::Add { delta } => {
                let it = model.get_mut(&(*pk, *sk)).expect("checked above");
                let a = it.get("a").map_or(0, num) + i64::from(*delta);
                it.insert("a".into(), n(&a.to_string()));
            }
            TxAction::CheckExists => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn memory_backend_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops, false);
    }

    #[test]
    fn lsm_backend_with_reopens_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..60)) {
        run(ops, true);
    }
}
