//! boto3's `dynamodbstreams` client walks a table's stream through the real binary
//! (`tests/py/boto3_streams.py`), on a `--manual-clock` server so the script can roll
//! shards over and expire iterators in milliseconds: TRIM_HORIZON, LATEST, AT/AFTER
//! sequence numbers, a child shard after a rollover, DynamoDB's errors, disabling.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use std::process::Command;

use common::{client_available, run_boto3_script, Server};

fn boto3_found() -> bool {
    Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn boto3_streams_in_memory() {
    if !client_available(
        "boto3_streams_in_memory",
        "python3 with boto3",
        boto3_found(),
    ) {
        return;
    }
    let server = Server::start(&["--in-memory", "--manual-clock"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_streams.py");
    run_boto3_script("boto3 streams", script, &[&server.url()]);
}

#[test]
fn boto3_streams_on_disk() {
    if !client_available("boto3_streams_on_disk", "python3 with boto3", boto3_found()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&["--data-dir", data.to_str().unwrap(), "--manual-clock"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_streams.py");
    run_boto3_script("boto3 streams", script, &[&server.url()]);
}
