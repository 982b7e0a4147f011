//! Conflicts with a transaction in flight, made deterministic by holding the
//! transaction's commit inside the backend (`HoldingBackend`): while it is held, the
//! transaction has claimed its items and holds their locks.
//!
//! DynamoDB's rules (Developer Guide, "Transaction conflict handling"): a PutItem,
//! UpdateItem or DeleteItem of an item in a transaction in flight is rejected with
//! TransactionConflictException; a transaction that collides with one in flight is
//! cancelled with the reason TransactionConflict; a BatchWriteItem member fails the same
//! way. Unrelated items neither conflict nor wait.

mod support;

use std::sync::Arc;

use shale_engine::Backend;
use shale_table::types::Item;
use shale_table::*;
use support::*;

const ACC: &str = "Acc";

fn acc(pk: &str, balance: i64) -> Item {
    item(&[("pk", s(pk)), ("balance", n(&balance.to_string()))])
}

fn key(pk: &str) -> Item {
    item(&[("pk", s(pk))])
}

fn put_input(i: Item) -> PutItemInput {
    PutItemInput {
        table_name: ACC.into(),
        item: i,
        ..Default::default()
    }
}

#[test]
fn writes_that_meet_a_transaction_in_flight_conflict_and_others_do_not_wait() {
    for b in backends() {
        let holding = HoldingBackend::new(b.backend.clone());
        let backend: Arc<dyn Backend> = holding.clone();
        let db = Database::open(backend, options()).unwrap();
        db.create_table(simple_table(ACC, None)).unwrap();
        put(&db, ACC, acc("a", 100));
        put(&db, ACC, acc("b", 0));
        holding.arm();
        std::thread::scope(|scope| {
            let in_flight = scope.spawn(|| {
                transact(
                    &db,
                    vec![tx_put(ACC, acc("a", 50)), tx_put(ACC, acc("b", 50))],
                )
            });
            holding.wait_until_holding();

            // Single-item writes of a held item fail at once.
            let err = db.put_item(put_input(acc("a", 1))).unwrap_err();
            assert_eq!(
                err.exception_name(),
                "TransactionConflictException",
                "{}",
                b.name
            );
            assert_eq!(err.message(), "Transaction is ongoing for the item");
            let err = db
                .delete_item(DeleteItemInput {
                    table_name: ACC.into(),
                    key: key("b"),
                    ..Default::default()
                })
                .unwrap_err();
            assert_eq!(err.exception_name(), "TransactionConflictException");
            let err = db
                .batch_write_item(BatchWriteItemInput {
                    request_items: [(
                        ACC.to_string(),
                        vec![WriteRequest {
                            put_request: Some(PutRequest { item: acc("b", 9) }),
                            delete_request: None,
                        }],
                    )]
                    .into(),
                    ..Default::default()
                })
                .unwrap_err();
            assert_eq!(err.exception_name(), "TransactionConflictException");

            // A colliding transaction is cancelled, with the reason in place.
            let err = transact(
                &db,
                vec![tx_put(ACC, acc("c", 1)), tx_delete(ACC, key("a"))],
            )
            .unwrap_err();
            assert_eq!(reason_codes(&err), vec!["None", "TransactionConflict"]);
            let Error::TransactionCanceled { reasons } = &err else {
                unreachable!()
            };
            assert_eq!(
                reasons[1].message.as_deref(),
                Some("Transaction is ongoing for the item")
            );

            // Unrelated writes go through while the transaction is held, and so do
            // reads, which see the state before it.
            put(&db, ACC, acc("x", 1));
            transact(&db, vec![tx_put(ACC, acc("y", 1))]).unwrap();
            assert_eq!(
                transact_get(&db, &[(ACC, key("a")), (ACC, key("b"))]),
                vec![Some(acc("a", 100)), Some(acc("b", 0))]
            );

            holding.release();
            in_flight.join().unwrap().unwrap();
        });
        // Once it committed, its items are free again, and nothing of the losers
        // was applied.
        assert_eq!(
            transact_get(&db, &[(ACC, key("a")), (ACC, key("b")), (ACC, key("c"))]),
            vec![Some(acc("a", 50)), Some(acc("b", 50)), None]
        );
        db.put_item(put_input(acc("a", 1))).unwrap();
    }
}

#[test]
fn a_conflict_in_a_batch_after_applied_requests_comes_back_unprocessed() {
    for b in backends() {
        let holding = HoldingBackend::new(b.backend.clone());
        let backend: Arc<dyn Backend> = holding.clone();
        let db = Database::open(backend, options()).unwrap();
        db.create_table(simple_table(ACC, None)).unwrap();
        holding.arm();
        std::thread::scope(|scope| {
            let in_flight = scope.spawn(|| transact(&db, vec![tx_put(ACC, acc("held", 1))]));
            holding.wait_until_holding();
            let out = db
                .batch_write_item(BatchWriteItemInput {
                    request_items: [(
                        ACC.to_string(),
                        vec![
                            WriteRequest {
                                put_request: Some(PutRequest {
                                    item: acc("free", 1),
                                }),
                                delete_request: None,
                            },
                            WriteRequest {
                                put_request: Some(PutRequest {
                                    item: acc("held", 2),
                                }),
                                delete_request: None,
                            },
                        ],
                    )]
                    .into(),
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(out.unprocessed_items[ACC].len(), 1, "{}", b.name);
            holding.release();
            in_flight.join().unwrap().unwrap();
        });
        assert_eq!(
            transact_get(&db, &[(ACC, key("free")), (ACC, key("held"))]),
            vec![Some(acc("free", 1)), Some(acc("held", 1))]
        );
    }
}

#[test]
fn a_token_whose_transaction_is_in_flight_is_in_progress() {
    for b in backends() {
        let holding = HoldingBackend::new(b.backend.clone());
        let backend: Arc<dyn Backend> = holding.clone();
        let db = Database::open(backend, options()).unwrap();
        db.create_table(simple_table(ACC, None)).unwrap();
        let request = |pk: &str| TransactWriteItemsInput {
            transact_items: vec![tx_put(ACC, acc(pk, 1))],
            client_request_token: Some("tok".into()),
            ..Default::default()
        };
        holding.arm();
        std::thread::scope(|scope| {
            let in_flight = scope.spawn(|| db.transact_write_items(request("a")));
            holding.wait_until_holding();
            let err = db.transact_write_items(request("a")).unwrap_err();
            assert_eq!(
                err.exception_name(),
                "TransactionInProgressException",
                "{}",
                b.name
            );
            let err = db.transact_write_items(request("other")).unwrap_err();
            assert_eq!(err.exception_name(), "IdempotentParameterMismatchException");
            holding.release();
            in_flight.join().unwrap().unwrap();
        });
        // Completed: the same request now replays.
        db.transact_write_items(request("a")).unwrap();
    }
}
