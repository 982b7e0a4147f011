//! ItemCount and TableSizeBytes, and per index ItemCount and IndexSizeBytes: counted by
//! a background scan, as DynamoDB does ("updated approximately every six hours").
//!
//! Why a recount and not counters on the write path: an exact counter must know whether
//! a write inserts or overwrites, which a blind PutItem does not (it skips reading the
//! item, the cheapest write there is); reading every item first would cost every write
//! for a figure DynamoDB itself reports as an estimate. A recount costs nothing on the
//! write path.
//!
//! How: the worker walks every table and index, [`STEP_ENTRIES`] entries per round, and
//! publishes a resource's figures when its walk finishes, so a figure is always a whole
//! count as of one walk. A pass starts at open and then every
//! `DatabaseOptions::table_stats_interval` (6 hours by default).
//! [`crate::Database::refresh_table_stats`] counts one table at once (tools, tests).
//! Sizes are DynamoDB's item sizes (`types::item_size_bytes` of each stored item or
//! index entry). Until a resource's first walk ends its figures are 0.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;

use shale_engine::Direction;

use crate::core::Core;
use crate::error::Error;
use crate::keys::{id_prefix, prefix_bounds};
use crate::stored::decode_stored;
use crate::types::item_size_bytes;

/// Entries one worker round examines.
pub(crate) const STEP_ENTRIES: usize = 4096;

/// One table's or index's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counted {
    /// Items (entries, for an index).
    pub(crate) items: i64,
    /// Their sizes by DynamoDB's rules.
    pub(crate) bytes: i64,
}

/// The published figures and the walk in progress, guarded by `Core::table_stats`.
#[derive(Debug, Default)]
pub(crate) struct TableStats {
    /// Figures by table or index id.
    published: BTreeMap<u32, Counted>,
    /// Ids still to walk in this pass.
    queue: VecDeque<u32>,
    /// The walk in progress: its id, the last key counted, the partial count, and the
    /// table's growth when the walk began (`Admission::growth_of`).
    walking: Option<(u32, Option<Vec<u8>>, Counted, i64)>,
}

impl TableStats {
    /// The figures of `id` (zero before its first count).
    pub(crate) fn of(&self, id: u32) -> Counted {
        self.published.get(&id).copied().unwrap_or_default()
    }

    /// Whether a pass is in progress.
    pub(crate) fn walking(&self) -> bool {
        self.walking.is_some() || !self.queue.is_empty()
    }
}

/// Starts a pass over every table and index of the catalog (a pass in progress
/// restarts).
pub(crate) fn start_pass(core: &Core) {
    let ids: VecDeque<u32> = core
        .catalog
        .read()
        .tables
        .values()
        .flat_map(|d| d.all_ids())
        .collect();
    let mut st = core.table_stats.lock();
    st.queue = ids;
    st.walking = None;
    // Forget what a dropped table had.
    let live: std::collections::BTreeSet<u32> = st.queue.iter().copied().collect();
    st.published.retain(|id, _| live.contains(id));
}

/// Puts `ids` first in the pass's queue (a pass starts if none runs), unless one is
/// queued or being walked already: capacity asks for a table whose size may have
/// outgrown its partitions (`Core::split_partitions`).
pub(crate) fn queue_first(core: &Core, ids: &[u32]) {
    let mut st = core.table_stats.lock();
    for &id in ids.iter().rev() {
        let walking = st.walking.as_ref().is_some_and(|(w, _, _, _)| *w == id);
        if !walking && !st.queue.contains(&id) {
            st.queue.push_front(id);
        }
    }
    drop(st);
    core.signal.notify();
}

/// One bounded step of the pass; `false` when the pass is done.
///
/// # Errors
/// Storage failure, a corrupt stored item.
pub(crate) fn step(core: &Core) -> Result<bool, Error> {
    let (id, after, counted, growth) = {
        let mut st = core.table_stats.lock();
        match st.walking.take() {
            Some(w) => w,
            None => match st.queue.pop_front() {
                // Growth is taken as the walk begins: a write behind the walk's cursor
                // is then in the growth since, if not in the count.
                Some(id) => (id, None, Counted::default(), core.admission.growth_of(id)),
                None => return Ok(false),
            },
        }
    };
    let (counted, last, done) = count_from(core, id, after, counted, STEP_ENTRIES)?;
    if done {
        core.admission
            .note_size(id, counted.bytes.max(0) as u64, growth);
    }
    let mut st = core.table_stats.lock();
    if done {
        st.published.insert(id, counted);
    } else {
        st.walking = Some((id, last, counted, growth));
    }
    Ok(true)
}

/// Counts `ids` to the end now and publishes them.
///
/// # Errors
/// As [`step`].
pub(crate) fn count_now(core: &Core, ids: &[u32]) -> Result<(), Error> {
    for &id in ids {
        let growth = core.admission.growth_of(id);
        let (counted, _, _) = count_from(core, id, None, Counted::default(), usize::MAX)?;
        core.admission
            .note_size(id, counted.bytes.max(0) as u64, growth);
        core.table_stats.lock().published.insert(id, counted);
    }
    Ok(())
}

/// Adds to `counted` up to `limit` entries of `id` after `after`; returns the count, the
/// last key counted, and whether the walk reached the end.
fn count_from(
    core: &Core,
    id: u32,
    after: Option<Vec<u8>>,
    mut counted: Counted,
    limit: usize,
) -> Result<(Counted, Option<Vec<u8>>, bool), Error> {
    let (start, end) = prefix_bounds(&id_prefix(id));
    let start = match after {
        Some(k) => Bound::Excluded(k),
        None => start,
    };
    let mut last = None;
    for (seen, kv) in core
        .backend
        .scan(start, end, Direction::Forward, None)?
        .enumerate()
    {
        if seen >= limit {
            return Ok((counted, last, false));
        }
        let (k, v) = kv?;
        counted.items += 1;
        counted.bytes +=
            i64::try_from(item_size_bytes(&decode_stored(&k, &v)?)).unwrap_or(i64::MAX);
        last = Some(k);
    }
    Ok((counted, last, true))
}
