//! Starting and stopping the real binary: flags, SIGTERM and Ctrl-C (SIGINT), and refusing
//! on-disk mode when it cannot honour it.

mod common;

use std::time::{Duration, Instant};

use common::http::Client;
use common::{run_to_exit, Server};
use serde_json::json;

/// SIGTERM or SIGINT on an idle server must end it well within this.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

#[test]
fn help_prints_usage_and_exits_zero() {
    let out = run_to_exit(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--port",
        "--bind",
        "--data-dir",
        "--in-memory",
        "-inMemory",
        "-dbPath",
    ] {
        assert!(text.contains(flag), "usage lacks {flag}: {text}");
    }
}

#[test]
fn bad_flags_exit_2_with_a_clear_message() {
    for args in [
        &["--prot", "8000"][..],
        &["--port"],
        &["--port", "eighty"],
        &["-inMemory", "-dbPath", "/tmp/x"],
    ] {
        let out = run_to_exit(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("shale-server: "), "{err}");
        assert!(err.contains("--help"), "{err}");
    }
}

#[test]
fn starts_fast_and_sigterm_exits_zero_promptly() {
    let started = Instant::now();
    let mut server = Server::in_memory();
    let startup = started.elapsed();
    let mut c = Client::connect(server.addr).unwrap();
    let r = c.call("ListTables", &json!({})).unwrap();
    assert_eq!(r.status, 200);
    // An idle keep-alive connection must not hold shutdown up.
    let stopping = Instant::now();
    server.sigterm();
    let status = server
        .wait_exit(SHUTDOWN_DEADLINE)
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status}");
    eprintln!(
        "startup to printed address: {startup:?}; SIGTERM to exit: {:?}",
        stopping.elapsed()
    );
}

/// Ctrl-C (SIGINT) is a clean shutdown too: exit 0, promptly, with an idle keep-alive
/// connection open.
#[test]
fn ctrl_c_exits_zero_promptly() {
    let mut server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    assert_eq!(c.call("ListTables", &json!({})).unwrap().status, 200);
    server.sigint();
    let status = server
        .wait_exit(SHUTDOWN_DEADLINE)
        .expect("exits after SIGINT");
    assert!(status.success(), "{status}");
}

#[test]
fn dynamodb_local_flags_are_accepted() {
    let mut server = Server::start(&["-inMemory", "-sharedDb"]);
    let mut c = Client::connect(server.addr).unwrap();
    assert_eq!(c.call("ListTables", &json!({})).unwrap().status, 200);
    server.sigterm();
    assert!(server.wait_exit(SHUTDOWN_DEADLINE).unwrap().success());
}

/// Which signal stops the server in a test.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Term,
    /// Ctrl-C.
    Int,
}

impl Stop {
    fn send(self, server: &Server) {
        match self {
            Stop::Term => server.sigterm(),
            Stop::Int => server.sigint(),
        }
    }
}

#[test]
fn on_disk_data_written_before_sigterm_is_there_after_restart() {
    on_disk_data_survives(Stop::Term);
}

#[test]
fn on_disk_data_written_before_ctrl_c_is_there_after_restart() {
    on_disk_data_survives(Stop::Int);
}

/// A clean shutdown by `stop` exits 0 and keeps every acknowledged write.
fn on_disk_data_survives(stop: Stop) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shale-data");
    let data_arg = data.to_str().unwrap();
    let item = json!({"pk": {"S": "k1"}, "n": {"N": "42"}, "b": {"B": "AAEC"}});
    {
        let mut server = Server::start(&["--data-dir", data_arg]);
        let mut c = Client::connect(server.addr).unwrap();
        let r = c
            .call(
                "CreateTable",
                &json!({
                    "TableName": "Durable",
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "BillingMode": "PAY_PER_REQUEST"
                }),
            )
            .unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let r = c
            .call("PutItem", &json!({"TableName": "Durable", "Item": item}))
            .unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        stop.send(&server);
        let status = server.wait_exit(SHUTDOWN_DEADLINE).expect("exits");
        assert!(status.success(), "{stop:?}: {status}");
    }
    // The default data directory is ./shale-data: start in the parent with no flag.
    let mut server = Server::start_in(&[], Some(dir.path()));
    let mut c = Client::connect(server.addr).unwrap();
    let r = c
        .call(
            "GetItem",
            &json!({"TableName": "Durable", "Key": {"pk": {"S": "k1"}}, "ConsistentRead": true}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json(), json!({"Item": item}), "after {stop:?}");
    let tables = c.call("ListTables", &json!({})).unwrap().json();
    assert_eq!(tables, json!({"TableNames": ["Durable"]}));
    server.sigterm();
    assert!(server.wait_exit(SHUTDOWN_DEADLINE).unwrap().success());
}

#[test]
fn unopenable_data_dir_fails_startup_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let out = run_to_exit(&["--port", "0", "--data-dir", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("cannot open the database in"), "{err}");
    assert!(out.stdout.is_empty(), "no address is announced on failure");
}

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    let mut server = Server::in_memory();
    let mut c = Client::connect(server.addr).unwrap();
    let body = json!({
        "TableName": "InFlight",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST"
    })
    .to_string();
    let (first, rest) = body.as_bytes().split_at(body.len() / 2);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: DynamoDB_20120810.CreateTable\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // Half a request is in flight when SIGTERM arrives...
    c.write_raw(&[head.as_bytes(), first].concat()).unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.sigterm();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        server.wait_exit(Duration::from_millis(1)).is_none(),
        "the server must wait for the in-flight request"
    );
    // ...and still gets its answer once the rest arrives.
    let r = c.send_raw(rest).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["TableDescription"]["TableName"], "InFlight");
    let status = server
        .wait_exit(SHUTDOWN_DEADLINE)
        .expect("exits after draining");
    assert!(status.success(), "{status}");
}

/// Logs go to stderr through `tracing`, filtered by `RUST_LOG`: at `info` a request and
/// the clean shutdown are logged with their level; at `error` nothing of that is.
#[test]
fn rust_log_filters_the_structured_log_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let run = |filter: &str| -> String {
        let log = dir.path().join(format!("{filter}.log"));
        let mut server = Server::start_logging(&["--in-memory"], filter, &log);
        let mut c = Client::connect(server.addr).unwrap();
        assert_eq!(c.call("ListTables", &json!({})).unwrap().status, 200);
        server.sigterm();
        let status = server.wait_exit(SHUTDOWN_DEADLINE).expect("exits");
        assert!(status.success(), "{status}");
        std::fs::read_to_string(&log).unwrap()
    };
    let info = run("info");
    let closed: Vec<&str> = info
        .lines()
        .filter(|l| l.contains("engine closed"))
        .collect();
    assert_eq!(closed.len(), 1, "{info}");
    assert!(closed[0].contains("INFO"), "{info}");
    let quiet = run("error");
    assert!(
        !quiet.contains("INFO") && !quiet.contains("engine closed"),
        "{quiet}"
    );
}
