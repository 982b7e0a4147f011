//! From a request body to a response body, for each implemented operation.
//!
//! The engine's request and response structs *are* DynamoDB's wire shapes (they derive
//! serde with DynamoDB's member names), so each operation is: decode the body into the
//! input struct, call the matching [`Database`] method, encode the output struct.
//!
//! [`execute`] runs where [`crate::http::runs_inline`] decides: on the event-loop thread
//! for small single-item calls (a body of at most [`crate::http::MAX_INLINE_BODY_BYTES`]),
//! else on tokio's blocking pool, so the JSON work on large bodies and every engine call
//! that may block for long (a WAL sync, a query, a scan, a batch, a backup checkpoint, a
//! restore's setup, an export or import, which runs to its end inside the call) stay off
//! the event loop.

use serde::de::DeserializeOwned;
use serde::Serialize;
use shale_table::{self as table, shapes::*, Database};

use crate::api_error::ApiError;
use crate::endpoint_info::{self, DescribeEndpointsInput, DescribeLimitsInput};
use crate::metrics::{MANY_TABLES, NO_TABLE};
use crate::operations::Operation;

/// The result of one operation, with the table it concerned (for metrics).
#[derive(Debug)]
pub struct Outcome {
    /// The table label: a table name, [`NO_TABLE`] or [`MANY_TABLES`].
    pub table: String,
    /// The JSON response body, or the error.
    pub result: Result<Vec<u8>, ApiError>,
}

/// Runs `op` on `body`, for a client that reached the server at `endpoint` (`host[:port]`,
/// what DescribeEndpoints answers). May block (disk reads, WAL syncs): call it from a
/// blocking thread unless [`crate::http::runs_inline`] allows the event loop.
pub fn execute(db: &Database, op: Operation, body: &[u8], endpoint: &str) -> Outcome {
    match op {
        Operation::CreateTable => run(op, body, |i: CreateTableInput| db.create_table(i)),
        Operation::DescribeTable => run(op, body, |i: DescribeTableInput| db.describe_table(i)),
        Operation::ListTables => run(op, body, |i: ListTablesInput| db.list_tables(i)),
        Operation::UpdateTable => run(op, body, |i: UpdateTableInput| db.update_table(i)),
        Operation::DeleteTable => run(op, body, |i: DeleteTableInput| db.delete_table(i)),
        Operation::PutItem => run(op, body, |i: PutItemInput| db.put_item(i)),
        Operation::GetItem => run(op, body, |i: GetItemInput| db.get_item(i)),
        Operation::UpdateItem => run(op, body, |i: UpdateItemInput| db.update_item(i)),
        Operation::DeleteItem => run(op, body, |i: DeleteItemInput| db.delete_item(i)),
        Operation::Query => run(op, body, |i: QueryInput| db.query(i)),
        Operation::Scan => run(op, body, |i: ScanInput| db.scan(i)),
        Operation::BatchGetItem => run(op, body, |i: BatchGetItemInput| db.batch_get_item(i)),
        Operation::BatchWriteItem => run(op, body, |i: BatchWriteItemInput| db.batch_write_item(i)),
        Operation::UpdateTimeToLive => run(op, body, |i: UpdateTimeToLiveInput| {
            db.update_time_to_live(i)
        }),
        Operation::DescribeTimeToLive => run(op, body, |i: DescribeTimeToLiveInput| {
            db.describe_time_to_live(i)
        }),
        Operation::UpdateContinuousBackups => run(op, body, |i: UpdateContinuousBackupsInput| {
            db.update_continuous_backups(i)
        }),
        Operation::DescribeContinuousBackups => {
            run(op, body, |i: DescribeContinuousBackupsInput| {
                db.describe_continuous_backups(i)
            })
        }
        Operation::RestoreTableToPointInTime => {
            run(op, body, |i: RestoreTableToPointInTimeInput| {
                db.restore_table_to_point_in_time(i)
            })
        }
        Operation::CreateBackup => run(op, body, |i: CreateBackupInput| db.create_backup(i)),
        Operation::DescribeBackup => run(op, body, |i: DescribeBackupInput| db.describe_backup(i)),
        Operation::ListBackups => run(op, body, |i: ListBackupsInput| db.list_backups(i)),
        Operation::DeleteBackup => run(op, body, |i: DeleteBackupInput| db.delete_backup(i)),
        Operation::RestoreTableFromBackup => run(op, body, |i: RestoreTableFromBackupInput| {
            db.restore_table_from_backup(i)
        }),
        Operation::ExportTableToPointInTime => run(op, body, |i: ExportTableToPointInTimeInput| {
            db.export_table_to_point_in_time(i)
        }),
        Operation::DescribeExport => run(op, body, |i: DescribeExportInput| db.describe_export(i)),
        Operation::ListExports => run(op, body, |i: ListExportsInput| db.list_exports(i)),
        Operation::ImportTable => run(op, body, |i: ImportTableInput| db.import_table(i)),
        Operation::DescribeImport => run(op, body, |i: DescribeImportInput| db.describe_import(i)),
        Operation::ListImports => run(op, body, |i: ListImportsInput| db.list_imports(i)),
        Operation::TagResource => run(op, body, |i: TagResourceInput| db.tag_resource(i)),
        Operation::UntagResource => run(op, body, |i: UntagResourceInput| db.untag_resource(i)),
        Operation::ListTagsOfResource => run(op, body, |i: ListTagsOfResourceInput| {
            db.list_tags_of_resource(i)
        }),
        Operation::PutResourcePolicy => run(op, body, |i: PutResourcePolicyInput| {
            db.put_resource_policy(i)
        }),
        Operation::GetResourcePolicy => run(op, body, |i: GetResourcePolicyInput| {
            db.get_resource_policy(i)
        }),
        Operation::DeleteResourcePolicy => run(op, body, |i: DeleteResourcePolicyInput| {
            db.delete_resource_policy(i)
        }),
        Operation::TransactWriteItems => run(op, body, |i: TransactWriteItemsInput| {
            db.transact_write_items(i)
        }),
        Operation::TransactGetItems => run(op, body, |i: TransactGetItemsInput| {
            db.transact_get_items(i)
        }),
        Operation::ExecuteStatement => {
            run(op, body, |i: ExecuteStatementInput| db.execute_statement(i))
        }
        Operation::BatchExecuteStatement => run(op, body, |i: BatchExecuteStatementInput| {
            db.batch_execute_statement(i)
        }),
        Operation::ExecuteTransaction => run(op, body, |i: ExecuteTransactionInput| {
            db.execute_transaction(i)
        }),
        Operation::ListStreams => run(op, body, |i: ListStreamsInput| db.list_streams(i)),
        Operation::DescribeStream => run(op, body, |i: DescribeStreamInput| db.describe_stream(i)),
        Operation::GetShardIterator => run(op, body, |i: GetShardIteratorInput| {
            db.get_shard_iterator(i)
        }),
        Operation::GetRecords => run(op, body, |i: GetRecordsInput| db.get_records(i)),
        Operation::DescribeLimits => run(op, body, |i: DescribeLimitsInput| {
            Ok(endpoint_info::describe_limits(i, db.table_max_units()))
        }),
        Operation::DescribeEndpoints => run(op, body, |i: DescribeEndpointsInput| {
            Ok(endpoint_info::describe_endpoints(i, endpoint))
        }),
    }
}

fn run<I, O>(op: Operation, body: &[u8], call: impl FnOnce(I) -> Result<O, table::Error>) -> Outcome
where
    I: DeserializeOwned + TableLabel,
    O: Serialize,
{
    let input: I = match serde_json::from_slice(body) {
        Ok(i) => i,
        Err(e) => {
            let error = table_operation_name(op, body, ApiError::from_json(&e, body));
            return Outcome {
                table: NO_TABLE.to_string(),
                result: Err(with_all_constraints(op, body, error)),
            };
        }
    };
    if crate::constraints::checked_before_the_call(op) {
        let violations = crate::constraints::check(op, body);
        if !violations.is_empty() {
            return Outcome {
                table: NO_TABLE.to_string(),
                result: Err(ApiError::Constraints(violations)),
            };
        }
    }
    let table = input.table_label();
    let result = call(input)
        .map_err(|e| with_all_constraints(op, body, ApiError::from(e)))
        .and_then(|output| {
            crate::json_out::to_vec(&output).map_err(|e| ApiError::ResponseEncoding {
                operation: op.name(),
                detail: e.to_string(),
            })
        });
    Outcome { table, result }
}

/// A table operation's (`constraints::table_operation`) own first checks, which DynamoDB
/// makes before any other validation of the request: a missing `TableName`
/// (`ApiError::RequiredParameter`), whatever else is missing, then one outside 3 to 255
/// characters (the table layer's `TableNameLength`). Any other error as it is. Runs only
/// when decoding failed: a decoded request's name is checked by the table layer, in
/// order.
fn table_operation_name(op: Operation, body: &[u8], error: ApiError) -> ApiError {
    if !crate::constraints::table_operation(op) || matches!(error, ApiError::Serialization { .. }) {
        return error;
    }
    let Ok(serde_json::Value::Object(root)) = serde_json::from_slice(body) else {
        return error;
    };
    match root.get("TableName") {
        None | Some(serde_json::Value::Null) => ApiError::RequiredParameter {
            member: "TableName".to_string(),
        },
        Some(serde_json::Value::String(name)) => {
            match table::catalog::validate_table_operation_name(name) {
                Err(e @ table::ValidationError::TableNameLength) => ApiError::Engine(e.into()),
                _ => error,
            }
        }
        Some(_) => error,
    }
}

/// `error`, unless `body` breaks declared member constraints of `op`: DynamoDB checks
/// those first and reports them all (`crate::constraints`). Only a failed request is
/// re-read. A body the decoder could not read as the operation's shape (a member of
/// the wrong JSON type) keeps its SerializationException, which DynamoDB reports
/// before validating.
///
/// Only errors a constraint violation could have caused instead are re-read: a failed
/// condition, a cancelled transaction or a throttle is an answer to a valid request.
fn with_all_constraints(op: Operation, body: &[u8], error: ApiError) -> ApiError {
    let validation = matches!(
        error.exception_name(),
        "ValidationException" | "ResourceNotFoundException"
    );
    if !validation || matches!(error, ApiError::Serialization { .. }) {
        return error;
    }
    let violations = crate::constraints::check(op, body);
    if violations.is_empty() {
        error
    } else {
        ApiError::Constraints(violations)
    }
}

/// The table a request is about, for the metrics label.
trait TableLabel {
    fn table_label(&self) -> String;
}

macro_rules! single_table {
    ($($t:ty),* $(,)?) => {$(
        impl TableLabel for $t {
            fn table_label(&self) -> String {
                self.table_name.clone()
            }
        }
    )*};
}

single_table!(
    CreateTableInput,
    DescribeTableInput,
    UpdateTableInput,
    DeleteTableInput,
    PutItemInput,
    GetItemInput,
    UpdateItemInput,
    DeleteItemInput,
    QueryInput,
    ScanInput,
    UpdateTimeToLiveInput,
    DescribeTimeToLiveInput,
);

/// Operations whose `TableName` may be a table ARN as well as a name: the label is the name
/// either way, so one table has one label.
macro_rules! name_or_arn {
    ($($t:ty),* $(,)?) => {$(
        impl TableLabel for $t {
            fn table_label(&self) -> String {
                table_of(&self.table_name)
            }
        }
    )*};
}

name_or_arn!(
    UpdateContinuousBackupsInput,
    DescribeContinuousBackupsInput,
    CreateBackupInput,
);

impl TableLabel for ListBackupsInput {
    fn table_label(&self) -> String {
        self.table_name
            .as_deref()
            .map_or_else(|| NO_TABLE.to_string(), table_of)
    }
}

impl TableLabel for DescribeBackupInput {
    fn table_label(&self) -> String {
        table_of_backup_arn(&self.backup_arn)
    }
}

impl TableLabel for DeleteBackupInput {
    fn table_label(&self) -> String {
        table_of_backup_arn(&self.backup_arn)
    }
}

/// Tagging operations name their table by ARN; a malformed one gets [`NO_TABLE`].
macro_rules! resource_arn {
    ($($t:ty),* $(,)?) => {$(
        impl TableLabel for $t {
            fn table_label(&self) -> String {
                table_of_backup_arn(&self.resource_arn)
            }
        }
    )*};
}

resource_arn!(
    TagResourceInput,
    UntagResourceInput,
    ListTagsOfResourceInput,
    PutResourcePolicyInput,
    GetResourcePolicyInput,
    DeleteResourcePolicyInput
);

/// Stream calls are labelled with the table their stream ARN (or iterator, which starts
/// with one) names.
impl TableLabel for DescribeStreamInput {
    fn table_label(&self) -> String {
        table_of_backup_arn(&self.stream_arn)
    }
}

impl TableLabel for GetShardIteratorInput {
    fn table_label(&self) -> String {
        table_of_backup_arn(&self.stream_arn)
    }
}

impl TableLabel for GetRecordsInput {
    fn table_label(&self) -> String {
        let arn = self.shard_iterator.split('|').next().unwrap_or_default();
        table_of_backup_arn(arn)
    }
}

impl TableLabel for ListStreamsInput {
    fn table_label(&self) -> String {
        self.table_name
            .clone()
            .unwrap_or_else(|| NO_TABLE.to_string())
    }
}

impl TableLabel for ExportTableToPointInTimeInput {
    fn table_label(&self) -> String {
        table_of(&self.table_arn)
    }
}

/// An export or import ARN (`table/<name>/export/<id>`) is labelled with its table.
impl TableLabel for DescribeExportInput {
    fn table_label(&self) -> String {
        table_of_backup_arn(&self.export_arn)
    }
}

impl TableLabel for DescribeImportInput {
    fn table_label(&self) -> String {
        table_of_backup_arn(&self.import_arn)
    }
}

impl TableLabel for ListExportsInput {
    fn table_label(&self) -> String {
        self.table_arn
            .as_deref()
            .map_or_else(|| NO_TABLE.to_string(), table_of)
    }
}

impl TableLabel for ListImportsInput {
    fn table_label(&self) -> String {
        self.table_arn
            .as_deref()
            .map_or_else(|| NO_TABLE.to_string(), table_of)
    }
}

/// An import is about the table it creates.
impl TableLabel for ImportTableInput {
    fn table_label(&self) -> String {
        self.table_creation_parameters.table_name.clone()
    }
}

/// A restore is about the table it creates.
impl TableLabel for RestoreTableToPointInTimeInput {
    fn table_label(&self) -> String {
        self.target_table_name.clone()
    }
}

impl TableLabel for RestoreTableFromBackupInput {
    fn table_label(&self) -> String {
        self.target_table_name.clone()
    }
}

/// The table of an ARN's resource part, `table/<name>` or `table/<name>/<kind>/<id>`
/// (backups, exports, imports), when it has one:
/// `arn:aws:dynamodb:<region>:<account>:<resource>`.
fn arn_table(arn: &str) -> Option<&str> {
    let resource = arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let name = resource.strip_prefix("table/")?.split('/').next()?;
    (!name.is_empty()).then_some(name)
}

/// The table a `TableName` member names: the name itself, or the table of a table ARN
/// (a malformed ARN is labelled as given; the table layer refuses it, and the metrics
/// then count it as an unknown table).
fn table_of(name_or_arn: &str) -> String {
    if name_or_arn.starts_with("arn:") {
        arn_table(name_or_arn).unwrap_or(name_or_arn).to_string()
    } else {
        name_or_arn.to_string()
    }
}

/// The table a backup, export or import ARN names, or [`NO_TABLE`] when it does not
/// parse.
fn table_of_backup_arn(arn: &str) -> String {
    arn_table(arn).map_or_else(|| NO_TABLE.to_string(), str::to_string)
}

/// About the server, not a table.
macro_rules! no_table {
    ($($t:ty),* $(,)?) => {$(
        impl TableLabel for $t {
            fn table_label(&self) -> String {
                NO_TABLE.to_string()
            }
        }
    )*};
}

no_table!(DescribeLimitsInput, DescribeEndpointsInput);

impl TableLabel for ListTablesInput {
    fn table_label(&self) -> String {
        NO_TABLE.to_string()
    }
}

/// A batch's label is its table when it touches one, else [`MANY_TABLES`].
fn batch_label<'a>(mut tables: impl Iterator<Item = &'a String>) -> String {
    match (tables.next(), tables.next()) {
        (Some(t), None) => t.clone(),
        (None, _) => NO_TABLE.to_string(),
        _ => MANY_TABLES.to_string(),
    }
}

impl TableLabel for BatchGetItemInput {
    fn table_label(&self) -> String {
        batch_label(self.request_items.keys())
    }
}

impl TableLabel for BatchWriteItemInput {
    fn table_label(&self) -> String {
        batch_label(self.request_items.keys())
    }
}

/// A transaction's label is its table when all its actions are on one, else
/// [`MANY_TABLES`].
fn transaction_label<'a>(tables: impl Iterator<Item = &'a String>) -> String {
    let distinct: std::collections::BTreeSet<&String> = tables.collect();
    batch_label(distinct.into_iter())
}

impl TableLabel for TransactWriteItemsInput {
    fn table_label(&self) -> String {
        transaction_label(self.transact_items.iter().filter_map(|a| {
            a.put
                .as_ref()
                .map(|p| &p.table_name)
                .or(a.update.as_ref().map(|u| &u.table_name))
                .or(a.delete.as_ref().map(|d| &d.table_name))
                .or(a.condition_check.as_ref().map(|c| &c.table_name))
        }))
    }
}

/// A PartiQL request's table is inside its statement text: parsing it again for a label
/// would double the work, and a bad statement has none; the label says how many.
macro_rules! statement_label {
    ($($t:ty => $label:expr),* $(,)?) => {$(
        impl TableLabel for $t {
            fn table_label(&self) -> String {
                $label.to_string()
            }
        }
    )*};
}

statement_label!(
    ExecuteStatementInput => NO_TABLE,
    BatchExecuteStatementInput => MANY_TABLES,
    ExecuteTransactionInput => MANY_TABLES,
);

impl TableLabel for TransactGetItemsInput {
    fn table_label(&self) -> String {
        transaction_label(self.transact_items.iter().map(|t| &t.get.table_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACKUP_ARN: &str =
        "arn:aws:dynamodb:us-east-1:000000000000:table/Music/backup/01700000000000-0000abcd";

    #[test]
    fn backup_arns_label_their_source_table() {
        let describe = DescribeBackupInput {
            backup_arn: BACKUP_ARN.to_string(),
        };
        assert_eq!(describe.table_label(), "Music");
        let delete = DeleteBackupInput {
            backup_arn: BACKUP_ARN.to_string(),
        };
        assert_eq!(delete.table_label(), "Music");
        for bad in [
            "",
            "Music",
            "arn:aws:dynamodb:us-east-1:0:stream/x",
            "arn:aws:dynamodb",
        ] {
            let input = DescribeBackupInput {
                backup_arn: bad.to_string(),
            };
            assert_eq!(input.table_label(), NO_TABLE, "{bad:?}");
        }
    }

    #[test]
    fn table_arns_label_the_table_name() {
        let input = CreateBackupInput {
            table_name: "arn:aws:dynamodb:us-east-1:000000000000:table/Music".to_string(),
            backup_name: "b".to_string(),
        };
        assert_eq!(input.table_label(), "Music");
        let input = DescribeContinuousBackupsInput {
            table_name: "Music".to_string(),
        };
        assert_eq!(input.table_label(), "Music");
        assert_eq!(ListBackupsInput::default().table_label(), NO_TABLE);
        let input = ListBackupsInput {
            table_name: Some("Games".to_string()),
            ..ListBackupsInput::default()
        };
        assert_eq!(input.table_label(), "Games");
    }

    #[test]
    fn exports_and_imports_label_their_table() {
        let arn =
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/export/01700000000000-0000abcd";
        let describe = DescribeExportInput {
            export_arn: arn.to_string(),
        };
        assert_eq!(describe.table_label(), "Music");
        let describe = DescribeImportInput {
            import_arn: arn.replace("export", "import"),
        };
        assert_eq!(describe.table_label(), "Music");
        let export = ExportTableToPointInTimeInput {
            table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Music".to_string(),
            ..ExportTableToPointInTimeInput::default()
        };
        assert_eq!(export.table_label(), "Music");
        assert_eq!(ListExportsInput::default().table_label(), NO_TABLE);
        assert_eq!(ListImportsInput::default().table_label(), NO_TABLE);
        let import = ImportTableInput {
            table_creation_parameters: TableCreationParameters {
                table_name: "Imported".to_string(),
                ..TableCreationParameters::default()
            },
            ..ImportTableInput::default()
        };
        assert_eq!(import.table_label(), "Imported");
    }

    #[test]
    fn tag_operations_label_the_arn_table() {
        let input = TagResourceInput {
            resource_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Music".to_string(),
            ..TagResourceInput::default()
        };
        assert_eq!(input.table_label(), "Music");
        let input = ListTagsOfResourceInput {
            resource_arn: "Music".to_string(),
            next_token: None,
        };
        assert_eq!(input.table_label(), NO_TABLE);
    }

    #[test]
    fn restores_label_their_target() {
        let input = RestoreTableToPointInTimeInput {
            source_table_name: Some("Music".to_string()),
            target_table_name: "MusicRestored".to_string(),
            ..RestoreTableToPointInTimeInput::default()
        };
        assert_eq!(input.table_label(), "MusicRestored");
        let input = RestoreTableFromBackupInput {
            target_table_name: "FromBackup".to_string(),
            backup_arn: BACKUP_ARN.to_string(),
            ..RestoreTableFromBackupInput::default()
        };
        assert_eq!(input.table_label(), "FromBackup");
    }
}
