//! `--partition-limits on`: one partition key takes at most 1,000 WCU a second, as a
//! DynamoDB partition does; beyond it a PutItem is a ThrottlingException (on demand)
//! whose reason is `TableWriteKeyRangeThroughputExceeded`. The partition view names the
//! hot key. Without the flag (the default) the same burst is taken whole.

mod common;

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

/// 1,200 one-WCU writes to one key at one instant of the manual clock; returns how many
/// were throttled and the last refusal.
fn burst(c: &mut Client) -> (u32, Value) {
    let r = c
        .call(
            "CreateTable",
            &json!({
                "TableName": "Hot",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .unwrap();
    assert_eq!(r.status, 200);
    let mut throttled = 0;
    let mut last = Value::Null;
    for i in 0..1_200 {
        let r = c
            .call(
                "PutItem",
                &json!({"TableName": "Hot", "Item": {"pk": {"S": "A"}, "n": {"N": i.to_string()}}}),
            )
            .unwrap();
        if r.status != 200 {
            throttled += 1;
            last = r.json();
        }
    }
    (throttled, last)
}

#[test]
fn with_limits_on_a_hot_key_is_held_to_its_partitions_limit() {
    let server = Server::start(&["--in-memory", "--manual-clock", "--partition-limits", "on"]);
    let mut c = Client::connect(server.addr).unwrap();
    let (throttled, e) = burst(&mut c);
    assert_eq!(throttled, 200);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#ThrottlingException"
    );
    let view = c
        .request("GET", "/debug/partitions?table=Hot", &[], b"")
        .unwrap();
    assert_eq!(view.status, 200);
    let text = String::from_utf8(view.body).unwrap();
    assert!(text.contains(r#"{\"S\":\"A\"}"#), "{text}");
}

#[test]
fn by_default_the_burst_is_taken_whole() {
    let server = Server::start(&["--in-memory", "--manual-clock"]);
    let mut c = Client::connect(server.addr).unwrap();
    assert_eq!(burst(&mut c).0, 0);
}
