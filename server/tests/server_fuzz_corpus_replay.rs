//! Replays every file of `fuzz/corpus/http_request/` through
//! `shale_server::fuzzing::run_requests` on stable, so CI exercises the fuzz corpus (and any
//! crasher added to it) without nightly.
//!
//! A corpus file is requests separated by NUL bytes, each `X-Amz-Target` line,
//! `Content-Type` line, body (see `server/src/fuzzing.rs`). The seed corpus is generated
//! by this file: run
//! `SHALE_WRITE_HTTP_CORPUS=1 cargo test -p shale-server --test server_fuzz_corpus_replay`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use shale_server::fuzzing::run_requests;

/// Corpus files are kept small so the repository stays light.
const MAX_CORPUS_FILE_BYTES: usize = 64 << 10;
/// One input must finish far below this even on a loaded machine.
const PER_INPUT_BUDGET: Duration = Duration::from_secs(5);

const AMZ_JSON: &str = "application/x-amz-json-1.0";

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/http_request")
}

const CREATE: &str = r##"{"TableName":"Tbl","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"GlobalSecondaryIndexes":[{"IndexName":"byG","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}],"BillingMode":"PAY_PER_REQUEST"}"##;
const PUT: &str = r##"{"TableName":"Tbl","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"g":{"S":"x"},"l":{"L":[{"N":"1"},{"M":{"k":{"BOOL":true}}}]},"ss":{"SS":["p","q"]}},"ConditionExpression":"attribute_not_exists(pk)"}"##;

/// Requests joined as the grammar wants: NUL between requests.
fn requests(calls: &[(&str, &str)]) -> Vec<u8> {
    let full: Vec<(String, &str)> = calls
        .iter()
        .map(|(target, body)| (format!("DynamoDB_20120810.{target}"), *body))
        .collect();
    targeted(&full)
}

/// [`requests`] with whole `X-Amz-Target` values (for the streams prefix).
fn targeted(calls: &[(String, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (target, body)) in calls.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(format!("{target}\n{AMZ_JSON}\n{body}").as_bytes());
    }
    out
}

/// The stream ARN of a table created by an input's first request: the fuzzing clock
/// starts at 2026-01-01T00:00:00 and moves 1 ms before each request.
const STREAM_ARN: &str =
    "arn:aws:dynamodb:us-east-1:000000000000:table/Tbl/stream/2026-01-01T00:00:00.001";

fn write_corpus() {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("list_tables", requests(&[("ListTables", "{}")])),
        (
            "unknown_target",
            b"DynamoDB_20120810.Nope\napplication/json\n{}".to_vec(),
        ),
        (
            "streams_target",
            b"DynamoDBStreams_20120810.ListStreams\napplication/json\n{}".to_vec(),
        ),
        (
            "bad_content_type",
            b"DynamoDB_20120810.ListTables\ntext/plain\n{}".to_vec(),
        ),
        ("bad_json", requests(&[("GetItem", r##"{"TableName":"##)])),
        (
            "wrong_json_type",
            requests(&[("GetItem", r##"{"TableName":7}"##)]),
        ),
        ("missing_member", requests(&[("GetItem", "{}")])),
        (
            "bad_enum",
            requests(&[("Scan", r##"{"TableName":"Tbl","Select":"MOST"}"##)]),
        ),
        (
            "create_put_get",
            requests(&[
                ("CreateTable", CREATE),
                ("PutItem", PUT),
                (
                    "GetItem",
                    r##"{"TableName":"Tbl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ProjectionExpression":"l[1].k, #s","ExpressionAttributeNames":{"#s":"ss"}}"##,
                ),
                ("PutItem", PUT),
            ]),
        ),
        (
            "create_update_query",
            requests(&[
                ("CreateTable", CREATE),
                ("PutItem", PUT),
                (
                    "UpdateItem",
                    r##"{"TableName":"Tbl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET n = if_not_exists(n, :z) + :one, l[0] = :one ADD ss :s REMOVE g","ConditionExpression":"size(l) > :z","ExpressionAttributeValues":{":z":{"N":"0"},":one":{"N":"1"},":s":{"SS":["r"]}},"ReturnValues":"ALL_NEW"}"##,
                ),
                (
                    "Query",
                    r##"{"TableName":"Tbl","KeyConditionExpression":"pk = :p AND sk BETWEEN :a AND :b","FilterExpression":"contains(ss, :r)","ExpressionAttributeValues":{":p":{"S":"a"},":a":{"N":"0"},":b":{"N":"9"},":r":{"S":"r"}},"ScanIndexForward":false,"Limit":5}"##,
                ),
                (
                    "Query",
                    r##"{"TableName":"Tbl","IndexName":"byG","KeyConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"x"}}}"##,
                ),
            ]),
        ),
        (
            "create_batch_scan_delete",
            requests(&[
                ("CreateTable", CREATE),
                (
                    "BatchWriteItem",
                    r##"{"RequestItems":{"Tbl":[{"PutRequest":{"Item":{"pk":{"S":"b"},"sk":{"N":"2"}}}},{"PutRequest":{"Item":{"pk":{"S":"c"},"sk":{"N":"-3.5"},"bin":{"B":"AAE="}}}}]}}"##,
                ),
                (
                    "BatchGetItem",
                    r##"{"RequestItems":{"Tbl":{"Keys":[{"pk":{"S":"b"},"sk":{"N":"2"}},{"pk":{"S":"zz"},"sk":{"N":"0"}}]}}}"##,
                ),
                (
                    "Scan",
                    r##"{"TableName":"Tbl","Segment":0,"TotalSegments":2,"FilterExpression":"attribute_type(bin, :t)","ExpressionAttributeValues":{":t":{"S":"B"}}}"##,
                ),
                (
                    "DeleteItem",
                    r##"{"TableName":"Tbl","Key":{"pk":{"S":"b"},"sk":{"N":"2"}},"ReturnValues":"ALL_OLD"}"##,
                ),
                ("DeleteTable", r##"{"TableName":"Tbl"}"##),
            ]),
        ),
        (
            "create_transact",
            requests(&[
                ("CreateTable", CREATE),
                (
                    "TransactWriteItems",
                    r##"{"TransactItems":[{"Put":{"TableName":"Tbl","Item":{"pk":{"S":"t"},"sk":{"N":"1"}}}},{"ConditionCheck":{"TableName":"Tbl","Key":{"pk":{"S":"u"},"sk":{"N":"1"}},"ConditionExpression":"attribute_exists(pk)"}}]}"##,
                ),
                (
                    "TransactGetItems",
                    r##"{"TransactItems":[{"Get":{"TableName":"Tbl","Key":{"pk":{"S":"t"},"sk":{"N":"1"}}}}]}"##,
                ),
            ]),
        ),
        (
            "create_ttl_describe_update",
            requests(&[
                ("CreateTable", CREATE),
                (
                    "UpdateTimeToLive",
                    r##"{"TableName":"Tbl","TimeToLiveSpecification":{"Enabled":true,"AttributeName":"exp"}}"##,
                ),
                ("DescribeTimeToLive", r##"{"TableName":"Tbl"}"##),
                ("DescribeTable", r##"{"TableName":"Tbl"}"##),
                (
                    "UpdateTable",
                    r##"{"TableName":"Tbl","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"byG"}}]}"##,
                ),
            ]),
        ),
        (
            "create_backup_pitr",
            requests(&[
                ("CreateTable", CREATE),
                ("PutItem", PUT),
                (
                    "UpdateContinuousBackups",
                    r##"{"TableName":"Tbl","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}"##,
                ),
                ("CreateBackup", r##"{"TableName":"Tbl","BackupName":"b1"}"##),
                ("ListBackups", "{}"),
                (
                    "RestoreTableToPointInTime",
                    r##"{"SourceTableName":"Tbl","TargetTableName":"Tbl2","UseLatestRestorableTime":true}"##,
                ),
            ]),
        ),
        (
            "partiql",
            requests(&[
                ("CreateTable", CREATE),
                (
                    "ExecuteStatement",
                    r##"{"Statement":"INSERT INTO \"Tbl\" VALUE {'pk': 'p', 'sk': 1, 'g': 'x', 'n': 5}"}"##,
                ),
                (
                    "ExecuteStatement",
                    r##"{"Statement":"SELECT pk, n FROM \"Tbl\" WHERE pk = ? AND sk >= ?","Parameters":[{"S":"p"},{"N":"0"}]}"##,
                ),
                (
                    "ExecuteStatement",
                    r##"{"Statement":"UPDATE \"Tbl\" SET n = n + 1 REMOVE g WHERE pk = 'p' AND sk = 1 RETURNING ALL NEW *"}"##,
                ),
                (
                    "BatchExecuteStatement",
                    r##"{"Statements":[{"Statement":"SELECT * FROM \"Tbl\".\"byG\" WHERE g = 'x'"},{"Statement":"DELETE FROM \"Tbl\" WHERE pk = 'p' AND sk = 1"}]}"##,
                ),
                (
                    "ExecuteTransaction",
                    r##"{"TransactStatements":[{"Statement":"INSERT INTO \"Tbl\" VALUE {'pk': 'q', 'sk': 2}"},{"Statement":"EXISTS(SELECT * FROM \"Tbl\" WHERE pk = 'p' AND sk = 1)"}]}"##,
                ),
            ]),
        ),
        (
            "tags_and_exports",
            requests(&[
                ("CreateTable", CREATE),
                (
                    "TagResource",
                    r##"{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Tbl","Tags":[{"Key":"k","Value":"v"}]}"##,
                ),
                (
                    "ExportTableToPointInTime",
                    r##"{"TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Tbl","S3Bucket":"b"}"##,
                ),
                ("ListExports", "{}"),
            ]),
        ),
    ];
    let ddb = |op: &str| format!("DynamoDB_20120810.{op}");
    let streams = |op: &str| format!("DynamoDBStreams_20120810.{op}");
    let create_streamed = CREATE.replacen(
        r#""BillingMode""#,
        r#""StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},"BillingMode""#,
        1,
    );
    let describe = format!(r#"{{"StreamArn":"{STREAM_ARN}"}}"#);
    let iterator = format!(
        r#"{{"StreamArn":"{STREAM_ARN}","ShardId":"shardId-00001767225600001-00000000","ShardIteratorType":"TRIM_HORIZON"}}"#
    );
    let files: Vec<(&str, Vec<u8>)> = files
        .into_iter()
        .chain(std::iter::once((
            "streams",
            targeted(&[
                (ddb("CreateTable"), create_streamed.as_str()),
                (ddb("PutItem"), PUT),
                (
                    ddb("UpdateItem"),
                    r##"{"TableName":"Tbl","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET n = :n","ExpressionAttributeValues":{":n":{"N":"2"}}}"##,
                ),
                (streams("ListStreams"), r#"{"TableName":"Tbl"}"#),
                (streams("DescribeStream"), describe.as_str()),
                (streams("GetShardIterator"), iterator.as_str()),
                (
                    streams("GetRecords"),
                    r#"{"ShardIterator":"arn:aws:dynamodb:us-east-1:000000000000:table/Tbl/stream/2026-01-01T00:00:00.001|1|00","Limit":10}"#,
                ),
            ]),
        )))
        .collect();
    for (name, bytes) in files {
        assert!(bytes.len() <= MAX_CORPUS_FILE_BYTES, "{name}");
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

/// Regenerates the seed corpus once per run when asked to, before any test reads it.
fn maybe_write_corpus() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("SHALE_WRITE_HTTP_CORPUS").is_some() {
            write_corpus();
        }
    });
}

#[test]
fn every_corpus_file_keeps_the_wire_contract() {
    maybe_write_corpus();
    let dir = corpus_dir();
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory exists") {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let start = Instant::now();
        // run_requests asserts the contract on every response itself.
        let responses = run_requests(&bytes);
        assert!(!responses.is_empty());
        assert!(
            start.elapsed() < PER_INPUT_BUDGET,
            "{} took {:?}",
            path.display(),
            start.elapsed()
        );
        n += 1;
    }
    assert!(n >= 10, "seed corpus missing from {}", dir.display());
}

#[test]
fn seed_sessions_reach_the_engine() {
    maybe_write_corpus();
    let read = |name: &str| std::fs::read(corpus_dir().join(name)).unwrap();
    for name in [
        "create_put_get",
        "create_update_query",
        "create_batch_scan_delete",
        "create_transact",
        "create_ttl_describe_update",
        "create_backup_pitr",
        "partiql",
    ] {
        let responses = run_requests(&read(name));
        assert!(
            responses.iter().filter(|r| r.status == 200).count() >= 2,
            "{name}: {:?}",
            responses
                .iter()
                .map(|r| String::from_utf8_lossy(&r.body).into_owned())
                .collect::<Vec<_>>()
        );
    }
    let r = run_requests(&read("bad_content_type"));
    assert_eq!(r[0].status, 404);
    let r = run_requests(&read("unknown_target"));
    assert_eq!(r[0].exception, Some("UnknownOperationException"));
}
