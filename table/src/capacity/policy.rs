//! Admission policies: who may spend what. The bucket arithmetic is fixed
//! (`capacity::bucket`); a policy only decides, from the balances a request sees, whether
//! it runs on its partition's own share, borrows from the table, or is throttled.
//!
//! Researchers swap the policy through `CapacityOptions::policy`. Shale ships two:
//! - [`FixedShare`]: each partition gets exactly its share of the table's rate (plus its
//!   own burst). DynamoDB before adaptive capacity (2018).
//! - [`BorrowUnused`]: a partition out of tokens borrows the table's unused throughput,
//!   up to the table's provisioned total, at once: DynamoDB's adaptive capacity. Its
//!   isolation of hot items is the split policy's (`capacity::split`), not this one's.

use std::fmt::Debug;

/// What a request sees when it asks to run: balances in micro-units, after refill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    /// The partition's own bucket.
    pub partition: i64,
    /// The table's (or index's) bucket: the whole provisioned rate, which every admitted
    /// request is charged to.
    pub table: i64,
}

/// A policy's decision for one request on one partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Run on the partition's share: charge the partition and the table.
    Own,
    /// Run on the table's unused throughput: charge the table only (the partition's
    /// bucket stays as it is, so it does not sink into unbounded debt).
    Borrow,
    /// Refuse: ProvisionedThroughputExceeded (or ThrottlingException on demand).
    Throttle,
}

/// Decides admission from balances. Must be deterministic (a function of its inputs),
/// so that the same requests on the same clock give the same decisions.
pub trait AdmissionPolicy: Send + Sync + Debug {
    /// A short name, for metrics and the partition view.
    fn name(&self) -> &'static str;
    /// The decision for a request that sees `balances`.
    fn admit(&self, balances: Balances) -> Admit;
    /// Whether the policy runs every request whose partition has tokens on the
    /// partition's own share: `admit` answers [`Admit::Own`] whenever
    /// `balances.partition` is positive, whatever the table holds. Admission then asks
    /// only for a partition that is out of tokens, and the common request makes no call
    /// (`benches/capacity_overhead.rs`). The default, `false`, asks for every request.
    fn own_share_first(&self) -> bool {
        false
    }
}

/// Each partition gets its share and its own burst, nothing more.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedShare;

impl AdmissionPolicy for FixedShare {
    fn name(&self) -> &'static str {
        "fixed-share"
    }
    fn own_share_first(&self) -> bool {
        true
    }
    fn admit(&self, b: Balances) -> Admit {
        if super::bucket::admits(b.partition) {
            Admit::Own
        } else {
            Admit::Throttle
        }
    }
}

/// DynamoDB's adaptive capacity, first rule: a hot partition borrows the table's unused
/// throughput up to the table's total (the table bucket is charged for every request, so
/// borrowing never lets the table as a whole exceed its rate and burst).
#[derive(Debug, Clone, Copy, Default)]
pub struct BorrowUnused;

impl AdmissionPolicy for BorrowUnused {
    fn name(&self) -> &'static str {
        "borrow-unused"
    }
    fn own_share_first(&self) -> bool {
        true
    }
    fn admit(&self, b: Balances) -> Admit {
        if super::bucket::admits(b.partition) {
            Admit::Own
        } else if super::bucket::admits(b.table) {
            Admit::Borrow
        } else {
            Admit::Throttle
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn policies_that_put_own_share_first_admit_every_partition_with_tokens_on_it() {
        let policies: [&dyn AdmissionPolicy; 2] = [&FixedShare, &BorrowUnused];
        for p in policies {
            assert!(p.own_share_first(), "{}", p.name());
            for partition in [1, 2, 1_000_000, i64::MAX] {
                for table in [i64::MIN, -1, 0, 1, i64::MAX] {
                    let b = Balances { partition, table };
                    assert_eq!(p.admit(b), Admit::Own, "{} {b:?}", p.name());
                }
            }
        }
    }

    #[test]
    fn fixed_share_throttles_an_empty_partition_whatever_the_table_holds() {
        let p = FixedShare;
        let b = |partition, table| Balances { partition, table };
        assert_eq!(p.admit(b(1, -5)), Admit::Own);
        assert_eq!(p.admit(b(0, 1_000)), Admit::Throttle);
    }

    #[test]
    fn borrow_unused_borrows_only_while_the_table_has_tokens() {
        let p = BorrowUnused;
        let b = |partition, table| Balances { partition, table };
        assert_eq!(p.admit(b(1, -5)), Admit::Own);
        assert_eq!(p.admit(b(0, 1_000)), Admit::Borrow);
        assert_eq!(p.admit(b(-3, 0)), Admit::Throttle);
    }
}
