//! Admission: the per-database registry of partition models ([`Admission`]), and the two
//! ways requests pass through it.
//!
//! - **Writes** know their charge before they commit (the write path's `Capacity` hook
//!   runs after every item was read and decided): [`Admission::admit_writes`] decides
//!   every bucket the write touches (the table's partition of each item, and each GSI's
//!   partition of each changed entry) and charges them all, or throttles the whole write.
//!   A GSI that cannot take its share throttles the base-table write: DynamoDB's
//!   back-pressure.
//! - **Reads** learn their charge only after they ran (a Query page's bytes, a GetItem's
//!   item size). A single-item read (GetItem, a BatchGetItem key) runs first and is then
//!   decided and charged in one step ([`Admission::read_known`]). A Query or Scan page,
//!   and a transaction's reads, are decided before they run on the balance as it is
//!   ([`Admission::read`]), and the [`ReadGrant`] returned charges the real units
//!   afterwards, into debt if need be.
//!
//! Decisions are a function of the clock, the balances and the policy, so the same
//! requests on the same clock give the same decisions (`tests/capacity_replay.rs`).
//!
//! Finding a table's state: through its definition's [`AdmissionSlot`], which a request
//! reads without a lock; the registry below is the slow path (a definition's first
//! request, or one whose state a split or UpdateTable replaced) and the source that
//! rebuilt states carry balances from.
//!
//! Locking: the registry's `RwLock` is a leaf, held for a map lookup or insert only;
//! buckets are atomics. Writes call in while holding their item locks, which is fine
//! because nothing here waits.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::RwLock;
use shale_io::clock::Clock;

use super::bucket::{units_to_micros, Bucket};
use super::on_demand::OnDemandScaler;
use super::partitions::{Mode, PartitionSide, Resource, Side};
use super::policy::{Admit, Balances};
use super::saved::{resource_record, restored_resource};
use super::splitting;
use super::CapacityOptions;
use crate::capacity_records::CapacityRecord;
use crate::catalog::TableDef;
use crate::error::{CapacityOperation, Error, ThrottleLimit};
use crate::shapes::BillingMode;
use crate::types::Item;

/// The earned credit past which [`Admission::rebase`] rebuilds a bucket: 2⁶¹ micro-units,
/// a quarter of `i64`'s range.
pub(crate) const REBASE_EARNED_MICROS: i64 = 1 << 61;

/// Which resource of a table: the table itself, or its GSI at this position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Which {
    Table,
    Gsi(usize),
}

/// The admission state of one table and its GSIs, built from its definition.
#[derive(Debug)]
pub(crate) struct TableState {
    pub(crate) table_name: String,
    pub(crate) table: Arc<Resource>,
    /// By GSI name, in the definition's order.
    pub(crate) gsis: Vec<(String, Arc<Resource>)>,
    /// The GSIs' ids, in the same order (their sizes are kept by id).
    pub(crate) gsi_ids: Vec<u32>,
    /// How much the table's items grew through the write path since its first state
    /// was built (carried by every rebuild): splits by size add it to the last count.
    pub(crate) growth: Arc<Growth>,
    /// Set once another state replaced this one in the registry (UpdateTable, a split):
    /// a definition whose [`AdmissionSlot`] holds it looks in the registry instead.
    retired: AtomicBool,
}

/// At most how many bytes (DynamoDB item sizes) a table's items grew by through the write
/// path: each admitted write adds its new item's size less its old item's, and a blind
/// write (its old item not read) as if it replaced nothing, so this is an upper bound.
/// A table whose last ItemCount pass's count plus this growth since would need more
/// partitions by size is counted again at once (`Admission::recounts_due`), and the
/// split follows the count: a table that grows fast is split when it passes a
/// partition's size, not up to six hours later, and a table that is only rewritten is
/// recounted now and then and never split for it. Its own cache line: every write adds
/// to it, and readers of the state's other fields should not miss on that.
#[derive(Debug, Default)]
#[repr(align(64))]
pub(crate) struct Growth(AtomicI64);

impl Growth {
    /// Adds `bytes` (negative: the table shrank).
    pub(crate) fn add(&self, bytes: i64) {
        if bytes != 0 {
            self.0.fetch_add(bytes, Ordering::Relaxed);
        }
    }

    fn bytes(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A table definition's own handle on its admission state, so that the request path
/// finds it without the registry's lock (`Admission::state`).
///
/// Invariant: it holds the state built for this very definition, or nothing yet. A
/// definition cloned to be changed (UpdateTable) gets an empty slot, and a state that a
/// split replaced is marked retired, so a stale slot is only ever slower, never wrong.
#[derive(Default)]
pub(crate) struct AdmissionSlot(OnceLock<Arc<TableState>>);

impl Clone for AdmissionSlot {
    /// Empty: a clone is a new definition, whose state is looked up afresh.
    fn clone(&self) -> Self {
        AdmissionSlot::default()
    }
}

impl PartialEq for AdmissionSlot {
    /// Not part of what a definition says.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for AdmissionSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "AdmissionSlot(set)"
        } else {
            "AdmissionSlot(empty)"
        })
    }
}

/// A table's admission state as a request holds it: borrowed from its definition's
/// slot (no reference count touched), or shared from the registry.
#[derive(Debug)]
pub(crate) enum StateRef<'a> {
    Slot(&'a Arc<TableState>),
    Shared(Arc<TableState>),
}

impl StateRef<'_> {
    /// The state as an owned handle (for holders that outlive the request).
    pub(crate) fn to_arc(&self) -> Arc<TableState> {
        match self {
            StateRef::Slot(a) => Arc::clone(a),
            StateRef::Shared(a) => Arc::clone(a),
        }
    }
}

impl Deref for StateRef<'_> {
    type Target = TableState;
    fn deref(&self) -> &TableState {
        match self {
            StateRef::Slot(a) => a,
            StateRef::Shared(a) => a,
        }
    }
}

impl TableState {
    pub(crate) fn resource(&self, which: Which) -> &Resource {
        match which {
            Which::Table => &self.table,
            Which::Gsi(i) => &self.gsis[i].1,
        }
    }

    /// The position of GSI `name`, if the state knows it.
    pub(crate) fn gsi(&self, name: &str) -> Option<usize> {
        self.gsis.iter().position(|(n, _)| n == name)
    }

    /// Whether this state was built from a definition with `def`'s capacity settings.
    fn matches(&self, def: &TableDef) -> bool {
        self.table.mode == table_mode(def)
            && self.gsis.len() == def.gsis.len()
            && self
                .gsis
                .iter()
                .zip(&def.gsis)
                .all(|((name, r), g)| *name == g.name && r.mode == gsi_mode(def, g))
    }

    fn throttled(&self, region: &str, which: Which, side: Side, cause: Cause) -> Error {
        let index_name = match which {
            Which::Table => None,
            Which::Gsi(i) => Some(self.gsis[i].0.clone()),
        };
        let table_arn = crate::catalog::table_arn(region, &self.table_name);
        let resource = match &index_name {
            Some(index) => format!("{table_arn}/index/{index}"),
            None => table_arn,
        };
        let operation = match side {
            Side::Read => CapacityOperation::Read,
            Side::Write => CapacityOperation::Write,
        };
        let table_name = self.table_name.clone();
        let (provisioned, limit) = match cause {
            Cause::Provisioned => (true, ThrottleLimit::Provisioned),
            Cause::PartitionLimit => (!self.resource(which).on_demand(), ThrottleLimit::KeyRange),
            Cause::OnDemandMaximum => (false, ThrottleLimit::MaxOnDemand),
            Cause::OnDemandScaling => (false, ThrottleLimit::KeyRange),
        };
        if provisioned {
            Error::ProvisionedThroughputExceeded {
                table_name,
                index_name,
                operation,
                limit,
                resource,
            }
        } else {
            Error::Throttling {
                table_name,
                index_name,
                operation,
                limit,
                resource,
            }
        }
    }
}

/// How `def` itself is billed.
pub(crate) fn table_mode(def: &TableDef) -> Mode {
    match (def.billing_mode, &def.throughput) {
        (BillingMode::Provisioned, Some(t)) => Mode::Provisioned {
            read_units: t.read_capacity_units.max(0) as u64,
            write_units: t.write_capacity_units.max(0) as u64,
        },
        _ => Mode::OnDemand {
            max_read_units: def
                .on_demand_throughput
                .as_ref()
                .and_then(|m| m.max_read_units()),
            max_write_units: def
                .on_demand_throughput
                .as_ref()
                .and_then(|m| m.max_write_units()),
        },
    }
}

/// How `def`'s GSI `g` is billed: its own throughput on a provisioned table, else on
/// demand with its own OnDemandThroughput maxima.
fn gsi_mode(def: &TableDef, g: &crate::catalog::IndexDef) -> Mode {
    match (def.billing_mode, &g.throughput) {
        (BillingMode::Provisioned, Some(t)) => Mode::Provisioned {
            read_units: t.read_capacity_units.max(0) as u64,
            write_units: t.write_capacity_units.max(0) as u64,
        },
        _ => Mode::OnDemand {
            max_read_units: g.on_demand_throughput.and_then(|m| m.max_read_units()),
            max_write_units: g.on_demand_throughput.and_then(|m| m.max_write_units()),
        },
    }
}

/// One partition split for heat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionSplit {
    /// The table.
    pub table_name: String,
    /// The GSI, if it was one of its partitions.
    pub index_name: Option<String>,
    /// When, µs since the epoch.
    pub at_micros: u64,
    /// The first hash of the partition that was split.
    pub start_hash: u64,
    /// The first hashes of the partitions it became, its own first. A split on the sort
    /// key names its hash twice.
    pub into: Vec<u64>,
    /// For a split on the sort key: the key position it cut at (the first item key, less
    /// its table id, that the new partition owns; `docs/capacity.md`).
    pub at_key: Option<Vec<u8>>,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// A provisioned resource's policy said no.
    Provisioned,
    /// The partition's own limit (3,000 RCU / 1,000 WCU).
    PartitionLimit,
    /// An on-demand resource's OnDemandThroughput maximum.
    OnDemandMaximum,
    /// An on-demand resource over twice its previous peak.
    OnDemandScaling,
}

/// One bucket a write needs, and what it costs there.
#[derive(Debug)]
pub(crate) struct Demand<'a> {
    pub(crate) which: Which,
    /// The partition-key hash (`partition` is the partition owning it).
    pub(crate) hash: u64,
    /// The item's key position (its key's bytes after the table id), for routing within
    /// a collection split on the sort key and for the sample that finds such splits.
    /// `None` for a GSI's entry.
    pub(crate) position: Option<&'a [u8]>,
    pub(crate) partition: usize,
    pub(crate) micros: i64,
    /// The item and the name of its partition-key attribute, for the partition view's
    /// heaviest keys: looked up only when the key enters them, not by name on every
    /// write for a view that is usually off.
    pub(crate) key: Option<(&'a Item, &'a str)>,
}

/// A key's text for the partition view: its DynamoDB JSON.
fn label<'a>(key: Option<(&'a Item, &'a str)>) -> impl FnOnce() -> Option<String> + 'a {
    move || {
        key.and_then(|(item, name)| item.get(name))
            .and_then(|k| serde_json::to_string(k).ok())
    }
}

/// The admission registry of one database: a [`TableState`] per table, by table id.
#[derive(Debug)]
pub(crate) struct Admission {
    opts: CapacityOptions,
    /// `opts.enforcement`, switchable at run time (`Database::set_capacity_enforcement`).
    enforcement: AtomicBool,
    /// `opts.policy.own_share_first()`, asked once.
    own_share_first: bool,
    clock: Arc<dyn Clock>,
    /// By table id. A BTreeMap: a few tables, looked up on every request, where hashing
    /// the id costs more than a short tree walk.
    tables: RwLock<BTreeMap<u32, Arc<TableState>>>,
    /// Table and index sizes by id, for splits by size (`note_size`): the count, and
    /// for a table its growth when it was counted.
    sizes: RwLock<BTreeMap<u32, (u64, i64)>>,
    /// Capacity records found at open, by table id, each taken when its table's state
    /// is first built (`restore_saved`).
    saved: parking_lot::Mutex<BTreeMap<u32, CapacityRecord>>,
    /// Growth-triggered recounts by table id (`recounts_due`).
    recounts: parking_lot::Mutex<BTreeMap<u32, RecountPace>>,
    /// The database's region, for the ARN a throttling error names.
    region: String,
}

/// The least wait between two growth-triggered recounts of one table: a minute.
pub(crate) const RECOUNT_PACE_MIN_US: u64 = 60_000_000;
/// The most: six hours, the ItemCount pass's own interval.
pub(crate) const RECOUNT_PACE_MAX_US: u64 = 6 * 3_600_000_000;

/// One table's growth-triggered recounts.
#[derive(Debug, Default)]
pub(crate) struct RecountPace {
    /// Asked for, and the count not in yet.
    pending: bool,
    /// The earliest clock time of the next ask.
    next_at_us: u64,
    /// The wait after the next ask (0: the least).
    interval_us: u64,
}

impl Admission {
    pub(crate) fn new(opts: CapacityOptions, clock: Arc<dyn Clock>, region: String) -> Admission {
        Admission {
            region,
            enforcement: AtomicBool::new(opts.enforcement),
            own_share_first: opts.policy.own_share_first(),
            opts,
            clock,
            tables: RwLock::new(BTreeMap::new()),
            sizes: RwLock::new(BTreeMap::new()),
            saved: parking_lot::Mutex::new(BTreeMap::new()),
            recounts: parking_lot::Mutex::new(BTreeMap::new()),
        }
    }

    /// Keeps the capacity records found at open (`crate::capacity_records`), for each
    /// table's state to start from when it is first built.
    pub(crate) fn restore_saved(&self, records: impl IntoIterator<Item = CapacityRecord>) {
        let mut saved = self.saved.lock();
        for r in records {
            saved.insert(r.table_id, r);
        }
    }

    /// The capacity record of every table with a state, by table name, as of now (the
    /// ones not used since open are kept as they were found).
    pub(crate) fn records(&self) -> Vec<(String, CapacityRecord)> {
        let now = self.now_us();
        self.states()
            .into_iter()
            .map(|(id, state)| {
                let resources = std::iter::once(resource_record(id, &state.table, now))
                    .chain(
                        state
                            .gsi_ids
                            .iter()
                            .zip(&state.gsis)
                            .map(|(gsi_id, (_, r))| resource_record(*gsi_id, r, now)),
                    )
                    .collect();
                let record = CapacityRecord {
                    table_id: id,
                    saved_micros: now,
                    resources,
                };
                (state.table_name.clone(), record)
            })
            .collect()
    }

    /// Whether requests are admitted at all (the off switch).
    pub(crate) fn enforcing(&self) -> bool {
        self.enforcement.load(Ordering::Relaxed)
    }

    /// Turns enforcement on or off from now on. While it is off nothing is decided or
    /// charged, and the buckets go on refilling; a request in flight when it changes
    /// is finished as it began.
    pub(crate) fn set_enforcing(&self, on: bool) {
        self.enforcement.store(on, Ordering::Relaxed);
    }

    pub(crate) fn options(&self) -> &CapacityOptions {
        &self.opts
    }

    /// Admission's time: the coarse clock (a timer tick behind at most), because it is
    /// read on every request and a tick's lag only delays refill by a tick. Every
    /// decision, charge, split window and partition view reads this one.
    pub(crate) fn now_us(&self) -> u64 {
        self.clock.now_micros_coarse()
    }

    /// The state of `def`, built (or rebuilt after UpdateTable changed its capacity) on
    /// first use.
    #[inline]
    pub(crate) fn state<'a>(&self, def: &'a TableDef) -> StateRef<'a> {
        match def.admission.0.get() {
            Some(s) if !s.retired.load(Ordering::Acquire) => StateRef::Slot(s),
            _ => self.state_slow(def),
        }
    }

    /// [`Admission::state`] when the definition's slot is empty or retired.
    #[cold]
    #[inline(never)]
    fn state_slow<'a>(&self, def: &'a TableDef) -> StateRef<'a> {
        let slot = &def.admission.0;
        if slot.get().is_some() {
            return StateRef::Shared(self.current(def));
        }
        let current = self.current(def);
        // A racing request may have filled the slot first, with the same state.
        let _ = slot.set(Arc::clone(&current));
        match slot.get() {
            Some(s) if Arc::ptr_eq(s, &current) => StateRef::Slot(s),
            _ => StateRef::Shared(current),
        }
    }

    /// The registry's state for `def`, built (or rebuilt after UpdateTable changed its
    /// capacity) if it has none that matches.
    fn current(&self, def: &TableDef) -> Arc<TableState> {
        if let Some(s) = self.tables.read().get(&def.id) {
            if s.matches(def) {
                return Arc::clone(s);
            }
        }
        let mut tables = self.tables.write();
        let old = tables.get(&def.id).cloned();
        if let Some(s) = &old {
            if s.matches(def) {
                return Arc::clone(s);
            }
        }
        let now = self.now_us();
        // A table's first state since open starts from its saved record, if any.
        let saved = match &old {
            None => self.saved.lock().remove(&def.id),
            Some(_) => None,
        };
        let build = |mode: Mode, old: Option<&Arc<Resource>>, id: u32| {
            let r = match (old, &saved) {
                // Partitions never merge, and split ranges are kept while they suffice.
                (Some(o), _) => {
                    let mut r = Resource::rebuilt(mode, o, &self.opts, now);
                    carry_state(o, &mut r, now);
                    r
                }
                (None, Some(rec)) => match rec.resources.iter().find(|r| r.id == id) {
                    Some(res) => restored_resource(mode, res, rec.saved_micros, &self.opts, now),
                    None => Resource::new(mode, 1, &self.opts, now),
                },
                (None, None) => Resource::new(mode, 1, &self.opts, now),
            };
            Arc::new(r)
        };
        let state = Arc::new(TableState {
            table_name: def.name.clone(),
            table: build(table_mode(def), old.as_ref().map(|o| &o.table), def.id),
            gsis: def
                .gsis
                .iter()
                .map(|g| {
                    let prev = old
                        .as_ref()
                        .and_then(|o| o.gsi(&g.name).map(|i| &o.gsis[i].1));
                    (g.name.clone(), build(gsi_mode(def, g), prev, g.id))
                })
                .collect(),
            gsi_ids: def.gsis.iter().map(|g| g.id).collect(),
            growth: old
                .as_ref()
                .map_or_else(Arc::default, |o| Arc::clone(&o.growth)),
            retired: AtomicBool::new(false),
        });
        if let Some(replaced) = tables.insert(def.id, Arc::clone(&state)) {
            replaced.retired.store(true, Ordering::Release);
        }
        state
    }

    /// Table `id`'s growth so far (0 for an index, or a table without a state): taken
    /// when an ItemCount walk of it begins, for [`Admission::note_size`].
    pub(crate) fn growth_of(&self, id: u32) -> i64 {
        self.tables.read().get(&id).map_or(0, |s| s.growth.bytes())
    }

    /// Notes the size of table or index `id` (DynamoDB's item sizes, from the last
    /// ItemCount pass), for splits by size, with the table's growth when that walk
    /// began (`growth_of`): what it grew by since is added to the count.
    pub(crate) fn note_size(&self, id: u32, bytes: u64, growth_at_walk: i64) {
        self.sizes.write().insert(id, (bytes, growth_at_walk));
        if let Some(pace) = self.recounts.lock().get_mut(&id) {
            pace.pending = false;
        }
    }

    /// The tables to count again now: those whose last count plus their growth since (an
    /// upper bound of their size; a table not counted yet: its growth alone) would need
    /// more partitions by size than they have and than the count asks for. Each is named
    /// once until its count comes in (`note_size`). A table whose count alone asks for
    /// partitions that cannot be made (one item collection past a partition's size) is
    /// not counted again for that, only when it grows past another partition's worth.
    ///
    /// Paced, because growth is an upper bound: a table only rewritten near a partition's
    /// size would otherwise be walked whenever its blind writes add up to the margin.
    /// After each ask the next waits [`RECOUNT_PACE_MIN_US`], doubling to
    /// [`RECOUNT_PACE_MAX_US`] (the ItemCount pass's own six hours), back to the least
    /// after a split by size of the table.
    pub(crate) fn recounts_due(&self) -> Vec<u32> {
        let counted = self.sizes.read().clone();
        let now = self.now_us();
        let mut recounts = self.recounts.lock();
        let mut due = Vec::new();
        for (id, state) in self.states() {
            let (bytes, at_count) = counted.get(&id).copied().unwrap_or((0, 0));
            let grown = state.growth.bytes().saturating_sub(at_count);
            let most = i64::try_from(bytes)
                .unwrap_or(i64::MAX)
                .saturating_add(grown)
                .max(0);
            let most = u64::try_from(most).unwrap_or(0);
            if !splitting::may_need_more_for_size(&state.table, bytes, most, &self.opts) {
                continue;
            }
            let pace = recounts.entry(id).or_default();
            if !pace.pending && now >= pace.next_at_us {
                pace.pending = true;
                let interval = pace.interval_us.max(RECOUNT_PACE_MIN_US);
                pace.next_at_us = now.saturating_add(interval);
                pace.interval_us = interval.saturating_mul(2).min(RECOUNT_PACE_MAX_US);
                due.push(id);
            }
        }
        due
    }

    /// Splits every table or GSI whose size needs more partitions than it has (one per
    /// `partition_size_bytes_max`: DynamoDB's 10 GB), then closes the split windows that
    /// are due (`capacity::split`) and splits the hot partitions the policy picks.
    /// Returns the splits.
    pub(crate) fn split_hot(&self) -> Vec<PartitionSplit> {
        let now = self.now_us();
        let sizes = self.sizes.read().clone();
        let mut split_by_size = Vec::new();
        let mut made = self.split_each(now, |res, id, _| {
            let bytes = sizes.get(&id).map_or(0, |(bytes, _)| *bytes);
            let split = splitting::for_size(res, bytes, &self.opts, now);
            if split.is_some() {
                split_by_size.push(id);
            }
            split
        });
        // A table that grew into a split is let recount at the least pace again.
        let mut recounts = self.recounts.lock();
        for id in split_by_size {
            if let Some(pace) = recounts.get_mut(&id) {
                pace.interval_us = 0;
            }
        }
        drop(recounts);
        let policy = Arc::clone(&self.opts.split_policy);
        // Only a base table's collections split on the sort key: a GSI routes by hash.
        made.extend(self.split_each(now, |res, _, is_table| {
            splitting::evaluate(res, policy.as_ref(), &self.opts, now, is_table)
        }));
        made
    }

    /// Rebuilds, balances and peaks carried, every table state one of whose buckets has
    /// earned more than [`REBASE_EARNED_MICROS`] since it was made, so that no bucket's
    /// credit (an `i64` of micro-units counted from its creation) ever saturates: a
    /// saturated bucket would stop refilling. At 40,000 units per second that is after
    /// 1.8 years; at [`super::partitions::MAX_BUCKET_RATE`], 38 minutes, with two hours
    /// to spare. The worker calls this every second (with `split_hot`). Returns the
    /// tables rebuilt.
    pub(crate) fn rebase(&self) -> Vec<String> {
        let now = self.now_us();
        let states = self.states();
        let mut rebased = Vec::new();
        for (id, state) in states {
            let aged = |r: &Resource| r.earned_past(REBASE_EARNED_MICROS, now);
            if !aged(&state.table) && !state.gsis.iter().any(|(_, g)| aged(g)) {
                continue;
            }
            let rebuild = |old: &Arc<Resource>| {
                let mut new = Resource::rebuilt(old.mode, old, &self.opts, now);
                carry_state(old, &mut new, now);
                Arc::new(new)
            };
            let fresh = Arc::new(TableState {
                table_name: state.table_name.clone(),
                table: rebuild(&state.table),
                gsis: state
                    .gsis
                    .iter()
                    .map(|(name, g)| (name.clone(), rebuild(g)))
                    .collect(),
                gsi_ids: state.gsi_ids.clone(),
                growth: Arc::clone(&state.growth),
                retired: AtomicBool::new(false),
            });
            if self.replace(id, &state, fresh) {
                rebased.push(state.table_name.clone());
            }
        }
        rebased
    }

    /// Offers every table's and GSI's resource (with its id, and whether it is the
    /// table's) to `split`, and replaces the tables' states where it split one. Returns
    /// the splits.
    fn split_each(
        &self,
        now: u64,
        mut split: impl FnMut(&Resource, u32, bool) -> Option<(Resource, Vec<splitting::Split>)>,
    ) -> Vec<PartitionSplit> {
        let states = self.states();
        let mut made = Vec::new();
        for (id, state) in states {
            let before = made.len();
            let mut one = |index_name: Option<&String>, res: &Arc<Resource>, res_id: u32| {
                let Some((replacement, splits)) = split(res, res_id, index_name.is_none()) else {
                    return Arc::clone(res);
                };
                made.extend(splits.into_iter().map(|s| PartitionSplit {
                    table_name: state.table_name.clone(),
                    index_name: index_name.cloned(),
                    at_micros: now,
                    start_hash: s.start_hash,
                    into: s.into,
                    at_key: s.at_key.map(Vec::from),
                }));
                Arc::new(replacement)
            };
            let table = one(None, &state.table, id);
            let gsis = state
                .gsis
                .iter()
                .zip(&state.gsi_ids)
                .map(|((name, g), &gid)| (name.clone(), one(Some(name), g, gid)))
                .collect();
            if made.len() == before {
                continue;
            }
            let split = Arc::new(TableState {
                table_name: state.table_name.clone(),
                table,
                gsis,
                gsi_ids: state.gsi_ids.clone(),
                growth: Arc::clone(&state.growth),
                retired: AtomicBool::new(false),
            });
            self.replace(id, &state, split);
        }
        made
    }

    /// Every table's state, by table id, as the registry holds them now.
    fn states(&self) -> Vec<(u32, Arc<TableState>)> {
        self.tables
            .read()
            .iter()
            .map(|(id, s)| (*id, Arc::clone(s)))
            .collect()
    }

    /// Puts `new` in `old`'s place as table `id`'s state and retires `old`, unless an
    /// UpdateTable (or another rebuild) replaced `old` meanwhile, whose state is new
    /// anyway. Returns whether it did.
    fn replace(&self, id: u32, old: &Arc<TableState>, new: Arc<TableState>) -> bool {
        let mut tables = self.tables.write();
        if !tables.get(&id).is_some_and(|cur| Arc::ptr_eq(cur, old)) {
            return false;
        }
        tables.insert(id, new);
        old.retired.store(true, Ordering::Release);
        true
    }

    /// Forgets a dropped table's state.
    pub(crate) fn forget(&self, table_id: u32) {
        self.saved.lock().remove(&table_id);
        self.recounts.lock().remove(&table_id);
        let state = self.tables.write().remove(&table_id);
        if let Some(s) = &state {
            s.retired.store(true, Ordering::Release);
        }
        let mut sizes = self.sizes.write();
        sizes.remove(&table_id);
        for id in state.iter().flat_map(|s| &s.gsi_ids) {
            sizes.remove(id);
        }
    }

    /// Decides every demand of one write (per table, already merged: one per bucket),
    /// then charges them all, or none: a throttled write consumes nothing.
    ///
    /// # Errors
    /// ProvisionedThroughputExceeded (provisioned) or Throttling (on-demand maximum) for
    /// the first resource that refuses: a table's, or a GSI's (back-pressure).
    pub(crate) fn admit_writes(
        &self,
        per_table: &[(StateRef<'_>, Vec<Demand<'_>>)],
    ) -> Result<(), Error> {
        let now = self.now_us();
        let mut decisions = Vec::with_capacity(per_table.iter().map(|(_, d)| d.len()).sum());
        for (state, demands) in per_table {
            for d in demands {
                let target = Target::of(state.resource(d.which), Side::Write, d.partition);
                match self.decide(&target, now) {
                    Ok(decision) => decisions.push(decision),
                    Err(cause) => {
                        let side = target.part;
                        side.record_throttle();
                        side.heat.throttled(d.hash, label(d.key));
                        return Err(state.throttled(&self.region, d.which, Side::Write, cause));
                    }
                }
            }
        }
        let mut decided = decisions.into_iter();
        for (state, demands) in per_table {
            for (d, decision) in demands.iter().zip(&mut decided) {
                let target = Target::of(state.resource(d.which), Side::Write, d.partition);
                charge(&target, &decision, d.micros);
                target
                    .part
                    .heat
                    .consumed(d.hash, d.position, d.micros, label(d.key));
            }
        }
        Ok(())
    }

    /// [`Admission::admit_writes`] for the most common write: one bucket of one table
    /// (a single item of a table without GSIs), without building the per-table lists.
    ///
    /// # Errors
    /// As [`Admission::admit_writes`].
    pub(crate) fn admit_one_write(&self, state: &TableState, d: &Demand<'_>) -> Result<(), Error> {
        let target = Target::of(state.resource(d.which), Side::Write, d.partition);
        let side = target.part;
        let now = self.now_us();
        let decision = match self.decide(&target, now) {
            Ok(decision) => decision,
            Err(cause) => {
                side.record_throttle();
                side.heat.throttled(d.hash, label(d.key));
                return Err(state.throttled(&self.region, d.which, Side::Write, cause));
            }
        };
        charge(&target, &decision, d.micros);
        side.heat
            .consumed(d.hash, d.position, d.micros, label(d.key));
        Ok(())
    }

    /// Charges `micros` of write capacity to the table partition owning `hash` without
    /// deciding anything (into debt if need be): for what DynamoDB consumes after the
    /// fact, a conditional write whose condition failed.
    pub(crate) fn charge_write(
        &self,
        state: &TableState,
        hash: u64,
        position: Option<&[u8]>,
        micros: i64,
    ) {
        let partition = state.table.partition_of_key(hash, position);
        let target = Target::of(&state.table, Side::Write, partition);
        let decision = Decision::at(&target, self.now_us());
        charge(&target, &decision, micros);
        target.part.heat.consumed(hash, position, micros, || None);
    }

    /// Admits a read of `def` (`gsi`: of that GSI; an LSI reads the table's capacity) on
    /// the partition owning `hash`. `None` when enforcement is off.
    ///
    /// # Errors
    /// As [`Admission::admit_writes`], for reads.
    ///
    /// `least_micros` is what the read consumes whatever it finds (a page that matched
    /// nothing still costs one unit, half when eventually consistent;
    /// `capacity::least_read_micros`): it is charged at once, while the partition's
    /// bucket is in cache, and the grant charges only the rest. Charging in two steps at
    /// one clock reading takes the same as in one.
    ///
    /// `at` routes the read; its `key` (a transaction's item's, not a Scan page's)
    /// labels the key in the partition view's heaviest keys.
    pub(crate) fn read<'a>(
        &self,
        def: &'a TableDef,
        gsi: Option<&str>,
        at: ReadAt<'a>,
        least_micros: i64,
    ) -> Result<Option<ReadGrant<'a>>, Error> {
        if !self.enforcing() {
            return Ok(None);
        }
        let state = self.state(def);
        let which = match gsi.and_then(|n| state.gsi(n)) {
            Some(i) => Which::Gsi(i),
            None => Which::Table,
        };
        // A GSI's keys are not the table's positions, nor its key attributes.
        let at = if which == Which::Table {
            at
        } else {
            ReadAt {
                position: None,
                key: None,
                ..at
            }
        };
        self.admit_read(state, which, at, least_micros).map(Some)
    }

    /// Decides a read of `which`'s partition owning `hash`; the grant charges its units
    /// once they are known.
    ///
    /// # Errors
    /// As [`Admission::admit_writes`], for reads.
    fn admit_read<'a>(
        &self,
        state: StateRef<'a>,
        which: Which,
        at: ReadAt<'a>,
        least_micros: i64,
    ) -> Result<ReadGrant<'a>, Error> {
        let res = state.resource(which);
        let partition = res.partition_of_key(at.hash, at.position);
        let target = Target::of(res, Side::Read, partition);
        let decision = self.decide_read(&state, which, &target, &at)?;
        charge(&target, &decision, least_micros);
        let counted_at = target.part.heat.counting().then_some(at);
        Ok(ReadGrant {
            state,
            which,
            counted_at,
            partition,
            decision,
            charged_micros: least_micros,
        })
    }

    /// Admits and charges a read of `def`'s table that ran already, so that its units
    /// (`micros()`, asked only when enforcing) are known: a GetItem, or one key of a
    /// BatchGetItem. Deciding after the
    /// read decides on the same balances as before it (nothing else is charged in
    /// between by this request) and charges once, with no grant to carry; a throttled
    /// read's result is dropped unseen, as DynamoDB's is never made.
    ///
    /// # Errors
    /// As [`Admission::admit_writes`], for reads.
    pub(crate) fn read_known(
        &self,
        def: &TableDef,
        at: ReadAt<'_>,
        micros: impl FnOnce() -> i64,
    ) -> Result<(), Error> {
        if !self.enforcing() {
            return Ok(());
        }
        let micros = micros();
        let state = self.state(def);
        let partition = state.table.partition_of_key(at.hash, at.position);
        let target = Target::of(&state.table, Side::Read, partition);
        let decision = self.decide_read(&state, Which::Table, &target, &at)?;
        charge(&target, &decision, micros);
        if target.part.heat.counting() {
            count_heat(&state.table, partition, &at, micros);
        }
        Ok(())
    }

    /// Decides a read on `target`, recording a refusal there.
    #[inline(always)]
    fn decide_read(
        &self,
        state: &TableState,
        which: Which,
        target: &Target<'_>,
        at: &ReadAt<'_>,
    ) -> Result<Decision, Error> {
        self.decide(target, self.now_us()).map_err(|cause| {
            target.part.record_throttle();
            target.part.heat.throttled(at.hash, label(at.key));
            state.throttled(&self.region, which, Side::Read, cause)
        })
    }

    /// Decides one request on `target`: how it is charged, or why not.
    #[inline(always)]
    fn decide(&self, target: &Target<'_>, now: u64) -> Result<Decision, Cause> {
        let mut d = Decision::at(target, now);
        let part = target.part;
        // The partition's own limit comes first: nothing lifts it.
        if target.limited
            && part
                .limit
                .as_ref()
                .is_some_and(|l| !super::bucket::admits(l.balance_with(d.limit_earned)))
        {
            return Err(Cause::PartitionLimit);
        }
        if let (Some(own), Some(table)) = (&part.bucket, target.table) {
            // Provisioned: the policy decides, unless it puts the partition's own share
            // first and the partition has tokens (`d` admits on its own share already).
            let partition = own.balance_with(d.own_earned);
            if self.own_share_first && super::bucket::admits(partition) {
                return Ok(d);
            }
            let table = table.balance_with(d.table_earned);
            d.admit = self.opts.policy.admit(Balances { partition, table });
            return match d.admit {
                Admit::Throttle => Err(Cause::Provisioned),
                _ => Ok(d),
            };
        }
        // On demand: the maximum, then what the resource has scaled to.
        let table = target.table.map(|b| b.balance_with(d.table_earned));
        if table.is_some_and(|t| !super::bucket::admits(t)) {
            return Err(Cause::OnDemandMaximum);
        }
        if target.scaler.is_some_and(|s| !s.admits(now)) {
            return Err(Cause::OnDemandScaling);
        }
        Ok(d)
    }
}

/// One side of one partition of a resource, with the resource-wide buckets a request on
/// it is decided and charged against: looked up once per request.
struct Target<'r> {
    part: &'r PartitionSide,
    /// The resource's bucket for this side (`Resource::table_bucket`).
    table: Option<&'r Bucket>,
    scaler: Option<&'r OnDemandScaler>,
    /// `Resource::limited`: whether `part.limit` is to be read.
    limited: bool,
}

impl<'r> Target<'r> {
    #[inline(always)]
    fn of(res: &'r Resource, side: Side, partition: usize) -> Target<'r> {
        Target {
            part: res.partitions[partition].side(side),
            table: res.table_bucket(side),
            scaler: res.scaler(side),
            limited: res.limited,
        }
    }
}

/// How one request on one partition side is charged: the policy's decision, and the
/// credit each of its buckets had earned when it was taken. Decision and charge read
/// the clock once, and compute each bucket's credit once.
#[derive(Debug, Clone, Copy)]
struct Decision {
    admit: Admit,
    own_earned: i64,
    table_earned: i64,
    limit_earned: i64,
}

impl Decision {
    /// `Admit::Own` on `target` at `now`, before any policy.
    #[inline(always)]
    fn at(target: &Target<'_>, now: u64) -> Decision {
        let earned = |b: Option<&Bucket>| b.map_or(0, |b| b.earned(now));
        Decision {
            admit: Admit::Own,
            own_earned: earned(target.part.bucket.as_ref()),
            table_earned: earned(target.table),
            limit_earned: if target.limited {
                earned(target.part.limit.as_ref())
            } else {
                0
            },
        }
    }
}

/// Charges `micros` as decided.
#[inline(always)]
fn charge(target: &Target<'_>, d: &Decision, micros: i64) {
    let p = target.part;
    if d.admit == Admit::Own {
        if let Some(b) = &p.bucket {
            b.charge_with(micros, d.own_earned);
        }
    }
    if target.limited {
        if let Some(l) = &p.limit {
            l.charge_with(micros, d.limit_earned);
        }
    }
    if let Some(t) = target.table {
        t.charge_with(micros, d.table_earned);
    }
    if let Some(s) = target.scaler {
        s.charge(micros);
    }
    p.record_consumed(micros);
}

/// Gives a rebuilt resource the old one's balances: the table bucket's as it was, and
/// each partition an equal share of it (both within their caps), so that UpdateTable
/// neither refills nor empties a table.
fn carry_balances(old: &Resource, new: &Resource, now: u64) {
    for side in [Side::Read, Side::Write] {
        let (Some(o), Some(n)) = (old.table_bucket(side), new.table_bucket(side)) else {
            continue;
        };
        let balance = o.balance_at(now);
        n.set_balance(balance, now);
        let per = balance / new.partitions.len() as i64;
        for p in &new.partitions {
            if let Some(b) = &p.side(side).bucket {
                b.set_balance(per, now);
            }
        }
    }
}

/// Carries `old`'s balances and on-demand peaks into `new`, which replaces it (after
/// UpdateTable, or a split).
pub(crate) fn carry_state(old: &Resource, new: &mut Resource, now: u64) {
    carry_balances(old, new, now);
    carry_peaks(old, new, now);
}

/// Gives a rebuilt on-demand resource its previous peak: the old one's if it was on
/// demand too, else at least half the throughput it was provisioned with (DynamoDB's
/// rule for a table switched to on-demand: half the previous provisioned throughput or
/// a new table's setting, whichever is higher).
fn carry_peaks(old: &Resource, new: &mut Resource, now: u64) {
    for side in [Side::Read, Side::Write] {
        let Some(fresh) = new.scaler(side) else {
            continue;
        };
        let floor = fresh.peak_at(now);
        let carried = match (old.scaler(side), old.mode) {
            (Some(s), _) => s.carried(floor),
            (
                None,
                Mode::Provisioned {
                    read_units,
                    write_units,
                },
            ) => {
                let units = match side {
                    Side::Read => read_units,
                    Side::Write => write_units,
                };
                let half = units.saturating_mul(super::bucket::MICROS_PER_UNIT as u64) / 2;
                fresh.carried(floor.max(half))
            }
            (None, Mode::OnDemand { .. }) => continue,
        };
        match side {
            Side::Read => new.scale_read = Some(carried),
            Side::Write => new.scale_write = Some(carried),
        }
    }
}

/// Where a read goes, for routing and for the partition view's heaviest keys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReadAt<'a> {
    /// The partition-key hash (where a Scan page starts: 0 from a table's start).
    pub(crate) hash: u64,
    /// The item key's position (the key's bytes after the table id), when the read
    /// starts at one: routing within an item collection split on its sort key.
    pub(crate) position: Option<&'a [u8]>,
    /// The key read and its partition-key attribute's name (a GetItem's, not a Scan
    /// page's): labels the key in the partition view, asked for only when it enters.
    pub(crate) key: Option<(&'a Item, &'a str)>,
}

/// A read admitted on one partition; charge it the units the read consumed.
#[derive(Debug)]
pub(crate) struct ReadGrant<'a> {
    state: StateRef<'a>,
    which: Which,
    /// Where the read went, kept only when the partition counts its keys' heat (read at
    /// admission while the partition's line was in cache): a read that consumed no more
    /// than its least units, on a partition that does not count, touches no admission
    /// state again, and admission copies nothing for it.
    counted_at: Option<ReadAt<'a>>,
    partition: usize,
    /// Taken when it was admitted: the charge is taken as of then, so that a read's
    /// decision and charge depend on one clock reading.
    decision: Decision,
    /// What admission charged already (the read's least units).
    charged_micros: i64,
}

impl ReadGrant<'_> {
    /// Charges what the read consumed, `units` (RCU, possibly fractional), beyond what
    /// admission charged already.
    pub(crate) fn charge(&self, units: f64) {
        let micros = units_to_micros(units);
        let rest = micros - self.charged_micros;
        if rest <= 0 && self.counted_at.is_none() {
            return;
        }
        let res = self.state.resource(self.which);
        if rest > 0 {
            charge(
                &Target::of(res, Side::Read, self.partition),
                &self.decision,
                rest,
            );
        }
        if let Some(at) = &self.counted_at {
            count_heat(res, self.partition, at, micros);
        }
    }
}

/// Counts a read's key in its partition's heat. Out of line: it runs only when something
/// reads the counts, and its key label (JSON) should not weigh on the read path's code.
#[cold]
#[inline(never)]
fn count_heat(res: &Resource, partition: usize, at: &ReadAt<'_>, micros: i64) {
    res.partitions[partition]
        .read
        .heat
        .consumed(at.hash, at.position, micros, label(at.key));
}
