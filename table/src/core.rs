//! [`Core`]: the state every operation shares, and nothing else.
//!
//! The operations live with their concept and take `&Core`: the write path in
//! `crate::write`, reads in `crate::read` and `crate::items`, catalog changes in
//! `crate::control`, background work in `crate::worker`. This module imports none of
//! them, so none can import it back in a circle.
//!
//! Locks, in the order they may be taken (never right before left):
//!
//! ```text
//! index_work ─┐
//!             ├─→ catalog ─→ item keys (ascending) ─→ signal
//! ttl_sweep  ─┘                     └─→ a txn_claims shard
//! ```
//!
//! - `index_work` serialises GSI queue draining, backfills and drops; a finished backfill
//!   is published (catalog write lock) while it is held. Item writes never take it.
//! - `ttl_sweep` guards the sweeper's cursors; the sweep deletes through the write path.
//! - `catalog`: item writes hold it for reading from the moment they read the table
//!   definition until their batch is committed, so a control-plane change (which takes it
//!   for writing) never interleaves with a write that used the old definition. Reads
//!   clone the `Arc<TableDef>` and drop it at once.
//! - item keys: see [`crate::item_locks`].
//! - `signal` is a leaf: nothing is taken while it is held.
//! - `stream_rolls` is taken after `catalog` (read), and is a leaf.
//! - a `txn_claims` shard is a leaf, held for one set lookup or update; a transaction
//!   claims its keys (one shard at a time) before it locks any key, so a claim never
//!   waits. `client_tokens` is a leaf too, never held across a write.

use std::collections::BTreeMap;
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::capacity::admission::Admission;
use crate::catalog::{self, validate_name, TableDef};
use crate::catalog_record;
use crate::client_tokens::ClientTokens;
use crate::error::Error;
use crate::gsi_queue::GsiQueue;
use crate::item_locks::ItemLocks;
use crate::keys::{prefix_bounds, FIRST_USER_ID};
use crate::options::DatabaseOptions;
use crate::restore_jobs::Restores;
use crate::shapes::TableStatus;
use crate::signal::{Signal, StreamWake};
use crate::txn_claims::TxnClaims;
use shale_engine::Backend;

/// The in-memory copy of the catalog.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) tables: BTreeMap<String, Arc<TableDef>>,
    /// The next unused table/index id (ids are never reused).
    pub(crate) next_id: u32,
}

/// Where the running GSI backfill and the queue's draining resume, guarded by
/// [`Core::index_work`].
#[derive(Debug, Default)]
pub(crate) struct IndexWork {
    /// Table id, index id, last base key done.
    pub(crate) backfill_cursor: Option<(u32, u32, Vec<u8>)>,
    /// Every GSI queue record below this sequence number is drained, and no write can
    /// still add one there (`crate::worker::index`); 0 at open.
    pub(crate) queue_drained_below: u64,
}

/// Where the TTL sweeper resumes in each table (by table id), guarded by
/// [`Core::ttl_sweep`].
#[derive(Debug, Default)]
pub(crate) struct TtlCursors {
    pub(crate) cursors: BTreeMap<u32, Vec<u8>>,
}

/// Everything the operations share. `Send + Sync`; the background worker holds only a
/// `Weak` to it, so dropping the [`crate::Database`] frees it.
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) opts: DatabaseOptions,
    pub(crate) catalog: RwLock<Catalog>,
    /// Per-item (per-partition for tables with LSIs) write locks.
    pub(crate) item_locks: ItemLocks,
    /// The items held by transactions in flight (`crate::txn_claims`).
    pub(crate) txn_claims: TxnClaims,
    /// Recent TransactWriteItems client request tokens (`crate::client_tokens`).
    pub(crate) client_tokens: ClientTokens,
    /// The GSI maintenance queue's sequence allocator.
    pub(crate) gsi_queue: GsiQueue,
    /// Serialises GSI queue draining, backfills and drops, and holds their progress.
    pub(crate) index_work: Mutex<IndexWork>,
    /// The TTL sweeper's cursors.
    pub(crate) ttl_sweep: Mutex<TtlCursors>,
    /// Wakes the background worker; shared with its thread.
    pub(crate) signal: Arc<Signal>,
    /// Running restores (`crate::restore`). A leaf lock: nothing is taken while
    /// it is held.
    pub(crate) restores: Mutex<Restores>,
    /// Capacity admission: the partition model and token buckets of every table
    /// (`crate::capacity::admission`). Its registry lock is a leaf.
    pub(crate) admission: Admission,
    /// Serialises `save_capacity`; taken before the catalog lock, and held across the
    /// records' write.
    pub(crate) capacity_save: Mutex<()>,
    /// Serialises stream shard rolls (`crate::streams::reader::current_meta`); taken
    /// after the catalog lock, and nothing is taken while it is held.
    pub(crate) stream_rolls: Mutex<()>,
    /// Wakes in-process stream consumers after a write logs change records.
    pub(crate) stream_wake: StreamWake,
    /// ItemCount and size figures (`crate::table_stats`); a leaf lock.
    pub(crate) table_stats: Mutex<crate::table_stats::TableStats>,
    /// Auto scaling's policies and memory (`crate::capacity::auto_scaling`); a leaf
    /// lock, never held across an UpdateTable.
    pub(crate) auto_scaler: Mutex<crate::capacity::auto_scaling::AutoScaler>,
}

impl Core {
    /// Loads the shared state stored in `backend`: the catalog, the GSI queue's position
    /// and the unexpired client request tokens.
    ///
    /// # Errors
    /// Storage failure, or a corrupt catalog record or queue key.
    pub(crate) fn open(backend: Arc<dyn Backend>, opts: DatabaseOptions) -> Result<Core, Error> {
        let catalog = Catalog::load(backend.as_ref())?;
        let gsi_queue = GsiQueue::open(backend.as_ref())?;
        let client_tokens = ClientTokens::load(backend.as_ref(), opts.clock.now_micros())?;
        let admission = Admission::new(
            opts.capacity.clone(),
            Arc::clone(&opts.clock),
            opts.region.clone(),
        );
        admission.restore_saved(saved_capacity(backend.as_ref(), &catalog)?);
        Ok(Core {
            catalog: RwLock::new(catalog),
            item_locks: ItemLocks::new(opts.lock_stripes),
            txn_claims: TxnClaims::default(),
            client_tokens,
            gsi_queue,
            index_work: Mutex::new(IndexWork::default()),
            ttl_sweep: Mutex::new(TtlCursors::default()),
            signal: Arc::new(Signal::default()),
            restores: Mutex::new(Restores::default()),
            stream_rolls: Mutex::new(()),
            stream_wake: StreamWake::default(),
            table_stats: Mutex::new(crate::table_stats::TableStats::default()),
            admission,
            capacity_save: Mutex::new(()),
            auto_scaler: Mutex::new(crate::capacity::auto_scaling::AutoScaler::new(
                opts.capacity.auto_scaling.clone(),
            )),
            backend,
            opts,
        })
    }

    /// The definition of `name`, for control-plane calls (message names the table).
    ///
    /// # Errors
    /// ValidationException for a bad name, ResourceNotFound.
    pub(crate) fn table_named(&self, name: &str) -> Result<Arc<TableDef>, Error> {
        validate_name("tableName", name)?;
        self.catalog
            .read()
            .tables
            .get(name)
            .cloned()
            .ok_or_else(|| Error::named_table_not_found(name))
    }

    /// The definition of `name` in `cat` (a held catalog lock), for item calls.
    ///
    /// # Errors
    /// ValidationException for a bad name, ResourceNotFound.
    pub(crate) fn table_for_items(
        &self,
        cat: &Catalog,
        name: &str,
    ) -> Result<Arc<TableDef>, Error> {
        validate_name("tableName", name)?;
        // A restore's target takes no item calls until the restore is done.
        cat.tables
            .get(name)
            .filter(|d| d.status != TableStatus::Creating)
            .cloned()
            .ok_or_else(Error::table_not_found)
    }

    /// Saves every table's admission state (`crate::capacity_records`) in one batch.
    /// Returns how many tables it saved.
    ///
    /// # Errors
    /// Storage failure (then nothing was saved).
    pub(crate) fn save_capacity(&self) -> Result<usize, Error> {
        // One save at a time (the worker's, the server's at shutdown, the API's): an
        // older snapshot written after a newer one would undo it, and its delete-again
        // step could remove a record another save just wrote for a recreated table.
        let _one = self.capacity_save.lock();
        let live =
            |cat: &Catalog, name: &str, id: u32| cat.tables.get(name).is_some_and(|d| d.id == id);
        // The records are made under the catalog's read lock and written after it (a
        // synced write must not hold up UpdateTable, or the requests queued behind it).
        let records: Vec<(String, crate::capacity_records::CapacityRecord)> = {
            let cat = self.catalog.read();
            self.admission
                .records()
                .into_iter()
                .filter(|(name, r)| live(&cat, name, r.table_id))
                .collect()
        };
        if records.is_empty() {
            return Ok(0);
        }
        let mut batch = shale_engine::WriteBatch::new();
        for (name, record) in &records {
            batch.put(
                crate::capacity_records::capacity_key(name),
                crate::capacity_records::encode(record),
            );
        }
        self.backend.write(batch)?;
        // A table deleted meanwhile had its record deleted before this one was written:
        // delete it again. (It would only be ignored at open, under another id.)
        let gone: Vec<Vec<u8>> = {
            let cat = self.catalog.read();
            records
                .iter()
                .filter(|(name, r)| !live(&cat, name, r.table_id))
                .map(|(name, _)| crate::capacity_records::capacity_key(name))
                .collect()
        };
        if !gone.is_empty() {
            let mut batch = shale_engine::WriteBatch::new();
            for key in gone {
                batch.delete(key);
            }
            self.backend.write(batch)?;
        }
        Ok(records.len())
    }

    /// Splits partitions by size and for heat (`Admission::split_hot`) and rebuilds
    /// states whose buckets have earned long (`Admission::rebase`), then gives each table
    /// that changed a fresh copy of its definition, whose empty admission slot the
    /// next request fills with the split state: the old definition's slot holds the
    /// retired one, which would send every request through the registry's lock.
    ///
    /// First, each table whose size may have outgrown its partitions is counted again
    /// (`Admission::recounts_due`): at once with [`Recount::Now`], or queued for the
    /// worker's stepwise ItemCount walk with [`Recount::Queued`] (its split then comes at
    /// a later round).
    pub(crate) fn split_partitions(
        &self,
        recount: Recount,
    ) -> Vec<crate::capacity::PartitionSplit> {
        let due = self.admission.recounts_due();
        if !due.is_empty() {
            match recount {
                // A table that cannot be counted now (a storage failure) keeps its old
                // count; the next round's recounts ask again only after a count.
                Recount::Now => {
                    let _ = crate::table_stats::count_now(self, &due);
                }
                Recount::Queued => crate::table_stats::queue_first(self, &due),
            }
        }
        let splits = self.admission.split_hot();
        let rebased = self.admission.rebase();
        if splits.is_empty() && rebased.is_empty() {
            return splits;
        }
        let mut cat = self.catalog.write();
        for name in splits.iter().map(|s| &s.table_name).chain(&rebased) {
            if let Some(def) = cat.tables.get_mut(name) {
                *def = Arc::new(TableDef::clone(def));
            }
        }
        splits
    }
}

/// How [`Core::split_partitions`] counts a table whose size may need more partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recount {
    /// Walk it now, before splitting (`Database::run_capacity_splits`).
    Now,
    /// Queue it first in the worker's ItemCount pass.
    Queued,
}

/// The capacity records of the live tables in `catalog` (a record of a deleted table,
/// or of an earlier table of the same name, is ignored, and so is one that does not
/// decode).
///
/// # Errors
/// Storage failure.
fn saved_capacity(
    backend: &dyn Backend,
    catalog: &Catalog,
) -> Result<Vec<crate::capacity_records::CapacityRecord>, Error> {
    let (start, end) = prefix_bounds(&crate::capacity_records::capacity_key_prefix());
    let mut records = Vec::new();
    let prefix_len = crate::capacity_records::capacity_key_prefix().len();
    for kv in backend.scan(start, end, shale_engine::Direction::Forward, None)? {
        let (k, v) = kv?;
        let Some(def) = std::str::from_utf8(&k[prefix_len..])
            .ok()
            .and_then(|n| catalog.tables.get(n))
        else {
            continue;
        };
        // Soft state: a record that does not decode (or a newer format's) leaves its
        // table to start as a new one does, rather than the database unopenable.
        if let Ok(record) = crate::capacity_records::decode(&k, &v) {
            if record.table_id == def.id {
                records.push(record);
            }
        }
    }
    Ok(records)
}

impl Catalog {
    /// Reads every table definition and the id counter.
    fn load(backend: &dyn Backend) -> Result<Catalog, Error> {
        let mut cat = Catalog {
            tables: BTreeMap::new(),
            next_id: FIRST_USER_ID,
        };
        let nk = catalog::next_id_key();
        if let Some(v) = backend.get(&nk, None)? {
            cat.next_id = catalog_record::decode_next_id(&nk, &v)?;
        }
        let (start, end) = prefix_bounds(&catalog::table_key_prefix());
        for kv in backend.scan(start, end, shale_engine::Direction::Forward, None)? {
            let (k, v) = kv?;
            let mut def = catalog_record::decode_table(&k, &v)?;
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
}
