//! The in-memory state of running restores, held by [`crate::core::Core`]. A leaf module:
//! the restore logic (`crate::restore`) works on it through `Core`.

use std::collections::BTreeMap;

use shale_engine::ReadView;

use crate::backup_records::RestoreRecord;

/// One running restore. It stays registered from start to finish (so DeleteBackup and
/// DescribeTable see it); its progress is taken out while a step runs.
#[derive(Debug)]
pub(crate) struct RestoreJob {
    /// Its durable record (removed when it finishes).
    pub(crate) record: RestoreRecord,
    /// `None` while a step holds it.
    pub(crate) progress: Option<Progress>,
    /// Found at open: an earlier run may have copied part of it, so every copied item is
    /// read first (a fresh restore writes into an empty table and skips that read).
    pub(crate) resumed: bool,
}

/// How far a restore has come.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// The source, opened at the first step (a past view or a checkpoint).
    pub(crate) view: Option<Box<dyn ReadView>>,
    /// The last source key copied; the next step resumes after it.
    pub(crate) cursor: Option<Vec<u8>>,
    /// Items copied so far.
    pub(crate) items: u64,
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
