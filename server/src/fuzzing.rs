//! Entry point for `fuzz/fuzz_targets/http_request.rs` and its stable corpus replay
//! (`server/tests/server_fuzz_corpus_replay.rs`): arbitrary bytes as a sequence of API
//! requests, run through the steps [`crate::http`] runs for a `POST`, against a fresh
//! in-memory database, with the response of each checked against the wire contract.
//!
//! Input grammar (chosen so that libFuzzer's byte mutations stay meaningful):
//! - requests are separated by a NUL byte (no valid header value or JSON text contains
//!   a raw NUL, so nothing reachable is lost), at most [`MAX_REQUESTS_PER_INPUT`];
//! - in each request the first line is the `X-Amz-Target` value, the second the
//!   `Content-Type` value, and the rest the body.
//!
//! A fresh database per input (not one reused across inputs) keeps every finding
//! reproducible from its input alone; several requests per input still let the fuzzer
//! reach item paths (create a table, then put, query, update). The database runs without
//! its background worker and with a manual clock (1 ms per request), and the GSI work it would have done is
//! run after each request ([`Database::wait_for_indexes`]), so the run is deterministic.
//!
//! It is not: hyper's HTTP/1.1 parsing, the connection limits or the body-read timeout;
//! those are hyper's or `server_hostile_inputs`'s to test. The engine call is not wrapped
//! in `catch_unwind` as the server wraps it: a panic there is a bug the fuzzer must see.

use std::sync::Arc;

use shale_engine::MemBackend;
use shale_io::clock::{Clock, ManualClock};
use shale_table::{Database, DatabaseOptions};

use crate::api_error::{ApiError, MAX_REQUEST_BODY_BYTES};
use crate::dispatch;
use crate::http::{AMZ_JSON_CONTENT_TYPE, JSON_CONTENT_TYPE};
use crate::operations::{parse_target, Target};

/// Requests read from one input; the rest is ignored, so one input's work is bounded.
pub const MAX_REQUESTS_PER_INPUT: usize = 8;
/// The fixed time the fuzzed database sees: 2026-01-01T00:00:00Z, in µs.
const FUZZ_CLOCK_MICROS: u64 = 1_767_225_600_000_000;
/// The address DescribeEndpoints answers with (the server answers the request's `Host`).
const FUZZ_ENDPOINT: &str = "localhost:8000";
/// How far the clock moves before each request: 1 ms.
const REQUEST_GAP_MICROS: u64 = 1_000;
/// An error's message may quote the request (a bad value, a name), but never grow much
/// beyond it (issue 16, case 5: an 889 KB message for one request).
const ERROR_MESSAGE_SLACK_BYTES: usize = 4096;

/// What the server would answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzResponse {
    /// The HTTP status.
    pub status: u16,
    /// `Some(exception name)` for an API error.
    pub exception: Option<&'static str>,
    /// The response body.
    pub body: Vec<u8>,
}

/// Runs every request in `data` (see the module doc for the grammar) against a fresh
/// in-memory database and returns the responses, after checking each:
/// - only 200, 400, 413 and 500 for an API request, and 404 only for a content type
///   DynamoDB does not accept;
/// - a 200 body is a JSON object;
/// - an error body is a JSON object whose `__type` ends in `#<exception name>`, with a
///   message not much longer than the request;
/// - no 500 at all: on the in-memory backend nothing fails inside the server, so an
///   InternalServerError (a corrupt item or catalog, an encoding failure) is a bug.
///
/// # Panics
/// When an engine call panics or a response breaks one of the rules above: both are
/// findings.
pub fn run_requests(data: &[u8]) -> Vec<FuzzResponse> {
    let manual = ManualClock::new(FUZZ_CLOCK_MICROS);
    let clock: Arc<dyn Clock> = Arc::new(manual.clone());
    let backend = Arc::new(MemBackend::with_clock(Arc::clone(&clock)));
    let options = DatabaseOptions::default()
        .with_clock(clock)
        .with_background_index_worker(false);
    let db = Database::open(backend, options).expect("an empty in-memory database opens");
    let responses: Vec<FuzzResponse> = data
        .split(|b| *b == 0)
        .take(MAX_REQUESTS_PER_INPUT)
        .map(|request| {
            // Time moves between requests, as it does between a client's calls (ids and
            // timestamps derived from the clock differ).
            manual.advance_micros(REQUEST_GAP_MICROS);
            let response = one_request(&db, request);
            // What the background worker would do between requests; a failure here is
            // the engine's own limit (LimitExceeded), not a response to check.
            let _ = db.wait_for_indexes();
            let _ = db.wait_for_restores();
            response
        })
        .collect();
    drop(db);
    responses
}

/// One request: `target\ncontent-type\nbody`.
fn one_request(db: &Database, request: &[u8]) -> FuzzResponse {
    let mut parts = request.splitn(3, |b| *b == b'\n');
    let target = parts.next().and_then(header_value);
    let content_type = parts.next().and_then(header_value);
    let body = parts.next().unwrap_or_default();
    let response = api_response(db, target, content_type, body);
    check_response(&response, body.len());
    response
}

/// A header line as hyper hands it to [`crate::http`]: `HeaderValue::to_str` succeeds
/// only for visible ASCII, space and tab; surrounding whitespace is not part of the value.
fn header_value(line: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(line).ok()?;
    let visible = text
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
    visible.then(|| text.trim_matches([' ', '\t']))
}

/// The steps of `http::api` for a POST, in its order: content type (404 when DynamoDB
/// would not accept it), body size, target, then the engine call and the error mapping.
fn api_response(
    db: &Database,
    target: Option<&str>,
    content_type: Option<&str>,
    body: &[u8],
) -> FuzzResponse {
    if content_type.and_then(accepted_content_type).is_none() {
        return FuzzResponse {
            status: 404,
            exception: None,
            body: b"<UnknownOperationException/>\n".to_vec(),
        };
    }
    let result = if body.len() > MAX_REQUEST_BODY_BYTES {
        Err(ApiError::BodyTooLarge {
            limit_bytes: MAX_REQUEST_BODY_BYTES,
        })
    } else {
        match parse_target(target) {
            Target::Unknown => Err(ApiError::UnknownOperation),
            Target::NotImplemented(operation) => Err(ApiError::NotImplemented { operation }),
            Target::Implemented(op) => dispatch::execute(db, op, body, FUZZ_ENDPOINT).result,
        }
    };
    match result {
        Ok(body) => FuzzResponse {
            status: 200,
            exception: None,
            body,
        },
        Err(e) => FuzzResponse {
            status: e.status().as_u16(),
            exception: Some(e.exception_name()),
            body: e.body(),
        },
    }
}

/// The content types `http.rs` accepts (its `reply_content_type`): the media type,
/// parameters ignored, case-insensitively.
fn accepted_content_type(value: &str) -> Option<&'static str> {
    let media_type = value.split(';').next().unwrap_or("").trim();
    [AMZ_JSON_CONTENT_TYPE, JSON_CONTENT_TYPE]
        .into_iter()
        .find(|t| media_type.eq_ignore_ascii_case(t))
}

/// The wire contract every response keeps (see [`run_requests`]).
fn check_response(response: &FuzzResponse, request_body_len: usize) {
    let status = response.status;
    if status == 404 {
        assert!(
            response.exception.is_none(),
            "404 is only the content-type check's"
        );
        return;
    }
    assert!(
        matches!(status, 200 | 400 | 413),
        "status {status} ({:?}): {}",
        response.exception,
        String::from_utf8_lossy(&response.body)
    );
    let json: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_else(|e| {
        panic!(
            "status {status} body is not JSON ({e}): {}",
            String::from_utf8_lossy(&response.body)
        )
    });
    let object = json
        .as_object()
        .expect("every response body is a JSON object");
    let Some(exception) = response.exception else {
        assert_eq!(status, 200);
        return;
    };
    let type_ = object
        .get("__type")
        .and_then(|t| t.as_str())
        .expect("every error body has a string __type");
    assert!(
        type_.ends_with(&format!("#{exception}")),
        "__type {type_} for {exception}"
    );
    assert_eq!(
        status == 413,
        exception == "RequestEntityTooLargeException",
        "413 is only for a body over the limit"
    );
    let message = ["message", "Message"]
        .iter()
        .find_map(|k| object.get(*k).and_then(|m| m.as_str()))
        .unwrap_or_default();
    assert!(
        message.len() <= 2 * request_body_len + ERROR_MESSAGE_SLACK_BYTES,
        "a {} byte message for a {request_body_len} byte request",
        message.len()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, body: &str) -> Vec<u8> {
        format!("DynamoDB_20120810.{target}\napplication/x-amz-json-1.0\n{body}").into_bytes()
    }

    #[test]
    fn a_table_and_an_item_round_trip_through_the_request_path() {
        let mut input = request(
            "CreateTable",
            r#"{"TableName":"Tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
        );
        for (target, body) in [
            (
                "PutItem",
                r#"{"TableName":"Tbl","Item":{"pk":{"S":"a"},"n":{"N":"1"}}}"#,
            ),
            ("GetItem", r#"{"TableName":"Tbl","Key":{"pk":{"S":"a"}}}"#),
            ("GetItem", r#"{"TableName":"Tbl","Key":{"pk":{"N":"1"}}}"#),
        ] {
            input.push(0);
            input.extend(request(target, body));
        }
        let r = run_requests(&input);
        assert_eq!(r.len(), 4);
        assert!(r[..3].iter().all(|r| r.status == 200), "{r:?}");
        assert!(String::from_utf8_lossy(&r[2].body).contains("\"n\":{\"N\":\"1\"}"));
        assert_eq!(r[3].status, 400);
        assert_eq!(r[3].exception, Some("ValidationException"));
    }

    #[test]
    fn the_checks_before_the_engine_answer_as_the_server_does() {
        let r = run_requests(b"DynamoDB_20120810.ListTables\ntext/plain\n{}");
        assert_eq!(r[0].status, 404);
        let r = run_requests(b"DynamoDB_20120810.Nope\napplication/json; charset=utf-8\n{}");
        assert_eq!(r[0].exception, Some("UnknownOperationException"));
        let r = run_requests(b"\xff\napplication/json\n{}");
        assert_eq!(r[0].exception, Some("UnknownOperationException"));
        let r = run_requests(b"DynamoDB_20120810.ListTables\napplication/json\n{");
        assert_eq!(r[0].exception, Some("SerializationException"));
        assert_eq!(run_requests(b"").len(), 1);
        assert_eq!(run_requests(&[0; 100]).len(), MAX_REQUESTS_PER_INPUT);
    }
}
