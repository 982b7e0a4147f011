//! [`Database`]: the handle. Opening (shared state, then the background worker), waiting
//! for index work, and the control-plane API (CreateTable, DescribeTable, ListTables,
//! UpdateTable, DeleteTable), whose catalog changes live in `crate::control`.
//!
//! The other operations are `impl Database` blocks in the modules of their concept:
//! `crate::items` (Put/Get/Update/DeleteItem), `crate::read` (Query, Scan),
//! `crate::batch` (BatchGetItem, BatchWriteItem), `crate::transact` (TransactWriteItems,
//! TransactGetItems), `crate::ttl` (time to live). Locks and
//! their order are documented in `crate::core`.

use std::ops::Bound;
use std::sync::Arc;

use crate::control;
use crate::core::Core;
use crate::error::Error;
use crate::shapes::{
    CreateTableInput, CreateTableOutput, DeleteTableInput, DeleteTableOutput, DescribeTableInput,
    DescribeTableOutput, ListTablesInput, ListTablesOutput, UpdateTableInput, UpdateTableOutput,
};
use crate::worker::{self, Worker};
use crate::{pitr_retention as retention, restore};
use shale_engine::Backend;

pub use crate::control::MAX_TABLES;
pub use crate::options::{
    DatabaseOptions, DEFAULT_ITEM_COLLECTION_LIMIT_BYTES, DEFAULT_LOCK_STRIPES,
};

/// Most table names per ListTables page.
pub const MAX_LIST_TABLES_LIMIT: i64 = crate::catalog::MAX_PAGE_LIMIT;
/// Rounds of index work [`Database::wait_for_indexes`] runs before giving up (each round
/// applies up to 64 × 256 queue records).
pub const MAX_WAIT_FOR_INDEXES_ROUNDS: usize = 100_000;

/// A DynamoDB-compatible database over a [`Backend`]. `Send + Sync`: share it with `Arc`.
///
/// Dropping it stops the background GSI worker (pending maintenance records stay in the
/// backend and are applied after the next open).
#[derive(Debug)]
pub struct Database {
    // Only dropped (which stops and joins the thread); declared first so that happens
    // before this handle releases the shared state.
    _worker: Option<Worker>,
    pub(crate) core: Arc<Core>,
}

impl Database {
    /// Opens the database stored in `backend`: loads the catalog, resumes pending GSI
    /// backfills and drops, and starts the background GSI worker.
    ///
    /// # Errors
    /// Storage failure, or a corrupt catalog record.
    pub fn open(backend: Arc<dyn Backend>, opts: DatabaseOptions) -> Result<Database, Error> {
        for policy in opts.capacity.auto_scaling.values() {
            policy.validate()?;
        }
        let core = Arc::new(Core::open(backend, opts)?);
        // The backend does not remember its history retention: set it from the tables'
        // PITR settings before any write can go unrecorded; then resume restores.
        retention::sync_retention(&core)?;
        restore::recover(&core)?;
        restore::recover_imports(&core)?;
        let worker = if core.opts.background_index_worker {
            Some(Worker::start(&core)?)
        } else {
            None
        };
        Ok(Database {
            _worker: worker,
            core,
        })
    }

    /// Scales the table named `table` with `policy` from now on (`None`: stops). The
    /// policy is configuration, not table data: it is kept by name, applies to whatever
    /// table has that name, and is not persisted (like Application Auto Scaling's, it is
    /// not part of a backup or restore). See `capacity::auto_scaling`.
    ///
    /// # Errors
    /// ValidationException for a policy outside the limits (target 20–90 %,
    /// `1 <= min <= max`).
    pub fn set_auto_scaling(
        &self,
        table: &str,
        policy: Option<crate::capacity::AutoScaling>,
    ) -> Result<(), Error> {
        if let Some(p) = &policy {
            p.validate()?;
        }
        self.core.auto_scaler.lock().set(table, policy);
        Ok(())
    }

    /// The auto scaling policy of the table named `table`, if any.
    pub fn auto_scaling(&self, table: &str) -> Option<crate::capacity::AutoScaling> {
        self.core.auto_scaler.lock().policy(table)
    }

    /// Evaluates auto scaling now: takes each scaled table's datapoints up to the clock's
    /// time and applies what target tracking decides, through UpdateTable. The
    /// background worker does this every round; tests call it after moving a manual
    /// clock. Returns the changes made.
    ///
    /// # Errors
    /// Storage failure while applying a change.
    pub fn run_auto_scaling(&self) -> Result<Vec<crate::capacity::ScalingActivity>, Error> {
        crate::worker::auto_scaling::run(&self.core)
    }

    /// Splits hot partitions now: closes every split window that is a minute old and
    /// splits the partitions the split policy picks (`capacity::split`), and splits by
    /// size. A table whose growth since its last ItemCount may need more partitions is
    /// counted again first, here and now (a walk of the table; the worker queues it
    /// instead). The background worker does this every round; tests call it after
    /// moving a manual clock. Returns the splits made.
    pub fn run_capacity_splits(&self) -> Vec<crate::capacity::PartitionSplit> {
        self.core.split_partitions(crate::core::Recount::Now)
    }

    /// Turns capacity enforcement on or off from now on (it starts as
    /// `CapacityOptions::enforcement` says). While off, nothing is throttled or charged
    /// and the buckets go on refilling; consumed capacity is still reported. The
    /// admission-overhead benchmark switches one database back and forth, so that both
    /// sides of its comparison share every byte of state.
    pub fn set_capacity_enforcement(&self, on: bool) {
        self.core.admission.set_enforcing(on);
    }

    /// Saves every table's admission state now: its partitions (splits included), its
    /// on-demand peaks and its buckets' balances (`docs/capacity.md`, "Saved state"). A
    /// reopened database starts each table from its last save, with the balances
    /// refilled over the time it was closed. The background worker saves every minute;
    /// call this before dropping the database to keep the latest balances (the server
    /// does at shutdown). Returns how many tables were saved.
    ///
    /// # Errors
    /// Storage failure (then nothing was saved).
    pub fn save_capacity(&self) -> Result<usize, Error> {
        self.core.save_capacity()
    }

    /// The latest changes auto scaling made (at most 256), oldest first.
    pub fn auto_scaling_activities(&self) -> Vec<crate::capacity::ScalingActivity> {
        self.core.auto_scaler.lock().activities()
    }

    /// The backend this database stores into.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.core.backend
    }

    /// Applies every pending GSI maintenance record, finishes GSI backfills and removes
    /// dropped tables' data, then returns. After it, GSI reads reflect every write
    /// acknowledged before the call.
    ///
    /// Writers racing with the call can keep adding work; after
    /// [`MAX_WAIT_FOR_INDEXES_ROUNDS`] rounds it gives up with `LimitExceeded` rather than
    /// spin forever.
    ///
    /// # Errors
    /// Storage failure, or `LimitExceeded` when the work never ran out.
    pub fn wait_for_indexes(&self) -> Result<(), Error> {
        for _ in 0..MAX_WAIT_FOR_INDEXES_ROUNDS {
            if !worker::run_index_work(&self.core, worker::index::WORK_STEPS_PER_ROUND)? {
                return Ok(());
            }
        }
        Err(Error::LimitExceeded {
            what: "wait_for_indexes rounds",
            limit: MAX_WAIT_FOR_INDEXES_ROUNDS as u64,
        })
    }

    /// How many item writes so far had to wait for an item (or LSI partition) another
    /// write held: writes of different items never wait for each other, so this counts
    /// real contention only. For benchmarks and tests.
    #[doc(hidden)]
    pub fn item_lock_waits(&self) -> u64 {
        self.core.item_locks.waits()
    }

    /// Runs one step of every restore in progress (at most
    /// `RESTORE_ITEMS_PER_STEP` items each) and says whether any is still running. For
    /// tests that stop a restore half-way (a crash between steps).
    ///
    /// # Errors
    /// Storage failure.
    #[doc(hidden)]
    pub fn step_restores(&self) -> Result<bool, Error> {
        restore::run_restores(&self.core)
    }

    /// Runs the restores in progress to completion in the foreground (deterministic
    /// tests, or a caller that wants a restored table ACTIVE before it goes on).
    ///
    /// # Errors
    /// Storage failure; LimitExceeded after [`MAX_WAIT_FOR_INDEXES_ROUNDS`] steps.
    pub fn wait_for_restores(&self) -> Result<(), Error> {
        for _ in 0..MAX_WAIT_FOR_INDEXES_ROUNDS {
            if !restore::run_restores(&self.core)? {
                return Ok(());
            }
        }
        Err(Error::LimitExceeded {
            what: "wait_for_restores rounds",
            limit: MAX_WAIT_FOR_INDEXES_ROUNDS as u64,
        })
    }

    /// CreateTable.
    ///
    /// # Errors
    /// ValidationException for a bad definition, ResourceInUse if the name exists,
    /// LimitExceeded over [`MAX_TABLES`], storage failure.
    pub fn create_table(&self, input: CreateTableInput) -> Result<CreateTableOutput, Error> {
        control::create_table(&self.core, input)
    }

    /// DescribeTable.
    ///
    /// # Errors
    /// ResourceNotFound.
    pub fn describe_table(&self, input: DescribeTableInput) -> Result<DescribeTableOutput, Error> {
        crate::catalog::validate_table_operation_name(&input.table_name)?;
        let def = self.core.table_named(&input.table_name)?;
        let mut table = def.describe(&self.core.opts.region, self.core.opts.clock.now_micros());
        table.restore_summary = restore::summary(&self.core, &def.name);
        table.warm_throughput = Some(self.warm_throughput(&def.name));
        self.fill_counts(&def, &mut table);
        Ok(DescribeTableOutput { table })
    }

    /// Counts `table`'s items and sizes (and its indexes') now, rather than at the next
    /// background pass (`DatabaseOptions::table_stats_interval`); DescribeTable then
    /// shows them. For tools and tests: a full scan of the table and its indexes.
    ///
    /// # Errors
    /// ResourceNotFound; storage failure; a corrupt stored item.
    pub fn refresh_table_stats(&self, table: &str) -> Result<(), Error> {
        let def = self.core.table_named(table)?;
        crate::table_stats::count_now(&self.core, &def.all_ids())
    }

    /// ItemCount, TableSizeBytes and each index's ItemCount and IndexSizeBytes, as the
    /// last count found them (`crate::table_stats`).
    fn fill_counts(
        &self,
        def: &crate::catalog::TableDef,
        table: &mut crate::shapes::TableDescription,
    ) {
        let stats = self.core.table_stats.lock();
        let counted = stats.of(def.id);
        table.item_count = counted.items;
        table.table_size_bytes = counted.bytes;
        for g in table.global_secondary_indexes.iter_mut().flatten() {
            if let Some(i) = def.gsis.iter().find(|i| i.name == g.index_name) {
                let c = stats.of(i.id);
                g.item_count = c.items;
                g.index_size_bytes = c.bytes;
            }
        }
        for l in table.local_secondary_indexes.iter_mut().flatten() {
            if let Some(i) = def.lsis.iter().find(|i| i.name == l.index_name) {
                let c = stats.of(i.id);
                l.item_count = c.items;
                l.index_size_bytes = c.bytes;
            }
        }
    }

    /// WarmThroughput: what the table's partitions serve at once, by capacity admission's
    /// partition model (each partition serves `CapacityOptions::partition_read_units_max`
    /// and `partition_write_units_max`: DynamoDB's 3,000 and 1,000) times the table's
    /// partitions. (DynamoDB documents 12,000 / 4,000 for a new on-demand table; Shale's
    /// figure follows its own partition count, `docs/capacity.md`.)
    fn warm_throughput(&self, table: &str) -> crate::shapes::WarmThroughputDescription {
        let opts = self.core.admission.options();
        let partitions = self
            .capacity_view(table)
            .ok()
            .and_then(|v| {
                v.resources
                    .iter()
                    .find(|r| r.index_name.is_none())
                    .map(|r| r.partitions.len())
            })
            .unwrap_or(1)
            .max(1) as i64;
        crate::shapes::WarmThroughputDescription {
            read_units_per_second: partitions
                .saturating_mul(i64::try_from(opts.partition_read_units_max).unwrap_or(i64::MAX)),
            write_units_per_second: partitions
                .saturating_mul(i64::try_from(opts.partition_write_units_max).unwrap_or(i64::MAX)),
            status: "ACTIVE".to_owned(),
        }
    }

    /// ListTables, in name order, paged.
    ///
    /// # Errors
    /// ValidationException for a Limit outside 1–100.
    pub fn list_tables(&self, input: ListTablesInput) -> Result<ListTablesOutput, Error> {
        let limit = crate::catalog::page_limit(input.limit)?;
        let cat = self.core.catalog.read();
        let start = match &input.exclusive_start_table_name {
            Some(s) => Bound::Excluded(s.clone()),
            None => Bound::Unbounded,
        };
        let mut names: Vec<String> = cat
            .tables
            .range::<String, _>((start, Bound::Unbounded))
            .take(limit + 1)
            .map(|(n, _)| n.clone())
            .collect();
        let more = names.len() > limit;
        names.truncate(limit);
        Ok(ListTablesOutput {
            last_evaluated_table_name: if more { names.last().cloned() } else { None },
            table_names: names,
        })
    }

    /// UpdateTable: billing mode, throughput, one GSI create/update/delete, stream
    /// specification, deletion protection. A created GSI backfills in the background
    /// (index CREATING, table UPDATING) and becomes ACTIVE when done.
    ///
    /// # Errors
    /// ResourceNotFound, ResourceInUse when the table is not ACTIVE, ValidationException.
    pub fn update_table(&self, input: UpdateTableInput) -> Result<UpdateTableOutput, Error> {
        control::update_table(&self.core, input)
    }

    /// DeleteTable. The table disappears at once (a later DescribeTable is
    /// ResourceNotFound); its data is removed in the background.
    ///
    /// # Errors
    /// ResourceNotFound, ResourceInUse when not ACTIVE, ValidationException when
    /// deletion protection is on.
    pub fn delete_table(&self, input: DeleteTableInput) -> Result<DeleteTableOutput, Error> {
        control::delete_table(&self.core, input)
    }
}
