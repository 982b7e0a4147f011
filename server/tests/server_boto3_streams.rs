//! boto3's `dynamodbstreams` client walks a table's stream through the real binary
//! (`tests/py/boto3_streams.py`), on a `--manual-clock` server so the script can roll
//! shards over and expire iterators in milliseconds: TRIM_HORIZON, LATEST, AT/AFTER
//! sequence numbers, a child shard after a rollover, DynamoDB's errors, disabling.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_streams_in_memory() {
    if !require_boto3("boto3_streams_in_memory") {
        return;
    }
    let server = Server::start(&["--in-memory", "--manual-clock"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_streams.py");
    run_boto3_script("boto3 streams", script, &[&server.url()]);
}

#[test]
fn boto3_streams_on_disk() {
    if !require_boto3("boto3_streams_on_disk") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&["--data-dir", data.to_str().unwrap(), "--manual-clock"]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_streams.py");
    run_boto3_script("boto3 streams", script, &[&server.url()]);
}
