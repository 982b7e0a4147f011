//! The TTL sweep: finds expired items and deletes them through the write path.
//!
//! As in DynamoDB, a table names one attribute; an item whose value there is a Number of
//! epoch seconds not after now is expired (see [`is_expired`]), and the sweep deletes it
//! some time later. Until then reads still return it.
//!
//! A round walks each TTL-enabled table in key order from a per-table cursor
//! (`Core::ttl_sweep`), at most [`TTL_ITEMS_PER_ROUND`] items, wrapping at the end, and
//! deletes what it finds expired through `crate::write` (re-checked under the item's
//! lock, so an item rewritten with a later expiry meanwhile is kept, and its indexes are
//! maintained). Time comes from `DatabaseOptions::clock`.

use std::ops::Bound;
use std::sync::Arc;

use crate::catalog::{KeyValues, TableDef};
use crate::core::Core;
use crate::error::Error;
use crate::keys::{id_prefix, prefix_bounds};
use crate::stored::decode_stored;
use crate::types::{AttributeValue, Item, Number};
use crate::write::{write_item, ItemWrite};
use shale_engine::Direction;

/// Items of one table one sweep round examines: bounds a round's work on a big table.
pub const TTL_ITEMS_PER_ROUND: usize = 4096;
/// DynamoDB leaves items whose expiry is more than five years in the past alone.
pub const TTL_MAX_AGE_SECS: u64 = 5 * 365 * 24 * 3600;

/// Whether `item` is expired at `now_secs` under TTL attribute `attr`. Items without the
/// attribute, with a non-Number value, or expired more than [`TTL_MAX_AGE_SECS`] ago
/// (DynamoDB's rule) never are.
pub fn is_expired(item: &Item, attr: &str, now_secs: u64) -> bool {
    let Some(AttributeValue::N(at)) = item.get(attr) else {
        return false;
    };
    let now = Number::from(i64::try_from(now_secs).unwrap_or(i64::MAX));
    let oldest =
        Number::from(i64::try_from(now_secs.saturating_sub(TTL_MAX_AGE_SECS)).unwrap_or(0));
    *at <= now && *at >= oldest
}

/// One sweep round over every TTL-enabled table. Returns the items deleted and whether
/// every table's cursor reached its end (a full pass is complete).
///
/// # Errors
/// Storage failure or a corrupt item.
pub(crate) fn sweep_round(core: &Core) -> Result<(usize, bool), Error> {
    let tables: Vec<Arc<TableDef>> = core
        .catalog
        .read()
        .tables
        .values()
        .filter(|t| t.ttl_attribute.is_some())
        .cloned()
        .collect();
    let now_secs = core.opts.clock.now_secs();
    let mut sweep = core.ttl_sweep.lock();
    sweep
        .cursors
        .retain(|id, _| tables.iter().any(|t| t.id == *id));
    let mut deleted = 0;
    let mut all_wrapped = true;
    for def in tables {
        let Some(attr) = def.ttl_attribute.as_deref() else {
            continue;
        };
        let (mut start, end) = prefix_bounds(&id_prefix(def.id));
        if let Some(after) = sweep.cursors.get(&def.id) {
            start = Bound::Excluded(after.clone());
        }
        let mut expired = Vec::new();
        let mut last = None;
        let mut seen = 0;
        for kv in core
            .backend
            .scan(start, end, Direction::Forward, None)?
            .take(TTL_ITEMS_PER_ROUND)
        {
            let (k, v) = kv?;
            seen += 1;
            let item = decode_stored(&k, &v)?;
            if is_expired(&item, attr, now_secs) {
                expired.push(def.key.item_key(&item)?);
            }
            last = Some(k);
        }
        match last {
            Some(k) if seen == TTL_ITEMS_PER_ROUND => {
                sweep.cursors.insert(def.id, k);
                all_wrapped = false;
            }
            _ => {
                sweep.cursors.remove(&def.id);
            }
        }
        for key in expired {
            deleted += usize::from(delete_if_expired(core, &def, attr, &key, now_secs)?);
        }
    }
    Ok((deleted, all_wrapped))
}

/// Deletes the item at `key` if it is still expired (under its lock, through the write
/// path, so indexes follow). Returns whether it deleted it.
fn delete_if_expired(
    core: &Core,
    def: &TableDef,
    attr: &str,
    key: &KeyValues,
    now_secs: u64,
) -> Result<bool, Error> {
    // Writers hold the catalog read lock while they use a definition; so does this, and
    // it re-reads the definition in case the table changed or went away.
    let cat = core.catalog.read();
    let Some(current) = cat
        .tables
        .get(&def.name)
        .filter(|t| t.id == def.id)
        .cloned()
    else {
        return Ok(false);
    };
    if current.ttl_attribute.as_deref() != Some(attr) {
        return Ok(false);
    }
    // TTL deletes consume none of the table's write capacity: DynamoDB's are free and
    // run "on a best-effort basis to ensure availability of throughput for other data
    // operations" (UpdateTimeToLive's reference).
    let write = ItemWrite::new(&current, key, true, |old| match old {
        Some(item) if is_expired(item, attr, now_secs) => Ok(None),
        // Rewritten or deleted meanwhile: leave it (the error only aborts the write).
        _ => Err(Error::ConditionalCheckFailed { item: None }),
    })
    .uncharged()
    .by_ttl();
    match write_item(core, &cat, write) {
        Ok(_) => Ok(true),
        Err(Error::ConditionalCheckFailed { .. }) => Ok(false),
        // Held by a transaction in flight: the next pass looks at it again.
        Err(Error::TransactionConflict) => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ttl(v: AttributeValue) -> Item {
        Item::from([("exp".to_string(), v)])
    }

    #[test]
    fn expiry_follows_dynamodbs_rules() {
        let now = 1_700_000_000;
        let n = |s: &str| AttributeValue::N(s.parse().unwrap());
        assert!(is_expired(&with_ttl(n("1700000000")), "exp", now));
        assert!(is_expired(&with_ttl(n("1699999999.5")), "exp", now));
        assert!(!is_expired(&with_ttl(n("1700000001")), "exp", now));
        // More than five years ago: never deleted.
        assert!(!is_expired(&with_ttl(n("1000")), "exp", now));
        // Not a Number, or absent: never expires.
        assert!(!is_expired(
            &with_ttl(AttributeValue::S("1".into())),
            "exp",
            now
        ));
        assert!(!is_expired(&with_ttl(n("1")), "other", now));
    }
}
