//! [`Capability`]: what a backend can do beyond reads, writes and snapshots.

use std::fmt;

/// A capability beyond reads, writes and snapshots (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// [`crate::Backend::read_commit_log`]: committed batches in order from a sequence number.
    CommitLog,
    /// [`crate::Backend::checkpoint`], [`crate::Backend::open_checkpoint`] and
    /// [`crate::Backend::remove_checkpoint`]: a consistent copy named by a directory (on
    /// disk, or in memory for the in-memory backend), read back later, then deleted.
    Checkpoint,
    /// [`crate::Backend::view_at`]: a consistent read view of a past commit time.
    PastView,
    /// [`crate::Backend::set_history_retention`]: how long the commit log and past views reach back.
    HistoryRetention,
}

impl Capability {
    /// Every capability, for conformance suites and reports.
    pub const ALL: [Capability; 4] = [
        Capability::CommitLog,
        Capability::Checkpoint,
        Capability::PastView,
        Capability::HistoryRetention,
    ];
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Capability::CommitLog => "reading the commit log",
            Capability::Checkpoint => "checkpoints",
            Capability::PastView => "views of a past commit time",
            Capability::HistoryRetention => "history retention",
        })
    }
}
