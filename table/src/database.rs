//! [`Database`]: the handle, its options, opening (catalog load) and the control plane
//! (CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable).
//!
//! Concurrency: `catalog` is a read-write lock. Item writes hold it for reading from the
//! moment they read the table definition until their batch is committed, so a control-plane
//! change (which takes it for writing) never interleaves with a write that used the old
//! definition: a GSI added by UpdateTable sees every earlier write either in its backfill
//! snapshot or as a queued maintenance record. Lock order: `index_work` → `catalog` → item
//! stripe (the index worker publishes a finished backfill while holding `index_work`;
//! item writes never take `index_work`). Reads clone the `Arc<TableDef>` and drop the lock
//! at once.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::{Condvar, Mutex, RwLock};
use shale_io::clock::{Clock, SystemClock};

use crate::catalog::{
    self, check_definitions_used, check_index_limits, key_def, projection_def, throughput_for,
    validate_name, IndexDef, TableDef,
};
use crate::error::{Error, InUseReason, IndexUpdateError, ResourceKind, ValidationError};
use crate::keys::{id_prefix, prefix_bounds, FIRST_USER_ID, INDEX_QUEUE_ID};
use crate::secondary_index;
use crate::shapes::{
    BillingMode, CreateTableInput, CreateTableOutput, DeleteTableInput, DeleteTableOutput,
    DescribeTableInput, DescribeTableOutput, IndexStatus, ListTablesInput, ListTablesOutput,
    TableStatus, UpdateTableInput, UpdateTableOutput,
};
use shale_engine::{Backend, WriteBatch};

/// Default item-collection limit for tables with LSIs: 10 GB, as DynamoDB.
pub const DEFAULT_ITEM_COLLECTION_LIMIT_BYTES: u64 = 10 * 1024 * 1024 * 1024;
/// Most tables one database holds (DynamoDB's default account quota).
pub const MAX_TABLES: usize = 2500;
/// Most table names per ListTables page.
pub const MAX_LIST_TABLES_LIMIT: i64 = 100;
/// Rounds of index work [`Database::wait_for_indexes`] runs before giving up (each round
/// applies up to 64 × 256 queue records).
pub const MAX_WAIT_FOR_INDEXES_ROUNDS: usize = 100_000;
/// Lock stripes for per-item read-modify-write atomicity.
pub const DEFAULT_LOCK_STRIPES: usize = 1024;

/// How a [`Database`] behaves.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Source of CreationDateTime and other timestamps.
    pub clock: Arc<dyn Clock>,
    /// The region shown in ARNs.
    pub region: String,
    /// Item-collection limit for tables with LSIs (lower it in tests).
    pub item_collection_limit_bytes: u64,
    /// Run the GSI maintenance worker in a background thread. When false, GSIs are
    /// brought up to date only by [`Database::wait_for_indexes`] (deterministic tests).
    pub background_index_worker: bool,
    /// How often the background worker looks for work when not woken.
    pub index_worker_interval: Duration,
    /// Lock stripes for item read-modify-write.
    pub lock_stripes: usize,
    /// How often the background worker runs a TTL sweep round (each examines up to
    /// `TTL_ITEMS_PER_ROUND` items per TTL-enabled table and deletes the expired ones).
    pub ttl_sweep_interval: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        DatabaseOptions {
            clock: Arc::new(SystemClock),
            region: "us-east-1".to_owned(),
            item_collection_limit_bytes: DEFAULT_ITEM_COLLECTION_LIMIT_BYTES,
            background_index_worker: true,
            index_worker_interval: Duration::from_millis(20),
            lock_stripes: DEFAULT_LOCK_STRIPES,
            ttl_sweep_interval: Duration::from_secs(1),
        }
    }
}

/// The in-memory copy of the catalog.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) tables: BTreeMap<String, Arc<TableDef>>,
    pub(crate) next_id: u32,
}

/// Wakes the background worker and tells it to stop.
#[derive(Debug, Default)]
pub(crate) struct WorkerSignal {
    pub(crate) state: Mutex<WorkerState>,
    pub(crate) cond: Condvar,
}

#[derive(Debug, Default)]
pub(crate) struct WorkerState {
    pub(crate) pending: bool,
    pub(crate) shutdown: bool,
}

/// Everything the operations share. The background worker holds only a `Weak` to it.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) opts: DatabaseOptions,
    pub(crate) catalog: RwLock<Catalog>,
    pub(crate) stripes: Vec<Mutex<()>>,
    /// Next GSI maintenance queue sequence number.
    pub(crate) queue_seq: AtomicU64,
    /// Serialises GSI queue draining, backfills and drops, and holds their progress.
    pub(crate) index_work: Mutex<secondary_index::IndexWork>,
    /// The TTL sweeper's cursors.
    pub(crate) ttl_sweep: Mutex<crate::ttl::TtlSweep>,
    pub(crate) signal: WorkerSignal,
}

/// A DynamoDB-compatible database over a [`Backend`]. `Send + Sync`: share it with `Arc`.
///
/// Dropping it stops the background GSI worker (pending maintenance records stay in the
/// backend and are applied after the next open).
#[derive(Debug)]
pub struct Database {
    pub(crate) core: Arc<Core>,
    worker: Option<JoinHandle<()>>,
}

impl Drop for Database {
    fn drop(&mut self) {
        {
            let mut st = self.core.signal.state.lock();
            st.shutdown = true;
            self.core.signal.cond.notify_all();
        }
        if let Some(h) = self.worker.take() {
            // The worker finishes its current bounded step and exits; a panic in it has
            // already been reported by the panic hook and is not re-raised in drop.
            let _ = h.join();
        }
    }
}

fn worker_loop(core: Weak<Core>, interval: Duration) {
    let mut last_sweep = std::time::Instant::now();
    loop {
        let Some(c) = core.upgrade() else { return };
        {
            let mut st = c.signal.state.lock();
            if st.shutdown {
                return;
            }
            if !st.pending {
                c.signal.cond.wait_for(&mut st, interval);
            }
            if st.shutdown {
                return;
            }
            st.pending = false;
        }
        // Errors are retried on the next round; the queue is durable, nothing is lost.
        let _ = c.run_index_work(secondary_index::WORK_STEPS_PER_ROUND);
        if last_sweep.elapsed() >= c.opts.ttl_sweep_interval {
            last_sweep = std::time::Instant::now();
            // Likewise: an expired item missed now is found by a later round.
            let _ = c.sweep_round();
        }
        drop(c);
    }
}

impl Database {
    /// Opens the database stored in `backend`: loads the catalog, resumes pending GSI
    /// backfills and drops, and starts the background GSI worker.
    ///
    /// # Errors
    /// Storage failure, or a corrupt catalog record.
    pub fn open(backend: Arc<dyn Backend>, opts: DatabaseOptions) -> Result<Database, Error> {
        let catalog = load_catalog(backend.as_ref())?;
        let queue_seq = secondary_index::next_queue_seq(backend.as_ref())?;
        let stripes = (0..opts.lock_stripes.max(1))
            .map(|_| Mutex::new(()))
            .collect();
        let core = Arc::new(Core {
            backend,
            catalog: RwLock::new(catalog),
            stripes,
            queue_seq: AtomicU64::new(queue_seq),
            index_work: Mutex::new(secondary_index::IndexWork::default()),
            ttl_sweep: Mutex::new(crate::ttl::TtlSweep::default()),
            signal: WorkerSignal::default(),
            opts,
        });
        let worker = if core.opts.background_index_worker {
            let weak = Arc::downgrade(&core);
            let interval = core.opts.index_worker_interval;
            Some(
                std::thread::Builder::new()
                    .name("shale-gsi".into())
                    .spawn(move || worker_loop(weak, interval))
                    .map_err(|_| Error::LimitExceeded {
                        what: "threads",
                        limit: 0,
                    })?,
            )
        } else {
            None
        };
        Ok(Database { core, worker })
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
            if !self
                .core
                .run_index_work(secondary_index::WORK_STEPS_PER_ROUND)?
            {
                return Ok(());
            }
        }
        Err(Error::LimitExceeded {
            what: "wait_for_indexes rounds",
            limit: MAX_WAIT_FOR_INDEXES_ROUNDS as u64,
        })
    }

    /// CreateTable.
    ///
    /// # Errors
    /// ValidationException for a bad definition, ResourceInUse if the name exists,
    /// LimitExceeded over [`MAX_TABLES`], storage failure.
    pub fn create_table(&self, input: CreateTableInput) -> Result<CreateTableOutput, Error> {
        self.core.create_table(input)
    }

    /// DescribeTable.
    ///
    /// # Errors
    /// ResourceNotFound.
    pub fn describe_table(&self, input: DescribeTableInput) -> Result<DescribeTableOutput, Error> {
        let def = self.core.table_named(&input.table_name)?;
        Ok(DescribeTableOutput {
            table: def.describe(&self.core.opts.region),
        })
    }

    /// ListTables, in name order, paged.
    ///
    /// # Errors
    /// ValidationException for a Limit outside 1–100.
    pub fn list_tables(&self, input: ListTablesInput) -> Result<ListTablesOutput, Error> {
        let limit = input.limit.unwrap_or(MAX_LIST_TABLES_LIMIT);
        if !(1..=MAX_LIST_TABLES_LIMIT).contains(&limit) {
            return Err(ValidationError::OutOfRange {
                field: "limit",
                value: limit,
                constraint: if limit < 1 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                },
            }
            .into());
        }
        let cat = self.core.catalog.read();
        let start = match &input.exclusive_start_table_name {
            Some(s) => Bound::Excluded(s.clone()),
            None => Bound::Unbounded,
        };
        let mut names: Vec<String> = cat
            .tables
            .range::<String, _>((start, Bound::Unbounded))
            .take(limit as usize + 1)
            .map(|(n, _)| n.clone())
            .collect();
        let more = names.len() > limit as usize;
        names.truncate(limit as usize);
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
        self.core.update_table(input)
    }

    /// DeleteTable. The table disappears at once (a later DescribeTable is
    /// ResourceNotFound); its data is removed in the background.
    ///
    /// # Errors
    /// ResourceNotFound, ResourceInUse when not ACTIVE, ValidationException when
    /// deletion protection is on.
    pub fn delete_table(&self, input: DeleteTableInput) -> Result<DeleteTableOutput, Error> {
        self.core.delete_table(input)
    }
}

/// Reads every table definition and the id counter.
fn load_catalog(backend: &dyn Backend) -> Result<Catalog, Error> {
    let mut cat = Catalog {
        tables: BTreeMap::new(),
        next_id: FIRST_USER_ID,
    };
    let nk = catalog::next_id_key();
    if let Some(v) = backend.get(&nk, None)? {
        cat.next_id = catalog::decode_record::<u32>(&nk, &v)?;
    }
    let (start, end) = prefix_bounds(&catalog::table_key_prefix());
    for kv in backend.scan(start, end, shale_engine::Direction::Forward, None)? {
        let (k, v) = kv?;
        let mut def: TableDef = catalog::decode_record(&k, &v)?;
        // Creation is immediate: a table found CREATING was created before a crash.
        if def.status == TableStatus::Creating {
            def.status = TableStatus::Active;
        }
        cat.next_id = cat
            .next_id
            .max(def.all_ids().into_iter().max().unwrap_or(0) + 1);
        cat.tables.insert(def.name.clone(), Arc::new(def));
    }
    Ok(cat)
}

impl Core {
    /// The definition of `name`, for control-plane calls (message names the table).
    pub(crate) fn table_named(&self, name: &str) -> Result<Arc<TableDef>, Error> {
        validate_name("tableName", name)?;
        self.catalog
            .read()
            .tables
            .get(name)
            .cloned()
            .ok_or_else(|| Error::named_table_not_found(name))
    }

    /// The definition of `name`, for item calls.
    pub(crate) fn table_for_items(
        &self,
        cat: &Catalog,
        name: &str,
    ) -> Result<Arc<TableDef>, Error> {
        validate_name("tableName", name)?;
        cat.tables
            .get(name)
            .cloned()
            .ok_or_else(Error::table_not_found)
    }

    /// Wakes the background worker.
    pub(crate) fn notify_worker(&self) {
        let mut st = self.signal.state.lock();
        st.pending = true;
        self.signal.cond.notify_all();
    }

    /// Allocates `n` fresh ids and adds the counter update to `batch`.
    fn allocate_ids(cat: &mut Catalog, n: u32, batch: &mut WriteBatch) -> Result<Vec<u32>, Error> {
        let first = cat.next_id;
        let next = first.checked_add(n).ok_or(Error::LimitExceeded {
            what: "table and index ids",
            limit: u64::from(u32::MAX),
        })?;
        cat.next_id = next;
        batch.put(catalog::next_id_key(), catalog::encode_record(&next));
        Ok((first..next).collect())
    }

    pub(crate) fn persist_def(batch: &mut WriteBatch, def: &TableDef) {
        batch.put(catalog::table_key(&def.name), catalog::encode_record(def));
    }

    fn create_table(&self, input: CreateTableInput) -> Result<CreateTableOutput, Error> {
        validate_name("tableName", &input.table_name)?;
        let defs = &input.attribute_definitions;
        let key = key_def(&input.key_schema, defs)?;
        let mode = input.billing_mode.unwrap_or_default();
        let throughput = throughput_for(mode, input.provisioned_throughput)
            .map_err(ValidationError::Throughput)?;
        let mut lsis = Vec::new();
        for l in input.local_secondary_indexes.iter().flatten() {
            validate_name("indexName", &l.index_name)?;
            let ik = key_def(&l.key_schema, defs)?;
            if key.range.is_none() {
                return Err(crate::error::KeySchemaError::LsiOnHashOnlyTable.into());
            }
            if ik.range.is_none() {
                return Err(crate::error::KeySchemaError::LsiWithoutRange {
                    index: l.index_name.clone(),
                }
                .into());
            }
            if ik.hash != key.hash {
                return Err(crate::error::KeySchemaError::LsiHashMismatch {
                    index: l.index_name.clone(),
                    index_hash: ik.hash.name.clone(),
                    table_hash: key.hash.name.clone(),
                }
                .into());
            }
            let projection =
                projection_def(&l.projection).map_err(crate::error::KeySchemaError::Projection)?;
            lsis.push((l.index_name.clone(), ik, projection));
        }
        let mut gsis = Vec::new();
        for g in input.global_secondary_indexes.iter().flatten() {
            validate_name("indexName", &g.index_name)?;
            let ik = key_def(&g.key_schema, defs)?;
            let projection =
                projection_def(&g.projection).map_err(crate::error::KeySchemaError::Projection)?;
            let t = match mode {
                BillingMode::Provisioned => throughput_for(mode, g.provisioned_throughput)
                    .map_err(ValidationError::Throughput)?,
                BillingMode::PayPerRequest => None,
            };
            gsis.push((g.index_name.clone(), ik, projection, t));
        }
        check_definitions_used(
            defs,
            std::iter::once(&key)
                .chain(lsis.iter().map(|l| &l.1))
                .chain(gsis.iter().map(|g| &g.1)),
        )?;

        let mut cat = self.catalog.write();
        if cat.tables.contains_key(&input.table_name) {
            return Err(Error::ResourceInUse {
                table_name: input.table_name,
                reason: InUseReason::AlreadyExists,
            });
        }
        if cat.tables.len() >= MAX_TABLES {
            return Err(Error::LimitExceeded {
                what: "tables",
                limit: MAX_TABLES as u64,
            });
        }
        let mut batch = WriteBatch::new();
        let ids = Self::allocate_ids(&mut cat, 1 + (lsis.len() + gsis.len()) as u32, &mut batch)?;
        let mut ids = ids.into_iter();
        let table_id = ids.next().expect("allocated at least one id");
        let now = self.opts.clock.now_micros();
        let def = TableDef {
            uuid: table_uuid(table_id, now),
            name: input.table_name.clone(),
            id: table_id,
            status: TableStatus::Active,
            created_micros: now,
            key,
            attribute_definitions: defs.clone(),
            billing_mode: mode,
            throughput,
            decreases: 0,
            lsis: lsis
                .into_iter()
                .map(|(name, key, projection)| IndexDef {
                    name,
                    id: ids.next().expect("allocated"),
                    key,
                    projection,
                    status: IndexStatus::Active,
                    throughput: None,
                })
                .collect(),
            gsis: gsis
                .into_iter()
                .map(|(name, key, projection, throughput)| IndexDef {
                    name,
                    id: ids.next().expect("allocated"),
                    key,
                    projection,
                    status: IndexStatus::Active,
                    throughput,
                })
                .collect(),
            stream: input.stream_specification,
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            ttl_attribute: None,
        };
        check_index_limits(&def)?;
        Self::persist_def(&mut batch, &def);
        self.backend.write(batch)?;
        let mut description = def.describe(&self.opts.region);
        // DynamoDB answers CreateTable with CREATING; Shale's tables are usable at once,
        // so DescribeTable already says ACTIVE.
        description.table_status = TableStatus::Creating;
        cat.tables.insert(def.name.clone(), Arc::new(def));
        Ok(CreateTableOutput {
            table_description: description,
        })
    }

    fn delete_table(&self, input: DeleteTableInput) -> Result<DeleteTableOutput, Error> {
        validate_name("tableName", &input.table_name)?;
        let mut cat = self.catalog.write();
        let def = cat
            .tables
            .get(&input.table_name)
            .cloned()
            .ok_or_else(|| Error::named_table_not_found(&input.table_name))?;
        if def.deletion_protection {
            return Err(ValidationError::DeletionProtected.into());
        }
        if def.status != TableStatus::Active {
            return Err(Error::ResourceInUse {
                table_name: def.name.clone(),
                reason: InUseReason::NotActive {
                    status: status_word(def.status),
                },
            });
        }
        let mut batch = WriteBatch::new();
        batch.delete(catalog::table_key(&def.name));
        for id in def.all_ids() {
            batch.put(catalog::drop_key(id), Vec::new());
        }
        self.backend.write(batch)?;
        cat.tables.remove(&def.name);
        drop(cat);
        self.notify_worker();
        let mut description = def.describe(&self.opts.region);
        description.table_status = TableStatus::Deleting;
        Ok(DeleteTableOutput {
            table_description: description,
        })
    }

    fn update_table(&self, input: UpdateTableInput) -> Result<UpdateTableOutput, Error> {
        validate_name("tableName", &input.table_name)?;
        let index_updates = input
            .global_secondary_index_updates
            .clone()
            .unwrap_or_default();
        if input.billing_mode.is_none()
            && input.provisioned_throughput.is_none()
            && index_updates.is_empty()
            && input.stream_specification.is_none()
            && input.deletion_protection_enabled.is_none()
        {
            return Err(ValidationError::NothingToUpdate.into());
        }
        if index_updates.len() > 1 {
            return Err(ValidationError::IndexUpdate(IndexUpdateError::MoreThanOne).into());
        }
        let mut cat = self.catalog.write();
        let old = cat
            .tables
            .get(&input.table_name)
            .cloned()
            .ok_or_else(|| Error::named_table_not_found(&input.table_name))?;
        if old.status != TableStatus::Active {
            return Err(Error::ResourceInUse {
                table_name: old.name.clone(),
                reason: InUseReason::NotActive {
                    status: status_word(old.status),
                },
            });
        }
        let mut def = (*old).clone();
        let mut batch = WriteBatch::new();
        if input.billing_mode.is_some() || input.provisioned_throughput.is_some() {
            let mode = input.billing_mode.unwrap_or(def.billing_mode);
            let t = match (mode, input.provisioned_throughput) {
                // Keeping PROVISIONED without new figures keeps the old ones.
                (BillingMode::Provisioned, None) if def.billing_mode == mode => def.throughput,
                (m, t) => throughput_for(m, t).map_err(ValidationError::Throughput)?,
            };
            if let (Some(new), Some(old_t)) = (t, def.throughput) {
                if new.read_capacity_units < old_t.read_capacity_units
                    || new.write_capacity_units < old_t.write_capacity_units
                {
                    def.decreases += 1;
                }
            }
            def.billing_mode = mode;
            def.throughput = t;
            if mode == BillingMode::PayPerRequest {
                for g in &mut def.gsis {
                    g.throughput = None;
                }
            }
        }
        if let Some(s) = input.stream_specification {
            def.stream = Some(s);
        }
        if let Some(p) = input.deletion_protection_enabled {
            def.deletion_protection = p;
        }
        let mut dropped_index = None;
        if let Some(u) = index_updates.into_iter().next() {
            match (u.create, u.update, u.delete) {
                (Some(c), None, None) => {
                    validate_name("indexName", &c.index_name)?;
                    if def.index(&c.index_name).is_some() {
                        return Err(ValidationError::IndexUpdate(
                            IndexUpdateError::AlreadyExists {
                                index: c.index_name,
                            },
                        )
                        .into());
                    }
                    let mut defs = def.attribute_definitions.clone();
                    for d in input.attribute_definitions.iter().flatten() {
                        match defs.iter().find(|x| x.attribute_name == d.attribute_name) {
                            Some(existing) if existing.attribute_type != d.attribute_type => {
                                return Err(crate::error::KeySchemaError::DuplicateDefinition.into())
                            }
                            Some(_) => {}
                            None => defs.push(d.clone()),
                        }
                    }
                    let ik = key_def(&c.key_schema, &defs)?;
                    let projection = projection_def(&c.projection)
                        .map_err(crate::error::KeySchemaError::Projection)?;
                    let t = match def.billing_mode {
                        BillingMode::Provisioned => {
                            throughput_for(def.billing_mode, c.provisioned_throughput)
                                .map_err(ValidationError::Throughput)?
                        }
                        BillingMode::PayPerRequest => None,
                    };
                    let id = Self::allocate_ids(&mut cat, 1, &mut batch)?[0];
                    def.gsis.push(IndexDef {
                        name: c.index_name,
                        id,
                        key: ik,
                        projection,
                        status: IndexStatus::Creating,
                        throughput: t,
                    });
                    // Keep only the definitions some key still uses.
                    defs.retain(|d| {
                        def.key.contains(&d.attribute_name)
                            || def
                                .gsis
                                .iter()
                                .chain(&def.lsis)
                                .any(|i| i.key.contains(&d.attribute_name))
                    });
                    def.attribute_definitions = defs;
                    def.status = TableStatus::Updating;
                }
                (None, Some(up), None) => {
                    let Some(g) = def.gsis.iter_mut().find(|g| g.name == up.index_name) else {
                        return Err(Error::ResourceNotFound {
                            kind: ResourceKind::Index,
                            name: Some(up.index_name),
                        });
                    };
                    if def.billing_mode == BillingMode::Provisioned {
                        g.throughput =
                            throughput_for(BillingMode::Provisioned, up.provisioned_throughput)
                                .map_err(ValidationError::Throughput)?;
                    }
                }
                (None, None, Some(del)) => {
                    let Some(pos) = def.gsis.iter().position(|g| g.name == del.index_name) else {
                        return Err(Error::ResourceNotFound {
                            kind: ResourceKind::Index,
                            name: Some(del.index_name),
                        });
                    };
                    let g = def.gsis.remove(pos);
                    batch.put(catalog::drop_key(g.id), Vec::new());
                    def.attribute_definitions.retain(|d| {
                        def.key.contains(&d.attribute_name)
                            || def
                                .gsis
                                .iter()
                                .chain(&def.lsis)
                                .any(|i| i.key.contains(&d.attribute_name))
                    });
                    dropped_index = Some(g.id);
                }
                _ => return Err(ValidationError::IndexUpdate(IndexUpdateError::NoAction).into()),
            }
        }
        check_index_limits(&def)?;
        Self::persist_def(&mut batch, &def);
        self.backend.write(batch)?;
        let description = def.describe(&self.opts.region);
        let needs_work = def.status == TableStatus::Updating || dropped_index.is_some();
        cat.tables.insert(def.name.clone(), Arc::new(def));
        drop(cat);
        if needs_work {
            self.notify_worker();
        }
        Ok(UpdateTableOutput {
            table_description: description,
        })
    }

    /// Marks a GSI ACTIVE (and the table ACTIVE when no index is still CREATING).
    pub(crate) fn finish_backfill(&self, table: &str, index_id: u32) -> Result<(), Error> {
        let mut cat = self.catalog.write();
        let Some(old) = cat.tables.get(table).cloned() else {
            return Ok(()); // dropped meanwhile
        };
        let mut def = (*old).clone();
        let Some(g) = def.gsis.iter_mut().find(|g| g.id == index_id) else {
            return Ok(());
        };
        g.status = IndexStatus::Active;
        if def.gsis.iter().all(|g| g.status == IndexStatus::Active) {
            def.status = TableStatus::Active;
        }
        let mut batch = WriteBatch::new();
        Self::persist_def(&mut batch, &def);
        self.backend.write(batch)?;
        cat.tables.insert(def.name.clone(), Arc::new(def));
        Ok(())
    }

    /// The stripe lock guarding the item (or, for tables with LSIs, the partition)
    /// identified by `lock_key`.
    pub(crate) fn stripe(&self, lock_key: &[u8]) -> &Mutex<()> {
        let h = xxhash_rust::xxh3::xxh3_64(lock_key);
        &self.stripes[(h % self.stripes.len() as u64) as usize]
    }

    /// Allocates the next GSI maintenance queue key.
    pub(crate) fn next_queue_key(&self) -> Vec<u8> {
        let seq = self.queue_seq.fetch_add(1, Ordering::SeqCst);
        let mut k = id_prefix(INDEX_QUEUE_ID).to_vec();
        k.extend_from_slice(&seq.to_be_bytes());
        k
    }
}

/// DynamoDB's verb for a status in ResourceInUse messages.
fn status_word(s: TableStatus) -> &'static str {
    match s {
        TableStatus::Creating => "created",
        TableStatus::Updating => "updated",
        TableStatus::Deleting => "deleted",
        TableStatus::Active => "used",
    }
}

/// A UUID-shaped, deterministic table id (no randomness needed: ids are never reused).
fn table_uuid(id: u32, now_micros: u64) -> String {
    let a = xxhash_rust::xxh3::xxh3_64(
        &[id.to_be_bytes().as_slice(), &now_micros.to_be_bytes()].concat(),
    );
    let b = xxhash_rust::xxh3::xxh3_64(&a.to_be_bytes());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a as u16,
        (b >> 48) as u16,
        b & 0xFFFF_FFFF_FFFF
    )
}
