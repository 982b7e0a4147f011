//! Responses of at least 4 KiB are compressed when the client's `Accept-Encoding` allows
//! gzip or deflate, as DynamoDB compresses them, with `Content-Encoding` set and
//! `X-Amz-Crc32` computed over the compressed bytes (what the SDKs check). Smaller
//! responses, and clients that do not ask, get the body as it is.

mod common;

use common::http::{Client, Response};
use common::{checked, decode, Server};
use serde_json::json;

fn create_and_fill(c: &mut Client, items: usize, text_len: usize) {
    let r = checked(
        c.call(
            "CreateTable",
            &json!({
                "TableName": "Big",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .expect("CreateTable"),
    );
    assert_eq!(r.status, 200);
    for i in 0..items {
        let item = json!({
            "pk": {"S": format!("item-{i:04}")},
            "text": {"S": format!("{i} ").repeat(text_len / 2)},
            "n": {"N": i.to_string()}
        });
        let r = checked(
            c.call("PutItem", &json!({"TableName": "Big", "Item": item}))
                .expect("PutItem"),
        );
        assert_eq!(r.status, 200);
    }
}

fn scan(c: &mut Client, accept_encoding: Option<&str>) -> Response {
    let body = json!({"TableName": "Big"}).to_string();
    let headers: Vec<(&str, &str)> = accept_encoding
        .map(|v| vec![("Accept-Encoding", v)])
        .unwrap_or_default();
    checked(c.call_raw("Scan", &headers, body.as_bytes()).expect("Scan"))
}

/// A Scan page of about 100 KB: plain when not asked, gzip or deflate when asked, and the
/// same bytes once decoded.
#[test]
fn a_large_scan_arrives_compressed_when_asked() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_and_fill(&mut c, 100, 1000);
    let plain = scan(&mut c, None);
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.body.len() > 100_000, "{}", plain.body.len());
    assert_eq!(plain.json()["Count"], 100);
    for (accept, coding) in [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("gzip, deflate, br", "gzip"),
        ("br, deflate, gzip", "deflate"),
        ("*", "gzip"),
    ] {
        let r = scan(&mut c, Some(accept));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-encoding"), Some(coding), "{accept}");
        assert_eq!(r.header("content-type"), Some("application/x-amz-json-1.0"));
        assert!(
            r.body.len() * 5 < plain.body.len(),
            "{accept}: {} compressed bytes for {}",
            r.body.len(),
            plain.body.len()
        );
        // `checked` verified the CRC of the compressed bytes; the JSON is unchanged.
        assert_eq!(decode(coding, &r.body), plain.body, "{accept}");
    }
}

#[test]
fn small_responses_and_refused_codings_are_sent_as_they_are() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_and_fill(&mut c, 100, 1000);
    for accept in ["identity", "br", "x-gzip", "gzip;q=0", "*;q=0", ""] {
        let r = scan(&mut c, Some(accept));
        assert_eq!(r.header("content-encoding"), None, "{accept:?}");
        assert_eq!(r.json()["Count"], 100);
    }
    // Under 4 KiB: never compressed, whatever is accepted.
    let r = checked(
        c.call_raw("ListTables", &[("Accept-Encoding", "gzip")], b"{}")
            .expect("ListTables"),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.json(), json!({"TableNames": ["Big"]}));
}

/// Between 4 KiB and 16 KiB the response is compressed on the event loop, above it on the
/// blocking pool; both look the same to the client. Errors are compressed by the same
/// rule: a failed condition's old item makes a large one.
#[test]
fn mid_sized_responses_and_errors_are_compressed_too() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    create_and_fill(&mut c, 1, 8000);
    let get = json!({"TableName": "Big", "Key": {"pk": {"S": "item-0000"}}}).to_string();
    let plain = checked(c.call_raw("GetItem", &[], get.as_bytes()).expect("GetItem"));
    assert!(
        (4096..16 * 1024).contains(&plain.body.len()),
        "{}",
        plain.body.len()
    );
    let r = checked(
        c.call_raw("GetItem", &[("Accept-Encoding", "gzip")], get.as_bytes())
            .expect("GetItem"),
    );
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(decode("gzip", &r.body), plain.body);

    let failing = json!({
        "TableName": "Big",
        "Item": {"pk": {"S": "item-0000"}},
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"
    })
    .to_string();
    let r = checked(
        c.call_raw(
            "PutItem",
            &[("Accept-Encoding", "deflate")],
            failing.as_bytes(),
        )
        .expect("PutItem"),
    );
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-encoding"), Some("deflate"));
    let v: serde_json::Value =
        serde_json::from_slice(&decode("deflate", &r.body)).expect("JSON once decoded");
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    assert_eq!(v["Item"]["pk"]["S"], "item-0000");
}
