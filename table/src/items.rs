//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem, and the one write
//! path they (and BatchWriteItem) share.
//!
//! The write path, per item: take the catalog read lock (the definition cannot change
//! under the write) → take the item's stripe lock (the partition's, for tables with LSIs,
//! whose item-collection size is per partition) → read the current item → evaluate the
//! condition and build the new item → validate it → build one batch with the base
//! put/delete, LSI entry changes, collection size and GSI queue record → commit. The
//! stripe lock makes read-condition-write atomic per item.

use crate::capacity;
use crate::catalog::{KeyValues, TableDef};
use crate::database::Core;
use crate::error::{Error, ValidationError};
use crate::exprs::{self, ExprInputs};
use crate::keys::{entry_key, partition_prefix};
use crate::secondary_index;
use crate::shapes::{
    DeleteItemInput, DeleteItemOutput, GetItemInput, GetItemOutput, PutItemInput, PutItemOutput,
    ReturnValue, ReturnValuesOnConditionCheckFailure, UpdateItemInput, UpdateItemOutput,
};
use crate::types::{decode_item, encode_item, item_size_bytes, validate_item, Item};
use shale_engine::WriteBatch;

/// What a write did.
#[derive(Debug)]
pub(crate) struct WriteOutcome {
    /// The item before.
    pub old: Option<Item>,
    /// The item after (None when deleted or unchanged-absent).
    pub new: Option<Item>,
}

/// Decodes a stored item.
pub(crate) fn decode_stored(key: &[u8], bytes: &[u8]) -> Result<Item, Error> {
    decode_item(bytes).map_err(|source| Error::CorruptItem {
        key: key.to_vec(),
        source,
    })
}

/// Validates a whole new item: attribute rules and the 400 KB limit. Returns its size.
pub(crate) fn validate_new_item(item: &Item) -> Result<usize, Error> {
    Ok(validate_item(item)?)
}

impl Core {
    /// Reads one item by key (latest committed state).
    pub(crate) fn read_item(&self, def: &TableDef, key: &KeyValues) -> Result<Option<Item>, Error> {
        let k = entry_key(def.id, &key.pk, key.sk.as_ref())?;
        match self.backend.get(&k, None)? {
            Some(v) => Ok(Some(decode_stored(&k, &v)?)),
            None => Ok(None),
        }
    }

    /// The shared write path. `decide` sees the current item and returns the new one
    /// (`None` deletes). It runs under the item's lock; its errors abort the write.
    ///
    /// `needs_old`: whether the caller needs the current item (conditions, ReturnValues,
    /// capacity). Tables with indexes always read it; otherwise a blind write skips the
    /// read and `old` in the outcome is `None`.
    pub(crate) fn mutate(
        &self,
        def: &TableDef,
        key: &KeyValues,
        needs_old: bool,
        decide: impl FnOnce(Option<&Item>) -> Result<Option<Item>, Error>,
    ) -> Result<WriteOutcome, Error> {
        let read_old = needs_old || !def.lsis.is_empty() || !def.gsis.is_empty();
        let item_key = entry_key(def.id, &key.pk, key.sk.as_ref())?;
        // Tables with LSIs lock (and size) whole partitions; others lock the item.
        let partition = if def.lsis.is_empty() {
            None
        } else {
            Some(partition_prefix(def.id, &key.pk)?)
        };
        let lock_key: &[u8] = partition.as_deref().unwrap_or(&item_key);
        let _item_lock = self.stripe(lock_key).lock();
        let stored = if read_old {
            self.backend.get(&item_key, None)?
        } else {
            None
        };
        let old = match stored {
            Some(v) => Some(decode_stored(&item_key, &v)?),
            None => None,
        };
        let new = decide(old.as_ref())?;
        let mut batch = WriteBatch::new();
        match &new {
            Some(n) => {
                let size = validate_new_item(n)?;
                secondary_index::check_index_keys(def, n)?;
                // The encoding is the attribute bytes plus a few bytes of framing each.
                let mut value = Vec::with_capacity(size + 8 * n.len() + 8);
                encode_item(n, &mut value)?;
                batch.put(item_key, value);
            }
            None if read_old && old.is_none() => {
                return Ok(WriteOutcome { old, new });
            }
            None => {
                batch.delete(item_key);
            }
        }
        if let Some(partition) = &partition {
            let lsi_delta =
                secondary_index::lsi_changes(def, old.as_ref(), new.as_ref(), &mut batch)?;
            let base_delta = new.as_ref().map_or(0, |n| item_size_bytes(n) as i64)
                - old.as_ref().map_or(0, |o| item_size_bytes(o) as i64);
            let size_key = secondary_index::collection_size_key(def, partition);
            let current = match self.backend.get(&size_key, None)? {
                Some(v) => <[u8; 8]>::try_from(v.as_slice())
                    .map(u64::from_be_bytes)
                    .map_err(|_| Error::CorruptCatalog {
                        key: size_key.clone(),
                        reason: crate::error::CatalogCorruption::Truncated,
                    })?,
                None => 0,
            };
            let delta = lsi_delta + base_delta;
            let updated = current.saturating_add_signed(delta);
            if delta > 0 && updated > self.opts.item_collection_limit_bytes {
                return Err(Error::ItemCollectionSizeLimitExceeded {
                    table_name: def.name.clone(),
                    size_bytes: updated,
                    limit_bytes: self.opts.item_collection_limit_bytes,
                });
            }
            if updated == 0 {
                batch.delete(size_key);
            } else {
                batch.put(size_key, updated.to_be_bytes().to_vec());
            }
        }
        let queued =
            secondary_index::queue_gsi_changes(self, def, old.as_ref(), new.as_ref(), &mut batch)?;
        self.backend.write(batch)?;
        if queued {
            self.notify_worker();
        }
        Ok(WriteOutcome { old, new })
    }

    /// PutItem with `def` already looked up under the catalog read lock.
    pub(crate) fn put_item_in(
        &self,
        def: &TableDef,
        input: PutItemInput,
        needs_old: bool,
    ) -> Result<WriteOutcome, Error> {
        let key = def.key.item_key(&input.item)?;
        let compiled = exprs::compile(ExprInputs {
            condition: input.condition_expression.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
            ..ExprInputs::default()
        })?;
        let on_fail = input.return_values_on_condition_check_failure;
        let needs_old = needs_old || input.condition_expression.is_some();
        let item = input.item;
        self.mutate(def, &key, needs_old, |old| {
            check_condition(&compiled, old, on_fail)?;
            Ok(Some(item))
        })
    }
}

/// Evaluates the request's condition against the current item.
fn check_condition(
    compiled: &exprs::Compiled,
    old: Option<&Item>,
    on_fail: Option<ReturnValuesOnConditionCheckFailure>,
) -> Result<(), Error> {
    if compiled.condition_holds(old)? {
        return Ok(());
    }
    Err(Error::ConditionalCheckFailed {
        item: match on_fail {
            Some(ReturnValuesOnConditionCheckFailure::AllOld) => old.cloned(),
            _ => None,
        },
    })
}

/// Rejects legacy (pre-expression) parameters that Shale does not implement.
fn reject_legacy(present: bool, operation: &'static str) -> Result<(), Error> {
    if present {
        Err(Error::NotImplemented { operation })
    } else {
        Ok(())
    }
}

impl super::Database {
    /// PutItem: replace the whole item, subject to ConditionExpression.
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (key, item size, expressions, ReturnValues
    /// other than NONE/ALL_OLD), ConditionalCheckFailed, ItemCollectionSizeLimitExceeded,
    /// storage failure.
    pub fn put_item(&self, input: PutItemInput) -> Result<PutItemOutput, Error> {
        reject_legacy(input.expected.is_some(), "the legacy Expected parameter")?;
        let rv = input.return_values.unwrap_or_default();
        if !matches!(rv, ReturnValue::None | ReturnValue::AllOld) {
            return Err(ValidationError::ReturnValuesNotAllowed {
                operation: "PutItem",
                allowed: "ALL_OLD or NONE",
            }
            .into());
        }
        let core = &self.core;
        let cat = core.catalog.read();
        let def = core.table_for_items(&cat, &input.table_name)?;
        let rcc = input.return_consumed_capacity;
        let needs_old = rv == ReturnValue::AllOld || capacity::wanted(rcc);
        let out = core.put_item_in(&def, input, needs_old)?;
        drop(cat);
        let consumed_capacity = capacity::write(&def, out.old.as_ref(), out.new.as_ref(), rcc);
        Ok(PutItemOutput {
            attributes: if rv == ReturnValue::AllOld {
                out.old
            } else {
                None
            },
            consumed_capacity,
        })
    }

    /// GetItem (every read sees the latest acknowledged write; ConsistentRead only
    /// changes the reported capacity).
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (key mismatch, projection), storage failure.
    pub fn get_item(&self, input: GetItemInput) -> Result<GetItemOutput, Error> {
        let core = &self.core;
        let def = core.table_for_items(&core.catalog.read(), &input.table_name)?;
        let key = def.key.exact_key(&input.key)?;
        let compiled = exprs::compile(ExprInputs {
            projection: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            ..ExprInputs::default()
        })?;
        let item = core.read_item(&def, &key)?;
        let consumed_capacity = if capacity::wanted(input.return_consumed_capacity) {
            capacity::read(
                &def,
                item.as_ref().map_or(0, item_size_bytes),
                input.consistent_read.unwrap_or(false),
                input.return_consumed_capacity,
            )
        } else {
            None
        };
        Ok(GetItemOutput {
            item: item.map(|i| compiled.project_owned(i)),
            consumed_capacity,
        })
    }

    /// UpdateItem: apply UpdateExpression to the item (creating it if absent), subject to
    /// ConditionExpression.
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (key, expressions, updates to key
    /// attributes, item size), ConditionalCheckFailed, storage failure.
    pub fn update_item(&self, input: UpdateItemInput) -> Result<UpdateItemOutput, Error> {
        reject_legacy(
            input.attribute_updates.is_some(),
            "the legacy AttributeUpdates parameter",
        )?;
        reject_legacy(input.expected.is_some(), "the legacy Expected parameter")?;
        let rv = input.return_values.unwrap_or_default();
        let core = &self.core;
        let cat = core.catalog.read();
        let def = core.table_for_items(&cat, &input.table_name)?;
        let key = def.key.exact_key(&input.key)?;
        let compiled = exprs::compile(ExprInputs {
            condition: input.condition_expression.as_deref(),
            update: input.update_expression.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
            ..ExprInputs::default()
        })?;
        let on_fail = input.return_values_on_condition_check_failure;
        let mut updated_paths = Vec::new();
        let out = core.mutate(&def, &key, true, |old| {
            check_condition(&compiled, old, on_fail)?;
            let base = old.cloned().unwrap_or_else(|| input.key.clone());
            let updated = compiled.apply_update(&base)?;
            if let Some(k) = def
                .key
                .attrs()
                .find(|k| updated.attributes.contains(&k.name))
            {
                return Err(ValidationError::UpdatesKey {
                    attribute: k.name.clone(),
                }
                .into());
            }
            updated_paths = updated.paths;
            Ok(Some(updated.item))
        })?;
        drop(cat);
        // UPDATED_OLD/UPDATED_NEW: the updated paths, projected (nested structure kept).
        let pick = |item: &Option<Item>| -> Option<Item> {
            let picked = crate::expr::project(item.as_ref()?, &updated_paths);
            (!picked.is_empty()).then_some(picked)
        };
        let attributes = match rv {
            ReturnValue::None => None,
            ReturnValue::AllOld => out.old.clone(),
            ReturnValue::AllNew => out.new.clone(),
            ReturnValue::UpdatedOld => pick(&out.old),
            ReturnValue::UpdatedNew => pick(&out.new),
        };
        Ok(UpdateItemOutput {
            attributes,
            consumed_capacity: capacity::write(
                &def,
                out.old.as_ref(),
                out.new.as_ref(),
                input.return_consumed_capacity,
            ),
        })
    }

    /// DeleteItem, subject to ConditionExpression. Deleting an absent item succeeds.
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException, ConditionalCheckFailed, storage failure.
    pub fn delete_item(&self, input: DeleteItemInput) -> Result<DeleteItemOutput, Error> {
        reject_legacy(input.expected.is_some(), "the legacy Expected parameter")?;
        let rv = input.return_values.unwrap_or_default();
        if !matches!(rv, ReturnValue::None | ReturnValue::AllOld) {
            return Err(ValidationError::ReturnValuesNotAllowed {
                operation: "DeleteItem",
                allowed: "ALL_OLD or NONE",
            }
            .into());
        }
        let core = &self.core;
        let cat = core.catalog.read();
        let def = core.table_for_items(&cat, &input.table_name)?;
        let out = core.delete_item_in(&def, &input.key, &input)?;
        drop(cat);
        let consumed_capacity =
            capacity::write(&def, out.old.as_ref(), None, input.return_consumed_capacity);
        Ok(DeleteItemOutput {
            attributes: if rv == ReturnValue::AllOld {
                out.old
            } else {
                None
            },
            consumed_capacity,
        })
    }
}

impl Core {
    /// DeleteItem with `def` looked up under the catalog read lock.
    pub(crate) fn delete_item_in(
        &self,
        def: &TableDef,
        key_item: &Item,
        input: &DeleteItemInput,
    ) -> Result<WriteOutcome, Error> {
        let key = def.key.exact_key(key_item)?;
        let compiled = exprs::compile(ExprInputs {
            condition: input.condition_expression.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
            ..ExprInputs::default()
        })?;
        let on_fail = input.return_values_on_condition_check_failure;
        self.mutate(def, &key, true, |old| {
            check_condition(&compiled, old, on_fail)?;
            Ok(None)
        })
    }
}
