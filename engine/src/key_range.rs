//! Key ranges, and a view narrowed to one: what [`crate::Backend::view_at`] serves.
//!
//! A past view is built for one reader that wants one range (a restore or an export
//! reads one table), so a backend may leave everything outside it out of the work of
//! building the view (the LSM replays only the range's part of the log). [`RangeView`]
//! makes that invisible: outside the range a view is empty, on every backend alike.

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

/// A view that shows only the keys of `range`: a get outside it finds nothing, a scan is
/// narrowed to it. Wraps the views of [`crate::Backend::view_at`].
#[derive(Debug)]
pub(crate) struct RangeView {
    inner: Box<dyn ReadView>,
    range: KeyRange,
}

impl RangeView {
    pub(crate) fn new(inner: Box<dyn ReadView>, range: KeyRange) -> Self {
        RangeView { inner, range }
    }
}

impl ReadView for RangeView {
    fn commit_time_micros(&self) -> u64 {
        self.inner.commit_time_micros()
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        if !range_contains(&self.range, key) {
            return Ok(None);
        }
        self.inner.get(key)
    }

    fn scan(
        &self,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
    ) -> Result<KvIter, StorageError> {
        let (start, end) = intersect(&self.range, &(start, end));
        if range_is_empty(&start, &end) {
            return Ok(Box::new(std::iter::empty()));
        }
        self.inner.scan(start, end, direction)
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
