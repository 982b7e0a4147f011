//! boto3 drives PartiQL through the real binary (`tests/py/boto3_partiql.py`):
//! ExecuteStatement's INSERT, SELECT with parameters and NextToken paging, UPDATE and
//! DELETE with DynamoDB's errors, BatchExecuteStatement and ExecuteTransaction.
//!
//! Needs `python3` with `boto3` (CI installs it). Without it the test prints a notice and
//! passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use std::process::Command;

use common::{client_available, run_boto3_script, Server};

#[test]
fn boto3_partiql_in_memory() {
    let found = Command::new("python3")
        .args(["-c", "import boto3"])
        .status()
        .is_ok_and(|s| s.success());
    if !client_available("boto3_partiql_in_memory", "python3 with boto3", found) {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_partiql.py");
    run_boto3_script("boto3 partiql", script, &[&server.url()]);
}
