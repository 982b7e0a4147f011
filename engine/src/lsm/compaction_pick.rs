//! Which compaction to run next: a pure function of the file lists, so it is unit-tested
//! without I/O.
//!
//! Leveled policy:
//! - L0 → L1 when L0 holds at least `l0_trigger` files. All of L0 is taken (L0 files
//!   overlap each other), plus every L1 file overlapping their combined range. Taking all
//!   of L0 keeps the invariant the read path relies on: for any key, versions in a
//!   shallower level are newer than versions in a deeper one.
//! - Ln → Ln+1 (n ≥ 1) when level n's bytes exceed `base × ratio^(n-1)`; the level with
//!   the highest score (bytes / limit) goes first. One file of Ln is taken, round-robin
//!   by key (after the largest key last compacted there), plus the Ln+1 files it overlaps.

use crate::lsm::manifest::{FileMeta, NUM_LEVELS};

/// The thresholds the picker uses.
#[derive(Debug, Clone, Copy)]
pub struct PickPolicy {
    /// L0 file count that triggers L0 → L1.
    pub l0_trigger: usize,
    /// Size limit of L1.
    pub level_base_bytes: u64,
    /// Growth factor per level.
    pub level_ratio: u64,
}

impl PickPolicy {
    /// Byte limit of level `level` (≥ 1).
    pub fn level_limit_bytes(&self, level: usize) -> u64 {
        let exp = u32::try_from(level.saturating_sub(1)).unwrap_or(u32::MAX);
        self.level_base_bytes
            .saturating_mul(self.level_ratio.saturating_pow(exp))
    }
}

/// A chosen compaction: input files from `level` and `level + 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionPick {
    /// The level compacted from; outputs go to `level + 1`.
    pub level: usize,
    /// Input files from `level`.
    pub inputs: Vec<FileMeta>,
    /// Overlapping input files from `level + 1`.
    pub next_inputs: Vec<FileMeta>,
}

impl CompactionPick {
    /// Smallest and largest user keys over all inputs.
    pub fn key_range(&self) -> (Vec<u8>, Vec<u8>) {
        key_range(self.inputs.iter().chain(&self.next_inputs))
    }
}

/// Smallest and largest key over `files` (empty vectors for no files).
pub fn key_range<'a>(files: impl Iterator<Item = &'a FileMeta>) -> (Vec<u8>, Vec<u8>) {
    let mut lo: Option<&[u8]> = None;
    let mut hi: Option<&[u8]> = None;
    for f in files {
        if lo.is_none_or(|l| f.smallest.as_slice() < l) {
            lo = Some(&f.smallest);
        }
        if hi.is_none_or(|h| f.largest.as_slice() > h) {
            hi = Some(&f.largest);
        }
    }
    (
        lo.map(<[u8]>::to_vec).unwrap_or_default(),
        hi.map(<[u8]>::to_vec).unwrap_or_default(),
    )
}

/// Files of `files` whose range intersects `[lo, hi]`.
pub fn overlapping(files: &[FileMeta], lo: &[u8], hi: &[u8]) -> Vec<FileMeta> {
    files
        .iter()
        .filter(|f| f.overlaps(lo, hi))
        .cloned()
        .collect()
}

/// The next compaction, if any level is over its limit. `cursors[n]` is the largest key
/// last compacted out of level n (for round-robin).
pub fn pick(
    levels: &[Vec<FileMeta>],
    policy: &PickPolicy,
    cursors: &[Vec<u8>],
) -> Option<CompactionPick> {
    if levels.len() != NUM_LEVELS {
        return None;
    }
    if levels[0].len() >= policy.l0_trigger.max(1) {
        return Some(pick_l0(levels));
    }
    // The deepest level has nowhere to go.
    let mut best: Option<(f64, usize)> = None;
    for (level, files) in levels.iter().enumerate().take(NUM_LEVELS - 1).skip(1) {
        let bytes: u64 = files.iter().map(|f| f.size_bytes).sum();
        let score = bytes as f64 / policy.level_limit_bytes(level).max(1) as f64;
        if score > 1.0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, level));
        }
    }
    let (_, level) = best?;
    let files = &levels[level];
    let cursor = cursors.get(level).map_or(&[][..], Vec::as_slice);
    let chosen = files
        .iter()
        .find(|f| f.smallest.as_slice() > cursor)
        .or_else(|| files.first())?
        .clone();
    let next_inputs = overlapping(&levels[level + 1], &chosen.smallest, &chosen.largest);
    Some(CompactionPick {
        level,
        inputs: vec![chosen],
        next_inputs,
    })
}

/// L0 → L1 over all of L0 (used by the trigger and by manual compaction).
pub fn pick_l0(levels: &[Vec<FileMeta>]) -> CompactionPick {
    let inputs = levels[0].clone();
    let (lo, hi) = key_range(inputs.iter());
    let next_inputs = overlapping(&levels[1], &lo, &hi);
    CompactionPick {
        level: 0,
        inputs,
        next_inputs,
    }
}

/// A manual compaction of level `level`'s files overlapping `[lo, hi]` into `level + 1`,
/// or `None` if there are none. Level 0 always takes all of L0 (see the module docs).
pub fn pick_range(
    levels: &[Vec<FileMeta>],
    level: usize,
    lo: &[u8],
    hi: &[u8],
) -> Option<CompactionPick> {
    if level + 1 >= NUM_LEVELS {
        return None;
    }
    if level == 0 {
        return (!levels[0].is_empty()).then(|| pick_l0(levels));
    }
    let inputs = overlapping(&levels[level], lo, hi);
    if inputs.is_empty() {
        return None;
    }
    let (lo, hi) = key_range(inputs.iter());
    let next_inputs = overlapping(&levels[level + 1], &lo, &hi);
    Some(CompactionPick {
        level,
        inputs,
        next_inputs,
    })
}

/// Whether no level deeper than `output_level` holds a file overlapping `[lo, hi]`:
/// then a tombstone written to `output_level` hides nothing and may be dropped.
pub fn is_bottom_for_range(
    levels: &[Vec<FileMeta>],
    output_level: usize,
    lo: &[u8],
    hi: &[u8],
) -> bool {
    levels
        .iter()
        .skip(output_level + 1)
        .all(|files| files.iter().all(|f| !f.overlaps(lo, hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(number: u64, a: &str, b: &str, size: u64) -> FileMeta {
        FileMeta {
            number,
            size_bytes: size,
            smallest: a.as_bytes().to_vec(),
            largest: b.as_bytes().to_vec(),
            min_seq: 1,
            max_seq: 1,
        }
    }

    fn policy() -> PickPolicy {
        PickPolicy {
            l0_trigger: 2,
            level_base_bytes: 100,
            level_ratio: 10,
        }
    }

    #[test]
    fn nothing_to_do_under_limits() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        levels[0].push(f(1, "a", "b", 10));
        levels[1].push(f(2, "a", "b", 100));
        assert_eq!(pick(&levels, &policy(), &[]), None);
    }

    #[test]
    fn l0_trigger_takes_all_l0_and_overlapping_l1() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        levels[0] = vec![f(5, "c", "f", 1), f(4, "a", "d", 1)];
        levels[1] = vec![f(1, "a", "b", 1), f(2, "e", "g", 1), f(3, "h", "k", 1)];
        let p = pick(&levels, &policy(), &[]).unwrap();
        assert_eq!(p.level, 0);
        assert_eq!(p.inputs.len(), 2);
        assert_eq!(
            p.next_inputs.iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(p.key_range(), (b"a".to_vec(), b"g".to_vec()));
    }

    #[test]
    fn oversized_level_goes_down_round_robin() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        levels[1] = vec![f(1, "a", "b", 60), f(2, "c", "d", 60)];
        levels[2] = vec![f(3, "a", "a", 1), f(4, "d", "z", 1)];
        let p = pick(&levels, &policy(), &[]).unwrap();
        assert_eq!((p.level, p.inputs[0].number), (1, 1));
        assert_eq!(
            p.next_inputs.iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![3]
        );
        let cursors = vec![Vec::new(), b"b".to_vec()];
        let p = pick(&levels, &policy(), &cursors).unwrap();
        assert_eq!(p.inputs[0].number, 2);
        assert_eq!(
            p.next_inputs.iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![4]
        );
        assert!(!is_bottom_for_range(&levels, 1, b"a", b"b"));
        assert!(is_bottom_for_range(&levels, 2, b"a", b"b"));
    }

    #[test]
    fn level_limits_grow_by_ratio() {
        let p = policy();
        assert_eq!(p.level_limit_bytes(1), 100);
        assert_eq!(p.level_limit_bytes(3), 10_000);
    }
}
