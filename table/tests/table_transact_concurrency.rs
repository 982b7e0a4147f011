//! Transfers under real concurrency: threads move money between accounts with
//! TransactWriteItems while others update the same accounts with single-item writes and
//! read them with TransactGetItems and GetItem.
//!
//! Checked:
//! - every TransactGetItems snapshot sums to the initial total (serializable, atomic);
//! - at the end, each balance is its start plus the transfers that reported success,
//!   and each account's single-write counter is the number of single writes that
//!   reported success: conflicts are reported, never lost or applied twice;
//! - every failure is a conflict or a failed condition, nothing else.
//!
//! Loops are bounded (a fixed number of operations per thread), the RNG is seeded.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use shale_table::types::{AttributeValue, Item};
use shale_table::*;
use support::*;

const ACC: &str = "Acc";
const ACCOUNTS: usize = 6;
const START_BALANCE: i64 = 1_000;
const TRANSFER_THREADS: usize = 3;
const TRANSFERS_PER_THREAD: usize = 150;
const WRITER_THREADS: usize = 2;
const WRITES_PER_THREAD: usize = 150;
const SNAPSHOTS: usize = 150;

fn key(i: usize) -> Item {
    item(&[("pk", s(&format!("acct{i}")))])
}

fn number(i: &Item, attr: &str) -> i64 {
    match i.get(attr) {
        Some(AttributeValue::N(v)) => v.to_string().parse().expect("integer"),
        None => 0,
        other => panic!("{attr}: {other:?}"),
    }
}

/// A small seeded generator (SplitMix64), one per thread.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

#[derive(Default)]
struct Tally {
    committed: AtomicUsize,
    txn_conflicts: AtomicUsize,
    insufficient: AtomicUsize,
    single_ok: AtomicUsize,
    single_conflicts: AtomicUsize,
}

fn transfer(db: &Database, from: usize, to: usize, amount: i64) -> Result<(), Error> {
    let amt = n(&amount.to_string());
    transact(
        db,
        vec![
            tx_update(
                ACC,
                key(from),
                "SET balance = balance - :amt",
                Some("balance >= :amt"),
                &[(":amt", amt.clone())],
            ),
            tx_update(
                ACC,
                key(to),
                "SET balance = balance + :amt",
                None,
                &[(":amt", amt)],
            ),
        ],
    )
    .map(|_| ())
}

#[test]
fn transfers_keep_the_total_in_every_snapshot_and_lose_nothing() {
    for_each_backend(|b, db| {
        db.create_table(simple_table(ACC, None)).unwrap();
        for i in 0..ACCOUNTS {
            let mut it = key(i);
            it.insert("balance".into(), n(&START_BALANCE.to_string()));
            put(&db, ACC, it);
        }
        let total = START_BALANCE * ACCOUNTS as i64;
        let tally = Tally::default();
        // Per account: net change from committed transfers, single writes that succeeded.
        let net = Mutex::new(vec![0i64; ACCOUNTS]);
        let touched = Mutex::new(vec![0i64; ACCOUNTS]);
        let all_keys: Vec<(&str, Item)> = (0..ACCOUNTS).map(|i| (ACC, key(i))).collect();
        std::thread::scope(|scope| {
            for t in 0..TRANSFER_THREADS {
                let (db, tally, net) = (&db, &tally, &net);
                scope.spawn(move || {
                    let mut rng = Rng(t as u64 + 1);
                    for _ in 0..TRANSFERS_PER_THREAD {
                        let from = rng.below(ACCOUNTS);
                        let to = (from + 1 + rng.below(ACCOUNTS - 1)) % ACCOUNTS;
                        let amount = 1 + rng.below(300) as i64;
                        match transfer(db, from, to, amount) {
                            Ok(()) => {
                                tally.committed.fetch_add(1, Ordering::Relaxed);
                                let mut net = net.lock().unwrap();
                                net[from] -= amount;
                                net[to] += amount;
                            }
                            Err(e) => {
                                let codes = reason_codes(&e);
                                if codes.contains(&"TransactionConflict") {
                                    tally.txn_conflicts.fetch_add(1, Ordering::Relaxed);
                                } else {
                                    assert_eq!(codes, vec!["ConditionalCheckFailed", "None"]);
                                    tally.insufficient.fetch_add(1, Ordering::Relaxed);
                                }
                            }
                        }
                    }
                });
            }
            for t in 0..WRITER_THREADS {
                let (db, tally, touched) = (&db, &tally, &touched);
                scope.spawn(move || {
                    let mut rng = Rng(100 + t as u64);
                    for _ in 0..WRITES_PER_THREAD {
                        let i = rng.below(ACCOUNTS);
                        let r = db.update_item(UpdateItemInput {
                            table_name: ACC.into(),
                            key: key(i),
                            update_expression: Some(
                                "SET touched = if_not_exists(touched, :zero) + :one".into(),
                            ),
                            expression_attribute_values: vals(&[
                                (":zero", n("0")),
                                (":one", n("1")),
                            ]),
                            ..Default::default()
                        });
                        match r {
                            Ok(_) => {
                                tally.single_ok.fetch_add(1, Ordering::Relaxed);
                                touched.lock().unwrap()[i] += 1;
                            }
                            Err(Error::TransactionConflict) => {
                                tally.single_conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("single write: {e:?}"),
                        }
                    }
                });
            }
            let (db, all_keys) = (&db, &all_keys);
            scope.spawn(move || {
                for _ in 0..SNAPSHOTS {
                    let items = transact_get(db, all_keys);
                    let sum: i64 = items
                        .iter()
                        .map(|i| number(i.as_ref().expect("account"), "balance"))
                        .sum();
                    assert_eq!(sum, total, "a snapshot saw part of a transfer");
                    // A plain read never fails or blocks on a transaction.
                    db.get_item(GetItemInput {
                        table_name: ACC.into(),
                        key: key(0),
                        ..Default::default()
                    })
                    .unwrap();
                }
            });
        });
        let net = net.into_inner().unwrap();
        let touched = touched.into_inner().unwrap();
        let items = transact_get(&db, &all_keys);
        for (i, it) in items.iter().enumerate() {
            let it = it.as_ref().unwrap();
            assert_eq!(number(it, "balance"), START_BALANCE + net[i], "account {i}");
            assert_eq!(number(it, "touched"), touched[i], "account {i}");
        }
        let c = |a: &AtomicUsize| a.load(Ordering::Relaxed);
        assert_eq!(
            c(&tally.committed) + c(&tally.txn_conflicts) + c(&tally.insufficient),
            TRANSFER_THREADS * TRANSFERS_PER_THREAD
        );
        assert_eq!(
            c(&tally.single_ok) + c(&tally.single_conflicts),
            WRITER_THREADS * WRITES_PER_THREAD
        );
        assert!(c(&tally.committed) > 0);
        eprintln!(
            "{}: transfers committed {}, conflicts {}, insufficient {}; single writes ok {}, conflicts {}",
            b.name,
            c(&tally.committed),
            c(&tally.txn_conflicts),
            c(&tally.insufficient),
            c(&tally.single_ok),
            c(&tally.single_conflicts)
        );
    });
}
