//! Starting and stopping the real binary: flags, SIGTERM, and refusing on-disk mode when
//! it cannot honour it.

mod common;

use std::time::{Duration, Instant};

use common::http::Client;
use common::{run_to_exit, Server};
use serde_json::json;

/// SIGTERM on an idle server must end it well within this.
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

#[test]
fn dynamodb_local_flags_are_accepted() {
    let mut server = Server::start(&["-inMemory", "-sharedDb"]);
    let mut c = Client::connect(server.addr).unwrap();
    assert_eq!(c.call("ListTables", &json!({})).unwrap().status, 200);
    server.sigterm();
    assert!(server.wait_exit(SHUTDOWN_DEADLINE).unwrap().success());
}
