//! Opening and closing the engine behind the server: the in-memory backend for
//! `--in-memory`, the LSM engine in a directory otherwise.
//!
//! On-disk mode runs the LSM engine with `Durability::Sync` (group commit): a write is
//! acknowledged to the client only once it is in an fdatasynced WAL, as DynamoDB
//! acknowledges only durable writes.

use std::path::PathBuf;
use std::sync::Arc;

use shale_engine::lsm::{Db, DbOptions};
use shale_engine::table::{Database, DatabaseOptions};
use shale_engine::{Backend, MemBackend, StorageError};

use crate::cli::StorageMode;

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
    OpenDatabase(#[from] shale_engine::table::Error),
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The tokio runtime or the signal handlers could not be set up.
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The open engine.
#[derive(Debug)]
pub struct Storage {
    /// The table layer the HTTP handlers call.
    pub database: Arc<Database>,
    backend: Arc<dyn Backend>,
    /// The LSM engine, kept to close it (stop its threads, sync the WAL) at shutdown.
    lsm: Option<Arc<Db>>,
}

impl Storage {
    /// Opens the backend `mode` asks for and the table layer on it.
    ///
    /// # Errors
    /// [`StartupError`] when the directory or the engine cannot be opened, or when on-disk
    /// mode is unavailable.
    pub fn open(mode: &StorageMode) -> Result<Storage, StartupError> {
        let (backend, lsm): (Arc<dyn Backend>, Option<Arc<Db>>) = match mode {
            StorageMode::InMemory => (Arc::new(MemBackend::new()), None),
            StorageMode::OnDisk(dir) => {
                let db =
                    Db::open(DbOptions::new(dir)).map_err(|source| StartupError::OpenStorage {
                        dir: dir.clone(),
                        source,
                    })?;
                let db = Arc::new(db);
                (Arc::clone(&db) as Arc<dyn Backend>, Some(db))
            }
        };
        let database = match Database::open(Arc::clone(&backend), DatabaseOptions::default()) {
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
        })
    }

    /// Whether an acknowledged write waits for a WAL sync (the on-disk engine).
    pub fn writes_wait_for_sync(&self) -> bool {
        self.lsm.is_some()
    }

    /// A short name of the backend ("memory", "lsm") for the startup log.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Makes every acknowledged write durable and releases the engine: syncs the backend,
    /// then (on disk) stops the LSM's background threads and syncs its WAL once more.
    ///
    /// # Errors
    /// The first sync or close failure.
    pub fn close(self) -> Result<(), StorageError> {
        let synced = self.backend.sync();
        let closed = match &self.lsm {
            Some(db) => db.close(),
            None => Ok(()),
        };
        synced.and(closed)
    }
}
