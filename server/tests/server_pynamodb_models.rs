//! PynamoDB, the Python ORM, drives the real binary unchanged through what an
//! application built on it does (`tests/py/pynamodb_models.py`): a provisioned table
//! with a GSI, an LSI, a TTL attribute and optimistic locking (VersionAttribute); saves,
//! gets, every update action, conditions, queries and scans with paging and filters,
//! parallel and rate-limited scans, chunked batch gets and writes, and every attribute
//! type PynamoDB has. The server runs with capacity enforcement on, its default.
//!
//! Needs `python3` with `pynamodb` (CI installs it). Without it the test prints a notice
//! and passes; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) it fails instead.

mod common;

use common::{require_python_module, run_boto3_script, Server};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/pynamodb_models.py");

#[test]
fn pynamodb_models_in_memory() {
    if !require_python_module("pynamodb_models_in_memory", "pynamodb") {
        return;
    }
    let server = Server::in_memory();
    run_boto3_script("pynamodb models", SCRIPT, &[&server.url()]);
}

/// The same on disk: the LSM backend, with its WAL syncs.
#[test]
fn pynamodb_models_on_disk() {
    if !require_python_module("pynamodb_models_on_disk", "pynamodb") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&["--data-dir", data.to_str().unwrap()]);
    run_boto3_script("pynamodb models on disk", SCRIPT, &[&server.url()]);
}
