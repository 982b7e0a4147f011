//! Browsers' CORS: preflights (`OPTIONS` with `Origin`) are answered as DynamoDB answers
//! them, every response to a request with `Origin` allows any origin and exposes the
//! request id, and requests without `Origin` get no CORS header at all.

mod common;

use common::http::{Client, Response};
use common::{checked, Server};
use serde_json::json;

const ORIGIN: (&str, &str) = ("Origin", "http://example.com");
/// What DynamoDB lets scripts read (not `X-Amz-Crc32`: see `server/src/cors.rs`).
const EXPOSED: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";

fn cors_headers(r: &Response) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(name, _)| name.starts_with("access-control-"))
        .cloned()
        .collect()
}

/// The preflight the AWS SDK for JavaScript's browser build sends before each call, and
/// DynamoDB's answer to it, header for header; on any path.
#[test]
fn a_preflight_gets_dynamodbs_answer() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    let asked = "Content-Type,X-Amz-Target,user-agent,content-length,host,Authorization,\
                 amz-sdk-invocation-id,amz-sdk-request,x-amz-security-token";
    for path in ["/", "/any/path"] {
        let r = checked(
            c.request(
                "OPTIONS",
                path,
                &[
                    ORIGIN,
                    ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", asked),
                ],
                b"",
            )
            .expect("OPTIONS"),
        );
        assert_eq!(r.status, 200);
        assert!(r.body.is_empty());
        let mut headers = cors_headers(&r);
        headers.sort();
        let expected: Vec<(String, String)> = [
            ("access-control-allow-headers", asked),
            ("access-control-allow-methods", "POST"),
            ("access-control-allow-origin", "*"),
            ("access-control-expose-headers", EXPOSED),
            ("access-control-max-age", "172800"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        assert_eq!(headers, expected, "{path}");
    }
    // Whatever is asked for is echoed, as DynamoDB does.
    let r = checked(
        c.request(
            "OPTIONS",
            "/",
            &[
                ORIGIN,
                ("Access-Control-Request-Method", "dog"),
                ("Access-Control-Request-Headers", "cat, meerkat, mouse"),
            ],
            b"",
        )
        .expect("OPTIONS"),
    );
    assert_eq!(r.header("access-control-allow-methods"), Some("dog"));
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("cat, meerkat, mouse")
    );
}

#[test]
fn every_response_to_a_browser_allows_any_origin() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    let list = json!({}).to_string();
    let responses = [
        c.call_raw("ListTables", &[ORIGIN], list.as_bytes()),
        c.call_raw("Frobnicate", &[ORIGIN], list.as_bytes()),
        c.call_raw(
            "GetItem",
            &[ORIGIN],
            json!({"TableName": "Nope", "Key": {"pk": {"S": "a"}}})
                .to_string()
                .as_bytes(),
        ),
        c.request("GET", "/", &[ORIGIN], b""),
        c.request("GET", "/nowhere", &[ORIGIN], b""),
    ];
    for r in responses {
        let r = checked(r.expect("a response"));
        let mut headers = cors_headers(&r);
        headers.sort();
        assert_eq!(
            headers,
            vec![
                ("access-control-allow-origin".to_string(), "*".to_string()),
                (
                    "access-control-expose-headers".to_string(),
                    EXPOSED.to_string()
                ),
            ],
            "status {}",
            r.status
        );
    }
}

#[test]
fn requests_without_origin_get_no_cors_headers() {
    let server = Server::in_memory();
    let mut c = Client::connect(server.addr).expect("connect");
    let preflight_like = [("Access-Control-Request-Method", "POST")];
    let responses = [
        c.request("OPTIONS", "/", &preflight_like, b""),
        c.request("GET", "/", &[], b""),
        c.call("ListTables", &json!({})),
    ];
    for r in responses {
        let r = checked(r.expect("a response"));
        assert_eq!(r.status, 200);
        assert!(cors_headers(&r).is_empty(), "{:?}", r.headers);
    }
}
