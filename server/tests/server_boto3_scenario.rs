//! boto3, the Python SDK, drives the real binary through every operation the engine
//! implements (`tests/py/boto3_scenario.py`), with the low-level client and the
//! high-level resource API (Decimal, Binary, batch_writer).
//!
//! Needs `python3` with `boto3` (CI installs it). Without them the test prints a notice
//! and passes, so a bare `cargo test` on a machine without Python still runs; with
//! `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_boto3, run_boto3_script, Server};

#[test]
fn boto3_scenario_in_memory() {
    if !require_boto3("boto3_scenario_in_memory") {
        return;
    }
    run_scenario(&Server::in_memory());
}

#[test]
fn boto3_scenario_on_disk() {
    if !require_boto3("boto3_scenario_on_disk") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    run_scenario(&Server::start(&["--data-dir", data.to_str().unwrap()]));
}

fn run_scenario(server: &Server) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/boto3_scenario.py");
    run_boto3_script("boto3 scenario", script, &[&server.url()]);
}
