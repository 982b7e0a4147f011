//! The partition model of one table or one GSI: partitions own contiguous ranges of the
//! 64-bit partition-key hash space (the `xxh3(enc(pk))` in every key, `crate::keys`), and
//! each has one read and one write [`Bucket`].
//!
//! Partitions here are an accounting and admission structure over the one LSM, not
//! storage: a later replicated partition can take a [`Partition`]'s place, because
//! everything that routes a request to a partition goes through [`Resource::partition_of`].
//!
//! Sizing, from DynamoDB's rules: a provisioned resource of R RCU and W WCU has
//! `max(1, ceil(R / max_read + W / max_write))` partitions (3,000 and 1,000 by default,
//! `CapacityOptions`), each refilled at `1/N` of the rate with `burst_secs` of burst.
//! An on-demand resource has the partitions of DynamoDB's initial on-demand capacity
//! (12,000 RCU and 4,000 WCU); its partitions are not limited, and its table-level
//! bucket exists only when OnDemandThroughput sets a maximum (no burst: one second).

use std::sync::atomic::{AtomicU64, Ordering};

use super::bucket::{Bucket, MICROS_PER_UNIT};
use super::heat::Heat;
use super::on_demand::OnDemandScaler;
use super::CapacityOptions;

/// Most partitions one table or index gets: bounds memory and the partition view
/// (DynamoDB's default quota of 40,000 RCU and 40,000 WCU per table gives 54).
pub const MAX_PARTITIONS: usize = 4096;
/// The fastest a bucket refills, micro-units per second: a billion units per second,
/// past anything one process serves (DynamoDB's default table quota is 40,000). It keeps
/// a bucket's earned credit, which grows at this rate from the bucket's creation, far
/// from `i64::MAX` (about 2.5 hours at this rate; Admission rebuilds a resource long
/// before, `Admission::rebase`).
pub const MAX_BUCKET_RATE: u64 = 1_000_000_000 * MICROS_PER_UNIT as u64;
/// DynamoDB's initial on-demand capacity: "up to 4,000 writes per second and 12,000
/// reads per second" for a new on-demand table.
pub const ON_DEMAND_INITIAL_READ_UNITS: u64 = 12_000;
/// See [`ON_DEMAND_INITIAL_READ_UNITS`].
pub const ON_DEMAND_INITIAL_WRITE_UNITS: u64 = 4_000;
/// The burst of an on-demand maximum: none beyond one second.
const ON_DEMAND_MAX_BURST_SECS: u64 = 1;
/// The burst of a partition's own limit: one second.
const PARTITION_LIMIT_BURST_SECS: u64 = 1;

/// How a resource is billed, as far as admission cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Provisioned units per second.
    Provisioned {
        /// RCU.
        read_units: u64,
        /// WCU.
        write_units: u64,
    },
    /// On-demand, with OnDemandThroughput's optional maxima (units per second).
    OnDemand {
        /// MaxReadRequestUnits.
        max_read_units: Option<u64>,
        /// MaxWriteRequestUnits.
        max_write_units: Option<u64>,
    },
}

/// Read or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Reads (RCU).
    Read,
    /// Writes (WCU).
    Write,
}

/// One side (read or write) of one partition.
///
/// Laid out so that a request on a partition without its own limit touches one cache
/// line of it: the bucket, the consumed count and the heat switch come first, in
/// order, in a line of their own. Requests land on random partitions, and with the
/// rest of a GetItem between two of them the partition's lines are rarely still in
/// the nearest caches (`benches/capacity_overhead.rs`).
#[derive(Debug)]
#[repr(C, align(64))]
pub struct PartitionSide {
    /// Its share of the provisioned rate. `None`: not limited (on-demand).
    pub(crate) bucket: Option<Bucket>,
    /// Micro-units admitted here (own share or borrowed), ever
    /// ([`PartitionSide::consumed_micros`]).
    consumed: AtomicU64,
    /// Which keys this window's traffic went to (`capacity::heat`).
    pub(crate) heat: Heat,
    /// The most one partition serves, whatever the table's capacity (3,000 RCU and
    /// 1,000 WCU per second by default, one second of burst): DynamoDB's per-partition
    /// limit, which adaptive capacity cannot lift and only a split can. `None` when
    /// `CapacityOptions::partition_limits` is off.
    /// Read only when the resource's `limited` says there is one.
    pub(crate) limit: Option<Bucket>,
    /// Requests refused here.
    pub(crate) throttled: AtomicU64,
}

impl PartitionSide {
    fn new(bucket: Option<Bucket>, limit: Option<Bucket>, heat: bool) -> PartitionSide {
        PartitionSide {
            bucket,
            limit,
            consumed: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            heat: Heat::new(heat),
        }
    }

    pub(crate) fn record_consumed(&self, micros: i64) {
        self.consumed
            .fetch_add(micros.max(0) as u64, Ordering::Relaxed);
    }

    /// Micro-units admitted here (own share or borrowed), ever.
    pub(crate) fn consumed_micros(&self) -> u64 {
        self.consumed.load(Ordering::Relaxed)
    }

    pub(crate) fn record_throttle(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }
}

/// Where a partition starts in the key space, ordered by partition-key hash and then,
/// within one hash's item collection, by key position: the item key's bytes after the
/// table id (`[hash][partition key][sort key]`, `crate::keys`), whose order is the sort
/// key's. A start without a key begins at the hash's first item; one with a key is a
/// sort-key split, and begins at that position (`None` sorts first).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PartitionStart {
    pub(crate) hash: u64,
    /// Begins with `hash`'s eight big-endian bytes.
    pub(crate) key: Option<Box<[u8]>>,
}

impl PartitionStart {
    /// A start at `hash`'s first item.
    pub(crate) fn at_hash(hash: u64) -> PartitionStart {
        PartitionStart { hash, key: None }
    }
}

/// One partition: a range of the key space and its two sides.
#[derive(Debug)]
pub struct Partition {
    /// The first hash it owns; it owns up to the next partition's start.
    pub(crate) start_hash: u64,
    /// Within `start_hash`'s items, the first key position it owns (a sort-key split);
    /// `None`: all of them from the first.
    pub(crate) start_key: Option<Box<[u8]>>,
    pub(crate) read: PartitionSide,
    pub(crate) write: PartitionSide,
}

impl Partition {
    /// Where it starts.
    pub(crate) fn start(&self) -> PartitionStart {
        PartitionStart {
            hash: self.start_hash,
            key: self.start_key.clone(),
        }
    }
}

impl Partition {
    pub(crate) fn side(&self, side: Side) -> &PartitionSide {
        match side {
            Side::Read => &self.read,
            Side::Write => &self.write,
        }
    }
}

/// The admission state of one table or one GSI.
#[derive(Debug)]
pub struct Resource {
    pub(crate) mode: Mode,
    /// Sorted by `start_hash`; the first starts at 0. Never empty.
    pub(crate) partitions: Vec<Partition>,
    /// Each partition's `start_hash`, in the same order: routing searches these eight
    /// bytes apiece rather than partitions a few cache lines apart each.
    starts: Box<[u64]>,
    /// Whether the partitions are `n` equal ranges (`start_of`), as until a split.
    equal_ranges: bool,
    /// Whether any partition starts within an item collection (a sort-key split), so
    /// that routing must look at key positions.
    sort_splits: bool,
    /// Whether partitions have their own limit (`PartitionSide::limit`): the resource's
    /// switch, so that a request does not read a partition's second line to find out.
    pub(crate) limited: bool,
    /// The whole resource's buckets: the provisioned rate (every admitted request is
    /// charged here; adaptive policies borrow from it), or the on-demand maximum.
    /// `None`: not limited.
    pub(crate) table_read: Option<Bucket>,
    pub(crate) table_write: Option<Bucket>,
    /// On demand: what the resource takes at once, twice its previous peak
    /// (`capacity::on_demand`). `None` when provisioned, or scaling is off.
    pub(crate) scale_read: Option<OnDemandScaler>,
    pub(crate) scale_write: Option<OnDemandScaler>,
    /// Where the current split window started (`capacity::splitting`).
    pub(crate) window: parking_lot::Mutex<Window>,
}

/// The start of a split window: when, and each partition's consumed micro-units (read,
/// write) then.
#[derive(Debug, Clone)]
pub(crate) struct Window {
    pub(crate) start_us: u64,
    pub(crate) consumed: Vec<[u64; 2]>,
}

/// `max(1, ceil(read / max_read + write / max_write))`, in integers, at most
/// [`MAX_PARTITIONS`].
pub fn partition_count(read_units: u64, write_units: u64, opts: &CapacityOptions) -> usize {
    let (rmax, wmax) = (
        u128::from(opts.partition_read_units_max.max(1)),
        u128::from(opts.partition_write_units_max.max(1)),
    );
    let need = u128::from(read_units) * wmax + u128::from(write_units) * rmax;
    let n = need.div_ceil(rmax * wmax).max(1);
    usize::try_from(n)
        .unwrap_or(MAX_PARTITIONS)
        .min(MAX_PARTITIONS)
}

/// The first hash of partition `i` of `n` equal ranges.
fn start_of(i: usize, n: usize) -> u64 {
    debug_assert!(i < n && n <= MAX_PARTITIONS);
    ((u128::from(i as u64) << 64) / n as u128) as u64
}

/// A bucket refilling at `units` per second with `burst_secs` of burst, divided by `n`.
fn share_bucket(units: u64, n: usize, burst_secs: u64, start_full: bool, now_us: u64) -> Bucket {
    let rate = u128::from(units) * MICROS_PER_UNIT as u128 / n as u128;
    let rate = u64::try_from(rate).unwrap_or(u64::MAX).min(MAX_BUCKET_RATE);
    let cap = i64::try_from(u128::from(rate) * u128::from(burst_secs.max(1))).unwrap_or(i64::MAX);
    Bucket::new(rate, cap, if start_full { cap } else { 0 }, now_us)
}

fn mode_units(mode: Mode) -> (u64, u64) {
    match mode {
        Mode::Provisioned {
            read_units,
            write_units,
        } => (read_units, write_units),
        Mode::OnDemand { .. } => (ON_DEMAND_INITIAL_READ_UNITS, ON_DEMAND_INITIAL_WRITE_UNITS),
    }
}

impl Resource {
    /// A resource billed by `mode`, with `at_least` partitions in equal hash ranges (a
    /// resource's partitions never merge: rebuilt after UpdateTable, it keeps at least
    /// the old count).
    pub fn new(mode: Mode, at_least: usize, opts: &CapacityOptions, now_us: u64) -> Resource {
        let (r, w) = mode_units(mode);
        let n = partition_count(r, w, opts)
            .max(at_least)
            .min(MAX_PARTITIONS);
        let starts = (0..n).map(|i| PartitionStart::at_hash(start_of(i, n)));
        Resource::with_starts(mode, starts.collect(), opts, now_us)
    }

    /// A resource billed by `mode` to replace `old` (after UpdateTable): `old`'s
    /// partition ranges, split ones included, when the new sizing needs no more;
    /// else that many equal ranges.
    pub(crate) fn rebuilt(
        mode: Mode,
        old: &Resource,
        opts: &CapacityOptions,
        now_us: u64,
    ) -> Resource {
        let (r, w) = mode_units(mode);
        if partition_count(r, w, opts) <= old.partitions.len() {
            let starts = old.partitions.iter().map(Partition::start).collect();
            Resource::with_starts(mode, starts, opts, now_us)
        } else {
            Resource::new(mode, old.partitions.len(), opts, now_us)
        }
    }

    /// A resource billed by `mode` whose partitions start at `starts` (sorted, unique,
    /// the first at hash 0 without a key, at most [`MAX_PARTITIONS`]: a split's ranges). Each partition gets an
    /// equal share of the rate, whatever its range's width, as DynamoDB divides a
    /// table's throughput evenly across its partitions.
    pub(crate) fn with_starts(
        mode: Mode,
        starts: Vec<PartitionStart>,
        opts: &CapacityOptions,
        now_us: u64,
    ) -> Resource {
        let (r, w) = mode_units(mode);
        let n = starts.len().max(1);
        let burst = opts.burst_secs;
        let full = opts.start_with_burst;
        let limit = |units: u64| {
            opts.partition_limits
                .then(|| share_bucket(units, 1, PARTITION_LIMIT_BURST_SECS, true, now_us))
        };
        let heat = opts.partition_limits || opts.contributor_insights;
        let partitions: Vec<Partition> = starts
            .into_iter()
            .map(|start| {
                let (read, write) = match mode {
                    Mode::Provisioned { .. } => (
                        Some(share_bucket(r, n, burst, full, now_us)),
                        Some(share_bucket(w, n, burst, full, now_us)),
                    ),
                    Mode::OnDemand { .. } => (None, None),
                };
                Partition {
                    start_hash: start.hash,
                    start_key: start.key,
                    read: PartitionSide::new(read, limit(opts.partition_read_units_max), heat),
                    write: PartitionSide::new(write, limit(opts.partition_write_units_max), heat),
                }
            })
            .collect();
        let (table_read, table_write) = match mode {
            Mode::Provisioned { .. } => (
                Some(share_bucket(r, 1, burst, full, now_us)),
                Some(share_bucket(w, 1, burst, full, now_us)),
            ),
            Mode::OnDemand {
                max_read_units,
                max_write_units,
            } => {
                let max = |m: Option<u64>| {
                    m.map(|u| share_bucket(u, 1, ON_DEMAND_MAX_BURST_SECS, true, now_us))
                };
                (max(max_read_units), max(max_write_units))
            }
        };
        let scaler = |initial_units: u64| {
            (opts.on_demand_scaling && matches!(mode, Mode::OnDemand { .. })).then(|| {
                // A new table's previous peak is half its initial capacity.
                OnDemandScaler::new(initial_units * MICROS_PER_UNIT as u64 / 2, now_us)
            })
        };
        let starts: Box<[u64]> = partitions.iter().map(|p| p.start_hash).collect();
        let sort_splits = partitions.iter().any(|p| p.start_key.is_some());
        let equal_ranges =
            !sort_splits && starts.iter().enumerate().all(|(i, &s)| s == start_of(i, n));
        let res = Resource {
            mode,
            partitions,
            starts,
            equal_ranges,
            sort_splits,
            limited: opts.partition_limits,
            table_read,
            table_write,
            scale_read: scaler(ON_DEMAND_INITIAL_READ_UNITS),
            scale_write: scaler(ON_DEMAND_INITIAL_WRITE_UNITS),
            window: parking_lot::Mutex::new(Window {
                start_us: now_us,
                consumed: vec![[0, 0]; n],
            }),
        };
        debug_assert!(res
            .partitions
            .first()
            .is_some_and(|p| p.start_hash == 0 && p.start_key.is_none()));
        debug_assert!(res
            .partitions
            .windows(2)
            .all(|w| w[0].start() < w[1].start()));
        res
    }

    /// The partition owning `hash`.
    pub fn partition_of(&self, hash: u64) -> usize {
        let n = self.starts.len();
        if self.equal_ranges {
            // Equal ranges: `⌊hash × n / 2⁶⁴⌋` is the partition or the one before it
            // (the starts are rounded down), so one multiplication and a look at the
            // next start replace a search whose every step a random hash mispredicts.
            let guess = ((u128::from(hash) * n as u128) >> 64) as usize;
            return match self.starts.get(guess + 1) {
                Some(&next) if next <= hash => guess + 1,
                _ => guess,
            };
        }
        // partitions[0] starts at 0, so at least one start is ≤ hash.
        self.starts
            .partition_point(|&start| start <= hash)
            .saturating_sub(1)
    }

    /// The partition owning the item at key `position` (its key's bytes after the table
    /// id, [`PartitionStart`]) of hash `hash`: [`Resource::partition_of`] unless an item
    /// collection is split on the sort key, then the collection's partition whose start
    /// is the last at or below the position. `None`: the collection's first partition
    /// (an LSI or a GSI read, whose key positions are not the table's).
    #[inline]
    pub fn partition_of_key(&self, hash: u64, position: Option<&[u8]>) -> usize {
        let mut i = self.partition_of(hash);
        if !self.sort_splits {
            return i;
        }
        while i > 0 {
            let p = &self.partitions[i];
            match &p.start_key {
                Some(start) if p.start_hash == hash && position.is_none_or(|k| k < &start[..]) => {
                    i -= 1;
                }
                _ => break,
            }
        }
        i
    }

    /// The last hash partition `i` owns (its own start hash when the next partition
    /// starts within the same item collection).
    pub fn hash_end(&self, i: usize) -> u64 {
        let start = self.partitions[i].start_hash;
        match self.partitions.get(i + 1) {
            None => u64::MAX,
            Some(next) if next.start_hash > start => next.start_hash - 1,
            Some(_) => start,
        }
    }

    pub(crate) fn table_bucket(&self, side: Side) -> Option<&Bucket> {
        match side {
            Side::Read => self.table_read.as_ref(),
            Side::Write => self.table_write.as_ref(),
        }
    }

    pub(crate) fn scaler(&self, side: Side) -> Option<&OnDemandScaler> {
        match side {
            Side::Read => self.scale_read.as_ref(),
            Side::Write => self.scale_write.as_ref(),
        }
    }

    /// Whether a table-level bucket has earned more than `limit` micro-units since it was
    /// made (its credit is an `i64` counted from then; `Admission::rebase`). The
    /// partitions' buckets earn at most as fast and were made with it.
    pub(crate) fn earned_past(&self, limit: i64, now_us: u64) -> bool {
        [&self.table_read, &self.table_write]
            .into_iter()
            .flatten()
            .any(|b| b.earned(now_us) > limit)
    }

    /// Whether this resource is on demand.
    pub fn on_demand(&self) -> bool {
        matches!(self.mode, Mode::OnDemand { .. })
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_partition_sides_hot_fields_share_its_first_cache_line() {
        use std::mem::{align_of, offset_of, size_of};
        assert_eq!(align_of::<PartitionSide>(), 64);
        assert!(offset_of!(PartitionSide, consumed) + size_of::<AtomicU64>() <= 64);
        // Heat is `repr(C)` with its switch first.
        assert!(offset_of!(PartitionSide, heat) < 64);
    }

    #[test]
    fn partition_count_follows_dynamodb_sizing() {
        let o = CapacityOptions::default();
        assert_eq!(partition_count(5, 5, &o), 1);
        assert_eq!(partition_count(3000, 0, &o), 1);
        assert_eq!(partition_count(3000, 1, &o), 2);
        assert_eq!(partition_count(0, 1000, &o), 1);
        // 40,000 RCU and 40,000 WCU: 13.33 + 40 → 54.
        assert_eq!(partition_count(40_000, 40_000, &o), 54);
        assert_eq!(partition_count(u64::MAX, u64::MAX, &o), MAX_PARTITIONS);
    }

    #[test]
    fn partitions_cover_the_hash_space_in_equal_ranges() {
        let o = CapacityOptions::default();
        let mode = Mode::Provisioned {
            read_units: 0,
            write_units: 4000,
        };
        let r = Resource::new(mode, 1, &o, 0);
        assert_eq!(r.partitions.len(), 4);
        assert_eq!(r.partition_of(0), 0);
        assert_eq!(r.partition_of(u64::MAX / 4), 0);
        assert_eq!(r.partition_of(u64::MAX / 4 + 1), 1);
        assert_eq!(r.partition_of(u64::MAX), 3);
        // Each partition refills at a quarter of the rate, the table at all of it.
        let w = r.partitions[2].write.bucket.as_ref().unwrap();
        assert_eq!(w.rate_per_sec(), 1000 * MICROS_PER_UNIT as u64);
        assert_eq!(w.cap(), 300 * 1000 * MICROS_PER_UNIT);
        let t = r.table_write.as_ref().unwrap();
        assert_eq!(t.rate_per_sec(), 4000 * MICROS_PER_UNIT as u64);
    }

    #[test]
    fn routing_by_multiplication_agrees_with_the_search_for_every_count() {
        let o = CapacityOptions::default();
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for n in (1..=70).chain([1000, MAX_PARTITIONS]) {
            let starts: Vec<u64> = (0..n).map(|i| start_of(i, n)).collect();
            let mode = Mode::Provisioned {
                read_units: 5,
                write_units: 5,
            };
            let at = starts.iter().map(|&h| PartitionStart::at_hash(h)).collect();
            let r = Resource::with_starts(mode, at, &o, 0);
            assert!(r.equal_ranges);
            let search = |h: u64| starts.partition_point(|&s| s <= h) - 1;
            // Every boundary and its neighbours, then pseudo-random hashes.
            let edges = starts
                .iter()
                .flat_map(|&s| [s.saturating_sub(1), s, s.saturating_add(1)]);
            for h in edges.chain([u64::MAX]) {
                assert_eq!(r.partition_of(h), search(h), "n {n}, hash {h}");
            }
            for _ in 0..200 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                assert_eq!(r.partition_of(x), search(x), "n {n}, hash {x}");
            }
        }
        // Split ranges are searched.
        let mode = Mode::Provisioned {
            read_units: 5,
            write_units: 5,
        };
        let at = [0, 10, 1 << 63].map(PartitionStart::at_hash).to_vec();
        let r = Resource::with_starts(mode, at, &o, 0);
        assert!(!r.equal_ranges);
        assert_eq!(r.partition_of(9), 0);
        assert_eq!(r.partition_of(10), 1);
        assert_eq!(r.partition_of(u64::MAX), 2);
    }

    #[test]
    fn a_collection_split_on_the_sort_key_routes_by_position() {
        let o = CapacityOptions::default();
        let mode = Mode::Provisioned {
            read_units: 5,
            write_units: 5,
        };
        let position = |hash: u64, rest: &[u8]| {
            let mut p = hash.to_be_bytes().to_vec();
            p.extend_from_slice(rest);
            p
        };
        let starts = vec![
            PartitionStart::at_hash(0),
            PartitionStart::at_hash(100),
            PartitionStart {
                hash: 100,
                key: Some(position(100, b"m").into()),
            },
            PartitionStart::at_hash(200),
        ];
        let r = Resource::with_starts(mode, starts, &o, 0);
        assert!(r.sort_splits && !r.equal_ranges);
        assert_eq!(r.partition_of_key(50, None), 0);
        assert_eq!(r.partition_of_key(100, Some(&position(100, b"a"))), 1);
        assert_eq!(r.partition_of_key(100, Some(&position(100, b"m"))), 2);
        assert_eq!(r.partition_of_key(100, Some(&position(100, b"z"))), 2);
        assert_eq!(
            r.partition_of_key(100, None),
            1,
            "unknown: the collection's first"
        );
        assert_eq!(
            r.partition_of_key(150, None),
            2,
            "later hashes: the last one's"
        );
        assert_eq!(r.partition_of_key(200, None), 3);
        assert_eq!(
            (r.hash_end(1), r.hash_end(2), r.hash_end(3)),
            (100, 199, u64::MAX)
        );
    }

    #[test]
    fn a_rebuilt_resource_keeps_at_least_its_partitions() {
        let o = CapacityOptions::default();
        let mode = Mode::Provisioned {
            read_units: 5,
            write_units: 5,
        };
        assert_eq!(Resource::new(mode, 3, &o, 0).partitions.len(), 3);
    }

    #[test]
    fn on_demand_partitions_are_unlimited_and_the_maximum_has_one_second_of_burst() {
        let o = CapacityOptions::default();
        let mode = Mode::OnDemand {
            max_read_units: None,
            max_write_units: Some(10),
        };
        let r = Resource::new(mode, 1, &o, 0);
        assert_eq!(r.partitions.len(), 8);
        assert!(r.partitions.iter().all(|p| p.write.bucket.is_none()));
        assert!(r.table_read.is_none());
        assert_eq!(r.table_write.as_ref().unwrap().cap(), 10 * MICROS_PER_UNIT);
    }
}
