//! The in-memory state of running restores, held by [`crate::core::Core`]. A leaf module:
//! the restore logic (`crate::restore`) works on it through `Core`.

use std::collections::BTreeMap;

use shale_engine::ReadView;

use crate::backup_records::RestoreRecord;
use crate::restore_plan::Method;

/// One running restore. It stays registered from start to finish (so DeleteBackup and
/// DescribeTable see it); its progress is taken out while a step runs.
#[derive(Debug)]
pub(crate) struct RestoreJob {
    /// Its durable record (removed when it finishes).
    pub(crate) record: RestoreRecord,
    /// `None` while a step holds it.
    pub(crate) progress: Option<Progress>,
    /// Found at open, or a step failed: an earlier step may have copied part of it, so a
    /// rebuild reads every item it copies first (a fresh one writes into an empty table
    /// and skips that read). A replay needs no such read (`crate::restore_plan`).
    pub(crate) resumed: bool,
}

/// How far a restore has come.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// The source, opened at the first step (a past view or a checkpoint).
    pub(crate) view: Option<Box<dyn ReadView>>,
    /// How this run fills the target, chosen at its first step.
    pub(crate) method: Option<Method>,
    /// Where the next step resumes.
    pub(crate) cursor: Cursor,
    /// Items copied so far.
    pub(crate) items: u64,
}

/// Where a restore is: for a replay, the range of its loads it is in (past the last:
/// requeueing the GSI records); and the last source key copied, loaded or requeued there
/// (a rebuild has one range, the items).
#[derive(Debug, Default)]
pub(crate) struct Cursor {
    pub(crate) range: usize,
    pub(crate) key: Option<Vec<u8>>,
}

impl RestoreJob {
    /// A job that has not started; `resumed` when an earlier run left it.
    pub(crate) fn new(record: RestoreRecord, resumed: bool) -> Self {
        RestoreJob {
            record,
            progress: Some(Progress::default()),
            resumed,
        }
    }
}

/// Every running restore, by target table.
#[derive(Debug, Default)]
pub(crate) struct Restores {
    pub(crate) jobs: BTreeMap<String, RestoreJob>,
}
