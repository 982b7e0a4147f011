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
//! body into the engine's request struct and calls [`shale_engine::table::Database`]
//! (inline for quick single-item calls, on a blocking thread otherwise), and [`api_error`] gives every failure DynamoDB's exact error shape
//! ([`enum_values`] its text for an invalid enum value).
//! [`metrics`] counts and times every API request for `/metrics`.
//!
//! It is not:
//! - authenticated: any (or no) SigV4 signature is accepted, so it binds loopback by
//!   default;
//! - TLS or HTTP/2: plain HTTP/1.1 with keep-alive, as DynamoDB Local;
//! - the place for DynamoDB semantics: validation, expressions and limits live in the
//!   engine; this crate only translates HTTP.

pub mod api_error;
pub mod cli;
pub mod dispatch;
pub mod enum_values;
pub mod http;
pub mod metrics;
pub mod operations;
pub mod request_id;
pub mod server;
pub mod storage;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use shale_io::clock::{Clock, SystemClock};
use tokio::net::TcpListener;

use crate::cli::ServerConfig;
use crate::http::AppState;
use crate::storage::{StartupError, Storage};

/// Runs the server until SIGTERM or SIGINT, then shuts down cleanly: stop accepting,
/// drain in-flight requests (bounded by [`server::SHUTDOWN_GRACE`]), sync and close the
/// engine.
///
/// Prints `shale-server listening on http://ADDR` on stdout once it accepts connections;
/// with port 0 that is how callers learn the port.
///
/// # Errors
/// [`StartupError`] when the engine, the socket or the runtime cannot be set up.
pub fn run(config: ServerConfig) -> Result<(), StartupError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_io()
        .enable_time()
        .thread_name("shale-http")
        .build()
        .map_err(StartupError::Runtime)?;
    runtime.block_on(async move {
        let storage = Storage::open(&config.storage)?;
        let addr = SocketAddr::new(config.bind, config.port);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { addr, source })?;
        let shutdown = server::shutdown_signal().map_err(StartupError::Runtime)?;
        let state = Arc::new(AppState::new(&storage, SystemClock.now_micros()));
        tracing::info!(%local, backend = storage.backend_name(), "listening");
        announce(local);
        let outcome = server::serve(listener, state, shutdown).await;
        tracing::info!(?outcome, "connections closed; closing the engine");
        let closed = tokio::task::spawn_blocking(move || storage.close()).await;
        match closed {
            Ok(Ok(())) => tracing::info!("engine closed"),
            Ok(Err(e)) => tracing::error!(error = %e, "closing the engine failed"),
            Err(e) => tracing::error!(error = %e, "the engine close task failed"),
        }
        Ok(())
    })
}

/// The line tests and scripts parse. Flushed at once: stdout is a pipe there, and a
/// block-buffered line would never arrive.
fn announce(addr: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "shale-server listening on http://{addr}");
    let _ = out.flush();
}
