//! Splits a resource: by size ([`for_size`]: one partition per 10 GB), and for heat
//! ([`evaluate`]: closes its window, gives each partition's traffic to the
//! [`SplitPolicy`], and builds the split resource when any partition is to be split).
//! The heat policy and its model are in `capacity::split`.

use super::admission::carry_state;
use super::bucket::MICROS_PER_UNIT;
use super::heat::Counted;
use super::heat::PositionSample;
use super::partitions::{
    partition_count, Partition, PartitionStart, Resource, Side, Window, MAX_PARTITIONS,
};
use super::split::{KeyWeight, PartitionHeat, PositionWeight, SplitPolicy, SPLIT_WINDOW_SECS};
use super::CapacityOptions;

/// One split made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// The first hash of the partition that was split.
    pub(crate) start_hash: u64,
    /// The first hashes of the partitions it became, its own start included.
    pub(crate) into: Vec<u64>,
    /// The key position a sort-key split cut at (its hash is in `into` twice).
    pub(crate) at_key: Option<Box<[u8]>>,
}

fn position_weights(sample: PositionSample) -> Vec<PositionWeight> {
    sample
        .kept
        .into_iter()
        .map(|(position, micros)| PositionWeight {
            position: position.into_vec(),
            units: micros as f64 / 1e6,
        })
        .collect()
}

fn key_weights(counted: Vec<Counted>, secs: f64) -> Vec<KeyWeight> {
    counted
        .into_iter()
        .map(|c| KeyWeight {
            hash: c.hash,
            units_per_sec: c.weight as f64 / 1e6 / secs,
        })
        .collect()
}

/// Whether `res`, counted at `counted` bytes, might need more partitions by size at
/// `most` bytes (an upper bound of its size now): more than it has, and more than its
/// count alone asks for (what the count asks for, a split by size makes or cannot make,
/// so asking again would change nothing).
pub(crate) fn may_need_more_for_size(
    res: &Resource,
    counted: u64,
    most: u64,
    opts: &CapacityOptions,
) -> bool {
    let need = partitions_for_size(most, opts);
    need > res.partitions.len() && need > partitions_for_size(counted, opts)
}

/// The partitions `bytes` of data need: one per `partition_size_bytes_max`.
fn partitions_for_size(bytes: u64, opts: &CapacityOptions) -> usize {
    let per = opts.partition_size_bytes_max.max(1);
    usize::try_from(bytes.div_ceil(per))
        .unwrap_or(MAX_PARTITIONS)
        .min(MAX_PARTITIONS)
}

/// The partitions an on-demand resource's capacity needs: as many as DynamoDB's sizing
/// gives twice its established peaks (what it takes at once), so that with partition
/// limits on, the partitions can serve what on-demand scaling admits. 0 when not on
/// demand or not scaling.
fn partitions_for_peak(res: &Resource, opts: &CapacityOptions, now_us: u64) -> usize {
    let peak_units = |s: Option<&super::on_demand::OnDemandScaler>| {
        s.map_or(0, |s| {
            s.peak_at(now_us).saturating_mul(2) / MICROS_PER_UNIT as u64
        })
    };
    let (r, w) = (
        peak_units(res.scaler(Side::Read)),
        peak_units(res.scaler(Side::Write)),
    );
    if r == 0 && w == 0 {
        return 0;
    }
    partition_count(r, w, opts)
}

/// Splits `res` until it has the partitions its `bytes` of data need (and, on demand,
/// its established peak), widest hash range first, each at its middle: with hashed keys,
/// a range's data and traffic are about proportional to its width, and its middle is
/// about its median key (where DynamoDB splits a partition that reaches 10 GB). `None`
/// when it has enough.
pub(crate) fn for_size(
    res: &Resource,
    bytes: u64,
    opts: &CapacityOptions,
    now_us: u64,
) -> Option<(Resource, Vec<Split>)> {
    let needed = partitions_for_size(bytes, opts).max(partitions_for_peak(res, opts, now_us));
    if res.partitions.len() >= needed {
        return None;
    }
    // (start, last hash) of each range; a sort-key split's range is its hash alone
    // (or the hashes after it, for the collection's last partition).
    let mut ranges: Vec<(PartitionStart, u64)> = res
        .partitions
        .iter()
        .enumerate()
        .map(|(i, p)| (p.start(), res.hash_end(i)))
        .collect();
    let mut splits: Vec<Split> = Vec::new();
    while ranges.len() < needed {
        let Some((widest, (start, end))) = ranges
            .iter()
            .enumerate()
            .max_by_key(|(_, (s, e))| e - s.hash)
            .map(|(i, (s, e))| (i, (s.clone(), *e)))
        else {
            break;
        };
        if start.hash == end {
            break;
        }
        let middle = start.hash + (end - start.hash) / 2 + 1;
        ranges[widest] = (start.clone(), middle - 1);
        ranges.insert(widest + 1, (PartitionStart::at_hash(middle), end));
        // Report each original partition's split once, with every cut made in it.
        let parent =
            res.partitions[res.partition_of_key(start.hash, start.key.as_deref())].start_hash;
        match splits.iter_mut().find(|s| s.start_hash == parent) {
            Some(s) => s.into.push(middle),
            None => splits.push(Split {
                start_hash: parent,
                into: vec![parent, middle],
                at_key: None,
            }),
        }
    }
    for s in &mut splits {
        s.into.sort_unstable();
    }
    let starts = ranges.into_iter().map(|(s, _)| s).collect();
    let mut split = Resource::with_starts(res.mode, starts, opts, now_us);
    carry_state(res, &mut split, now_us);
    Some((split, splits))
}

/// Closes `res`'s window if it is [`SPLIT_WINDOW_SECS`] old and asks `policy` about each
/// partition (on the sort key too when `sort_key_splits`: a base table). Returns the
/// resource to replace `res` with, and the splits, when any partition is split; the
/// window restarts either way.
pub(crate) fn evaluate(
    res: &Resource,
    policy: &dyn SplitPolicy,
    opts: &CapacityOptions,
    now_us: u64,
    sort_key_splits: bool,
) -> Option<(Resource, Vec<Split>)> {
    let mut window = res.window.lock();
    let elapsed_us = now_us.saturating_sub(window.start_us);
    if elapsed_us < SPLIT_WINDOW_SECS * 1_000_000 {
        return None;
    }
    let secs = elapsed_us as f64 / 1e6;
    let mut splits = Vec::new();
    let mut consumed_now = Vec::with_capacity(res.partitions.len());
    for (i, p) in res.partitions.iter().enumerate() {
        let now = [p.read.consumed_micros(), p.write.consumed_micros()];
        let then = window.consumed.get(i).copied().unwrap_or([0, 0]);
        consumed_now.push(now);
        let rate = |side: usize| now[side].saturating_sub(then[side]) as f64 / 1e6 / secs;
        let limit =
            |b: &Option<super::bucket::Bucket>| b.as_ref().map(|b| b.rate_per_sec() as f64 / 1e6);
        let (reads, writes) = (p.read.heat.take(), p.write.heat.take());
        let mut heat = PartitionHeat {
            start_hash: p.start_hash,
            end_hash: res.hash_end(i),
            read_units_per_sec: rate(0),
            write_units_per_sec: rate(1),
            read_limit: limit(&p.read.limit),
            write_limit: limit(&p.write.limit),
            top_keys: Vec::new(),
            start_key: p.start_key.as_ref().map(|k| k.to_vec()),
            positions: Vec::new(),
        };
        let write_busier = heat
            .write_limit
            .map_or(0.0, |l| heat.write_units_per_sec / l)
            >= heat.read_limit.map_or(0.0, |l| heat.read_units_per_sec / l);
        let busier = if write_busier { writes } else { reads };
        heat.top_keys = key_weights(busier.consumed.heaviest(), secs);
        heat.positions = position_weights(busier.positions);
        let next = res.partitions.get(i + 1);
        if let Some(split) = cuts_of(p, next, &heat, policy, sort_key_splits) {
            splits.push(split);
        }
    }
    *window = Window {
        start_us: now_us,
        consumed: consumed_now,
    };
    drop(window);
    if splits.is_empty() {
        return None;
    }
    let mut starts: Vec<PartitionStart> = res.partitions.iter().map(Partition::start).collect();
    for s in &splits {
        match &s.at_key {
            Some(key) => starts.push(PartitionStart {
                hash: s.start_hash,
                key: Some(key.clone()),
            }),
            None => starts.extend(s.into.iter().skip(1).map(|&h| PartitionStart::at_hash(h))),
        }
    }
    starts.sort_unstable();
    starts.dedup();
    if starts.len() > MAX_PARTITIONS {
        // The bound on partitions: no more splits for this resource.
        return None;
    }
    let mut split = Resource::with_starts(res.mode, starts, opts, now_us);
    carry_state(res, &mut split, now_us);
    Some((split, splits))
}

/// What `policy` makes of partition `p`'s window: cuts between hashes (within its
/// range), else, when `sort_key_splits`, a cut on the sort key (within its collection,
/// above its own start and below `next`'s when `next` starts in the same collection).
fn cuts_of(
    p: &Partition,
    next: Option<&Partition>,
    heat: &PartitionHeat,
    policy: &dyn SplitPolicy,
    sort_key_splits: bool,
) -> Option<Split> {
    let mut cuts: Vec<u64> = policy
        .split_at(heat)
        .into_iter()
        .filter(|&h| h > heat.start_hash && h <= heat.end_hash)
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    if !cuts.is_empty() {
        let mut into = vec![p.start_hash];
        into.extend(cuts);
        return Some(Split {
            start_hash: p.start_hash,
            into,
            at_key: None,
        });
    }
    if !sort_key_splits {
        return None;
    }
    let key = policy.split_sort_key(heat)?;
    let prefix = p.start_hash.to_be_bytes();
    let inside = key.len() > prefix.len() && key.starts_with(&prefix);
    let above = p.start_key.as_deref().is_none_or(|s| key.as_slice() > s);
    let below = match next {
        Some(n) if n.start_hash == p.start_hash => {
            n.start_key.as_deref().is_some_and(|s| key.as_slice() < s)
        }
        _ => true,
    };
    (inside && above && below).then(|| Split {
        start_hash: p.start_hash,
        into: vec![p.start_hash, p.start_hash],
        at_key: Some(key.into_boxed_slice()),
    })
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::capacity::partitions::Mode;
    use crate::capacity::split::SplitPolicy;

    fn at_key(hash: u64, rest: &[u8]) -> PartitionStart {
        let mut key = hash.to_be_bytes().to_vec();
        key.extend_from_slice(rest);
        PartitionStart {
            hash,
            key: Some(key.into()),
        }
    }

    /// A policy that always asks for one cut on the sort key.
    #[derive(Debug)]
    struct CutAt(Vec<u8>);

    impl SplitPolicy for CutAt {
        fn name(&self) -> &'static str {
            "cut-at"
        }
        fn split_at(&self, _: &PartitionHeat) -> Vec<u64> {
            Vec::new()
        }
        fn split_sort_key(&self, _: &PartitionHeat) -> Option<Vec<u8>> {
            Some(self.0.clone())
        }
    }

    #[test]
    fn a_policys_sort_key_cut_is_kept_inside_its_collection_and_off_gsis() {
        let opts = CapacityOptions::default();
        let mode = Mode::Provisioned {
            read_units: 5,
            write_units: 5,
        };
        let h = 1u64 << 62;
        let window = SPLIT_WINDOW_SECS * 1_000_000;
        let fresh = || {
            let starts = vec![
                PartitionStart::at_hash(0),
                PartitionStart::at_hash(h),
                at_key(h, b"m"),
            ];
            Resource::with_starts(mode, starts, &opts, 0)
        };
        let key = |rest: &[u8]| at_key(h, rest).key.unwrap().to_vec();
        // Inside (h, None)'s range, below the collection's next start: kept.
        let res = fresh();
        let (_, made) = evaluate(&res, &CutAt(key(b"c")), &opts, window, true).expect("a cut");
        assert!(made
            .iter()
            .any(|s| s.at_key.as_deref() == Some(&key(b"c")[..])));
        // Not on a GSI.
        assert!(evaluate(&fresh(), &CutAt(key(b"c")), &opts, window, false).is_none());
        // At or past the next partition's start in the same collection: refused for
        // (h, None), whose collection continues at "m"; (h, "m") itself may cut above.
        let res = fresh();
        let (_, made) = evaluate(&res, &CutAt(key(b"x")), &opts, window, true).expect("a cut");
        assert!(made.iter().all(|s| s.start_hash != h || s.into.len() == 2));
        assert_eq!(made.len(), 1, "only (h, m) is cut at x: {made:?}");
    }

    #[test]
    fn a_split_by_size_keeps_a_collections_sort_key_split() {
        let opts = CapacityOptions::default();
        let mode = Mode::Provisioned {
            read_units: 5,
            write_units: 5,
        };
        let h = 1u64 << 62;
        let starts = vec![
            PartitionStart::at_hash(0),
            PartitionStart::at_hash(h),
            at_key(h, b"m"),
        ];
        let res = Resource::with_starts(mode, starts, &opts, 0);
        // Four partitions' worth of data: one more, cut in the widest hash range.
        let bytes = 4 * opts.partition_size_bytes_max;
        let (split, made) = for_size(&res, bytes, &opts, 0).expect("a split");
        let got: Vec<PartitionStart> = split.partitions.iter().map(Partition::start).collect();
        assert_eq!(got.len(), 4);
        assert!(got.contains(&at_key(h, b"m")), "{got:?}");
        // The collection's own two partitions are not cut (their hash range is one
        // hash); the widest range, from h's collection to the end, is.
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].start_hash, h);
        assert!(made[0].into[1] > h);
        assert_eq!(
            split.partition_of_key(h, Some(&at_key(h, b"z").key.unwrap())),
            2
        );
    }
}
