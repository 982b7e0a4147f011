//! [`CapacityOptions`]: whether capacity is enforced, DynamoDB's sizing numbers, the burst
//! window, the admission policy and auto scaling's policies. A leaf: it imports only
//! the policy trait and the auto scaling policy's type.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::auto_scaling::AutoScaling;
use super::policy::{AdmissionPolicy, BorrowUnused};
use super::split::{SplitForHeat, SplitPolicy};

/// DynamoDB's per-partition read limit: 3,000 RCU per second.
pub const DEFAULT_PARTITION_READ_UNITS_MAX: u64 = 3_000;
/// DynamoDB's per-partition write limit: 1,000 WCU per second.
pub const DEFAULT_PARTITION_WRITE_UNITS_MAX: u64 = 1_000;
/// DynamoDB's partition size: 10 GB.
pub const DEFAULT_PARTITION_SIZE_BYTES_MAX: u64 = 10_000_000_000;
/// DynamoDB's default per-table quota of read units, provisioned or as an on-demand
/// maximum, for a table and for each of its GSIs (`TableMaxReadCapacityUnits`).
pub const DEFAULT_TABLE_MAX_READ_UNITS: u64 = 40_000;
/// DynamoDB's default per-table quota of write units (`TableMaxWriteCapacityUnits`).
pub const DEFAULT_TABLE_MAX_WRITE_UNITS: u64 = 40_000;
/// DynamoDB retains up to 300 seconds of unused read and write capacity.
pub const DEFAULT_BURST_SECS: u64 = 300;

/// How capacity is admitted. `#[non_exhaustive]`: start from `default()` and use the
/// `with_*` builders.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CapacityOptions {
    /// Throttle requests over a table's or index's capacity (DynamoDB's semantics, the
    /// default). Off: capacity is computed and reported only, as before issue 13.
    pub enforcement: bool,
    /// The RCU one partition serves per second; sizes the partition count.
    pub partition_read_units_max: u64,
    /// The WCU one partition serves per second; sizes the partition count.
    pub partition_write_units_max: u64,
    /// The data one partition holds before it is split by size (DynamoDB: 10 GB),
    /// bytes of DynamoDB item size; sizes come from the ItemCount pass.
    pub partition_size_bytes_max: u64,
    /// Seconds of unused capacity a bucket retains (its cap is rate × this).
    pub burst_secs: u64,
    /// Whether a new table's (or a newly opened database's) buckets start full of burst
    /// credit. On by default, so a test suite's bursty first requests against a small
    /// table are not throttled; scenario tests that study burst turn it off.
    pub start_with_burst: bool,
    /// Who may spend what (see `capacity::policy`).
    pub policy: Arc<dyn AdmissionPolicy>,
    /// Whether an on-demand table takes at once only twice its previous peak, growing
    /// to a new peak over 30 minutes (`capacity::on_demand`; DynamoDB's behaviour, the
    /// default). Off: on-demand tables are limited only by OnDemandThroughput.
    pub on_demand_scaling: bool,
    /// Whether a partition serves at most `partition_read_units_max` RCU and
    /// `partition_write_units_max` WCU per second whatever its table's capacity, as a
    /// DynamoDB partition does. A hot key beyond it is throttled
    /// (`…KeyRangeThroughputExceeded`) until a split for heat gives it a partition of
    /// its own (`capacity::split`; splits are made only with limits on, where they
    /// matter). Off by default: with it, burst credit beyond one second of a partition's
    /// limit cannot be spent at once, so a test's burst at one instant of a manual clock,
    /// or a loopback client's, is throttled where it was not before.
    pub partition_limits: bool,
    /// Whether each partition counts its heaviest keys (by consumed units and by
    /// throttles) for the partition view, like DynamoDB's Contributor Insights. Always
    /// on with `partition_limits`, whose splits read them; off by default otherwise, as
    /// the count costs a lock per request.
    pub contributor_insights: bool,
    /// Who splits a hot partition, and where (`capacity::split`).
    pub split_policy: Arc<dyn SplitPolicy>,
    /// Auto scaling policies by table name (`capacity::auto_scaling`); checked when the
    /// database opens.
    pub auto_scaling: BTreeMap<String, AutoScaling>,
    /// The most read units a table or GSI may provision, or take as an on-demand
    /// maximum: CreateTable and UpdateTable refuse more with DynamoDB's
    /// LimitExceededException. DynamoDB's default quota (40,000), which AWS raises on
    /// request; raise it here for larger tables. Checked whether or not capacity is
    /// enforced, as it is a control-plane quota.
    pub table_max_read_units: u64,
    /// The write-unit counterpart of [`CapacityOptions::table_max_read_units`].
    pub table_max_write_units: u64,
}

impl Default for CapacityOptions {
    fn default() -> Self {
        CapacityOptions {
            enforcement: true,
            partition_read_units_max: DEFAULT_PARTITION_READ_UNITS_MAX,
            partition_write_units_max: DEFAULT_PARTITION_WRITE_UNITS_MAX,
            partition_size_bytes_max: DEFAULT_PARTITION_SIZE_BYTES_MAX,
            burst_secs: DEFAULT_BURST_SECS,
            start_with_burst: true,
            policy: Arc::new(BorrowUnused),
            on_demand_scaling: true,
            partition_limits: false,
            contributor_insights: false,
            split_policy: Arc::new(SplitForHeat::default()),
            auto_scaling: BTreeMap::new(),
            table_max_read_units: DEFAULT_TABLE_MAX_READ_UNITS,
            table_max_write_units: DEFAULT_TABLE_MAX_WRITE_UNITS,
        }
    }
}

impl CapacityOptions {
    /// Sets [`CapacityOptions::enforcement`].
    pub fn with_enforcement(mut self, on: bool) -> Self {
        self.enforcement = on;
        self
    }
    /// Sets the per-partition maxima (RCU, WCU per second); zero reads as one.
    pub fn with_partition_units_max(mut self, read_units: u64, write_units: u64) -> Self {
        self.partition_read_units_max = read_units.max(1);
        self.partition_write_units_max = write_units.max(1);
        self
    }
    /// Sets the per-table quotas [`CapacityOptions::table_max_read_units`] and
    /// `table_max_write_units` (zero reads as one).
    pub fn with_table_max_units(mut self, read_units: u64, write_units: u64) -> Self {
        self.table_max_read_units = read_units.max(1);
        self.table_max_write_units = write_units.max(1);
        self
    }
    /// Sets [`CapacityOptions::partition_size_bytes_max`] (zero reads as one).
    pub fn with_partition_size_max(mut self, bytes: u64) -> Self {
        self.partition_size_bytes_max = bytes.max(1);
        self
    }
    /// Sets [`CapacityOptions::burst_secs`].
    pub fn with_burst_secs(mut self, secs: u64) -> Self {
        self.burst_secs = secs;
        self
    }
    /// Sets [`CapacityOptions::start_with_burst`].
    pub fn with_start_with_burst(mut self, full: bool) -> Self {
        self.start_with_burst = full;
        self
    }
    /// Sets [`CapacityOptions::on_demand_scaling`].
    pub fn with_on_demand_scaling(mut self, on: bool) -> Self {
        self.on_demand_scaling = on;
        self
    }
    /// Sets [`CapacityOptions::partition_limits`].
    pub fn with_partition_limits(mut self, on: bool) -> Self {
        self.partition_limits = on;
        self
    }
    /// Sets [`CapacityOptions::contributor_insights`].
    pub fn with_contributor_insights(mut self, on: bool) -> Self {
        self.contributor_insights = on;
        self
    }
    /// Sets [`CapacityOptions::split_policy`].
    pub fn with_split_policy(mut self, policy: Arc<dyn SplitPolicy>) -> Self {
        self.split_policy = policy;
        self
    }
    /// Scales the table named `table` with `policy` (see `capacity::auto_scaling`).
    pub fn with_auto_scaling(mut self, table: impl Into<String>, policy: AutoScaling) -> Self {
        self.auto_scaling.insert(table.into(), policy);
        self
    }
    /// Sets [`CapacityOptions::policy`].
    pub fn with_policy(mut self, policy: Arc<dyn AdmissionPolicy>) -> Self {
        self.policy = policy;
        self
    }
}
