//! `--on-demand-scaling on`: a new on-demand table takes 4,000 WRU per second at once, as
//! DynamoDB's does; what a BatchWriteItem sends beyond that comes back unprocessed (or,
//! when none of a batch could be written, fails it with the throttle), and a PutItem
//! over it is a ThrottlingException with DynamoDB's message. Without the flag
//! (the server's default) the same load is taken whole. The clock is manual, so "one
//! second" is exact.

mod common;

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

fn call(c: &mut Client, op: &str, body: &Value) -> (u16, Value) {
    let r = c.call(op, body).expect("request");
    (r.status, r.json())
}

/// Writes 20 batches of 25 items of ~10 KB (10 WRU each: 5,000 WRU); returns how many
/// items came back unprocessed.
fn load(c: &mut Client) -> usize {
    let (status, _) = call(
        c,
        "CreateTable",
        &json!({
            "TableName": "Spiky",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    assert_eq!(status, 200);
    let payload = "x".repeat(10_200);
    let mut unprocessed = 0;
    for batch in 0..20 {
        let requests: Vec<Value> = (0..25)
            .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{batch}-{i}")}, "p": {"S": payload}}}}))
            .collect();
        let (status, out) = call(
            c,
            "BatchWriteItem",
            &json!({"RequestItems": {"Spiky": requests}}),
        );
        if status == 400 {
            // None of the batch could be done: the throttle itself, as DynamoDB documents.
            assert_eq!(
                out["__type"],
                "com.amazonaws.dynamodb.v20120810#ThrottlingException"
            );
            unprocessed += 25;
            continue;
        }
        assert_eq!(status, 200, "{out}");
        unprocessed += out["UnprocessedItems"]
            .get("Spiky")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
    }
    unprocessed
}

#[test]
fn with_scaling_on_a_new_table_takes_four_thousand_wru_a_second() {
    let server = Server::start(&["--in-memory", "--manual-clock", "--on-demand-scaling", "on"]);
    let mut c = Client::connect(server.addr).unwrap();
    // 5,000 WRU offered, 4,000 taken: 100 of the 500 items come back.
    assert_eq!(load(&mut c), 100);
    let (status, e) = call(
        &mut c,
        "PutItem",
        &json!({"TableName": "Spiky", "Item": {"pk": {"S": "one-more"}}}),
    );
    assert_eq!(status, 400);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#ThrottlingException"
    );
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("DynamoDB is automatically scaling your table or index"));
}

#[test]
fn by_default_the_server_takes_the_load_whole() {
    let server = Server::start(&["--in-memory", "--manual-clock"]);
    let mut c = Client::connect(server.addr).unwrap();
    assert_eq!(load(&mut c), 0);
}
