//! Secondary-index entries: what a base write changes in each index (pure functions; the
//! write path `crate::write` and the worker `crate::worker` apply them).
//!
//! - **LSIs** are synchronous: a base write's LSI entry changes go into the same
//!   [`WriteBatch`], so LSI reads are strongly consistent. Tables with LSIs also keep a
//!   per-partition item-collection size under [`COLLECTION_SIZE_ID`], updated in that batch.
//! - **GSIs** are asynchronous, as in DynamoDB: [`gsi_ops`] computes the exact index
//!   puts/deletes of a base write, and the write path queues them as one record of the
//!   GSI maintenance queue (`crate::gsi_queue`), which the worker applies later.
//! - An entry's key is `[index id][hash(ipk)][ipk][isk]` then the base key attributes the
//!   index key does not already pin, so entries stay unique (see `docs/table-layer.md`).

use crate::catalog::{IndexDef, KeyDef, TableDef};
use crate::error::Error;
use crate::keys::{composite_partition_prefix, id_prefix, push_key_value};
use crate::types::{encode_item, item_size_bytes, Item};
use shale_engine::{BatchOp, WriteBatch};

/// Per-partition item-collection sizes of tables with LSIs:
/// `[COLLECTION_SIZE_ID][table id u32 BE][partition prefix]` → size u64 BE.
pub(crate) const COLLECTION_SIZE_ID: u32 = 2;

/// The key of `item`'s entry in `index`, or `None` if the item lacks the index key
/// (sparse). Layout: `[index id][hash(ipk)][ipk][isk]` then the base key attributes the
/// index key does not already pin: for a GSI the base pk and sk, for an LSI the base sk.
///
/// # Errors
/// Index key attribute type mismatch or invalid key value.
pub(crate) fn index_entry_key(
    table_key: &KeyDef,
    index: &IndexDef,
    is_gsi: bool,
    item: &Item,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(ik) = index.key.sparse_key(item, &index.name)? else {
        return Ok(None);
    };
    let mut key = composite_partition_prefix(index.id, &ik.partition)?;
    for sk in &ik.sort {
        push_key_value(sk, &mut key)?;
    }
    let base = table_key.item_key(item)?;
    if is_gsi {
        push_key_value(&base.pk, &mut key)?;
    }
    if let Some(sk) = &base.sk {
        push_key_value(sk, &mut key)?;
    }
    Ok(Some(key))
}

/// The puts and deletes that move `index` from `old`'s entry to `new`'s.
///
/// An `old` item whose index key is invalid (wrong type, empty, too long) has no entry:
/// it was written before the GSI existed and skipped by the backfill, as DynamoDB skips
/// index key violations. `new` is always checked (writes are validated before they are
/// acknowledged).
pub(crate) fn index_ops(
    def: &TableDef,
    index: &IndexDef,
    is_gsi: bool,
    old: Option<&Item>,
    new: Option<&Item>,
    ops: &mut Vec<BatchOp>,
) -> Result<i64, Error> {
    let old_key = old.and_then(|o| index_entry_key(&def.key, index, is_gsi, o).ok().flatten());
    let new_entry = match new {
        Some(n) => {
            index_entry_key(&def.key, index, is_gsi, n)?.map(|k| (k, index.project(&def.key, n)))
        }
        None => None,
    };
    let mut size_delta = 0i64;
    if let (Some(o), Some(_)) = (old, &old_key) {
        size_delta -= item_size_bytes(&index.project(&def.key, o)) as i64;
    }
    if let Some(k) = &old_key {
        if new_entry.as_ref().map(|(nk, _)| nk) != Some(k) {
            ops.push(BatchOp::Delete { key: k.clone() });
        }
    }
    if let Some((k, projected)) = new_entry {
        size_delta += item_size_bytes(&projected) as i64;
        let mut value = Vec::with_capacity(256);
        encode_item(&projected, &mut value)?;
        ops.push(BatchOp::Put { key: k, value });
    }
    Ok(size_delta)
}

/// Adds the LSI changes for `old → new` to `batch` and returns the change in item
/// collection size contributed by LSI entries.
///
/// # Errors
/// Invalid index key values.
pub(crate) fn lsi_changes(
    def: &TableDef,
    old: Option<&Item>,
    new: Option<&Item>,
    batch: &mut WriteBatch,
) -> Result<i64, Error> {
    let mut ops = Vec::new();
    let mut delta = 0;
    for l in &def.lsis {
        delta += index_ops(def, l, false, old, new, &mut ops)?;
    }
    for op in ops {
        batch.push(op);
    }
    Ok(delta)
}

/// Checks every secondary-index key of `new` (types, sizes) without building entries, so
/// an invalid write is rejected before it is acknowledged (GSIs are updated later) and a
/// batch can be validated whole before any of it is applied.
///
/// # Errors
/// Index key attribute type mismatch or invalid key value.
pub(crate) fn check_index_keys(def: &TableDef, new: &Item) -> Result<(), Error> {
    for index in def.gsis.iter().chain(&def.lsis) {
        index.key.sparse_key(new, &index.name)?;
    }
    Ok(())
}

/// The GSI puts and deletes for `old → new`, in GSI order (empty when no GSI changes).
///
/// # Errors
/// Invalid index key values.
pub(crate) fn gsi_ops(
    def: &TableDef,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<Vec<BatchOp>, Error> {
    let mut ops = Vec::new();
    for g in &def.gsis {
        index_ops(def, g, true, old, new, &mut ops)?;
    }
    Ok(ops)
}

/// The collection-size key of `pk`'s partition in table `def`.
pub(crate) fn collection_size_key(def: &TableDef, partition: &[u8]) -> Vec<u8> {
    let mut k = id_prefix(COLLECTION_SIZE_ID).to_vec();
    k.extend_from_slice(&def.id.to_be_bytes());
    k.extend_from_slice(partition);
    k
}

/// The prefix of every collection-size key of table `id`.
pub(crate) fn collection_size_prefix(id: u32) -> Vec<u8> {
    let mut k = id_prefix(COLLECTION_SIZE_ID).to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Decodes a stored item-collection size.
///
/// # Errors
/// `CorruptCatalog` when the value is not 8 bytes.
pub(crate) fn decode_collection_size(key: &[u8], value: &[u8]) -> Result<u64, Error> {
    <[u8; 8]>::try_from(value)
        .map(u64::from_be_bytes)
        .map_err(|_| Error::CorruptCatalog {
            key: key.to_vec(),
            reason: crate::error::CatalogCorruption::Truncated,
        })
}
