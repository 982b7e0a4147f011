//! Opening and closing the engine behind the server: the in-memory backend for
//! `--in-memory`, the LSM engine in a directory otherwise.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use shale_engine::table::{Database, DatabaseOptions};
use shale_engine::{Backend, MemBackend, StorageError};

use crate::cli::StorageMode;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartupError {
    /// On-disk mode was asked for but this build has no on-disk engine to offer. Refusing
    /// is deliberate: silently serving from memory would lose the user's data.
    #[error(
        "on-disk storage in {} is not available in this build; run with --in-memory",
        dir.display()
    )]
    OnDiskUnavailable {
        /// The requested data directory.
        dir: PathBuf,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {}: {source}", dir.display())]
    CreateDataDir {
        /// The directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The storage engine failed to open.
    #[error("cannot open the storage engine: {0}")]
    OpenStorage(#[from] StorageError),
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
}

impl Storage {
    /// Opens the backend `mode` asks for and the table layer on it.
    ///
    /// # Errors
    /// [`StartupError`] when the directory or the engine cannot be opened, or when on-disk
    /// mode is unavailable.
    pub fn open(mode: &StorageMode) -> Result<Storage, StartupError> {
        let backend: Arc<dyn Backend> = match mode {
            StorageMode::InMemory => Arc::new(MemBackend::new()),
            StorageMode::OnDisk(dir) => open_on_disk(dir)?,
        };
        let database = Database::open(Arc::clone(&backend), DatabaseOptions::default())?;
        Ok(Storage {
            database: Arc::new(database),
            backend,
        })
    }

    /// A short name of the backend ("memory", "lsm") for the startup log.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// Makes every acknowledged write durable and releases the engine.
    ///
    /// # Errors
    /// The backend's sync failure.
    pub fn close(self) -> Result<(), StorageError> {
        self.backend.sync()
    }
}

fn open_on_disk(dir: &Path) -> Result<Arc<dyn Backend>, StartupError> {
    Err(StartupError::OnDiskUnavailable {
        dir: dir.to_path_buf(),
    })
}
