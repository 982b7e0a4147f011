//! `kv:memory` and `kv:shale`: Shale's [`Backend`] trait as a [`KvStore`].

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use shale_engine::{Backend, Direction, MemBackend};

use super::{Durability, KvStore, TargetError};

/// A Shale backend (in-memory or the LSM engine) as a key-value store.
pub struct BackendKv {
    backend: Arc<dyn Backend>,
    note: String,
}

impl BackendKv {
    /// `kv:memory`: a fresh [`MemBackend`]. Nothing is durable; the durability flag is
    /// ignored, which makes it a ceiling rather than a peer.
    pub fn memory() -> Self {
        BackendKv {
            backend: Arc::new(MemBackend::new()),
            note: MEMORY_NOTE.to_string(),
        }
    }

    /// `kv:shale`: the LSM engine in `dir`.
    ///
    /// # Errors
    /// The engine's open failure.
    pub fn shale_lsm(dir: &Path, durability: Durability) -> Result<Self, TargetError> {
        Ok(BackendKv {
            backend: Self::open_shale_backend(dir, durability)?,
            note: Self::shale_note(durability),
        })
    }

    /// As [`BackendKv::shale_lsm`], from `opts`, with `note_suffix` after the usual note.
    ///
    /// # Errors
    /// The engine's open failure.
    pub fn shale_lsm_with(
        opts: shale_engine::lsm::DbOptions,
        durability: Durability,
        note_suffix: &str,
    ) -> Result<Self, TargetError> {
        Ok(BackendKv {
            backend: crate::shale_lsm::open_with(opts, durability)?,
            note: Self::shale_note(durability) + note_suffix,
        })
    }

    /// How Shale's engine is configured for `durability`, in words (see
    /// `crate::shale_lsm::note`).
    pub fn shale_note(durability: Durability) -> String {
        crate::shale_lsm::note(durability)
    }

    /// Opens Shale's LSM engine in `dir` as a `Backend` (shared with `table:shale`).
    ///
    /// # Errors
    /// The engine's open failure.
    pub fn open_shale_backend(
        dir: &Path,
        durability: Durability,
    ) -> Result<Arc<dyn Backend>, TargetError> {
        crate::shale_lsm::open(dir, durability)
    }
}

/// `backend`'s counters if it is an engine with background work (it counts flushes):
/// what `Target::engine_stats` reports; `None` for the in-memory backend.
pub fn lsm_stats(backend: &dyn Backend) -> Option<shale_engine::BackendStats> {
    Some(backend.stats()).filter(|s| s.figure("flushes").is_some())
}

/// The note of `kv:memory` and `table:memory`.
pub const MEMORY_NOTE: &str = "in memory, nothing durable (a ceiling, not a peer)";

impl KvStore for BackendKv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TargetError> {
        Ok(self.backend.get(key, None)?)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), TargetError> {
        self.backend.put(key, value)?;
        Ok(())
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<usize, TargetError> {
        let iter = self.backend.scan(
            Bound::Included(start.to_vec()),
            Bound::Unbounded,
            Direction::Forward,
            None,
        )?;
        let mut n = 0;
        for pair in iter.take(limit) {
            pair?;
            n += 1;
        }
        Ok(n)
    }

    fn durability_note(&self) -> String {
        self.note.clone()
    }

    /// `Backend::sync`: for the LSM engine, `Db::sync_wal` (an fdatasync of the WAL, which
    /// holds every acknowledged write not yet in a table file); a no-op in memory.
    fn make_durable(&self) -> Result<(), TargetError> {
        Ok(self.backend.sync()?)
    }
    fn engine_stats(&self) -> Option<shale_engine::BackendStats> {
        lsm_stats(self.backend.as_ref())
    }
}
