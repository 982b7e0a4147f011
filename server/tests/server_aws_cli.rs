//! The AWS CLI runs the seed documents' `aws dynamodb ...` command lines verbatim (plus
//! `--endpoint-url`) against the real binary.
//!
//! The seed commands are declared once, in [`seed_commands!`]; the drift tests at the end
//! check, when `../shared/seeds` is there, that each of them appears verbatim in a seed
//! document and that every `aws dynamodb` command of the seeds is among them.
//!
//! Needs `aws` on PATH (CI installs it with pip). Without it the CLI tests print a notice
//! and pass; with `SHALE_REQUIRE_CLIENTS=1` (as `.ci/run` sets) they fail instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::{client_available, Server};
use serde_json::{json, Value};

/// Bound on one CLI invocation (the CLI itself starts in about a second).
const CLI_TIMEOUT_SECS: &str = "120";
/// A SIGTERMed idle server exits well within this.
const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);
/// Longest seed document read (the seeds are a few KB each).
const MAX_SEED_BYTES: u64 = 1024 * 1024;

/// Declares each seed command (the arguments after `aws dynamodb`) as a constant, and
/// [`SEED_COMMANDS`] listing all of them, so no seed command can escape the drift check.
macro_rules! seed_commands {
    ($($(#[$doc:meta])* $name:ident = [$($arg:expr),* $(,)?];)*) => {
        $($(#[$doc])* const $name: &[&str] = &[$($arg),*];)*
        /// Every seed command the tests run, by name.
        const SEED_COMMANDS: &[(&str, &[&str])] = &[$((stringify!($name), $name)),*];
    };
}

seed_commands! {
    /// Seed 000: the `UserId` table, on demand.
    CREATE_USERS_USERID_ON_DEMAND = [
        "create-table", "--table-name", "Users",
        "--attribute-definitions", "AttributeName=UserId,AttributeType=S",
        "--key-schema", "AttributeName=UserId,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST",
    ];
    /// Seed 000.
    QUERY_USERID_123 = [
        "query", "--table-name", "Users",
        "--key-condition-expression", "UserId = :userId",
        "--expression-attribute-values", r#"{":userId":{"S":"123"}}"#,
    ];
    /// Seed 000.
    UPDATE_USERS_TO_PROVISIONED = [
        "update-table", "--table-name", "Users",
        "--billing-mode", "PROVISIONED",
        "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5",
    ];
    /// Seed 000.
    CREATE_BACKUP_USERS = [
        "create-backup", "--table-name", "Users", "--backup-name", "UsersBackup",
    ];
    /// Seed 000.
    UPDATE_USERS_STREAM = [
        "update-table", "--table-name", "Users",
        "--stream-specification", "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
    ];
    /// Seed 000.
    CREATE_GLOBAL_TABLE_USERS = [
        "create-global-table", "--global-table-name", "Users",
        "--replication-group", "RegionName=us-east-1", "RegionName=us-west-2",
    ];
    /// Seeds 001 and 002.
    LIST_TABLES = ["list-tables"];
    /// Seed 001: the `UserID` table, on demand.
    CREATE_USERS_USER_ID_ON_DEMAND = [
        "create-table", "--table-name", "Users",
        "--attribute-definitions", "AttributeName=UserID,AttributeType=S",
        "--key-schema", "AttributeName=UserID,KeyType=HASH",
        "--billing-mode", "PAY_PER_REQUEST",
    ];
    /// Seed 001.
    PUT_ALEX = [
        "put-item", "--table-name", "Users",
        "--item", r#"{"UserID": {"S": "101"}, "Name": {"S": "Alex"}}"#,
    ];
    /// Seed 001.
    QUERY_USER_ID_101 = [
        "query", "--table-name", "Users",
        "--key-condition-expression", "UserID = :id",
        "--expression-attribute-values", r#"{":id":{"S":"101"}}"#,
    ];
    /// Seed 001.
    DELETE_ITEM_101 = [
        "delete-item", "--table-name", "Users", "--key", r#"{"UserID": {"S": "101"}}"#,
    ];
    /// Seed 002: the `UserID` table, provisioned.
    CREATE_USERS_USER_ID_PROVISIONED = [
        "create-table", "--table-name", "Users",
        "--attribute-definitions", "AttributeName=UserID,AttributeType=S",
        "--key-schema", "AttributeName=UserID,KeyType=HASH",
        "--provisioned-throughput", "ReadCapacityUnits=5,WriteCapacityUnits=5",
    ];
    /// Seed 002.
    PUT_JOHN_DOE = [
        "put-item", "--table-name", "Users",
        "--item",
        r#"{"UserID": {"S": "123"}, "Name": {"S": "John Doe"}, "Email": {"S": "john.doe@example.com"}}"#,
    ];
    /// Seed 002.
    QUERY_USER_ID_123 = [
        "query", "--table-name", "Users",
        "--key-condition-expression", "UserID = :uid",
        "--expression-attribute-values", r#"{":uid":{"S":"123"}}"#,
    ];
    /// Seed 002.
    DELETE_TABLE_USERS = ["delete-table", "--table-name", "Users"];
}

fn aws_available() -> bool {
    Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `aws <service> <args> --endpoint-url <server>` with throwaway credentials: the
/// command line is the seed's plus `--endpoint-url`, nothing else. Everything else the CLI
/// needs comes from the environment; `AWS_DEFAULT_OUTPUT=json` pins the output format (the
/// CLI's default, unless a config file says otherwise, and no config file is read).
fn aws_service(server: &Server, service: &str, args: &[&str]) -> Output {
    Command::new("timeout")
        .arg(CLI_TIMEOUT_SECS)
        .arg("aws")
        .arg(service)
        .args(args)
        .args(["--endpoint-url", &server.url()])
        .env("AWS_DEFAULT_OUTPUT", "json")
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

/// Runs `aws dynamodb <args>`, which must succeed, and returns its JSON output (`null`
/// when empty).
fn ok(server: &Server, args: &[&str]) -> Value {
    let out = aws_service(server, "dynamodb", args);
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

/// Runs `aws <service> <args>`, which must fail with `exception`; returns the CLI's error
/// text.
fn fails_in(server: &Server, service: &str, args: &[&str], exception: &str) -> String {
    let out = aws_service(server, service, args);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "aws {service} {args:?} succeeded");
    assert!(
        stderr.contains(&format!("An error occurred ({exception})")),
        "aws {service} {args:?}: expected {exception}, got: {stderr}"
    );
    stderr
}

/// [`fails_in`] for `aws dynamodb`.
fn fails(server: &Server, args: &[&str], exception: &str) -> String {
    fails_in(server, "dynamodb", args, exception)
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
    let created = ok(s, CREATE_USERS_USER_ID_PROVISIONED);
    let d = &created["TableDescription"];
    assert_eq!(d["TableName"], "Users");
    assert_eq!(d["ProvisionedThroughput"]["ReadCapacityUnits"], 5);
    ok(s, PUT_JOHN_DOE);
    let q = ok(s, QUERY_USER_ID_123);
    assert_eq!(q["Count"], 1, "{q}");
    assert_eq!(
        q["Items"][0],
        json!({"UserID": {"S": "123"}, "Name": {"S": "John Doe"}, "Email": {"S": "john.doe@example.com"}})
    );
    assert_eq!(ok(s, LIST_TABLES), json!({"TableNames": ["Users"]}));
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
    let q = ok(s, QUERY_USER_ID_123);
    assert_eq!(q["Count"], 0, "{q}");
    ok(s, DELETE_TABLE_USERS);
    assert_eq!(ok(s, LIST_TABLES), json!({"TableNames": []}));
}

/// Seed 001: list, create on-demand, put, query, delete-item.
#[test]
fn seed_users_table_on_demand_put_query_delete() {
    require_aws!("seed_users_table_on_demand_put_query_delete");
    let s = Server::in_memory();
    assert_eq!(ok(&s, LIST_TABLES), json!({"TableNames": []}));
    ok(&s, CREATE_USERS_USER_ID_ON_DEMAND);
    ok(&s, PUT_ALEX);
    let q = ok(&s, QUERY_USER_ID_101);
    assert_eq!(
        q["Items"],
        json!([{"UserID": {"S": "101"}, "Name": {"S": "Alex"}}])
    );
    ok(&s, DELETE_ITEM_101);
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
/// seed's own query, the billing-mode switch, the seed's backup (then listed, and
/// surviving the table's delete until delete-backup), point-in-time recovery turned on,
/// and the delete.
#[test]
fn seed_users_table_mismatched_key_update_and_delete() {
    require_aws!("seed_users_table_mismatched_key_update_and_delete");
    let s = Server::in_memory();
    let created = ok(&s, CREATE_USERS_USERID_ON_DEMAND);
    assert_eq!(
        created["TableDescription"]["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    let err = fails(&s, PUT_JOHN_DOE, "ValidationException");
    assert!(
        err.contains("Missing the key UserId") || err.contains("One of the required keys"),
        "{err}"
    );
    let q = ok(&s, QUERY_USERID_123);
    assert_eq!(q["Count"], 0, "the rejected put stored nothing: {q}");
    let updated = ok(&s, UPDATE_USERS_TO_PROVISIONED);
    let d = &updated["TableDescription"];
    assert_eq!(d["ProvisionedThroughput"]["WriteCapacityUnits"], 5, "{d}");
    let described = ok(&s, &["describe-table", "--table-name", "Users"]);
    assert_eq!(
        described["Table"]["BillingModeSummary"]["BillingMode"], "PROVISIONED",
        "{described}"
    );
    let backup = ok(&s, CREATE_BACKUP_USERS);
    let details = &backup["BackupDetails"];
    assert_eq!(details["BackupStatus"], "AVAILABLE", "{backup}");
    assert_eq!(details["BackupName"], "UsersBackup", "{backup}");
    let arn = details["BackupArn"]
        .as_str()
        .expect("BackupArn")
        .to_string();
    assert!(
        arn.starts_with("arn:aws:dynamodb:us-east-1:") && arn.contains(":table/Users/backup/"),
        "{arn}"
    );
    let listed = ok(&s, &["list-backups", "--table-name", "Users"]);
    assert_eq!(listed["BackupSummaries"][0]["BackupArn"], arn, "{listed}");
    let pitr = ok(
        &s,
        &[
            "update-continuous-backups",
            "--table-name",
            "Users",
            "--point-in-time-recovery-specification",
            "PointInTimeRecoveryEnabled=true",
        ],
    );
    let d = &pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"];
    assert_eq!(d["PointInTimeRecoveryStatus"], "ENABLED", "{pitr}");
    assert_eq!(d["RecoveryPeriodInDays"], 35, "{pitr}");
    let described = ok(
        &s,
        &["describe-continuous-backups", "--table-name", "Users"],
    );
    let d = &described["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"];
    assert!(
        d["EarliestRestorableDateTime"].is_number() && d["LatestRestorableDateTime"].is_number(),
        "{described}"
    );
    ok(&s, DELETE_TABLE_USERS);
    fails(
        &s,
        &["describe-table", "--table-name", "Users"],
        "ResourceNotFoundException",
    );
    let deleted = ok(&s, &["delete-backup", "--backup-arn", &arn]);
    assert_eq!(
        deleted["BackupDescription"]["BackupDetails"]["BackupStatus"], "DELETED",
        "{deleted}"
    );
    let err = fails(
        &s,
        &["describe-backup", "--backup-arn", &arn],
        "BackupNotFoundException",
    );
    assert!(err.contains(&format!("Backup not found: {arn}")), "{err}");
}

/// Seed 000's stream and global-table commands. The StreamSpecification enables a real
/// stream: `aws dynamodbstreams` lists it, describes its shard and reads a put back from
/// it, also after a restart; CreateGlobalTable answers "not implemented".
#[test]
fn seed_stream_specification_enables_a_stream_and_global_tables_are_not_implemented() {
    require_aws!(
        "seed_stream_specification_enables_a_stream_and_global_tables_are_not_implemented"
    );
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let expected_spec = json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"});
    let arn = {
        let mut s = Server::start(&["--data-dir", data_arg]);
        ok(&s, CREATE_USERS_USERID_ON_DEMAND);
        let described = ok(&s, &["describe-table", "--table-name", "Users"]);
        assert!(
            described["Table"].get("StreamSpecification").is_none(),
            "no stream before the update: {described}"
        );
        let updated = ok(&s, UPDATE_USERS_STREAM);
        assert_eq!(
            updated["TableDescription"]["StreamSpecification"], expected_spec,
            "{updated}"
        );
        let arn = updated["TableDescription"]["LatestStreamArn"]
            .as_str()
            .expect("LatestStreamArn")
            .to_owned();
        let listed = streams_ok(&s, &["list-streams", "--table-name", "Users"]);
        assert_eq!(listed["Streams"][0]["StreamArn"], json!(arn), "{listed}");
        ok(
            &s,
            &[
                "put-item",
                "--table-name",
                "Users",
                "--item",
                r#"{"UserId":{"S":"u1"}}"#,
            ],
        );
        assert_eq!(read_events(&s, &arn), ["INSERT u1"]);
        let err = fails(&s, CREATE_GLOBAL_TABLE_USERS, "ValidationException");
        assert!(
            err.contains("Shale does not implement the DynamoDB operation CreateGlobalTable yet"),
            "{err}"
        );
        s.sigterm();
        assert!(s.wait_exit(SHUTDOWN_DEADLINE).expect("exits").success());
        arn
    };
    let s = Server::start(&["--data-dir", data_arg]);
    let described = ok(&s, &["describe-table", "--table-name", "Users"]);
    assert_eq!(
        described["Table"]["StreamSpecification"], expected_spec,
        "the stream specification survives a restart: {described}"
    );
    assert_eq!(
        read_events(&s, &arn),
        ["INSERT u1"],
        "and so do its records"
    );
}

/// Runs `aws dynamodbstreams <args>`, which must succeed, and returns its JSON output.
fn streams_ok(server: &Server, args: &[&str]) -> Value {
    let out = aws_service(server, "dynamodbstreams", args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "aws dynamodbstreams {args:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// The first shard's records from TRIM_HORIZON, through the CLI, as "EVENT key".
fn read_events(server: &Server, arn: &str) -> Vec<String> {
    let described = streams_ok(server, &["describe-stream", "--stream-arn", arn]);
    let shard = described["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .expect("a shard")
        .to_owned();
    let it = streams_ok(
        server,
        &[
            "get-shard-iterator",
            "--stream-arn",
            arn,
            "--shard-id",
            &shard,
            "--shard-iterator-type",
            "TRIM_HORIZON",
        ],
    );
    let it = it["ShardIterator"]
        .as_str()
        .expect("an iterator")
        .to_owned();
    let page = streams_ok(server, &["get-records", "--shard-iterator", &it]);
    page["Records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["eventName"].as_str().unwrap_or_default(),
                r["dynamodb"]["Keys"]["UserId"]["S"]
                    .as_str()
                    .unwrap_or_default()
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Drift between the seed documents and the commands above
// ---------------------------------------------------------------------------------------

/// `../shared/seeds` beside the workspace, when it is there.
fn seeds_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds");
    dir.is_dir().then_some(dir)
}

/// Every `aws ...` command of every seed document, as `(file name, argv)`.
fn seed_documents_commands(dir: &Path) -> Vec<(String, Vec<String>)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the seeds dir")
        .map(|e| e.expect("seeds dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seed documents in {}", dir.display());
    let mut commands = Vec::new();
    for file in files {
        let len = std::fs::metadata(&file).expect("stat seed").len();
        assert!(len <= MAX_SEED_BYTES, "{} is {len} bytes", file.display());
        let text = String::from_utf8_lossy(&std::fs::read(&file).expect("read seed")).to_string();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for argv in shell_commands(&text, "aws ") {
            commands.push((name.clone(), argv));
        }
    }
    commands
}

/// `aws dynamodb <args>`.
fn full_command(args: &[&str]) -> Vec<String> {
    ["aws", "dynamodb"]
        .iter()
        .chain(args)
        .map(|s| s.to_string())
        .collect()
}

#[test]
fn every_seed_command_the_tests_run_is_verbatim_in_a_seed_document() {
    let Some(dir) = seeds_dir() else {
        eprintln!("SKIPPED: no seed documents at ../shared/seeds");
        return;
    };
    let seeds = seed_documents_commands(&dir);
    for (name, args) in SEED_COMMANDS {
        let argv = full_command(args);
        assert!(
            seeds.iter().any(|(_, s)| *s == argv),
            "{name} ({argv:?}) is in no seed document of {}",
            dir.display()
        );
    }
}

#[test]
fn every_dynamodb_command_of_the_seed_documents_is_run() {
    let Some(dir) = seeds_dir() else {
        eprintln!("SKIPPED: no seed documents at ../shared/seeds");
        return;
    };
    let run: Vec<Vec<String>> = SEED_COMMANDS
        .iter()
        .map(|(_, args)| full_command(args))
        .collect();
    let mut checked = 0;
    for (file, argv) in seed_documents_commands(&dir) {
        if argv.get(1).map(String::as_str) != Some("dynamodb") {
            continue; // `aws iam ...` and the like: not DynamoDB's API
        }
        assert!(
            run.contains(&argv),
            "{file}: `{}` is not run by any test; add it to seed_commands!",
            argv.join(" ")
        );
        checked += 1;
    }
    assert!(checked > 0, "the seeds hold no `aws dynamodb` command");
}

/// The command lines of `text` that start (after indentation) with `prefix`, split into
/// words the way a POSIX shell would: `'...'` and `"..."` quoting, backslash escapes,
/// backslash-newline continuations, and `#` comments. A line whose quoting is
/// unterminated ends at the end of the text.
fn shell_commands(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        if text[start..].starts_with(prefix) {
            commands.push(shell_words(&text[start..]));
        }
    }
    commands
}

/// The words of the first command line of `s` (see [`shell_commands`]). Each character
/// is visited once, so the loop is bounded by the input.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\n' => break,
            ' ' | '\t' | '\r' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '#' if word.is_none() => {
                // A comment runs to the end of the line, which ends the command.
                break;
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(escaped) => word.get_or_insert_with(String::new).push(escaped),
            },
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(e @ ('"' | '\\' | '$' | '`')) => w.push(e),
                            Some('\n') | None => {}
                            Some(other) => {
                                w.push('\\');
                                w.push(other);
                            }
                        },
                        other => w.push(other),
                    }
                }
            }
            other => word.get_or_insert_with(String::new).push(other),
        }
    }
    if let Some(w) = word {
        words.push(w);
    }
    words
}

#[test]
fn shell_words_follow_posix_quoting() {
    let text = "intro\n  aws dynamodb query \\\n    --key-condition-expression \"UserID = :uid\" \\\n    --expression-attribute-values '{\":uid\":{\"S\":\"1 2\"}}'\nnot a command\naws x a\\ b \"q\\\"\\n\" # note\n";
    assert_eq!(
        shell_commands(text, "aws "),
        vec![
            vec![
                "aws",
                "dynamodb",
                "query",
                "--key-condition-expression",
                "UserID = :uid",
                "--expression-attribute-values",
                r#"{":uid":{"S":"1 2"}}"#,
            ],
            vec!["aws", "x", "a b", "q\"\\n"],
        ]
    );
    assert_eq!(
        shell_words("aws 'unterminated"),
        vec!["aws", "unterminated"]
    );
    assert_eq!(shell_words("aws ''"), vec!["aws", ""]);
}
