//! DescribeLimits answers DynamoDB's default quotas and DescribeEndpoints the address the
//! client reached the server at, over raw HTTP and through boto3
//! (`tests/py/boto3_describe_limits_and_endpoints.py`, which also calls the advertised
//! address back, as a client doing endpoint discovery would).
//!
//! The boto3 test needs `python3` with `boto3` (CI installs it). Without them it prints a
//! notice and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::http::Client;
use common::{assert_request_counts, checked, require_boto3};
use common::{run_boto3_script, Server};
use serde_json::json;

#[test]
fn describe_limits_reports_dynamodbs_default_quotas() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    let r = checked(
        c.call("DescribeLimits", &json!({}))
            .expect("DescribeLimits"),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({
            "AccountMaxReadCapacityUnits": 80000,
            "AccountMaxWriteCapacityUnits": 80000,
            "TableMaxReadCapacityUnits": 40000,
            "TableMaxWriteCapacityUnits": 40000
        })
    );
    // Like any operation: a body that is not JSON is a SerializationException.
    let r = checked(
        c.call_raw("DescribeLimits", &[], b"{")
            .expect("DescribeLimits"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    assert_request_counts(
        server.addr,
        &[
            r#"{operation="DescribeLimits",table="",outcome="ok"} 1"#,
            r#"{operation="DescribeLimits",table="",outcome="SerializationException"} 1"#,
        ],
    );
}

#[test]
fn describe_endpoints_answers_the_address_asked_for() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    // The test client sends `Host: localhost`.
    let r = checked(
        c.call("DescribeEndpoints", &json!({}))
            .expect("DescribeEndpoints"),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.json(),
        json!({"Endpoints": [{"Address": "localhost", "CachePeriodInMinutes": 1440}]})
    );
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: DynamoDB_20120810.DescribeEndpoints\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{{}}",
        server.addr
    );
    let r = checked(c.send_raw(raw.as_bytes()).expect("DescribeEndpoints"));
    assert_eq!(r.json()["Endpoints"][0]["Address"], server.addr.to_string());
}

#[test]
fn boto3_describe_limits_and_endpoints() {
    if !require_boto3("boto3_describe_limits_and_endpoints") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/boto3_describe_limits_and_endpoints.py"
    );
    run_boto3_script(
        "boto3 describe limits and endpoints",
        script,
        &[&server.url()],
    );
}
