//! TransactWriteItems and TransactGetItems.
//!
//! A TransactWriteItems is one call of the one write path ([`write_transaction`]) over
//! all its items: their base writes and every index update commit as one backend batch,
//! so a crash leaves the whole transaction or none of it. Before that call it claims its
//! items in the conflict detector (`crate::txn_claims`), without waiting: a transaction
//! that finds one of its items claimed by another is cancelled with
//! `TransactionConflict` there, and a single-item write that finds its item claimed fails
//! with TransactionConflictException. See `docs/transactions.md` for the design.
//!
//! A TransactGetItems reads all its items from one backend snapshot: every transaction
//! is one batch, so a snapshot sees each whole or not at all.
//!
//! Order of checks (DynamoDB's: input validation first, as one ValidationException for
//! the request; then the transaction runs and reports per action):
//! 1. the request: 1 to 100 actions, a token of at most 36 characters;
//! 2. the token (a replay returns the first result here);
//! 3. each action: exactly one kind, its table (ResourceNotFound), its key and item,
//!    its expressions; no item twice; the 4 MB total;
//! 4. the claims (TransactionConflict reasons);
//! 5. under the item locks: every condition and every new item (ConditionalCheckFailed
//!    and ValidationError reasons), then the item-collection sizes
//!    (ItemCollectionSizeLimitExceeded).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::capacity::admission::ReadAt;
use crate::capacity::{self, Charge};
use crate::catalog::{KeyValues, TableDef};
use crate::client_tokens::Begin;
use crate::core::Core;
use crate::error::{CancellationReason, Error, ValidationError};
use crate::exprs::{self, Compiled, ExprInputs};
use crate::item_collections;
use crate::items::{check_condition, update_mutation};
use crate::keys::{entry_key, header_hash, key_position};
use crate::shapes::{
    ConsumedCapacity, ItemCollectionMetrics, ItemResponse, ReturnConsumedCapacity,
    ReturnItemCollectionMetrics, ReturnValuesOnConditionCheckFailure, TransactGetItemsInput,
    TransactGetItemsOutput, TransactWriteItem, TransactWriteItemsInput, TransactWriteItemsOutput,
};
use crate::stored::decode_stored;
use crate::types::{item_size_bytes, Item};
use crate::write::{validate_new_item, write_transaction, ItemWrite, TxnFailure, WriteOutcome};
use shale_engine::BatchOp;

/// Most actions in one TransactWriteItems or TransactGetItems.
pub const MAX_TRANSACT_ITEMS: usize = 100;
/// Most bytes of items in one TransactWriteItems.
pub const MAX_TRANSACT_BYTES: usize = 4 * 1024 * 1024;
/// Longest ClientRequestToken.
pub const MAX_CLIENT_REQUEST_TOKEN_CHARS: usize = 36;

/// The message of a TransactionConflict reason (the text of TransactionConflictException).
const CONFLICT_MESSAGE: &str = "Transaction is ongoing for the item";

/// What one action does.
pub(crate) enum Kind {
    /// Put, subject to the condition.
    Put(Item),
    /// PartiQL's INSERT: a put that fails with DuplicateItem if the key exists.
    Insert(Item),
    /// Update (the compiled update expression), subject to the condition.
    Update {
        /// The key as given (the base of an update that creates the item).
        key_item: Item,
    },
    /// Delete, subject to the condition.
    Delete,
    /// PartiQL's DELETE: a missing item is left alone (no condition is evaluated).
    DeleteIfPresent,
    /// ConditionCheck (TransactWriteItems) or EXISTS (PartiQL).
    Check,
}

/// One validated action: the same for TransactWriteItems and ExecuteTransaction.
pub(crate) struct Action {
    pub(crate) def: Arc<TableDef>,
    pub(crate) key: KeyValues,
    pub(crate) kind: Kind,
    pub(crate) compiled: Compiled,
    pub(crate) on_fail: Option<ReturnValuesOnConditionCheckFailure>,
}

/// What the output of a committed write transaction reports.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Reporting {
    pub(crate) capacity: Option<ReturnConsumedCapacity>,
    pub(crate) collection_metrics: Option<ReturnItemCollectionMetrics>,
}

impl super::Database {
    /// TransactWriteItems: up to 100 Put, Update, Delete and ConditionCheck actions over
    /// any tables, all applied or none.
    ///
    /// # Errors
    /// ValidationException (request shape, keys, items, expressions, an item twice, the
    /// 4 MB limit), ResourceNotFound, TransactionCanceled (one reason per action:
    /// ConditionalCheckFailed, ValidationError, TransactionConflict,
    /// ItemCollectionSizeLimitExceeded), IdempotentParameterMismatch,
    /// TransactionInProgress, storage failure.
    pub fn transact_write_items(
        &self,
        input: TransactWriteItemsInput,
    ) -> Result<TransactWriteItemsOutput, Error> {
        check_count(input.transact_items.len())?;
        let tables: Vec<&str> = input.transact_items.iter().map(table_of).collect();
        with_token(
            &self.core,
            input.client_request_token.as_deref(),
            || fingerprint(&input),
            &tables,
            input.return_consumed_capacity,
            |token_ops| {
                let cat = self.core.catalog.read();
                let actions = plan(&self.core, &cat, &input)?;
                commit(
                    &self.core,
                    &cat,
                    &actions,
                    Reporting {
                        capacity: input.return_consumed_capacity,
                        collection_metrics: input.return_item_collection_metrics,
                    },
                    token_ops,
                )
            },
        )
    }

    /// TransactGetItems: up to 100 reads from one consistent snapshot.
    ///
    /// # Errors
    /// ValidationException (request shape, keys, projections, an item twice),
    /// ResourceNotFound, storage failure.
    pub fn transact_get_items(
        &self,
        input: TransactGetItemsInput,
    ) -> Result<TransactGetItemsOutput, Error> {
        check_count(input.transact_items.len())?;
        let core = &self.core;
        let mut reads = Vec::with_capacity(input.transact_items.len());
        let mut seen = Vec::with_capacity(input.transact_items.len());
        {
            let cat = core.catalog.read();
            for t in &input.transact_items {
                let get = &t.get;
                let def = core.table_for_items(&cat, &get.table_name)?;
                let key = def.key.exact_key(&get.key)?;
                let compiled = exprs::compile(ExprInputs {
                    projection: get.projection_expression.as_deref(),
                    names: get.expression_attribute_names.as_ref(),
                    ..ExprInputs::default()
                })?;
                let k = entry_key(def.id, &key.pk, key.sk.as_ref())?;
                seen.push(k.clone());
                reads.push((def, k, compiled, &get.key));
            }
        }
        check_distinct(seen)?;
        // Every read is admitted before any is done: a throttled transaction reads and
        // consumes nothing.
        let mut grants = Vec::with_capacity(reads.len());
        for (i, (def, k, _, key)) in reads.iter().enumerate() {
            // Nothing is charged at admission (no least units): an item throttled later in
            // the list must leave the ones before it uncharged. Each grant charges its
            // item's units once every item is admitted and read.
            let at = ReadAt {
                hash: header_hash(k),
                position: key_position(k),
                key: Some((*key, &def.key.hash.name)),
            };
            match core.admission.read(def, None, at, 0) {
                Ok(grant) => grants.push(grant),
                // DynamoDB cancels a transaction without the capacity for it, naming the
                // throttle in the throttled item's position.
                Err(e) => {
                    return Err(match throttle_reason(&e) {
                        Some(reason) => {
                            canceled((0..reads.len()).map(|j| (j == i).then(|| reason.clone())))
                        }
                        None => e,
                    })
                }
            }
        }
        let snapshot = core.backend.snapshot();
        let mut responses = Vec::with_capacity(reads.len());
        let mut charges: BTreeMap<String, (Charge, Arc<TableDef>)> = BTreeMap::new();
        for ((def, k, compiled, _), grant) in reads.iter().zip(grants) {
            let item = match core.backend.get(k, Some(&snapshot))? {
                Some(v) => Some(decode_stored(k, &v)?),
                None => None,
            };
            // A transactional read costs twice a strongly consistent one.
            let units = 2.0 * capacity::read_units(item.as_ref().map_or(0, item_size_bytes), true);
            if let Some(g) = grant {
                g.charge(units);
            }
            charges
                .entry(def.name.clone())
                .or_insert_with(|| (Charge::default(), def.clone()))
                .0
                .add(&Charge::table(units));
            responses.push(ItemResponse {
                item: item.map(|i| compiled.project_owned(i)),
            });
        }
        Ok(TransactGetItemsOutput {
            responses,
            consumed_capacity: report(charges, false, input.return_consumed_capacity),
        })
    }
}

fn check_count(n: usize) -> Result<(), Error> {
    if n == 0 {
        return Err(ValidationError::ListLength {
            field: "transactItems",
            constraint: "greater than or equal to 1",
        }
        .into());
    }
    if n > MAX_TRANSACT_ITEMS {
        return Err(ValidationError::ListLength {
            field: "transactItems",
            constraint: "less than or equal to 100",
        }
        .into());
    }
    Ok(())
}

fn check_distinct(mut keys: Vec<Vec<u8>>) -> Result<(), Error> {
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(ValidationError::TransactionItemTwice.into());
    }
    Ok(())
}

/// Runs a write transaction (`run`) under its ClientRequestToken, if it has one: a
/// replay within the window returns the first result (see `crate::client_tokens`).
/// `run` gets the token's record writes, to commit in the transaction's batch (none
/// without a token). `tables` names each action's table (for a replay's capacity).
///
/// # Errors
/// ValidationException for a bad token, IdempotentParameterMismatch,
/// TransactionInProgress, and whatever `run` returns.
pub(crate) fn with_token(
    core: &Core,
    token: Option<&str>,
    fingerprint: impl FnOnce() -> u128,
    tables: &[&str],
    capacity: Option<ReturnConsumedCapacity>,
    run: impl FnOnce(Vec<BatchOp>) -> Result<TransactWriteItemsOutput, Error>,
) -> Result<TransactWriteItemsOutput, Error> {
    let Some(token) = token else {
        return run(Vec::new());
    };
    if token.is_empty() || token.chars().count() > MAX_CLIENT_REQUEST_TOKEN_CHARS {
        return Err(ValidationError::ClientRequestTokenLength {
            value: token.to_owned(),
        }
        .into());
    }
    let now = core.opts.clock.now_micros();
    match core.client_tokens.begin(token, fingerprint(), now)? {
        Begin::Replay(first) => Ok(replayed(first, tables, capacity)),
        Begin::Run(ticket) => {
            // The window starts at the commit; the record is stamped just before it.
            let commit_micros = core.opts.clock.now_micros();
            let out = run(ticket.batch_ops(commit_micros))?;
            ticket.complete(&out, commit_micros);
            Ok(out)
        }
    }
}

/// A request's parameters other than its token, hashed with the operation's name: a
/// token reused with any other parameter (or by the other operation) is a mismatch.
pub(crate) fn fingerprint_of(operation: &str, bare: &impl serde::Serialize) -> u128 {
    // Serializing shapes of strings, maps and numbers cannot fail; an empty encoding
    // would only make every such request share one fingerprint.
    let mut bytes = operation.as_bytes().to_vec();
    bytes.extend(serde_json::to_vec(bare).unwrap_or_default());
    xxhash_rust::xxh3::xxh3_128(&bytes)
}

fn fingerprint(input: &TransactWriteItemsInput) -> u128 {
    let bare = TransactWriteItemsInput {
        client_request_token: None,
        ..input.clone()
    };
    fingerprint_of("TransactWriteItems", &bare)
}

/// A replay's answer: the first result, except its consumed capacity. DynamoDB reports
/// for a replay "the number of read capacity units consumed in reading the item"; Shale
/// reports one transactional read (2 units) per action, per table.
fn replayed(
    mut first: TransactWriteItemsOutput,
    tables: &[&str],
    capacity: Option<ReturnConsumedCapacity>,
) -> TransactWriteItemsOutput {
    if capacity::wanted(capacity) {
        let mut per_table: BTreeMap<String, f64> = BTreeMap::new();
        for t in tables {
            *per_table.entry((*t).to_owned()).or_default() += 2.0;
        }
        first.consumed_capacity = Some(
            per_table
                .into_iter()
                .map(|(table_name, units)| ConsumedCapacity {
                    table_name,
                    capacity_units: units,
                    read_capacity_units: Some(units),
                    ..ConsumedCapacity::default()
                })
                .collect(),
        );
    }
    first
}

fn table_of(a: &TransactWriteItem) -> &str {
    if let Some(p) = &a.put {
        &p.table_name
    } else if let Some(u) = &a.update {
        &u.table_name
    } else if let Some(d) = &a.delete {
        &d.table_name
    } else if let Some(c) = &a.condition_check {
        &c.table_name
    } else {
        ""
    }
}

/// Steps 4 and 5 of the module doc for planned `actions` (validated, under the catalog
/// lock `cat` held since they were planned), and the output.
///
/// # Errors
/// ValidationException (an item twice), TransactionCanceled, storage failure.
pub(crate) fn commit(
    core: &Core,
    cat: &crate::core::Catalog,
    actions: &[Action],
    reporting: Reporting,
    token_ops: Vec<BatchOp>,
) -> Result<TransactWriteItemsOutput, Error> {
    let keys = actions
        .iter()
        .map(|a| entry_key(a.def.id, &a.key.pk, a.key.sk.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    check_distinct(keys.clone())?;
    let claim = core
        .txn_claims
        .try_claim(keys)
        .map_err(|conflicts| canceled(conflicts.iter().map(|c| c.then(conflict_reason))))?;
    let writes: Vec<ItemWrite<'_>> = actions.iter().map(item_write).collect();
    let outcomes = match write_transaction(core, cat, writes, &claim, token_ops) {
        Ok(o) => o,
        Err(TxnFailure::Items(errors)) => return Err(item_failures(errors)),
        Err(TxnFailure::Whole(e)) => return Err(whole_failure(e, actions)),
    };
    drop(claim);
    Ok(output(core, reporting, actions, &outcomes))
}

/// Step 3: every action validated, before anything is locked.
fn plan(
    core: &Core,
    cat: &crate::core::Catalog,
    input: &TransactWriteItemsInput,
) -> Result<Vec<Action>, Error> {
    let mut actions = Vec::with_capacity(input.transact_items.len());
    let mut bytes = 0usize;
    for a in &input.transact_items {
        let present = usize::from(a.put.is_some())
            + usize::from(a.update.is_some())
            + usize::from(a.delete.is_some())
            + usize::from(a.condition_check.is_some());
        if present != 1 {
            return Err(ValidationError::TransactActionChoice.into());
        }
        let action = if let Some(p) = &a.put {
            let def = core.table_for_items(cat, &p.table_name)?;
            let key = def.key.item_key(&p.item)?;
            // Attribute and index-key rules are input validation (a ValidationException
            // for the request, as PutItem's), not a cancellation reason.
            bytes += validate_new_item(&def, &p.item)?;
            let compiled = exprs::compile(ExprInputs {
                condition: p.condition_expression.as_deref(),
                names: p.expression_attribute_names.as_ref(),
                values: p.expression_attribute_values.as_ref(),
                ..ExprInputs::default()
            })?;
            Action {
                def,
                key,
                kind: Kind::Put(p.item.clone()),
                compiled,
                on_fail: p.return_values_on_condition_check_failure,
            }
        } else if let Some(u) = &a.update {
            let def = core.table_for_items(cat, &u.table_name)?;
            let key = def.key.exact_key(&u.key)?;
            bytes += item_size_bytes(&u.key);
            let compiled = exprs::compile(ExprInputs {
                condition: u.condition_expression.as_deref(),
                update: u.update_expression.as_deref(),
                names: u.expression_attribute_names.as_ref(),
                values: u.expression_attribute_values.as_ref(),
                ..ExprInputs::default()
            })?;
            Action {
                def,
                key,
                kind: Kind::Update {
                    key_item: u.key.clone(),
                },
                compiled,
                on_fail: u.return_values_on_condition_check_failure,
            }
        } else if let Some(d) = &a.delete {
            let def = core.table_for_items(cat, &d.table_name)?;
            let key = def.key.exact_key(&d.key)?;
            bytes += item_size_bytes(&d.key);
            let compiled = exprs::compile(ExprInputs {
                condition: d.condition_expression.as_deref(),
                names: d.expression_attribute_names.as_ref(),
                values: d.expression_attribute_values.as_ref(),
                ..ExprInputs::default()
            })?;
            Action {
                def,
                key,
                kind: Kind::Delete,
                compiled,
                on_fail: d.return_values_on_condition_check_failure,
            }
        } else if let Some(c) = &a.condition_check {
            let def = core.table_for_items(cat, &c.table_name)?;
            let key = def.key.exact_key(&c.key)?;
            bytes += item_size_bytes(&c.key);
            let compiled = exprs::compile(ExprInputs {
                condition: Some(c.condition_expression.as_str()),
                names: c.expression_attribute_names.as_ref(),
                values: c.expression_attribute_values.as_ref(),
                ..ExprInputs::default()
            })?;
            Action {
                def,
                key,
                kind: Kind::Check,
                compiled,
                on_fail: c.return_values_on_condition_check_failure,
            }
        } else {
            return Err(ValidationError::TransactActionChoice.into());
        };
        actions.push(action);
    }
    if bytes > MAX_TRANSACT_BYTES {
        return Err(ValidationError::TransactionTooLarge {
            size_bytes: bytes,
            limit_bytes: MAX_TRANSACT_BYTES,
        }
        .into());
    }
    Ok(actions)
}

/// One action as an item of the write path.
fn item_write(a: &Action) -> ItemWrite<'_> {
    let (compiled, on_fail) = (&a.compiled, a.on_fail);
    match &a.kind {
        Kind::Put(item) => ItemWrite::new(&a.def, &a.key, true, move |old| {
            check_condition(compiled, old, on_fail)?;
            Ok(Some(item.clone()))
        }),
        Kind::Insert(item) => ItemWrite::new(&a.def, &a.key, true, move |old| match old {
            Some(_) => Err(Error::DuplicateItem),
            None => Ok(Some(item.clone())),
        }),
        Kind::Update { key_item } => ItemWrite::new(&a.def, &a.key, true, move |old| {
            Ok(Some(
                update_mutation(&a.def, compiled, key_item, old, on_fail)?.item,
            ))
        })
        .by_update(),
        Kind::Delete => ItemWrite::new(&a.def, &a.key, true, move |old| {
            check_condition(compiled, old, on_fail)?;
            Ok(None)
        }),
        Kind::DeleteIfPresent => ItemWrite::new(&a.def, &a.key, true, move |old| {
            if old.is_some() {
                check_condition(compiled, old, on_fail)?;
            }
            Ok(None)
        }),
        Kind::Check => ItemWrite::check(&a.def, &a.key, move |old| {
            check_condition(compiled, old, on_fail)
        }),
    }
}

fn none_reason() -> CancellationReason {
    CancellationReason {
        code: "None",
        message: None,
        item: None,
    }
}

fn conflict_reason() -> CancellationReason {
    CancellationReason {
        code: "TransactionConflict",
        message: Some(CONFLICT_MESSAGE.to_owned()),
        item: None,
    }
}

/// A TransactionCanceled from per-action reasons (`None` → "None").
fn canceled(reasons: impl Iterator<Item = Option<CancellationReason>>) -> Error {
    Error::TransactionCanceled {
        reasons: reasons.map(|r| r.unwrap_or_else(none_reason)).collect(),
    }
}

/// The cancellation for per-item failures; a storage failure or corruption is returned
/// as itself (a server fault, not the transaction's).
fn item_failures(mut errors: Vec<Option<Error>>) -> Error {
    if let Some(pos) = errors
        .iter()
        .position(|e| e.as_ref().is_some_and(|e| reason_code(e).is_none()))
    {
        if let Some(e) = errors.swap_remove(pos) {
            return e;
        }
    }
    canceled(errors.into_iter().map(|e| {
        e.map(|e| {
            let code = reason_code(&e).unwrap_or("ValidationError");
            match e {
                Error::ConditionalCheckFailed { item } => CancellationReason {
                    code,
                    message: Some("The conditional request failed".to_owned()),
                    item,
                },
                other => CancellationReason {
                    code,
                    message: Some(other.message()),
                    item: None,
                },
            }
        })
    }))
}

/// The reason code DynamoDB gives an action's error, `None` for errors that are not
/// the action's (storage, corruption).
fn reason_code(e: &Error) -> Option<&'static str> {
    match e {
        Error::ConditionalCheckFailed { .. } => Some("ConditionalCheckFailed"),
        Error::Validation(_) => Some("ValidationError"),
        Error::ItemCollectionSizeLimitExceeded { .. } => Some("ItemCollectionSizeLimitExceeded"),
        Error::TransactionConflict => Some("TransactionConflict"),
        Error::DuplicateItem => Some("DuplicateItem"),
        _ => None,
    }
}

/// The cancellation reason for a throttle, as the API reference lists them:
/// `ProvisionedThroughputExceeded` with the ProvisionedThroughputExceededException's
/// text, or `ThrottlingError` with the ThrottlingException's (for a GSI, "Throughput
/// exceeds the current capacity for one or more global secondary indexes. DynamoDB is
/// automatically scaling your index so please try again shortly."). `None` for any
/// other error.
fn throttle_reason(e: &Error) -> Option<CancellationReason> {
    let (code, message) = match e {
        Error::ProvisionedThroughputExceeded { .. } => {
            ("ProvisionedThroughputExceeded", e.to_string())
        }
        Error::Throttling {
            index_name: Some(_),
            ..
        } => (
            "ThrottlingError",
            "Throughput exceeds the current capacity for one or more global secondary \
             indexes. DynamoDB is automatically scaling your index so please try again \
             shortly."
                .to_owned(),
        ),
        Error::Throttling { .. } => ("ThrottlingError", e.to_string()),
        _ => return None,
    };
    Some(CancellationReason {
        code,
        message: Some(message),
        item: None,
    })
}

/// A whole-write failure: an item collection over its limit cancels the transaction
/// with that reason on the actions that write to the collection's table (the hook names
/// the table, not the action), and so does a throttle (DynamoDB cancels a transaction
/// "when there is insufficient provisioned capacity for it to be completed"); anything
/// else is returned as it is.
fn whole_failure(e: Error, actions: &[Action]) -> Error {
    if let (Some(reason), Some(table)) = (throttle_reason(&e), throttled_table(&e)) {
        return canceled(
            actions
                .iter()
                .map(|a| (a.def.name == table).then(|| reason.clone())),
        );
    }
    match e {
        Error::ItemCollectionSizeLimitExceeded {
            ref table_name,
            size_bytes,
            limit_bytes,
        } => canceled(actions.iter().map(|a| {
            (a.def.name == *table_name
                && !matches!(a.kind, Kind::Check | Kind::Delete | Kind::DeleteIfPresent))
                .then(
                || CancellationReason {
                    code: "ItemCollectionSizeLimitExceeded",
                    message: Some(format!(
                        "Item collection size limit exceeded. Collection size: {size_bytes} bytes, limit: {limit_bytes} bytes"
                    )),
                    item: None,
                },
            )
        })),
        other => other,
    }
}

/// The table a throttle names.
fn throttled_table(e: &Error) -> Option<&str> {
    match e {
        Error::ProvisionedThroughputExceeded { table_name, .. }
        | Error::Throttling { table_name, .. } => Some(table_name),
        _ => None,
    }
}

/// The output of a committed transaction: capacity (twice a write's units per item,
/// ConditionCheck included, which DynamoDB also charges as a transactional write of the
/// item) and item-collection metrics.
fn output(
    core: &Core,
    reporting: Reporting,
    actions: &[Action],
    outcomes: &[WriteOutcome],
) -> TransactWriteItemsOutput {
    debug_assert_eq!(actions.len(), outcomes.len());
    let mut out = TransactWriteItemsOutput::default();
    if capacity::wanted(reporting.capacity) {
        let mut charges: BTreeMap<String, (Charge, Arc<TableDef>)> = BTreeMap::new();
        for (a, o) in actions.iter().zip(outcomes) {
            let single = capacity::write_charge(&a.def, o.old.as_ref(), o.new.as_ref());
            let mut double = Charge::default();
            double.add(&single);
            double.add(&single);
            charges
                .entry(a.def.name.clone())
                .or_insert_with(|| (Charge::default(), a.def.clone()))
                .0
                .add(&double);
        }
        out.consumed_capacity = report(charges, true, reporting.capacity);
    }
    if reporting.collection_metrics == Some(ReturnItemCollectionMetrics::Size) {
        out.item_collection_metrics = Some(collection_metrics(core, actions));
    }
    out
}

fn report(
    charges: BTreeMap<String, (Charge, Arc<TableDef>)>,
    is_write: bool,
    mode: Option<ReturnConsumedCapacity>,
) -> Option<Vec<ConsumedCapacity>> {
    capacity::wanted(mode).then(|| {
        charges
            .into_values()
            .filter_map(|(c, def)| capacity::report(&def, &c, is_write, mode))
            .collect()
    })
}

/// Per table with LSIs, the collections the transaction wrote (each once).
fn collection_metrics(
    core: &Core,
    actions: &[Action],
) -> BTreeMap<String, Vec<ItemCollectionMetrics>> {
    let mut out: BTreeMap<String, Vec<ItemCollectionMetrics>> = BTreeMap::new();
    for a in actions {
        if matches!(a.kind, Kind::Check) {
            continue;
        }
        let Some(m) = item_collections::of(core, &a.def, &a.key.pk) else {
            continue;
        };
        let seen = out.entry(a.def.name.clone()).or_default();
        if !seen.contains(&m) {
            seen.push(m);
        }
    }
    out
}
