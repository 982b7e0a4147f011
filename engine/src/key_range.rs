//! Key ranges, sets of them, and a view narrowed to a set: what
//! [`crate::Backend::view_at`] serves.
//!
//! A past view is built for one reader that wants a few ranges (an export reads one
//! table; a restore that replays index entries reads the table, its indexes, their
//! collection sizes and the GSI queue), so a backend may leave everything outside them
//! out of the work of building the view (the LSM replays only their part of the log).
//! [`RangeView`] makes that invisible: outside its ranges a view is empty, on every
//! backend alike.

use std::ops::Bound;

use crate::backend::{Direction, KvIter, ReadView};
use crate::StorageError;

/// A range of keys as `(start, end)` bounds, as scans take them.
pub type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// Every key.
pub fn full_range() -> KeyRange {
    (Bound::Unbounded, Bound::Unbounded)
}

/// Whether `key` lies in `range`.
pub fn range_contains(range: &KeyRange, key: &[u8]) -> bool {
    let after_start = match &range.0 {
        Bound::Included(s) => key >= s.as_slice(),
        Bound::Excluded(s) => key > s.as_slice(),
        Bound::Unbounded => true,
    };
    let before_end = match &range.1 {
        Bound::Included(e) => key <= e.as_slice(),
        Bound::Excluded(e) => key < e.as_slice(),
        Bound::Unbounded => true,
    };
    after_start && before_end
}

/// Whether no key lies between `start` and `end` (the start is past the end, or they
/// meet with one side excluded).
pub fn range_is_empty(start: &Bound<Vec<u8>>, end: &Bound<Vec<u8>>) -> bool {
    match (start, end) {
        (Bound::Included(s), Bound::Included(e)) => s > e,
        (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
        | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
        _ => false,
    }
}

/// The keys in both `a` and `b`.
pub fn intersect(a: &KeyRange, b: &KeyRange) -> KeyRange {
    (
        tighter(&a.0, &b.0, std::cmp::Ordering::Greater),
        tighter(&a.1, &b.1, std::cmp::Ordering::Less),
    )
}

/// Of two starts (`inward` Greater) or two ends (`inward` Less), the one that admits
/// fewer keys: the key further inward, or at the same key the excluded one.
fn tighter(a: &Bound<Vec<u8>>, b: &Bound<Vec<u8>>, inward: std::cmp::Ordering) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x.clone(),
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y))
            if x != y =>
        {
            if x.cmp(y) == inward {
                a.clone()
            } else {
                b.clone()
            }
        }
        (Bound::Excluded(_), _) => a.clone(),
        _ => b.clone(),
    }
}

/// The looser of two ends: the key further out, or at the same key the included one.
fn looser_end(a: &Bound<Vec<u8>>, b: &Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, _) | (_, Bound::Unbounded) => Bound::Unbounded,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y))
            if x != y =>
        {
            if x > y {
                a.clone()
            } else {
                b.clone()
            }
        }
        (Bound::Included(_), _) => a.clone(),
        _ => b.clone(),
    }
}

/// The order of two starts: the one that admits a smaller key first (unbounded first; at
/// the same key the included one).
fn cmp_start(a: &Bound<Vec<u8>>, b: &Bound<Vec<u8>>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Bound::Unbounded, Bound::Unbounded) => Ordering::Equal,
        (Bound::Unbounded, _) => Ordering::Less,
        (_, Bound::Unbounded) => Ordering::Greater,
        (Bound::Included(x) | Bound::Excluded(x), Bound::Included(y) | Bound::Excluded(y)) => {
            x.cmp(y).then_with(|| match (a, b) {
                (Bound::Included(_), Bound::Excluded(_)) => Ordering::Less,
                (Bound::Excluded(_), Bound::Included(_)) => Ordering::Greater,
                _ => Ordering::Equal,
            })
        }
    }
}

/// Whether `key` lies after every key of a range ending at `end`.
fn past_end(end: &Bound<Vec<u8>>, key: &[u8]) -> bool {
    match end {
        Bound::Included(e) => key > e.as_slice(),
        Bound::Excluded(e) => key >= e.as_slice(),
        Bound::Unbounded => false,
    }
}

/// A set of keys given as ranges: what a past view shows ([`crate::Backend::view_at`]).
///
/// Invariant: the ranges are non-empty, sorted by start and pairwise disjoint (overlapping
/// ones are merged when the set is built), so their ends are sorted too, membership is a
/// binary search, and scanning them in order yields keys in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRanges {
    ranges: Vec<KeyRange>,
}

impl KeyRanges {
    /// The keys of any of `ranges` (empty ones are dropped, overlapping ones merged).
    pub fn new(ranges: impl IntoIterator<Item = KeyRange>) -> Self {
        let mut sorted: Vec<KeyRange> = ranges
            .into_iter()
            .filter(|r| !range_is_empty(&r.0, &r.1))
            .collect();
        sorted.sort_by(|a, b| cmp_start(&a.0, &b.0));
        let mut merged: Vec<KeyRange> = Vec::with_capacity(sorted.len());
        for r in sorted {
            match merged.last_mut() {
                // Sorted by start, so `r` overlaps the last one iff it starts before
                // that one's end.
                Some(last) if !range_is_empty(&r.0, &last.1) => {
                    last.1 = looser_end(&last.1, &r.1);
                }
                _ => merged.push(r),
            }
        }
        KeyRanges { ranges: merged }
    }

    /// Every key.
    pub fn full() -> Self {
        full_range().into()
    }

    /// The ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[KeyRange] {
        &self.ranges
    }

    /// Whether `key` lies in one of the ranges.
    pub fn contains(&self, key: &[u8]) -> bool {
        let i = self.ranges.partition_point(|r| past_end(&r.1, key));
        self.ranges.get(i).is_some_and(|r| range_contains(r, key))
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

impl From<KeyRange> for KeyRanges {
    fn from(range: KeyRange) -> Self {
        KeyRanges::new([range])
    }
}

/// A view that shows only the keys of a [`KeyRanges`]: a get outside them finds nothing,
/// a scan is narrowed to them. Wraps the views of [`crate::Backend::view_at`].
#[derive(Debug)]
pub(crate) struct RangeView {
    inner: Box<dyn ReadView>,
    ranges: KeyRanges,
}

impl RangeView {
    pub(crate) fn new(inner: Box<dyn ReadView>, ranges: KeyRanges) -> Self {
        RangeView { inner, ranges }
    }
}

impl ReadView for RangeView {
    fn commit_time_micros(&self) -> u64 {
        self.inner.commit_time_micros()
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if !self.ranges.contains(key) {
            return Ok(None);
        }
        self.inner.get(key)
    }

    /// One scan of the inner view per range the bounds meet, chained in the direction's
    /// order (the ranges are sorted and disjoint, so the keys come out in order).
    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Result<KvIter, StorageError> {
        let asked = (start, end);
        let mut parts = Vec::new();
        for r in self.ranges.ranges() {
            let (s, e) = intersect(r, &asked);
            if !range_is_empty(&s, &e) {
                parts.push(self.inner.scan(s, e, direction)?);
            }
        }
        if direction == Direction::Reverse {
            parts.reverse();
        }
        Ok(match parts.len() {
            1 => parts.remove(0),
            _ => Box::new(parts.into_iter().flatten()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(k: &[u8]) -> Bound<Vec<u8>> {
        Bound::Included(k.to_vec())
    }
    fn exc(k: &[u8]) -> Bound<Vec<u8>> {
        Bound::Excluded(k.to_vec())
    }

    #[test]
    fn an_intersection_takes_the_tighter_bound_on_each_side() {
        let a = (inc(b"b"), exc(b"m"));
        let b = (exc(b"b"), inc(b"z"));
        assert_eq!(intersect(&a, &b), (exc(b"b"), exc(b"m")));
        assert_eq!(intersect(&b, &a), (exc(b"b"), exc(b"m")));
        assert_eq!(intersect(&full_range(), &a), a);
        assert_eq!(
            intersect(&(inc(b"c"), Bound::Unbounded), &a),
            (inc(b"c"), exc(b"m"))
        );
        // At the same key, excluded is tighter on both sides.
        assert_eq!(
            intersect(&(inc(b"c"), inc(b"k")), &(exc(b"c"), exc(b"k"))),
            (exc(b"c"), exc(b"k"))
        );
    }

    #[test]
    fn a_set_of_ranges_sorts_merges_and_finds_keys() {
        let set = KeyRanges::new([
            (inc(b"m"), exc(b"p")),
            (inc(b"a"), exc(b"c")),
            (inc(b"b"), inc(b"d")),
            (inc(b"x"), exc(b"x")),
            (exc(b"p"), Bound::Unbounded),
        ]);
        // [a, c) and [b, d] merge; the empty [x, x) is gone; [m, p) and (p, ..) stay
        // apart: p itself is in neither.
        assert_eq!(
            set.ranges(),
            &[
                (inc(b"a"), inc(b"d")),
                (inc(b"m"), exc(b"p")),
                (exc(b"p"), Bound::Unbounded)
            ]
        );
        for (key, inside) in [
            (&b""[..], false),
            (b"a", true),
            (b"d", true),
            (b"da", false),
            (b"l", false),
            (b"m", true),
            (b"p", false),
            (b"pa", true),
            (b"zzz", true),
        ] {
            assert_eq!(set.contains(key), inside, "{key:?}");
        }
        assert!(KeyRanges::new([]).is_empty());
        assert!(!KeyRanges::new([]).contains(b"a"));
        assert!(KeyRanges::full().contains(b""));
        // A range that starts unbounded sorts first and swallows what it covers.
        let set = KeyRanges::new([(inc(b"c"), inc(b"e")), (Bound::Unbounded, exc(b"d"))]);
        assert_eq!(set.ranges(), &[(Bound::Unbounded, inc(b"e"))]);
    }

    #[test]
    fn emptiness_and_membership_follow_the_bounds() {
        assert!(range_is_empty(&inc(b"b"), &exc(b"b")));
        assert!(range_is_empty(&inc(b"c"), &inc(b"b")));
        assert!(!range_is_empty(&inc(b"b"), &inc(b"b")));
        assert!(!range_is_empty(&Bound::Unbounded, &Bound::Unbounded));
        let r = (exc(b"b"), inc(b"d"));
        assert!(!range_contains(&r, b"b"));
        assert!(range_contains(&r, b"c") && range_contains(&r, b"d"));
        assert!(!range_contains(&r, b"da"));
    }
}
