//! `shale-server`: a DynamoDB-compatible HTTP server on Shale's engine. The AWS CLI, boto3
//! and the other AWS SDKs talk to it unchanged through `--endpoint-url`.
//!
//! ```no_run
//! use shale_server::cli::{ServerConfig, StorageMode};
//! let config = ServerConfig {
//!     port: 0,
//!     storage: StorageMode::InMemory,
//!     ..ServerConfig::default()
//! };
//! // Blocks until SIGTERM or Ctrl-C; prints "shale-server listening on http://..." first.
//! shale_server::run(config).unwrap();
//! ```
//!
//! The request path: [`server`] accepts connections, [`http`] routes a request and checks
//! its content type and size, [`operations`] reads `X-Amz-Target`, [`dispatch`] decodes the
//! body into the engine's request struct and calls [`shale_table::Database`]
//! (inline for small single-item calls, on a blocking thread otherwise: see
//! [`http::runs_inline`]), and [`api_error`] gives every failure DynamoDB's exact error shape
//! ([`enum_values`] its text for an invalid enum value).
//! [`content_coding`] decodes gzip and deflate bodies and compresses large responses,
//! [`cors`] answers browsers' preflights, and [`endpoint_info`] serves DescribeLimits and
//! DescribeEndpoints.
//! [`metrics`] counts and times every API request for `/metrics`. [`fuzzing`] runs the same
//! steps on raw bytes for the `http_request` fuzz target (`docs/fuzzing.md`).
//!
//! It is not:
//! - authenticated: any (or no) SigV4 signature is accepted, so it binds loopback by
//!   default;
//! - TLS or HTTP/2: plain HTTP/1.1 with keep-alive, as DynamoDB Local;
//! - the place for DynamoDB semantics: validation, expressions and limits live in the
//!   engine; this crate only translates HTTP.

pub mod api_error;
pub mod auto_scaling_config;
pub mod cli;
pub mod connections;
pub mod constraints;
pub mod content_coding;
pub mod cors;
pub mod dispatch;
pub mod endpoint_info;
pub mod enum_values;
pub mod event_loops;
pub mod fuzzing;
pub mod http;
pub mod json_out;
pub mod limits;
pub mod metrics;
pub mod operations;
pub mod request_id;
pub mod server;
pub mod storage;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use shale_engine::lsm::OnSyncedLoss;
use shale_io::clock::{Clock, ManualClock, SystemClock};
use shale_table::capacity::CapacityOptions;
use tokio::net::TcpListener;

use crate::cli::ServerConfig;
use crate::http::AppState;
use crate::storage::{ShutdownError, StartupError, Storage};

/// Exit status of a run that failed to start or to shut down cleanly.
pub const EXIT_FAILURE: u8 = 1;

/// Why [`run`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The server could not start (nothing was served).
    #[error(transparent)]
    Startup(#[from] StartupError),
    /// The server ran, but closing the engine at shutdown failed.
    #[error(transparent)]
    Shutdown(#[from] ShutdownError),
}

/// The process exit status for the outcome of [`run`]: 0 only for a clean start and a
/// clean close; [`EXIT_FAILURE`] when startup failed or the engine's final sync/close did
/// (a supervisor must not take such a shutdown for a clean one).
pub fn exit_status(outcome: &Result<(), RunError>) -> u8 {
    match outcome {
        Ok(()) => 0,
        Err(RunError::Startup(_) | RunError::Shutdown(_)) => EXIT_FAILURE,
    }
}

/// The table layer's capacity options from the command line (`--capacity`,
/// `--on-demand-scaling`, `--partition-limits`, `--table-max-units`, `--auto-scaling
/// FILE`).
///
/// # Errors
/// [`StartupError::AutoScaling`] when the auto scaling file cannot be used.
fn capacity_options(config: &ServerConfig) -> Result<CapacityOptions, StartupError> {
    let mut capacity = CapacityOptions::default()
        .with_enforcement(config.capacity_enforcement)
        .with_on_demand_scaling(config.on_demand_scaling)
        .with_partition_limits(config.partition_limits)
        .with_table_max_units(config.table_max_units, config.table_max_units);
    if let Some(path) = &config.auto_scaling_file {
        for (table, policy) in auto_scaling_config::load(path)? {
            capacity = capacity.with_auto_scaling(table, policy);
        }
    }
    Ok(capacity)
}

/// Runs the server until SIGTERM or SIGINT, then shuts down cleanly: stop accepting,
/// drain in-flight requests (bounded by [`server::SHUTDOWN_GRACE`]), sync and close the
/// engine.
///
/// Prints `shale-server listening on http://ADDR` on stdout once it accepts connections;
/// with port 0 that is how callers learn the port.
///
/// # Errors
/// [`RunError::Startup`] when the engine, the socket or the runtime cannot be set up;
/// [`RunError::Shutdown`] when the final engine sync/close fails (see [`exit_status`]).
pub fn run(config: ServerConfig) -> Result<(), RunError> {
    // The acceptor: accepts, admits and hands connections to the event loops; also the
    // signal handlers, and the one blocking pool every loop's off-loop calls share
    // (`AppState::blocking`), with startup's and the final close's.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .thread_name("shale-http-blocking")
        .max_blocking_threads(config.limits.blocking_threads.max(1))
        .build()
        .map_err(StartupError::Runtime)?;
    let loop_count = match config.event_loops {
        0 => event_loops::default_count(),
        n => n,
    };
    let loops = event_loops::EventLoops::start(loop_count).map_err(StartupError::Runtime)?;
    let outcome = runtime.block_on(async move {
        let on_synced_loss = if config.tolerate_wal_loss {
            OnSyncedLoss::DropAndReport
        } else {
            OnSyncedLoss::Refuse
        };
        let manual_clock = config
            .manual_clock
            .then(|| ManualClock::new(SystemClock.now_micros()));
        let buffered_on_disk = config.durability == cli::WriteDurability::Buffered
            && matches!(config.storage, cli::StorageMode::OnDisk(_));
        // Warned only when asked for: both are on by default.
        if config.wal_mmap_appends == Some(true) && !buffered_on_disk {
            tracing::warn!(
                "--wal-mmap on has no effect here: it maps only on-disk WAL segments under \
                 --durability buffered"
            );
        }
        if config.mmap_reads == Some(true) && !matches!(config.storage, cli::StorageMode::OnDisk(_))
        {
            tracing::warn!("--mmap-reads on has no effect with --in-memory: there are no files");
        }
        let storage = Storage::open_with(
            &config.storage,
            on_synced_loss,
            capacity_options(&config)?,
            manual_clock.clone(),
            config.durability,
            config.wal_mmap_appends.unwrap_or(true),
            config.mmap_reads.unwrap_or(true),
        )?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?;
        let shutdown = server::shutdown_signal().map_err(StartupError::Runtime)?;
        let mut state = AppState::with_limits(&storage, SystemClock.now_micros(), config.limits);
        state.manual_clock = manual_clock;
        state.blocking = Some(tokio::runtime::Handle::current());
        let state = Arc::new(state);
        tracing::info!(%local, backend = storage.backend_name(), "listening");
        announce(local);
        let outcome = server::serve_on(listener, state, shutdown, Some(&loops)).await;
        loops.stop();
        tracing::info!(?outcome, "connections closed; closing the engine");
        close_storage(storage).await?;
        tracing::info!("engine closed");
        Ok(())
    });
    // A call the grace period gave up on may still run on the blocking pool (an export,
    // a long scan): give it the grace period once more, then leave it (its thread ends
    // with the process), so shutdown stays bounded.
    runtime.shutdown_timeout(server::SHUTDOWN_GRACE);
    outcome
}

/// Syncs and closes the engine on a blocking thread (it waits for background threads and
/// an fdatasync).
async fn close_storage(storage: Storage) -> Result<(), ShutdownError> {
    close_result(tokio::task::spawn_blocking(move || storage.close()).await)
}

/// What the engine close task's result means for the run.
fn close_result(
    closed: Result<Result<(), shale_engine::StorageError>, tokio::task::JoinError>,
) -> Result<(), ShutdownError> {
    match closed {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ShutdownError::Close(e)),
        Err(e) => Err(ShutdownError::CloseTask(e)),
    }
}

/// The line tests and scripts parse. Flushed at once: stdout is a pipe there, and a
/// block-buffered line would never arrive.
fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "shale-server listening on http://{addr}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use shale_engine::lsm::DbOptions;
    use shale_engine::StorageError;
    use shale_io::FaultFs;

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime")
    }

    #[test]
    fn a_clean_close_is_a_clean_exit() {
        assert!(close_result(Ok(Ok(()))).is_ok());
        assert_eq!(exit_status(&Ok(())), 0);
    }

    #[test]
    fn a_failed_close_is_a_shutdown_error_and_a_nonzero_exit() {
        let e = close_result(Ok(Err(StorageError::Poisoned))).expect_err("close failed");
        assert!(
            matches!(e, ShutdownError::Close(StorageError::Poisoned)),
            "{e:?}"
        );
        let e = RunError::from(e);
        let message = e.to_string();
        assert_eq!(exit_status(&Err(e)), EXIT_FAILURE);
        assert!(
            message.starts_with("closing the database failed")
                && message.contains("may not be durable")
                && message.ends_with(&StorageError::Poisoned.to_string()),
            "{message}"
        );
    }

    #[test]
    fn a_close_task_that_did_not_finish_is_a_shutdown_error() {
        let joined = runtime().block_on(async {
            tokio::task::spawn_blocking(|| -> Result<(), StorageError> {
                panic!("injected panic in the close task")
            })
            .await
        });
        let e = close_result(joined).expect_err("the task panicked");
        assert!(matches!(e, ShutdownError::CloseTask(_)), "{e:?}");
        assert_eq!(exit_status(&Err(e.into())), EXIT_FAILURE);
    }

    #[test]
    fn startup_failures_exit_nonzero_too() {
        let e = StartupError::Runtime(std::io::Error::other("no runtime"));
        assert_eq!(exit_status(&Err(e.into())), EXIT_FAILURE);
    }

    /// End to end through the real engine: a failed WAL sync poisons it, and the close at
    /// shutdown then reports the failure instead of a clean exit.
    #[test]
    fn an_engine_whose_sync_failed_does_not_close_cleanly() {
        let fs = Arc::new(FaultFs::new());
        let storage = Storage::open_lsm(
            DbOptions::new("/db").with_fs(fs.clone()),
            CapacityOptions::default(),
            Arc::new(SystemClock),
        )
        .expect("opens");
        fs.fail_nth_sync(1);
        let write = storage.database.backend().put(b"k", b"v");
        assert!(write.is_err(), "the injected sync failure fails the write");
        let closed = runtime().block_on(close_storage(storage));
        assert!(matches!(closed, Err(ShutdownError::Close(_))), "{closed:?}");
        assert_eq!(exit_status(&Err(closed.unwrap_err().into())), EXIT_FAILURE);
    }
}
