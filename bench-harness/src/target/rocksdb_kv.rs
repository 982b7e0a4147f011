//! `kv:rocksdb` (feature `rocksdb`): RocksDB through the `rocksdb` crate.
//!
//! Durability: `sync` writes with `WriteOptions::set_sync(true)` (WAL fsync per write);
//! `buffered` with the WAL on and no sync (OS page cache), RocksDB's default.
//! Not built in CI: RocksDB takes 15-20 minutes to compile on 2 cores (18.5 measured) and
//! needs `apt-get install libclang-dev clang`.

use std::path::Path;

use rocksdb::{BlockBasedOptions, Cache, Direction, IteratorMode, Options, WriteOptions, DB};

use super::{Durability, KvStore, TargetError};

/// Block cache, as Shale's default.
const ROCKSDB_CACHE_BYTES: usize = 64 << 20;

/// RocksDB as a [`KvStore`].
pub struct RocksKv {
    db: DB,
    sync: bool,
    mmap: bool,
}

impl RocksKv {
    /// Opens (or creates) a database in `dir`; `mmap` reads and writes its files
    /// through memory maps (`allow_mmap_reads`, `allow_mmap_writes`).
    ///
    /// # Errors
    /// RocksDB's open failure.
    pub fn open(dir: &Path, durability: Durability, mmap: bool) -> Result<Self, TargetError> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_allow_mmap_reads(mmap);
        opts.set_allow_mmap_writes(mmap);
        // Shale's read-side defaults, so the comparison is of engines, not of cache sizes:
        // a 64 MiB block cache and 10-bit bloom filters (RocksDB's own default has no
        // filter and an 8 MiB cache). Everything else is RocksDB's default.
        let mut table = BlockBasedOptions::default();
        table.set_bloom_filter(10.0, false);
        table.set_block_cache(&Cache::new_lru_cache(ROCKSDB_CACHE_BYTES));
        opts.set_block_based_table_factory(&table);
        let db = DB::open(&opts, dir)?;
        Ok(RocksKv {
            db,
            sync: durability == Durability::Sync,
            mmap,
        })
    }
}

impl KvStore for RocksKv {
    /// `flush_wal(true)`: writes out RocksDB's WAL buffer and syncs the WAL.
    fn make_durable(&self) -> Result<(), TargetError> {
        Ok(self.db.flush_wal(true)?)
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TargetError> {
        Ok(self.db.get(key)?)
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), TargetError> {
        let mut wo = WriteOptions::default();
        wo.set_sync(self.sync);
        Ok(self.db.put_opt(key, value, &wo)?)
    }

    fn scan(&self, start: &[u8], limit: usize) -> Result<usize, TargetError> {
        let mut n = 0;
        for pair in self
            .db
            .iterator(IteratorMode::From(start, Direction::Forward))
            .take(limit)
        {
            pair?;
            n += 1;
        }
        Ok(n)
    }

    fn durability_note(&self) -> String {
        let means = if self.sync {
            "WAL fsync before the ack"
        } else {
            "WAL written to the OS page cache before the ack (RocksDB's default): survives a \
             process crash, not power loss"
        };
        let maps = if self.mmap {
            ", allow_mmap_reads and allow_mmap_writes"
        } else {
            ""
        };
        format!(
            "rocksdb (defaults + 64 MiB block cache, 10-bit bloom{maps}) WriteOptions::set_sync({}) per write: {means}",
            self.sync
        )
    }
}
