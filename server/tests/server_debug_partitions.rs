//! `GET /debug/partitions`: capacity admission's partition view of every table as JSON,
//! with the charges of requests made.

mod common;

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

fn call(c: &mut Client, op: &str, body: Value) -> u16 {
    c.request(
        "POST",
        "/",
        &[
            ("X-Amz-Target", &format!("DynamoDB_20120810.{op}")),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        body.to_string().as_bytes(),
    )
    .unwrap()
    .status
}

#[test]
fn the_partition_view_lists_tables_partitions_and_their_charges() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let create = json!({
        "TableName": "Users",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 5}
    });
    assert_eq!(call(&mut c, "CreateTable", create), 200);
    assert_eq!(
        call(
            &mut c,
            "PutItem",
            json!({"TableName": "Users", "Item": {"pk": {"S": "a"}}})
        ),
        200
    );
    let r = c.request("GET", "/debug/partitions", &[], b"").unwrap();
    assert_eq!(r.status, 200);
    let views: Value = serde_json::from_slice(&r.body).unwrap();
    let users = &views[0];
    assert_eq!(users["table_name"], "Users");
    let table = &users["resources"][0];
    assert_eq!(table["read_units_per_sec"], 10);
    assert_eq!(table["write_units_per_sec"], 5);
    let partitions = table["partitions"].as_array().unwrap();
    assert_eq!(partitions.len(), 1);
    assert_eq!(partitions[0]["write"]["consumed_units"], 1.0);
}
