//! BatchGetItem and BatchWriteItem.
//!
//! Both validate the whole request before doing anything (DynamoDB rejects a batch with a
//! bad member as a whole). BatchWriteItem applies each request atomically through the
//! shared write path, but the batch is not atomic: if storage fails part-way, the requests
//! not applied come back in `UnprocessedItems` (or the error, if none was applied).
//! BatchGetItem returns the keys past its 16 MB response limit in `UnprocessedKeys`.
//! Both return the members capacity admission throttled as unprocessed, and fail with the
//! throttle only when none of the batch could be done, as DynamoDB does.

use std::collections::{BTreeMap, BTreeSet};

use crate::capacity::admission::ReadAt;
use crate::capacity::bucket::units_to_micros;
use crate::capacity::{self, wanted, Charge};
use crate::error::{Error, ValidationError};
use crate::exprs::{self, ExprInputs};
use crate::item_collections;
use crate::keys::{entry_key, header_hash, key_position};
use crate::shapes::{
    BatchGetItemInput, BatchGetItemOutput, BatchWriteItemInput, BatchWriteItemOutput,
    ItemCollectionMetrics, KeysAndAttributes, WriteRequest,
};
use crate::stored::decode_stored;
use crate::types::{item_size_bytes, AttributeValue, Item};
use crate::write::{validate_new_item, write_item, ItemWrite};

/// Most keys in one BatchGetItem.
pub const MAX_BATCH_GET_KEYS: usize = 100;
/// Most bytes of items one BatchGetItem returns.
pub const MAX_BATCH_GET_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Most requests in one BatchWriteItem.
pub const MAX_BATCH_WRITE_REQUESTS: usize = 25;
/// Most bytes of items in one BatchWriteItem.
pub const MAX_BATCH_WRITE_BYTES: usize = 16 * 1024 * 1024;

/// One validated BatchWriteItem member.
enum Planned {
    Put(Item),
    Delete,
}

impl super::Database {
    /// BatchGetItem: up to 100 keys over any tables.
    ///
    /// # Errors
    /// ValidationException (too many keys, duplicates, bad keys or projections),
    /// ResourceNotFound, storage failure.
    pub fn batch_get_item(&self, input: BatchGetItemInput) -> Result<BatchGetItemOutput, Error> {
        if input.request_items.is_empty() {
            return Err(ValidationError::EmptyBatch {
                operation: "BatchGetItem",
            }
            .into());
        }
        let total: usize = input.request_items.values().map(|k| k.keys.len()).sum();
        if total > MAX_BATCH_GET_KEYS {
            return Err(ValidationError::TooManyItems {
                operation: "BatchGetItem",
            }
            .into());
        }
        let core = &self.core;
        let mut plans = Vec::new();
        for (table, ka) in &input.request_items {
            let def = core.table_for_items(&core.catalog.read(), table)?;
            if ka.keys.is_empty() {
                return Err(ValidationError::ListLength {
                    field: "requestItems.member.keys",
                    constraint: "greater than or equal to 1",
                }
                .into());
            }
            let compiled = exprs::compile(ExprInputs {
                projection: ka.projection_expression.as_deref(),
                attributes_to_get: ka.attributes_to_get.as_deref(),
                names: ka.expression_attribute_names.as_ref(),
                ..ExprInputs::default()
            })?;
            compiled.check_key_paths(&def)?;
            let mut seen = BTreeSet::new();
            let mut keys = Vec::with_capacity(ka.keys.len());
            for k in &ka.keys {
                let kv = def.key.exact_key(k)?;
                if !seen.insert(entry_key(def.id, &kv.pk, kv.sk.as_ref())?) {
                    return Err(ValidationError::DuplicateKeys.into());
                }
                keys.push((k, kv));
            }
            plans.push((table, ka, def, compiled, keys));
        }
        let mut out = BatchGetItemOutput::default();
        let mut bytes = 0usize;
        let mut capacity_out = Vec::new();
        // Keys read, and the first throttle: DynamoDB fails the batch only when capacity
        // let none of its keys be read.
        let mut read = 0usize;
        let mut throttled: Option<Error> = None;
        for (table, ka, def, compiled, keys) in plans {
            let found = out.responses.entry(table.clone()).or_default();
            // Each key is charged as its own GetItem (DynamoDB: "BatchGetItem processes
            // each item as an individual GetItem"), found or not.
            let consistent = ka.consistent_read.unwrap_or(false);
            let mut table_units = 0.0;
            let mut unprocessed = Vec::new();
            for (raw, kv) in keys {
                if bytes >= MAX_BATCH_GET_RESPONSE_BYTES {
                    unprocessed.push(raw.clone());
                    continue;
                }
                // Each key is admitted as its own GetItem (once read, on what it
                // consumed); a throttled one comes back in UnprocessedKeys.
                let entry = entry_key(def.id, &kv.pk, kv.sk.as_ref())?;
                let item = match core.backend.get(&entry, None)? {
                    Some(v) => Some(decode_stored(&entry, &v)?),
                    None => None,
                };
                let size = item.as_ref().map_or(0, item_size_bytes);
                let units = capacity::read_units(size, consistent);
                let at = ReadAt {
                    hash: header_hash(&entry),
                    position: key_position(&entry),
                    key: Some((raw, &def.key.hash.name)),
                };
                match core
                    .admission
                    .read_known(&def, at, || units_to_micros(units))
                {
                    Ok(()) => {}
                    Err(e) if is_throttle(&e) => {
                        unprocessed.push(raw.clone());
                        throttled.get_or_insert(e);
                        continue;
                    }
                    Err(e) => return Err(e),
                }
                read += 1;
                table_units += units;
                if let Some(item) = item {
                    bytes += size;
                    found.push(compiled.project(&item));
                }
            }
            if !unprocessed.is_empty() {
                out.unprocessed_keys.insert(
                    table.clone(),
                    KeysAndAttributes {
                        keys: unprocessed,
                        ..ka.clone()
                    },
                );
            }
            let mode = input.return_consumed_capacity;
            if let Some(c) = capacity::report(&def, &Charge::table(table_units), false, mode) {
                capacity_out.push(c);
            }
        }
        if let (0, Some(e)) = (read, throttled) {
            return Err(e);
        }
        out.consumed_capacity = wanted(input.return_consumed_capacity).then_some(capacity_out);
        Ok(out)
    }

    /// BatchWriteItem: up to 25 puts and deletes over any tables; each is atomic, the
    /// batch is not.
    ///
    /// Requests are applied in order. If one fails after others were applied, it and the
    /// rest are returned in `UnprocessedItems` (never an error for a partly applied batch).
    ///
    /// # Errors
    /// ValidationException (too many requests, duplicates, malformed requests, bad items),
    /// ResourceNotFound; ItemCollectionSizeLimitExceeded or a storage failure when the
    /// first request fails (nothing was applied).
    pub fn batch_write_item(
        &self,
        input: BatchWriteItemInput,
    ) -> Result<BatchWriteItemOutput, Error> {
        if input.request_items.is_empty() {
            return Err(ValidationError::EmptyBatch {
                operation: "BatchWriteItem",
            }
            .into());
        }
        // Each table's list first (DynamoDB's constraint on the map's values), then the
        // whole request (several tables of at most 25 each may still be too many).
        if input
            .request_items
            .values()
            .any(|r| r.is_empty() || r.len() > MAX_BATCH_WRITE_REQUESTS)
        {
            return Err(ValidationError::BatchWriteListLength {
                value: quoted_request_items(&input.request_items),
            }
            .into());
        }
        let total: usize = input.request_items.values().map(Vec::len).sum();
        if total > MAX_BATCH_WRITE_REQUESTS {
            return Err(ValidationError::TooManyItems {
                operation: "BatchWriteItem",
            }
            .into());
        }
        let core = &self.core;
        let cat = core.catalog.read();
        let mut plans = Vec::new();
        let mut bytes = 0usize;
        for (table, requests) in &input.request_items {
            let def = core.table_for_items(&cat, table)?;
            let mut seen = BTreeSet::new();
            for r in requests {
                let (plan, key) = match (&r.put_request, &r.delete_request) {
                    (Some(p), None) => {
                        let key = def.key.item_key(&p.item)?;
                        // Index keys too: a bad request must fail the batch before any
                        // of it is applied, as DynamoDB validates the whole batch.
                        validate_new_item(&def, &p.item)?;
                        bytes += item_size_bytes(&p.item);
                        (Planned::Put(p.item.clone()), key)
                    }
                    (None, Some(d)) => {
                        let key = def.key.exact_key(&d.key)?;
                        (Planned::Delete, key)
                    }
                    _ => return Err(ValidationError::BadWriteRequest.into()),
                };
                if !seen.insert(entry_key(def.id, &key.pk, key.sk.as_ref())?) {
                    return Err(ValidationError::DuplicateKeys.into());
                }
                plans.push((table, def.clone(), r, plan, key));
            }
        }
        if bytes > MAX_BATCH_WRITE_BYTES {
            return Err(ValidationError::TooManyItems {
                operation: "BatchWriteItem",
            }
            .into());
        }
        let mut out = BatchWriteItemOutput::default();
        let wants_capacity = wanted(input.return_consumed_capacity);
        let mut charges: BTreeMap<String, (Charge, std::sync::Arc<crate::catalog::TableDef>)> =
            BTreeMap::new();
        let mut applied = 0usize;
        let mut failed: Option<Error> = None;
        let mut throttled: Option<Error> = None;
        // The item collections written, once each, for ReturnItemCollectionMetrics.
        let mut collections: Vec<(
            String,
            std::sync::Arc<crate::catalog::TableDef>,
            AttributeValue,
        )> = Vec::new();
        let wants_metrics = item_collections::wanted(input.return_item_collection_metrics);
        for (table, def, request, plan, key) in plans {
            if failed.is_some() {
                push_unprocessed(&mut out, table, request);
                continue;
            }
            let write = match plan {
                Planned::Put(item) => {
                    ItemWrite::new(&def, &key, wants_capacity, |_| Ok(Some(item)))
                }
                Planned::Delete => ItemWrite::new(&def, &key, wants_capacity, |_| Ok(None)),
            };
            let result = write_item(core, &cat, write);
            match result {
                Ok(o) => {
                    applied += 1;
                    if wants_metrics
                        && !def.lsis.is_empty()
                        && !collections
                            .iter()
                            .any(|(t, _, pk)| t == table && *pk == key.pk)
                    {
                        collections.push((table.clone(), def.clone(), key.pk.clone()));
                    }
                    if wants_capacity {
                        let charge = capacity::write_charge(&def, o.old.as_ref(), o.new.as_ref());
                        charges
                            .entry(table.clone())
                            .or_insert_with(|| (Charge::default(), def.clone()))
                            .0
                            .add(&charge);
                    }
                }
                // A throttled request comes back unprocessed and the batch goes on: other
                // partitions and tables may have capacity (DynamoDB fails the batch only
                // when capacity let none of it be applied).
                Err(e) if is_throttle(&e) => {
                    push_unprocessed(&mut out, table, request);
                    throttled.get_or_insert(e);
                }
                // Each request is atomic, the batch is not. Once a request fails, it and
                // every later one come back unprocessed, so the caller never mistakes a
                // partly applied batch for a failed one; the error itself is returned only
                // when nothing was applied. (A request that fails for good, such as a full
                // item collection, then fails alone when retried.)
                Err(e) => {
                    push_unprocessed(&mut out, table, request);
                    failed = Some(e);
                }
            }
        }
        drop(cat);
        if let Some(e) = failed.or(throttled) {
            if applied == 0 {
                return Err(e);
            }
        }
        if wants_metrics {
            let mut metrics: BTreeMap<String, Vec<ItemCollectionMetrics>> = BTreeMap::new();
            for (table, def, pk) in collections {
                if let Some(m) = item_collections::of(core, &def, &pk) {
                    metrics.entry(table).or_default().push(m);
                }
            }
            out.item_collection_metrics = Some(metrics);
        }
        if wants_capacity {
            let mode = input.return_consumed_capacity;
            out.consumed_capacity = Some(
                charges
                    .into_values()
                    .filter_map(|(c, def)| capacity::report(&def, &c, true, mode))
                    .collect(),
            );
        }
        Ok(out)
    }
}

/// Whether `e` is a capacity throttle (returned as unprocessed, not as the batch's error).
fn is_throttle(e: &Error) -> bool {
    matches!(
        e,
        Error::ProvisionedThroughputExceeded { .. } | Error::Throttling { .. }
    )
}

fn push_unprocessed(out: &mut BatchWriteItemOutput, table: &str, request: &WriteRequest) {
    out.unprocessed_items
        .entry(table.to_owned())
        .or_default()
        .push(request.clone());
}

/// BatchWriteItem's `RequestItems` as DynamoDB's message quotes it: Java's rendering of
/// the map, each request an object identity (`{T=[com.amazonaws.dynamodb.v20120810.
/// WriteRequest@1f2e3d4c]}`). The identities are a hash of each request's debug form:
/// stable for a request, and no client can match DynamoDB's own anyway.
fn quoted_request_items(items: &BTreeMap<String, Vec<WriteRequest>>) -> String {
    let tables: Vec<String> = items
        .iter()
        .map(|(table, requests)| {
            let each: Vec<String> = requests
                .iter()
                .map(|r| {
                    let identity = xxhash_rust::xxh3::xxh3_64(format!("{r:?}").as_bytes()) as u32;
                    format!("com.amazonaws.dynamodb.v20120810.WriteRequest@{identity:x}")
                })
                .collect();
            format!("{table}=[{}]", each.join(", "))
        })
        .collect();
    format!("{{{}}}", tables.join(", "))
}
