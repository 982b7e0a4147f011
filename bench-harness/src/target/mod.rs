//! Benchmark targets: every store the harness can drive, behind one [`Target`] trait.
//!
//! A target stores YCSB records (a key and [`FIELD_COUNT`] fields). Key-value stores get a
//! record as one encoded value ([`record`]) through the [`KvStore`] seam and the generic
//! [`KvTarget`]; the table layer and HTTP endpoints store real items with one attribute per
//! field. Specs on the command line:
//!
//! | spec | what |
//! |---|---|
//! | `kv:memory` | `shale_engine::MemBackend` (an in-memory ceiling; durability ignored) |
//! | `kv:shale` | Shale's LSM engine (`shale_engine::lsm::Db`) through the `Backend` trait |
//! | `kv:fjall` | fjall 3 (one keyspace) |
//! | `kv:redb` | redb 4 (one table) |
//! | `kv:rocksdb` | RocksDB, only with `--features rocksdb` |
//! | `table:shale` | Shale's DynamoDB table layer on the LSM engine (embedded API) |
//! | `table:memory` | the table layer on `MemBackend` |
//! | `http:URL` | any DynamoDB-compatible endpoint over its JSON API |

pub mod backend_kv;
pub mod fjall_kv;
pub mod http;
pub mod record;
pub mod redb_kv;
pub mod requests;
#[cfg(feature = "rocksdb")]
pub mod rocksdb_kv;
pub mod table;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::Serialize;

pub use backend_kv::BackendKv;
pub use record::{FIELD_COUNT, FIELD_LENGTH};

/// How durable a write is when the target acknowledges it, normalised across engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Durable on disk before the ack (each engine's fsync/fdatasync-per-commit mode).
    Sync,
    /// Handed to the OS page cache before the ack; survives a process crash, not power loss.
    /// redb has no such mode: its nearest, `Durability::None`, keeps commits in process
    /// memory until a durable commit, so a process crash loses them (see `redb_kv`).
    Buffered,
}

impl Durability {
    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::Sync => "sync",
            Durability::Buffered => "buffered",
        }
    }
}

impl FromStr for Durability {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sync" => Ok(Durability::Sync),
            "buffered" => Ok(Durability::Buffered),
            _ => Err(TargetError::UnknownDurability {
                value: s.to_string(),
            }),
        }
    }
}

/// Something went wrong talking to a target.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The spec names no known target.
    #[error(
        "unknown target {spec:?}; expected one of {}, or http:URL",
        known_targets()
    )]
    UnknownTarget {
        /// What was given.
        spec: String,
    },
    /// `--durability` was neither `sync` nor `buffered`.
    #[error("unknown durability {value:?}; expected sync or buffered")]
    UnknownDurability {
        /// What was given.
        value: String,
    },
    /// The target exists but is not available in this build or yet.
    #[error("target {target} is not implemented in this build: {reason}")]
    NotImplemented {
        /// The target spec.
        target: String,
        /// Why.
        reason: &'static str,
    },
    /// A read found no record for a key that was loaded.
    #[error("record {key} not found")]
    NotFound {
        /// The YCSB key.
        key: String,
    },
    /// A stored record did not decode.
    #[error("record {key} is corrupt: {reason}")]
    CorruptRecord {
        /// The YCSB key.
        key: String,
        /// What check failed.
        reason: &'static str,
    },
    /// The target rejected the request for capacity (DynamoDB's
    /// ProvisionedThroughputExceededException or ThrottlingException).
    #[error("throttled: {exception}")]
    Throttled {
        /// The exception name.
        exception: String,
    },
    /// Shale's storage layer failed.
    #[error("shale storage: {0}")]
    Storage(#[from] shale_engine::StorageError),
    /// Shale's table layer returned an error.
    #[error("shale table layer: {exception}: {message}")]
    Table {
        /// The DynamoDB exception name.
        exception: &'static str,
        /// Its message.
        message: String,
    },
    /// fjall failed.
    #[error("fjall: {0}")]
    Fjall(#[from] fjall::Error),
    /// redb failed.
    #[error("redb: {0}")]
    Redb(#[from] redb::Error),
    /// RocksDB failed.
    #[cfg(feature = "rocksdb")]
    #[error("rocksdb: {0}")]
    Rocksdb(#[from] rocksdb::Error),
    /// The HTTP endpoint answered with an error.
    #[error("http {status}: {exception}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// DynamoDB exception name from `__type` (empty if absent).
        exception: String,
        /// The message from the body.
        message: String,
    },
    /// A request struct could not be serialised (never expected: the shapes hold only
    /// strings, numbers and maps with string keys).
    #[error("cannot encode the {operation} request: {reason}")]
    EncodeRequest {
        /// The DynamoDB operation.
        operation: &'static str,
        /// serde_json's message.
        reason: String,
    },
    /// The HTTP request failed below HTTP (connect, reset, timeout).
    #[error("http transport to {url}: {reason}")]
    Transport {
        /// The endpoint.
        url: String,
        /// The transport error.
        reason: String,
    },
    /// A response body did not have the expected shape.
    #[error("unexpected response from {url}: {reason}")]
    BadResponse {
        /// The endpoint.
        url: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// A local file or directory operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// `stream-lag`: fewer stream records arrived (or were read back) than were written.
    #[error("stream {what}: {got} of {expected} records")]
    StreamIncomplete {
        /// Which phase ("delivered", "read by GetRecords").
        what: &'static str,
        /// Records that arrived.
        got: u64,
        /// Records written.
        expected: u64,
    },
    /// `stream-lag`: the consumer thread panicked.
    #[error("the stream consumer thread panicked")]
    ConsumerPanicked,
}

impl TargetError {
    /// Whether this is a throttle (counted apart from errors, as YCSB's DynamoDB binding
    /// and the AWS SDKs treat it as back-pressure rather than failure).
    pub fn is_throttle(&self) -> bool {
        matches!(self, TargetError::Throttled { .. })
    }
}

/// A YCSB database binding: the five operations CoreWorkload issues.
///
/// Thread safety: shared by all worker threads (`&self`).
pub trait Target: Send + Sync {
    /// Inserts (or overwrites) the record `key` with `fields` ([`FIELD_COUNT`] values).
    ///
    /// # Errors
    /// The target's failure.
    fn insert(&self, key: &str, fields: &[Vec<u8>]) -> Result<(), TargetError>;

    /// Reads every field of `key`.
    ///
    /// # Errors
    /// [`TargetError::NotFound`] if absent, or the target's failure.
    fn read(&self, key: &str) -> Result<(), TargetError>;

    /// Sets one field of `key` (YCSB's `writeallfields=false`).
    ///
    /// # Errors
    /// The target's failure.
    fn update(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError>;

    /// Reads up to `count` records starting at `start` in the target's key order; returns
    /// how many it read.
    ///
    /// # Errors
    /// The target's failure.
    fn scan(&self, start: &str, count: usize) -> Result<usize, TargetError>;

    /// A line describing how the target maps `--durability` (printed in reports).
    fn durability_note(&self) -> String;

    /// Makes every acknowledged write durable on disk, whatever mode the target was opened
    /// in: what a load in `buffered` mode needs before a `sync` run, so that every record
    /// the run reads is as durable as the run's own writes. Called between the phases,
    /// never on the measured path.
    ///
    /// # Errors
    /// The engine's sync failure.
    fn make_durable(&self) -> Result<(), TargetError>;

    /// The storage engine's counters (flushes, compactions, write amplification, stalls),
    /// for a target on one of Shale's backends; `None` for the others.
    fn engine_stats(&self) -> Option<shale_engine::BackendStats> {
        None
    }
}

/// A plain ordered key-value store: the seam the `kv:*` targets implement.
///
/// Thread safety: shared by all worker threads (`&self`).
pub trait KvStore: Send + Sync {
    /// Reads `key`.
    ///
    /// # Errors
    /// The engine's failure.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TargetError>;

    /// Writes `key`, durable per the store's [`Durability`] when it returns.
    ///
    /// # Errors
    /// The engine's failure.
    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), TargetError>;

    /// Reads up to `limit` pairs from `start` (inclusive) in key order; returns how many.
    ///
    /// # Errors
    /// The engine's failure.
    fn scan(&self, start: &[u8], limit: usize) -> Result<usize, TargetError>;

    /// How `Durability` maps onto this engine's settings.
    fn durability_note(&self) -> String;

    /// Makes every acknowledged write durable ([`Target::make_durable`]).
    ///
    /// # Errors
    /// The engine's sync failure.
    fn make_durable(&self) -> Result<(), TargetError>;

    /// As [`Target::engine_stats`].
    fn engine_stats(&self) -> Option<shale_engine::BackendStats> {
        None
    }
}

/// YCSB over a [`KvStore`]: a record is one value ([`record::encode`]); an update is a
/// read-modify-write of the whole value, as YCSB's RocksDB binding does.
pub struct KvTarget<S> {
    store: S,
}

impl<S: KvStore> KvTarget<S> {
    /// Wraps `store`.
    pub fn new(store: S) -> Self {
        KvTarget { store }
    }

    /// The store underneath (for the `kv` micro benchmark).
    pub fn store(&self) -> &S {
        &self.store
    }
}

impl<S: KvStore> Target for KvTarget<S> {
    fn insert(&self, key: &str, fields: &[Vec<u8>]) -> Result<(), TargetError> {
        self.store.put(key.as_bytes(), &record::encode(fields))
    }

    fn read(&self, key: &str) -> Result<(), TargetError> {
        let value = self
            .store
            .get(key.as_bytes())?
            .ok_or_else(|| TargetError::NotFound {
                key: key.to_string(),
            })?;
        record::decode(key, &value).map(|_| ())
    }

    fn update(&self, key: &str, field: usize, value: &[u8]) -> Result<(), TargetError> {
        let old = self
            .store
            .get(key.as_bytes())?
            .ok_or_else(|| TargetError::NotFound {
                key: key.to_string(),
            })?;
        let mut fields = record::decode(key, &old)?;
        let slot = fields
            .get_mut(field)
            .ok_or_else(|| TargetError::CorruptRecord {
                key: key.to_string(),
                reason: "field index beyond the record",
            })?;
        *slot = value.to_vec();
        self.store.put(key.as_bytes(), &record::encode(&fields))
    }

    fn scan(&self, start: &str, count: usize) -> Result<usize, TargetError> {
        self.store.scan(start.as_bytes(), count)
    }

    fn durability_note(&self) -> String {
        self.store.durability_note()
    }

    fn make_durable(&self) -> Result<(), TargetError> {
        self.store.make_durable()
    }
    fn engine_stats(&self) -> Option<shale_engine::BackendStats> {
        self.store.engine_stats()
    }
}

/// A parsed `--targets` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// `kv:memory`
    KvMemory,
    /// `kv:shale`
    KvShale,
    /// `kv:shale+pread`: `kv:shale` without its memory maps: SSTables read with a `pread`
    /// per block (`shale_io::StdFs`) and the WAL appended with `pwrite`, the engine's
    /// defaults before maps were guarded against SIGBUS, to measure what the maps do.
    KvShalePread,
    /// `kv:shale+mmapwal`: `kv:shale+pread` with the WAL appended through a memory map
    /// (`DbOptions::wal_mmap_appends`), to measure what a `pwrite` per write costs.
    KvShaleMmapWal,
    /// `kv:shale+zeroedwal`: `kv:shale+pread` with zero-filled WAL segments
    /// (`DbOptions::wal_preallocation`), as `kv:shale+mmapwal` has, but appended with
    /// `pwrite`: the control that tells the map's share from the preallocation's.
    KvShaleZeroedWal,
    /// `kv:shale+blockcache`: `kv:shale` with the reads of its mapped SSTables, point
    /// reads and scans, through the block cache (`DbOptions::cache_mapped_reads`), as
    /// before the thirteenth session, to measure what skipping the cache does. (Its
    /// scans still read no windows ahead: a mapped table never does.)
    KvShaleBlockCache,
    /// `kv:shale+mmap`: the same engine as `kv:shale` (SSTables read through memory maps,
    /// the WAL appended through one), under the name earlier reports used when maps were
    /// not the default: the counterpart of `kv:rocksdb+mmap`.
    KvShaleMmap,
    /// `kv:fjall`
    KvFjall,
    /// `kv:redb`
    KvRedb,
    /// `kv:rocksdb`
    KvRocksdb,
    /// `kv:rocksdb+mmap`: `kv:rocksdb` with `allow_mmap_reads` and `allow_mmap_writes`,
    /// the counterpart of `kv:shale+mmap`.
    KvRocksdbMmap,
    /// `table:shale`
    TableShale,
    /// `table:shale+pitr`: `table:shale` with point-in-time recovery on (the WAL is
    /// archived and restore bases are taken), to measure what PITR costs writes.
    TableShalePitr,
    /// `table:shale+stream`: `table:shale` with a NEW_AND_OLD_IMAGES stream on (every
    /// write reads its old item and logs a change record), to measure what a stream
    /// costs writes.
    TableShaleStream,
    /// `table:shale+paced`: `table:shale` with background flushes and compactions paced
    /// by the engine's auto-tuned rate limiter (`shale_lsm::PACED`), to measure what pacing
    /// does to foreground tails and throughput.
    TableShalePaced,
    /// `table:memory`
    TableMemory,
    /// `http:URL`
    Http(String),
}

impl TargetSpec {
    /// The target's fixed name (`None` for `http:URL`, which carries its address).
    fn name(&self) -> Option<&'static str> {
        Some(match self {
            TargetSpec::KvMemory => "kv:memory",
            TargetSpec::KvShale => "kv:shale",
            TargetSpec::KvShalePread => "kv:shale+pread",
            TargetSpec::KvShaleMmapWal => "kv:shale+mmapwal",
            TargetSpec::KvShaleZeroedWal => "kv:shale+zeroedwal",
            TargetSpec::KvShaleBlockCache => "kv:shale+blockcache",
            TargetSpec::KvShaleMmap => "kv:shale+mmap",
            TargetSpec::KvFjall => "kv:fjall",
            TargetSpec::KvRedb => "kv:redb",
            TargetSpec::KvRocksdb => "kv:rocksdb",
            TargetSpec::KvRocksdbMmap => "kv:rocksdb+mmap",
            TargetSpec::TableShale => "table:shale",
            TargetSpec::TableShalePitr => "table:shale+pitr",
            TargetSpec::TableShaleStream => "table:shale+stream",
            TargetSpec::TableShalePaced => "table:shale+paced",
            TargetSpec::TableMemory => "table:memory",
            TargetSpec::Http(_) => return None,
        })
    }

    /// Whether the target keeps its data in files that survive closing it, so it can be
    /// reopened with another durability (every local on-disk engine). The in-memory
    /// targets would lose their data, and an HTTP endpoint's durability is the server's.
    pub fn reopenable(&self) -> bool {
        match self {
            TargetSpec::KvShale
            | TargetSpec::KvShalePread
            | TargetSpec::KvShaleMmapWal
            | TargetSpec::KvShaleZeroedWal
            | TargetSpec::KvShaleBlockCache
            | TargetSpec::KvShaleMmap
            | TargetSpec::KvFjall
            | TargetSpec::KvRedb
            | TargetSpec::KvRocksdb
            | TargetSpec::KvRocksdbMmap
            | TargetSpec::TableShale
            | TargetSpec::TableShalePitr
            | TargetSpec::TableShaleStream
            | TargetSpec::TableShalePaced => true,
            TargetSpec::KvMemory | TargetSpec::TableMemory | TargetSpec::Http(_) => false,
        }
    }
}

/// Every target with a fixed name (all but `http:URL`): the list parsing and the
/// unknown-target message read. Each name is written once, in [`TargetSpec::name`].
const NAMED_TARGETS: [TargetSpec; 16] = [
    TargetSpec::KvMemory,
    TargetSpec::KvShale,
    TargetSpec::KvShalePread,
    TargetSpec::KvShaleMmapWal,
    TargetSpec::KvShaleZeroedWal,
    TargetSpec::KvShaleBlockCache,
    TargetSpec::KvShaleMmap,
    TargetSpec::KvFjall,
    TargetSpec::KvRedb,
    TargetSpec::KvRocksdb,
    TargetSpec::KvRocksdbMmap,
    TargetSpec::TableShale,
    TargetSpec::TableShalePitr,
    TargetSpec::TableShaleStream,
    TargetSpec::TableShalePaced,
    TargetSpec::TableMemory,
];

/// The named targets, comma-separated, for the unknown-target message.
fn known_targets() -> String {
    NAMED_TARGETS
        .iter()
        .filter_map(TargetSpec::name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for TargetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetSpec::Http(url) => write!(f, "http:{url}"),
            // Every other target has a name.
            named => f.write_str(named.name().unwrap_or_default()),
        }
    }
}

impl FromStr for TargetSpec {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(spec) = NAMED_TARGETS.iter().find(|spec| spec.name() == Some(s)) {
            return Ok(spec.clone());
        }
        match s.strip_prefix("http:") {
            Some(url) if url.starts_with("http://") => Ok(TargetSpec::Http(url.to_string())),
            _ => Err(TargetError::UnknownTarget {
                spec: s.to_string(),
            }),
        }
    }
}

/// Parses a comma-separated target list.
///
/// # Errors
/// [`TargetError::UnknownTarget`] for the first bad entry.
pub fn parse_targets(list: &str) -> Result<Vec<TargetSpec>, TargetError> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect()
}

/// Creates `dir` (the target's private data directory).
///
/// # Errors
/// [`TargetError::Io`].
pub fn create_dir(dir: &Path) -> Result<(), TargetError> {
    std::fs::create_dir_all(dir).map_err(|source| TargetError::Io {
        op: "create_dir_all",
        path: dir.to_path_buf(),
        source,
    })
}

/// Opens a plain key-value store for `spec` in `dir` (used by the `kv` micro benchmark).
///
/// # Errors
/// [`TargetError::NotImplemented`] for specs that are not key-value stores or not built;
/// otherwise the engine's open failure.
pub fn open_kv(
    spec: &TargetSpec,
    dir: &Path,
    durability: Durability,
) -> Result<Box<dyn KvStore>, TargetError> {
    create_dir(dir)?;
    Ok(match spec {
        TargetSpec::KvMemory => Box::new(BackendKv::memory()),
        TargetSpec::KvShale | TargetSpec::KvShaleMmap => Box::new(BackendKv::shale_lsm_with(
            shale_engine::lsm::DbOptions::new(dir),
            durability,
            match durability {
                Durability::Sync => "; SSTables read through memory maps, not cached or read ahead; WAL not mapped (sync durability ignores wal_mmap_appends)",
                Durability::Buffered => "; SSTables read through memory maps, not cached or read ahead; WAL zero-filled and appended through a memory map",
            },
        )?),
        TargetSpec::KvShaleBlockCache => Box::new(BackendKv::shale_lsm_with(
            shale_engine::lsm::DbOptions::new(dir).with_cache_mapped_reads(true),
            durability,
            match durability {
                Durability::Sync => "; SSTables read through memory maps, through the block cache; WAL not mapped (sync durability ignores wal_mmap_appends)",
                Durability::Buffered => "; SSTables read through memory maps, through the block cache; WAL zero-filled and appended through a memory map",
            },
        )?),
        TargetSpec::KvShalePread => Box::new(BackendKv::shale_lsm_with(
            pread_options(dir).with_wal_mmap_appends(false),
            durability,
            "; SSTables read with pread; WAL appended with pwrite",
        )?),
        TargetSpec::KvShaleMmapWal => Box::new(BackendKv::shale_lsm_with(
            pread_options(dir).with_wal_mmap_appends(true),
            durability,
            match durability {
                Durability::Sync => "; SSTables read with pread; WAL not mapped (sync durability ignores wal_mmap_appends)",
                Durability::Buffered => "; SSTables read with pread; WAL zero-filled and appended through a memory map",
            },
        )?),
        TargetSpec::KvShaleZeroedWal => Box::new(BackendKv::shale_lsm_with(
            pread_options(dir)
                .with_wal_mmap_appends(false)
                .with_wal_preallocation(shale_engine::lsm::Preallocation::Zeroed),
            durability,
            "; SSTables read with pread; WAL zero-filled, appended with pwrite",
        )?),
        TargetSpec::KvFjall => Box::new(fjall_kv::FjallKv::open(dir, durability)?),
        TargetSpec::KvRedb => Box::new(redb_kv::RedbKv::open(dir, durability)?),
        #[cfg(feature = "rocksdb")]
        TargetSpec::KvRocksdb => Box::new(rocksdb_kv::RocksKv::open(dir, durability, false)?),
        #[cfg(feature = "rocksdb")]
        TargetSpec::KvRocksdbMmap => Box::new(rocksdb_kv::RocksKv::open(dir, durability, true)?),
        #[cfg(not(feature = "rocksdb"))]
        TargetSpec::KvRocksdb | TargetSpec::KvRocksdbMmap => {
            return Err(TargetError::NotImplemented {
                target: spec.to_string(),
                reason: "build shale-bench with --features rocksdb",
            })
        }
        TargetSpec::TableShale
        | TargetSpec::TableShalePitr
        | TargetSpec::TableShaleStream
        | TargetSpec::TableShalePaced
        | TargetSpec::TableMemory
        | TargetSpec::Http(_) => {
            return Err(TargetError::NotImplemented {
                target: spec.to_string(),
                reason: "not a key-value store; use it with `ycsb` or `compare`",
            })
        }
    })
}

/// The engine's defaults in `dir`, but with SSTables read by `pread` (`StdFs`) rather
/// than through maps: the base of the targets that measure one map at a time.
fn pread_options(dir: &Path) -> shale_engine::lsm::DbOptions {
    shale_engine::lsm::DbOptions::new(dir).with_fs(std::sync::Arc::new(shale_io::StdFs::new()))
}

impl KvStore for Box<dyn KvStore> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TargetError> {
        (**self).get(key)
    }
    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), TargetError> {
        (**self).put(key, value)
    }
    fn scan(&self, start: &[u8], limit: usize) -> Result<usize, TargetError> {
        (**self).scan(start, limit)
    }
    fn durability_note(&self) -> String {
        (**self).durability_note()
    }
    fn make_durable(&self) -> Result<(), TargetError> {
        (**self).make_durable()
    }
    fn engine_stats(&self) -> Option<shale_engine::BackendStats> {
        (**self).engine_stats()
    }
}

/// Opens the YCSB target for `spec`, keeping its files in `dir` (an existing target's
/// files are reopened: the table is then reused).
///
/// # Errors
/// As [`open_kv`], plus table-layer and HTTP setup failures.
pub fn open_target(
    spec: &TargetSpec,
    dir: &Path,
    durability: Durability,
) -> Result<Box<dyn Target>, TargetError> {
    match spec {
        TargetSpec::TableShale
        | TargetSpec::TableShalePitr
        | TargetSpec::TableShaleStream
        | TargetSpec::TableShalePaced => {
            create_dir(dir)?;
            let backend = if *spec == TargetSpec::TableShalePaced {
                crate::shale_lsm::open_with(
                    shale_engine::lsm::DbOptions::new(dir)
                        .with_background_rate_limit(crate::shale_lsm::PACED),
                    durability,
                )?
            } else {
                BackendKv::open_shale_backend(dir, durability)?
            };
            let mut t = table::TableTarget::open(backend, &BackendKv::shale_note(durability))?;
            if *spec == TargetSpec::TableShalePitr {
                t.enable_pitr()?;
            }
            if *spec == TargetSpec::TableShaleStream {
                t.enable_stream()?;
            }
            Ok(Box::new(t))
        }
        TargetSpec::TableMemory => Ok(Box::new(table::TableTarget::open(
            std::sync::Arc::new(shale_engine::MemBackend::new()),
            backend_kv::MEMORY_NOTE,
        )?)),
        TargetSpec::Http(url) => Ok(Box::new(http::HttpTarget::connect(url, durability)?)),
        _ => Ok(Box::new(KvTarget::new(open_kv(spec, dir, durability)?))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_and_bad_ones_are_typed_errors() {
        let specs =
            parse_targets("kv:shale, table:shale,table:shale+pitr,http:http://127.0.0.1:8000")
                .unwrap();
        assert_eq!(
            specs,
            vec![
                TargetSpec::KvShale,
                TargetSpec::TableShale,
                TargetSpec::TableShalePitr,
                TargetSpec::Http("http://127.0.0.1:8000".into())
            ]
        );
        for s in &specs {
            assert_eq!(&s.to_string().parse::<TargetSpec>().unwrap(), s);
        }
        let unknown = "kv:leveldb".parse::<TargetSpec>().unwrap_err();
        assert!(matches!(unknown, TargetError::UnknownTarget { .. }));
        let message = unknown.to_string();
        for spec in &NAMED_TARGETS {
            let name = spec.to_string();
            assert_eq!(&name.parse::<TargetSpec>().unwrap(), spec);
            assert!(message.contains(&name), "{message} lacks {name}");
        }
        assert!(matches!(
            "http:ftp://x".parse::<TargetSpec>(),
            Err(TargetError::UnknownTarget { .. })
        ));
        assert!("fsync".parse::<Durability>().is_err());
    }

    #[test]
    fn durability_notes_state_what_each_engine_is_configured_with() {
        let dir = tempfile::tempdir().unwrap();
        let note = |spec: TargetSpec, d: Durability| {
            let sub = dir.path().join(format!(
                "{}-{}",
                spec.to_string().replace(':', "_"),
                d.as_str()
            ));
            open_target(&spec, &sub, d).unwrap().durability_note()
        };
        // Shale's buffered mode is the WAL's `None` mode; the note used to say "Buffered".
        let shale = note(TargetSpec::KvShale, Durability::Buffered);
        assert!(shale.contains("Durability::None"), "{shale}");
        assert!(shale.contains("process crash"), "{shale}");
        assert!(note(TargetSpec::KvShale, Durability::Sync).contains("Durability::Sync"));
        let table = note(TargetSpec::TableShale, Durability::Buffered);
        assert!(table.contains("Durability::None"), "{table}");
        // The table layer on memory is not "WAL write to OS cache".
        let mem = note(TargetSpec::TableMemory, Durability::Sync);
        assert!(
            mem.contains("nothing durable") && !mem.contains("WAL"),
            "{mem}"
        );
        let redb = note(TargetSpec::KvRedb, Durability::Buffered);
        assert!(
            redb.contains("Durability::None") && redb.contains("rolls back"),
            "{redb}"
        );
        assert!(note(TargetSpec::KvRedb, Durability::Sync).contains("Durability::Immediate"));
        let fjall = note(TargetSpec::KvFjall, Durability::Buffered);
        assert!(fjall.contains("PersistMode::Buffer"), "{fjall}");
        assert!(note(TargetSpec::KvFjall, Durability::Sync).contains("PersistMode::SyncData"));
    }

    #[test]
    fn kv_target_update_changes_one_field_only() {
        let t = KvTarget::new(BackendKv::memory());
        let fields: Vec<Vec<u8>> = (0..FIELD_COUNT).map(|i| vec![b'a' + i as u8; 3]).collect();
        t.insert("user1", &fields).unwrap();
        t.update("user1", 4, b"zzz").unwrap();
        let raw = t.store().get(b"user1").unwrap().unwrap();
        let back = record::decode("user1", &raw).unwrap();
        assert_eq!(back[4], b"zzz");
        assert_eq!(back[3], fields[3]);
        assert!(matches!(t.read("user2"), Err(TargetError::NotFound { .. })));
        assert_eq!(t.scan("user0", 10).unwrap(), 1);
    }
}
