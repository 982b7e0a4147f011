//! boto3 drives TagResource, UntagResource and ListTagsOfResource through the real binary
//! (`tests/py/boto3_tags.py`): tag, overwrite, untag, DynamoDB's errors, and no tags on
//! a table re-created under the same name.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_tags_in_memory() {
    if !require_boto3("boto3_tags_in_memory") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_tags.py");
    run_boto3_script("boto3 tags", script, &[&server.url()]);
}
