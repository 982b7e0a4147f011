//! GSIs with multi-attribute keys (DynamoDB, November 2025): up to four partition-key
//! attributes and up to four sort-key attributes. CreateTable and UpdateTable validation
//! with DynamoDB's messages, DescribeTable's key schema, maintenance (sparse items that
//! lack an attribute are not indexed; changing one attribute moves the entry), Query's
//! rules (equality on every partition attribute, sort attributes left to right, a range
//! condition only on the last one used) and order, paging, legacy KeyConditions, and
//! PartiQL's refusal — on both backends, and the definition across a reopen.

mod support;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const T: &str = "Matches";
const GSI: &str = "ByBracket";

/// `Matches` (pk `matchId`) with GSI `ByBracket`: partition (tourney S, area S),
/// sort (rnd N, bracket S, seqno N).
fn table() -> CreateTableInput {
    let mut t = simple_table(T, None);
    t.key_schema = vec![hash("matchId")];
    t.attribute_definitions = vec![
        def("matchId", ScalarAttributeType::S),
        def("tourney", ScalarAttributeType::S),
        def("area", ScalarAttributeType::S),
        def("rnd", ScalarAttributeType::N),
        def("bracket", ScalarAttributeType::S),
        def("seqno", ScalarAttributeType::N),
    ];
    t.global_secondary_indexes = Some(vec![GlobalSecondaryIndex {
        index_name: GSI.into(),
        key_schema: vec![
            hash("tourney"),
            hash("area"),
            range("rnd"),
            range("bracket"),
            range("seqno"),
        ],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
        provisioned_throughput: None,
        on_demand_throughput: None,
        warm_throughput: None,
    }]);
    t
}

fn m(id: &str, tourney: &str, area: &str, rnd: i64, bracket: &str, seqno: i64) -> Item {
    item(&[
        ("matchId", s(id)),
        ("tourney", s(tourney)),
        ("area", s(area)),
        ("rnd", n(&rnd.to_string())),
        ("bracket", s(bracket)),
        ("seqno", n(&seqno.to_string())),
    ])
}

fn load(db: &Database) {
    for i in [
        m("m1", "W24", "EU", 1, "upper", 1),
        m("m2", "W24", "EU", 1, "upper", 2),
        m("m3", "W24", "EU", 1, "lower", 1),
        m("m4", "W24", "EU", 2, "upper", 1),
        m("m5", "W24", "EU", 10, "final", 1),
        m("m6", "W24", "NA", 1, "upper", 1),
        m("m7", "S25", "EU", 1, "upper", 1),
    ] {
        put(db, T, i);
    }
    // Sparse: no `seqno`, so not in the index.
    let mut partial = m("m8", "W24", "EU", 1, "upper", 3);
    partial.remove("seqno");
    put(db, T, partial);
    db.wait_for_indexes().unwrap();
}

fn query(
    db: &Database,
    condition: &str,
    values: &[(&str, AttributeValue)],
) -> Result<QueryOutput, Error> {
    db.query(QueryInput {
        table_name: T.into(),
        index_name: Some(GSI.into()),
        key_condition_expression: Some(condition.into()),
        expression_attribute_values: vals(values),
        ..Default::default()
    })
}

fn ids(out: &QueryOutput) -> Vec<String> {
    out.items
        .iter()
        .flatten()
        .map(|i| match &i["matchId"] {
            AttributeValue::S(s) => s.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

fn base() -> Vec<(&'static str, AttributeValue)> {
    vec![(":t", s("W24")), (":r", s("EU"))]
}

#[test]
fn queries_pin_every_partition_attribute_and_constrain_sort_attributes_left_to_right() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        load(&db);
        let pk = "tourney = :t AND area = :r";
        // The whole partition, in (rnd, bracket, seqno) order, rnd numerically; m8 is
        // sparse and absent.
        let all = query(&db, pk, &base()).unwrap();
        assert_eq!(ids(&all), ["m3", "m1", "m2", "m4", "m5"]);
        let mut v = base();
        v.push((":rnd", n("1")));
        assert_eq!(
            ids(&query(&db, &format!("{pk} AND rnd = :rnd"), &v).unwrap()),
            ["m3", "m1", "m2"]
        );
        v.push((":b", s("upper")));
        assert_eq!(
            ids(&query(&db, &format!("{pk} AND rnd = :rnd AND bracket = :b"), &v).unwrap()),
            ["m1", "m2"]
        );
        v.push((":seqno", n("2")));
        assert_eq!(
            ids(&query(
                &db,
                &format!("{pk} AND rnd = :rnd AND bracket = :b AND seqno >= :seqno"),
                &v
            )
            .unwrap()),
            ["m2"]
        );
        // A range condition on the last attribute used; clauses in any order.
        let mut v = base();
        v.push((":lo", n("2")));
        assert_eq!(
            ids(&query(&db, &format!("rnd >= :lo AND {pk}"), &v).unwrap()),
            ["m4", "m5"]
        );
        let mut v = base();
        v.push((":rnd", n("1")));
        v.push((":p", s("up")));
        assert_eq!(
            ids(&query(
                &db,
                &format!("{pk} AND rnd = :rnd AND begins_with(bracket, :p)"),
                &v
            )
            .unwrap()),
            ["m1", "m2"]
        );
        // Another partition: only its own items.
        let other = query(&db, pk, &[(":t", s("W24")), (":r", s("NA"))]).unwrap();
        assert_eq!(ids(&other), ["m6"]);
        // Descending.
        let desc = db
            .query(QueryInput {
                table_name: T.into(),
                index_name: Some(GSI.into()),
                key_condition_expression: Some(pk.into()),
                expression_attribute_values: vals(&base()),
                scan_index_forward: Some(false),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(ids(&desc), ["m5", "m4", "m2", "m1", "m3"]);
    });
}

#[test]
fn query_rule_violations_get_dynamodbs_messages() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        let msg = |condition: &str, extra: &[(&str, AttributeValue)]| {
            let mut v = base();
            v.extend(extra.iter().cloned());
            query(&db, condition, &v).unwrap_err().to_string()
        };
        assert_eq!(
            msg("tourney = :t AND area = :r AND bracket = :b", &[(":b", s("x"))]),
            "RANGE key attributes rnd must have equality conditions specified in the query because a condition is present on key attribute bracket"
        );
        assert_eq!(
            msg(
                "tourney = :t AND area = :r AND rnd > :x AND bracket = :b",
                &[(":x", n("1")), (":b", s("x"))]
            ),
            "RANGE key attributes rnd must have equality conditions specified in the query because a condition is present on key attribute bracket"
        );
        assert_eq!(
            msg("tourney = :t AND rnd = :x AND area > :r", &[(":x", n("1"))]),
            "HASH key attributes area must have equality conditions specified in the query"
        );
        let e = query(
            &db,
            "tourney = :t AND area = :r",
            &[(":t", s("W24")), (":r", n("1"))],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "One or more parameter values were invalid: Condition parameter type does not match schema type"
        );
    });
}

#[test]
fn maintenance_moves_entries_and_sparse_items_stay_out() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        load(&db);
        let pk = "tourney = :t AND area = :r";
        // Changing one partition attribute moves the entry to another partition.
        db.update_item(UpdateItemInput {
            table_name: T.into(),
            key: item(&[("matchId", s("m1"))]),
            update_expression: Some("SET #r = :na".into()),
            expression_attribute_names: Some([("#r".to_string(), "area".to_string())].into()),
            expression_attribute_values: vals(&[(":na", s("NA"))]),
            ..Default::default()
        })
        .unwrap();
        // Removing a sort attribute takes the item out; adding the missing one puts m8 in.
        db.update_item(UpdateItemInput {
            table_name: T.into(),
            key: item(&[("matchId", s("m2"))]),
            update_expression: Some("REMOVE bracket".into()),
            ..Default::default()
        })
        .unwrap();
        db.update_item(UpdateItemInput {
            table_name: T.into(),
            key: item(&[("matchId", s("m8"))]),
            update_expression: Some("SET seqno = :s".into()),
            expression_attribute_values: vals(&[(":s", n("3"))]),
            ..Default::default()
        })
        .unwrap();
        db.wait_for_indexes().unwrap();
        assert_eq!(
            ids(&query(&db, pk, &base()).unwrap()),
            ["m3", "m8", "m4", "m5"]
        );
        let na = query(&db, pk, &[(":t", s("W24")), (":r", s("NA"))]).unwrap();
        assert_eq!(ids(&na), ["m1", "m6"]);
        // A present index attribute of the wrong type is refused, as for any GSI key.
        let mut bad = m("m9", "W24", "EU", 1, "upper", 1);
        bad.insert("rnd".into(), s("one"));
        let e = db
            .put_item(PutItemInput {
                table_name: T.into(),
                item: bad,
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "One or more parameter values were invalid: Type mismatch for Index Key rnd Expected: N Actual: S IndexName: ByBracket"
        );
    });
}

#[test]
fn pages_carry_every_index_key_attribute() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        load(&db);
        let mut got = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..10 {
            let out = db
                .query(QueryInput {
                    table_name: T.into(),
                    index_name: Some(GSI.into()),
                    key_condition_expression: Some("tourney = :t AND area = :r".into()),
                    expression_attribute_values: vals(&base()),
                    limit: Some(2),
                    exclusive_start_key: start.take(),
                    ..Default::default()
                })
                .unwrap();
            got.extend(ids(&out));
            match out.last_evaluated_key {
                Some(k) => {
                    let mut names: Vec<&str> = k.keys().map(String::as_str).collect();
                    names.sort_unstable();
                    assert_eq!(
                        names,
                        ["area", "bracket", "matchId", "rnd", "seqno", "tourney"]
                    );
                    start = Some(k);
                }
                None => break,
            }
        }
        assert_eq!(got, ["m3", "m1", "m2", "m4", "m5"]);
    });
}

#[test]
fn legacy_key_conditions_follow_the_same_rules() {
    for_each_backend(|_, db| {
        db.create_table(table()).unwrap();
        load(&db);
        let cond = |op: ComparisonOperator, v: Vec<AttributeValue>| Condition {
            comparison_operator: op,
            attribute_value_list: Some(v),
        };
        let mut conditions = Conditions::new();
        conditions.insert(
            "tourney".into(),
            cond(ComparisonOperator::Eq, vec![s("W24")]),
        );
        conditions.insert("area".into(), cond(ComparisonOperator::Eq, vec![s("EU")]));
        conditions.insert("rnd".into(), cond(ComparisonOperator::Eq, vec![n("1")]));
        conditions.insert(
            "bracket".into(),
            cond(ComparisonOperator::BeginsWith, vec![s("lo")]),
        );
        let legacy = |c: Conditions| {
            db.query(QueryInput {
                table_name: T.into(),
                index_name: Some(GSI.into()),
                key_conditions: Some(c),
                ..Default::default()
            })
        };
        assert_eq!(ids(&legacy(conditions.clone()).unwrap()), ["m3"]);
        conditions.remove("rnd");
        assert_eq!(
            legacy(conditions).unwrap_err().to_string(),
            "RANGE key attributes rnd must have equality conditions specified in the query because a condition is present on key attribute bracket"
        );
    });
}

fn create_err(schema: Vec<KeySchemaElement>) -> String {
    let mut t = table();
    if let Some(g) = t.global_secondary_indexes.as_mut() {
        g[0].key_schema = schema;
    }
    let b = &backends()[0];
    open(b).create_table(t).unwrap_err().to_string()
}

#[test]
fn key_schema_validation_has_dynamodbs_messages() {
    assert_eq!(
        create_err(vec![hash("tourney"), range("rnd"), hash("area")]),
        "One or more parameter values were invalid: All HASH key attributes must precede RANGE key attributes in the KeySchema"
    );
    assert_eq!(
        create_err(vec![
            hash("tourney"),
            hash("area"),
            hash("rnd"),
            hash("bracket"),
            hash("seqno")
        ]),
        "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of HASH key attributes"
    );
    assert_eq!(
        create_err(vec![
            hash("tourney"),
            range("area"),
            range("rnd"),
            range("bracket"),
            range("seqno"),
            range("matchId")
        ]),
        "One or more parameter values were invalid: The KeySchema exceeds the maximum allowed number of RANGE key attributes"
    );
    assert_eq!(
        create_err(vec![hash("tourney"), hash("area"), range("tourney")]),
        "One or more parameter values were invalid: The KeySchema contains multiple key attributes with the same name"
    );
    assert_eq!(
        create_err(vec![range("rnd"), hash("tourney"), hash("area")]),
        "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
    );
    // Tables keep their one-or-two-element schemas.
    let mut t = table();
    t.key_schema = vec![hash("matchId"), hash("tourney")];
    let b = &backends()[0];
    assert!(open(b).create_table(t).is_err());
}

#[test]
fn describe_update_table_partiql_and_reopen() {
    let fault = FaultLsm::new();
    {
        let db = Database::open(fault.open(), options()).unwrap();
        let mut t = table();
        t.global_secondary_indexes = None;
        t.attribute_definitions.truncate(1);
        db.create_table(t).unwrap();
        load(&db);
        // Added by UpdateTable, backfilled.
        let mut update = UpdateTableInput {
            table_name: T.into(),
            attribute_definitions: Some(table().attribute_definitions),
            ..Default::default()
        };
        let gsi = table().global_secondary_indexes.unwrap().remove(0);
        update.global_secondary_index_updates = Some(vec![GlobalSecondaryIndexUpdate {
            create: Some(CreateGlobalSecondaryIndexAction {
                index_name: gsi.index_name,
                key_schema: gsi.key_schema,
                projection: gsi.projection,
                provisioned_throughput: None,
                on_demand_throughput: None,
                warm_throughput: None,
            }),
            ..Default::default()
        }]);
        db.update_table(update).unwrap();
        db.wait_for_indexes().unwrap();
        assert_eq!(
            ids(&query(&db, "tourney = :t AND area = :r", &base()).unwrap()),
            ["m3", "m1", "m2", "m4", "m5"]
        );
        let e = db
            .execute_statement(ExecuteStatementInput {
                statement: format!(r#"SELECT * FROM "{T}"."{GSI}" WHERE tourney = 'W24'"#),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys."
        );
        db.backend().close().unwrap();
    }
    let db = Database::open(fault.open(), options()).unwrap();
    let described = db
        .describe_table(DescribeTableInput {
            table_name: T.into(),
        })
        .unwrap()
        .table;
    let schema = &described.global_secondary_indexes.unwrap()[0].key_schema;
    let shape: Vec<(&str, KeyType)> = schema
        .iter()
        .map(|e| (e.attribute_name.as_str(), e.key_type))
        .collect();
    assert_eq!(
        shape,
        [
            ("tourney", KeyType::Hash),
            ("area", KeyType::Hash),
            ("rnd", KeyType::Range),
            ("bracket", KeyType::Range),
            ("seqno", KeyType::Range)
        ]
    );
    assert_eq!(
        ids(&query(&db, "tourney = :t AND area = :r", &base()).unwrap()),
        ["m3", "m1", "m2", "m4", "m5"]
    );
}
