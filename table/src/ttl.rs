//! Time to live: UpdateTimeToLive / DescribeTimeToLive, and
//! [`crate::Database::sweep_expired_items`].
//!
//! As in DynamoDB, a table names one attribute; an item whose value there is a Number of
//! epoch seconds not after now is expired, and a background process deletes it some time
//! later (`crate::worker::ttl_sweep`, which holds the expiry rule). Until then reads
//! still return it (applications filter on the attribute). Tests expire items by moving a
//! manual clock and calling [`crate::Database::sweep_expired_items`].

use std::sync::Arc;

use crate::control;
use crate::error::{Error, ValidationError};
use crate::shapes::*;
use crate::worker::ttl_sweep;

/// Longest TTL attribute name.
const MAX_TTL_ATTRIBUTE_BYTES: usize = 255;
/// Rounds [`crate::Database::sweep_expired_items`] runs at most (each advances every
/// table's cursor by up to `TTL_ITEMS_PER_ROUND` items).
const MAX_SWEEP_ROUNDS: usize = 1 << 16;

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
        crate::catalog::validate_table_operation_name(&input.table_name)?;
        let spec = input.time_to_live_specification;
        let name_len = spec.attribute_name.len();
        if name_len == 0 {
            return Err(ValidationError::TimeToLiveAttributeNameEmpty.into());
        }
        if name_len > MAX_TTL_ATTRIBUTE_BYTES {
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
        control::persist_def(&mut batch, &def);
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
        crate::catalog::validate_table_operation_name(&input.table_name)?;
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
            let (n, wrapped) = ttl_sweep::sweep_round(&self.core)?;
            deleted += n;
            if wrapped {
                return Ok(deleted);
            }
        }
        Ok(deleted)
    }
}
