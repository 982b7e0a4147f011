//! `table:shale` and `table:memory`: Shale's DynamoDB table layer through its embedded API
//! (`shale_engine::table::Database`, typed request structs, no JSON or HTTP on the path).
//!
//! Same mapping as YCSB's DynamoDB binding (and the `http` target): the table
//! `usertable` with hash key `YCSB_KEY` (S), ten S attributes `field0..field9`.
//! read = GetItem (ConsistentRead), insert = PutItem of the full item, update =
//! UpdateItem `SET #f = :v` of one field, scan = Scan with `ExclusiveStartKey` = the start
//! key and `Limit` = the remaining count, following `LastEvaluatedKey`. A Query cannot
//! serve a YCSB scan (it needs one partition key); a Scan from an exclusive start key is
//! what YCSB's DynamoDB binding issues, so table and HTTP figures are comparable with it.
//! Note that a Scan walks the table's hash order, not key order.

use std::collections::BTreeMap;
use std::sync::Arc;

use shale_engine::table::{
    CreateTableInput, Database, DatabaseOptions, DeleteItemInput, Error as TableError,
    GetItemInput, PutItemInput, ScanInput, UpdateItemInput,
};
use shale_engine::types::{AttributeValue, Item};
use shale_engine::Backend;

use super::http::{requests, KEY_ATTRIBUTE, TABLE_NAME};
use super::{Target, TargetError, FIELD_COUNT};

/// Scan pages followed for one YCSB scan (see the HTTP target).
const MAX_SCAN_PAGES: usize = 100;

/// Key of the item [`TableTarget::open`] uses to probe UpdateItem, deleted afterwards.
const PROBE_KEY: &str = "shale-bench-probe";

/// How an update reaches the table layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UpdatePath {
    /// UpdateItem `SET #f = :v` (what YCSB's DynamoDB binding sends).
    UpdateItem,
    /// GetItem, then PutItem of the whole item with the field replaced: the fallback when
    /// this build's table layer rejects update expressions. Reported in the durability
    /// note so no figure is mistaken for UpdateItem's.
    GetThenPut,
}

/// YCSB over `shale_engine::table::Database`.
pub struct TableTarget {
    db: Database,
    /// The backend under `db`, for [`Target::make_durable`].
    backend: Arc<dyn Backend>,
    note: String,
    update_path: UpdatePath,
}

fn table_err(e: TableError) -> TargetError {
    let exception = e.exception_name();
    if exception == "ProvisionedThroughputExceededException" || exception == "ThrottlingException" {
        return TargetError::Throttled {
            exception: exception.to_string(),
        };
    }
    TargetError::Table {
        exception,
        message: e.message(),
    }
}

fn key_of(key: &str) -> Item {
    BTreeMap::from([(
        KEY_ATTRIBUTE.to_string(),
        AttributeValue::S(key.to_string()),
    )])
}

fn s(bytes: &[u8]) -> AttributeValue {
    AttributeValue::S(String::from_utf8_lossy(bytes).into_owned())
}

impl TableTarget {
    /// Opens the table layer on `backend` and creates the YCSB table. `backend_note` says
    /// how the backend was opened (its durability), for the report.
    ///
    /// # Errors
    /// The table layer's open or CreateTable failure.
    pub fn open(backend: Arc<dyn Backend>, backend_note: &str) -> Result<Self, TargetError> {
        let note = format!("table layer on {}: {backend_note}", backend.name());
        let db =
            Database::open(Arc::clone(&backend), DatabaseOptions::default()).map_err(table_err)?;
        // The same CreateTable the HTTP target sends, deserialized into the typed input.
        let create: CreateTableInput =
            serde_json::from_value(requests::create_table()).map_err(|_| {
                TargetError::BadResponse {
                    url: "embedded".to_string(),
                    reason: "CreateTable request does not match the table layer's shape",
                }
            })?;
        match db.create_table(create) {
            // Reopened on existing files (a load in another durability): reuse the table.
            Err(TableError::ResourceInUse { .. }) => {}
            other => {
                other.map_err(table_err)?;
            }
        }
        let mut t = TableTarget {
            db,
            backend,
            note,
            update_path: UpdatePath::UpdateItem,
        };
        let probe_fields: Vec<Vec<u8>> = (0..FIELD_COUNT).map(|_| b"probe".to_vec()).collect();
        t.insert(PROBE_KEY, &probe_fields)?;
        if t.update_item(PROBE_KEY, 0, b"probed").is_err() {
            t.update_path = UpdatePath::GetThenPut;
            t.note
                .push_str("; update = GetItem + PutItem (UpdateItem expressions unavailable)");
        }
        t.db.delete_item(DeleteItemInput {
            table_name: TABLE_NAME.to_string(),
            key: key_of(PROBE_KEY),
            ..Default::default()
        })
        .map_err(table_err)?;
        Ok(t)
    }

    fn get(&self, key: &str) -> Result<Item, TargetError> {
        let out = self
            .db
            .get_item(GetItemInput {
                table_name: TABLE_NAME.to_string(),
                key: key_of(key),
                consistent_read: Some(true),
                ..Default::default()
            })
            .map_err(table_err)?;
        let item = out.item.ok_or_else(|| TargetError::NotFound {
            key: key.to_string(),
        })?;
        if item.len() != FIELD_COUNT + 1 {
            return Err(TargetError::CorruptRecord {
                key: key.to_string(),
                reason: "item does not have the key and 10 fields",
            });
        }
        Ok(item)
    }

    fn put(&self, item: Item) -> Result<(), TargetError> {
        self.db
            .put_item(PutItemInput {
                table_name: TABLE_NAME.to_string(),
                item,
                ..Default::default()
            })
            .map_err(table_err)?;
        Ok(())
    }

    fn update_item(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        self.db
            .update_item(UpdateItemInput {
                table_name: TABLE_NAME.to_string(),
                key: key_of(key),
                update_expression: Some("SET #f = :v".to_string()),
                expression_attribute_names: Some(BTreeMap::from([(
                    "#f".to_string(),
                    requests::field_name(field),
                )])),
                expression_attribute_values: Some(BTreeMap::from([(":v".to_string(), s(value))])),
                ..Default::default()
            })
            .map_err(table_err)?;
        Ok(())
    }
}

impl Target for TableTarget {
    fn insert(&self, key: &str, fields: &[Vec<u8>]) -> Result<(), TargetError> {
        let mut item = key_of(key);
        for (i, f) in fields.iter().enumerate() {
            item.insert(requests::field_name(i), s(f));
        }
        self.put(item)
    }

    fn read(&self, key: &str) -> Result<(), TargetError> {
        self.get(key).map(|_| ())
    }

    fn update(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        match self.update_path {
            UpdatePath::UpdateItem => self.update_item(key, field, value),
            UpdatePath::GetThenPut => {
                let mut item = self.get(key)?;
                item.insert(requests::field_name(field), s(value));
                self.put(item)
            }
        }
    }

    fn scan(&self, start: &str, count: usize) -> Result<usize, TargetError> {
        let mut read = 0usize;
        let mut exclusive_start = key_of(start);
        for _ in 0..MAX_SCAN_PAGES {
            if read >= count {
                break;
            }
            let out = self
                .db
                .scan(ScanInput {
                    table_name: TABLE_NAME.to_string(),
                    exclusive_start_key: Some(exclusive_start),
                    limit: Some((count - read) as i64),
                    ..Default::default()
                })
                .map_err(table_err)?;
            read += usize::try_from(out.count).unwrap_or(0);
            match out.last_evaluated_key {
                Some(k) => exclusive_start = k,
                None => break,
            }
        }
        Ok(read)
    }

    fn durability_note(&self) -> String {
        self.note.clone()
    }

    /// `Backend::sync` of the backend under the table layer (the table layer keeps no
    /// writes of its own outside it).
    fn make_durable(&self) -> Result<(), TargetError> {
        Ok(self.backend.sync()?)
    }
}
