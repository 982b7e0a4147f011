//! The read path's merge: many sorted sources (memtables, L0 tables, one per level file)
//! combined into one stream of visible user key/value pairs at a fixed sequence number.
//!
//! Every source yields entries in the scan's direction (key ascending for forward scans,
//! descending for reverse). The merger pops the smallest (or largest) key from a heap,
//! gathers every version of that key from all sources, and keeps the newest version with
//! `seq <= read_seq`: a put is returned, a tombstone hides the key. Because a whole key's
//! versions are gathered before deciding, the same code serves both directions.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use crate::backend::{Direction, ScanPair, Snapshot};
use crate::lsm::entry::{Entry, EntryKind};
use crate::lsm::source::EntrySource;
use crate::lsm::sstable_file::{SstableFile, TableSource};
use crate::value::Value;
use crate::StorageError;

/// The tables of one level below L0 (sorted by key, disjoint) read as one source: each
/// table is positioned only when the previous one is exhausted.
pub(crate) struct LevelSource {
    /// The level's tables overlapping the range, in the scan's direction.
    files: VecDeque<Arc<SstableFile>>,
    current: Option<TableSource>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
}

impl LevelSource {
    /// A source over `files` (in key order, disjoint) for the range in `direction`.
    pub(crate) fn new(
        files: Vec<Arc<SstableFile>>,
        start: &Bound<Vec<u8>>,
        end: &Bound<Vec<u8>>,
        direction: Direction,
    ) -> Self {
        let mut files: VecDeque<_> = files.into();
        if direction == Direction::Reverse {
            files.make_contiguous().reverse();
        }
        LevelSource {
            files,
            current: None,
            start: start.clone(),
            end: end.clone(),
            direction,
        }
    }
}

impl LevelSource {
    /// The next entry of the level, from the current table or the next ones; `lazy`:
    /// through `next_key` (value left behind) rather than `next_entry`.
    fn next_from_tables(&mut self, lazy: bool) -> Result<Option<Entry>, StorageError> {
        // Bounded by the number of tables: each turn either returns or drops one.
        loop {
            if let Some(current) = &mut self.current {
                let next = if lazy {
                    current.next_key()?
                } else {
                    current.next_entry()?
                };
                if let Some(e) = next {
                    return Ok(Some(e));
                }
                self.current = None;
            }
            let Some(file) = self.files.pop_front() else {
                return Ok(None);
            };
            self.current = Some(file.source(&self.start, &self.end, self.direction));
        }
    }
}

impl EntrySource for LevelSource {
    fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        self.next_from_tables(false)
    }

    fn next_key(&mut self) -> Result<Option<Entry>, StorageError> {
        self.next_from_tables(true)
    }

    /// The current table's: the table that returned the last entry is still current.
    fn take_value(&mut self) -> Result<Option<Value>, StorageError> {
        match &mut self.current {
            Some(current) => current.take_value(),
            None => Ok(None),
        }
    }
}

struct HeapItem {
    entry: Entry,
    source: usize,
    forward: bool,
}

impl PartialEq for HeapItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for HeapItem {}
impl PartialOrd for HeapItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for HeapItem {
    /// `BinaryHeap` pops the greatest: forward wants the smallest key on top, and of one
    /// key the newest source's version first (sources are ordered newest first), so
    /// that the first visible version popped is normally the one the reader sees.
    fn cmp(&self, other: &Self) -> Ordering {
        let by_key = self.entry.key.cmp(&other.entry.key);
        let by_key = if self.forward {
            by_key.reverse()
        } else {
            by_key
        };
        by_key.then(other.source.cmp(&self.source))
    }
}

/// Merges sources and resolves versions; yields visible pairs inside the bounds.
/// After an error it yields that error once and then ends.
pub(crate) struct MergingIter {
    sources: Vec<Box<dyn EntrySource>>,
    heap: BinaryHeap<HeapItem>,
    start: Bound<Vec<u8>>,
    end: Bound<Vec<u8>>,
    direction: Direction,
    read_seq: u64,
    started: bool,
    finished: bool,
    /// Keeps the snapshot registered (so compaction keeps our versions) while we iterate.
    _snapshot: Option<Snapshot>,
}

impl MergingIter {
    /// Builds the merger. Sources must be positioned at the near bound of the range.
    pub(crate) fn new(
        sources: Vec<Box<dyn EntrySource>>,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        direction: Direction,
        read_seq: u64,
    ) -> Self {
        MergingIter {
            sources,
            heap: BinaryHeap::new(),
            start,
            end,
            direction,
            read_seq,
            started: false,
            finished: false,
            _snapshot: None,
        }
    }

    /// Keeps `snapshot` registered as long as the iterator lives. (Sources hold their own
    /// memtables and tables, so nothing else needs pinning.)
    pub(crate) fn pin(mut self, snapshot: Snapshot) -> Self {
        self._snapshot = Some(snapshot);
        self
    }

    fn forward(&self) -> bool {
        self.direction == Direction::Forward
    }

    /// Pushes `source`'s next entry, its value left in the source if the source can
    /// (`EntrySource::next_key`): only the entry returned is asked for its value.
    fn pull(&mut self, source: usize) -> Result<(), StorageError> {
        if let Some(entry) = self.sources[source].next_key()? {
            let forward = self.forward();
            self.heap.push(HeapItem {
                entry,
                source,
                forward,
            });
        }
        Ok(())
    }

    fn before_start(&self, key: &[u8]) -> bool {
        match &self.start {
            Bound::Included(s) => key < s.as_slice(),
            Bound::Excluded(s) => key <= s.as_slice(),
            Bound::Unbounded => false,
        }
    }

    fn after_end(&self, key: &[u8]) -> bool {
        match &self.end {
            Bound::Included(e) => key > e.as_slice(),
            Bound::Excluded(e) => key >= e.as_slice(),
            Bound::Unbounded => false,
        }
    }

    fn step(&mut self) -> Result<Option<ScanPair>, StorageError> {
        if !self.started {
            self.started = true;
            for i in 0..self.sources.len() {
                self.pull(i)?;
            }
        }
        // Each iteration consumes at least one entry from a finite source, so this ends.
        while let Some(top) = self.heap.pop() {
            let (past_far, before_near) = if self.forward() {
                (
                    self.after_end(&top.entry.key),
                    self.before_start(&top.entry.key),
                )
            } else {
                (
                    self.before_start(&top.entry.key),
                    self.after_end(&top.entry.key),
                )
            };
            if past_far {
                return Ok(None);
            }
            // Every version of this key, from every source (a source may hold several,
            // newest first: each is pulled before the next is compared). The reader sees
            // the newest with `seq <= read_seq`; a candidate's value is taken before its
            // source moves on, and only a candidate newer than the one kept so far is
            // asked for it. Sources are ordered newest first, so that is normally the
            // first version popped, and the others' values stay in their blocks.
            let mut visible: Option<Entry> = None;
            // Its value, when its source left it behind (`next_key`).
            let mut visible_value: Option<Value> = None;
            // The key, while no candidate holds it.
            let mut passed_key: Option<Vec<u8>> = None;
            let mut next = Some(top);
            while let Some(HeapItem { entry, source, .. }) = next {
                let newer = !before_near
                    && entry.seq <= self.read_seq
                    && visible.as_ref().is_none_or(|v| entry.seq > v.seq);
                if newer {
                    visible_value = match entry.kind {
                        EntryKind::Put => self.sources[source].take_value()?,
                        EntryKind::Delete => None,
                    };
                    visible = Some(entry);
                } else if visible.is_none() && passed_key.is_none() {
                    passed_key = Some(entry.key);
                }
                self.pull(source)?;
                let Some(key) = visible.as_ref().map(|v| &v.key).or(passed_key.as_ref()) else {
                    break;
                };
                next = if self.heap.peek().is_some_and(|n| n.entry.key == *key) {
                    self.heap.pop()
                } else {
                    None
                };
            }
            if let Some(v) = visible.filter(|v| v.kind == EntryKind::Put) {
                let value = visible_value.unwrap_or_else(|| Value::from(v.value));
                return Ok(Some((v.key, value)));
            }
        }
        Ok(None)
    }
}

impl Iterator for MergingIter {
    type Item = Result<ScanPair, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        match self.step() {
            Ok(Some(pair)) => Some(Ok(pair)),
            Ok(None) => {
                self.finished = true;
                None
            }
            Err(e) => {
                self.finished = true;
                Some(Err(e))
            }
        }
    }
}

/// Merges sources in internal-key order (key ascending, newest first) without resolving
/// versions: compaction's input, which must see every version to decide what to keep.
pub(crate) struct InternalMerge {
    sources: Vec<Box<dyn EntrySource>>,
    heap: BinaryHeap<InternalItem>,
    started: bool,
}

struct InternalItem {
    entry: Entry,
    source: usize,
}

impl PartialEq for InternalItem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for InternalItem {}
impl PartialOrd for InternalItem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InternalItem {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: the max-heap must pop the smallest internal key first.
        crate::lsm::entry::internal_cmp(
            &other.entry.key,
            other.entry.seq,
            &self.entry.key,
            self.entry.seq,
        )
        .then(other.source.cmp(&self.source))
    }
}

impl InternalMerge {
    /// Merges `sources`, each already in internal-key order.
    pub(crate) fn new(sources: Vec<Box<dyn EntrySource>>) -> Self {
        InternalMerge {
            sources,
            heap: BinaryHeap::new(),
            started: false,
        }
    }

    fn pull(&mut self, source: usize) -> Result<(), StorageError> {
        if let Some(entry) = self.sources[source].next_entry()? {
            self.heap.push(InternalItem { entry, source });
        }
        Ok(())
    }

    /// The next entry in internal-key order.
    ///
    /// # Errors
    /// A source's I/O failure or corruption.
    pub(crate) fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
        if !self.started {
            self.started = true;
            for i in 0..self.sources.len() {
                self.pull(i)?;
            }
        }
        let Some(top) = self.heap.pop() else {
            return Ok(None);
        };
        self.pull(top.source)?;
        Ok(Some(top.entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lsm::source::VecSource;

    fn put(k: &str, seq: u64, v: &str) -> Entry {
        Entry {
            key: k.as_bytes().to_vec(),
            seq,
            kind: EntryKind::Put,
            value: v.as_bytes().to_vec(),
        }
    }
    fn del(k: &str, seq: u64) -> Entry {
        Entry {
            key: k.as_bytes().to_vec(),
            seq,
            kind: EntryKind::Delete,
            value: Vec::new(),
        }
    }

    fn run(
        sources: Vec<Vec<Entry>>,
        dir: Direction,
        read_seq: u64,
        start: Bound<&str>,
        end: Bound<&str>,
    ) -> Vec<(String, String)> {
        let srcs = sources
            .into_iter()
            .map(|mut v| {
                if dir == Direction::Reverse {
                    v.reverse();
                }
                Box::new(VecSource::new(v)) as Box<dyn EntrySource>
            })
            .collect();
        let b = |b: Bound<&str>| b.map(|s| s.as_bytes().to_vec());
        MergingIter::new(srcs, b(start), b(end), dir, read_seq)
            .map(|r| {
                let (k, v) = r.unwrap();
                (
                    String::from_utf8(k).unwrap(),
                    String::from_utf8(v.into_vec()).unwrap(),
                )
            })
            .collect()
    }

    /// A source that leaves every value behind (`next_key`) and counts the values a
    /// merge takes.
    struct LazySource {
        entries: std::collections::VecDeque<Entry>,
        left: Option<Vec<u8>>,
        taken: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl EntrySource for LazySource {
        fn next_entry(&mut self) -> Result<Option<Entry>, StorageError> {
            Ok(self.entries.pop_front())
        }
        fn next_key(&mut self) -> Result<Option<Entry>, StorageError> {
            let mut e = self.entries.pop_front();
            self.left = e.as_mut().map(|e| std::mem::take(&mut e.value));
            Ok(e)
        }
        fn take_value(&mut self) -> Result<Option<Value>, StorageError> {
            self.taken
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(self.left.clone().map(Value::from))
        }
    }

    /// A forward merge of everything in `sources` at `read_seq`, each a [`LazySource`]
    /// counting into `taken`.
    fn lazy_merge(
        sources: &[Vec<Entry>],
        read_seq: u64,
        taken: &Arc<std::sync::atomic::AtomicUsize>,
    ) -> MergingIter {
        let sources = sources
            .iter()
            .map(|entries| {
                Box::new(LazySource {
                    entries: entries.clone().into(),
                    left: None,
                    taken: Arc::clone(taken),
                }) as Box<dyn EntrySource>
            })
            .collect();
        MergingIter::new(
            sources,
            Bound::Unbounded,
            Bound::Unbounded,
            Direction::Forward,
            read_seq,
        )
    }

    /// A merge of a lazy source holding older versions in front of an eager one holding
    /// newer ones (out of the usual newest-first order), in `direction`: the value kept
    /// for a key must be replaced when a newer version, or a tombstone, comes later.
    fn lazy_then_eager(
        older: Vec<Entry>,
        newer: Vec<Entry>,
        direction: Direction,
    ) -> Vec<(String, String)> {
        let taken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (mut older, mut newer) = (older, newer);
        if direction == Direction::Reverse {
            older.reverse();
            newer.reverse();
        }
        let sources: Vec<Box<dyn EntrySource>> = vec![
            Box::new(LazySource {
                entries: older.into(),
                left: None,
                taken,
            }),
            Box::new(VecSource::new(newer)),
        ];
        MergingIter::new(sources, Bound::Unbounded, Bound::Unbounded, direction, 100)
            .map(|r| {
                let (k, v) = r.unwrap();
                (
                    String::from_utf8(k).unwrap(),
                    String::from_utf8(v.into_vec()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn a_value_taken_for_an_older_version_is_dropped_when_a_newer_one_follows() {
        for direction in [Direction::Forward, Direction::Reverse] {
            let got = lazy_then_eager(
                vec![
                    put("a", 1, "a-old"),
                    put("b", 2, "b-old"),
                    put("c", 3, "c-old"),
                ],
                vec![put("a", 5, "a-new"), del("b", 6)],
                direction,
            );
            let mut want = vec![("a".to_string(), "a-new".to_string())];
            want.push(("c".to_string(), "c-old".to_string()));
            if direction == Direction::Reverse {
                want.reverse();
            }
            assert_eq!(got, want, "{direction:?}");
        }
    }

    #[test]
    fn a_read_merge_takes_only_the_values_it_returns() {
        let taken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let newer = vec![put("a", 10, "a10"), del("b", 11), put("d", 12, "d12")];
        let older = vec![put("a", 1, "a1"), put("b", 2, "b2"), put("c", 3, "c3")];
        let got: Vec<crate::KvPair> = lazy_merge(&[newer, older], 20, &taken)
            .take(2)
            .map(Result::unwrap)
            .map(crate::value::owned_pair)
            .collect();
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), b"a10".to_vec()),
                (b"c".to_vec(), b"c3".to_vec())
            ]
        );
        // Not a1 (hidden by a10), b2 (hidden by b's tombstone), nor d12 (pulled into
        // the heap, never returned).
        assert_eq!(taken.load(std::sync::atomic::Ordering::Relaxed), 2);
    }

    /// Regression: a first try at taking values lazily resolved a key from the sources'
    /// heads alone, so a source's second version of a key came out as a key of its own
    /// (twice the key, the older value second), and a version the reader could not see
    /// hid the one below it in the same source.
    #[test]
    fn versions_a_source_holds_of_one_key_resolve_together() {
        let one_source = vec![
            put("a", 20, "a20"),
            put("a", 5, "a5"),
            put("b", 7, "b7"),
            put("b", 6, "b6"),
        ];
        let other = vec![put("a", 3, "a3"), put("c", 4, "c4")];
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        for (lazy_values, read_seq, want) in [
            (false, 10, pairs(&[("a", "a5"), ("b", "b7"), ("c", "c4")])),
            (false, 30, pairs(&[("a", "a20"), ("b", "b7"), ("c", "c4")])),
            (true, 10, pairs(&[("a", "a5"), ("b", "b7"), ("c", "c4")])),
            (true, 6, pairs(&[("a", "a5"), ("b", "b6"), ("c", "c4")])),
        ] {
            let got = if lazy_values {
                let taken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
                lazy_merge(&[one_source.clone(), other.clone()], read_seq, &taken)
                    .map(|r| {
                        let (k, v) = r.unwrap();
                        (
                            String::from_utf8(k).unwrap(),
                            String::from_utf8(v.into_vec()).unwrap(),
                        )
                    })
                    .collect()
            } else {
                run(
                    vec![one_source.clone(), other.clone()],
                    Direction::Forward,
                    read_seq,
                    Bound::Unbounded,
                    Bound::Unbounded,
                )
            };
            assert_eq!(got, want, "lazy {lazy_values}, read at {read_seq}");
        }
    }

    #[test]
    fn newest_version_wins_and_tombstones_hide_in_both_directions() {
        let newer = vec![put("a", 10, "a10"), del("b", 11), put("d", 12, "d12")];
        let older = vec![put("a", 1, "a1"), put("b", 2, "b2"), put("c", 3, "c3")];
        let fwd = run(
            vec![newer.clone(), older.clone()],
            Direction::Forward,
            100,
            Bound::Unbounded,
            Bound::Unbounded,
        );
        assert_eq!(
            fwd,
            vec![
                ("a".into(), "a10".into()),
                ("c".into(), "c3".into()),
                ("d".into(), "d12".into())
            ]
        );
        let rev = run(
            vec![newer.clone(), older.clone()],
            Direction::Reverse,
            100,
            Bound::Unbounded,
            Bound::Unbounded,
        );
        assert_eq!(rev, fwd.iter().rev().cloned().collect::<Vec<_>>());
        // At seq 5 only the older source is visible.
        let old = run(
            vec![newer, older],
            Direction::Forward,
            5,
            Bound::Unbounded,
            Bound::Unbounded,
        );
        assert_eq!(
            old,
            vec![
                ("a".into(), "a1".into()),
                ("b".into(), "b2".into()),
                ("c".into(), "c3".into())
            ]
        );
    }

    #[test]
    fn internal_merge_orders_key_then_newest_first() {
        let a = vec![put("a", 3, ""), put("c", 9, "")];
        let b = vec![put("a", 7, ""), put("b", 1, ""), put("c", 2, "")];
        let mut m = InternalMerge::new(vec![
            Box::new(VecSource::new(a)),
            Box::new(VecSource::new(b)),
        ]);
        let mut got = Vec::new();
        while let Some(e) = m.next_entry().unwrap() {
            got.push((String::from_utf8(e.key).unwrap(), e.seq));
        }
        let want: Vec<(String, u64)> = vec![
            ("a".into(), 7),
            ("a".into(), 3),
            ("b".into(), 1),
            ("c".into(), 9),
            ("c".into(), 2),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn bounds_are_exact() {
        let src = vec![
            put("a", 1, "1"),
            put("b", 1, "1"),
            put("c", 1, "1"),
            put("d", 1, "1"),
        ];
        let keys = |v: Vec<(String, String)>| v.into_iter().map(|p| p.0).collect::<Vec<_>>();
        assert_eq!(
            keys(run(
                vec![src.clone()],
                Direction::Forward,
                9,
                Bound::Excluded("a"),
                Bound::Included("c")
            )),
            vec!["b", "c"]
        );
        assert_eq!(
            keys(run(
                vec![src],
                Direction::Reverse,
                9,
                Bound::Included("b"),
                Bound::Excluded("d")
            )),
            vec!["c", "b"]
        );
    }
}
