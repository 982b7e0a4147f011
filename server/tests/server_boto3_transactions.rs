//! boto3 drives TransactWriteItems and TransactGetItems through the real binary
//! (`tests/py/boto3_transactions.py`): a transfer, positional reads, cancellation
//! reasons with ALL_OLD's item, DynamoDB's validation errors, and ClientRequestToken
//! idempotency. PynamoDB's TransactWrite and TransactGet run against it unchanged
//! (`tests/py/pynamodb_transactions.py`).
//!
//! Needs `python3` with `boto3` and `pynamodb` (CI installs them). Without them the
//! tests print a notice and pass; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) they
//! fail instead.

mod common;

use common::{require_boto3, require_python_module, run_boto3_script, Server};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/py/boto3_transactions.py"
);

#[test]
fn boto3_transactions_in_memory() {
    if !require_boto3("boto3_transactions_in_memory") {
        return;
    }
    let server = Server::in_memory();
    run_boto3_script("boto3 transactions", SCRIPT, &[&server.url()]);
}

/// The same on disk: the LSM backend, with its WAL syncs.
#[test]
fn boto3_transactions_on_disk() {
    if !require_boto3("boto3_transactions_on_disk") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let server = Server::start(&["--data-dir", data]);
    run_boto3_script("boto3 transactions on disk", SCRIPT, &[&server.url()]);
}

#[test]
fn pynamodb_transactions_in_memory() {
    if !require_python_module("pynamodb_transactions_in_memory", "pynamodb") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/pynamodb_transactions.py"
    );
    run_boto3_script("pynamodb transactions", script, &[&server.url()]);
}
