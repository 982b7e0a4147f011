//! The AWS SDKs for JavaScript drive the real binary unchanged: v3's low-level client,
//! document client, paginators, waiters and streams client (`tests/js/sdk_v3_scenario.cjs`),
//! and v2's client, DocumentClient and streams client (`tests/js/sdk_v2_scenario.cjs`),
//! the "old client" of countless deployed applications, which also checks every
//! response's `X-Amz-Crc32`. Dynamoose, an ORM on v3, creates its own table and writes
//! its own expressions (`tests/js/dynamoose_models.cjs`).
//!
//! Needs `node` with the SDKs (and Dynamoose) installed in `target/ci-node/node_modules` (or the
//! directory `SHALE_NODE_MODULES` names); `.ci/run` installs them. Without them the
//! tests print a notice and pass; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets)
//! they fail instead.

mod common;

use common::{require_node_package, run_node_script, Server};

const V3: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/sdk_v3_scenario.cjs");
const V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/sdk_v2_scenario.cjs");
const DYNAMOOSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/js/dynamoose_models.cjs");

fn v3_found(test: &str) -> bool {
    [
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/lib-dynamodb",
        "@aws-sdk/client-dynamodb-streams",
    ]
    .into_iter()
    .all(|p| require_node_package(test, p))
}

#[test]
fn sdk_v3_scenario_in_memory() {
    if !v3_found("sdk_v3_scenario_in_memory") {
        return;
    }
    let server = Server::in_memory();
    run_node_script("JavaScript SDK v3", V3, &server.url());
}

/// The same on disk: the LSM backend, with its WAL syncs.
#[test]
fn sdk_v3_scenario_on_disk() {
    if !v3_found("sdk_v3_scenario_on_disk") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&["--data-dir", data.to_str().unwrap()]);
    run_node_script("JavaScript SDK v3 on disk", V3, &server.url());
}

#[test]
fn sdk_v2_scenario_in_memory() {
    if !require_node_package("sdk_v2_scenario_in_memory", "aws-sdk") {
        return;
    }
    let server = Server::in_memory();
    run_node_script("JavaScript SDK v2", V2, &server.url());
}

#[test]
fn dynamoose_models_in_memory() {
    if !require_node_package("dynamoose_models_in_memory", "dynamoose") {
        return;
    }
    let server = Server::in_memory();
    run_node_script("Dynamoose", DYNAMOOSE, &server.url());
}
