//! boto3 drives PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy through the
//! real binary (`tests/py/boto3_resource_policies.py`): revisions, NO_POLICY, deletion
//! and the exception names clients match on.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_resource_policies_in_memory() {
    if !require_boto3("boto3_resource_policies_in_memory") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/py/boto3_resource_policies.py"
    );
    run_boto3_script("boto3 resource policies", script, &[&server.url()]);
}
