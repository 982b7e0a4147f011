//! Opening and closing the engine behind the server: the in-memory backend for
//! `--in-memory`, the LSM engine in a directory otherwise.
//!
//! On-disk mode runs the LSM engine with `Durability::Sync` (group commit): a write is
//! acknowledged to the client only once it is in an fdatasynced WAL, as DynamoDB
//! acknowledges only durable writes. `--durability buffered` acknowledges it once written
//! to the OS instead, with a background fdatasync every [`BUFFERED_SYNC_INTERVAL`]. On-disk backups (CreateBackup's checkpoints) live in
//! [`BACKUP_DIR_NAME`] inside the data directory; in memory they are kept in memory.
//! Exports and imports (ExportTableToPointInTime, ImportTable) use [`EXPORT_DIR_NAME`]
//! inside the data directory, one subdirectory per `S3Bucket`; an in-memory server writes
//! nothing to disk, so it refuses them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions, Durability, OnSyncedLoss};
use shale_engine::{Backend, MemBackend, StorageError};
use shale_io::clock::{Clock, ManualClock, SystemClock};
use shale_io::{MmapFs, StdFs};
use shale_table::capacity::CapacityOptions;
use shale_table::{Database, DatabaseOptions};

use crate::cli::{StorageMode, WriteDurability};

/// How often `--durability buffered` fdatasyncs the WAL in the background: what a power
/// cut can lose of acknowledged writes (a process crash loses none).
pub const BUFFERED_SYNC_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

/// The subdirectory of the data directory that holds on-demand backups, one checkpoint
/// directory per backup.
pub const BACKUP_DIR_NAME: &str = "backups";

/// The subdirectory of the data directory that exports are written to and imports read
/// from: a request's `S3Bucket` is a directory in it.
pub const EXPORT_DIR_NAME: &str = "exports";

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// The LSM engine failed to open its directory (I/O, corruption, a WAL gap).
    #[error("cannot open the database in {}: {source}", dir.display())]
    OpenStorage {
        /// The data directory.
        dir: PathBuf,
        /// The engine's error.
        #[source]
        source: StorageError,
    },
    /// The table layer failed to open (e.g. a corrupt catalog).
    #[error("cannot open the database: {0}")]
    OpenDatabase(#[from] shale_table::Error),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The `--auto-scaling` file could not be read or is not valid.
    #[error(transparent)]
    AutoScaling(#[from] crate::auto_scaling_config::AutoScalingConfigError),
    /// The tokio runtime or the signal handlers could not be set up.
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Why the server could not shut down cleanly: the final sync and close of the engine
/// failed, so writes may not be durable. The process then exits non-zero.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// Syncing or closing the engine failed (a failed WAL fdatasync, an engine poisoned by
    /// an earlier failed sync).
    #[error("closing the database failed; the last writes may not be durable: {0}")]
    Close(#[source] StorageError),
    /// The thread closing the engine panicked or was cancelled, so the close may not have
    /// run to its end.
    #[error("closing the database did not complete; the last writes may not be durable: {0}")]
    CloseTask(#[source] tokio::task::JoinError),
}

/// When an item write may block its thread for more than its own work. An event loop
/// runs a write itself only when it cannot (see `crate::http::runs_inline`).
#[derive(Debug, Clone)]
pub enum WriteWaits {
    /// In memory: a write waits for nothing longer than an item lock.
    Never,
    /// On disk: a write waits for an fdatasync under `--durability sync`, and in either
    /// mode for the engine's write slowdowns and stalls when flushes and compactions
    /// fall behind (up to minutes). The engine says which, per write
    /// ([`Db::writes_may_wait`]): with buffered durability and no backlog, none.
    OnBacklog(Arc<Db>),
}

impl WriteWaits {
    /// Whether a write issued now may wait.
    pub fn now(&self) -> bool {
        match self {
            WriteWaits::Never => false,
            WriteWaits::OnBacklog(db) => db.writes_may_wait(),
        }
    }
}

/// The open engine.
#[derive(Debug)]
pub struct Storage {
    /// The table layer the HTTP handlers call.
    pub database: Arc<Database>,
    backend: Arc<dyn Backend>,
    /// The LSM engine, kept to close it (stop its threads, sync the WAL) at shutdown.
    lsm: Option<Arc<Db>>,
    /// Where backups go (see [`Storage::backup_dir`]).
    backup_dir: Option<PathBuf>,
}

impl Storage {
    /// Opens the backend `mode` asks for and the table layer on it, with the server's
    /// defaults (sync durability, maps for SSTable reads and WAL appends).
    ///
    /// # Errors
    /// [`StartupError`] when the directory or the engine cannot be opened, or when on-disk
    /// mode is unavailable.
    pub fn open(mode: &StorageMode) -> Result<Storage, StartupError> {
        let capacity = CapacityOptions::default().with_on_demand_scaling(false);
        Self::open_with(
            mode,
            OnSyncedLoss::Refuse,
            capacity,
            None,
            WriteDurability::Sync,
            true,
            true,
        )
    }

    /// As [`Storage::open`], with what the on-disk engine does when WAL recovery would
    /// drop records the log marks as synced: refuse to open (the server's default) or
    /// drop them and report each at WARN (`--tolerate-wal-loss`), and with `capacity`
    /// (enforcement on by default, or off with `--capacity off`; on-demand scaling
    /// as `--on-demand-scaling` says). Either way every table's
    /// buckets start full of burst credit, so a test suite's first burst at a small
    /// table is not throttled. With `manual_clock` (`--manual-clock`), the engine and
    /// the table layer read time from it, and it moves only when told. `durability` is
    /// `--durability`'s, `wal_mmap_appends` `--wal-mmap`'s and `mmap_reads`
    /// `--mmap-reads`'s (on disk only: SSTables read through `shale_io::MmapFs`).
    ///
    /// # Errors
    /// As [`Storage::open`].
    pub fn open_with(
        mode: &StorageMode,
        on_synced_loss: OnSyncedLoss,
        capacity: CapacityOptions,
        manual_clock: Option<ManualClock>,
        durability: WriteDurability,
        wal_mmap_appends: bool,
        mmap_reads: bool,
    ) -> Result<Storage, StartupError> {
        let clock: Arc<dyn Clock> = match manual_clock {
            Some(c) => Arc::new(c),
            None => Arc::new(SystemClock),
        };
        match mode {
            // The memory backend keeps checkpoints in memory: no backup directory.
            StorageMode::InMemory => Self::on_backend(
                Arc::new(MemBackend::with_clock(Arc::clone(&clock))),
                None,
                DatabaseOptions::default()
                    .with_capacity(capacity)
                    .with_clock(clock),
            ),
            StorageMode::OnDisk(dir) => {
                let options = DbOptions::new(dir)
                    .with_wal_on_synced_loss(on_synced_loss)
                    .with_wal_mmap_appends(wal_mmap_appends)
                    .with_durability(match durability {
                        WriteDurability::Sync => Durability::Sync,
                        WriteDurability::Buffered => Durability::Buffered {
                            interval: BUFFERED_SYNC_INTERVAL,
                        },
                    })
                    .with_clock(Arc::clone(&clock));
                let options = if mmap_reads {
                    options.with_fs(Arc::new(MmapFs::new()))
                } else {
                    options.with_fs(Arc::new(StdFs::new()))
                };
                Self::open_lsm(options, capacity, clock)
            }
        }
    }

    /// Opens the LSM engine with `options` and the table layer on it, capacity enforced
    /// or not, the table layer reading time from `clock` (the engine's is in `options`). [`Storage::open`] passes the defaults for a directory; tests pass a
    /// fault-injecting file system.
    pub(crate) fn open_lsm(
        options: DbOptions,
        capacity: CapacityOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Storage, StartupError> {
        let dir = options.dir.clone();
        let database_options = DatabaseOptions::default()
            .with_capacity(capacity)
            .with_clock(clock)
            .with_backup_dir(backup_dir(&dir))
            .with_export_dir(absolute(dir.join(EXPORT_DIR_NAME)));
        let db = Db::open(options).map_err(|source| StartupError::OpenStorage { dir, source })?;
        let db = Arc::new(db);
        Self::on_backend(
            Arc::clone(&db) as Arc<dyn Backend>,
            Some(db),
            database_options,
        )
    }

    fn on_backend(
        backend: Arc<dyn Backend>,
        lsm: Option<Arc<Db>>,
        options: DatabaseOptions,
    ) -> Result<Storage, StartupError> {
        let backup_dir = options.backup_dir.clone();
        let database = match Database::open(Arc::clone(&backend), options) {
            Ok(d) => d,
            Err(e) => {
                if let Some(db) = &lsm {
                    // Best effort: the startup error is the one worth reporting.
                    let _ = db.close();
                }
                return Err(e.into());
            }
        };
        Ok(Storage {
            database: Arc::new(database),
            backend,
            lsm,
            backup_dir,
        })
    }

    /// Where CreateBackup keeps its checkpoints: `None` in memory.
    pub fn backup_dir(&self) -> Option<&Path> {
        self.backup_dir.as_deref()
    }

    /// When an item write may block its thread (see [`WriteWaits`]).
    pub fn write_waits(&self) -> WriteWaits {
        match &self.lsm {
            None => WriteWaits::Never,
            Some(db) => WriteWaits::OnBacklog(Arc::clone(db)),
        }
    }

    /// A short name of the backend ("memory", "lsm") for the startup log.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Makes every acknowledged write durable and releases the engine: saves the tables'
    /// admission state (partitions, on-demand peaks, balances), syncs the backend, then
    /// (on disk) stops the LSM's background threads and syncs its WAL once more.
    ///
    /// # Errors
    /// The first sync or close failure.
    pub fn close(self) -> Result<(), StorageError> {
        // Soft state: if it cannot be saved, the last minute's save stands, and the sync
        // below reports the storage failure that stopped it.
        let _ = self.database.save_capacity();
        let synced = self.backend.sync();
        let closed = match &self.lsm {
            Some(db) => db.close(),
            None => Ok(()),
        };
        synced.and(closed)
    }
}

/// `<data_dir>/backups`, made absolute against the working directory: each backup's record
/// keeps its checkpoint's path, so with a relative data directory (the default
/// `./shale-data`) a server started later from another directory would not find them.
fn backup_dir(data_dir: &Path) -> PathBuf {
    absolute(data_dir.join(BACKUP_DIR_NAME))
}

/// `dir` made absolute against the working directory. `absolute` touches no file system;
/// it fails only for an empty path, which `join` never returns.
fn absolute(dir: PathBuf) -> PathBuf {
    std::path::absolute(&dir).unwrap_or(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_live_in_the_data_directory_on_disk_and_in_memory_otherwise() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = Storage::open(&StorageMode::OnDisk(dir.path().join("data"))).expect("open");
        assert_eq!(
            storage.backup_dir(),
            Some(dir.path().join("data").join(BACKUP_DIR_NAME).as_path())
        );
        storage.close().expect("close");
        let storage = Storage::open(&StorageMode::InMemory).expect("open");
        assert_eq!(storage.backup_dir(), None);
        storage.close().expect("close");
    }

    /// On-disk storage in `dir` with `durability` and `--wal-mmap`'s setting.
    fn on_disk(dir: &Path, durability: WriteDurability, wal_mmap: bool) -> Storage {
        on_disk_with(dir, durability, wal_mmap, false)
    }

    /// As [`on_disk`], with `--mmap-reads`' setting.
    fn on_disk_with(
        dir: &Path,
        durability: WriteDurability,
        wal_mmap: bool,
        mmap_reads: bool,
    ) -> Storage {
        Storage::open_with(
            &StorageMode::OnDisk(dir.to_path_buf()),
            OnSyncedLoss::Refuse,
            CapacityOptions::default(),
            None,
            durability,
            wal_mmap,
            mmap_reads,
        )
        .expect("open")
    }

    #[test]
    fn wal_mmap_maps_buffered_appends_only() {
        for (durability, mapped) in [
            (WriteDurability::Sync, false),
            (WriteDurability::Buffered, true),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let storage = on_disk(dir.path(), durability, true);
            let lsm = storage.lsm.as_ref().expect("on disk");
            assert_eq!(lsm.wal_appends_mapped(), mapped, "{durability:?}");
            storage.close().expect("close");
        }
    }

    /// Whether this process has a memory map of an SSTable under `dir` (Linux's
    /// `/proc/self/maps` names each mapped file).
    #[cfg(target_os = "linux")]
    fn maps_an_sstable_under(dir: &Path) -> bool {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        let dir = dir.to_string_lossy();
        maps.lines()
            .any(|line| line.contains(dir.as_ref()) && line.ends_with(".sst"))
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn mmap_reads_map_the_sstables_and_serve_what_was_flushed_across_a_reopen() {
        for mmap_reads in [false, true] {
            let dir = tempfile::tempdir().expect("tempdir");
            let storage = on_disk_with(dir.path(), WriteDurability::Sync, false, mmap_reads);
            let lsm = storage.lsm.as_ref().expect("on disk");
            Backend::put(&**lsm, b"mapped-key", b"mapped-value").expect("put");
            lsm.flush().expect("flush");
            storage.close().expect("close");
            // Reopened, the key is only in the flushed table.
            let storage = on_disk_with(dir.path(), WriteDurability::Sync, false, mmap_reads);
            let lsm = storage.lsm.as_ref().expect("on disk");
            assert_eq!(
                lsm.get(b"mapped-key", None).expect("get"),
                Some(b"mapped-value".to_vec())
            );
            assert_eq!(maps_an_sstable_under(dir.path()), mmap_reads);
            storage.close().expect("close");
        }
    }

    #[test]
    fn only_buffered_writes_on_an_idle_engine_and_in_memory_writes_never_wait() {
        let storage = Storage::open(&StorageMode::InMemory).expect("open");
        assert!(!storage.write_waits().now());
        storage.close().expect("close");
        for (durability, waits) in [
            (WriteDurability::Sync, true),
            (WriteDurability::Buffered, false),
        ] {
            let dir = tempfile::tempdir().expect("tempdir");
            let storage = on_disk(dir.path(), durability, false);
            assert_eq!(storage.write_waits().now(), waits, "{durability:?}");
            storage.close().expect("close");
        }
    }

    #[test]
    fn a_relative_data_directory_gets_an_absolute_backup_directory() {
        let dir = backup_dir(Path::new("shale-data"));
        assert!(dir.is_absolute(), "{}", dir.display());
        assert!(dir.ends_with("shale-data/backups"), "{}", dir.display());
    }
}
