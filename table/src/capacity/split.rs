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
//! Partitions are ranges of the key space ordered by partition-key hash, then by the
//! item's key position within its collection (`capacity::partitions::PartitionStart`).
//! Splits go between partition keys first. When a hot partition is already one
//! partition key's item collection and that key still carries the traffic, the policy
//! may split it **on the sort key** ([`SplitPolicy::split_sort_key`]): the default cuts
//! at the middle of the window's sampled traffic, unless the traffic is one item, or
//! climbs a monotonically increasing sort key (where the next writes would all land
//! above any cut: DynamoDB's two cases where a split cannot help). Only a base table's
//! collections are split on the sort key: a GSI routes by its partition-key hash alone.
//! After a split each partition gets an equal share of the provisioned rate, as
//! DynamoDB divides it, and its own limit.
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
    /// Where the partition starts within `start_hash`'s item collection, when it was
    /// split on the sort key before (a key position: the item key's bytes after the
    /// table id, which begin with the hash's eight big-endian bytes).
    pub start_key: Option<Vec<u8>>,
    /// A sample of the busier side's traffic by key position, in arrival order
    /// (`capacity::heat::PositionSample`; positions truncated to 64 bytes).
    pub positions: Vec<PositionWeight>,
}

/// One sampled request's key position and its units.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionWeight {
    /// The key position (a prefix of it).
    pub position: Vec<u8>,
    /// Units the request consumed.
    pub units: f64,
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
    /// Asked when `split_at` gave nothing: a key position within `start_hash`'s
    /// item collection at which the partition's items split in two (above
    /// `start_key`, if any), or none. None unless a policy splits on the sort key.
    fn split_sort_key(&self, heat: &PartitionHeat) -> Option<Vec<u8>> {
        let _ = heat;
        None
    }
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

    fn split_sort_key(&self, heat: &PartitionHeat) -> Option<Vec<u8>> {
        // Only a hot partition that is one collection, still dominated by its key.
        if heat.utilisation() < self.threshold || heat.start_hash != heat.end_hash {
            return None;
        }
        let prefix = heat.start_hash.to_be_bytes();
        let sample: Vec<&PositionWeight> = heat
            .positions
            .iter()
            .filter(|p| p.position.starts_with(&prefix))
            .collect();
        if sample.len() < MIN_POSITION_SAMPLES {
            return None;
        }
        // One item: nothing to split.
        if sample.iter().all(|p| p.position == sample[0].position) {
            return None;
        }
        // A monotonically increasing sort key: each request above the last, so any cut
        // leaves the next writes all on one side.
        let rising = sample
            .windows(2)
            .filter(|w| w[1].position > w[0].position)
            .count();
        if rising as f64 >= MONOTONIC_SHARE * (sample.len() - 1) as f64 {
            return None;
        }
        // The weighted middle: the first position with half the sampled units below it.
        let mut by_position = sample;
        by_position.sort_by(|a, b| a.position.cmp(&b.position));
        let total: f64 = by_position.iter().map(|p| p.units).sum();
        let mut below = 0.0;
        for p in &by_position {
            let above_start = heat
                .start_key
                .as_ref()
                .is_none_or(|s| p.position.as_slice() > s.as_slice());
            if below >= total / 2.0 && above_start && p.position.as_slice() > &prefix[..] {
                return Some(p.position.clone());
            }
            below += p.units;
        }
        None
    }
}

/// Fewer sampled requests than this say too little about where traffic falls.
const MIN_POSITION_SAMPLES: usize = 8;
/// The share of consecutive samples that rise for a sort key to count as monotonically
/// increasing.
const MONOTONIC_SHARE: f64 = 0.9;

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
            start_key: None,
            positions: Vec::new(),
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

    /// A partition that is hash 7's collection alone, its traffic at positions
    /// `7 ‖ sort` in the given arrival order.
    fn collection(sorts: &[u8]) -> PartitionHeat {
        PartitionHeat {
            start_hash: 7,
            end_hash: 7,
            positions: sorts
                .iter()
                .map(|&s| {
                    let mut position = 7u64.to_be_bytes().to_vec();
                    position.extend([b'k', s]);
                    PositionWeight {
                        position,
                        units: 1.0,
                    }
                })
                .collect(),
            ..heat(900.0, &[(7, 900.0)])
        }
    }

    #[test]
    fn a_hot_collection_is_split_at_the_middle_of_its_sort_keys() {
        let p = SplitForHeat::default();
        let spread: Vec<u8> = (0..32).map(|i| (i * 7) % 32).collect();
        let cut = p.split_sort_key(&collection(&spread)).expect("a cut");
        assert_eq!(&cut[..8], &7u64.to_be_bytes());
        assert_eq!(&cut[8..], &[b'k', 16]);
        // A partition of several hashes is split between them instead.
        let wide = PartitionHeat {
            end_hash: 9,
            ..collection(&spread)
        };
        assert_eq!(p.split_sort_key(&wide), None);
        // Below the threshold, nothing.
        let cool = PartitionHeat {
            write_units_per_sec: 100.0,
            ..collection(&spread)
        };
        assert_eq!(p.split_sort_key(&cool), None);
        // A cut is always above where the partition starts.
        let mut upper = collection(&spread);
        let mut start = 7u64.to_be_bytes().to_vec();
        start.extend([b'k', 20]);
        upper.start_key = Some(start);
        let cut = p.split_sort_key(&upper).expect("a cut");
        assert!(cut[9] > 20, "{cut:?}");
    }

    #[test]
    fn a_single_item_or_a_rising_sort_key_is_not_split() {
        let p = SplitForHeat::default();
        assert_eq!(p.split_sort_key(&collection(&[5; 32])), None);
        let rising: Vec<u8> = (0..32).collect();
        assert_eq!(p.split_sort_key(&collection(&rising)), None);
        assert_eq!(p.split_sort_key(&collection(&[1, 2])), None, "too few");
        assert_eq!(
            NoSplits.split_sort_key(&collection(&[3, 1, 2, 0, 5, 4, 7, 6])),
            None
        );
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
