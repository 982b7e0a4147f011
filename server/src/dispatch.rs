//! From a request body to a response body, for each implemented operation.
//!
//! The engine's request and response structs *are* DynamoDB's wire shapes (they derive
//! serde with DynamoDB's member names), so each operation is: decode the body into the
//! input struct, call the matching [`Database`] method, encode the output struct.
//!
//! [`execute`] runs where [`crate::http::runs_inline`] decides: on the event-loop thread
//! for small single-item calls (a body of at most [`crate::http::MAX_INLINE_BODY_BYTES`]),
//! else on tokio's blocking pool, so the JSON work on large bodies and every engine call
//! that may block for long (a WAL sync, a query, a scan, a batch) stay off the event loop.

use serde::de::DeserializeOwned;
use serde::Serialize;
use shale_table::{self as table, shapes::*, Database};

use crate::api_error::ApiError;
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

/// Runs `op` on `body`. May block (disk reads, WAL syncs): call it from a blocking thread
/// unless [`crate::http::runs_inline`] allows the event loop.
pub fn execute(db: &Database, op: Operation, body: &[u8]) -> Outcome {
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
            return Outcome {
                table: NO_TABLE.to_string(),
                result: Err(ApiError::from_json(&e, body)),
            }
        }
    };
    let table = input.table_label();
    let result = call(input).map_err(ApiError::from).and_then(|output| {
        serde_json::to_vec(&output).map_err(|e| ApiError::ResponseEncoding {
            operation: op.name(),
            detail: e.to_string(),
        })
    });
    Outcome { table, result }
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
