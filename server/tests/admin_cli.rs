//! `shale-admin` end to end: the real binary against a real in-memory shale-server. Tables
//! and items are set up and checked with the raw HTTP client, so what is verified is the
//! server's state, not the tool's own report of it.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::http::Client;
use common::{output_within, Server};
use serde_json::{json, Value};

/// Longest a `shale-admin` run may take here; restores of a few items take milliseconds.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `shale-admin --endpoint <server> args...` to completion (bounded).
fn admin(server: &Server, args: &[&str]) -> Output {
    let endpoint = server.url();
    let mut all = vec!["--endpoint", endpoint.as_str()];
    all.extend_from_slice(args);
    run_admin(&all)
}

/// Runs `shale-admin args...` to completion, killing it after [`ADMIN_TIMEOUT`].
fn run_admin(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_shale-admin"));
    cmd.args(args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION");
    output_within(cmd, ADMIN_TIMEOUT, &format!("shale-admin {args:?}"))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit status 0 and returns stdout.
fn ok(out: Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// Asserts exit status `code` and returns stderr.
fn fails(out: Output, code: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    stderr(&out)
}

fn call(client: &mut Client, op: &str, body: Value) -> Value {
    let r = client.call(op, &body).expect("request");
    assert_eq!(r.status, 200, "{op}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// Creates `table` (partition key `pk`, a string) with items `pk` = each of `keys`.
fn create_table(client: &mut Client, table: &str, keys: &[String]) {
    call(
        client,
        "CreateTable",
        json!({
            "TableName": table,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    for key in keys {
        put(client, table, key);
    }
}

fn put(client: &mut Client, table: &str, key: &str) {
    call(
        client,
        "PutItem",
        json!({"TableName": table, "Item": {"pk": {"S": key}, "v": {"N": "1"}}}),
    );
}

/// Every `pk` in `table`, sorted (one Scan page: these tables are small).
fn scan_keys(client: &mut Client, table: &str) -> Vec<String> {
    let page = call(client, "Scan", json!({ "TableName": table }));
    assert!(page.get("LastEvaluatedKey").is_none(), "{page}");
    let mut keys: Vec<String> = page["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .map(|item| item["pk"]["S"].as_str().expect("pk").to_owned())
        .collect();
    keys.sort();
    keys
}

fn keys(prefix: &str, n: usize) -> Vec<String> {
    let mut keys: Vec<String> = (0..n).map(|i| format!("{prefix}{i:03}")).collect();
    keys.sort();
    keys
}

fn now_epoch_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after the epoch")
        .as_secs_f64()
}

/// `2026-12-01T10:00:00Z`-shaped, with or without a fraction.
fn is_iso8601_utc(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && s.ends_with('Z')
}

/// The whole operator story: PITR on, a backup taken, listed, described, restored,
/// a PITR restore to the latest time, the backup deleted.
#[test]
fn admin_backup_and_pitr_lifecycle() {
    let server = Server::in_memory();
    let mut client = Client::connect(server.addr).expect("connect");
    let initial = keys("item", 25);
    create_table(&mut client, "Users", &initial);

    let status = ok(admin(&server, &["pitr", "status", "Users"]));
    assert!(
        status.contains("point-in-time recovery: DISABLED"),
        "{status}"
    );

    let enabled = ok(admin(&server, &["pitr", "enable", "Users", "--days", "7"]));
    assert!(
        enabled.contains("point-in-time recovery: ENABLED"),
        "{enabled}"
    );
    assert!(enabled.contains("recovery period: 7 days"), "{enabled}");
    let status = ok(admin(&server, &["pitr", "status", "Users"]));
    assert!(
        status.contains("point-in-time recovery: ENABLED"),
        "{status}"
    );
    for end in ["earliest restorable time: ", "latest restorable time: "] {
        let line = status
            .lines()
            .find_map(|l| l.strip_prefix(end))
            .unwrap_or_else(|| panic!("no '{end}' in {status}"));
        assert!(is_iso8601_utc(line), "{line}");
    }

    let arn = ok(admin(&server, &["backup", "create", "Users", "nightly"]))
        .trim()
        .to_owned();
    assert!(
        arn.starts_with("arn:aws:dynamodb:") && arn.contains(":table/Users/backup/"),
        "{arn}"
    );

    let list = ok(admin(&server, &["backup", "list"]));
    assert!(list.starts_with("CREATED\tSTATUS\t"), "{list}");
    let row = list
        .lines()
        .find(|l| l.ends_with(&arn))
        .unwrap_or_else(|| panic!("{arn} not listed:\n{list}"));
    let columns: Vec<&str> = row.split('\t').collect();
    assert_eq!(columns.len(), 6, "{row}");
    assert!(is_iso8601_utc(columns[0]), "{row}");
    assert_eq!(&columns[1..2], ["AVAILABLE"], "{row}");
    assert_eq!(&columns[3..5], ["Users", "nightly"], "{row}");
    let mine = ok(admin(&server, &["backup", "list", "--table", "Users"]));
    assert!(mine.contains(&arn), "{mine}");
    let others = ok(admin(&server, &["backup", "list", "--table", "Orders"]));
    assert!(!others.contains(&arn), "{others}");

    let described: Value =
        serde_json::from_str(&ok(admin(&server, &["backup", "describe", &arn]))).expect("JSON");
    let details = &described["BackupDescription"]["BackupDetails"];
    assert_eq!(details["BackupName"], "nightly", "{described}");
    assert_eq!(details["BackupArn"], arn.as_str(), "{described}");
    assert_eq!(
        described["BackupDescription"]["SourceTableDetails"]["TableName"],
        "Users"
    );

    // Written after the backup: in the PITR restore, not in the backup's.
    put(&mut client, "Users", "late");

    let restored = ok(admin(&server, &["restore", "backup", &arn, "FromBackup"]));
    assert!(
        restored.contains("FromBackup") && restored.contains("ACTIVE"),
        "{restored}"
    );
    assert_eq!(scan_keys(&mut client, "FromBackup"), initial);

    let out = admin(&server, &["restore", "pitr", "Users", "Latest", "--latest"]);
    assert!(
        stderr(&out).contains("restoring table Latest"),
        "plain progress lines without a terminal: {}",
        stderr(&out)
    );
    let restored = ok(out);
    assert!(restored.contains("ACTIVE"), "{restored}");
    let mut with_late = initial.clone();
    with_late.push("late".into());
    with_late.sort();
    assert_eq!(scan_keys(&mut client, "Latest"), with_late);

    let deleted = ok(admin(&server, &["backup", "delete", &arn]));
    assert!(deleted.contains(&arn), "{deleted}");
    let gone = fails(admin(&server, &["backup", "describe", &arn]), 1);
    assert!(gone.contains("BackupNotFoundException"), "{gone}");
    let list = ok(admin(&server, &["backup", "list"]));
    assert!(!list.contains(&arn), "{list}");
}

/// `--time` as epoch seconds and as RFC 3339: both restore the table as it was then.
#[test]
fn admin_restore_pitr_to_a_time() {
    let server = Server::in_memory();
    let mut client = Client::connect(server.addr).expect("connect");
    let before = keys("early", 5);
    create_table(&mut client, "Events", &before);
    ok(admin(&server, &["pitr", "enable", "Events"]));
    std::thread::sleep(Duration::from_millis(20));
    let t = now_epoch_seconds();
    std::thread::sleep(Duration::from_millis(20));
    put(&mut client, "Events", "later");

    let epoch = format!("{t:.6}");
    ok(admin(
        &server,
        &["restore", "pitr", "Events", "ByEpoch", "--time", &epoch],
    ));
    assert_eq!(scan_keys(&mut client, "ByEpoch"), before);

    let rfc3339 =
        humantime::format_rfc3339_micros(UNIX_EPOCH + Duration::from_secs_f64(t)).to_string();
    ok(admin(
        &server,
        &[
            "restore",
            "pitr",
            "Events",
            "ByRfc3339",
            "--time",
            &rfc3339,
            "--timeout",
            "60s",
        ],
    ));
    assert_eq!(scan_keys(&mut client, "ByRfc3339"), before);
}

/// The server's refusals: exit 1 with DynamoDB's exception name and message.
#[test]
fn admin_server_errors_exit_1_with_the_exception() {
    let server = Server::in_memory();
    let mut client = Client::connect(server.addr).expect("connect");
    create_table(&mut client, "NoPitr", &keys("k", 3));

    let err = fails(
        admin(&server, &["restore", "pitr", "NoPitr", "Copy", "--latest"]),
        1,
    );
    assert!(
        err.contains("PointInTimeRecoveryUnavailableException"),
        "{err}"
    );
    assert!(
        err.contains("Point in time recovery is not enabled for table 'NoPitr'"),
        "{err}"
    );
    let err = fails(admin(&server, &["pitr", "status", "Missing"]), 1);
    assert!(err.contains("TableNotFoundException"), "{err}");
    let err = fails(
        admin(&server, &["pitr", "enable", "NoPitr", "--days", "36"]),
        1,
    );
    assert!(err.contains("ValidationException"), "{err}");
    let err = fails(admin(&server, &["backup", "create", "Missing", "bak"]), 1);
    assert!(err.contains("TableNotFoundException"), "{err}");

    // No server at all: a port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let err = fails(
        run_admin(&["--endpoint", &endpoint, "pitr", "status", "NoPitr"]),
        1,
    );
    assert!(err.contains("no answer from"), "{err}");
}

/// Export then import round trip on an on-disk server (both COMPLETED, the imported table
/// has the items); an in-memory server has no export directory, and the tool says which
/// operation failed and why, exit 1.
#[test]
fn admin_export_and_import_round_trip_on_disk() {
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start(&["--data-dir", data.path().to_str().expect("utf-8 path")]);
    let mut client = Client::connect(server.addr).expect("connect");
    let written = keys("k", 3);
    create_table(&mut client, "Exported", &written);
    ok(admin(&server, &["pitr", "enable", "Exported"]));
    let out = ok(admin(
        &server,
        &["export", "Exported", "dump1", "--timeout", "60s"],
    ));
    assert!(out.contains("COMPLETED"), "{out}");
    let out = ok(admin(
        &server,
        &[
            "import",
            "dump1",
            "Imported",
            "--key",
            "pk:S",
            "--timeout",
            "60s",
        ],
    ));
    assert!(out.contains("COMPLETED"), "{out}");
    assert_eq!(
        scan_keys(&mut client, "Imported"),
        written,
        "import said: {out}"
    );

    let memory = Server::in_memory();
    let mut client = Client::connect(memory.addr).expect("connect");
    create_table(&mut client, "Exported", &keys("k", 1));
    ok(admin(&memory, &["pitr", "enable", "Exported"]));
    let err = fails(
        admin(
            &memory,
            &["export", "Exported", "dump1", "--timeout", "60s"],
        ),
        1,
    );
    assert!(err.contains("ExportTableToPointInTime"), "{err}");
}

/// Usage errors exit 2 before any request; `--help` exits 0 with the command's usage.
#[test]
fn admin_usage_errors_exit_2_and_help_exits_0() {
    // No server: a usage error must not need one.
    for args in [
        &[][..],
        &["backup"][..],
        &["backup", "frobnicate"][..],
        &["backup", "create", "OnlyTable"][..],
        &["restore", "pitr", "A", "B"][..],
        &["restore", "pitr", "A", "B", "--latest", "--time", "0"][..],
        &["restore", "pitr", "A", "B", "--time", "yesterday"][..],
        &["restore", "backup", "arn", "B", "--timeout", "0"][..],
        &["pitr", "status", "T", "--latest"][..],
        &["pitr", "status", "T", "--no-such-flag"][..],
        &[
            "--endpoint",
            "https://dynamodb.us-east-1.amazonaws.com",
            "backup",
            "list",
        ][..],
    ] {
        let err = fails(run_admin(args), 2);
        assert!(
            err.starts_with("shale-admin: ") && err.contains("--help"),
            "{args:?}: {err}"
        );
    }
    let help = ok(run_admin(&["--help"]));
    assert!(
        help.contains("USAGE") && help.contains("restore pitr"),
        "{help}"
    );
    let help = ok(run_admin(&["restore", "pitr", "--help"]));
    assert!(
        help.contains("--latest") && help.contains("--timeout"),
        "{help}"
    );
    for command in [
        &["backup", "create"][..],
        &["backup", "list"][..],
        &["backup", "describe"][..],
        &["backup", "delete"][..],
        &["pitr", "enable"][..],
        &["pitr", "disable"][..],
        &["pitr", "status"][..],
        &["restore", "backup"][..],
        &["export"][..],
        &["import"][..],
    ] {
        let mut args = command.to_vec();
        args.push("--help");
        let help = ok(run_admin(&args));
        assert!(
            help.contains(&format!("shale-admin {}", command.join(" "))),
            "{command:?}: {help}"
        );
    }
}
