//! boto3's low-level client drives the legacy (pre-expression) parameters through the
//! real binary (`tests/py/boto3_legacy.py`), as old drivers and ORMs send them:
//! Expected, AttributeUpdates, KeyConditions, QueryFilter, ScanFilter,
//! ConditionalOperator and AttributesToGet, with DynamoDB's errors.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_legacy_parameters_in_memory() {
    if !require_boto3("boto3_legacy_parameters_in_memory") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_legacy.py");
    run_boto3_script("boto3 legacy parameters", script, &[&server.url()]);
}
