//! A throttled request's error body, byte for byte where DynamoDB documents it: the
//! exception's `__type` and message, and its ThrottlingReasons (`reason` and the ARN of
//! the table or index as `resource`), spelled `ThrottlingReasons` on
//! ProvisionedThroughputExceededException and `throttlingReasons` on ThrottlingException,
//! as the SDKs' models spell them. The clock is manual, so the buckets never refill.

mod common;

use common::http::Client;
use common::Server;
use serde_json::{json, Value};

const DDB: &str = "com.amazonaws.dynamodb.v20120810#";

fn call(c: &mut Client, op: &str, body: &Value) -> (u16, Value) {
    let r = c.call(op, body).expect("request");
    (r.status, r.json())
}

fn create(c: &mut Client, table: &str, billing: Value) {
    let mut body = json!({
        "TableName": table,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    });
    body.as_object_mut()
        .unwrap()
        .extend(billing.as_object().unwrap().clone());
    let (status, out) = call(c, "CreateTable", &body);
    assert_eq!(status, 200, "{out}");
}

/// Puts items into `table` until one is refused (at most `bound` tries); the refusal.
fn put_until_throttled(c: &mut Client, table: &str, bound: usize) -> Value {
    for i in 0..bound {
        let (status, out) = call(
            c,
            "PutItem",
            &json!({"TableName": table, "Item": {"pk": {"S": format!("k{i}")}}}),
        );
        if status != 200 {
            assert_eq!(status, 400, "{out}");
            return out;
        }
    }
    panic!("{table} took {bound} writes unthrottled");
}

#[test]
fn a_provisioned_table_names_its_reason_and_arn() {
    let server = Server::start(&["--in-memory", "--manual-clock"]);
    let mut c = Client::connect(server.addr).unwrap();
    // 1 WCU starts with 300 s of burst: the 301st one-unit write is refused.
    create(
        &mut c,
        "Tiny",
        json!({"ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    );
    let e = put_until_throttled(&mut c, "Tiny", 400);
    assert_eq!(
        e,
        json!({
            "__type": format!("{DDB}ProvisionedThroughputExceededException"),
            "message": "The level of configured provisioned throughput for the table was \
                        exceeded. Consider increasing your provisioning level with the \
                        UpdateTable API.",
            "ThrottlingReasons": [{
                "reason": "TableWriteProvisionedThroughputExceeded",
                "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Tiny",
            }],
        })
    );
}

#[test]
fn an_on_demand_table_over_its_maximum_names_its_reason_and_arn() {
    let server = Server::start(&["--in-memory", "--manual-clock"]);
    let mut c = Client::connect(server.addr).unwrap();
    create(
        &mut c,
        "Capped",
        json!({
            "BillingMode": "PAY_PER_REQUEST",
            "OnDemandThroughput": {"MaxWriteRequestUnits": 1},
        }),
    );
    let e = put_until_throttled(&mut c, "Capped", 10);
    assert_eq!(e["__type"], format!("{DDB}ThrottlingException"));
    assert_eq!(
        e["throttlingReasons"],
        json!([{
            "reason": "TableWriteMaxOnDemandThroughputExceeded",
            "resource": "arn:aws:dynamodb:us-east-1:000000000000:table/Capped",
        }])
    );
    assert!(e.get("ThrottlingReasons").is_none(), "{e}");
}
