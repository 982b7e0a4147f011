//! The `http:` target against an in-test DynamoDB stub that checks every request's real
//! shape (method, path, `X-Amz-Target`, content type, `Authorization`, JSON body fields)
//! and answers as DynamoDB does, including one `ThrottlingException`, which the harness must
//! count as a throttle and not as an error. The stub serves on 127.0.0.1 only.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use shale_bench::cli;

/// Header lines accepted per request (a bound on hostile input, even in a stub).
const MAX_HEADER_LINES: usize = 64;
/// The GetItem call the stub throttles (1-based).
const THROTTLED_GET: u64 = 10;

#[derive(Default)]
struct Stub {
    items: Mutex<BTreeMap<String, Value>>,
    gets: AtomicU64,
    /// Shape violations seen; the test asserts there are none.
    violations: Mutex<Vec<String>>,
}

impl Stub {
    fn violation(&self, v: String) {
        self.violations.lock().unwrap().push(v);
    }

    fn handle(&self, target: &str, body: &Value) -> (u16, Value) {
        let op = match target.strip_prefix("DynamoDB_20120810.") {
            Some(op) => op,
            None => {
                self.violation(format!("bad X-Amz-Target {target}"));
                return (400, json!({}));
            }
        };
        if op != "CreateTable" && op != "DescribeTable" && body["TableName"] != "usertable" {
            self.violation(format!("{op} without TableName usertable"));
        }
        let key_of = |v: &Value| v["YCSB_KEY"]["S"].as_str().map(str::to_string);
        match op {
            "CreateTable" => {
                if body["KeySchema"][0] != json!({"AttributeName": "YCSB_KEY", "KeyType": "HASH"}) {
                    self.violation("CreateTable key schema".into());
                }
                (
                    200,
                    json!({"TableDescription": {"TableName": "usertable", "TableStatus": "ACTIVE"}}),
                )
            }
            "DescribeTable" => (
                200,
                json!({"Table": {"TableName": "usertable", "TableStatus": "ACTIVE"}}),
            ),
            "PutItem" => {
                let item = &body["Item"];
                match (key_of(item), item.as_object()) {
                    (Some(k), Some(obj)) if obj.len() == 11 && item["field9"]["S"].is_string() => {
                        self.items.lock().unwrap().insert(k, item.clone());
                    }
                    _ => self.violation(format!("PutItem item {item}")),
                }
                (200, json!({}))
            }
            "GetItem" => {
                if body["ConsistentRead"] != true {
                    self.violation("GetItem without ConsistentRead".into());
                }
                if self.gets.fetch_add(1, Ordering::Relaxed) + 1 == THROTTLED_GET {
                    return (
                        400,
                        json!({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "Rate exceeded"}),
                    );
                }
                let item =
                    key_of(&body["Key"]).and_then(|k| self.items.lock().unwrap().get(&k).cloned());
                (200, item.map_or(json!({}), |i| json!({"Item": i})))
            }
            "UpdateItem" => {
                let field = body["ExpressionAttributeNames"]["#f"]
                    .as_str()
                    .unwrap_or("");
                let value = &body["ExpressionAttributeValues"][":v"];
                if body["UpdateExpression"] != "SET #f = :v"
                    || !field.starts_with("field")
                    || !value["S"].is_string()
                {
                    self.violation(format!("UpdateItem {body}"));
                }
                if let Some(k) = key_of(&body["Key"]) {
                    if let Some(item) = self.items.lock().unwrap().get_mut(&k) {
                        item[field] = value.clone();
                    }
                }
                (200, json!({}))
            }
            "Scan" => {
                let start = key_of(&body["ExclusiveStartKey"]).unwrap_or_default();
                let limit = body["Limit"].as_u64().unwrap_or(0) as usize;
                if limit == 0 || limit > 100 {
                    self.violation(format!("Scan limit {limit}"));
                }
                let items = self.items.lock().unwrap();
                let page: Vec<Value> = items
                    .range::<String, _>((
                        std::ops::Bound::Excluded(&start),
                        std::ops::Bound::Unbounded,
                    ))
                    .take(limit)
                    .map(|(_, v)| v.clone())
                    .collect();
                let mut out =
                    json!({"Count": page.len(), "ScannedCount": page.len(), "Items": page});
                if let Some(last) = out["Items"].as_array().and_then(|a| a.last()).cloned() {
                    out["LastEvaluatedKey"] = json!({"YCSB_KEY": last["YCSB_KEY"].clone()});
                }
                (200, out)
            }
            other => {
                self.violation(format!("unexpected operation {other}"));
                (400, json!({}))
            }
        }
    }

    /// Serves one keep-alive connection until the client closes it.
    fn serve(&self, stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        let _ = out.set_nodelay(true);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if !line.starts_with("POST / HTTP/1.1") {
                self.violation(format!("request line {line:?}"));
            }
            let mut headers = BTreeMap::new();
            for _ in 0..MAX_HEADER_LINES {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.trim_end().split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                }
            }
            if headers.get("content-type").map(String::as_str) != Some("application/x-amz-json-1.0")
            {
                self.violation(format!("content-type {:?}", headers.get("content-type")));
            }
            if !headers
                .get("authorization")
                .is_some_and(|a| a.starts_with("AWS4-HMAC-SHA256"))
            {
                self.violation("missing SigV4-shaped Authorization".into());
            }
            let len: usize = headers
                .get("content-length")
                .and_then(|l| l.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; len.min(1 << 20)];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let target = headers.get("x-amz-target").cloned().unwrap_or_default();
            let (status, resp) = self.handle(&target, &body);
            let text = resp.to_string();
            let reason = if status == 200 { "OK" } else { "Bad Request" };
            let head = format!(
                "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nx-amzn-RequestId: stub\r\n\r\n",
                text.len()
            );
            // One write per response: split writes meet delayed ACKs and stall ~40 ms.
            let mut response = head.into_bytes();
            response.extend_from_slice(text.as_bytes());
            if out.write_all(&response).is_err() {
                return;
            }
        }
    }
}

fn start_stub() -> (Arc<Stub>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stub = Arc::new(Stub::default());
    let s = stub.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let s = s.clone();
            std::thread::spawn(move || s.serve(conn));
        }
    });
    (stub, url)
}

#[test]
fn http_target_sends_dynamodb_shapes_and_counts_throttles() {
    let (stub, url) = start_stub();
    let out = tempfile::tempdir().unwrap();
    let cmd = format!(
        "ycsb a,e --targets http:{url} --records 200 --operations 300 --threads 1 --out {}",
        out.path().display()
    );
    let args: Vec<OsString> = cmd.split_whitespace().map(OsString::from).collect();
    let report = cli::execute(&cli::parse(args).unwrap()).unwrap().unwrap();
    let violations = stub.violations.lock().unwrap().clone();
    assert!(
        violations.is_empty(),
        "request shape violations: {violations:?}"
    );
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(report.results.len(), 2);
    let a = &report.results[0];
    assert_eq!(a.run.operations, 300);
    assert_eq!(a.run.errors, 0, "{:?}", a.run.first_error);
    // Exactly one GetItem was throttled, during workload a's run (the load issues none).
    assert_eq!(a.run.throttles, 1);
    let e = &report.results[1];
    assert_eq!(e.run.errors, 0, "{:?}", e.run.first_error);
    assert!(e.run.per_op.iter().any(|o| o.op == "SCAN" && o.count > 200));
}
