//! Transaction figures (issue 12), printed as tables, on the LSM engine in sync mode
//! (every acknowledged write fdatasynced, group commit):
//!
//! 1. TransactWriteItems of 2, 10 and 100 puts against the same number of single
//!    PutItems, one thread: items per second and the p50/p99 time of one group (one
//!    transaction, or k PutItems in a row);
//! 2. the transfer workload (2-item transactions moving money between random accounts
//!    of `ACCOUNTS`, no retries) at 2 and 8 threads: attempts and commits per second,
//!    conflict rate;
//! 3. unrelated writes do not wait on transactions: single PutItem latency, one thread,
//!    alone, beside a thread running 100-item transactions on other keys of the same
//!    database, and beside the same load on another database; and the item-lock waits
//!    counted (in memory, so the figure is the locking and not the disk).
//!
//! Run: `cargo bench -p shale-table --bench transactions` (`SHALE_TXN_BENCH_SCALE=N`
//! multiplies the rounds, default 1).

// criterion_group! is not used; the binary prints its own figures.
#![allow(missing_docs)]

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use shale_engine::{Backend, Db, DbOptions, Durability, MemBackend};
use shale_table::types::{AttributeValue, Item, Number};
use shale_table::*;

const ACCOUNTS: usize = 1000;
const TRANSFER_SECS: u64 = 5;
const SINGLE_PUTS: usize = 20_000;

fn scale() -> usize {
    std::env::var("SHALE_TXN_BENCH_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn num(v: i64) -> AttributeValue {
    AttributeValue::N(Number::parse(&v.to_string()).expect("number"))
}

fn item(pk: &str) -> Item {
    [
        ("pk".to_string(), s(pk)),
        ("pad".to_string(), s(&"p".repeat(100))),
    ]
    .into()
}

fn table(name: &str) -> CreateTableInput {
    CreateTableInput {
        table_name: name.into(),
        attribute_definitions: vec![AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: ScalarAttributeType::S,
        }],
        key_schema: vec![KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: KeyType::Hash,
        }],
        billing_mode: Some(BillingMode::PayPerRequest),
        ..Default::default()
    }
}

fn lsm_sync(dir: &std::path::Path) -> Arc<dyn Backend> {
    Arc::new(Db::open(DbOptions::new(dir).with_durability(Durability::Sync)).expect("open lsm"))
}

fn open(backend: Arc<dyn Backend>) -> Database {
    Database::open(
        backend,
        // On-demand scaling off: this measures transactions, and an on-demand table
        // throttles a load this fast.
        DatabaseOptions::default()
            .with_background_index_worker(false)
            .with_capacity(
                shale_table::capacity::CapacityOptions::default().with_on_demand_scaling(false),
            ),
    )
    .expect("open database")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn put(db: &Database, t: &str, it: Item) {
    db.put_item(PutItemInput {
        table_name: t.into(),
        item: it,
        ..Default::default()
    })
    .expect("put");
}

fn tx_put(t: &str, it: Item) -> TransactWriteItem {
    TransactWriteItem {
        put: Some(TransactPut {
            table_name: t.into(),
            item: it,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Part 1: k-item transactions against k single puts.
fn groups() {
    println!("\n## TransactWriteItems of k puts vs k PutItems (LSM, sync, 1 thread)\n");
    println!("| k | how | groups | items/s | group p50 µs | group p99 µs |");
    println!("|---:|---|---:|---:|---:|---:|");
    for k in [2usize, 10, 100] {
        let rounds = scale() * (2000 / k).max(50);
        for transactional in [true, false] {
            let dir = tempfile::tempdir().expect("temp dir");
            let db = open(lsm_sync(dir.path()));
            db.create_table(table("Bench")).unwrap();
            let mut lat = Vec::with_capacity(rounds);
            let start = Instant::now();
            for r in 0..rounds {
                let t0 = Instant::now();
                let items = (0..k).map(|i| item(&format!("r{r}-i{i}")));
                if transactional {
                    db.transact_write_items(TransactWriteItemsInput {
                        transact_items: items.map(|it| tx_put("Bench", it)).collect(),
                        ..Default::default()
                    })
                    .expect("transaction");
                } else {
                    for it in items {
                        put(&db, "Bench", it);
                    }
                }
                lat.push(t0.elapsed());
            }
            let secs = start.elapsed().as_secs_f64();
            lat.sort_unstable();
            println!(
                "| {k} | {} | {rounds} | {:.0} | {} | {} |",
                if transactional {
                    "1 TransactWriteItems"
                } else {
                    "k PutItems"
                },
                (rounds * k) as f64 / secs,
                percentile(&lat, 0.50).as_micros(),
                percentile(&lat, 0.99).as_micros()
            );
        }
    }
}

/// Part 2: transfers between random accounts.
fn transfers() {
    println!(
        "\n## Transfer workload ({ACCOUNTS} accounts, LSM, sync, {TRANSFER_SECS} s, no retries)\n"
    );
    println!("| threads | attempts/s | commits/s | conflict rate | insufficient funds |");
    println!("|---:|---:|---:|---:|---:|");
    for threads in [2usize, 8] {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = open(lsm_sync(dir.path()));
        db.create_table(table("Acc")).unwrap();
        for i in 0..ACCOUNTS {
            let mut it = item(&format!("a{i}"));
            it.insert("balance".into(), num(1000));
            put(&db, "Acc", it);
        }
        let (attempts, commits, conflicts, insufficient) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        let stop = AtomicBool::new(false);
        let start = Instant::now();
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (db, stop) = (&db, &stop);
                let (attempts, commits, conflicts, insufficient) =
                    (&attempts, &commits, &conflicts, &insufficient);
                scope.spawn(move || {
                    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ (t as u64 + 1);
                    let mut next = |n: usize| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x % n as u64) as usize
                    };
                    while !stop.load(Ordering::Relaxed) {
                        let from = next(ACCOUNTS);
                        let to = (from + 1 + next(ACCOUNTS - 1)) % ACCOUNTS;
                        let amt = [(":amt".to_string(), num(1 + next(50) as i64))];
                        let update =
                            |pk: String, expr: &str, cond: Option<&str>| TransactWriteItem {
                                update: Some(TransactUpdate {
                                    table_name: "Acc".into(),
                                    key: [("pk".to_string(), s(&pk))].into(),
                                    update_expression: Some(expr.into()),
                                    condition_expression: cond.map(str::to_owned),
                                    expression_attribute_values: Some(amt.clone().into()),
                                    ..Default::default()
                                }),
                                ..Default::default()
                            };
                        let r = db.transact_write_items(TransactWriteItemsInput {
                            transact_items: vec![
                                update(
                                    format!("a{from}"),
                                    "SET balance = balance - :amt",
                                    Some("balance >= :amt"),
                                ),
                                update(format!("a{to}"), "SET balance = balance + :amt", None),
                            ],
                            ..Default::default()
                        });
                        attempts.fetch_add(1, Ordering::Relaxed);
                        match r {
                            Ok(_) => commits.fetch_add(1, Ordering::Relaxed),
                            Err(Error::TransactionCanceled { reasons })
                                if reasons.iter().any(|r| r.code == "TransactionConflict") =>
                            {
                                conflicts.fetch_add(1, Ordering::Relaxed)
                            }
                            Err(Error::TransactionCanceled { .. }) => {
                                insufficient.fetch_add(1, Ordering::Relaxed)
                            }
                            Err(e) => panic!("transfer: {e:?}"),
                        };
                    }
                });
            }
            std::thread::sleep(Duration::from_secs(TRANSFER_SECS * scale() as u64));
            stop.store(true, Ordering::Relaxed);
        });
        let secs = start.elapsed().as_secs_f64();
        let a = attempts.load(Ordering::Relaxed) as f64;
        println!(
            "| {threads} | {:.0} | {:.0} | {:.2}% | {:.2}% |",
            a / secs,
            commits.load(Ordering::Relaxed) as f64 / secs,
            100.0 * conflicts.load(Ordering::Relaxed) as f64 / a,
            100.0 * insufficient.load(Ordering::Relaxed) as f64 / a
        );
    }
}

/// Part 3: single PutItems alone, beside 100-item transactions on other keys of the same
/// database, and beside the same transactions on another database (the same CPU load,
/// nothing shared), with the item-lock waits the puts' database counted.
fn unrelated() {
    println!("\n## Single PutItem latency beside 100-item transactions on other keys (memory)\n");
    println!(
        "| beside | puts | p50 µs | p99 µs | p99.9 µs | transactions meanwhile | item-lock waits |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for beside in ["nothing", "same database", "another database"] {
        let db = open(Arc::new(MemBackend::new()));
        db.create_table(table("Bench")).unwrap();
        let other = open(Arc::new(MemBackend::new()));
        other.create_table(table("Bench")).unwrap();
        let stop = AtomicBool::new(false);
        let txns = AtomicUsize::new(0);
        let mut lat = Vec::with_capacity(SINGLE_PUTS * scale());
        std::thread::scope(|scope| {
            if beside != "nothing" {
                let tdb = if beside == "same database" {
                    &db
                } else {
                    &other
                };
                let (stop, txns) = (&stop, &txns);
                scope.spawn(move || {
                    let mut r = 0usize;
                    while !stop.load(Ordering::Relaxed) {
                        let items = (0..100).map(|i| tx_put("Bench", item(&format!("t{r}-{i}"))));
                        tdb.transact_write_items(TransactWriteItemsInput {
                            transact_items: items.collect(),
                            ..Default::default()
                        })
                        .expect("transaction on its own keys");
                        txns.fetch_add(1, Ordering::Relaxed);
                        r += 1;
                    }
                });
            }
            for i in 0..SINGLE_PUTS * scale() {
                let t0 = Instant::now();
                put(&db, "Bench", item(&format!("single{i}")));
                lat.push(t0.elapsed());
            }
            stop.store(true, Ordering::Relaxed);
        });
        lat.sort_unstable();
        println!(
            "| {beside} | {} | {:.1} | {:.1} | {:.1} | {} | {} |",
            lat.len(),
            percentile(&lat, 0.50).as_nanos() as f64 / 1000.0,
            percentile(&lat, 0.99).as_nanos() as f64 / 1000.0,
            percentile(&lat, 0.999).as_nanos() as f64 / 1000.0,
            txns.load(Ordering::Relaxed),
            db.item_lock_waits()
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs the binary with no
    // arguments and expects it to finish quickly.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    groups();
    transfers();
    unrelated();
}
