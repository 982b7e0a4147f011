//! Time to live: UpdateTimeToLive / DescribeTimeToLive, and the sweeper that deletes
//! expired items.
//!
//! As in DynamoDB, a table names one attribute; an item whose value there is a Number of
//! epoch seconds not after now is expired, and a background process deletes it some time
//! later. Until then reads still return it (applications filter on the attribute). Items
//! without the attribute, with a non-Number value, or expired more than five years ago
//! (DynamoDB's rule) are never deleted.
//!
//! The sweeper walks each TTL-enabled table in key order from a per-table cursor, at most
//! [`TTL_ITEMS_PER_ROUND`] items a round, wrapping at the end, and deletes what it finds
//! expired through the ordinary write path (re-checked under the item's lock, so an item
//! rewritten with a later expiry meanwhile is kept, and its indexes are maintained). Time
//! comes from [`super::DatabaseOptions::clock`], so tests expire items by moving a manual
//! clock and calling [`super::Database::sweep_expired_items`].

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::catalog::TableDef;
use crate::database::Core;
use crate::error::{Error, ValidationError};
use crate::keys::{id_prefix, prefix_bounds};
use crate::shapes::*;
use crate::types::{decode_item, AttributeValue, Item, Number};
use shale_engine::Direction;

/// Items of one table one sweep round examines: bounds a round's work on a big table.
pub const TTL_ITEMS_PER_ROUND: usize = 4096;
/// DynamoDB leaves items whose expiry is more than five years in the past alone.
pub const TTL_MAX_AGE_SECS: u64 = 5 * 365 * 24 * 3600;
/// Longest TTL attribute name.
const MAX_TTL_ATTRIBUTE_BYTES: usize = 255;
/// Rounds [`super::Database::sweep_expired_items`] runs at most (each advances every
/// table's cursor by up to [`TTL_ITEMS_PER_ROUND`] items).
const MAX_SWEEP_ROUNDS: usize = 1 << 16;

/// Whether `item` is expired at `now_secs` under TTL attribute `attr`.
pub fn is_expired(item: &Item, attr: &str, now_secs: u64) -> bool {
    let Some(AttributeValue::N(at)) = item.get(attr) else {
        return false;
    };
    let now = Number::from(i64::try_from(now_secs).unwrap_or(i64::MAX));
    let oldest =
        Number::from(i64::try_from(now_secs.saturating_sub(TTL_MAX_AGE_SECS)).unwrap_or(0));
    *at <= now && *at >= oldest
}

/// Where the sweeper resumes in each table (by table id), guarded by `Core::ttl_sweep`.
#[derive(Debug, Default)]
pub(crate) struct TtlSweep {
    cursors: BTreeMap<u32, Vec<u8>>,
}

impl super::Database {
    /// UpdateTimeToLive: turn TTL on for an attribute, or off.
    ///
    /// # Errors
    /// ResourceNotFound; ValidationException if TTL is already in the asked state or the
    /// attribute name is empty or too long; storage failure.
    pub fn update_time_to_live(
        &self,
        input: UpdateTimeToLiveInput,
    ) -> Result<UpdateTimeToLiveOutput, Error> {
        let spec = input.time_to_live_specification;
        let name_len = spec.attribute_name.len();
        if name_len == 0 || name_len > MAX_TTL_ATTRIBUTE_BYTES {
            return Err(ValidationError::TimeToLiveAttributeName {
                value: spec.attribute_name,
            }
            .into());
        }
        let core = &self.core;
        let mut cat = core.catalog.write();
        let old = core.table_for_items(&cat, &input.table_name)?;
        match (&old.ttl_attribute, spec.enabled) {
            (Some(_), true) => return Err(ValidationError::TimeToLiveAlreadyEnabled.into()),
            (None, false) => return Err(ValidationError::TimeToLiveAlreadyDisabled.into()),
            _ => {}
        }
        let mut def = (*old).clone();
        def.ttl_attribute = spec.enabled.then(|| spec.attribute_name.clone());
        let mut batch = shale_engine::WriteBatch::new();
        Core::persist_def(&mut batch, &def);
        core.backend.write(batch)?;
        cat.tables.insert(def.name.clone(), Arc::new(def));
        Ok(UpdateTimeToLiveOutput {
            time_to_live_specification: spec,
        })
    }

    /// DescribeTimeToLive.
    ///
    /// # Errors
    /// ResourceNotFound.
    pub fn describe_time_to_live(
        &self,
        input: DescribeTimeToLiveInput,
    ) -> Result<DescribeTimeToLiveOutput, Error> {
        let def = self.core.table_named(&input.table_name)?;
        Ok(DescribeTimeToLiveOutput {
            time_to_live_description: TimeToLiveDescription {
                time_to_live_status: Some(if def.ttl_attribute.is_some() {
                    TimeToLiveStatus::Enabled
                } else {
                    TimeToLiveStatus::Disabled
                }),
                attribute_name: def.ttl_attribute.clone(),
            },
        })
    }

    /// Deletes every item expired now (by the options' clock) in every TTL-enabled table,
    /// as the background sweeper eventually does; returns how many it deleted. For tests
    /// and tools that want expiry to have happened by a point in time.
    ///
    /// # Errors
    /// Storage failure.
    pub fn sweep_expired_items(&self) -> Result<usize, Error> {
        let mut deleted = 0;
        // Start every table from its beginning, and stop once a round finds each at its
        // end again.
        self.core.ttl_sweep.lock().cursors.clear();
        for _ in 0..MAX_SWEEP_ROUNDS {
            let (n, wrapped) = self.core.sweep_round()?;
            deleted += n;
            if wrapped {
                return Ok(deleted);
            }
        }
        Ok(deleted)
    }
}

impl Core {
    /// One sweep round over every TTL-enabled table. Returns the items deleted and whether
    /// every table's cursor reached its end (a full pass is complete).
    ///
    /// # Errors
    /// Storage failure or a corrupt item.
    pub(crate) fn sweep_round(&self) -> Result<(usize, bool), Error> {
        let tables: Vec<Arc<TableDef>> = self
            .catalog
            .read()
            .tables
            .values()
            .filter(|t| t.ttl_attribute.is_some())
            .cloned()
            .collect();
        let now_secs = self.opts.clock.now_secs();
        let mut sweep = self.ttl_sweep.lock();
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
            for kv in self
                .backend
                .scan(start, end, Direction::Forward, None)?
                .take(TTL_ITEMS_PER_ROUND)
            {
                let (k, v) = kv?;
                seen += 1;
                let item = decode_item(&v).map_err(|source| Error::CorruptItem {
                    key: k.clone(),
                    source,
                })?;
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
                deleted += usize::from(self.delete_if_expired(&def, attr, &key, now_secs)?);
            }
        }
        Ok((deleted, all_wrapped))
    }

    /// Deletes the item at `key` if it is still expired (under its lock, through the write
    /// path, so indexes follow). Returns whether it deleted it.
    fn delete_if_expired(
        &self,
        def: &TableDef,
        attr: &str,
        key: &crate::catalog::KeyValues,
        now_secs: u64,
    ) -> Result<bool, Error> {
        // Writers hold the catalog read lock while they use a definition; so does this,
        // and it re-reads the definition in case the table changed or went away.
        let cat = self.catalog.read();
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
        let result = self.mutate(&current, key, true, |old| match old {
            Some(item) if is_expired(item, attr, now_secs) => Ok(None),
            // Rewritten or deleted meanwhile: leave it (the error only aborts the write).
            _ => Err(Error::ConditionalCheckFailed { item: None }),
        });
        match result {
            Ok(_) => Ok(true),
            Err(Error::ConditionalCheckFailed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
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
