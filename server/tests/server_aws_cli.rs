//! The AWS CLI runs the seed documents' `aws dynamodb ...` command lines verbatim (plus
//! `--endpoint-url`) against the real binary.
//!
//! Needs `aws` on PATH (CI installs it with pip). Without it the tests print a notice and
//! pass; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) they fail instead.

mod common;

use std::process::{Command, Output};

use common::{client_available, Server};
use serde_json::{json, Value};

/// Bound on one CLI invocation (the CLI itself starts in about a second).
const CLI_TIMEOUT_SECS: &str = "120";

fn aws_available() -> bool {
    Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `aws dynamodb <args> --endpoint-url <server>` with throwaway credentials.
fn aws(server: &Server, args: &[&str]) -> Output {
    Command::new("timeout")
        .arg(CLI_TIMEOUT_SECS)
        .arg("aws")
        .arg("dynamodb")
        .args(args)
        .args(["--endpoint-url", &server.url(), "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", "x")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .output()
        .expect("run aws")
}

/// Runs a command that must succeed and returns its JSON output (`null` when empty).
fn ok(server: &Server, args: &[&str]) -> Value {
    let out = aws(server, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aws dynamodb {args:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    if stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }
}

/// Runs a command that must fail with `exception`; returns the CLI's error text.
fn fails(server: &Server, args: &[&str], exception: &str) -> String {
    let out = aws(server, args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "aws dynamodb {args:?} succeeded");
    assert!(
        stderr.contains(&format!("An error occurred ({exception})")),
        "aws dynamodb {args:?}: expected {exception}, got: {stderr}"
    );
    stderr
}

/// Returns from the test when the AWS CLI is missing (or fails it, under
/// `SHALE_REQUIRE_CLIENTS`).
macro_rules! require_aws {
    ($test:literal) => {
        if !client_available($test, "the AWS CLI (`aws`)", aws_available()) {
            return;
        }
    };
}

/// Seed 002: a consistent `UserID` table with provisioned throughput.
#[test]
fn seed_users_table_lifecycle_provisioned() {
    require_aws!("seed_users_table_lifecycle_provisioned");
    users_table_lifecycle_provisioned(&Server::in_memory());
}

/// Seed 002 again, on the LSM engine.
#[test]
fn seed_users_table_lifecycle_provisioned_on_disk() {
    require_aws!("seed_users_table_lifecycle_provisioned_on_disk");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    users_table_lifecycle_provisioned(&Server::start(&["--data-dir", data.to_str().unwrap()]));
}

fn users_table_lifecycle_provisioned(s: &Server) {
    let created = ok(
        s,
        &[
            "create-table",
            "--table-name",
            "Users",
            "--attribute-definitions",
            "AttributeName=UserID,AttributeType=S",
            "--key-schema",
            "AttributeName=UserID,KeyType=HASH",
            "--provisioned-throughput",
            "ReadCapacityUnits=5,WriteCapacityUnits=5",
        ],
    );
    let d = &created["TableDescription"];
    assert_eq!(d["TableName"], "Users");
    assert_eq!(d["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    ok(
        s,
        &[
            "put-item",
            "--table-name",
            "Users",
            "--item",
            r#"{"UserID": {"S": "123"}, "Name": {"S": "John Doe"}, "Email": {"S": "john.doe@example.com"}}"#,
        ],
    );
    let q = ok(
        s,
        &[
            "query",
            "--table-name",
            "Users",
            "--key-condition-expression",
            "UserID = :uid",
            "--expression-attribute-values",
            r#"{":uid":{"S":"123"}}"#,
        ],
    );
    assert_eq!(q["Count"], 1, "{q}");
    assert_eq!(
        q["Items"][0],
        json!({"UserID": {"S": "123"}, "Name": {"S": "John Doe"}, "Email": {"S": "john.doe@example.com"}})
    );
    assert_eq!(ok(s, &["list-tables"]), json!({"TableNames": ["Users"]}));
    ok(
        s,
        &[
            "delete-item",
            "--table-name",
            "Users",
            "--key",
            r#"{"UserID": {"S": "123"}}"#,
        ],
    );
    let q = ok(
        s,
        &[
            "query",
            "--table-name",
            "Users",
            "--key-condition-expression",
            "UserID = :uid",
            "--expression-attribute-values",
            r#"{":uid":{"S":"123"}}"#,
        ],
    );
    assert_eq!(q["Count"], 0, "{q}");
    ok(s, &["delete-table", "--table-name", "Users"]);
    assert_eq!(ok(s, &["list-tables"]), json!({"TableNames": []}));
}

/// Seed 001: list, create on-demand, put, query, delete-item.
#[test]
fn seed_users_table_on_demand_put_query_delete() {
    require_aws!("seed_users_table_on_demand_put_query_delete");
    let s = Server::in_memory();
    assert_eq!(ok(&s, &["list-tables"]), json!({"TableNames": []}));
    ok(
        &s,
        &[
            "create-table",
            "--table-name",
            "Users",
            "--attribute-definitions",
            "AttributeName=UserID,AttributeType=S",
            "--key-schema",
            "AttributeName=UserID,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ],
    );
    ok(
        &s,
        &[
            "put-item",
            "--table-name",
            "Users",
            "--item",
            r#"{"UserID": {"S": "101"}, "Name": {"S": "Alex"}}"#,
        ],
    );
    let q = ok(
        &s,
        &[
            "query",
            "--table-name",
            "Users",
            "--key-condition-expression",
            "UserID = :id",
            "--expression-attribute-values",
            r#"{":id":{"S":"101"}}"#,
        ],
    );
    assert_eq!(
        q["Items"],
        json!([{"UserID": {"S": "101"}, "Name": {"S": "Alex"}}])
    );
    ok(
        &s,
        &[
            "delete-item",
            "--table-name",
            "Users",
            "--key",
            r#"{"UserID": {"S": "101"}}"#,
        ],
    );
    let got = ok(
        &s,
        &[
            "get-item",
            "--table-name",
            "Users",
            "--key",
            r#"{"UserID": {"S": "101"}}"#,
        ],
    );
    assert_eq!(got, Value::Null, "deleted item is gone: {got}");
}

/// Seed 000 creates the table keyed on `UserId` while seed 002's put-item names `UserID`:
/// DynamoDB rejects that put with a ValidationException, and so must Shale. Then the
/// seed's own query, the billing-mode switch, a backup (not implemented) and the delete.
#[test]
fn seed_users_table_mismatched_key_update_and_delete() {
    require_aws!("seed_users_table_mismatched_key_update_and_delete");
    let s = Server::in_memory();
    let created = ok(
        &s,
        &[
            "create-table",
            "--table-name",
            "Users",
            "--attribute-definitions",
            "AttributeName=UserId,AttributeType=S",
            "--key-schema",
            "AttributeName=UserId,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ],
    );
    assert_eq!(
        created["TableDescription"]["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    let err = fails(
        &s,
        &[
            "put-item",
            "--table-name",
            "Users",
            "--item",
            r#"{"UserID": {"S": "123"}, "Name": {"S": "John Doe"}, "Email": {"S": "john.doe@example.com"}}"#,
        ],
        "ValidationException",
    );
    assert!(
        err.contains("Missing the key UserId") || err.contains("One of the required keys"),
        "{err}"
    );
    let q = ok(
        &s,
        &[
            "query",
            "--table-name",
            "Users",
            "--key-condition-expression",
            "UserId = :userId",
            "--expression-attribute-values",
            r#"{":userId":{"S":"123"}}"#,
        ],
    );
    assert_eq!(q["Count"], 0, "the rejected put stored nothing: {q}");
    let updated = ok(
        &s,
        &[
            "update-table",
            "--table-name",
            "Users",
            "--billing-mode",
            "PROVISIONED",
            "--provisioned-throughput",
            "ReadCapacityUnits=5,WriteCapacityUnits=5",
        ],
    );
    let d = &updated["TableDescription"];
    assert_eq!(d["ProvisionedThroughput"]["WriteCapacityUnits"], 5, "{d}");
    let described = ok(&s, &["describe-table", "--table-name", "Users"]);
    assert_eq!(
        described["Table"]["BillingModeSummary"]["BillingMode"], "PROVISIONED",
        "{described}"
    );
    let err = fails(
        &s,
        &[
            "create-backup",
            "--table-name",
            "Users",
            "--backup-name",
            "UsersBackup",
        ],
        "ValidationException",
    );
    assert!(err.contains("Shale does not implement"), "{err}");
    ok(&s, &["delete-table", "--table-name", "Users"]);
    fails(
        &s,
        &["describe-table", "--table-name", "Users"],
        "ResourceNotFoundException",
    );
}
