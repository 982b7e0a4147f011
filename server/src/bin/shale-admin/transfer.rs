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
    const OP: &str = "ExportTableToPointInTime";
    let started: Value = client.call(OP, &request)?;
    let description = member(OP, &started, "ExportDescription")?;
    let arn = string_member(OP, description, "ExportArn")?.to_owned();
    let what = format!("exporting {table} to {bucket}");
    let check = format!("DescribeExport {arn}");
    let wait = Wait {
        what: &what,
        check: &check,
        timeout,
        pace: Pace::DEFAULT,
    };
    let done = wait_for(&wait, || {
        const OP: &str = "DescribeExport";
        let out: Value = client.call(OP, &json!({ "ExportArn": arn }))?;
        let description = member(OP, &out, "ExportDescription")?;
        job_state(OP, &what, description, "ExportStatus", "ItemCount")
    })?;
    Ok(format!(
        "exported {table} to {bucket}: {arn} (COMPLETED{})\n",
        count_suffix(&done, "ItemCount")
    ))
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
    let request = json!({
        "S3BucketSource": source,
        "InputFormat": format,
        "TableCreationParameters": table_parameters,
    });
    const OP: &str = "ImportTable";
    let started: Value = client.call(OP, &request)?;
    let description = member(OP, &started, "ImportTableDescription")?;
    let arn = string_member(OP, description, "ImportArn")?.to_owned();
    let what = format!("importing {bucket} into {table}");
    let check = format!("DescribeImport {arn}");
    let wait = Wait {
        what: &what,
        check: &check,
        timeout,
        pace: Pace::DEFAULT,
    };
    let done = wait_for(&wait, || {
        const OP: &str = "DescribeImport";
        let out: Value = client.call(OP, &json!({ "ImportArn": arn }))?;
        let description = member(OP, &out, "ImportTableDescription")?;
        job_state(OP, &what, description, "ImportStatus", "ImportedItemCount")
    })?;
    Ok(format!(
        "imported {bucket} into {table}: {arn} (COMPLETED{})\n",
        count_suffix(&done, "ImportedItemCount")
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
