//! Items as the base table stores them: the whole item (keys included) in
//! [`crate::types::encode_item`]'s format, under its entry key (`crate::keys`).

use crate::catalog::{KeyValues, TableDef};
use crate::error::Error;
use crate::keys::entry_key;
use crate::types::{decode_item, encode_item, Item};
use shale_engine::Backend;

/// Decodes a stored item; a damaged one is `CorruptItem` naming its key.
///
/// # Errors
/// `CorruptItem`.
pub(crate) fn decode_stored(key: &[u8], bytes: &[u8]) -> Result<Item, Error> {
    decode_item(bytes).map_err(|source| Error::CorruptItem {
        key: key.to_vec(),
        source,
    })
}

/// Encodes a validated item of `size_bytes` (as `types::validate_item` measured it).
///
/// # Errors
/// A value the codec cannot encode (validation rules it out first).
pub(crate) fn encode_stored(item: &Item, size_bytes: usize) -> Result<Vec<u8>, Error> {
    // The encoding is the attribute bytes plus a few bytes of framing each.
    let mut value = Vec::with_capacity(size_bytes + 8 * item.len() + 8);
    encode_item(item, &mut value)?;
    Ok(value)
}

/// Reads one item by key (latest committed state).
///
/// # Errors
/// Invalid key value, storage failure, `CorruptItem`.
pub(crate) fn read_item(
    backend: &dyn Backend,
    def: &TableDef,
    key: &KeyValues,
) -> Result<Option<Item>, Error> {
    let k = entry_key(def.id, &key.pk, key.sk.as_ref())?;
    match backend.get(&k, None)? {
        Some(v) => Ok(Some(decode_stored(&k, &v)?)),
        None => Ok(None),
    }
}
