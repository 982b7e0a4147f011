//! The commands: each sends its DynamoDB calls through [`Client`] and returns what goes
//! to stdout. Progress and notes go to stderr, so stdout stays parseable (`backup create`
//! prints only the ARN, `backup list` tab-separated lines).

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::json;
use shale_table::{
    AttributeDefinition, BackupStatus, BillingMode, ContinuousBackupsDescription,
    CreateBackupInput, CreateBackupOutput, DeleteBackupInput, DeleteBackupOutput,
    DescribeBackupInput, DescribeContinuousBackupsInput, DescribeContinuousBackupsOutput,
    DescribeTableInput, DescribeTableOutput, KeySchemaElement, KeyType, ListBackupsInput,
    ListBackupsOutput, PointInTimeRecoverySpecification, PointInTimeRecoveryStatus,
    RestoreTableFromBackupInput, RestoreTableFromBackupOutput, RestoreTableToPointInTimeInput,
    RestoreTableToPointInTimeOutput, TableStatus, UpdateContinuousBackupsInput,
    UpdateContinuousBackupsOutput,
};

use crate::cli::{Action, RestorePoint};
use crate::client::Client;
use crate::error::AdminError;
use crate::time::format_time;
use crate::wait::{wait_for, Pace, Poll, Wait};

/// ListBackups pages read before giving up: at most 100 backups a page, so a million
/// backups. A server that kept answering with a next page would otherwise be followed
/// forever.
const MAX_LIST_PAGES: usize = 10_000;

/// Runs `action` against `client`; returns the text for stdout.
///
/// # Errors
/// Whatever the calls or the waits fail with.
pub fn run(client: &Client, action: Action) -> Result<String, AdminError> {
    match action {
        Action::Verify { data_dir } => {
            // Offline: the client is not used. The report goes to stdout either way.
            let (text, damaged) = crate::verify::run(&data_dir);
            print!("{text}");
            if damaged {
                Err(AdminError::Damaged { data_dir })
            } else {
                Ok(String::new())
            }
        }
        Action::BackupCreate { table, name } => backup_create(client, table, name),
        Action::BackupList { table } => backup_list(client, table),
        Action::BackupDescribe { arn } => {
            // Printed as the server sent it, members Shale's shapes do not model included.
            let out: serde_json::Value =
                client.call("DescribeBackup", &DescribeBackupInput { backup_arn: arn })?;
            pretty_json("DescribeBackup", &out)
        }
        Action::BackupDelete { arn } => {
            let out: DeleteBackupOutput =
                client.call("DeleteBackup", &DeleteBackupInput { backup_arn: arn })?;
            let details = out.backup_description.backup_details;
            Ok(format!(
                "deleted backup {} ({})\n",
                details.backup_name, details.backup_arn
            ))
        }
        Action::PitrEnable { table, days } => pitr_update(client, table, true, days),
        Action::PitrDisable { table } => pitr_update(client, table, false, None),
        Action::PitrStatus { table } => {
            let out: DescribeContinuousBackupsOutput = client.call(
                "DescribeContinuousBackups",
                &DescribeContinuousBackupsInput {
                    table_name: table.clone(),
                },
            )?;
            Ok(pitr_text(&table, &out.continuous_backups_description))
        }
        Action::RestoreBackup {
            arn,
            target,
            timeout,
        } => restore_backup(client, arn, target, timeout),
        Action::RestorePitr {
            source,
            target,
            point,
            timeout,
        } => restore_pitr(client, source, target, point, timeout),
        Action::Export {
            table,
            bucket,
            prefix,
            time,
            timeout,
        } => crate::transfer::export(client, &table, &bucket, prefix.as_deref(), time, timeout),
        Action::Import {
            bucket,
            prefix,
            table,
            key,
            sort_key,
            format,
            timeout,
        } => {
            let table_parameters = creation_parameters(&table, key, sort_key);
            crate::transfer::import(
                client,
                &bucket,
                prefix.as_deref(),
                format,
                table_parameters,
                timeout,
            )
        }
    }
}

/// ImportTable's `TableCreationParameters`: an on-demand table with this key.
fn creation_parameters(
    table: &str,
    key: AttributeDefinition,
    sort_key: Option<AttributeDefinition>,
) -> serde_json::Value {
    let mut key_schema = vec![KeySchemaElement {
        attribute_name: key.attribute_name.clone(),
        key_type: KeyType::Hash,
    }];
    let mut attribute_definitions = vec![key];
    if let Some(sort_key) = sort_key {
        key_schema.push(KeySchemaElement {
            attribute_name: sort_key.attribute_name.clone(),
            key_type: KeyType::Range,
        });
        attribute_definitions.push(sort_key);
    }
    json!({
        "TableName": table,
        "AttributeDefinitions": attribute_definitions,
        "KeySchema": key_schema,
        "BillingMode": BillingMode::PayPerRequest,
    })
}

fn backup_create(client: &Client, table: String, name: String) -> Result<String, AdminError> {
    let out: CreateBackupOutput = client.call(
        "CreateBackup",
        &CreateBackupInput {
            table_name: table.clone(),
            backup_name: name,
        },
    )?;
    let details = out.backup_details;
    eprintln!(
        "shale-admin: backup {} of {table}: {}, {} bytes",
        details.backup_name,
        backup_status(details.backup_status),
        details.backup_size_bytes.unwrap_or(0)
    );
    Ok(format!("{}\n", details.backup_arn))
}

fn backup_list(client: &Client, table: Option<String>) -> Result<String, AdminError> {
    let mut input = ListBackupsInput {
        table_name: table,
        ..ListBackupsInput::default()
    };
    let mut text = String::from("CREATED\tSTATUS\tSIZE_BYTES\tTABLE\tNAME\tARN\n");
    for _ in 0..MAX_LIST_PAGES {
        let page: ListBackupsOutput = client.call("ListBackups", &input)?;
        for b in &page.backup_summaries {
            let _ = writeln!(
                text,
                "{}\t{}\t{}\t{}\t{}\t{}",
                format_time(b.backup_creation_date_time),
                backup_status(b.backup_status),
                b.backup_size_bytes,
                b.table_name,
                b.backup_name,
                b.backup_arn
            );
        }
        match page.last_evaluated_backup_arn {
            None => return Ok(text),
            // The same page again would loop until the page bound: fail now instead.
            Some(next) if input.exclusive_start_backup_arn.as_ref() == Some(&next) => {
                return Err(AdminError::BadResponse {
                    operation: "ListBackups",
                    detail: format!("the next page starts where this one did ({next})"),
                });
            }
            Some(next) => input.exclusive_start_backup_arn = Some(next),
        }
    }
    Err(AdminError::BadResponse {
        operation: "ListBackups",
        detail: format!("still more pages after {MAX_LIST_PAGES}"),
    })
}

fn pitr_update(
    client: &Client,
    table: String,
    enabled: bool,
    days: Option<i64>,
) -> Result<String, AdminError> {
    let out: UpdateContinuousBackupsOutput = client.call(
        "UpdateContinuousBackups",
        &UpdateContinuousBackupsInput {
            table_name: table.clone(),
            point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: Some(enabled),
                recovery_period_in_days: days,
            }),
        },
    )?;
    Ok(pitr_text(&table, &out.continuous_backups_description))
}

/// The PITR settings, one `key: value` line each; the window's ends in ISO 8601.
fn pitr_text(table: &str, description: &ContinuousBackupsDescription) -> String {
    let pitr = &description.point_in_time_recovery_description;
    let status = match pitr.point_in_time_recovery_status {
        PointInTimeRecoveryStatus::Enabled => "ENABLED",
        PointInTimeRecoveryStatus::Disabled => "DISABLED",
    };
    let mut text = format!("table: {table}\npoint-in-time recovery: {status}\n");
    if let Some(days) = pitr.recovery_period_in_days {
        let _ = writeln!(text, "recovery period: {days} days");
    }
    if let Some(t) = pitr.earliest_restorable_date_time {
        let _ = writeln!(text, "earliest restorable time: {}", format_time(t));
    }
    if let Some(t) = pitr.latest_restorable_date_time {
        let _ = writeln!(text, "latest restorable time: {}", format_time(t));
    }
    text
}

fn restore_backup(
    client: &Client,
    arn: String,
    target: String,
    timeout: Duration,
) -> Result<String, AdminError> {
    let out: RestoreTableFromBackupOutput = client.call(
        "RestoreTableFromBackup",
        &RestoreTableFromBackupInput {
            target_table_name: target.clone(),
            backup_arn: arn.clone(),
            ..RestoreTableFromBackupInput::default()
        },
    )?;
    let status = out.table_description.table_status;
    wait_until_active(client, &target, status, timeout)?;
    Ok(format!("restored {target} from backup {arn}: ACTIVE\n"))
}

fn restore_pitr(
    client: &Client,
    source: String,
    target: String,
    point: RestorePoint,
    timeout: Duration,
) -> Result<String, AdminError> {
    // A source given as an ARN goes in SourceTableArn, as the AWS CLI's --source-table-arn.
    let (source_table_name, source_table_arn) = if source.starts_with("arn:") {
        (None, Some(source.clone()))
    } else {
        (Some(source.clone()), None)
    };
    let (use_latest_restorable_time, restore_date_time) = match point {
        RestorePoint::Latest => (Some(true), None),
        RestorePoint::At(t) => (None, Some(t)),
    };
    let out: RestoreTableToPointInTimeOutput = client.call(
        "RestoreTableToPointInTime",
        &RestoreTableToPointInTimeInput {
            source_table_arn,
            source_table_name,
            target_table_name: target.clone(),
            use_latest_restorable_time,
            restore_date_time,
            ..RestoreTableToPointInTimeInput::default()
        },
    )?;
    let restored_to = out
        .table_description
        .restore_summary
        .as_ref()
        .map(|s| format!(" as of {}", format_time(s.restore_date_time)))
        .unwrap_or_default();
    wait_until_active(client, &target, out.table_description.table_status, timeout)?;
    Ok(format!(
        "restored {target} from {source}{restored_to}: ACTIVE\n"
    ))
}

/// Polls DescribeTable until `table` is ACTIVE (a restore's last step publishes it so).
fn wait_until_active(
    client: &Client,
    table: &str,
    initial: TableStatus,
    timeout: Duration,
) -> Result<(), AdminError> {
    if initial == TableStatus::Active {
        return Ok(());
    }
    let what = format!("restoring table {table}");
    let check = format!(
        "see `aws dynamodb describe-table --table-name {table} --endpoint-url {}`",
        client.endpoint()
    );
    let wait = Wait {
        what: &what,
        check: &check,
        timeout,
        pace: Pace::DEFAULT,
    };
    wait_for(&wait, || {
        let described = client.call(
            "DescribeTable",
            &DescribeTableInput {
                table_name: table.to_owned(),
            },
        );
        let out: DescribeTableOutput = match described {
            Ok(out) => out,
            // The server deletes a restore whose source can no longer be read (history
            // trimmed, backup checkpoint gone) together with its table.
            Err(e) if e.exception() == Some("ResourceNotFoundException") => {
                return Err(AdminError::Failed {
                    what: what.clone(),
                    detail: format!(
                        "the table {table} is gone: the server dropped the restore \
                         (its source could no longer be read) or someone deleted it"
                    ),
                })
            }
            Err(e) => return Err(e),
        };
        Ok(match out.table.table_status {
            TableStatus::Active => Poll::Done(()),
            TableStatus::Deleting => {
                return Err(AdminError::Failed {
                    what: what.clone(),
                    detail: format!("the table {table} is being deleted"),
                })
            }
            TableStatus::Creating => Poll::Pending("CREATING".to_owned()),
            TableStatus::Updating => Poll::Pending("UPDATING".to_owned()),
        })
    })
}

fn backup_status(s: BackupStatus) -> &'static str {
    match s {
        BackupStatus::Creating => "CREATING",
        BackupStatus::Deleted => "DELETED",
        BackupStatus::Available => "AVAILABLE",
    }
}

fn pretty_json<T: serde::Serialize>(
    operation: &'static str,
    value: &T,
) -> Result<String, AdminError> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| AdminError::BadResponse {
            operation,
            detail: e.to_string(),
        })
}
