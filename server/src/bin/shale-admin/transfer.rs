//! `export` and `import`: ExportTableToPointInTime and ImportTable, then DescribeExport or
//! DescribeImport until the work ends.
//!
//! `shale_table` has no shapes for these operations yet, so the requests are DynamoDB's
//! documented members written as JSON (only the required ones plus the prefix, time and
//! format), and the answers are read member by member. A `<dir-name>` goes where DynamoDB
//! takes an S3 bucket. A server without the operations answers "not implemented", which
//! the client reports as [`AdminError::NotImplemented`].

use std::time::Duration;

use serde_json::{json, Value};
use shale_table::{DescribeTableInput, DescribeTableOutput};

use crate::client::Client;
use crate::error::AdminError;
use crate::wait::{wait_for, Pace, Poll, Wait};

/// Exports `table` into `bucket` and waits for the export to end; returns the stdout text.
///
/// # Errors
/// The calls' errors, [`AdminError::Failed`] when the export fails, and
/// [`AdminError::Timeout`].
pub fn export(
    client: &Client,
    table: &str,
    bucket: &str,
    prefix: Option<&str>,
    time: Option<f64>,
    timeout: Duration,
) -> Result<String, AdminError> {
    // ExportTableToPointInTime takes the table's ARN only.
    let described: DescribeTableOutput = client.call(
        "DescribeTable",
        &DescribeTableInput {
            table_name: table.to_owned(),
        },
    )?;
    let mut request = json!({
        "TableArn": described.table.table_arn,
        "S3Bucket": bucket,
        "ExportFormat": "DYNAMODB_JSON",
    });
    if let Some(prefix) = prefix {
        request["S3Prefix"] = json!(prefix);
    }
    if let Some(time) = time {
        request["ExportTime"] = json!(time);
    }
    let what = format!("exporting {table} to {bucket}");
    let (arn, count) = start_and_wait(client, &EXPORT, &request, &what, timeout)?;
    Ok(format!(
        "exported {table} to {bucket}: {arn} (COMPLETED{count})\n"
    ))
}

/// The calls and members of one kind of long-running job (export or import).
struct JobKind {
    start: &'static str,
    description: &'static str,
    arn: &'static str,
    describe: &'static str,
    status: &'static str,
    count: &'static str,
}

const EXPORT: JobKind = JobKind {
    start: "ExportTableToPointInTime",
    description: "ExportDescription",
    arn: "ExportArn",
    describe: "DescribeExport",
    status: "ExportStatus",
    count: "ItemCount",
};

const IMPORT: JobKind = JobKind {
    start: "ImportTable",
    description: "ImportTableDescription",
    arn: "ImportArn",
    describe: "DescribeImport",
    status: "ImportStatus",
    count: "ImportedItemCount",
};

/// Starts a job with `request` and polls it until it ends; returns its ARN and the
/// item-count suffix for the report.
fn start_and_wait(
    client: &Client,
    kind: &JobKind,
    request: &Value,
    what: &str,
    timeout: Duration,
) -> Result<(String, String), AdminError> {
    let started: Value = client.call(kind.start, request)?;
    let description = member(kind.start, &started, kind.description)?;
    let arn = string_member(kind.start, description, kind.arn)?.to_owned();
    let check = format!("{} {arn}", kind.describe);
    let wait = Wait {
        what,
        check: &check,
        timeout,
        pace: Pace::DEFAULT,
    };
    let done = wait_for(&wait, || {
        let out: Value = client.call(kind.describe, &json!({ kind.arn: arn }))?;
        let description = member(kind.describe, &out, kind.description)?;
        job_state(kind.describe, what, description, kind.status, kind.count)
    })?;
    let count = count_suffix(&done, kind.count);
    Ok((arn, count))
}

/// Imports `bucket` into a new table described by `table_parameters`
/// (`TableCreationParameters`) and waits for the import to end; returns the stdout text.
///
/// # Errors
/// The calls' errors, [`AdminError::Failed`] when the import fails, and
/// [`AdminError::Timeout`].
pub fn import(
    client: &Client,
    bucket: &str,
    prefix: Option<&str>,
    format: &str,
    table_parameters: Value,
    timeout: Duration,
) -> Result<String, AdminError> {
    let table = table_parameters["TableName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut source = json!({ "S3Bucket": bucket });
    if let Some(prefix) = prefix {
        source["S3KeyPrefix"] = json!(prefix);
    }
    // An export's DYNAMODB_JSON files are gzipped (DynamoDB's and Shale's alike); CSV
    // files are usually written by hand, uncompressed.
    let compression = if format == "DYNAMODB_JSON" {
        "GZIP"
    } else {
        "NONE"
    };
    let request = json!({
        "S3BucketSource": source,
        "InputFormat": format,
        "InputCompressionType": compression,
        "TableCreationParameters": table_parameters,
    });
    let what = format!("importing {bucket} into {table}");
    let (arn, count) = start_and_wait(client, &IMPORT, &request, &what, timeout)?;
    Ok(format!(
        "imported {bucket} into {table}: {arn} (COMPLETED{count})\n"
    ))
}

/// An export's or import's status: COMPLETED is done, FAILED and CANCELLED (imports) are
/// failures with the server's `FailureCode` and `FailureMessage`, anything else
/// (IN_PROGRESS, CANCELLING) is still running.
fn job_state(
    operation: &'static str,
    what: &str,
    description: &Value,
    status_member: &str,
    count_member: &str,
) -> Result<Poll<Value>, AdminError> {
    let status = string_member(operation, description, status_member)?;
    match status {
        "COMPLETED" => Ok(Poll::Done(description.clone())),
        "FAILED" | "CANCELLED" => {
            let code = description["FailureCode"]
                .as_str()
                .unwrap_or("no FailureCode");
            let message = description["FailureMessage"].as_str().unwrap_or("");
            Err(AdminError::Failed {
                what: what.to_owned(),
                detail: format!("{status}: {code}: {message}"),
            })
        }
        other => Ok(Poll::Pending(format!(
            "{other}{}",
            count_suffix(description, count_member)
        ))),
    }
}

/// `, 1200 items` when the description counts items.
fn count_suffix(description: &Value, count_member: &str) -> String {
    description[count_member]
        .as_i64()
        .map(|n| format!(", {n} items"))
        .unwrap_or_default()
}

fn member<'a>(operation: &'static str, v: &'a Value, name: &str) -> Result<&'a Value, AdminError> {
    v.get(name)
        .filter(|m| m.is_object())
        .ok_or_else(|| AdminError::BadResponse {
            operation,
            detail: format!("no {name} object in {v}"),
        })
}

fn string_member<'a>(
    operation: &'static str,
    v: &'a Value,
    name: &str,
) -> Result<&'a str, AdminError> {
    v.get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| AdminError::BadResponse {
            operation,
            detail: format!("no {name} string in {v}"),
        })
}
