//! DynamoDB's table layer: tables, items, queries, scans, batches and secondary indexes
//! on any [`shale_engine::Backend`].
//!
//! ```
//! use std::sync::Arc;
//! use shale_table::*;
//! use shale_table::types::AttributeValue;
//! use shale_engine::MemBackend;
//!
//! let db = Database::open(Arc::new(MemBackend::new()), DatabaseOptions::default()).unwrap();
//! db.create_table(CreateTableInput {
//!     table_name: "Users".into(),
//!     attribute_definitions: vec![AttributeDefinition {
//!         attribute_name: "UserId".into(),
//!         attribute_type: ScalarAttributeType::S,
//!     }],
//!     key_schema: vec![KeySchemaElement {
//!         attribute_name: "UserId".into(),
//!         key_type: KeyType::Hash,
//!     }],
//!     billing_mode: Some(BillingMode::PayPerRequest),
//!     ..Default::default()
//! })
//! .unwrap();
//! let item: shale_table::types::Item =
//!     [("UserId".to_string(), AttributeValue::S("123".into()))].into();
//! db.put_item(PutItemInput { table_name: "Users".into(), item: item.clone(), ..Default::default() })
//!     .unwrap();
//! let got = db
//!     .get_item(GetItemInput { table_name: "Users".into(), key: item.clone(), ..Default::default() })
//!     .unwrap();
//! assert_eq!(got.item, Some(item));
//! ```
//!
//! The modules follow a request's path:
//! - [`shapes`]: request/response structs with DynamoDB's JSON names (the HTTP server
//!   deserializes bodies straight into them);
//! - [`database`]: [`Database`] (the handle: open, wait for indexes, the control-plane
//!   API) and its options (`options`);
//! - [`catalog`]: table definitions, their validation and durable records;
//! - `core`: the shared state every operation takes (`Core`), and the lock order;
//! - `control`: the control plane's catalog changes, one function per action;
//! - `items`: Put/Get/Update/DeleteItem;
//! - `read`: Query and Scan paging;
//! - `batch`: BatchGetItem and BatchWriteItem;
//! - `transact`: TransactWriteItems (one call of the write path for all its items) and
//!   TransactGetItems (one snapshot), with `txn_claims` (the conflict detector) and
//!   `client_tokens` (ClientRequestToken idempotency); see `docs/transactions.md`;
//! - [`partiql`]: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction, parsed
//!   into [`expr`]'s AST; see `docs/partiql.md`;
//! - `ttl`: UpdateTimeToLive / DescribeTimeToLive;
//! - `write`: **the one write path** every item write goes through, with its derived-
//!   write hooks (LSI entries, item-collection sizes, capacity admission, the GSI queue);
//! - `item_locks`: the per-key item locks, taken in sorted order;
//! - `stored`: items as stored in the base table;
//! - `secondary_index`: index entries (LSI synchronous, GSI via the queue);
//! - `gsi_queue`: the GSI maintenance queue's record format and sequence numbers;
//! - `worker`: the background thread (GSI queue drain, backfills, drops, TTL sweep) and
//!   its `signal`;
//! - `keys`: the internal key layout (see `docs/table-layer.md`);
//! - `exprs`: the seam to [`crate::expr`];
//! - [`capacity`]: ConsumedCapacity by DynamoDB's rules, and its admission: per-partition
//!   token buckets, burst, throttling, the adaptive policy and the partition view (see
//!   `docs/capacity.md`);
//! - [`error`]: [`Error`], one variant per DynamoDB exception.
//!
//! It is not:
//! - an HTTP server (that is `shale-server`);
//! - a complete capacity model: partitions never split, on-demand tables do not scale,
//!   and there is no auto scaling (`docs/capacity.md` lists what is missing);
//! - complete: streams are not implemented (the server answers them "not
//!   implemented"), and PartiQL is DynamoDB's subset less ORDER BY and aggregates.

pub mod expr;
pub mod types;

pub mod capacity;
pub mod catalog;
pub mod database;
pub mod error;
pub mod partiql;
pub mod shapes;

mod backup;
mod backup_records;
mod batch;
mod capacity_records;
mod catalog_record;
mod client_tokens;
mod control;
mod core;
mod export_records;
mod exprs;
mod gsi_queue;
mod hex;
mod item_collections;
#[doc(hidden)]
pub mod item_locks;
mod items;
mod keys;
mod legacy;
mod options;
mod pitr_retention;
mod read;
mod resource_policies;
mod restore;
mod restore_jobs;
mod restore_plan;
mod secondary_index;
mod signal;
mod stored;
pub mod streams;
mod table_stats;
mod tag_records;
mod tags;
mod transact;
mod ttl;
#[doc(hidden)]
pub mod txn_claims;
mod utc_text;
mod worker;
mod write;

pub use backup::backups::MAX_LIST_BACKUPS_LIMIT;
pub use backup::export::{EXPORT_FILES_MAX, EXPORT_FILE_BYTES_MAX, EXPORT_FILE_ITEMS_MAX};
pub use backup::import::{
    CSV_COLUMNS_MAX, IMPORT_LINE_BYTES_MAX, IMPORT_LIST_ENTRIES_MAX, MAX_IMPORT_FILES,
};
pub use backup::pitr::{
    DEFAULT_RECOVERY_PERIOD_DAYS, MAX_RECOVERY_PERIOD_DAYS, MIN_RECOVERY_PERIOD_DAYS,
};
pub use database::{Database, DatabaseOptions, DEFAULT_ITEM_COLLECTION_LIMIT_BYTES};
pub use error::{
    AutoScalingProblem, BackupValidation, CancellationReason, CapacityOperation, CatalogCorruption,
    Error, InUseReason, IndexUpdateError, KeySchemaError, PolicyProblem, ProjectionError,
    ResourceKind, SegmentError, SelectError, StartKeyProblem, StreamValidation, TagValidation,
    ThrottleLimit, ThroughputError, ValidationError,
};
pub use shapes::*;
pub use tags::{TAGS_PER_RESOURCE_MAX, TAG_KEY_CHARS_MAX, TAG_VALUE_CHARS_MAX};
