//! The accept loop and graceful shutdown.
//!
//! Shutdown order, and why:
//! 1. stop accepting (drop the listener) so no new work arrives;
//! 2. tell every connection to finish: idle keep-alive connections close at once, busy
//!    ones finish their in-flight request and then close;
//! 3. wait for that at most [`SHUTDOWN_GRACE`], so a stuck client cannot keep the process
//!    alive forever;
//! 4. the caller then syncs and closes the engine ([`crate::storage::Storage::close`]).
//!
//! Each connection's task also ends when the registry evicts it to make room
//! ([`crate::connections`]) or when it has been idle for the idle timeout.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use std::net::SocketAddr;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::net::{TcpListener, TcpStream};

use crate::connections::{Admission, ConnectionGuard};
use crate::event_loops::EventLoops;
use crate::http::{handle, AppState};

/// How long shutdown waits for in-flight requests before closing the engine anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// A client that has not finished sending request headers by then is disconnected
/// (slowloris protection; [`crate::limits::ServerLimits::idle_timeout`] covers a client that
/// sends nothing at all, and the registry closes waiting connections earlier when others
/// need their slots).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause after a failed `accept` (e.g. out of file descriptors) so the loop does not spin.
const ACCEPT_ERROR_BACKOFF: Duration = Duration::from_millis(50);

/// How shutdown went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownOutcome {
    /// Every connection finished within [`SHUTDOWN_GRACE`].
    Drained,
    /// Some connections were still busy when the grace period ran out.
    GraceExpired,
}

/// Serves HTTP/1.1 on `listener` until `shutdown` completes, then drains connections.
/// The connection limits are `state.limits`'s (see [`crate::connections`]). Connections
/// run on the caller's runtime; [`serve_on`] spreads them over event loops.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
) -> ShutdownOutcome {
    serve_on(listener, state, shutdown, None).await
}

/// [`serve`], with each connection on one of `loops` (in turn) for its whole life, or on
/// the caller's runtime when `None`.
pub async fn serve_on(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()>,
    loops: Option<&EventLoops>,
) -> ShutdownOutcome {
    let graceful = GracefulShutdown::new();
    let connections = Arc::clone(&state.connections);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_ERROR_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Waits only while every connection is busy in the engine.
        let guard = tokio::select! {
            admission = connections.admit(peer.ip()) => match admission {
                Admission::Admitted(guard) => guard,
                Admission::Refused => {
                    tracing::debug!(%peer, "refused: its address is at its connection cap");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Responses are small and latency-bound: never wait for Nagle.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        let accepted = Accepted {
            peer,
            state: Arc::clone(&state),
            guard,
            watcher: graceful.watcher(),
        };
        match loops {
            // The socket is registered with the loop's own reactor, on the loop.
            Some(loops) => match stream.into_std() {
                Ok(stream) => loops.spawn(async move {
                    match tokio::net::TcpStream::from_std(stream) {
                        Ok(stream) => accepted.serve(stream).await,
                        Err(e) => tracing::debug!(error = %e, "could not register a socket"),
                    }
                }),
                Err(e) => tracing::debug!(error = %e, "could not hand a socket over"),
            },
            None => {
                tokio::spawn(accepted.serve(stream));
            }
        }
    }
    drop(listener);
    tracing::info!("shutting down: draining connections");
    match tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await {
        Ok(()) => ShutdownOutcome::Drained,
        Err(_) => {
            tracing::warn!(
                grace_secs = SHUTDOWN_GRACE.as_secs(),
                "connections still busy after the grace period; closing anyway"
            );
            ShutdownOutcome::GraceExpired
        }
    }
}

/// An admitted connection, before it is served.
struct Accepted {
    peer: SocketAddr,
    state: Arc<AppState>,
    /// Its slot in the registry, freed when it closes.
    guard: ConnectionGuard,
    /// Shutdown's watch over it.
    watcher: Watcher,
}

impl Accepted {
    /// Serves `stream` until the client closes it, it is evicted to make room, it idles
    /// out, or shutdown ends it.
    async fn serve(self, stream: TcpStream) {
        let Accepted {
            peer,
            state,
            guard,
            watcher,
        } = self;
        let slot = Arc::clone(guard.slot());
        // The server's address as this client reached it, for `GET /` and
        // DescribeEndpoints when a request has no `Host`.
        let local = stream.local_addr().ok();
        let conn_state = Arc::clone(&state);
        let conn_slot = Arc::clone(&slot);
        let service = service_fn(move |req| {
            handle(Arc::clone(&conn_state), Arc::clone(&conn_slot), local, req)
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .keep_alive(true)
            .serve_connection(TokioIo::new(stream), service);
        let conn = watcher.watch(conn);
        let idle_timeout = state.limits.idle_timeout;
        tokio::pin!(conn);
        loop {
            // Busy or reading a body: look again after a whole idle timeout.
            let idle_for = slot.idle_for().unwrap_or_default();
            let recheck = idle_timeout.saturating_sub(idle_for);
            tokio::select! {
                ended = &mut conn => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    break;
                }
                () = slot.evicted() => {
                    tracing::debug!(%peer, "closed to make room for another connection");
                    break;
                }
                () = tokio::time::sleep(recheck) => {
                    if slot.idle_for().is_some_and(|idle| idle >= idle_timeout) {
                        tracing::debug!(%peer, "closed after the idle timeout");
                        break;
                    }
                }
            }
        }
        // Dropping the connection closes its socket; the guard frees its slot.
        drop(guard);
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
///
/// # Errors
/// When the signal handlers cannot be installed.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received"),
            _ = int.recv() => tracing::info!("SIGINT received"),
        }
    })
}
