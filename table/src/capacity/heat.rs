//! Which keys a partition's traffic goes to: the heaviest partition keys by consumed
//! units and by throttled requests, per partition side, in bounded memory.
//!
//! This serves two readers: split for heat (`capacity::split`), which needs to know
//! whether one key dominates a hot partition and where its traffic's middle lies, and
//! the partition view's contributor insights (DynamoDB's "most accessed" and "most
//! throttled" keys).
//!
//! The counting is the Space-Saving algorithm (Metwally, Agrawal and El Abbadi, 2005):
//! [`TOP_KEYS`] counters; a key not counted takes the smallest counter's place and
//! inherits its count as its error. Every key whose true weight exceeds `total / K` is
//! in the table, and each count overestimates by at most its error. Keys are the
//! 64-bit partition-key hashes admission routes by; a label (the key as the client
//! wrote it) is kept when the caller can give one cheaply.

use parking_lot::Mutex;

/// Counters per table: enough to find a dominant key and the middle of the traffic.
pub const TOP_KEYS: usize = 8;

/// One counted key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counted {
    pub(crate) hash: u64,
    /// The partition key's value as text, when known.
    pub(crate) label: Option<String>,
    /// Weight counted (micro-units, or requests for throttles), error included.
    pub(crate) weight: u64,
    /// How much of `weight` may belong to keys this counter replaced.
    pub(crate) error: u64,
}

/// A Space-Saving table of at most [`TOP_KEYS`] counters.
#[derive(Debug, Default, Clone)]
pub(crate) struct TopKeys {
    counted: Vec<Counted>,
    /// Everything counted, including keys no longer in the table.
    total: u64,
}

impl TopKeys {
    /// Counts `weight` for `hash`; `label` is asked for only when the key enters.
    pub(crate) fn add(&mut self, hash: u64, weight: u64, label: impl FnOnce() -> Option<String>) {
        self.total = self.total.saturating_add(weight);
        if let Some(c) = self.counted.iter_mut().find(|c| c.hash == hash) {
            c.weight = c.weight.saturating_add(weight);
            if c.label.is_none() {
                c.label = label();
            }
            return;
        }
        if self.counted.len() < TOP_KEYS {
            self.counted.push(Counted {
                hash,
                label: label(),
                weight,
                error: 0,
            });
            return;
        }
        let Some(min) = self.counted.iter_mut().min_by_key(|c| c.weight) else {
            return;
        };
        let inherited = min.weight;
        *min = Counted {
            hash,
            label: label(),
            weight: inherited.saturating_add(weight),
            error: inherited,
        };
    }

    /// The counters, heaviest first (ties by hash, so the order is deterministic).
    pub(crate) fn heaviest(&self) -> Vec<Counted> {
        let mut v = self.counted.clone();
        v.sort_by(|a, b| b.weight.cmp(&a.weight).then(a.hash.cmp(&b.hash)));
        v
    }
}

/// A partition side's two tables, for the current window. Counting costs a lock per
/// request, so it is on only when something reads it (split for heat, or contributor
/// insights); off, every call returns at once.
#[derive(Debug, Default)]
#[repr(C)] // `on` first: `PartitionSide` keeps it in its first cache line.
pub(crate) struct Heat {
    on: bool,
    inner: Mutex<HeatTables>,
}

#[derive(Debug, Default, Clone)]
pub(crate) struct HeatTables {
    pub(crate) consumed: TopKeys,
    pub(crate) throttled: TopKeys,
    /// Where in their item collections the window's consumption fell.
    pub(crate) positions: PositionSample,
}

/// The most positions a [`PositionSample`] keeps.
pub const POSITION_SAMPLES: usize = 32;
/// A sampled position is kept to this many bytes: a prefix of a key position is a
/// valid split point, and it bounds the sample's memory.
pub const POSITION_SAMPLE_BYTES: usize = 64;

/// A systematic sample of the key positions (the item key's bytes after the table id)
/// that consumed capacity, in arrival order, for splits on the sort key
/// (`capacity::split`): every `stride`-th request is kept, and when
/// [`POSITION_SAMPLES`] are kept, every other one is dropped and the stride doubles.
/// Deterministic: the same requests keep the same sample.
#[derive(Debug, Clone)]
pub(crate) struct PositionSample {
    stride: u64,
    seen: u64,
    /// (position prefix, micro-units), oldest first.
    pub(crate) kept: Vec<(Box<[u8]>, u64)>,
}

impl Default for PositionSample {
    fn default() -> Self {
        PositionSample {
            stride: 1,
            seen: 0,
            kept: Vec::new(),
        }
    }
}

impl PositionSample {
    pub(crate) fn add(&mut self, position: &[u8], weight: u64) {
        let index = self.seen;
        self.seen += 1;
        if !index.is_multiple_of(self.stride) {
            return;
        }
        if self.kept.len() == POSITION_SAMPLES {
            let mut i = 0;
            self.kept.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride = self.stride.saturating_mul(2);
            if !index.is_multiple_of(self.stride) {
                return;
            }
        }
        let prefix = &position[..position.len().min(POSITION_SAMPLE_BYTES)];
        self.kept.push((prefix.into(), weight));
    }
}

impl Heat {
    /// Counting (`on`) or not.
    pub(crate) fn new(on: bool) -> Heat {
        Heat {
            on,
            inner: Mutex::default(),
        }
    }

    /// Whether this side counts keys at all (fixed when the partition is built).
    pub(crate) fn counting(&self) -> bool {
        self.on
    }

    /// Counts `micros` consumed by `hash`'s key at `position` (when known: the item's
    /// key position, for sort-key splits).
    #[inline]
    pub(crate) fn consumed(
        &self,
        hash: u64,
        position: Option<&[u8]>,
        micros: i64,
        label: impl FnOnce() -> Option<String>,
    ) {
        if self.on {
            self.count_consumed(hash, position, micros, label);
        }
    }

    /// [`Heat::consumed`] on a side that counts: out of line, since most do not.
    #[cold]
    fn count_consumed(
        &self,
        hash: u64,
        position: Option<&[u8]>,
        micros: i64,
        label: impl FnOnce() -> Option<String>,
    ) {
        let w = micros.max(0) as u64;
        let mut tables = self.inner.lock();
        tables.consumed.add(hash, w, label);
        if let Some(p) = position {
            tables.positions.add(p, w);
        }
    }

    pub(crate) fn throttled(&self, hash: u64, label: impl FnOnce() -> Option<String>) {
        if self.on {
            self.inner.lock().throttled.add(hash, 1, label);
        }
    }

    /// The tables as they are.
    pub(crate) fn snapshot(&self) -> HeatTables {
        self.inner.lock().clone()
    }

    /// The tables, emptied for the next window.
    pub(crate) fn take(&self) -> HeatTables {
        std::mem::take(&mut *self.inner.lock())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_dominant_key_is_counted_exactly_among_few() {
        let mut t = TopKeys::default();
        for i in 0..1000u64 {
            t.add(7, 10, || Some("hot".into()));
            t.add(100 + i % 5, 1, || None);
        }
        let top = t.heaviest();
        assert_eq!(top[0].hash, 7);
        assert_eq!(top[0].weight, 10_000);
        assert_eq!(top[0].error, 0);
        assert_eq!(top[0].label.as_deref(), Some("hot"));
        assert_eq!(t.total, 11_000);
    }

    #[test]
    fn a_heavy_key_survives_many_light_ones() {
        let mut t = TopKeys::default();
        for i in 0..10_000u64 {
            t.add(i, 1, || None);
            if i % 4 == 0 {
                t.add(42, 1, || None);
            }
        }
        // 2,500 of 12,500: above total / K, so it must be there, and first.
        let top = t.heaviest();
        assert_eq!(top[0].hash, 42);
        assert!(top[0].weight >= 2_500 && top[0].weight - top[0].error <= 2_501);
        assert!(top.len() <= TOP_KEYS);
    }

    #[test]
    fn the_position_sample_is_systematic_bounded_and_in_arrival_order() {
        let mut s = PositionSample::default();
        for i in 0..1000u32 {
            s.add(&i.to_be_bytes(), 1);
        }
        assert!(s.kept.len() <= POSITION_SAMPLES && s.kept.len() > POSITION_SAMPLES / 2);
        let kept: Vec<u32> = s
            .kept
            .iter()
            .map(|(k, _)| u32::from_be_bytes(k[..4].try_into().unwrap()))
            .collect();
        // Every stride-th request from the first: 0, 32, 64, … for 1,000 requests.
        let stride = kept[1] - kept[0];
        assert!(kept
            .iter()
            .enumerate()
            .all(|(i, &k)| k == i as u32 * stride));
        assert_eq!(stride, 32);
        // Long positions are kept as prefixes.
        let mut t = PositionSample::default();
        t.add(&[7; 500], 1);
        assert_eq!(t.kept[0].0.len(), POSITION_SAMPLE_BYTES);
    }

    #[test]
    fn the_label_is_asked_for_only_when_a_key_enters() {
        let mut t = TopKeys::default();
        let mut asked = 0;
        for _ in 0..100 {
            t.add(1, 1, || {
                asked += 1;
                Some("k".into())
            });
        }
        assert_eq!(asked, 1);
    }
}
