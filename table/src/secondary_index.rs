//! Secondary-index maintenance.
//!
//! - **LSIs** are synchronous: a base write's LSI entry changes go into the same
//!   [`WriteBatch`], so LSI reads are strongly consistent. Tables with LSIs also keep a
//!   per-partition item-collection size under [`COLLECTION_SIZE_ID`], updated in that batch.
//! - **GSIs** are asynchronous, as in DynamoDB: the base write appends one maintenance
//!   record (the exact index puts/deletes, computed from the old and new item) to a durable
//!   queue under [`INDEX_QUEUE_ID`], in the same batch. A worker applies records in queue
//!   order and deletes them, one batch each, so a crash at any point re-applies at most
//!   idempotent puts/deletes. Per item, records are queued in write order (writes to one
//!   item are serialised by its stripe lock), so the index converges to the base table.
//! - **Backfill** of a GSI created by UpdateTable reads the base table in chunks of
//!   [`WORK_CHUNK`] items, each at a fresh snapshot and written under the `index_work`
//!   lock (so queue draining of every table interleaves with a long backfill); writes made
//!   after the GSI was added to the catalog carry queue records for it, so backfill +
//!   queue cover every item. A chunk holds the lock from its snapshot to its write, so a
//!   queue record applied before a chunk is for a write that chunk's snapshot includes:
//!   a chunk never puts back an entry the queue already replaced. Items whose attribute
//!   violates the new index key are left out, as in DynamoDB. After a restart the
//!   backfill starts over (its puts are idempotent).
//! - **Drops** (DeleteTable, GSI deletion) leave a drop record naming a key prefix; the
//!   worker deletes the prefix's keys in bounded chunks, then the record.
//!
//! Queue record layout (value of `[INDEX_QUEUE_ID u32 BE][seq u64 BE]`):
//!
//! ```text
//! +--------------+------------+--------------+-----------------+--------------------------+
//! | magic "SHGQ" | version u8 | crc32(body)  | op count u32 LE | ops...                   |
//! |              |   (= 1)    |   u32 LE     | (body starts)   |                          |
//! +--------------+------------+--------------+-----------------+--------------------------+
//! op: tag u8 (1 = put, 2 = delete) | key len u32 LE | key | [value len u32 LE | value]
//! ```

use crate::catalog::{self, IndexDef, KeyDef, TableDef};
use crate::database::Core;
use crate::error::{CatalogCorruption, Error};
use crate::keys::{
    entry_key, id_prefix, partition_prefix, prefix_bounds, push_key_value, KeyRange, INDEX_QUEUE_ID,
};
use crate::types::{encode_item, item_size_bytes, Item};
use shale_engine::{Backend, BatchOp, Direction, WriteBatch};

/// The index worker's progress, guarded by `Core::index_work`.
#[derive(Debug, Default)]
pub(crate) struct IndexWork {
    /// Where the running backfill resumes: table id, index id, last base key done.
    backfill_cursor: Option<(u32, u32, Vec<u8>)>,
}

/// Per-partition item-collection sizes of tables with LSIs:
/// `[COLLECTION_SIZE_ID][table id u32 BE][partition prefix]` → size u64 BE.
pub(crate) const COLLECTION_SIZE_ID: u32 = 2;
/// Queue records, backfill items or dropped keys handled per batch.
pub(crate) const WORK_CHUNK: usize = 256;
/// Chunks one worker round handles before yielding (and re-checking shutdown).
pub(crate) const WORK_STEPS_PER_ROUND: usize = 64;

const QUEUE_MAGIC: &[u8; 4] = b"SHGQ";
const QUEUE_VERSION: u8 = 1;
const QUEUE_HEADER_BYTES: usize = 4 + 1 + 4;
const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;
/// Most ops in one queue record: two per GSI.
const MAX_QUEUE_OPS: u32 = 2 * catalog::MAX_GSIS as u32;

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
    let mut key = entry_key(index.id, &ik.pk, ik.sk.as_ref())?;
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
fn index_ops(
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
        match op {
            BatchOp::Put { key, value } => batch.put(key, value),
            BatchOp::Delete { key } => batch.delete(key),
        };
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

/// Adds a GSI maintenance record for `old → new` to `batch`, if any GSI changes.
///
/// # Errors
/// Invalid index key values.
pub(crate) fn queue_gsi_changes(
    core: &Core,
    def: &TableDef,
    old: Option<&Item>,
    new: Option<&Item>,
    batch: &mut WriteBatch,
) -> Result<bool, Error> {
    if def.gsis.is_empty() {
        return Ok(false);
    }
    let mut ops = Vec::new();
    for g in &def.gsis {
        index_ops(def, g, true, old, new, &mut ops)?;
    }
    if ops.is_empty() {
        return Ok(false);
    }
    batch.put(core.next_queue_key(), encode_queue_record(&ops));
    Ok(true)
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

fn encode_queue_record(ops: &[BatchOp]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(ops.len() as u32).to_le_bytes());
    for op in ops {
        match op {
            BatchOp::Put { key, value } => {
                body.push(OP_PUT);
                body.extend_from_slice(&(key.len() as u32).to_le_bytes());
                body.extend_from_slice(key);
                body.extend_from_slice(&(value.len() as u32).to_le_bytes());
                body.extend_from_slice(value);
            }
            BatchOp::Delete { key } => {
                body.push(OP_DELETE);
                body.extend_from_slice(&(key.len() as u32).to_le_bytes());
                body.extend_from_slice(key);
            }
        }
    }
    let mut out = Vec::with_capacity(QUEUE_HEADER_BYTES + body.len());
    out.extend_from_slice(QUEUE_MAGIC);
    out.push(QUEUE_VERSION);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn decode_queue_record(key: &[u8], bytes: &[u8]) -> Result<Vec<BatchOp>, Error> {
    let corrupt = |reason| Error::CorruptCatalog {
        key: key.to_vec(),
        reason,
    };
    if bytes.len() < QUEUE_HEADER_BYTES + 4 {
        return Err(corrupt(CatalogCorruption::Truncated));
    }
    if &bytes[..4] != QUEUE_MAGIC {
        return Err(corrupt(CatalogCorruption::BadMagic));
    }
    if bytes[4] != QUEUE_VERSION {
        return Err(corrupt(CatalogCorruption::UnsupportedVersion(bytes[4])));
    }
    let expected = u32::from_le_bytes(bytes[5..9].try_into().expect("4 bytes"));
    let body = &bytes[QUEUE_HEADER_BYTES..];
    let actual = crc32fast::hash(body);
    if actual != expected {
        return Err(corrupt(CatalogCorruption::ChecksumMismatch {
            expected,
            actual,
        }));
    }
    let mut pos = 0usize;
    let mut take = |n: usize| -> Result<&[u8], Error> {
        let end = pos.checked_add(n).filter(|e| *e <= body.len());
        let Some(end) = end else {
            return Err(corrupt(CatalogCorruption::Truncated));
        };
        let s = &body[pos..end];
        pos = end;
        Ok(s)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
    if count > MAX_QUEUE_OPS {
        return Err(corrupt(CatalogCorruption::BadPayload));
    }
    let mut ops = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let tag = take(1)?[0];
        let klen = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        let k = take(klen)?.to_vec();
        match tag {
            OP_PUT => {
                let vlen = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
                let v = take(vlen)?.to_vec();
                ops.push(BatchOp::Put { key: k, value: v });
            }
            OP_DELETE => ops.push(BatchOp::Delete { key: k }),
            _ => return Err(corrupt(CatalogCorruption::BadPayload)),
        }
    }
    if pos != body.len() {
        return Err(corrupt(CatalogCorruption::BadPayload));
    }
    Ok(ops)
}

/// The sequence number after the last queued record (0 for an empty queue).
///
/// # Errors
/// Storage failure.
pub(crate) fn next_queue_seq(backend: &dyn Backend) -> Result<u64, Error> {
    let (start, end) = prefix_bounds(&id_prefix(INDEX_QUEUE_ID));
    let mut it = backend.scan(start, end, Direction::Reverse, None)?;
    match it.next() {
        Some(kv) => {
            let (k, _) = kv?;
            let seq = k
                .get(4..12)
                .and_then(|s| <[u8; 8]>::try_from(s).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| Error::CorruptCatalog {
                    key: k.clone(),
                    reason: CatalogCorruption::Truncated,
                })?;
            Ok(seq + 1)
        }
        None => Ok(0),
    }
}

impl Core {
    /// One bounded round of index work: drain queued GSI records, then (if the queue is
    /// empty) advance backfills and drops. Returns whether work may remain.
    ///
    /// # Errors
    /// Storage failure or a corrupt queue record.
    pub(crate) fn run_index_work(&self, max_steps: usize) -> Result<bool, Error> {
        let mut work = self.index_work.lock();
        for _ in 0..max_steps {
            if self.drain_queue_chunk()? {
                continue;
            }
            if self.backfill_chunk(&mut work)? {
                continue;
            }
            if self.drop_chunk()? {
                continue;
            }
            return Ok(false);
        }
        Ok(true)
    }

    /// Applies up to [`WORK_CHUNK`] queue records. Returns whether any were found.
    fn drain_queue_chunk(&self) -> Result<bool, Error> {
        let (start, end) = prefix_bounds(&id_prefix(INDEX_QUEUE_ID));
        let mut batch = WriteBatch::new();
        let mut n = 0;
        for kv in self
            .backend
            .scan(start, end, Direction::Forward, None)?
            .take(WORK_CHUNK)
        {
            let (k, v) = kv?;
            for op in decode_queue_record(&k, &v)? {
                match op {
                    BatchOp::Put { key, value } => batch.put(key, value),
                    BatchOp::Delete { key } => batch.delete(key),
                };
            }
            batch.delete(k);
            n += 1;
        }
        if n == 0 {
            return Ok(false);
        }
        self.backend.write(batch)?;
        Ok(true)
    }

    /// Backfills up to [`WORK_CHUNK`] items of the first GSI still CREATING, and marks it
    /// ACTIVE after its last chunk. Returns whether there was one.
    fn backfill_chunk(&self, work: &mut IndexWork) -> Result<bool, Error> {
        let found = {
            let cat = self.catalog.read();
            cat.tables.values().find_map(|t| {
                t.gsis
                    .iter()
                    .find(|g| g.status == crate::shapes::IndexStatus::Creating)
                    .map(|g| (t.clone(), g.clone()))
            })
        };
        let Some((def, gsi)) = found else {
            work.backfill_cursor = None;
            return Ok(false);
        };
        let (mut start, end) = prefix_bounds(&id_prefix(def.id));
        if let Some((t, g, last)) = &work.backfill_cursor {
            if (*t, *g) == (def.id, gsi.id) {
                start = std::ops::Bound::Excluded(last.clone());
            }
        }
        let snapshot = self.backend.snapshot();
        let mut batch = WriteBatch::new();
        let mut last = None;
        let mut read = 0;
        for kv in self
            .backend
            .scan(start, end, Direction::Forward, Some(&snapshot))?
            .take(WORK_CHUNK)
        {
            let (k, v) = kv?;
            read += 1;
            let item = crate::types::decode_item(&v).map_err(|source| Error::CorruptItem {
                key: k.clone(),
                source,
            })?;
            last = Some(k);
            let mut ops = Vec::new();
            match index_ops(&def, &gsi, true, None, Some(&item), &mut ops) {
                Ok(_) => {}
                // An index key violation (wrong type, empty or oversized value): DynamoDB
                // leaves such items out of the index and carries on with the backfill.
                Err(Error::Validation(_)) => continue,
                Err(e) => return Err(e),
            }
            for op in ops {
                if let BatchOp::Put { key, value } = op {
                    batch.put(key, value);
                }
            }
        }
        if !batch.is_empty() {
            self.backend.write(batch)?;
        }
        match last {
            Some(last) if read == WORK_CHUNK => {
                work.backfill_cursor = Some((def.id, gsi.id, last));
            }
            _ => {
                work.backfill_cursor = None;
                self.finish_backfill(&def.name, gsi.id)?;
            }
        }
        Ok(true)
    }

    /// Deletes up to [`WORK_CHUNK`] keys of the first pending drop. Returns whether
    /// there was one.
    fn drop_chunk(&self) -> Result<bool, Error> {
        let (start, end) = prefix_bounds(&catalog::drop_key_prefix());
        let Some(kv) = self
            .backend
            .scan(start, end, Direction::Forward, None)?
            .next()
        else {
            return Ok(false);
        };
        let (drop_key, _) = kv?;
        let id = catalog::id_of_drop_key(&drop_key)?;
        let mut batch = WriteBatch::new();
        for prefix in [id_prefix(id).to_vec(), collection_size_prefix(id)] {
            let (s, e) = prefix_bounds(&prefix);
            for kv in self
                .backend
                .scan(s, e, Direction::Forward, None)?
                .take(WORK_CHUNK)
            {
                batch.delete(kv?.0);
            }
            if batch.len() >= WORK_CHUNK {
                break;
            }
        }
        if batch.is_empty() {
            batch.delete(drop_key);
        }
        self.backend.write(batch)?;
        Ok(true)
    }
}

/// The bounds of every entry of partition `pk` in index/table `id`.
///
/// # Errors
/// Invalid key value.
pub(crate) fn partition_bounds(
    id: u32,
    pk: &crate::types::AttributeValue,
) -> Result<KeyRange, Error> {
    Ok(prefix_bounds(&partition_prefix(id, pk)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_records_roundtrip_and_reject_damage() {
        let ops = vec![
            BatchOp::Put {
                key: vec![1, 2, 3],
                value: vec![9; 10],
            },
            BatchOp::Delete { key: vec![4, 5] },
        ];
        let rec = encode_queue_record(&ops);
        assert_eq!(decode_queue_record(b"k", &rec).unwrap(), ops);
        for i in 0..rec.len() {
            let mut bad = rec.clone();
            bad[i] ^= 0x10;
            assert!(
                decode_queue_record(b"k", &bad).is_err(),
                "flip at {i} unnoticed"
            );
        }
        for cut in 0..rec.len() {
            assert!(decode_queue_record(b"k", &rec[..cut]).is_err());
        }
    }
}
