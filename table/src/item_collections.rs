//! ReturnItemCollectionMetrics = SIZE: DynamoDB's estimate of the item collections
//! (every item with one partition-key value, in a table with LSIs) a write touched.
//!
//! The size comes from the per-partition item-collection size the write path keeps for
//! LSI tables (`crate::secondary_index::collection_size_key`), read after the commit. As
//! DynamoDB's, the answer is a 1 GB range around it: `[floor(size), floor(size) + 1]` GB.
//! Tables without LSIs have no item collections and get no metrics, as in DynamoDB.

use crate::catalog::TableDef;
use crate::core::Core;
use crate::keys::partition_prefix;
use crate::secondary_index::{collection_size_key, decode_collection_size};
use crate::shapes::{ItemCollectionMetrics, ReturnItemCollectionMetrics};
use crate::types::{AttributeValue, Item};

/// Bytes per GB, for the estimate.
const GB_BYTES: f64 = (1u64 << 30) as f64;

/// Whether a request asked for item-collection metrics.
pub(crate) fn wanted(asked: Option<ReturnItemCollectionMetrics>) -> bool {
    asked == Some(ReturnItemCollectionMetrics::Size)
}

/// The metrics of `def`'s collection with partition key `pk`; `None` for a table without
/// LSIs. An estimate by definition: a read error reports an empty collection rather than
/// failing a write that committed.
pub(crate) fn of(
    core: &Core,
    def: &TableDef,
    pk: &AttributeValue,
) -> Option<ItemCollectionMetrics> {
    if def.lsis.is_empty() {
        return None;
    }
    let partition = partition_prefix(def.id, pk).ok()?;
    let size_key = collection_size_key(def, &partition);
    let size_bytes = match core.backend.get(&size_key, None) {
        Ok(Some(v)) => decode_collection_size(&size_key, &v).unwrap_or(0),
        _ => 0,
    };
    let low_gb = (size_bytes as f64 / GB_BYTES).floor();
    Some(ItemCollectionMetrics {
        item_collection_key: Item::from([(def.key.hash.name.clone(), pk.clone())]),
        size_estimate_range_gb: vec![low_gb, low_gb + 1.0],
    })
}
