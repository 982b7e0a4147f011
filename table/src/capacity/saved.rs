//! A resource's state to and from its capacity record (`crate::capacity_records`): the
//! partition layout, the table-level balances and the on-demand peaks.
//!
//! A restored resource is built the way UpdateTable rebuilds one: the saved state is
//! made into the "old" resource, as of the time it was saved, and the new one is
//! `Resource::rebuilt` from it and given its balances and peaks by `carry_state`. So the
//! saved partitions are kept while the current throughput needs no more, the balances
//! refill over the time the database was closed (up to the burst cap), and each
//! partition's balance is its share of the table's, as after any rebuild.

use super::admission::carry_state;
use super::on_demand::OnDemandScaler;
use super::partitions::{Mode, PartitionStart, Resource, Side};
use super::CapacityOptions;
use crate::capacity_records::{BillingRecord, PeaksRecord, ResourceRecord, StartRecord};

/// The record of `r`, the resource of table or GSI `id`, at `now_us`.
pub(crate) fn resource_record(id: u32, r: &Resource, now_us: u64) -> ResourceRecord {
    let balance = |side| r.table_bucket(side).map(|b| b.balance_at(now_us));
    let peaks = |side| {
        r.scaler(side).map(|s| {
            let (peak, pending) = s.peaks_at(now_us);
            PeaksRecord { peak, pending }
        })
    };
    ResourceRecord {
        id,
        billing: match r.mode {
            Mode::Provisioned {
                read_units,
                write_units,
            } => BillingRecord::Provisioned {
                read_units,
                write_units,
            },
            Mode::OnDemand {
                max_read_units,
                max_write_units,
            } => BillingRecord::OnDemand {
                max_read_units,
                max_write_units,
            },
        },
        starts: r
            .partitions
            .iter()
            .map(|p| StartRecord {
                hash: p.start_hash,
                key: p.start_key.as_deref().map(crate::hex::encode),
            })
            .collect(),
        read_balance: balance(Side::Read),
        write_balance: balance(Side::Write),
        read_peaks: peaks(Side::Read),
        write_peaks: peaks(Side::Write),
    }
}

/// The resource billed by `mode` that `saved` (a checked record, saved at `saved_us`)
/// describes, at `now_us`: rebuilt from the saved state, in the mode it was saved in,
/// as UpdateTable rebuilds a resource whose mode changed.
pub(crate) fn restored_resource(
    mode: Mode,
    saved: &ResourceRecord,
    saved_us: u64,
    opts: &CapacityOptions,
    now_us: u64,
) -> Resource {
    // A clock that went back since the save restores the balances as they were.
    let then = saved_us.min(now_us);
    let starts = saved
        .starts
        .iter()
        .map(|s| PartitionStart {
            hash: s.hash,
            key: s.key_bytes().map(Vec::into_boxed_slice),
        })
        .collect();
    let saved_mode = match saved.billing {
        BillingRecord::Provisioned {
            read_units,
            write_units,
        } => Mode::Provisioned {
            read_units,
            write_units,
        },
        BillingRecord::OnDemand {
            max_read_units,
            max_write_units,
        } => Mode::OnDemand {
            max_read_units,
            max_write_units,
        },
    };
    let mut old = Resource::with_starts(saved_mode, starts, opts, then);
    for (side, balance) in [
        (Side::Read, saved.read_balance),
        (Side::Write, saved.write_balance),
    ] {
        if let (Some(bucket), Some(balance)) = (old.table_bucket(side), balance) {
            // A reopened table owes at most one burst: a record's balance is not
            // trusted to be one admission could leave (an `i64::MIN` would pin the
            // bucket's mark at its maximum, and the table would never refill).
            bucket.set_balance(balance.max(-bucket.cap()), then);
        }
    }
    let peaks = |p: &Option<PeaksRecord>| {
        p.as_ref()
            .map(|p| OnDemandScaler::with_peaks(p.peak, &p.pending, now_us))
    };
    // Only where the saved resource scales with today's options.
    if old.scale_read.is_some() {
        old.scale_read = peaks(&saved.read_peaks).or(old.scale_read);
    }
    if old.scale_write.is_some() {
        old.scale_write = peaks(&saved.write_peaks).or(old.scale_write);
    }
    let mut new = Resource::rebuilt(mode, &old, opts, now_us);
    carry_state(&old, &mut new, now_us);
    new
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::capacity::bucket::MICROS_PER_UNIT;

    const T0: u64 = 1_000_000_000_000;

    /// Review: a record's balance was restored as it was, and an `i64::MIN` pinned the
    /// bucket's mark at its maximum, so the table never refilled.
    #[test]
    fn a_saved_debt_beyond_one_burst_is_clamped_and_the_table_refills() {
        let opts = CapacityOptions::default();
        let mode = Mode::Provisioned {
            read_units: 5,
            write_units: 5,
        };
        let saved = Resource::new(mode, 1, &opts, T0);
        let mut record = resource_record(0, &saved, T0);
        record.write_balance = Some(i64::MIN);
        let restored = restored_resource(mode, &record, T0, &opts, T0);
        let bucket = restored.table_bucket(Side::Write).unwrap();
        assert_eq!(bucket.balance_at(T0), -bucket.cap(), "one burst of debt");
        // 5 WCU a second repay a 300 s burst of debt in 300 s, then credit accrues.
        let later = T0 + 400 * 1_000_000;
        assert_eq!(bucket.balance_at(later), 500 * MICROS_PER_UNIT);
    }
}
