//! The internal key layout: how tables, indexes and the catalog share one ordered
//! key space.
//!
//! ```text
//! item / LSI / GSI entry:
//! +-----------+----------------------+------------------+------------------+--------------------+
//! | id: u32BE | xxh3(enc(pk)): u64BE | enc(pk)          | enc(sk)?         | enc(base key)?     |
//! +-----------+----------------------+------------------+------------------+--------------------+
//!   table or    spreads partitions     self-delimiting    absent for a       index entries only:
//!   index id    over the hash space    (types::key)       hash-only schema   the base pk [+ sk]
//! ```
//!
//! Invariants:
//! - ids below [`FIRST_USER_ID`] are reserved ([`CATALOG_ID`], [`INDEX_QUEUE_ID`]);
//!   ids are never reused, so a dropped table's leftovers can never be read as a new one's.
//! - All items of one partition key are contiguous and ordered by sort key, because the
//!   encodings are order-preserving and self-delimiting: Query is one range scan.
//! - Scan walks hash order, the order DynamoDB's Scan returns; a parallel-scan segment is
//!   a contiguous slice of the 64-bit hash space.

use std::ops::Bound;

use xxhash_rust::xxh3::xxh3_64;

use crate::types::{encode_key_value, AttributeValue, TypeError};

/// The catalog's id: table definitions and the id counter live under it.
pub(crate) const CATALOG_ID: u32 = 0;
/// The GSI maintenance queue's id.
pub(crate) const INDEX_QUEUE_ID: u32 = 1;
/// The first id given to a table or an index.
pub(crate) const FIRST_USER_ID: u32 = 16;
/// Bytes of the id + hash header of every item and index key.
pub(crate) const KEY_HEADER_BYTES: usize = 4 + 8;

/// A backend key range: (start, end) bounds.
pub(crate) type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The 4-byte prefix of everything stored under `id`.
pub(crate) fn id_prefix(id: u32) -> [u8; 4] {
    id.to_be_bytes()
}

/// Appends the order-preserving encoding of a key value.
///
/// # Errors
/// [`TypeError`] when `value` is not S, N or B (callers validate first, so this is a
/// defensive check, not an expected path).
pub(crate) fn push_key_value(value: &AttributeValue, out: &mut Vec<u8>) -> Result<(), TypeError> {
    encode_key_value(value, out)
}

/// `[id][hash(enc(pk1)‖…‖enc(pkN))][enc(pk1)]…[enc(pkN)]`: the prefix shared by every
/// entry of a multi-attribute partition key (a GSI's), whose values hash together. With
/// one value it is exactly [`partition_prefix`]: single-attribute keys are unchanged.
///
/// # Errors
/// As [`push_key_value`].
pub(crate) fn composite_partition_prefix(
    id: u32,
    pks: &[AttributeValue],
) -> Result<Vec<u8>, TypeError> {
    let mut out = Vec::with_capacity(KEY_HEADER_BYTES + 64 * pks.len());
    out.extend_from_slice(&id_prefix(id));
    out.extend_from_slice(&[0; 8]);
    for pk in pks {
        push_key_value(pk, &mut out)?;
    }
    let hash = xxh3_64(&out[KEY_HEADER_BYTES..]);
    out[4..KEY_HEADER_BYTES].copy_from_slice(&hash.to_be_bytes());
    Ok(out)
}

/// The partition-key hash of a multi-attribute partition key (see
/// [`composite_partition_prefix`]); with one value, [`pk_hash`].
///
/// # Errors
/// As [`push_key_value`].
pub(crate) fn composite_pk_hash(pks: &[AttributeValue]) -> Result<u64, TypeError> {
    let mut enc = Vec::with_capacity(64 * pks.len());
    for pk in pks {
        push_key_value(pk, &mut enc)?;
    }
    Ok(xxh3_64(&enc))
}

/// `[id][hash(enc(pk))][enc(pk)]`: the prefix shared by every entry with this partition key.
///
/// # Errors
/// As [`push_key_value`].
pub(crate) fn partition_prefix(id: u32, pk: &AttributeValue) -> Result<Vec<u8>, TypeError> {
    let out = composite_partition_prefix(id, std::slice::from_ref(pk))?;
    debug_assert_eq!(header_hash(&out), xxh3_64(&out[KEY_HEADER_BYTES..]));
    Ok(out)
}

/// The partition-key hash in the header of `key` (an item, LSI or GSI entry key, or a
/// scan bound); 0 for a key too short to hold one (a bound at the start of an id).
pub(crate) fn header_hash(key: &[u8]) -> u64 {
    key.get(4..KEY_HEADER_BYTES)
        .and_then(|h| <[u8; 8]>::try_from(h).ok())
        .map_or(0, u64::from_be_bytes)
}

/// A base-table item key's position in its table's key space: its bytes after the
/// table id (`[hash][partition key][sort key]`, ordered as DynamoDB orders an item
/// collection), by which capacity admission routes within a collection split on the
/// sort key (`capacity::partitions::PartitionStart`). `None` for a key too short.
pub(crate) fn key_position(key: &[u8]) -> Option<&[u8]> {
    key.get(4..)
        .filter(|rest| rest.len() >= KEY_HEADER_BYTES - 4)
}

/// The key of a base-table item, or of an LSI entry (whose "pk" is the table's).
///
/// # Errors
/// As [`push_key_value`].
pub(crate) fn entry_key(
    id: u32,
    pk: &AttributeValue,
    sk: Option<&AttributeValue>,
) -> Result<Vec<u8>, TypeError> {
    let mut out = partition_prefix(id, pk)?;
    if let Some(sk) = sk {
        push_key_value(sk, &mut out)?;
    }
    Ok(out)
}

/// The smallest key greater than every key starting with `prefix`, or `None` if there is
/// none (all bytes 0xFF).
pub(crate) fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last < 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// The bounds covering exactly the keys that start with `prefix`.
pub(crate) fn prefix_bounds(prefix: &[u8]) -> KeyRange {
    let end = match prefix_successor(prefix) {
        Some(e) => Bound::Excluded(e),
        None => Bound::Unbounded,
    };
    (Bound::Included(prefix.to_vec()), end)
}

/// The bounds of a parallel-scan segment of `id`: hashes in
/// `[segment·2⁶⁴/total, (segment+1)·2⁶⁴/total)`.
pub(crate) fn segment_bounds(id: u32, segment: u32, total: u32) -> KeyRange {
    let hash_at = |s: u32| -> Option<u64> {
        if s >= total {
            None
        } else {
            Some(((u128::from(s) << 64) / u128::from(total)) as u64)
        }
    };
    let key_at = |h: u64| {
        let mut k = id_prefix(id).to_vec();
        k.extend_from_slice(&h.to_be_bytes());
        k
    };
    let start = key_at(hash_at(segment).unwrap_or(u64::MAX));
    let end = match hash_at(segment + 1) {
        Some(h) => key_at(h),
        None => id_prefix(id + 1).to_vec(),
    };
    (Bound::Included(start), Bound::Excluded(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_successor_increments_the_last_non_ff_byte() {
        assert_eq!(prefix_successor(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_successor(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_successor(&[0xFF, 0xFF]), None);
    }

    #[test]
    fn segments_tile_the_hash_space_without_gaps() {
        let total = 7;
        let mut previous_end: Option<Bound<Vec<u8>>> = None;
        for s in 0..total {
            let (start, end) = segment_bounds(42, s, total);
            if let (Some(Bound::Excluded(pe)), Bound::Included(st)) = (&previous_end, &start) {
                assert_eq!(pe, st);
            } else if s > 0 {
                panic!("segment {s} does not start where {} ended", s - 1);
            }
            previous_end = Some(end);
        }
        assert_eq!(previous_end, Some(Bound::Excluded(id_prefix(43).to_vec())));
        let (first, _) = segment_bounds(42, 0, total);
        let mut expect = id_prefix(42).to_vec();
        expect.extend_from_slice(&0u64.to_be_bytes());
        assert_eq!(first, Bound::Included(expect));
    }

    #[test]
    fn items_of_one_partition_share_a_prefix_and_sort_by_sort_key() {
        let pk = AttributeValue::S("user".into());
        let a = entry_key(20, &pk, Some(&AttributeValue::S("a".into()))).unwrap();
        let b = entry_key(20, &pk, Some(&AttributeValue::S("ab".into()))).unwrap();
        let prefix = partition_prefix(20, &pk).unwrap();
        assert!(a.starts_with(&prefix) && b.starts_with(&prefix));
        assert!(a < b);
    }
}
