//! Slow and large requests run off the event loop (`http::runs_inline`): while scans over
//! many items and large batch writes are in flight on other connections, a small GetItem
//! is still answered. No timing assertion beyond the client's generous I/O timeout; the
//! slowest GetItem is printed for the curious.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

/// Items in the big table: with [`BIG_ITEM_BYTES`] each, a full scan is several 1 MB pages.
const BIG_ITEMS: usize = 2_000;
/// Size of one item's payload attribute.
const BIG_ITEM_BYTES: usize = 2 * 1024;
/// Items per BatchWriteItem (DynamoDB's maximum).
const BATCH: usize = 25;
/// Payload of each item the background batches write: 25 of them make a body of about
/// 400 KB, far over the inline limit.
const BATCH_ITEM_BYTES: usize = 16 * 1024;
/// Connections running scans and batches in the background.
const BACKGROUND_CONNECTIONS: usize = 4;
/// GetItems issued while the background load runs.
const GETS: usize = 200;
/// Bound on waiting for the background load to get going, and on the gets' phase.
const START_DEADLINE: Duration = Duration::from_secs(120);

fn ok(c: &mut Client, op: &str, body: &Value) -> Value {
    let r = c.call(op, body).expect("request");
    assert_eq!(r.status, 200, "{op}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn create_table(c: &mut Client, name: &str) {
    ok(
        c,
        "CreateTable",
        &json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
}

fn batch_put(c: &mut Client, table: &str, keys: impl Iterator<Item = String>, bytes: usize) {
    let payload = "x".repeat(bytes);
    let requests: Vec<Value> = keys
        .map(|k| json!({"PutRequest": {"Item": {"pk": {"S": k}, "p": {"S": payload}}}}))
        .collect();
    let out = ok(
        c,
        "BatchWriteItem",
        &json!({"RequestItems": {table: requests}}),
    );
    assert_eq!(out["UnprocessedItems"], json!({}), "{out}");
}

/// Every page of a scan of `table`; returns the item count.
fn full_scan(c: &mut Client, table: &str) -> u64 {
    let mut count = 0;
    let mut start: Option<Value> = None;
    loop {
        let mut body = json!({"TableName": table});
        if let Some(k) = start.take() {
            body["ExclusiveStartKey"] = k;
        }
        let page = ok(c, "Scan", &body);
        count += page["Count"].as_u64().expect("Count");
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => return count,
        }
    }
}

fn small_get_answered_during_slow_requests(server: &Server) {
    let mut c = Client::connect(server.addr).unwrap();
    create_table(&mut c, "Big");
    create_table(&mut c, "Small");
    for first in (0..BIG_ITEMS).step_by(BATCH) {
        batch_put(
            &mut c,
            "Big",
            (first..first + BATCH).map(|i| format!("big{i:05}")),
            BIG_ITEM_BYTES,
        );
    }
    let small = json!({"pk": {"S": "k"}, "v": {"N": "1"}});
    ok(
        &mut c,
        "PutItem",
        &json!({"TableName": "Small", "Item": small}),
    );
    // The background batches write to their own table.
    create_table(&mut c, "Churn");

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..BACKGROUND_CONNECTIONS)
        .map(|w| {
            let (stop, done, addr) = (Arc::clone(&stop), Arc::clone(&done), server.addr);
            std::thread::spawn(move || {
                let mut c = Client::connect(addr).unwrap();
                let mut round = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    if (w + round).is_multiple_of(2) {
                        assert_eq!(full_scan(&mut c, "Big"), BIG_ITEMS as u64);
                    } else {
                        let base = (w * 1_000_000) + round * BATCH;
                        batch_put(
                            &mut c,
                            "Churn",
                            (base..base + BATCH).map(|i| format!("c{i}")),
                            BATCH_ITEM_BYTES,
                        );
                    }
                    round += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // Wait until every background connection is busy, so the gets overlap real load.
    let deadline = Instant::now() + START_DEADLINE;
    while done.load(Ordering::Relaxed) < BACKGROUND_CONNECTIONS {
        assert!(
            Instant::now() < deadline,
            "the background load never got going"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // At least GETS gets, and on until every background connection has finished another
    // request, so the gets surely overlapped the load.
    let before = done.load(Ordering::Relaxed);
    let mut slowest = Duration::ZERO;
    let mut gets = 0usize;
    let mut g = Client::connect(server.addr).unwrap();
    let deadline = Instant::now() + START_DEADLINE;
    while gets < GETS || done.load(Ordering::Relaxed) - before < BACKGROUND_CONNECTIONS {
        assert!(Instant::now() < deadline, "the background load stalled");
        let started = Instant::now();
        let got = ok(
            &mut g,
            "GetItem",
            &json!({"TableName": "Small", "Key": {"pk": {"S": "k"}}}),
        );
        slowest = slowest.max(started.elapsed());
        assert_eq!(got, json!({"Item": small}));
        gets += 1;
    }
    let during = done.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("background connection");
    }
    eprintln!("{gets} GetItems answered beside {during} scans/batches; slowest {slowest:?}");
}

#[test]
fn small_get_is_answered_while_scans_and_large_batches_run_in_memory() {
    small_get_answered_during_slow_requests(&Server::in_memory());
}

#[test]
fn small_get_is_answered_while_scans_and_large_batches_run_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    small_get_answered_during_slow_requests(&Server::start(&[
        "--data-dir",
        data.to_str().unwrap(),
    ]));
}
