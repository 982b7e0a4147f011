//! boto3 creates and queries a GSI with a multi-attribute key through the real binary
//! (`tests/py/boto3_gsi_multi_attribute.py`): the key schema echoed by DescribeTable,
//! queries pinning both partition attributes and the sort attributes left to right, and
//! DynamoDB's message for a skipped sort attribute.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_gsi_multi_attribute_in_memory() {
    if !require_boto3("boto3_gsi_multi_attribute_in_memory") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/boto3_gsi_multi_attribute.py"
    );
    run_boto3_script("boto3 gsi multi-attribute", script, &[&server.url()]);
}
