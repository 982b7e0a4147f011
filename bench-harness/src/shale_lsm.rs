//! The one place that opens Shale's LSM engine, so `kv:shale` and `table:shale` agree on
//! its options: engine defaults, with the WAL durability mapped from `--durability`.

use std::path::Path;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions, Durability as WalDurability, RateLimit};
use shale_engine::Backend;

use crate::target::{Durability, TargetError};

/// The WAL mode for a harness durability. `Buffered` maps to the WAL's `None` mode
/// (written to the OS on every commit, never fsynced on the write path), which is what
/// fjall's `PersistMode::Buffer` and redb's `Durability::None` give; the WAL's own
/// `Buffered { interval }` adds a background fsync the peers do not do.
pub fn wal_durability(durability: Durability) -> WalDurability {
    match durability {
        Durability::Sync => WalDurability::Sync,
        Durability::Buffered => WalDurability::None,
    }
}

/// What the engine is configured with for `durability`, in words, for reports. Built from
/// [`wal_durability`] so the note cannot drift from what [`open`] sets.
pub fn note(durability: Durability) -> String {
    let wal = wal_durability(durability);
    let means = match wal {
        WalDurability::Sync => {
            "fdatasync before each commit is acknowledged; concurrent commits share one \
             (group commit)"
                .to_string()
        }
        WalDurability::None => "each commit is written to the OS page cache before the ack and \
                                never fdatasynced on the write path (only at a segment roll, \
                                an explicit sync and close): survives a process crash, not \
                                power loss"
            .to_string(),
        WalDurability::Buffered { interval } => format!(
            "each commit is written to the OS page cache before the ack; a background \
             fdatasync runs every {interval:?}"
        ),
    };
    format!("shale WAL Durability::{wal:?}: {means}")
}

/// The compaction rate limit of `table:shale+paced`: auto-tuned, as RocksDB's, up to
/// 256 MiB/s (so between 12.8 and 256 MiB/s). The development VM's disk writes 1.8 GB/s
/// sequentially (`dd ... conv=fdatasync`), but what pacing is for is the foreground's
/// fdatasync and CPU, and compaction here keeps up with the YCSB loads at tens of MB/s.
pub const PACED: RateLimit = RateLimit {
    max_bytes_per_sec: 256 << 20,
    auto_tuned: true,
};

/// Opens the LSM engine in `dir` with `durability`.
///
/// # Errors
/// The engine's open failure.
pub fn open(dir: &Path, durability: Durability) -> Result<Arc<dyn Backend>, TargetError> {
    open_with(DbOptions::new(dir), durability)
}

/// As [`open`], from `opts` (e.g. with another log-data tail size).
///
/// # Errors
/// The engine's open failure.
pub fn open_with(
    mut opts: DbOptions,
    durability: Durability,
) -> Result<Arc<dyn Backend>, TargetError> {
    opts.durability = wal_durability(durability);
    Ok(Arc::new(Db::open(opts)?))
}
