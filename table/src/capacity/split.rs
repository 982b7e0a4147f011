//! Split for heat: a partition that runs hot is split, so that a hot key gets a
//! partition, and with it a per-partition limit, of its own.
//!
//! DynamoDB documents the behaviour, not the algorithm ("split for heat": a partition
//! that keeps receiving a high share of traffic is split, at the point that divides its
//! traffic; a single hot item is isolated; a split cannot help one item, nor a
//! monotonically increasing sort key). Shale's model: after each window (a clock
//! minute, [`SPLIT_WINDOW_SECS`]) every partition's traffic over the window is given to a
//! [`SplitPolicy`], which answers where, if anywhere, to split it. The default,
//! [`SplitForHeat`], splits a partition whose traffic used at least half its
//! per-partition limit: around its heaviest key when that key carries at least half
//! the traffic (the key alone in the middle partition), else at the key distribution
//! point (the hash below which half the counted traffic falls).
//!
//! Partitions are ranges of the partition-key hash, so Shale splits between partition
//! keys only: one partition key's item collection is never split across partitions
//! (DynamoDB can split on the sort key). After a split each partition gets an equal
//! share of the provisioned rate, as DynamoDB divides it, and its own limit.
//!
//! The policy is a trait so that a researcher can try another: it sees the window's
//! rates, the limits and the heaviest keys, and returns split points.

use std::fmt;

/// The window a split decision looks back over.
pub const SPLIT_WINDOW_SECS: u64 = 60;

/// One key's share of a partition's traffic over the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyWeight {
    /// The partition-key hash.
    pub hash: u64,
    /// Units per second it consumed (an overestimate by at most `error`).
    pub units_per_sec: f64,
}

/// What a split policy sees of one partition after a window.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionHeat {
    /// The first hash the partition owns.
    pub start_hash: u64,
    /// The last hash it owns.
    pub end_hash: u64,
    /// Units per second consumed over the window, reads and writes.
    pub read_units_per_sec: f64,
    /// See `read_units_per_sec`.
    pub write_units_per_sec: f64,
    /// The partition's own limits, units per second (`None`: limits are off).
    pub read_limit: Option<f64>,
    /// See `read_limit`.
    pub write_limit: Option<f64>,
    /// The heaviest keys of the busier side (by share of its limit), heaviest first.
    pub top_keys: Vec<KeyWeight>,
}

impl PartitionHeat {
    /// The busier side's consumption as a share of its limit (0 without limits).
    pub fn utilisation(&self) -> f64 {
        let r = self.read_limit.map_or(0.0, |l| self.read_units_per_sec / l);
        let w = self
            .write_limit
            .map_or(0.0, |l| self.write_units_per_sec / l);
        r.max(w)
    }
}

/// Decides where to split one partition after a window of traffic.
pub trait SplitPolicy: Send + Sync + fmt::Debug {
    /// A short name, for the partition view.
    fn name(&self) -> &'static str;
    /// The first hashes of the new partitions that follow the first (each in
    /// `start_hash + 1 ..= end_hash`, any order, duplicates ignored), or none.
    fn split_at(&self, heat: &PartitionHeat) -> Vec<u64>;
}

/// Never splits (DynamoDB before split for heat).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSplits;

impl SplitPolicy for NoSplits {
    fn name(&self) -> &'static str {
        "no-splits"
    }
    fn split_at(&self, _: &PartitionHeat) -> Vec<u64> {
        Vec::new()
    }
}

/// The default: split a partition that used at least `threshold` of its limit.
#[derive(Debug, Clone, Copy)]
pub struct SplitForHeat {
    /// The share of the per-partition limit that makes a partition hot (0.5).
    pub threshold: f64,
    /// The share of a partition's traffic that makes one key dominant (0.5).
    pub dominant_share: f64,
}

impl Default for SplitForHeat {
    fn default() -> Self {
        SplitForHeat {
            threshold: 0.5,
            dominant_share: 0.5,
        }
    }
}

impl SplitPolicy for SplitForHeat {
    fn name(&self) -> &'static str {
        "split-for-heat"
    }

    fn split_at(&self, heat: &PartitionHeat) -> Vec<u64> {
        if heat.utilisation() < self.threshold || heat.top_keys.is_empty() {
            return Vec::new();
        }
        let counted: f64 = heat.top_keys.iter().map(|k| k.units_per_sec).sum();
        let top = heat.top_keys[0];
        let busier = if heat.write_limit.is_some_and(|w| {
            heat.write_units_per_sec / w
                >= heat.read_limit.map_or(0.0, |r| heat.read_units_per_sec / r)
        }) {
            heat.write_units_per_sec
        } else {
            heat.read_units_per_sec
        };
        if top.units_per_sec >= self.dominant_share * busier {
            // Isolate the key: it alone between two cuts (one, at an end of the range).
            let mut cuts = Vec::new();
            if top.hash > heat.start_hash {
                cuts.push(top.hash);
            }
            if top.hash < heat.end_hash {
                cuts.push(top.hash + 1);
            }
            return cuts;
        }
        // The key distribution point: where half the counted traffic lies below.
        let mut by_hash = heat.top_keys.clone();
        by_hash.sort_by_key(|k| k.hash);
        let mut below = 0.0;
        for k in &by_hash {
            if below >= counted / 2.0 && k.hash > heat.start_hash {
                return vec![k.hash];
            }
            below += k.units_per_sec;
        }
        Vec::new()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn heat(write: f64, keys: &[(u64, f64)]) -> PartitionHeat {
        PartitionHeat {
            start_hash: 100,
            end_hash: 1_000,
            read_units_per_sec: 0.0,
            write_units_per_sec: write,
            read_limit: Some(3_000.0),
            write_limit: Some(1_000.0),
            top_keys: keys
                .iter()
                .map(|&(hash, units_per_sec)| KeyWeight {
                    hash,
                    units_per_sec,
                })
                .collect(),
        }
    }

    #[test]
    fn a_cool_partition_is_left_alone() {
        assert!(SplitForHeat::default()
            .split_at(&heat(400.0, &[(500, 400.0)]))
            .is_empty());
    }

    #[test]
    fn a_dominant_key_gets_a_partition_of_its_own() {
        let p = SplitForHeat::default();
        assert_eq!(
            p.split_at(&heat(900.0, &[(500, 800.0), (600, 100.0)])),
            vec![500, 501]
        );
        // At the ends of the range only one cut is needed, and a range of one key
        // cannot be split at all.
        assert_eq!(p.split_at(&heat(900.0, &[(100, 900.0)])), vec![101]);
        assert_eq!(p.split_at(&heat(900.0, &[(1_000, 900.0)])), vec![1_000]);
        let single = PartitionHeat {
            start_hash: 7,
            end_hash: 7,
            ..heat(900.0, &[(7, 900.0)])
        };
        assert!(p.split_at(&single).is_empty());
    }

    #[test]
    fn spread_traffic_is_split_at_its_middle() {
        let keys = [(200, 200.0), (300, 200.0), (700, 200.0), (800, 200.0)];
        assert_eq!(
            SplitForHeat::default().split_at(&heat(800.0, &keys)),
            vec![700]
        );
        assert!(NoSplits.split_at(&heat(800.0, &keys)).is_empty());
    }
}
