//! boto3 drives TransactWriteItems and TransactGetItems through the real binary
//! (`tests/py/boto3_transactions.py`): a transfer, positional reads, cancellation
//! reasons with ALL_OLD's item, DynamoDB's validation errors, and ClientRequestToken
//! idempotency.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use std::process::Command;

use common::{client_available, run_boto3_script, Server};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/py/boto3_transactions.py"
);

fn boto3_found(test: &str) -> bool {
    let found = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    client_available(test, "python3 with boto3", found)
}

#[test]
fn boto3_transactions_in_memory() {
    if !boto3_found("boto3_transactions_in_memory") {
        return;
    }
    let server = Server::in_memory();
    run_boto3_script("boto3 transactions", SCRIPT, &[&server.url()]);
}

/// The same on disk: the LSM backend, with its WAL syncs.
#[test]
fn boto3_transactions_on_disk() {
    if !boto3_found("boto3_transactions_on_disk") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = Server::start(&["--data-dir", data]);
    run_boto3_script("boto3 transactions on disk", SCRIPT, &[&server.url()]);
}
