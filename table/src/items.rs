//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.
//!
//! Each write looks its table up under the catalog read lock, compiles its expressions,
//! and hands one [`ItemWrite`] to the one write path (`crate::write`), holding the lock
//! until the write returns; the mutation evaluates the condition and builds the new item
//! under the item's lock.

use crate::capacity;
use crate::capacity::admission::ReadAt;
use crate::catalog::TableDef;
use crate::core::{Catalog, Core};
use crate::error::{Error, ValidationError};
use crate::exprs::{self, ExprInputs, LegacyInputs};
use crate::item_collections;
use crate::keys::{entry_key, header_hash, key_position};
use crate::shapes::{
    DeleteItemInput, DeleteItemOutput, GetItemInput, GetItemOutput, PutItemInput, PutItemOutput,
    ReturnItemCollectionMetrics, ReturnValue, ReturnValuesOnConditionCheckFailure, UpdateItemInput,
    UpdateItemOutput,
};
use crate::stored::decode_stored;
use crate::types::{item_size_bytes, AttributeValue, Item};
use crate::write::{write_item, ItemWrite, WriteOutcome};

/// A conditional write's expressions (or legacy `Expected`), compiled: checked before
/// the table is looked up, as DynamoDB validates a request before it looks for the table
/// (dynalite's tests, recorded against DynamoDB, get expression errors from a table that
/// does not exist).
fn compile_condition(
    condition: Option<&str>,
    names: Option<&crate::shapes::AttributeNames>,
    values: Option<&crate::shapes::AttributeValues>,
    expected: Option<&crate::shapes::Expected>,
    conditional_operator: Option<crate::shapes::ConditionalOperator>,
) -> Result<exprs::Compiled, Error> {
    exprs::compile(ExprInputs {
        condition,
        names,
        values,
        legacy: LegacyInputs {
            expected,
            conditional_operator,
            ..LegacyInputs::default()
        },
        ..ExprInputs::default()
    })
}

/// A PutItem's, as [`compile_condition`].
fn compile_put(input: &PutItemInput) -> Result<exprs::Compiled, Error> {
    compile_condition(
        input.condition_expression.as_deref(),
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
        input.expected.as_ref(),
        input.conditional_operator,
    )
}

/// A DeleteItem's, as [`compile_condition`].
fn compile_delete(input: &DeleteItemInput) -> Result<exprs::Compiled, Error> {
    compile_condition(
        input.condition_expression.as_deref(),
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
        input.expected.as_ref(),
        input.conditional_operator,
    )
}

/// PutItem with `def` already looked up in `held` (the catalog, locked by the caller) and
/// its expressions compiled ([`compile_put`]).
pub(crate) fn put_item_in(
    core: &Core,
    held: &Catalog,
    def: &TableDef,
    input: PutItemInput,
    compiled: exprs::Compiled,
    needs_old: bool,
) -> Result<WriteOutcome, Error> {
    let key = def.key.item_key(&input.item)?;
    let on_fail = input.return_values_on_condition_check_failure;
    let needs_old = needs_old || compiled.has_condition();
    let item = input.item;
    let write = ItemWrite::new(def, &key, needs_old, |old| {
        check_condition(&compiled, old, on_fail)?;
        Ok(Some(item))
    });
    write_item(core, held, write)
}

/// DeleteItem with `def` already looked up in `held` (the catalog, locked by the caller)
/// and its expressions compiled ([`compile_delete`]).
pub(crate) fn delete_item_in(
    core: &Core,
    held: &Catalog,
    def: &TableDef,
    key_item: &Item,
    input: &DeleteItemInput,
    compiled: exprs::Compiled,
) -> Result<WriteOutcome, Error> {
    let key = def.key.exact_key(key_item)?;
    let on_fail = input.return_values_on_condition_check_failure;
    let write = ItemWrite::new(def, &key, true, |old| {
        check_condition(&compiled, old, on_fail)?;
        Ok(None)
    });
    write_item(core, held, write)
}

/// Evaluates the request's condition against the current item.
pub(crate) fn check_condition(
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

/// UpdateItem's mutation (TransactWriteItems' Update too): the condition on the current
/// item, then the update applied to it (or to the bare key when it is absent); a change
/// to a key attribute is refused.
pub(crate) fn update_mutation(
    def: &TableDef,
    compiled: &exprs::Compiled,
    key_item: &Item,
    old: Option<&Item>,
    on_fail: Option<ReturnValuesOnConditionCheckFailure>,
) -> Result<exprs::Updated, Error> {
    check_condition(compiled, old, on_fail)?;
    let base = old.cloned().unwrap_or_else(|| key_item.clone());
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
    Ok(updated)
}

/// The partition-key value whose item-collection metrics a write returns, when it asked
/// for SIZE (`key_or_item` holds the table's key attributes, already validated).
fn collection_key(
    def: &TableDef,
    key_or_item: &Item,
    asked: Option<ReturnItemCollectionMetrics>,
) -> Option<AttributeValue> {
    if !item_collections::wanted(asked) {
        return None;
    }
    key_or_item.get(&def.key.hash.name).cloned()
}

impl super::Database {
    /// PutItem: replace the whole item, subject to ConditionExpression.
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (key, item size, expressions, ReturnValues
    /// other than NONE/ALL_OLD), ConditionalCheckFailed, ItemCollectionSizeLimitExceeded,
    /// storage failure.
    pub fn put_item(&self, input: PutItemInput) -> Result<PutItemOutput, Error> {
        let rv = input.return_values.unwrap_or_default();
        if !matches!(rv, ReturnValue::None | ReturnValue::AllOld) {
            return Err(ValidationError::ReturnValuesNotAllowed {
                operation: "PutItem",
                allowed: "ALL_OLD or NONE",
            }
            .into());
        }
        let compiled = compile_put(&input)?;
        let core = &self.core;
        let cat = core.catalog.read();
        let def = core.table_for_items(&cat, &input.table_name)?;
        let rcc = input.return_consumed_capacity;
        let metrics_for = collection_key(&def, &input.item, input.return_item_collection_metrics);
        let needs_old = rv == ReturnValue::AllOld || capacity::wanted(rcc);
        let out = put_item_in(core, &cat, &def, input, compiled, needs_old)?;
        drop(cat);
        let consumed_capacity = capacity::write(&def, out.old.as_ref(), out.new.as_ref(), rcc);
        Ok(PutItemOutput {
            attributes: if rv == ReturnValue::AllOld {
                out.old
            } else {
                None
            },
            consumed_capacity,
            item_collection_metrics: metrics_for
                .and_then(|pk| item_collections::of(core, &def, &pk)),
        })
    }

    /// GetItem (every read sees the latest acknowledged write; ConsistentRead only
    /// changes the capacity consumed).
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException (key mismatch, projection),
    /// ProvisionedThroughputExceeded or Throttling (over capacity), storage failure.
    pub fn get_item(&self, input: GetItemInput) -> Result<GetItemOutput, Error> {
        let core = &self.core;
        // Expressions before the table (see `compile_condition`).
        let compiled = exprs::compile(ExprInputs {
            projection: input.projection_expression.as_deref(),
            attributes_to_get: input.attributes_to_get.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            ..ExprInputs::default()
        })?;
        let def = core.table_for_items(&core.catalog.read(), &input.table_name)?;
        let key = def.key.exact_key(&input.key)?;
        compiled.check_key_paths(&def)?;
        let entry = entry_key(def.id, &key.pk, key.sk.as_ref())?;
        let stored = core.backend.get(&entry, None)?;
        let item = match &stored {
            Some(v) => Some(decode_stored(&entry, v)?),
            None => None,
        };
        // Admitted once its units are known: charged what the read consumed.
        let consistent = input.consistent_read.unwrap_or(false);
        let at = ReadAt {
            hash: header_hash(&entry),
            position: key_position(&entry),
            key: Some((&input.key, &def.key.hash.name)),
        };
        core.admission
            .read_known(&def, at, || match (&stored, &item) {
                (Some(v), Some(item)) => capacity::stored_read_micros(v.len(), item, consistent),
                _ => capacity::least_read_micros(consistent),
            })?;
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
        let rv = input.return_values.unwrap_or_default();
        let core = &self.core;
        // Expressions before the table (see `compile_condition`).
        let compiled = exprs::compile(ExprInputs {
            condition: input.condition_expression.as_deref(),
            update: input.update_expression.as_deref(),
            names: input.expression_attribute_names.as_ref(),
            values: input.expression_attribute_values.as_ref(),
            legacy: LegacyInputs {
                expected: input.expected.as_ref(),
                attribute_updates: input.attribute_updates.as_ref(),
                conditional_operator: input.conditional_operator,
                ..LegacyInputs::default()
            },
            ..ExprInputs::default()
        })?;
        let cat = core.catalog.read();
        let def = core.table_for_items(&cat, &input.table_name)?;
        let key = def.key.exact_key(&input.key)?;
        let on_fail = input.return_values_on_condition_check_failure;
        let mut updated_paths = Vec::new();
        let write = ItemWrite::new(&def, &key, true, |old| {
            let updated = update_mutation(&def, &compiled, &input.key, old, on_fail)?;
            updated_paths = updated.paths;
            Ok(Some(updated.item))
        })
        .by_update();
        let out = write_item(core, &cat, write)?;
        drop(cat);
        let metrics_for = collection_key(&def, &input.key, input.return_item_collection_metrics);
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
            item_collection_metrics: metrics_for
                .and_then(|pk| item_collections::of(core, &def, &pk)),
        })
    }

    /// DeleteItem, subject to ConditionExpression. Deleting an absent item succeeds.
    ///
    /// # Errors
    /// ResourceNotFound, ValidationException, ConditionalCheckFailed, storage failure.
    pub fn delete_item(&self, input: DeleteItemInput) -> Result<DeleteItemOutput, Error> {
        let rv = input.return_values.unwrap_or_default();
        if !matches!(rv, ReturnValue::None | ReturnValue::AllOld) {
            return Err(ValidationError::ReturnValuesNotAllowed {
                operation: "DeleteItem",
                allowed: "ALL_OLD or NONE",
            }
            .into());
        }
        let compiled = compile_delete(&input)?;
        let core = &self.core;
        let cat = core.catalog.read();
        let def = core.table_for_items(&cat, &input.table_name)?;
        let out = delete_item_in(core, &cat, &def, &input.key, &input, compiled)?;
        drop(cat);
        let consumed_capacity =
            capacity::write(&def, out.old.as_ref(), None, input.return_consumed_capacity);
        let metrics_for = collection_key(&def, &input.key, input.return_item_collection_metrics);
        Ok(DeleteItemOutput {
            attributes: if rv == ReturnValue::AllOld {
                out.old
            } else {
                None
            },
            consumed_capacity,
            item_collection_metrics: metrics_for
                .and_then(|pk| item_collections::of(core, &def, &pk)),
        })
    }
}
