//! Running parsed statements: ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction, each through the paths the other operations use (see the module
//! doc of [`super`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as TOKEN_BASE64;
use base64::Engine as _;

use super::parse::{self, Returning, Select, Statement};
use super::{PartiqlError, MAX_BATCH_STATEMENTS};
use crate::capacity::{self, Charge};
use crate::catalog::{KeyDef, TableDef};
use crate::core::Core;
use crate::error::{Error, ValidationError};
use crate::expr::{
    self, Comparator, Condition, Operand, ParsedExpressions, Path, PathElement, SortCondition,
};
use crate::exprs::Compiled;
use crate::read::{read_parsed, target_key, ParsedRead};
use crate::shapes::{
    BatchExecuteStatementInput, BatchExecuteStatementOutput, BatchStatementError,
    BatchStatementResponse, ExecuteStatementInput, ExecuteStatementOutput, ExecuteTransactionInput,
    ExecuteTransactionOutput, ItemResponse, ReturnConsumedCapacity,
    ReturnValuesOnConditionCheckFailure, TransactGet, TransactGetItem, TransactGetItemsInput,
};
use crate::transact::{self, Action, Kind, Reporting, MAX_TRANSACT_ITEMS};
use crate::types::{AttributeValue, Item, ScalarType};
use crate::write::{write_item, ItemWrite};

/// The top-level AND terms of a condition.
fn conjuncts(c: &Condition) -> Vec<&Condition> {
    match c {
        Condition::And(l, r) => {
            let mut out = conjuncts(l);
            out.extend(conjuncts(r));
            out
        }
        other => vec![other],
    }
}

fn is_attribute(operand: &Operand, name: &str) -> bool {
    matches!(operand, Operand::Path(p) if p.elements() == [PathElement::Key(name.to_owned())])
}

/// The value a top-level `name = value` (either way round) pins, if any.
fn pinned<'c>(terms: &[&'c Condition], name: &str) -> Option<&'c AttributeValue> {
    terms.iter().find_map(|t| match t {
        Condition::Compare {
            left,
            comparator: Comparator::Eq,
            right,
        } => match (left, right) {
            (l, Operand::Value(v)) if is_attribute(l, name) => Some(v),
            (Operand::Value(v), r) if is_attribute(r, name) => Some(v),
            _ => None,
        },
        _ => None,
    })
}

/// The primary key a WHERE clause pins with `=` on every key attribute.
///
/// # Errors
/// MissingKeyEquality.
fn pinned_key(key: &KeyDef, condition: &Condition) -> Result<Item, Error> {
    let terms = conjuncts(condition);
    let mut item = Item::new();
    for attr in key.attrs() {
        let v = pinned(&terms, &attr.name).ok_or(PartiqlError::MissingKeyEquality)?;
        item.insert(attr.name.clone(), v.clone());
    }
    Ok(item)
}

/// A Query's partition value and sort condition, when the WHERE pins the target's
/// partition key (with a value of its type); sort terms of the wrong type are left to the
/// filter.
fn query_key(
    key: &KeyDef,
    condition: &Condition,
) -> Option<(AttributeValue, Option<SortCondition>)> {
    let terms = conjuncts(condition);
    let pk = pinned(&terms, &key.hash.name)?;
    if ScalarType::of(pk) != Some(key.hash.ty.scalar()) {
        return None;
    }
    let sort = key.range.as_ref().and_then(|r| {
        let fits = |v: &AttributeValue| ScalarType::of(v) == Some(r.ty.scalar());
        terms.iter().find_map(|t| match t {
            Condition::Compare {
                left,
                comparator,
                right: Operand::Value(v),
            } if is_attribute(left, &r.name) && fits(v) => match comparator {
                Comparator::Eq => Some(SortCondition::Eq(v.clone())),
                Comparator::Lt => Some(SortCondition::Lt(v.clone())),
                Comparator::Le => Some(SortCondition::Le(v.clone())),
                Comparator::Gt => Some(SortCondition::Gt(v.clone())),
                Comparator::Ge => Some(SortCondition::Ge(v.clone())),
                Comparator::Ne => None,
            },
            Condition::Between {
                operand,
                low: Operand::Value(a),
                high: Operand::Value(b),
            } if is_attribute(operand, &r.name) && fits(a) && fits(b) => {
                Some(SortCondition::Between(a.clone(), b.clone()))
            }
            Condition::BeginsWith {
                operand,
                prefix: Operand::Value(v),
            } if is_attribute(operand, &r.name)
                && fits(v)
                && matches!(v, AttributeValue::S(_) | AttributeValue::B(_)) =>
            {
                Some(SortCondition::BeginsWith(v.clone()))
            }
            _ => None,
        })
    });
    // An empty BETWEEN range (low > high) is left to the filter: it matches nothing.
    let sort = match sort {
        Some(SortCondition::Between(a, b))
            if compare_keys(&a, &b) == Some(std::cmp::Ordering::Greater) =>
        {
            None
        }
        other => other,
    };
    Some((pk.clone(), sort))
}

fn compare_keys(a: &AttributeValue, b: &AttributeValue) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// SELECT's projection: each path's value under its last attribute name, as DynamoDB's
/// PartiQL returns `a.b.c` as `c` (recorded by dynoxide against DynamoDB).
fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for p in paths {
        if let Some(v) = expr::lookup(item, p) {
            let name = p
                .elements()
                .iter()
                .rev()
                .find_map(|e| match e {
                    PathElement::Key(k) => Some(k.clone()),
                    PathElement::Index(_) => None,
                })
                .unwrap_or_else(|| p.top_level_name().to_owned());
            out.insert(name, v.clone());
        }
    }
    out
}

fn encode_token(key: &Item) -> Result<String, Error> {
    let json = serde_json::to_vec(key).map_err(|_| PartiqlError::InvalidNextToken)?;
    Ok(TOKEN_BASE64.encode(json))
}

fn decode_token(token: &str) -> Result<Item, Error> {
    let bytes = TOKEN_BASE64
        .decode(token)
        .map_err(|_| PartiqlError::InvalidNextToken)?;
    Ok(serde_json::from_slice(&bytes).map_err(|_| PartiqlError::InvalidNextToken)?)
}

/// What one write statement did, for the response.
struct WriteResult {
    def: Arc<TableDef>,
    old: Option<Item>,
    new: Option<Item>,
    returned: Option<Item>,
}

/// One SELECT page.
fn select(
    core: &Core,
    sel: &Select,
    consistent: bool,
    limit: Option<i64>,
    start: Option<&Item>,
    capacity: Option<ReturnConsumedCapacity>,
) -> Result<ExecuteStatementOutput, Error> {
    let (_, key) = target_key(core, &sel.table, sel.index.as_deref())?;
    if key.is_multi_attribute() {
        return Err(PartiqlError::MultiAttributeIndex.into());
    }
    let query = sel.condition.as_ref().and_then(|c| query_key(&key, c));
    let page = read_parsed(
        core,
        ParsedRead {
            table: &sel.table,
            index: sel.index.as_deref(),
            key: query,
            filter: sel.condition.clone(),
            projection: None,
            consistent,
            limit,
            exclusive_start_key: start,
            return_capacity: capacity,
        },
    )?;
    let items = page.items.unwrap_or_default();
    let items = match &sel.projection {
        Some(paths) => items.iter().map(|i| project(i, paths)).collect(),
        None => items,
    };
    Ok(ExecuteStatementOutput {
        items: Some(items),
        next_token: page
            .last_evaluated_key
            .as_ref()
            .map(encode_token)
            .transpose()?,
        consumed_capacity: page.consumed_capacity,
        last_evaluated_key: page.last_evaluated_key,
    })
}

/// The table definition for a write, looked up in the held catalog.
fn write_target(
    core: &Core,
    cat: &crate::core::Catalog,
    table: &str,
) -> Result<Arc<TableDef>, Error> {
    core.table_for_items(cat, table)
}

/// One INSERT, UPDATE or DELETE through the write path.
fn write(
    core: &Core,
    statement: &Statement,
    on_fail: Option<ReturnValuesOnConditionCheckFailure>,
) -> Result<WriteResult, Error> {
    let cat = core.catalog.read();
    match statement {
        Statement::Insert { table, item } => {
            let def = write_target(core, &cat, table)?;
            let key = def.key.item_key(item)?;
            let w = ItemWrite::new(&def, &key, true, |old| match old {
                Some(_) => Err(Error::DuplicateItem),
                None => Ok(Some(item.clone())),
            });
            let out = write_item(core, &cat, w)?;
            Ok(WriteResult {
                def: def.clone(),
                old: out.old,
                new: out.new,
                returned: None,
            })
        }
        Statement::Update {
            table,
            update,
            condition,
            returning,
        } => {
            let def = write_target(core, &cat, table)?;
            let key_item = pinned_key(&def.key, condition)?;
            let key = def.key.exact_key(&key_item)?;
            let mut paths = Vec::new();
            let w = ItemWrite::new(&def, &key, true, |old| {
                // The whole WHERE is the condition: on a missing item its key equalities
                // fail, so an UPDATE never creates an item (ConditionalCheckFailed).
                if !expr::eval_condition(condition, old.unwrap_or(&Item::new()))? {
                    return Err(condition_failed(old, on_fail));
                }
                let outcome = expr::apply_update(update, old)?;
                if let Some(k) = def
                    .key
                    .attrs()
                    .find(|k| outcome.updated_attributes.contains(&k.name))
                {
                    return Err(ValidationError::UpdatesKey {
                        attribute: k.name.clone(),
                    }
                    .into());
                }
                paths = outcome.updated_paths;
                Ok(Some(outcome.item))
            });
            let out = write_item(core, &cat, w)?;
            let returned = match returning {
                None => None,
                Some(Returning::AllOld) => out.old.clone(),
                Some(Returning::AllNew) => out.new.clone(),
                Some(Returning::ModifiedOld) => out.old.as_ref().map(|o| expr::project(o, &paths)),
                Some(Returning::ModifiedNew) => out.new.as_ref().map(|n| expr::project(n, &paths)),
            };
            Ok(WriteResult {
                def: def.clone(),
                old: out.old,
                new: out.new,
                returned,
            })
        }
        Statement::Delete {
            table,
            condition,
            returning,
        } => {
            let def = write_target(core, &cat, table)?;
            let key_item = pinned_key(&def.key, condition)?;
            let key = def.key.exact_key(&key_item)?;
            let w = ItemWrite::new(&def, &key, true, |old| match old {
                // A missing item: nothing to delete, no condition to check.
                None => Ok(None),
                Some(o) if expr::eval_condition(condition, o)? => Ok(None),
                Some(_) => Err(condition_failed(old, on_fail)),
            });
            let out = write_item(core, &cat, w)?;
            Ok(WriteResult {
                def: def.clone(),
                returned: returning.and(out.old.clone()),
                old: out.old,
                new: None,
            })
        }
        Statement::Select(_) | Statement::Exists(_) => {
            Err(PartiqlError::ExistsOutsideTransaction.into())
        }
    }
}

fn condition_failed(
    old: Option<&Item>,
    on_fail: Option<ReturnValuesOnConditionCheckFailure>,
) -> Error {
    Error::ConditionalCheckFailed {
        item: match on_fail {
            Some(ReturnValuesOnConditionCheckFailure::AllOld) => old.cloned(),
            _ => None,
        },
    }
}

fn params(p: &Option<Vec<AttributeValue>>) -> &[AttributeValue] {
    p.as_deref().unwrap_or(&[])
}

/// The table a statement names.
fn table_of(statement: &Statement) -> &str {
    match statement {
        Statement::Select(s) | Statement::Exists(s) => &s.table,
        Statement::Insert { table, .. }
        | Statement::Update { table, .. }
        | Statement::Delete { table, .. } => table,
    }
}

impl crate::Database {
    /// ExecuteStatement: one PartiQL SELECT, INSERT, UPDATE or DELETE.
    ///
    /// # Errors
    /// ValidationException (syntax, parameters, keys, expressions, an invalid
    /// NextToken), ResourceNotFound, ConditionalCheckFailed, DuplicateItem,
    /// TransactionConflict, storage failure.
    pub fn execute_statement(
        &self,
        input: ExecuteStatementInput,
    ) -> Result<ExecuteStatementOutput, Error> {
        let statement = parse::parse(&input.statement, params(&input.parameters))?;
        let core = &self.core;
        let rcc = input.return_consumed_capacity;
        if let Statement::Select(sel) = &statement {
            let start = input.next_token.as_deref().map(decode_token).transpose()?;
            return select(
                core,
                sel,
                input.consistent_read.unwrap_or(false),
                input.limit,
                start.as_ref(),
                rcc,
            );
        }
        let done = write(
            core,
            &statement,
            input.return_values_on_condition_check_failure,
        )?;
        Ok(ExecuteStatementOutput {
            items: matches!(
                statement,
                Statement::Update {
                    returning: Some(_),
                    ..
                } | Statement::Delete {
                    returning: Some(_),
                    ..
                }
            )
            .then(|| {
                done.returned
                    .into_iter()
                    .filter(|i| !i.is_empty())
                    .collect()
            }),
            consumed_capacity: capacity::write(
                &done.def,
                done.old.as_ref(),
                done.new.as_ref(),
                rcc,
            ),
            ..ExecuteStatementOutput::default()
        })
    }

    /// BatchExecuteStatement: up to 25 statements, all reads (each pinning one item's
    /// key) or all writes; each succeeds or fails alone, failures reported per statement.
    ///
    /// # Errors
    /// ValidationException for the request as a whole (count, mixed reads and writes);
    /// per-statement failures are in the responses.
    pub fn batch_execute_statement(
        &self,
        input: BatchExecuteStatementInput,
    ) -> Result<BatchExecuteStatementOutput, Error> {
        let n = input.statements.len();
        if n == 0 || n > MAX_BATCH_STATEMENTS {
            return Err(ValidationError::ListLength {
                field: "statements",
                constraint: if n == 0 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 25"
                },
            }
            .into());
        }
        let parsed: Vec<Result<Statement, Error>> = input
            .statements
            .iter()
            .map(|s| parse::parse(&s.statement, params(&s.parameters)).map_err(Error::from))
            .collect();
        let reads = parsed
            .iter()
            .filter(|p| matches!(p, Ok(s) if s.is_read()))
            .count();
        let writes = parsed
            .iter()
            .filter(|p| matches!(p, Ok(s) if !s.is_read()))
            .count();
        if reads > 0 && writes > 0 {
            return Err(PartiqlError::MixedReadsAndWrites { operation: "batch" }.into());
        }
        let core = &self.core;
        let rcc = input.return_consumed_capacity;
        let mut charges: BTreeMap<String, (Charge, Arc<TableDef>)> = BTreeMap::new();
        let mut responses = Vec::with_capacity(n);
        for (request, statement) in input.statements.iter().zip(parsed) {
            let result = statement.and_then(|st| {
                let table = table_of(&st).to_owned();
                match &st {
                    Statement::Select(sel) => {
                        let (item, def) = batch_read(core, sel, request.consistent_read)?;
                        let units = capacity::read_units(
                            item.as_ref().map_or(0, crate::types::item_size_bytes),
                            request.consistent_read.unwrap_or(false),
                        );
                        add_charge(&mut charges, &def, Charge::table(units));
                        Ok((table, item))
                    }
                    Statement::Exists(_) => Err(PartiqlError::ExistsOutsideTransaction.into()),
                    _ => {
                        let done =
                            write(core, &st, request.return_values_on_condition_check_failure)?;
                        let c =
                            capacity::write_charge(&done.def, done.old.as_ref(), done.new.as_ref());
                        add_charge(&mut charges, &done.def, c);
                        Ok((table, None))
                    }
                }
            });
            responses.push(match result {
                Ok((table, item)) => BatchStatementResponse {
                    error: None,
                    table_name: Some(table),
                    item,
                },
                Err(e) => BatchStatementResponse {
                    error: Some(statement_error(e)?),
                    table_name: None,
                    item: None,
                },
            });
        }
        Ok(BatchExecuteStatementOutput {
            responses,
            consumed_capacity: capacity::wanted(rcc).then(|| {
                charges
                    .into_values()
                    .filter_map(|(c, def)| capacity::report(&def, &c, writes > 0, rcc))
                    .collect()
            }),
        })
    }

    /// ExecuteTransaction: up to 100 statements as one transaction: all SELECTs (one
    /// TransactGetItems) or writes and EXISTS checks (one TransactWriteItems, with its
    /// conflicts, cancellation reasons and ClientRequestToken).
    ///
    /// # Errors
    /// As [`crate::Database::transact_write_items`] and
    /// [`crate::Database::transact_get_items`], plus PartiQL's validation.
    pub fn execute_transaction(
        &self,
        input: ExecuteTransactionInput,
    ) -> Result<ExecuteTransactionOutput, Error> {
        let n = input.transact_statements.len();
        if n == 0 || n > MAX_TRANSACT_ITEMS {
            return Err(ValidationError::ListLength {
                field: "transactStatements",
                constraint: if n == 0 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 100"
                },
            }
            .into());
        }
        let statements = input
            .transact_statements
            .iter()
            .map(|s| parse::parse(&s.statement, params(&s.parameters)))
            .collect::<Result<Vec<_>, _>>()?;
        let reads = statements.iter().filter(|s| s.is_read()).count();
        if reads > 0 && reads < n {
            return Err(PartiqlError::MixedReadsAndWrites {
                operation: "transaction",
            }
            .into());
        }
        // TransactWriteItems' 4 MB bound, on the items INSERTs carry.
        let bytes: usize = statements
            .iter()
            .map(|s| match s {
                Statement::Insert { item, .. } => crate::types::item_size_bytes(item),
                _ => 0,
            })
            .sum();
        if bytes > transact::MAX_TRANSACT_BYTES {
            return Err(ValidationError::TransactionTooLarge {
                size_bytes: bytes,
                limit_bytes: transact::MAX_TRANSACT_BYTES,
            }
            .into());
        }
        if reads == n {
            return self.read_transaction(&statements, input.return_consumed_capacity);
        }
        let core = &self.core;
        let tables: Vec<&str> = statements.iter().map(table_of).collect();
        let bare = ExecuteTransactionInput {
            client_request_token: None,
            ..input.clone()
        };
        let out = transact::with_token(
            core,
            input.client_request_token.as_deref(),
            || transact::fingerprint_of("ExecuteTransaction", &bare),
            &tables,
            input.return_consumed_capacity,
            |token_ops| {
                let cat = core.catalog.read();
                let actions = statements
                    .iter()
                    .zip(&input.transact_statements)
                    .map(|(st, req)| {
                        action(core, &cat, st, req.return_values_on_condition_check_failure)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                transact::commit(
                    core,
                    &cat,
                    &actions,
                    Reporting {
                        capacity: input.return_consumed_capacity,
                        collection_metrics: None,
                    },
                    token_ops,
                )
            },
        )?;
        Ok(ExecuteTransactionOutput {
            responses: None,
            consumed_capacity: out.consumed_capacity,
        })
    }

    fn read_transaction(
        &self,
        statements: &[Statement],
        rcc: Option<ReturnConsumedCapacity>,
    ) -> Result<ExecuteTransactionOutput, Error> {
        let mut gets = Vec::with_capacity(statements.len());
        let mut projections = Vec::with_capacity(statements.len());
        for st in statements {
            let Statement::Select(sel) = st else {
                return Err(PartiqlError::MixedReadsAndWrites {
                    operation: "transaction",
                }
                .into());
            };
            if sel.index.is_some() {
                return Err(PartiqlError::IndexInBatch {
                    operation: "transaction",
                }
                .into());
            }
            let (def, _) = target_key(&self.core, &sel.table, None)?;
            let condition = sel
                .condition
                .as_ref()
                .ok_or(PartiqlError::MissingKeyEquality)?;
            gets.push(TransactGetItem {
                get: TransactGet {
                    table_name: sel.table.clone(),
                    key: pinned_key(&def.key, condition)?,
                    ..TransactGet::default()
                },
            });
            projections.push((sel.projection.clone(), condition.clone()));
        }
        let out = self.transact_get_items(TransactGetItemsInput {
            transact_items: gets,
            return_consumed_capacity: rcc,
        })?;
        let responses = out
            .responses
            .into_iter()
            .zip(projections)
            .map(|(r, (projection, condition))| {
                // The rest of the WHERE filters the item read.
                let item = match r.item {
                    Some(i) if expr::eval_condition(&condition, &i)? => Some(match &projection {
                        Some(p) => project(&i, p),
                        None => i,
                    }),
                    _ => None,
                };
                Ok(ItemResponse { item })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(ExecuteTransactionOutput {
            responses: Some(responses),
            consumed_capacity: out.consumed_capacity,
        })
    }
}

/// A SELECT of a batch: one item by its full key, the rest of the WHERE as a filter.
fn batch_read(
    core: &Core,
    sel: &Select,
    consistent: Option<bool>,
) -> Result<(Option<Item>, Arc<TableDef>), Error> {
    if sel.index.is_some() {
        return Err(PartiqlError::IndexInBatch { operation: "batch" }.into());
    }
    let (def, _) = target_key(core, &sel.table, None)?;
    let condition = sel
        .condition
        .as_ref()
        .ok_or(PartiqlError::MissingKeyEquality)?;
    let key = def.key.exact_key(&pinned_key(&def.key, condition)?)?;
    let _ = consistent; // every read sees the latest committed state
    let item = crate::stored::read_item(core.backend.as_ref(), &def, &key)?;
    let item = match item {
        Some(i) if expr::eval_condition(condition, &i)? => Some(match &sel.projection {
            Some(p) => project(&i, p),
            None => i,
        }),
        _ => None,
    };
    Ok((item, def))
}

fn add_charge(
    charges: &mut BTreeMap<String, (Charge, Arc<TableDef>)>,
    def: &Arc<TableDef>,
    c: Charge,
) {
    charges
        .entry(def.name.clone())
        .or_insert_with(|| (Charge::default(), def.clone()))
        .0
        .add(&c);
}

/// A statement's failure as a BatchStatementError; a server fault fails the batch.
fn statement_error(e: Error) -> Result<BatchStatementError, Error> {
    let code = match &e {
        Error::ConditionalCheckFailed { .. } => "ConditionalCheckFailed",
        Error::DuplicateItem => "DuplicateItem",
        Error::Validation(_) => "ValidationError",
        Error::ResourceNotFound { .. } => "ResourceNotFound",
        Error::TransactionConflict => "TransactionConflict",
        Error::ItemCollectionSizeLimitExceeded { .. } => "ItemCollectionSizeLimitExceeded",
        Error::ProvisionedThroughputExceeded { .. } => "ProvisionedThroughputExceeded",
        Error::Throttling { .. } => "ThrottlingError",
        _ if e.is_internal() => return Err(e),
        _ => "ValidationError",
    };
    let message = e.message();
    Ok(BatchStatementError {
        code: code.to_owned(),
        message: Some(message),
        item: match e {
            Error::ConditionalCheckFailed { item } => item,
            _ => None,
        },
    })
}

/// One statement of a write transaction as a transaction action.
fn action(
    core: &Core,
    cat: &crate::core::Catalog,
    statement: &Statement,
    on_fail: Option<ReturnValuesOnConditionCheckFailure>,
) -> Result<Action, Error> {
    let plain = |condition: Option<Condition>, update| {
        Compiled::from_parsed(ParsedExpressions {
            condition,
            update,
            ..ParsedExpressions::default()
        })
    };
    Ok(match statement {
        Statement::Insert { table, item } => {
            let def = core.table_for_items(cat, table)?;
            let key = def.key.item_key(item)?;
            crate::write::validate_new_item(&def, item)?;
            Action {
                def,
                key,
                kind: Kind::Insert(item.clone()),
                compiled: plain(None, None),
                on_fail,
            }
        }
        Statement::Update {
            table,
            update,
            condition,
            ..
        } => {
            let def = core.table_for_items(cat, table)?;
            let key_item = pinned_key(&def.key, condition)?;
            let key = def.key.exact_key(&key_item)?;
            Action {
                def,
                key,
                kind: Kind::Update { key_item },
                compiled: plain(Some(condition.clone()), Some(update.clone())),
                on_fail,
            }
        }
        Statement::Delete {
            table, condition, ..
        } => {
            let def = core.table_for_items(cat, table)?;
            let key = def.key.exact_key(&pinned_key(&def.key, condition)?)?;
            Action {
                def,
                key,
                kind: Kind::DeleteIfPresent,
                compiled: plain(Some(condition.clone()), None),
                on_fail,
            }
        }
        Statement::Exists(sel) => {
            if sel.index.is_some() {
                return Err(PartiqlError::IndexInBatch {
                    operation: "transaction",
                }
                .into());
            }
            let def = core.table_for_items(cat, &sel.table)?;
            let condition = sel
                .condition
                .clone()
                .ok_or(PartiqlError::MissingKeyEquality)?;
            let key = def.key.exact_key(&pinned_key(&def.key, &condition)?)?;
            Action {
                def,
                key,
                kind: Kind::Check,
                compiled: plain(Some(condition), None),
                on_fail,
            }
        }
        Statement::Select(_) => {
            return Err(PartiqlError::MixedReadsAndWrites {
                operation: "transaction",
            }
            .into())
        }
    })
}
