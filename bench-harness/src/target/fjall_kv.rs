//! `kv:fjall`: fjall 3, one keyspace.
//!
//! Durability: `sync` calls `Database::persist(PersistMode::SyncData)` after every write
//! (fdatasync of the journal, the same sync Shale's WAL does); `buffered` calls
//! `persist(PersistMode::Buffer)`, which moves the journal's user-space buffer into the OS
//! page cache, the same guarantee as Shale's WAL `Durability::None` that `buffered` maps to
//! (survives a process crash, not power loss).

use std::path::Path;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, PersistMode};

use super::{Durability, KvStore, TargetError};

/// Block cache, as Shale's default.
const FJALL_CACHE_BYTES: u64 = 64 << 20;

/// fjall as a [`KvStore`].
pub struct FjallKv {
    db: Database,
    keyspace: Keyspace,
    persist: PersistMode,
}

impl FjallKv {
    /// Opens (or creates) a database in `dir`.
    ///
    /// # Errors
    /// fjall's open failure.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self, TargetError> {
        // The same block cache as Shale's default (fjall's own default is 32 MiB).
        let db = Database::builder(dir)
            .cache_size(FJALL_CACHE_BYTES)
            .open()?;
        let keyspace = db.keyspace("ycsb", KeyspaceCreateOptions::default)?;
        let persist = match durability {
            // fdatasync, as Shale's WAL does: equal durability (the data and the size).
            Durability::Sync => PersistMode::SyncData,
            Durability::Buffered => PersistMode::Buffer,
        };
        Ok(FjallKv {
            db,
            keyspace,
            persist,
        })
    }
}

impl KvStore for FjallKv {
    /// `persist(PersistMode::SyncAll)`: fsyncs the journal, which holds every write.
    fn make_durable(&self) -> Result<(), TargetError> {
        Ok(self.db.persist(PersistMode::SyncAll)?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TargetError> {
        Ok(self.keyspace.get(key)?.map(|v| v.to_vec()))
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), TargetError> {
        self.keyspace.insert(key, value)?;
        self.db.persist(self.persist)?;
        Ok(())
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<usize, TargetError> {
        let mut n = 0;
        for guard in self.keyspace.range(start..).take(limit) {
            guard.into_inner()?;
            n += 1;
        }
        Ok(n)
    }

    fn durability_note(&self) -> String {
        let means = match self.persist {
            PersistMode::SyncAll => "journal fsync (data and metadata) before the ack",
            PersistMode::SyncData => "journal fdatasync before the ack",
            PersistMode::Buffer => {
                "journal buffer handed to the OS page cache before the ack: survives a \
                 process crash, not power loss"
            }
        };
        format!(
            "fjall (64 MiB block cache) persist(PersistMode::{:?}) after every write: {means}",
            self.persist
        )
    }
}
