//! boto3 drives PartiQL through the real binary (`tests/py/boto3_partiql.py`):
//! ExecuteStatement's INSERT, SELECT with parameters and NextToken paging, UPDATE and
//! DELETE with DynamoDB's errors, BatchExecuteStatement and ExecuteTransaction.
//!
//! Needs `python3` with `boto3` (CI installs it). Without it the test prints a notice and
//! passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_partiql_in_memory() {
    if !require_boto3("boto3_partiql_in_memory") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_partiql.py");
    run_boto3_script("boto3 partiql", script, &[&server.url()]);
}
