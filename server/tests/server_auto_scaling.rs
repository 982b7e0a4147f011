//! `--auto-scaling FILE`: the server's worker scales a provisioned table by target
//! tracking. On a manual clock: two busy minutes at 90 % of 100 WCU raise it to
//! ceil(90 / 0.7) = 129 WCU; a bad file stops the server from starting.

mod common;

use std::time::{Duration, Instant};

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

fn call(c: &mut Client, op: &str, body: &Value) -> Value {
    let r = c.call(op, body).expect("request");
    assert_eq!(r.status, 200, "{op}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn advance(c: &mut Client, seconds: u64) {
    let r = c
        .request(
            "POST",
            &format!("/_shale/clock/advance?seconds={seconds}"),
            &[],
            b"",
        )
        .unwrap();
    assert_eq!(r.status, 200);
}

fn wcu(c: &mut Client) -> i64 {
    call(c, "DescribeTable", &json!({"TableName": "Busy"}))["Table"]["ProvisionedThroughput"]
        ["WriteCapacityUnits"]
        .as_i64()
        .unwrap()
}

/// A minute's worth of 90 one-WCU writes a second, in batches of 25.
fn busy_minute(c: &mut Client) {
    for batch in 0..(90 * 60 / 25) {
        let items: Vec<Value> = (0..25)
            .map(|i| json!({"PutRequest": {"Item": {"pk": {"S": format!("k{batch}-{i}")}}}}))
            .collect();
        let out = call(
            c,
            "BatchWriteItem",
            &json!({"RequestItems": {"Busy": items}}),
        );
        assert_eq!(out["UnprocessedItems"], json!({}));
    }
}

#[test]
fn the_worker_scales_a_busy_table_out() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("as.json");
    std::fs::write(
        &file,
        r#"{"Tables": {"Busy": {"Write": {"TargetUtilization": 70, "MinimumUnits": 10,
            "MaximumUnits": 1000}}}}"#,
    )
    .unwrap();
    let server = Server::start(&[
        "--in-memory",
        "--manual-clock",
        "--auto-scaling",
        file.to_str().unwrap(),
    ]);
    let mut c = Client::connect(server.addr).unwrap();
    call(
        &mut c,
        "CreateTable",
        &json!({
            "TableName": "Busy",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 100}
        }),
    );
    // Let the worker (a round every 20 ms) take its first look before the load.
    std::thread::sleep(Duration::from_millis(300));
    busy_minute(&mut c);
    advance(&mut c, 60);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(wcu(&mut c), 100, "one busy minute is not enough");
    busy_minute(&mut c);
    advance(&mut c, 60);
    let deadline = Instant::now() + Duration::from_secs(30);
    while wcu(&mut c) != 129 {
        assert!(Instant::now() < deadline, "not scaled: {} WCU", wcu(&mut c));
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_bad_file_stops_the_server_from_starting() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("as.json");
    std::fs::write(
        &file,
        r#"{"Tables": {"T": {"Write": {"TargetUtilization": 99,
        "MinimumUnits": 1, "MaximumUnits": 2}}}}"#,
    )
    .unwrap();
    let out = common::run_to_exit(&["--in-memory", "--auto-scaling", file.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad policy for table T"), "{stderr}");
}
