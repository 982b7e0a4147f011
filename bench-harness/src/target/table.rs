//! `table:shale` and `table:memory`: Shale's DynamoDB table layer through its embedded API
//! (`shale_table::Database`, typed request structs, no JSON or HTTP on the path).
//!
//! The requests are built by [`requests`], the same ones the `http` target serialises, so
//! table and HTTP figures measure the same operations (YCSB's DynamoDB binding's mapping;
//! see that module). Note that a Scan walks the table's hash order, not key order.

use std::sync::Arc;

use shale_engine::Backend;
use shale_table::types::Item;
use shale_table::{Database, DatabaseOptions, Error as TableError};

use super::requests;
use super::{Target, TargetError, FIELD_COUNT};

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

/// YCSB over `shale_table::Database`.
pub struct TableTarget {
    db: Database,
    /// The backend under `db`, for [`Target::make_durable`].
    backend: Arc<dyn Backend>,
    note: String,
    update_path: UpdatePath,
}

/// The table layer's options for the harness's tables: DynamoDB's defaults, except that
/// an on-demand table is not held to twice its previous peak. The harness measures
/// storage, and a YCSB load of hundreds of thousands of writes a second would otherwise
/// measure on-demand scaling (4,000 WRU per second for a new table). Capacity admission
/// itself stays on, so its cost is in every figure as before.
pub(crate) fn harness_options() -> DatabaseOptions {
    DatabaseOptions::default().with_capacity(
        shale_table::capacity::CapacityOptions::default().with_on_demand_scaling(false),
    )
}

pub(crate) fn table_err(e: TableError) -> TargetError {
    let exception = e.exception_name();
    if requests::is_throttle_exception(exception) {
        return TargetError::Throttled {
            exception: exception.to_string(),
        };
    }
    TargetError::Table {
        exception,
        message: e.message(),
    }
}

impl TableTarget {
    /// Opens the table layer on `backend` and creates the YCSB table. `backend_note` says
    /// how the backend was opened (its durability), for the report.
    ///
    /// # Errors
    /// The table layer's open or CreateTable failure.
    pub fn open(backend: Arc<dyn Backend>, backend_note: &str) -> Result<Self, TargetError> {
        let note = format!("table layer on {}: {backend_note}", backend.name());
        let db = Database::open(Arc::clone(&backend), harness_options()).map_err(table_err)?;
        match db.create_table(requests::create_table()) {
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
        t.db.delete_item(requests::delete_item(PROBE_KEY))
            .map_err(table_err)?;
        Ok(t)
    }

    /// Turns point-in-time recovery on for the YCSB table (35-day window).
    ///
    /// # Errors
    /// The table layer's refusal.
    pub fn enable_pitr(&mut self) -> Result<(), TargetError> {
        self.db
            .update_continuous_backups(shale_table::UpdateContinuousBackupsInput {
                table_name: requests::TABLE_NAME.to_string(),
                point_in_time_recovery_specification: Some(
                    shale_table::PointInTimeRecoverySpecification {
                        point_in_time_recovery_enabled: Some(true),
                        recovery_period_in_days: None,
                    },
                ),
            })
            .map_err(table_err)?;
        self.note.push_str("; point-in-time recovery on");
        Ok(())
    }

    /// Turns a NEW_AND_OLD_IMAGES stream on for the YCSB table (kept if a reopened
    /// table has one already).
    ///
    /// # Errors
    /// The table layer's refusal.
    pub fn enable_stream(&mut self) -> Result<(), TargetError> {
        let r = self.db.update_table(shale_table::UpdateTableInput {
            table_name: requests::TABLE_NAME.to_string(),
            stream_specification: Some(shale_table::StreamSpecification {
                stream_enabled: true,
                stream_view_type: Some(shale_table::StreamViewType::NewAndOldImages),
            }),
            ..Default::default()
        });
        match r {
            Ok(_) => {}
            Err(shale_table::Error::Validation(shale_table::ValidationError::Stream(
                shale_table::StreamValidation::AlreadyEnabled { .. },
            ))) => {}
            Err(e) => return Err(table_err(e)),
        }
        self.note.push_str("; NEW_AND_OLD_IMAGES stream on");
        Ok(())
    }

    fn get(&self, key: &str) -> Result<Item, TargetError> {
        let out = self
            .db
            .get_item(requests::get_item(key))
            .map_err(table_err)?;
        requests::check_record(key, out.item)
    }

    fn put(&self, item: Item) -> Result<(), TargetError> {
        self.db
            .put_item(requests::put_whole_item(item))
            .map_err(table_err)?;
        Ok(())
    }

    fn update_item(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        self.db
            .update_item(requests::update_item(key, field, value))
            .map_err(table_err)?;
        Ok(())
    }
}

impl Target for TableTarget {
    fn insert(&self, key: &str, fields: &[Vec<u8>]) -> Result<(), TargetError> {
        self.put(requests::item(key, fields))
    }

    fn read(&self, key: &str) -> Result<(), TargetError> {
        self.get(key).map(|_| ())
    }

    fn update(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        match self.update_path {
            UpdatePath::UpdateItem => self.update_item(key, field, value),
            UpdatePath::GetThenPut => {
                let mut item = self.get(key)?;
                item.insert(requests::field_name(field), requests::s(value));
                self.put(item)
            }
        }
    }

    fn scan(&self, start: &str, count: usize) -> Result<usize, TargetError> {
        requests::scan_records(start, count, |input| self.db.scan(input).map_err(table_err))
    }

    fn durability_note(&self) -> String {
        self.note.clone()
    }

    /// `Backend::sync` of the backend under the table layer (the table layer keeps no
    /// writes of its own outside it).
    fn make_durable(&self) -> Result<(), TargetError> {
        Ok(self.backend.sync()?)
    }
    fn engine_stats(&self) -> Option<shale_engine::BackendStats> {
        super::backend_kv::lsm_stats(self.backend.as_ref())
    }
}
