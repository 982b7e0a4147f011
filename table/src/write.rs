//! The one write path. Every item write goes through [`write_items`]: PutItem,
//! UpdateItem, DeleteItem (`crate::items`), each BatchWriteItem request
//! (`crate::batch`), TTL deletes (`crate::worker`), restores and imports, and
//! TransactWriteItems (`crate::transact`, through [`write_transaction`]).
//!
//! A write is a set of items (one today; several for a transaction), each with a
//! mutation that sees the current item and returns the new one. [`write_items`] locks
//! the set, reads, decides, validates, then builds **one** backend [`WriteBatch`] holding
//! the base puts/deletes and every derived write, produced by the [`HOOKS`] in a fixed
//! order, and commits it. Adding a feature that must follow every write (stream records,
//! capacity accounting) means adding a [`Hook`], not a second path.

use std::collections::BTreeMap;

use crate::capacity::admission::{Demand, StateRef, Which};
use crate::capacity::{self, bucket::units_to_micros};
use crate::catalog::{KeyValues, TableDef};
use crate::core::{Catalog, Core};
use crate::error::{Error, ValidationError};
use crate::gsi_queue;
use crate::keys::{composite_pk_hash, entry_key, header_hash, key_position, partition_prefix};
use crate::secondary_index::{self, collection_size_key, decode_collection_size};
use crate::stored::{decode_stored, encode_stored};
use crate::streams;
use crate::txn_claims::Claim;
use crate::types::{item_size_bytes, validate_item, AttributeValue, Item, TypeError};
use shale_engine::{BatchOp, WriteBatch};

/// Most items one write changes atomically (DynamoDB's TransactWriteItems limit).
pub(crate) const MAX_ITEMS_PER_WRITE: usize = 100;

/// An item's mutation: sees the current item (`None` when absent, or when not read: see
/// [`ItemWrite::needs_old`]) and returns the new one (`None` deletes). Its error aborts
/// the whole write.
pub(crate) type Mutation<'a> = Box<dyn FnOnce(Option<&Item>) -> Result<Option<Item>, Error> + 'a>;

/// One item of a write.
pub(crate) struct ItemWrite<'a> {
    /// The table's definition, as found in the catalog the caller holds locked.
    pub(crate) def: &'a TableDef,
    /// The item's key.
    pub(crate) key: &'a KeyValues,
    /// Whether the mutation or the caller needs the current item (conditions,
    /// ReturnValues, capacity). Tables with indexes always read it; otherwise a blind
    /// write skips the read, and `old` in the outcome is `None`.
    pub(crate) needs_old: bool,
    /// How the item changes.
    pub(crate) mutation: Mutation<'a>,
    /// A condition check (TransactWriteItems' ConditionCheck): the mutation's error
    /// aborts the write, its item is ignored, and the item is left as it is.
    pub(crate) check_only: bool,
    /// Whether the write consumes the table's write capacity ([`Hook::Capacity`]). Only
    /// the service's own writes do not: TTL deletes, restores and imports (DynamoDB
    /// charges none of them to the table's throughput).
    pub(crate) charged: bool,
    /// Whether the TTL sweeper makes this write: its stream record names the service
    /// as the user identity, as DynamoDB's TTL deletions do.
    pub(crate) by_ttl: bool,
    /// Whether an update expression makes the new item: an item grown past 400 KB then
    /// gets UpdateItem's wording ([`TypeError::UpdatedItemTooLarge`]).
    pub(crate) update: bool,
}

impl<'a> ItemWrite<'a> {
    /// One item of a write.
    pub(crate) fn new(
        def: &'a TableDef,
        key: &'a KeyValues,
        needs_old: bool,
        mutation: impl FnOnce(Option<&Item>) -> Result<Option<Item>, Error> + 'a,
    ) -> ItemWrite<'a> {
        ItemWrite {
            def,
            key,
            needs_old,
            mutation: Box::new(mutation),
            check_only: false,
            charged: true,
            by_ttl: false,
            update: false,
        }
    }

    /// This write, consuming no write capacity (see [`ItemWrite::charged`]).
    pub(crate) fn uncharged(mut self) -> ItemWrite<'a> {
        self.charged = false;
        self
    }

    /// This write, as the TTL sweeper's (see [`ItemWrite::by_ttl`]).
    pub(crate) fn by_ttl(mut self) -> ItemWrite<'a> {
        self.by_ttl = true;
        self
    }

    /// This write, an update expression's (see [`ItemWrite::update`]).
    pub(crate) fn by_update(mut self) -> ItemWrite<'a> {
        self.update = true;
        self
    }

    /// A check of one item that the write leaves unchanged: `check` sees the current
    /// item, and its error aborts the write.
    pub(crate) fn check(
        def: &'a TableDef,
        key: &'a KeyValues,
        check: impl FnOnce(Option<&Item>) -> Result<(), Error> + 'a,
    ) -> ItemWrite<'a> {
        ItemWrite {
            def,
            key,
            needs_old: true,
            mutation: Box::new(move |old| check(old).map(|()| None)),
            check_only: true,
            charged: true,
            by_ttl: false,
            update: false,
        }
    }
}

/// How a transaction's write failed: nothing was committed.
#[derive(Debug)]
pub(crate) enum TxnFailure {
    /// Per item, in order: its mutation's or validation's error (`None`: it passed).
    /// Every item was decided, so each failing one is named.
    Items(Vec<Option<Error>>),
    /// The write as a whole: a hook's rejection (item-collection size) or storage.
    Whole(Error),
}

/// What a write did to one item.
#[derive(Debug)]
pub(crate) struct WriteOutcome {
    /// The item before (`None` when absent, or not read).
    pub old: Option<Item>,
    /// The item after (`None` when deleted or left absent).
    pub new: Option<Item>,
}

/// The derived-write steps, run by [`write_items`] in the order of [`HOOKS`].
///
/// Every hook sees all changed items of the write (after their mutations and
/// validation, before commit, under the write's locks) and may:
/// - add puts/deletes to the write's batch, on keys no other step writes (never a base
///   item's key; debug builds check that no key is written twice);
/// - read the backend's latest state of keys the write's locks protect;
/// - reject the whole write with an error: nothing is committed then.
///
/// A hook never commits, never takes another lock, and leaves in-memory side effects
/// (sequence numbers) to the steps after every step that may reject, so a rejected write
/// leaves nothing but, at worst, a harmless sequence gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    /// LSI entries (synchronous indexes, so LSI reads are strongly consistent), and the
    /// bytes they add to each item collection.
    LsiEntries,
    /// Item-collection sizes of tables with LSIs, per partition; rejects a write that
    /// grows one past `DatabaseOptions::item_collection_limit_bytes`.
    CollectionSizes,
    /// Write-capacity admission (`crate::capacity::admission`): charges each item's write
    /// units (twice for a transaction) to its table partition's bucket, and each GSI
    /// entry change to the GSI partition's bucket; rejects the whole write with
    /// ProvisionedThroughputExceeded (or Throttling, on demand) when any refuses, so a
    /// GSI out of capacity back-pressures its base table. It may reject, so it runs
    /// before any step that allocates a sequence number. Skipped when enforcement is off.
    Capacity,
    /// One GSI maintenance record per changed item whose GSI entries change (allocates
    /// queue sequence numbers; the worker is woken after commit).
    GsiQueue,
    /// One change record per changed item of a table whose stream is enabled
    /// (`crate::streams::change`), as log data in the write's batch: the commit log's
    /// order is the stream's, so it allocates nothing. An item read and left as it was
    /// (a condition check, an identical put) logs none.
    StreamRecords,
}

/// The hooks, in the order every write runs them.
pub(crate) const HOOKS: [Hook; 5] = [
    Hook::LsiEntries,
    Hook::CollectionSizes,
    Hook::Capacity,
    Hook::GsiQueue,
    Hook::StreamRecords,
];

/// Where one item of a write lives.
struct Located {
    item_key: Vec<u8>,
    /// The partition prefix, for tables with LSIs: they lock and size whole partitions.
    partition: Option<Vec<u8>>,
    /// Whether the current item is read (see [`ItemWrite::needs_old`]).
    read_old: bool,
}

impl Located {
    fn lock_key(&self) -> &[u8] {
        self.partition.as_deref().unwrap_or(&self.item_key)
    }
}

/// One item's change, as the hooks see it.
struct Change<'a> {
    def: &'a TableDef,
    item_key: Vec<u8>,
    partition: Option<Vec<u8>>,
    old: Option<Item>,
    new: Option<Item>,
    /// The new item's size by DynamoDB's rules (0 when deleted).
    new_size: usize,
    /// Nothing to write: the delete of an item read and found absent, or a condition
    /// check (then `new` is `old`).
    unchanged: bool,
    /// Whether the old item was read (`old` is `None` either because there is none or,
    /// when this is false, because nobody needed it: a blind put or delete).
    old_read: bool,
    /// See [`ItemWrite::charged`].
    charged: bool,
    /// See [`ItemWrite::by_ttl`].
    by_ttl: bool,
}

/// What the hooks pass on: to later hooks, and to the after-commit step.
struct Derived {
    /// Per change: the bytes its LSI entries add to its item collection.
    lsi_bytes: Vec<i64>,
    /// GSI maintenance records queued.
    gsi_records: usize,
    /// The queue claim of a write that queued records, held until its batch is committed
    /// (the worker drains nothing past a record that may still commit).
    queue_claim: Option<gsi_queue::InFlight>,
    /// Stream change records logged.
    stream_records: usize,
}

/// Applies `writes` atomically: every item changes, or (on any error) none does.
///
/// Steps, in order:
/// 1. check the set: 1 to [`MAX_ITEMS_PER_WRITE`] items, no item twice;
/// 2. lock the set: the key of each item (of its partition, for tables with LSIs) in
///    ascending key order, each once (`crate::item_locks`), so writes over overlapping
///    sets cannot deadlock, and writes of other keys never wait;
/// 3. conflicts: a write that is not a transaction fails with TransactionConflict if
///    a transaction in flight has claimed one of its items (`crate::txn_claims`),
///    checked before step 2 (so it does not wait for that transaction) and again after;
/// 4. per item, in the given order: read the current item, run its mutation, validate
///    the new item (attribute rules, 400 KB, key and index-key types);
/// 5. build one [`WriteBatch`]: the base puts/deletes, then the [`HOOKS`] in order
///    (LSI entries → item-collection sizes → capacity admission → GSI queue → stream
///    records);
/// 6. commit the batch (skipped when it is empty: deletes of absent items, checks);
/// 7. after commit, wake the worker if GSI records were queued, and stream consumers if
///    change records were logged.
///
/// Invariants:
/// - atomic: the base writes and every derived write commit in one batch, so a crash
///   leaves all or none; an error in steps 1–6 leaves the backend unchanged;
/// - isolated per item: the locks are held from the read to the commit, so two writes of
///   one item (or partition) never interleave, and an item's GSI records are queued in
///   its write order;
/// - the definitions are current: the caller holds the catalog lock (`held`) from looking
///   the definitions up until this returns, so no control-plane change interleaves (a new
///   GSI sees this write either in its backfill snapshot or as a queued record).
///
/// # Errors
/// LimitExceeded (too many items), ValidationException (an item twice, key or item
/// validation), TransactionConflict, whatever a mutation returns,
/// ItemCollectionSizeLimitExceeded, ProvisionedThroughputExceeded or Throttling (over
/// capacity), storage failure.
pub(crate) fn write_items(
    core: &Core,
    held: &Catalog,
    writes: Vec<ItemWrite<'_>>,
) -> Result<Vec<WriteOutcome>, Error> {
    apply(core, held, writes, None, Vec::new()).map_err(|f| match f {
        TxnFailure::Whole(e) => e,
        // Only transactions decide past a failure; keep the first error anyway.
        TxnFailure::Items(errors) => errors
            .into_iter()
            .flatten()
            .next()
            .unwrap_or(Error::ConditionalCheckFailed { item: None }),
    })
}

/// [`write_items`] for a transaction holding `claim` on every item of `writes`: the
/// same steps, except that step 3 is the claim itself (taken by the caller before any
/// lock), step 4 decides every item even after one fails, so each failure is reported in
/// its position, and `extra` (the transaction's client-token record, `crate::client_tokens`)
/// is added to the batch after the hooks' writes, so it commits with the items.
///
/// # Errors
/// [`TxnFailure::Items`] when any item's mutation or validation failed;
/// [`TxnFailure::Whole`] for the other errors of [`write_items`].
pub(crate) fn write_transaction(
    core: &Core,
    held: &Catalog,
    writes: Vec<ItemWrite<'_>>,
    claim: &Claim<'_>,
    extra: Vec<BatchOp>,
) -> Result<Vec<WriteOutcome>, TxnFailure> {
    apply(core, held, writes, Some(claim), extra)
}

fn apply(
    core: &Core,
    held: &Catalog,
    writes: Vec<ItemWrite<'_>>,
    claim: Option<&Claim<'_>>,
    extra: Vec<BatchOp>,
) -> Result<Vec<WriteOutcome>, TxnFailure> {
    check_set(held, &writes).map_err(TxnFailure::Whole)?;
    let located = writes
        .iter()
        .map(locate)
        .collect::<Result<Vec<_>, _>>()
        .map_err(TxnFailure::Whole)?;
    check_distinct(&located).map_err(TxnFailure::Whole)?;
    let claimed = |located: &[Located]| {
        claim.is_none()
            && located
                .iter()
                .any(|l| core.txn_claims.is_claimed(&l.item_key))
    };
    // Before the locks: an item a transaction holds fails the write at once, rather
    // than after waiting for the transaction's lock.
    if claimed(&located) {
        return Err(TxnFailure::Whole(Error::TransactionConflict));
    }
    let _locks = core.item_locks.lock(located.iter().map(Located::lock_key));
    match claim {
        // Again under the locks: a transaction that claimed the item since the check
        // above either holds its lock now (it commits first, and we report the
        // conflict) or waits for it (it reads what we commit). Either order is
        // serializable; the locks, not the claims, keep the items consistent.
        None => {
            if claimed(&located) {
                return Err(TxnFailure::Whole(Error::TransactionConflict));
            }
        }
        Some(c) => debug_assert!(
            located.iter().all(|l| c.holds(&l.item_key)),
            "a transaction claims every item it writes"
        ),
    }
    let mut changes = Vec::with_capacity(writes.len());
    let mut errors: Vec<Option<Error>> = Vec::with_capacity(writes.len());
    for (write, at) in writes.into_iter().zip(located) {
        match decide(core, write, at) {
            Ok(c) => {
                changes.push(c);
                errors.push(None);
            }
            Err(e) if claim.is_none() => return Err(TxnFailure::Whole(e)),
            Err(e) => errors.push(Some(e)),
        }
    }
    if errors.iter().any(Option::is_some) {
        charge_cancelled_prepare(core, &changes);
        return Err(TxnFailure::Items(errors));
    }
    let mut batch = WriteBatch::new();
    for c in &changes {
        base_write(c, &mut batch).map_err(TxnFailure::Whole)?;
    }
    let transactional = claim.is_some();
    let derived =
        run_hooks(core, &changes, transactional, &mut batch).map_err(TxnFailure::Whole)?;
    for op in extra {
        batch.push(op);
    }
    debug_assert_distinct_keys(&batch);
    if !batch.is_empty() {
        core.backend
            .write(batch)
            .map_err(|e| TxnFailure::Whole(e.into()))?;
    }
    after_commit(core, &derived);
    Ok(changes
        .into_iter()
        .map(|c| WriteOutcome {
            old: c.old,
            new: c.new,
        })
        .collect())
}

/// [`write_items`] for a single item.
///
/// # Errors
/// As [`write_items`].
pub(crate) fn write_item(
    core: &Core,
    held: &Catalog,
    write: ItemWrite<'_>,
) -> Result<WriteOutcome, Error> {
    let mut outcomes = write_items(core, held, vec![write])?;
    debug_assert_eq!(outcomes.len(), 1);
    // An invariant, not an input check: write_items returns one outcome per item.
    Ok(outcomes.pop().expect("one outcome per item written"))
}

/// Puts whole, already validated items (at most [`MAX_ITEMS_PER_WRITE`]) into `table`
/// through [`write_items`]: the bulk writes of restores and imports, which consume no
/// write capacity (as in DynamoDB). `read_old` reads each
/// current item first (a resumed restore rewrites items it may have copied; tables with
/// indexes always read it).
///
/// # Errors
/// As [`write_items`]; ResourceNotFound if the table is gone.
pub(crate) fn put_items<'a>(
    core: &Core,
    table: &str,
    items: impl IntoIterator<Item = (&'a KeyValues, &'a Item)>,
    read_old: bool,
) -> Result<(), Error> {
    let cat = core.catalog.read();
    let def = cat
        .tables
        .get(table)
        .cloned()
        .ok_or_else(|| Error::named_table_not_found(table))?;
    let writes = items
        .into_iter()
        .map(|(key, item)| {
            ItemWrite::new(&def, key, read_old, move |_| Ok(Some(item.clone()))).uncharged()
        })
        .collect();
    write_items(core, &cat, writes)?;
    Ok(())
}

/// Validates a whole new item: attribute rules, the 400 KB limit, and every
/// secondary-index key (types, sizes; GSIs are updated later, so an invalid index key
/// must be rejected before the write is acknowledged). Returns the item's size.
///
/// # Errors
/// ValidationException.
pub(crate) fn validate_new_item(def: &TableDef, item: &Item) -> Result<usize, Error> {
    let size = validate_item(item)?;
    secondary_index::check_index_keys(def, item)?;
    Ok(size)
}

fn check_set(held: &Catalog, writes: &[ItemWrite<'_>]) -> Result<(), Error> {
    if writes.is_empty() || writes.len() > MAX_ITEMS_PER_WRITE {
        return Err(Error::LimitExceeded {
            what: "items per write",
            limit: MAX_ITEMS_PER_WRITE as u64,
        });
    }
    debug_assert!(
        writes.iter().all(|w| held
            .tables
            .get(&w.def.name)
            .is_some_and(|t| std::ptr::eq(t.as_ref(), w.def))),
        "a write's definition must be the current one of the catalog the caller holds"
    );
    Ok(())
}

fn locate(w: &ItemWrite<'_>) -> Result<Located, Error> {
    let def = w.def;
    Ok(Located {
        item_key: entry_key(def.id, &w.key.pk, w.key.sk.as_ref())?,
        partition: if def.lsis.is_empty() {
            None
        } else {
            Some(partition_prefix(def.id, &w.key.pk)?)
        },
        // A stream needs the old item: for its event name, its old image, and to log
        // nothing for a write that changes nothing.
        read_old: w.needs_old
            || !def.lsis.is_empty()
            || !def.gsis.is_empty()
            || streams::active(def).is_some(),
    })
}

fn check_distinct(located: &[Located]) -> Result<(), Error> {
    if located.len() < 2 {
        return Ok(());
    }
    let mut keys: Vec<&[u8]> = located.iter().map(|l| l.item_key.as_slice()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(ValidationError::DuplicateKeys.into());
    }
    Ok(())
}

/// Step 3 for one item: read, mutate, validate.
fn decide<'a>(core: &Core, write: ItemWrite<'a>, at: Located) -> Result<Change<'a>, Error> {
    let stored = if at.read_old {
        core.backend.get(&at.item_key, None)?
    } else {
        None
    };
    let old = match stored {
        Some(v) => Some(decode_stored(&at.item_key, &v)?),
        None => None,
    };
    let charged = write.charged;
    let new = match (write.mutation)(old.as_ref()) {
        Ok(new) => new,
        Err(e @ Error::ConditionalCheckFailed { .. }) => {
            if charged {
                charge_unwritten(core, write.def, &at.item_key, old.as_ref());
            }
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let by_ttl = write.by_ttl;
    if write.check_only {
        return Ok(Change {
            unchanged: true,
            old_read: at.read_old,
            charged,
            by_ttl,
            def: write.def,
            item_key: at.item_key,
            partition: at.partition,
            new: old.clone(),
            old,
            new_size: 0,
        });
    }
    let new_size = match &new {
        Some(n) => validate_new_item(write.def, n).map_err(|e| match e {
            Error::Validation(ValidationError::Type(TypeError::ItemTooLarge { size, max }))
                if write.update =>
            {
                TypeError::UpdatedItemTooLarge { size, max }.into()
            }
            other => other,
        })?,
        None => 0,
    };
    Ok(Change {
        unchanged: new.is_none() && at.read_old && old.is_none(),
        old_read: at.read_old,
        charged,
        by_ttl,
        def: write.def,
        item_key: at.item_key,
        partition: at.partition,
        old,
        new,
        new_size,
    })
}

/// A cancelled transaction still consumes write capacity for the prepare phase it ran:
/// DynamoDB "performs two underlying reads or writes of every item in the transaction:
/// one to prepare the transaction and one to commit the transaction" (developer guide,
/// capacity management for transactions), and a cancelled one never commits. The
/// developer guide says nothing more about cancelled transactions, so Shale charges
/// each item its prepare, one write of the item as it is (see [`charge_unwritten`]):
/// the items whose condition failed in [`decide`], and here the ones that passed. A
/// transaction refused whole (a conflict, a throttle) prepared nothing and pays nothing.
fn charge_cancelled_prepare(core: &Core, prepared: &[Change<'_>]) {
    for c in prepared.iter().filter(|c| c.charged) {
        charge_unwritten(core, c.def, &c.item_key, c.old.as_ref());
    }
}

/// A conditional write whose condition failed still consumes write capacity, as in
/// DynamoDB: "the amount consumed is dependent on the size of the existing item (or a
/// minimum of 1)" (developer guide, condition expressions); so does each item of a
/// cancelled transaction's prepare phase ([`charge_cancelled_prepare`]). It is charged
/// to the item's table partition after the fact, into debt if need be; nothing is
/// refused for it.
fn charge_unwritten(core: &Core, def: &TableDef, item_key: &[u8], old: Option<&Item>) {
    let admission = &core.admission;
    if !admission.enforcing() {
        return;
    }
    let units = capacity::write_units(old.map_or(0, item_size_bytes)).max(1.0);
    let state = admission.state(def);
    admission.charge_write(
        &state,
        header_hash(item_key),
        key_position(item_key),
        units_to_micros(units),
    );
}

fn base_write(c: &Change<'_>, batch: &mut WriteBatch) -> Result<(), Error> {
    if c.unchanged {
        return Ok(());
    }
    match &c.new {
        Some(n) => {
            batch.put(c.item_key.clone(), encode_stored(n, c.new_size)?);
        }
        None => {
            batch.delete(c.item_key.clone());
        }
    }
    Ok(())
}

/// Step 4: the derived writes, hook by hook, in [`HOOKS`] order.
fn run_hooks(
    core: &Core,
    changes: &[Change<'_>],
    transactional: bool,
    batch: &mut WriteBatch,
) -> Result<Derived, Error> {
    let mut derived = Derived {
        lsi_bytes: vec![0; changes.len()],
        gsi_records: 0,
        queue_claim: None,
        stream_records: 0,
    };
    for hook in HOOKS {
        match hook {
            Hook::LsiEntries => lsi_entries(changes, &mut derived, batch)?,
            Hook::CollectionSizes => collection_sizes(core, changes, &derived, batch)?,
            Hook::Capacity => admit_capacity(core, changes, transactional)?,
            Hook::GsiQueue => gsi_queue_records(core, changes, &mut derived, batch)?,
            Hook::StreamRecords => stream_records(changes, &mut derived, batch)?,
        }
    }
    Ok(derived)
}

/// [`Hook::LsiEntries`].
fn lsi_entries(
    changes: &[Change<'_>],
    derived: &mut Derived,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    for (c, bytes) in changes.iter().zip(&mut derived.lsi_bytes) {
        // Tables with LSIs, and only they, have a partition.
        if c.partition.is_some() && !c.unchanged {
            *bytes = secondary_index::lsi_changes(c.def, c.old.as_ref(), c.new.as_ref(), batch)?;
        }
    }
    Ok(())
}

/// [`Hook::CollectionSizes`]: one size update per partition the write touches (several
/// items of one write may share a partition; their deltas add up).
fn collection_sizes(
    core: &Core,
    changes: &[Change<'_>],
    derived: &Derived,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    let mut deltas: BTreeMap<Vec<u8>, (i64, &TableDef)> = BTreeMap::new();
    for (c, lsi_bytes) in changes.iter().zip(&derived.lsi_bytes) {
        let Some(partition) = &c.partition else {
            continue;
        };
        if c.unchanged {
            continue;
        }
        let base_bytes = c.new.as_ref().map_or(0, |n| item_size_bytes(n) as i64)
            - c.old.as_ref().map_or(0, |o| item_size_bytes(o) as i64);
        let entry = deltas
            .entry(collection_size_key(c.def, partition))
            .or_insert((0, c.def));
        entry.0 += lsi_bytes + base_bytes;
    }
    let limit_bytes = core.opts.item_collection_limit_bytes;
    for (size_key, (delta, def)) in deltas {
        let current = match core.backend.get(&size_key, None)? {
            Some(v) => decode_collection_size(&size_key, &v)?,
            None => 0,
        };
        let updated = current.saturating_add_signed(delta);
        if delta > 0 && updated > limit_bytes {
            return Err(Error::ItemCollectionSizeLimitExceeded {
                table_name: def.name.clone(),
                size_bytes: updated,
                limit_bytes,
            });
        }
        if updated == 0 {
            batch.delete(size_key);
        } else {
            batch.put(size_key, updated.to_be_bytes().to_vec());
        }
    }
    Ok(())
}

/// [`Hook::Capacity`]. Every item is charged what `capacity::write_charge` reports for it
/// (the single source of units): its table units and its LSI units (LSIs share the
/// table's throughput) on the table partition owning its key, each GSI's units on the
/// GSI partition owning the new entry's partition key (the old entry's, for a delete).
/// A condition check and the delete of an absent item cost what DynamoDB reports for
/// them, as every item does.
fn admit_capacity(core: &Core, changes: &[Change<'_>], transactional: bool) -> Result<(), Error> {
    if !core.admission.enforcing() {
        return Ok(());
    }
    admit_enforced(core, changes, transactional)
}

/// [`admit_capacity`] with enforcement on. Out of line, so that the write path does not
/// carry admission's stack frame when enforcement is off.
#[inline(never)]
fn admit_enforced(core: &Core, changes: &[Change<'_>], transactional: bool) -> Result<(), Error> {
    let admission = &core.admission;
    // Transactions cost twice (DynamoDB: two underlying reads or writes per item).
    let factor = if transactional { 2.0 } else { 1.0 };
    if let [c] = changes {
        if c.charged && c.def.gsis.is_empty() && c.def.lsis.is_empty() {
            let state = admission.state(c.def);
            let hash = header_hash(&c.item_key);
            let position = key_position(&c.item_key);
            let (units, old_size) = index_free_units(c);
            let demand = Demand {
                which: Which::Table,
                hash,
                position,
                partition: state.table.partition_of_key(hash, position),
                micros: units_to_micros(units * factor),
                key: partition_key_of(c),
            };
            admission.admit_one_write(&state, &demand)?;
            state.growth.add(growth_of(c, old_size));
            return Ok(());
        }
    }
    let mut per_table: Vec<(StateRef<'_>, Vec<Demand<'_>>, i64)> = Vec::new();
    for c in changes {
        let at = match per_table
            .iter()
            .position(|(s, _, _)| s.table_name == c.def.name)
        {
            Some(i) => i,
            None => {
                per_table.push((admission.state(c.def), Vec::new(), 0));
                per_table.len() - 1
            }
        };
        let (state, demands, growth) = &mut per_table[at];
        if !c.charged {
            // Uncharged writes (TTL's deletes) still change the table's size.
            let old_size = c.old.as_ref().map_or(0, item_size_bytes);
            *growth += growth_of(c, old_size);
            continue;
        }
        let table_hash = header_hash(&c.item_key);
        let position = key_position(&c.item_key);
        let table_partition = state.table.partition_of_key(table_hash, position);
        if c.def.gsis.is_empty() && c.def.lsis.is_empty() {
            let (units, old_size) = index_free_units(c);
            *growth += growth_of(c, old_size);
            demands.push(Demand {
                which: Which::Table,
                hash: table_hash,
                position,
                partition: table_partition,
                micros: units_to_micros(units * factor),
                key: partition_key_of(c),
            });
            continue;
        }
        // Each item's size once: for the growth and for the charge.
        let old_size = c.old.as_ref().map_or(0, item_size_bytes);
        *growth += growth_of(c, old_size);
        let charge = capacity::write_charge_sized(
            c.def,
            c.old.as_ref(),
            c.new.as_ref(),
            old_size.max(c.new_size),
        );
        debug_assert_eq!(
            charge.total(),
            capacity::write_charge(c.def, c.old.as_ref(), c.new.as_ref()).total()
        );
        let table_units = charge.table + charge.lsis.values().sum::<f64>();
        demands.push(Demand {
            which: Which::Table,
            hash: table_hash,
            position,
            partition: table_partition,
            micros: units_to_micros(table_units * factor),
            key: partition_key_of(c),
        });
        for (name, units) in &charge.gsis {
            let (Some(i), Some(g)) = (state.gsi(name), c.def.gsis.iter().find(|g| g.name == *name))
            else {
                continue;
            };
            let entry_of = c.new.as_ref().or(c.old.as_ref());
            // Every partition-key attribute of the GSI (one, or up to four): an item
            // lacking one has no entry there.
            let pks: Option<Vec<AttributeValue>> = g
                .key
                .partition_attrs()
                .map(|a| entry_of.and_then(|item| item.get(&a.name)).cloned())
                .collect();
            let Some(pks) = pks else {
                continue;
            };
            let hash = composite_pk_hash(&pks)?;
            demands.push(Demand {
                which: Which::Gsi(i),
                hash,
                position: None,
                partition: state.gsis[i].1.partition_of(hash),
                micros: units_to_micros(units * factor),
                key: entry_of.map(|item| (item, g.key.hash.name.as_str())),
            });
        }
    }
    let mut demands_per_table = Vec::with_capacity(per_table.len());
    let mut growths = Vec::with_capacity(per_table.len());
    for (state, mut demands, growth) in per_table {
        merge_demands(&mut demands);
        growths.push(growth);
        demands_per_table.push((state, demands));
    }
    admission.admit_writes(&demands_per_table)?;
    for ((state, _), growth) in demands_per_table.iter().zip(growths) {
        state.growth.add(growth);
    }
    Ok(())
}

/// At most how much `c` grows its table, in DynamoDB item bytes, given its old item's
/// size: the new size less the old one's. A blind write (its old item not read) may
/// replace an item of any size, so it counts as if there were none: a blind put its
/// whole new size, a blind delete nothing. An unchanged item (a condition check, the
/// delete of an absent item): nothing. (`capacity::admission::Growth` is an upper bound,
/// for that reason.)
fn growth_of(c: &Change<'_>, old_size: usize) -> i64 {
    if c.unchanged {
        return 0;
    }
    let new_size = if c.new.is_some() { c.new_size } else { 0 };
    let old_size = if c.old_read { old_size } else { 0 };
    i64::try_from(new_size).unwrap_or(i64::MAX) - i64::try_from(old_size).unwrap_or(i64::MAX)
}

/// A change's item and its partition-key attribute's name, for the partition view's
/// heaviest keys.
fn partition_key_of<'a>(c: &'a Change<'_>) -> Option<(&'a Item, &'a str)> {
    c.new
        .as_ref()
        .or(c.old.as_ref())
        .map(|item| (item, c.def.key.hash.name.as_str()))
}

/// `capacity::write_charge` of a change to a table without indexes, with the new item's
/// size already measured by validation; and the old item's size.
fn index_free_units(c: &Change<'_>) -> (f64, usize) {
    let old_size = c.old.as_ref().map_or(0, item_size_bytes);
    let units = capacity::write_units(old_size.max(c.new_size));
    debug_assert_eq!(
        units,
        capacity::write_charge(c.def, c.old.as_ref(), c.new.as_ref()).total()
    );
    (units, old_size)
}

/// One demand per key and bucket: sorted, and the micro-units of each key's demands
/// summed.
fn merge_demands(demands: &mut Vec<Demand<'_>>) {
    demands.sort_unstable_by_key(|d| (d.which, d.partition, d.hash));
    demands.dedup_by(|later, kept| {
        // One demand per key (not per bucket), so the partition's heat sees each key.
        let same = later.which == kept.which && later.hash == kept.hash;
        if same {
            kept.micros = kept.micros.saturating_add(later.micros);
        }
        same
    });
}

/// [`Hook::GsiQueue`].
fn gsi_queue_records(
    core: &Core,
    changes: &[Change<'_>],
    derived: &mut Derived,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    let mut last_key: Option<Vec<u8>> = None;
    for c in changes {
        if c.def.gsis.is_empty() || c.unchanged {
            continue;
        }
        let ops = secondary_index::gsi_ops(c.def, c.old.as_ref(), c.new.as_ref())?;
        if ops.is_empty() {
            continue;
        }
        if derived.queue_claim.is_none() {
            derived.queue_claim = Some(core.gsi_queue.begin());
        }
        let key = core.gsi_queue.next_key();
        debug_assert!(
            last_key.as_ref().is_none_or(|l| *l < key),
            "queue keys of one write increase"
        );
        batch.put(key.clone(), gsi_queue::encode_record(&ops));
        last_key = Some(key);
        derived.gsi_records += 1;
    }
    Ok(())
}

/// [`Hook::StreamRecords`].
fn stream_records(
    changes: &[Change<'_>],
    derived: &mut Derived,
    batch: &mut WriteBatch,
) -> Result<(), Error> {
    for c in changes {
        let Some((stream, view)) = streams::active(c.def) else {
            continue;
        };
        if c.unchanged {
            continue;
        }
        let change = streams::change::Change::between(
            &c.def.key,
            view,
            c.old.as_ref(),
            c.new.as_ref(),
            c.by_ttl,
        );
        if let Some(change) = change {
            batch.log_data(change.encode(c.def.id, stream)?);
            derived.stream_records += 1;
        }
    }
    Ok(())
}

/// Step 7: wake the GSI worker if records were queued, and stream consumers if records
/// were logged.
fn after_commit(core: &Core, derived: &Derived) {
    if derived.stream_records > 0 {
        core.stream_wake.notify();
    }
    if derived.gsi_records > 0 {
        core.signal.notify();
    }
}

/// Debug builds: no key is written twice in one batch (a hook never touches a base item
/// or another hook's keys).
fn debug_assert_distinct_keys(batch: &WriteBatch) {
    if cfg!(debug_assertions) {
        let mut keys: Vec<&[u8]> = batch.ops().iter().filter_map(BatchOp::key).collect();
        keys.sort_unstable();
        debug_assert!(
            keys.windows(2).all(|w| w[0] != w[1]),
            "a write's batch writes a key twice"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::DatabaseOptions;
    use crate::shapes::{
        AttributeDefinition, BillingMode, CreateTableInput, KeySchemaElement, KeyType,
        LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType,
    };
    use crate::types::AttributeValue;
    use std::sync::Arc;

    /// A table `Tab` (pk, sk) with an LSI on `lsk`, over `shards` item-lock shards.
    fn lsi_table(shards: usize) -> Core {
        let core = Core::open(
            Arc::new(shale_engine::MemBackend::new()),
            DatabaseOptions {
                background_index_worker: false,
                lock_stripes: shards,
                ..DatabaseOptions::default()
            },
        )
        .unwrap();
        let attr = |name: &str| AttributeDefinition {
            attribute_name: name.into(),
            attribute_type: ScalarAttributeType::S,
        };
        let key = |name: &str, key_type| KeySchemaElement {
            attribute_name: name.into(),
            key_type,
        };
        crate::control::create_table(
            &core,
            CreateTableInput {
                table_name: "Tab".into(),
                attribute_definitions: vec![attr("pk"), attr("sk"), attr("lsk")],
                key_schema: vec![key("pk", KeyType::Hash), key("sk", KeyType::Range)],
                local_secondary_indexes: Some(vec![LocalSecondaryIndex {
                    index_name: "Lsi".into(),
                    key_schema: vec![key("pk", KeyType::Hash), key("lsk", KeyType::Range)],
                    projection: Projection {
                        projection_type: Some(ProjectionType::All),
                        non_key_attributes: None,
                    },
                }]),
                billing_mode: Some(BillingMode::PayPerRequest),
                ..Default::default()
            },
        )
        .unwrap();
        core
    }

    fn item(pk: &str, sk: &str) -> Item {
        let s = |v: &str| AttributeValue::S(v.into());
        Item::from([
            ("pk".to_string(), s(pk)),
            ("sk".to_string(), s(sk)),
            ("lsk".to_string(), s("x")),
        ])
    }

    fn key(pk: &str, sk: &str) -> KeyValues {
        KeyValues {
            pk: AttributeValue::S(pk.into()),
            sk: Some(AttributeValue::S(sk.into())),
        }
    }

    fn collection_size(core: &Core, def: &TableDef, pk: &str) -> u64 {
        let partition = partition_prefix(def.id, &AttributeValue::S(pk.into())).unwrap();
        let k = collection_size_key(def, &partition);
        core.backend
            .get(&k, None)
            .unwrap()
            .map_or(0, |v| decode_collection_size(&k, &v).unwrap())
    }

    #[test]
    fn one_write_of_several_items_shares_locks_and_sums_collection_sizes() {
        // Both items lock their shared partition: locking it twice would deadlock.
        let core = &lsi_table(1);
        let cat = core.catalog.read();
        let def = cat.tables["Tab"].clone();
        let (a, b) = (key("p", "a"), key("p", "b"));
        let writes = vec![
            ItemWrite::new(&def, &a, false, |_| Ok(Some(item("p", "a")))),
            ItemWrite::new(&def, &b, false, |_| Ok(Some(item("p", "b")))),
        ];
        let out = write_items(core, &cat, writes).unwrap();
        assert!(out.iter().all(|o| o.old.is_none() && o.new.is_some()));
        // Base item plus its LSI entry (projection ALL), for each item.
        let per_item = 2 * item_size_bytes(&item("p", "a")) as u64;
        assert_eq!(collection_size(core, &def, "p"), 2 * per_item);
    }

    #[test]
    fn a_failing_mutation_aborts_every_item_of_the_write() {
        let core = &lsi_table(8);
        let cat = core.catalog.read();
        let def = cat.tables["Tab"].clone();
        let (a, b) = (key("p", "a"), key("q", "b"));
        let writes = vec![
            ItemWrite::new(&def, &a, false, |_| Ok(Some(item("p", "a")))),
            ItemWrite::new(&def, &b, false, |_| {
                Err(Error::ConditionalCheckFailed { item: None })
            }),
        ];
        assert!(matches!(
            write_items(core, &cat, writes),
            Err(Error::ConditionalCheckFailed { .. })
        ));
        assert_eq!(
            crate::stored::read_item(core.backend.as_ref(), &def, &a).unwrap(),
            None
        );
        assert_eq!(collection_size(core, &def, "p"), 0);
    }

    #[test]
    fn an_item_twice_or_no_item_is_refused() {
        let core = &lsi_table(8);
        let cat = core.catalog.read();
        let def = cat.tables["Tab"].clone();
        let a = key("p", "a");
        let twice = vec![
            ItemWrite::new(&def, &a, false, |_| Ok(None)),
            ItemWrite::new(&def, &a, false, |_| Ok(None)),
        ];
        assert!(matches!(
            write_items(core, &cat, twice),
            Err(Error::Validation(ValidationError::DuplicateKeys))
        ));
        assert!(matches!(
            write_items(core, &cat, Vec::new()),
            Err(Error::LimitExceeded { .. })
        ));
    }
}
