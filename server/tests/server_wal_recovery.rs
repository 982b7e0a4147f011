//! Recovery that tells, through the binary (issue 16, case 4): a data directory whose WAL
//! lost acknowledged (synced) records refuses to start, naming the segment; with
//! `--tolerate-wal-loss` it starts, logs each dropped range at WARN, and reports them in
//! `/metrics`. Before, the server started normally and 1,507 acknowledged items were gone.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::http::Client;
use common::{output_within, Server};
use serde_json::json;

const ITEMS: usize = 300;

/// Writes [`ITEMS`] items to a fresh on-disk server in `dir` (with `more` flags) and kills
/// it (SIGKILL), so they are only in the WAL.
fn write_items_and_crash(dir: &Path, more: &[&str]) {
    let mut args = vec!["--data-dir", dir.to_str().expect("utf-8 path")];
    args.extend_from_slice(more);
    let server = Server::start(&args);
    let mut c = Client::connect(server.addr).expect("connect");
    let r = c
        .call(
            "CreateTable",
            &json!({
                "TableName": "Ledger",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST"
            }),
        )
        .expect("CreateTable");
    assert_eq!(r.status, 200);
    for i in 0..ITEMS {
        let r = c
            .call(
                "PutItem",
                &json!({"TableName": "Ledger", "Item": {"pk": {"S": format!("k{i:04}")}}}),
            )
            .expect("PutItem");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    drop(server); // SIGKILL: no flush, no clean close
}

/// The newest WAL segment of the data directory `dir`.
fn newest_segment(dir: &Path) -> PathBuf {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(dir.join("wal"))
        .expect("wal dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    segments.sort();
    segments.pop().expect("a segment")
}

/// Cuts `segment` in the middle of its records, as a lost tail would.
fn truncate_mid_data(segment: &Path) {
    let bytes = std::fs::read(segment).expect("read segment");
    let data_end = bytes.iter().rposition(|&b| b != 0).expect("records") + 1;
    std::fs::OpenOptions::new()
        .write(true)
        .open(segment)
        .expect("open")
        .set_len(data_end as u64 / 2)
        .expect("truncate");
}

#[test]
fn a_wal_that_lost_synced_records_refuses_to_start_unless_told_to_tolerate_it() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    write_items_and_crash(&dir, &[]);
    let segment = newest_segment(&dir);
    truncate_mid_data(&segment);

    // `shale-admin verify` finds it offline, without changing anything.
    let out = verify(&dir);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("DAMAGED  WAL live") && report.contains("durable bytes were lost"),
        "{report}"
    );

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-server"));
    cmd.args(["--port", "0", "--data-dir", dir.to_str().expect("utf-8")]);
    let out = output_within(
        cmd,
        Duration::from_secs(30),
        "shale-server on a damaged WAL",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = segment.file_name().expect("name").to_string_lossy();
    assert!(
        stderr.contains("cannot open the database")
            && stderr.contains(name.as_ref())
            && stderr.contains("durable bytes were lost"),
        "{stderr}"
    );

    let log = tmp.path().join("server.log");
    let server = Server::start_logging(
        &[
            "--data-dir",
            dir.to_str().expect("utf-8"),
            "--tolerate-wal-loss",
        ],
        "warn",
        &log,
    );
    let mut c = Client::connect(server.addr).expect("connect");
    let r = c
        .call("Scan", &json!({"TableName": "Ledger", "Select": "COUNT"}))
        .expect("Scan");
    let count = r.json()["Count"].as_u64().expect("Count");
    assert!(count < ITEMS as u64, "the truncation lost items: {count}");
    let metrics = c.request("GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body);
    let dropped: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("shale_backend_wal_recovery_dropped_bytes "))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no dropped-bytes gauge in {text}"));
    assert!(dropped > 0.0, "{dropped}");
    drop(server);
    let log = std::fs::read_to_string(&log).expect("log");
    assert!(
        log.contains("WARN")
            && log.contains("dropped data the log marked as synced")
            && log.contains(name.as_ref()),
        "{log}"
    );
}

/// `shale-admin verify <dir>`, bounded.
fn verify(dir: &Path) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-admin"));
    cmd.args(["verify", dir.to_str().expect("utf-8")]);
    output_within(cmd, Duration::from_secs(60), "shale-admin verify")
}

/// A crash with nothing lost verifies clean, opens without a word of loss, and reports
/// zero.
#[test]
fn a_plain_crash_opens_and_reports_nothing_dropped() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    write_items_and_crash(&dir, &[]);
    let out = verify(&dir);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains(" 0 damaged"), "{report}");
    let (_server, mut c) = start_and_count(&dir, ITEMS);
    let metrics = c.request("GET", "/metrics", &[], b"").expect("metrics");
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("\nshale_backend_wal_recovery_dropped_bytes 0"),
        "{text}"
    );
}

/// `--durability buffered` acknowledges a write once the OS has it: a process crash
/// (SIGKILL) loses none of them, even with no background sync run yet.
#[test]
fn a_buffered_server_loses_nothing_to_a_process_crash() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    write_items_and_crash(&dir, &["--durability", "buffered"]);
    start_and_count(&dir, ITEMS);
}

/// Starts a server on `dir` and checks that its table holds `items` items; returns the
/// server (stopped when dropped) and a client of it.
fn start_and_count(dir: &Path, items: usize) -> (Server, Client) {
    let server = Server::start(&["--data-dir", dir.to_str().expect("utf-8")]);
    let mut c = Client::connect(server.addr).expect("connect");
    let r = c
        .call("Scan", &json!({"TableName": "Ledger", "Select": "COUNT"}))
        .expect("Scan");
    assert_eq!(r.json()["Count"], items);
    (server, c)
}
