//! Which compaction to run next: the [`CompactionStrategy`] seam, today's [`Leveled`]
//! strategy, and the helpers manual compaction shares. Picking is a pure function of the
//! file lists, so it is unit-tested (and can be simulated) without I/O.
//!
//! Leveled policy:
//! - L0 → L1 when L0 holds at least `l0_trigger` files. All of L0 is taken (L0 files
//!   overlap each other), plus every L1 file overlapping their combined range. Taking all
//!   of L0 keeps the invariant the read path relies on: for any key, versions in a
//!   shallower level are newer than versions in a deeper one.
//! - Ln → Ln+1 (n ≥ 1) when level n's bytes exceed `base × ratio^(n-1)`; the level with
//!   the highest score (bytes / limit) goes first. One file of Ln is taken, plus the
//!   Ln+1 files it overlaps. Which file is [`Leveled::file_order`]'s choice: by default
//!   the one that overlaps the fewest Ln+1 bytes per byte of its own (RocksDB's default
//!   `kMinOverlappingRatio`), or round-robin by key (LevelDB's).

use std::fmt::Debug;

use crate::lsm::manifest::{FileMeta, NUM_LEVELS};

/// What a strategy sees: the live files per level, as the manifest records them.
#[derive(Debug, Clone, Copy)]
pub struct LevelsView<'a> {
    /// `levels[0]` newest first (highest file number first; L0 files may overlap); every
    /// deeper level sorted by smallest key, its files' ranges disjoint. Always
    /// [`NUM_LEVELS`] long.
    pub levels: &'a [Vec<FileMeta>],
    /// Per level, the largest user key last compacted out of it (empty before the first
    /// compaction since open): the engine's round-robin cursor, advanced after each job
    /// that took files from that level. May be shorter than `levels`.
    pub cursors: &'a [Vec<u8>],
}

/// Chooses the next background compaction. Manual compaction (`Db::compact_range`) does
/// not ask it: it always merges level by level down the tree.
///
/// # Contract
/// A job merges [`CompactionJob::inputs`] (files of `level`) and
/// [`CompactionJob::next_inputs`] (files of `level + 1`) into new files in `level + 1`.
/// A strategy must return only jobs that keep the tree's invariants, since the engine
/// installs what it is given (a job naming a file that is not live is refused as
/// corruption and poisons the engine):
/// - `level + 1 < NUM_LEVELS`, and the job takes at least one file;
/// - every input is live in the view, in the level the job names for it;
/// - `next_inputs` holds every file of `level + 1` that overlaps the key range of the
///   whole job ([`CompactionJob::key_range`]): outputs cover that range, and a deeper
///   level's files must stay disjoint;
/// - from L0: any L0 file left behind that overlaps the job's key range is newer (a
///   higher number) than every L0 file taken, so that for every key a shallower level
///   stays newer than a deeper one (taking all of L0, as [`Leveled`] does, is the
///   simple way);
/// - one file with no `next_inputs` is moved down a level without a rewrite.
///
/// It may not drop files, write anywhere but `level + 1`, or split a user key's
/// versions: the engine decides those (outputs are cut only between user keys, and
/// versions a snapshot can see are kept).
///
/// `pick` runs on the compaction thread under the version-set lock, which writers' memtable
/// switches and flush installs wait for: it must be cheap, do no I/O and not block. It
/// is called again after each job and after each wake-up (about every 100 ms idle), so
/// it must return `None` once the tree is within its limits, or the thread never idles.
///
/// Thread safety: one strategy is shared by the engine's threads (`Send + Sync`).
pub trait CompactionStrategy: Send + Sync + Debug {
    /// A short name for logs and stats (e.g. `"leveled"`).
    fn name(&self) -> &'static str;

    /// The next compaction, or `None` if the tree needs none now.
    fn pick(&self, view: &LevelsView<'_>) -> Option<CompactionJob>;
}

/// Leveled compaction (see the module docs), with its thresholds. This is the engine's
/// default, built from `DbOptions::{l0_compaction_trigger, level_base_bytes, level_ratio}`.
#[derive(Debug, Clone, Copy)]
pub struct Leveled {
    /// L0 file count that triggers L0 → L1.
    pub l0_trigger: usize,
    /// Size limit of L1.
    pub level_base_bytes: u64,
    /// Growth factor per level.
    pub level_ratio: u64,
    /// Which file of an oversized level (≥ 1) goes down next.
    pub file_order: FileOrder,
}

/// Which file of an oversized level a [`Leveled`] compaction takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileOrder {
    /// The file with the fewest overlapping bytes in the next level per byte of its own
    /// (ties: the lowest key). RocksDB's default (`kMinOverlappingRatio`): each job
    /// rewrites as few next-level bytes as it can for the bytes it moves down, so it
    /// tends to write less than round-robin, most of all when updates are skewed.
    /// The price: a file that always overlaps more than the others can wait a long time,
    /// and its overwritten versions and tombstones with it (RocksDB offers periodic
    /// compaction for that; Shale has none). Measured on YCSB A: 1–2% fewer bytes
    /// written (docs/benchmarks.md, "2026-12-07, eighth session").
    #[default]
    MinOverlappingRatio,
    /// After the largest key last compacted out of the level, wrapping around: LevelDB's
    /// order, which sweeps the whole key space evenly.
    RoundRobin,
}

impl Leveled {
    /// Byte limit of level `level` (≥ 1).
    pub fn level_limit_bytes(&self, level: usize) -> u64 {
        let exp = u32::try_from(level.saturating_sub(1)).unwrap_or(u32::MAX);
        self.level_base_bytes
            .saturating_mul(self.level_ratio.saturating_pow(exp))
    }
}

impl CompactionStrategy for Leveled {
    fn name(&self) -> &'static str {
        "leveled"
    }

    fn pick(&self, view: &LevelsView<'_>) -> Option<CompactionJob> {
        pick_leveled(view.levels, self, view.cursors)
    }
}

/// A chosen compaction: input files from `level` and `level + 1` (see
/// [`CompactionStrategy`] for what a job may hold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactionJob {
    /// The level compacted from; outputs go to `level + 1`.
    pub level: usize,
    /// Input files from `level` (empty: a rewrite of `next_inputs` in place, which only
    /// manual compaction uses).
    pub inputs: Vec<FileMeta>,
    /// Overlapping input files from `level + 1`.
    pub next_inputs: Vec<FileMeta>,
}

impl CompactionJob {
    /// Smallest and largest user keys over all inputs.
    pub fn key_range(&self) -> (Vec<u8>, Vec<u8>) {
        key_range(self.inputs.iter().chain(&self.next_inputs))
    }
}

/// Smallest and largest key over `files` (empty vectors for no files).
pub(crate) fn key_range<'a>(files: impl Iterator<Item = &'a FileMeta>) -> (Vec<u8>, Vec<u8>) {
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
pub(crate) fn overlapping(files: &[FileMeta], lo: &[u8], hi: &[u8]) -> Vec<FileMeta> {
    files
        .iter()
        .filter(|f| f.overlaps(lo, hi))
        .cloned()
        .collect()
}

/// The next leveled compaction, if any level is over its limit. `cursors[n]` is the
/// largest key last compacted out of level n (for round-robin).
fn pick_leveled(
    levels: &[Vec<FileMeta>],
    policy: &Leveled,
    cursors: &[Vec<u8>],
) -> Option<CompactionJob> {
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
    let chosen = match policy.file_order {
        FileOrder::MinOverlappingRatio => least_overlapping(files, &levels[level + 1])?,
        FileOrder::RoundRobin => {
            let cursor = cursors.get(level).map_or(&[][..], Vec::as_slice);
            files
                .iter()
                .find(|f| f.smallest.as_slice() > cursor)
                .or_else(|| files.first())?
        }
    }
    .clone();
    let next_inputs = overlapping(&levels[level + 1], &chosen.smallest, &chosen.largest);
    Some(CompactionJob {
        level,
        inputs: vec![chosen],
        next_inputs,
    })
}

/// The file of `files` whose overlap with `next` (sorted by key, disjoint) is the
/// fewest bytes per byte of its own; the first such file on ties. `None` if `files` is
/// empty.
fn least_overlapping<'a>(files: &'a [FileMeta], next: &[FileMeta]) -> Option<&'a FileMeta> {
    let mut best: Option<(u128, &FileMeta)> = None;
    for f in files {
        // Compared as overlap × 2^20 / size in integers, so the choice is exact and the
        // same on every platform (a zero-byte file counts as one byte).
        let ratio =
            (u128::from(overlapping_bytes(next, f)) << 20) / u128::from(f.size_bytes.max(1));
        if best.is_none_or(|(b, _)| ratio < b) {
            best = Some((ratio, f));
        }
    }
    best.map(|(_, f)| f)
}

/// Bytes of `next` (sorted by key, disjoint) overlapping `file`'s key range.
fn overlapping_bytes(next: &[FileMeta], file: &FileMeta) -> u64 {
    // The first file that ends at or after `file` starts; the overlapping ones follow it.
    let first = next.partition_point(|g| g.largest.as_slice() < file.smallest.as_slice());
    next[first..]
        .iter()
        .take_while(|g| g.smallest.as_slice() <= file.largest.as_slice())
        .map(|g| g.size_bytes)
        .sum()
}

/// L0 → L1 over all of L0 (used by the trigger and by manual compaction).
pub(crate) fn pick_l0(levels: &[Vec<FileMeta>]) -> CompactionJob {
    let inputs = levels[0].clone();
    let (lo, hi) = key_range(inputs.iter());
    let next_inputs = overlapping(&levels[1], &lo, &hi);
    CompactionJob {
        level: 0,
        inputs,
        next_inputs,
    }
}

/// A manual compaction of level `level`'s files overlapping `[lo, hi]` into `level + 1`,
/// or `None` if there are none. Level 0 always takes all of L0 (see the module docs).
pub(crate) fn pick_range(
    levels: &[Vec<FileMeta>],
    level: usize,
    lo: &[u8],
    hi: &[u8],
) -> Option<CompactionJob> {
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
    Some(CompactionJob {
        level,
        inputs,
        next_inputs,
    })
}

/// Whether no level deeper than `output_level` holds a file overlapping `[lo, hi]`:
/// then a tombstone written to `output_level` hides nothing and may be dropped.
pub(crate) fn is_bottom_for_range(
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

/// Checks `job` against the [`CompactionStrategy`] contract on the live `levels`: the
/// reason it breaks it, if it does. Runs before a job writes anything, so a faulty
/// strategy poisons the engine instead of damaging the tree.
pub(crate) fn check_job(levels: &[Vec<FileMeta>], job: &CompactionJob) -> Result<(), &'static str> {
    let level = job.level;
    if level + 1 >= NUM_LEVELS || levels.len() != NUM_LEVELS {
        return Err("compaction job names a level with no level below it");
    }
    if job.inputs.is_empty() && job.next_inputs.is_empty() {
        return Err("compaction job takes no file");
    }
    let live = |files: &[FileMeta], f: &FileMeta| files.iter().any(|g| g.number == f.number);
    if !job.inputs.iter().all(|f| live(&levels[level], f))
        || !job.next_inputs.iter().all(|f| live(&levels[level + 1], f))
    {
        return Err("compaction input is not in the current version");
    }
    let (lo, hi) = job.key_range();
    let taken = |f: &FileMeta| job.next_inputs.iter().any(|g| g.number == f.number);
    if overlapping(&levels[level + 1], &lo, &hi)
        .iter()
        .any(|f| !taken(f))
    {
        return Err("compaction job leaves out an overlapping file of the level below");
    }
    if level == 0 {
        let newest_taken = job.inputs.iter().map(|f| f.number).max().unwrap_or(0);
        let left_older = levels[0].iter().any(|f| {
            f.number < newest_taken
                && f.overlaps(&lo, &hi)
                && !job.inputs.iter().any(|g| g.number == f.number)
        });
        if left_older {
            return Err("compaction job leaves an older overlapping L0 file above newer data");
        }
    }
    Ok(())
}

/// Step `level` of a manual compaction of `[start, end]` (`None` = unbounded): that
/// level's overlapping files into the next, or `None` when there is nothing to merge.
pub(crate) fn pick_manual(
    levels: &[Vec<FileMeta>],
    level: usize,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Option<CompactionJob> {
    let deepest = levels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
    // L0 always goes down (its files overlap); a deeper level only if a level below it
    // holds files to merge with.
    let worth_it = (level == 0 && !levels[0].is_empty()) || level < deepest;
    if !worth_it {
        return None;
    }
    let lo = start.unwrap_or(&[]);
    let hi_owned;
    let hi = match end {
        Some(h) => h,
        None => {
            hi_owned = levels[level]
                .iter()
                .map(|f| f.largest.clone())
                .max()
                .unwrap_or_default();
            &hi_owned
        }
    };
    pick_range(levels, level, lo, hi)
}

/// The last step of a manual compaction: the deepest level's files overlapping
/// `[start, end]` rewritten in place (RocksDB's bottommost level compaction "force"):
/// versions and tombstones a snapshot needed when they reached the bottom are garbage
/// once it is released, and nothing else would ever rewrite them.
pub(crate) fn pick_bottom_rewrite(
    levels: &[Vec<FileMeta>],
    start: Option<&[u8]>,
    end: Option<&[u8]>,
) -> Option<CompactionJob> {
    let deepest = levels.iter().rposition(|l| !l.is_empty()).unwrap_or(0);
    let bottom = &levels[deepest];
    let hi = match end {
        Some(h) => h.to_vec(),
        None => bottom
            .iter()
            .map(|f| f.largest.clone())
            .max()
            .unwrap_or_default(),
    };
    let files = overlapping(bottom, start.unwrap_or(&[]), &hi);
    (deepest > 0 && !files.is_empty()).then(|| CompactionJob {
        level: deepest - 1,
        inputs: Vec::new(),
        next_inputs: files,
    })
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

    fn pick(
        levels: &[Vec<FileMeta>],
        policy: &Leveled,
        cursors: &[Vec<u8>],
    ) -> Option<CompactionJob> {
        policy.pick(&LevelsView { levels, cursors })
    }

    fn policy() -> Leveled {
        Leveled {
            l0_trigger: 2,
            level_base_bytes: 100,
            level_ratio: 10,
            file_order: FileOrder::RoundRobin,
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

    fn least_overlapping_policy() -> Leveled {
        Leveled {
            file_order: FileOrder::MinOverlappingRatio,
            ..policy()
        }
    }

    #[test]
    fn min_overlapping_ratio_takes_the_file_that_rewrites_least_below() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        // Per byte of its own, file 1 overlaps 50/60, file 2 30/60 (file 6 touches its
        // first key, so it counts), file 3 40/40.
        levels[1] = vec![f(1, "a", "c", 60), f(2, "d", "f", 60), f(3, "g", "h", 40)];
        levels[2] = vec![
            f(5, "a", "b", 50),
            f(6, "c", "d", 10),
            f(7, "e", "e", 20),
            f(8, "g", "z", 40),
        ];
        let p = pick(&levels, &least_overlapping_policy(), &[]).unwrap();
        assert_eq!((p.level, p.inputs[0].number), (1, 2));
        assert_eq!(
            p.next_inputs.iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![6, 7]
        );
        // Round-robin from the start takes the first file regardless.
        let p = pick(&levels, &policy(), &[]).unwrap();
        assert_eq!(p.inputs[0].number, 1);
    }

    #[test]
    fn min_overlapping_ratio_prefers_a_move_and_breaks_ties_by_key() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        levels[1] = vec![f(1, "a", "b", 60), f(2, "c", "d", 60), f(3, "m", "n", 60)];
        levels[2] = vec![f(5, "a", "d", 10), f(6, "x", "z", 10)];
        // File 3 overlaps nothing below: a move, whatever the cursor says.
        let cursors = vec![Vec::new(), b"n".to_vec()];
        let p = pick(&levels, &least_overlapping_policy(), &cursors).unwrap();
        assert_eq!(p.inputs[0].number, 3);
        assert!(p.next_inputs.is_empty());
        // Files 1 and 2 overlap the same file, and the same bytes per byte: the first.
        levels[1].pop();
        let p = pick(&levels, &least_overlapping_policy(), &[]).unwrap();
        assert_eq!(p.inputs[0].number, 1);
        assert_eq!(p.next_inputs[0].number, 5);
    }

    #[test]
    fn level_limits_grow_by_ratio() {
        let p = policy();
        assert_eq!(p.level_limit_bytes(1), 100);
        assert_eq!(p.level_limit_bytes(3), 10_000);
    }

    #[test]
    fn leveled_and_manual_jobs_keep_the_contract() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        levels[0] = vec![f(6, "c", "f", 1), f(5, "a", "d", 1)];
        levels[1] = vec![f(1, "a", "b", 60), f(2, "e", "g", 60)];
        levels[2] = vec![f(3, "a", "a", 1), f(4, "d", "z", 1)];
        let p = pick(&levels, &policy(), &[]).unwrap();
        assert_eq!(check_job(&levels, &p), Ok(()));
        for level in 0..NUM_LEVELS - 1 {
            if let Some(j) = pick_manual(&levels, level, None, None) {
                assert_eq!(check_job(&levels, &j), Ok(()), "level {level}");
            }
        }
        let bottom = pick_bottom_rewrite(&levels, None, None).unwrap();
        assert_eq!((bottom.level, bottom.next_inputs.len()), (1, 2));
        assert_eq!(check_job(&levels, &bottom), Ok(()));
    }

    #[test]
    fn jobs_that_break_the_contract_are_refused() {
        let mut levels = vec![Vec::new(); NUM_LEVELS];
        levels[0] = vec![f(6, "c", "f", 1), f(5, "a", "d", 1)];
        levels[1] = vec![f(1, "a", "b", 1), f(2, "e", "g", 1)];
        let job = |level, inputs: Vec<FileMeta>, next_inputs| CompactionJob {
            level,
            inputs,
            next_inputs,
        };
        // Only the newer L0 file: the older overlapping one would end up above it.
        let newer_only = job(0, vec![levels[0][0].clone()], vec![levels[1][1].clone()]);
        assert!(check_job(&levels, &newer_only).is_err());
        // Leaves out L1's "e".."g", which overlaps the L0 input.
        let missing_next = job(0, levels[0].clone(), vec![levels[1][0].clone()]);
        assert!(check_job(&levels, &missing_next).is_err());
        // Not live, out of range, empty.
        assert!(check_job(&levels, &job(1, vec![f(9, "a", "b", 1)], vec![])).is_err());
        assert!(check_job(&levels, &job(NUM_LEVELS - 1, vec![], vec![])).is_err());
        assert!(check_job(&levels, &job(1, vec![], vec![])).is_err());
        // Just the older L0 file is fine: the newer one left behind stays above it.
        let older_only = job(0, vec![levels[0][1].clone()], vec![levels[1][0].clone()]);
        assert_eq!(check_job(&levels, &older_only), Ok(()));
    }
}
