//! The partition view: what admission knows about one table, per resource (the table and
//! each GSI) and per partition, as plain data (`Database::capacity_view`, and the server's
//! Prometheus series). DescribeTable stays DynamoDB's shape; this is Shale's own.

use std::sync::atomic::Ordering;

use super::admission::TableState;
use super::bucket::{micros_to_units, Bucket};
use super::partitions::{Mode, Partition, PartitionSide, Resource};

/// One table's capacity: the table and each of its GSIs.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CapacityView {
    /// The table.
    pub table_name: String,
    /// The admission policy's name.
    pub policy: &'static str,
    /// The split policy's name.
    pub split_policy: &'static str,
    /// The table first, then its GSIs in definition order.
    pub resources: Vec<ResourceView>,
}

/// One table or GSI.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ResourceView {
    /// `None` for the table, else the GSI's name.
    pub index_name: Option<String>,
    /// Whether it is billed on demand.
    pub on_demand: bool,
    /// Provisioned RCU, or the on-demand maximum read request units (`None`: none).
    pub read_units_per_sec: Option<u64>,
    /// Provisioned WCU, or the on-demand maximum write request units (`None`: none).
    pub write_units_per_sec: Option<u64>,
    /// The whole resource's read bucket (`None`: not limited).
    pub table_read_balance_units: Option<f64>,
    /// The whole resource's write bucket (`None`: not limited).
    pub table_write_balance_units: Option<f64>,
    /// On demand: the established previous read peak, units per second; twice this is
    /// taken at once (`None`: provisioned, or scaling off).
    pub on_demand_read_peak_units: Option<f64>,
    /// On demand: the established previous write peak.
    pub on_demand_write_peak_units: Option<f64>,
    /// Its partitions, in hash order.
    pub partitions: Vec<PartitionView>,
}

/// One partition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PartitionView {
    /// Its position in hash order.
    pub id: usize,
    /// The first partition-key hash it owns.
    pub hash_start: u64,
    /// The last partition-key hash it owns.
    pub hash_end: u64,
    /// Where it starts within `hash_start`'s item collection when it was split on the
    /// sort key: the key position (the item key's bytes after the table id) in hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_start: Option<String>,
    /// Reads.
    pub read: SideView,
    /// Writes.
    pub write: SideView,
}

/// One side (read or write) of one partition.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SideView {
    /// Its share of the provisioned rate, units per second (`None`: not limited).
    pub share_units_per_sec: Option<f64>,
    /// The most its bucket holds (share × burst seconds).
    pub burst_units_max: Option<f64>,
    /// Its bucket's balance now (negative: debt), after refill.
    pub balance_units: Option<f64>,
    /// Units admitted here since the database opened (own share or borrowed).
    pub consumed_units: f64,
    /// Requests refused here since the database opened.
    pub throttled_requests: u64,
    /// The partition's own limit, units per second (`None`: limits off).
    pub limit_units_per_sec: Option<f64>,
    /// Contributor insights: the keys that consumed most in the current split window
    /// (at most 8, heaviest first; empty unless `partition_limits` or
    /// `contributor_insights` is on).
    pub most_consumed: Vec<KeyView>,
    /// The keys most throttled in the current split window.
    pub most_throttled: Vec<KeyView>,
}

/// One of a partition's heaviest keys.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyView {
    /// The partition-key hash admission routes by.
    pub hash: u64,
    /// The partition key in DynamoDB JSON, when known (writes; reads are counted by
    /// hash only).
    pub key: Option<String>,
    /// Units consumed, or requests throttled (Space-Saving's count: an overestimate by
    /// at most `error`).
    pub count: f64,
    /// The most `count` may overstate.
    pub error: f64,
}

fn key_views(counted: Vec<super::heat::Counted>, scale: f64) -> Vec<KeyView> {
    counted
        .into_iter()
        .map(|c| KeyView {
            hash: c.hash,
            key: c.label,
            count: c.weight as f64 / scale,
            error: c.error as f64 / scale,
        })
        .collect()
}

impl SideView {
    fn of(side: &PartitionSide, now_us: u64) -> SideView {
        let heat = side.heat.snapshot();
        SideView {
            share_units_per_sec: side.bucket.as_ref().map(rate_units),
            burst_units_max: side.bucket.as_ref().map(|b| micros_to_units(b.cap())),
            balance_units: side
                .bucket
                .as_ref()
                .map(|b| micros_to_units(b.balance_at(now_us))),
            consumed_units: side.consumed_micros() as f64 / 1e6,
            throttled_requests: side.throttled.load(Ordering::Relaxed),
            limit_units_per_sec: side.limit.as_ref().map(rate_units),
            most_consumed: key_views(heat.consumed.heaviest(), 1e6),
            most_throttled: key_views(heat.throttled.heaviest(), 1.0),
        }
    }
}

fn rate_units(b: &Bucket) -> f64 {
    b.rate_per_sec() as f64 / 1e6
}

fn partition_view(r: &Resource, id: usize, now_us: u64) -> PartitionView {
    let p: &Partition = &r.partitions[id];
    PartitionView {
        id,
        hash_start: p.start_hash,
        hash_end: r.hash_end(id),
        key_start: p.start_key.as_ref().map(|k| crate::hex::encode(k)),
        read: SideView::of(&p.read, now_us),
        write: SideView::of(&p.write, now_us),
    }
}

fn resource_view(index_name: Option<String>, r: &Resource, now_us: u64) -> ResourceView {
    let (read, write) = match r.mode {
        Mode::Provisioned {
            read_units,
            write_units,
        } => (Some(read_units), Some(write_units)),
        Mode::OnDemand {
            max_read_units,
            max_write_units,
        } => (max_read_units, max_write_units),
    };
    let balance = |b: &Option<Bucket>| b.as_ref().map(|b| micros_to_units(b.balance_at(now_us)));
    ResourceView {
        index_name,
        on_demand: r.on_demand(),
        read_units_per_sec: read,
        write_units_per_sec: write,
        table_read_balance_units: balance(&r.table_read),
        table_write_balance_units: balance(&r.table_write),
        on_demand_read_peak_units: r
            .scale_read
            .as_ref()
            .map(|s| micros_to_units(peak(s, now_us))),
        on_demand_write_peak_units: r
            .scale_write
            .as_ref()
            .map(|s| micros_to_units(peak(s, now_us))),
        partitions: r
            .partitions
            .iter()
            .enumerate()
            .map(|(i, _)| partition_view(r, i, now_us))
            .collect(),
    }
}

fn peak(s: &super::on_demand::OnDemandScaler, now_us: u64) -> i64 {
    i64::try_from(s.peak_at(now_us)).unwrap_or(i64::MAX)
}

/// The view of `state` at `now_us`.
pub(crate) fn capacity_view(
    state: &TableState,
    (policy, split_policy): (&'static str, &'static str),
    now_us: u64,
) -> CapacityView {
    let mut resources = vec![resource_view(None, &state.table, now_us)];
    resources.extend(
        state
            .gsis
            .iter()
            .map(|(name, r)| resource_view(Some(name.clone()), r, now_us)),
    );
    CapacityView {
        table_name: state.table_name.clone(),
        policy,
        split_policy,
        resources,
    }
}

fn policy_names(core: &crate::core::Core) -> (&'static str, &'static str) {
    let opts = core.admission.options();
    (opts.policy.name(), opts.split_policy.name())
}

impl crate::database::Database {
    /// The partition view of `table`: its and its GSIs' partitions, each one's share,
    /// burst balance, consumed units and throttled requests (Shale's own view;
    /// DescribeTable stays DynamoDB's shape).
    ///
    /// # Errors
    /// ValidationException for a bad name, ResourceNotFound.
    pub fn capacity_view(&self, table: &str) -> Result<CapacityView, crate::error::Error> {
        let core = &self.core;
        let def = core.table_named(table)?;
        let state = core.admission.state(&def);
        Ok(capacity_view(
            &state,
            policy_names(core),
            core.admission.now_us(),
        ))
    }

    /// The per-table quotas CreateTable and UpdateTable hold throughput to, read and
    /// write units (`CapacityOptions::table_max_read_units`; DescribeLimits reports
    /// them).
    pub fn table_max_units(&self) -> (u64, u64) {
        let c = &self.core.opts.capacity;
        (c.table_max_read_units, c.table_max_write_units)
    }

    /// [`Self::capacity_view`] of every table, in name order (for metrics).
    pub fn capacity_views(&self) -> Vec<CapacityView> {
        let core = &self.core;
        let defs: Vec<_> = core.catalog.read().tables.values().cloned().collect();
        let names = policy_names(core);
        let now = core.admission.now_us();
        defs.iter()
            .map(|def| capacity_view(&core.admission.state(def), names, now))
            .collect()
    }
}
