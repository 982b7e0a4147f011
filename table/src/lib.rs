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
//! - [`database`]: [`Database`], its options, and the control plane;
//! - [`catalog`]: table definitions, their validation and durable records;
//! - `keys`: the internal key layout (see `docs/table-layer.md`);
//! - `exprs`: the seam to [`crate::expr`];
//! - `items`: the per-item write path and Put/Get/Update/DeleteItem;
//! - `read`: Query and Scan paging;
//! - `batch`: BatchGetItem and BatchWriteItem;
//! - `secondary_index`: LSI (synchronous) and GSI (queued, asynchronous) maintenance;
//! - `ttl`: UpdateTimeToLive / DescribeTimeToLive and the expired-item sweeper;
//! - [`capacity`]: ConsumedCapacity by DynamoDB's rules;
//! - [`error`]: [`Error`], one variant per DynamoDB exception.
//!
//! It is not:
//! - an HTTP server (that is `shale-server`);
//! - a capacity enforcer: ConsumedCapacity is computed and reported, never throttled;
//! - complete: transactions, streams and backups return [`Error::NotImplemented`].

pub mod expr;
pub mod types;

pub mod capacity;
pub mod catalog;
pub mod database;
pub mod error;
pub mod shapes;

mod batch;
mod exprs;
mod items;
mod keys;
mod read;
mod secondary_index;
mod ttl;

pub use database::{Database, DatabaseOptions, DEFAULT_ITEM_COLLECTION_LIMIT_BYTES};
pub use error::{
    CancellationReason, CatalogCorruption, Error, InUseReason, IndexUpdateError, KeySchemaError,
    ProjectionError, ResourceKind, SegmentError, SelectError, StartKeyProblem, ThroughputError,
    ValidationError,
};
pub use shapes::*;
