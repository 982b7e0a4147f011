//! `kv:redb`: redb 4, one table, one write transaction per operation.
//!
//! Durability: `sync` commits with `Durability::Immediate` (durable when `commit`
//! returns). redb 4 has no OS-page-cache mode, so `buffered` uses its only other level,
//! `Durability::None`, which is *weaker* than the other engines' buffered mode: redb's docs
//! say such a commit "will not be persisted to disk unless followed by a commit with
//! `Durability::Immediate`", and it lives only in the process's memory (redb refuses it in
//! multi-process mode for that reason). A crash, even of the process alone, rolls the
//! database back to the last durable commit; a clean close or a later `Immediate` commit
//! makes the non-durable ones durable. redb's buffered figures therefore flatter it a
//! little against fjall's and Shale's, which do survive a process crash.

use std::path::Path;

use redb::{Database, ReadableDatabase, TableDefinition};

use super::{Durability, KvStore, TargetError};

const TABLE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("ycsb");

/// redb as a [`KvStore`].
pub struct RedbKv {
    db: Database,
    durability: redb::Durability,
}

impl RedbKv {
    /// Creates a database file `dir/redb.db`.
    ///
    /// # Errors
    /// redb's open failure.
    pub fn open(dir: &Path, durability: Durability) -> Result<Self, TargetError> {
        let db = Database::create(dir.join("redb.db")).map_err(redb::Error::from)?;
        let durability = match durability {
            Durability::Sync => redb::Durability::Immediate,
            Durability::Buffered => redb::Durability::None,
        };
        let kv = RedbKv { db, durability };
        // Create the table so readers never race its creation.
        kv.write(|_| Ok(()))?;
        Ok(kv)
    }

    fn write(
        &self,
        f: impl FnOnce(&mut redb::Table<'_, &[u8], &[u8]>) -> Result<(), redb::Error>,
    ) -> Result<(), TargetError> {
        self.write_with(self.durability, f)
    }

    fn write_with(
        &self,
        durability: redb::Durability,
        f: impl FnOnce(&mut redb::Table<'_, &[u8], &[u8]>) -> Result<(), redb::Error>,
    ) -> Result<(), TargetError> {
        let inner = || -> Result<(), redb::Error> {
            let mut txn = self.db.begin_write()?;
            txn.set_durability(durability)?;
            {
                let mut table = txn.open_table(TABLE)?;
                f(&mut table)?;
            }
            txn.commit()?;
            Ok(())
        };
        Ok(inner()?)
    }
}

impl KvStore for RedbKv {
    /// An empty write transaction committed with `Durability::Immediate`: redb persists
    /// every earlier `Durability::None` commit with the next durable one.
    fn make_durable(&self) -> Result<(), TargetError> {
        self.write_with(redb::Durability::Immediate, |_| Ok(()))
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TargetError> {
        let inner = || -> Result<Option<Vec<u8>>, redb::Error> {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(TABLE)?;
            Ok(table.get(key)?.map(|v| v.value().to_vec()))
        };
        Ok(inner()?)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), TargetError> {
        self.write(|t| {
            t.insert(key, value)?;
            Ok(())
        })
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<usize, TargetError> {
        let inner = || -> Result<usize, redb::Error> {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(TABLE)?;
            let mut n = 0;
            for pair in table.range(start..)?.take(limit) {
                let (_k, v) = pair?;
                std::hint::black_box(v.value().len());
                n += 1;
            }
            Ok(n)
        };
        Ok(inner()?)
    }

    fn durability_note(&self) -> String {
        let means = match self.durability {
            redb::Durability::Immediate => "durable on disk when the commit returns",
            redb::Durability::None => {
                "kept in redb's memory until a later durable commit or close: any crash, even \
                 of the process alone, rolls back to the last durable commit (weaker than the \
                 OS page cache; redb has no such mode)"
            }
            // `redb::Durability` is non-exhaustive; `open` sets only the two above.
            _ => "a redb durability level this harness does not set",
        };
        format!(
            "redb one write transaction per op, Durability::{:?}: {means}",
            self.durability
        )
    }
}
