//! The GSI maintenance queue: its durable record format and its sequence numbers.
//!
//! GSIs are asynchronous, as in DynamoDB. A base write appends one record (the exact
//! index puts/deletes, computed from the old and new item) under [`INDEX_QUEUE_ID`], in
//! the write's own batch; the worker (`crate::worker`) applies records in key (sequence)
//! order and deletes them, one batch per chunk, so a crash at any point re-applies at
//! most idempotent puts/deletes.
//!
//! Invariants (checked with `debug_assert!` where they are relied on):
//! - sequence numbers are allocated strictly increasing and never reused in a process;
//!   at open the allocator starts after the highest record present, so every record's
//!   sequence number is below [`GsiQueue::next_seq`];
//! - records of one item are allocated and committed under its item lock, so their
//!   order is the item's write order (records of different items touch disjoint index
//!   keys and may commit out of sequence order);
//! - a write that fails after allocating leaves a gap; gaps are harmless;
//! - a record holds at most [`MAX_QUEUE_OPS`] ops, each on an index key (id at least
//!   [`FIRST_USER_ID`]), and decodes to exactly what was encoded.
//!
//! Record layout (value of `[INDEX_QUEUE_ID u32 BE][seq u64 BE]`):
//!
//! ```text
//! +--------------+------------+--------------+-----------------+--------------------------+
//! | magic "SHGQ" | version u8 | crc32(body)  | op count u32 LE | ops...                   |
//! |              |   (= 1)    |   u32 LE     | (body starts)   |                          |
//! +--------------+------------+--------------+-----------------+--------------------------+
//! op: tag u8 (1 = put, 2 = delete) | key len u32 LE | key | [value len u32 LE | value]
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::catalog;
use crate::error::{CatalogCorruption, Error};
use crate::keys::{id_prefix, prefix_bounds, FIRST_USER_ID, INDEX_QUEUE_ID};
use shale_engine::{Backend, BatchOp, Direction};

const QUEUE_MAGIC: &[u8; 4] = b"SHGQ";
const QUEUE_VERSION: u8 = 1;
const QUEUE_HEADER_BYTES: usize = 4 + 1 + 4;
const OP_PUT: u8 = 1;
const OP_DELETE: u8 = 2;
/// Most ops in one queue record: two per GSI.
pub(crate) const MAX_QUEUE_OPS: u32 = 2 * catalog::MAX_GSIS as u32;
/// Bytes of a queue key: id prefix and sequence number.
const QUEUE_KEY_BYTES: usize = 4 + 8;

/// The queue's sequence allocator.
#[derive(Debug)]
pub(crate) struct GsiQueue {
    /// The next sequence number to hand out; above every record in the backend.
    next_seq: AtomicU64,
    /// The writes that may still commit records: for each, the sequence number it may
    /// allocate from (the allocator's next when it registered), with a count of writes
    /// that registered the same one.
    in_flight: Arc<Mutex<BTreeMap<u64, usize>>>,
}

/// A write's claim, from before its first allocation until its batch is committed or
/// abandoned (dropped): while it lives, [`GsiQueue::low_water`] stays at or below every
/// sequence number the write allocated.
#[derive(Debug)]
pub(crate) struct InFlight {
    in_flight: Arc<Mutex<BTreeMap<u64, usize>>>,
    from: u64,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut in_flight = self.in_flight.lock();
        if let Some(count) = in_flight.get_mut(&self.from) {
            *count -= 1;
            if *count == 0 {
                in_flight.remove(&self.from);
            }
        }
    }
}

impl GsiQueue {
    /// Starts the allocator after the last queued record (at 0 for an empty queue).
    ///
    /// # Errors
    /// Storage failure, or a malformed queue key.
    pub(crate) fn open(backend: &dyn Backend) -> Result<GsiQueue, Error> {
        let (start, end) = prefix_bounds(&id_prefix(INDEX_QUEUE_ID));
        let next_seq = match backend.scan(start, end, Direction::Reverse, None)?.next() {
            Some(kv) => seq_of(&kv?.0)? + 1,
            None => 0,
        };
        Ok(GsiQueue {
            next_seq: AtomicU64::new(next_seq),
            in_flight: Arc::default(),
        })
    }

    /// Registers a write about to allocate records; hold the claim until its batch is
    /// committed (or dropped).
    pub(crate) fn begin(&self) -> InFlight {
        let mut in_flight = self.in_flight.lock();
        // Under the lock, so `low_water` sees either this claim or a `next_seq` at or
        // below anything the write allocates.
        let from = self.next_seq.load(Ordering::SeqCst);
        *in_flight.entry(from).or_insert(0) += 1;
        InFlight {
            in_flight: Arc::clone(&self.in_flight),
            from,
        }
    }

    /// A sequence number below which every record that will ever exist is committed: the
    /// oldest claim's, or the allocator's next when no write holds one. Never decreases.
    pub(crate) fn low_water(&self) -> u64 {
        let in_flight = self.in_flight.lock();
        match in_flight.keys().next() {
            Some(&from) => from,
            None => self.next_seq.load(Ordering::SeqCst),
        }
    }

    /// The next sequence number to be allocated (every record's is below it).
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq.load(Ordering::SeqCst)
    }

    /// Allocates the next queue key. The caller holds a claim ([`GsiQueue::begin`]).
    pub(crate) fn next_key(&self) -> Vec<u8> {
        let seq = self.next_seq.fetch_add(1, Ordering::SeqCst);
        // 2^64 records would take millennia; a wrap would reorder the queue.
        debug_assert!(seq < u64::MAX, "GSI queue sequence exhausted");
        key_of(seq)
    }

    /// Checks, in debug builds, that a chunk of records about to be drained is in strictly
    /// increasing sequence order and was queued (allocated in this process, or found at
    /// open).
    pub(crate) fn debug_check_drained(&self, keys: &[Vec<u8>]) {
        if cfg!(debug_assertions) {
            let next = self.next_seq();
            let mut prev: Option<u64> = None;
            for k in keys {
                let seq = seq_of(k);
                debug_assert!(seq.is_ok(), "malformed queue key {k:?}");
                let Ok(seq) = seq else { continue };
                debug_assert!(
                    seq < next,
                    "drained record {seq} was never queued (next {next})"
                );
                debug_assert!(prev.is_none_or(|p| p < seq), "queue out of order at {seq}");
                prev = Some(seq);
            }
        }
    }
}

/// The queue key of sequence number `seq`.
pub(crate) fn key_of(seq: u64) -> Vec<u8> {
    let mut k = id_prefix(INDEX_QUEUE_ID).to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    debug_assert_eq!(k.len(), QUEUE_KEY_BYTES);
    k
}

/// The sequence number of queue key `k`.
///
/// # Errors
/// A key that is not `[INDEX_QUEUE_ID][seq u64 BE]`.
pub(crate) fn seq_of(k: &[u8]) -> Result<u64, Error> {
    (k.len() == QUEUE_KEY_BYTES && k[..4] == id_prefix(INDEX_QUEUE_ID))
        .then(|| k.get(4..12).and_then(|s| <[u8; 8]>::try_from(s).ok()))
        .flatten()
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::CorruptCatalog {
            key: k.to_vec(),
            reason: CatalogCorruption::Truncated,
        })
}

/// Encodes one queue record.
pub(crate) fn encode_record(ops: &[BatchOp]) -> Vec<u8> {
    debug_assert!(!ops.is_empty(), "an empty record is never queued");
    debug_assert!(ops.len() <= MAX_QUEUE_OPS as usize, "{} ops", ops.len());
    debug_assert!(
        ops.iter().all(|op| op
            .key()
            .and_then(|k| k.get(..4))
            .and_then(|p| <[u8; 4]>::try_from(p).ok())
            .is_some_and(|p| u32::from_be_bytes(p) >= FIRST_USER_ID)),
        "a queue record only writes index entries"
    );
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
            // Never queued (checked above): index maintenance writes keys only.
            BatchOp::LogData { .. } => {}
        }
    }
    let mut out = Vec::with_capacity(QUEUE_HEADER_BYTES + body.len());
    out.extend_from_slice(QUEUE_MAGIC);
    out.push(QUEUE_VERSION);
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    // Assert in pairs: what is queued is what the worker will read back.
    debug_assert!(
        decode_record(b"", &out).is_ok_and(|d| d == ops),
        "queue record does not round-trip"
    );
    out
}

/// Decodes and checks one queue record stored at `key`.
///
/// # Errors
/// `CorruptCatalog` for a truncated, damaged or unknown record.
pub(crate) fn decode_record(key: &[u8], bytes: &[u8]) -> Result<Vec<BatchOp>, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_records_roundtrip_and_reject_damage() {
        let index_key = |tail: &[u8]| [&FIRST_USER_ID.to_be_bytes()[..], tail].concat();
        let ops = vec![
            BatchOp::Put {
                key: index_key(&[1, 2, 3]),
                value: vec![9; 10],
            },
            BatchOp::Delete {
                key: index_key(&[4, 5]),
            },
        ];
        let rec = encode_record(&ops);
        assert_eq!(decode_record(b"k", &rec).unwrap(), ops);
        for i in 0..rec.len() {
            let mut bad = rec.clone();
            bad[i] ^= 0x10;
            assert!(decode_record(b"k", &bad).is_err(), "flip at {i} unnoticed");
        }
        for cut in 0..rec.len() {
            assert!(decode_record(b"k", &rec[..cut]).is_err());
        }
    }

    #[test]
    fn sequence_numbers_resume_after_the_last_record_and_increase() {
        let backend = shale_engine::MemBackend::new();
        let q = GsiQueue::open(&backend).unwrap();
        assert_eq!(q.next_seq(), 0);
        let (a, b) = (q.next_key(), q.next_key());
        assert!(a < b && seq_of(&a).unwrap() + 1 == seq_of(&b).unwrap());
        let mut batch = shale_engine::WriteBatch::new();
        batch.put(b.clone(), Vec::new());
        backend.write(batch).unwrap();
        let reopened = GsiQueue::open(&backend).unwrap();
        assert_eq!(reopened.next_seq(), seq_of(&b).unwrap() + 1);
        reopened.debug_check_drained(&[b]);
        assert!(seq_of(&[0, 0, 0, 1, 0]).is_err());
    }
}
