//! boto3 sends gzip request bodies and reads gzip and deflate responses through the real
//! binary (`tests/py/boto3_compression.py`): a large Scan arrives compressed when asked,
//! botocore's own X-Amz-Crc32 check passes on the compressed bytes, and the items decode
//! to exactly those of an uncompressed Scan.
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_compression_in_memory() {
    if !require_boto3("boto3_compression_in_memory") {
        return;
    }
    let server = Server::in_memory();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_compression.py");
    run_boto3_script("boto3 compression", script, &[&server.url()]);
}
