//! PartiQL through the Rust API, on both backends: ExecuteStatement's SELECT (query or
//! scan, projections, parameters, paging), INSERT, UPDATE and DELETE with DynamoDB's
//! rules and errors; BatchExecuteStatement's per-statement results; ExecuteTransaction
//! through the transaction path.

mod support;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const T: &str = "Music";

fn exec(
    db: &Database,
    statement: &str,
    params: &[AttributeValue],
) -> Result<ExecuteStatementOutput, Error> {
    db.execute_statement(ExecuteStatementInput {
        statement: statement.into(),
        parameters: (!params.is_empty()).then(|| params.to_vec()),
        ..Default::default()
    })
}

fn items(db: &Database, statement: &str, params: &[AttributeValue]) -> Vec<String> {
    sorted(exec(db, statement, params).unwrap().items.unwrap())
}

/// "Music" (pk S, sk N) with an LSI ByYear on `year` (N) and four songs.
fn setup(db: &Database) {
    let mut t = simple_table(T, Some(ScalarAttributeType::N));
    t.attribute_definitions
        .push(def("year", ScalarAttributeType::N));
    t.local_secondary_indexes = Some(vec![LocalSecondaryIndex {
        index_name: "ByYear".into(),
        key_schema: vec![hash("pk"), range("year")],
        projection: Projection {
            projection_type: Some(ProjectionType::All),
            non_key_attributes: None,
        },
    }]);
    db.create_table(t).unwrap();
    for (pk, sk, year, title) in [
        ("acme", 1, 1999, "Alpha"),
        ("acme", 2, 2005, "Beta"),
        ("acme", 3, 2010, "Gamma"),
        ("zeta", 1, 2001, "Delta"),
    ] {
        exec(
            db,
            &format!("INSERT INTO {T} VALUE {{'pk': ?, 'sk': {sk}, 'year': {year}, 'title': '{title}', 'info': {{'tags': ['x', 'y']}}}}"),
            &[s(pk)],
        )
        .unwrap();
    }
}

fn song(pk: &str, sk: i64) -> Item {
    item(&[("pk", s(pk)), ("sk", n(&sk.to_string()))])
}

#[test]
fn insert_refuses_an_existing_key_and_select_finds_by_key_or_scan() {
    for_each_backend(|_, db| {
        setup(&db);
        let e = exec(&db, "INSERT INTO Music VALUE {'pk': 'acme', 'sk': 1}", &[]).unwrap_err();
        assert_eq!(e.exception_name(), "DuplicateItemException");
        assert_eq!(e.message(), "Duplicate primary key exists in table");
        // A full key, a partition, a non-key filter (a scan), an index.
        let got = exec(
            &db,
            r#"SELECT title FROM "Music" WHERE pk = 'acme' AND sk = 2"#,
            &[],
        )
        .unwrap();
        assert_eq!(got.items.unwrap(), vec![item(&[("title", s("Beta"))])]);
        assert_eq!(
            items(&db, "SELECT * FROM Music WHERE pk = ?", &[s("acme")]).len(),
            3
        );
        assert_eq!(
            items(&db, "SELECT * FROM Music WHERE pk = 'acme' AND sk > 1", &[]).len(),
            2
        );
        assert_eq!(
            items(
                &db,
                "SELECT * FROM Music WHERE year BETWEEN 2000 AND 2006",
                &[]
            )
            .len(),
            2
        );
        assert_eq!(
            items(
                &db,
                "SELECT * FROM Music WHERE title IN ['Alpha', 'Delta'] OR year = 2010",
                &[]
            )
            .len(),
            3
        );
        assert_eq!(
            items(
                &db,
                r#"SELECT * FROM "Music"."ByYear" WHERE pk = 'acme' AND year >= 2005"#,
                &[]
            )
            .len(),
            2
        );
        assert_eq!(
            items(
                &db,
                "SELECT * FROM Music WHERE begins_with(title, 'G')",
                &[]
            )
            .len(),
            1
        );
        assert_eq!(
            items(
                &db,
                "SELECT * FROM Music WHERE info.tags[1] = 'y' AND pk <> 'zeta'",
                &[]
            )
            .len(),
            3
        );
        assert_eq!(
            items(
                &db,
                "SELECT * FROM Music WHERE nothing IS MISSING AND title IS NOT MISSING",
                &[]
            )
            .len(),
            4
        );
        // Nested paths project under their last name.
        let got = exec(
            &db,
            "SELECT info.tags, pk FROM Music WHERE pk = 'zeta'",
            &[],
        )
        .unwrap();
        assert_eq!(
            got.items.unwrap(),
            vec![item(&[
                ("pk", s("zeta")),
                ("tags", AttributeValue::L(vec![s("x"), s("y")]))
            ])]
        );
    });
}

#[test]
fn select_pages_with_limit_and_next_token() {
    for_each_backend(|_, db| {
        setup(&db);
        let mut seen = Vec::new();
        let mut token = None;
        for _ in 0..10 {
            let page = db
                .execute_statement(ExecuteStatementInput {
                    statement: "SELECT pk, sk FROM Music".into(),
                    limit: Some(3),
                    next_token: token.take(),
                    consistent_read: Some(true),
                    return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
                    ..Default::default()
                })
                .unwrap();
            assert!(page.consumed_capacity.is_some());
            seen.extend(page.items.unwrap());
            match page.next_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        assert_eq!(seen.len(), 4);
        let e = db
            .execute_statement(ExecuteStatementInput {
                statement: "SELECT * FROM Music".into(),
                next_token: Some("garbage!".into()),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.message(), "Invalid NextToken");
    });
}

#[test]
fn update_and_delete_need_the_whole_key_and_honour_the_where() {
    for_each_backend(|_, db| {
        setup(&db);
        let e = exec(&db, "UPDATE Music SET x = 1 WHERE pk = 'acme'", &[]).unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert_eq!(
            e.message(),
            "Where clause does not contain a mandatory equality on all key attributes"
        );
        let out = db
            .execute_statement(ExecuteStatementInput {
                statement: "UPDATE Music SET plays = 1, info.tags = list_append(info.tags, ['z']) REMOVE title WHERE pk = 'acme' AND sk = 1 AND year = 1999 RETURNING ALL NEW *".into(),
                ..Default::default()
            })
            .unwrap();
        let new = &out.items.unwrap()[0];
        assert_eq!(new["plays"], n("1"));
        assert!(!new.contains_key("title"));
        exec(
            &db,
            "UPDATE Music SET plays = plays + ? WHERE pk = 'acme' AND sk = 1",
            &[n("2")],
        )
        .unwrap();
        let got = exec(
            &db,
            "SELECT plays FROM Music WHERE pk = 'acme' AND sk = 1",
            &[],
        )
        .unwrap();
        assert_eq!(got.items.unwrap()[0]["plays"], n("3"));
        // A WHERE that does not hold, and a missing item: ConditionalCheckFailed.
        let e = db
            .execute_statement(ExecuteStatementInput {
                statement: "UPDATE Music SET x = 1 WHERE pk = 'acme' AND sk = 2 AND year = 1"
                    .into(),
                return_values_on_condition_check_failure: Some(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                ),
                ..Default::default()
            })
            .unwrap_err();
        match e {
            Error::ConditionalCheckFailed { item: Some(old) } => {
                assert_eq!(old["title"], s("Beta"))
            }
            other => panic!("{other:?}"),
        }
        let e = exec(
            &db,
            "UPDATE Music SET x = 1 WHERE pk = 'nobody' AND sk = 1",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ConditionalCheckFailedException");
        // Key attributes cannot be updated.
        let e = exec(
            &db,
            "UPDATE Music SET sk = 9 WHERE pk = 'acme' AND sk = 2",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        // DELETE: a false WHERE fails, a missing item is fine, RETURNING ALL OLD.
        let e = exec(
            &db,
            "DELETE FROM Music WHERE pk = 'acme' AND sk = 2 AND year = 1",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ConditionalCheckFailedException");
        exec(&db, "DELETE FROM Music WHERE pk = 'nobody' AND sk = 1", &[]).unwrap();
        let out = exec(
            &db,
            "DELETE FROM Music WHERE pk = 'acme' AND sk = 2 RETURNING ALL OLD *",
            &[],
        )
        .unwrap();
        assert_eq!(out.items.unwrap()[0]["title"], s("Beta"));
        assert_eq!(
            items(&db, "SELECT * FROM Music WHERE pk = 'acme'", &[]).len(),
            2
        );
        // The LSI followed every write.
        assert_eq!(
            items(
                &db,
                r#"SELECT * FROM "Music"."ByYear" WHERE pk = 'acme'"#,
                &[]
            )
            .len(),
            2
        );
    });
}

#[test]
fn errors_carry_dynamodbs_texts() {
    for_each_backend(|_, db| {
        setup(&db);
        let e = exec(&db, "DROP TABLE Music", &[]).unwrap_err();
        assert_eq!(
            e.message(),
            "Statement wasn't well formed, can't be processed: Expected data manipulation"
        );
        let e = exec(&db, "SELECT * FROM Music WHERE pk = ?", &[]).unwrap_err();
        assert_eq!(
            e.message(),
            "Number of parameters in request and statement don't match."
        );
        let e = exec(&db, "SELECT * FROM Music WHERE", &[]).unwrap_err();
        assert!(
            e.message()
                .starts_with("Statement wasn't well formed, can't be processed: "),
            "{}",
            e.message()
        );
        let e = exec(&db, "SELECT * FROM Nope", &[]).unwrap_err();
        assert_eq!(e.exception_name(), "ResourceNotFoundException");
        let e = exec(
            &db,
            &format!("SELECT * FROM Music WHERE a = '{}'", "x".repeat(9000)),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let e = exec(
            &db,
            "EXISTS(SELECT * FROM Music WHERE pk = 'acme' AND sk = 1)",
            &[],
        )
        .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
    });
}

#[test]
fn batch_statements_succeed_or_fail_alone() {
    for_each_backend(|_, db| {
        setup(&db);
        let stmt = |text: &str| BatchStatementRequest {
            statement: text.into(),
            ..Default::default()
        };
        let out = db
            .batch_execute_statement(BatchExecuteStatementInput {
                statements: vec![
                    stmt("INSERT INTO Music VALUE {'pk': 'new', 'sk': 1}"),
                    stmt("INSERT INTO Music VALUE {'pk': 'acme', 'sk': 1}"),
                    stmt("UPDATE Music SET x = 1 WHERE pk = 'acme' AND sk = 9"),
                    stmt("DELETE FROM Music WHERE pk = 'zeta' AND sk = 1"),
                ],
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
            })
            .unwrap();
        let codes: Vec<Option<&str>> = out
            .responses
            .iter()
            .map(|r| r.error.as_ref().map(|e| e.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                None,
                Some("DuplicateItem"),
                Some("ConditionalCheckFailed"),
                None
            ]
        );
        assert!(out.consumed_capacity.is_some());
        let out = db
            .batch_execute_statement(BatchExecuteStatementInput {
                statements: vec![
                    stmt("SELECT * FROM Music WHERE pk = 'new' AND sk = 1"),
                    stmt("SELECT title FROM Music WHERE pk = 'acme' AND sk = 3"),
                    stmt("SELECT * FROM Music WHERE pk = 'zeta' AND sk = 1"),
                    stmt("SELECT * FROM Music WHERE pk = 'acme'"),
                ],
                ..Default::default()
            })
            .unwrap();
        assert_eq!(out.responses[0].item, Some(song("new", 1)));
        assert_eq!(out.responses[1].item, Some(item(&[("title", s("Gamma"))])));
        assert_eq!(out.responses[2].item, None);
        assert_eq!(
            out.responses[3].error.as_ref().unwrap().code,
            "ValidationError"
        );
        let e = db
            .batch_execute_statement(BatchExecuteStatementInput {
                statements: vec![
                    stmt("SELECT * FROM Music WHERE pk = 'new' AND sk = 1"),
                    stmt("DELETE FROM Music WHERE pk = 'new' AND sk = 1"),
                ],
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let e = db
            .batch_execute_statement(BatchExecuteStatementInput {
                statements: vec![stmt("SELECT * FROM Music WHERE pk = 'new' AND sk = 1"); 26],
                ..Default::default()
            })
            .unwrap_err();
        assert!(e.message().contains("less than or equal to 25"));
    });
}

#[test]
fn execute_transaction_goes_through_the_transaction_path() {
    for_each_backend(|_, db| {
        setup(&db);
        let stmt = |text: &str| ParameterizedStatement {
            statement: text.into(),
            ..Default::default()
        };
        db.execute_transaction(ExecuteTransactionInput {
            transact_statements: vec![
                stmt("EXISTS(SELECT * FROM Music WHERE pk = 'acme' AND sk = 1 AND year = 1999)"),
                stmt("INSERT INTO Music VALUE {'pk': 'tx', 'sk': 1}"),
                stmt("UPDATE Music SET plays = 10 WHERE pk = 'acme' AND sk = 2"),
                stmt("DELETE FROM Music WHERE pk = 'zeta' AND sk = 1"),
            ],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            items(&db, "SELECT * FROM Music WHERE pk = 'tx'", &[]).len(),
            1
        );
        assert_eq!(
            items(&db, "SELECT * FROM Music WHERE pk = 'zeta'", &[]).len(),
            0
        );
        // All or nothing, with positional reasons.
        let e = db
            .execute_transaction(ExecuteTransactionInput {
                transact_statements: vec![
                    stmt("INSERT INTO Music VALUE {'pk': 'tx2', 'sk': 1}"),
                    stmt("INSERT INTO Music VALUE {'pk': 'tx', 'sk': 1}"),
                    stmt("EXISTS(SELECT * FROM Music WHERE pk = 'acme' AND sk = 1 AND year = 1)"),
                ],
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            reason_codes(&e),
            vec!["None", "DuplicateItem", "ConditionalCheckFailed"]
        );
        assert_eq!(
            items(&db, "SELECT * FROM Music WHERE pk = 'tx2'", &[]).len(),
            0
        );
        // A read transaction.
        let out = db
            .execute_transaction(ExecuteTransactionInput {
                transact_statements: vec![
                    stmt("SELECT title FROM Music WHERE pk = 'acme' AND sk = 3"),
                    stmt("SELECT * FROM Music WHERE pk = 'nobody' AND sk = 1"),
                ],
                return_consumed_capacity: Some(ReturnConsumedCapacity::Total),
                ..Default::default()
            })
            .unwrap();
        let r = out.responses.unwrap();
        assert_eq!(r[0].item, Some(item(&[("title", s("Gamma"))])));
        assert_eq!(r[1].item, None);
        // Reads and writes do not mix; tokens replay.
        let e = db
            .execute_transaction(ExecuteTransactionInput {
                transact_statements: vec![
                    stmt("SELECT * FROM Music WHERE pk = 'acme' AND sk = 3"),
                    stmt("DELETE FROM Music WHERE pk = 'acme' AND sk = 3"),
                ],
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        let tokened = || ExecuteTransactionInput {
            transact_statements: vec![stmt(
                "UPDATE Music SET plays = plays + 1 WHERE pk = 'acme' AND sk = 2",
            )],
            client_request_token: Some("t1".into()),
            ..Default::default()
        };
        db.execute_transaction(tokened()).unwrap();
        db.execute_transaction(tokened()).unwrap();
        let got = exec(
            &db,
            "SELECT plays FROM Music WHERE pk = 'acme' AND sk = 2",
            &[],
        )
        .unwrap();
        assert_eq!(got.items.unwrap()[0]["plays"], n("11"), "applied once");
    });
}

#[test]
fn a_transaction_of_more_than_4_mb_is_refused() {
    for_each_backend(|_, db| {
        setup(&db);
        let big = s(&"b".repeat(350 * 1024));
        let statements = (0..12)
            .map(|i| ParameterizedStatement {
                statement: format!("INSERT INTO Music VALUE {{'pk': 'big', 'sk': {i}, 'blob': ?}}"),
                parameters: Some(vec![big.clone()]),
                ..Default::default()
            })
            .collect();
        let e = db
            .execute_transaction(ExecuteTransactionInput {
                transact_statements: statements,
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(e.exception_name(), "ValidationException");
        assert!(e.message().contains("exceeds the limit"), "{}", e.message());
    });
}
