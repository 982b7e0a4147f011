//! The one place that opens Shale's LSM engine, so `kv:shale` and `table:shale` agree on
//! its options: engine defaults, with the WAL durability mapped from `--durability`.

use std::path::Path;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions, Durability as WalDurability};
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

/// Opens the LSM engine in `dir` with `durability`.
///
/// # Errors
/// The engine's open failure.
pub fn open(dir: &Path, durability: Durability) -> Result<Arc<dyn Backend>, TargetError> {
    let mut opts = DbOptions::new(dir);
    opts.durability = wal_durability(durability);
    Ok(Arc::new(Db::open(opts)?))
}
