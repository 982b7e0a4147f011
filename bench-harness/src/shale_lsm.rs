//! The one place that opens Shale's LSM engine, so `kv:shale` and `table:shale` agree on
//! its options.

use std::path::Path;
use std::sync::Arc;

use shale_engine::Backend;

use crate::target::{Durability, TargetError};

/// Opens the LSM engine in `dir` with `durability`.
///
/// # Errors
/// [`TargetError::NotImplemented`] while `shale_engine::lsm::Db` is not in this build.
pub fn open(dir: &Path, durability: Durability) -> Result<Arc<dyn Backend>, TargetError> {
    let _ = (dir, durability);
    Err(TargetError::NotImplemented {
        target: "kv:shale".to_string(),
        reason: "shale_engine::lsm::Db has not landed in this build",
    })
}
