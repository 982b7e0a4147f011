//! One HTTP request in, one response out: routing, the content-type and size checks, the
//! body's content coding, the engine call (inline for small single-item calls, else on a
//! blocking thread: see [`runs_inline`]), the response's compression, and the headers
//! every response carries (`x-amzn-RequestId`, `X-Amz-Crc32`, CORS for browsers).
//!
//! Routes:
//! - `POST <any path>` with `X-Amz-Target`: the DynamoDB API (DynamoDB ignores the path);
//!   a gzip or deflate body is decoded first, and a response of at least 4 KiB is
//!   compressed when `Accept-Encoding` allows ([`crate::content_coding`]);
//! - `GET /`: `healthy: <host>`, DynamoDB's health answer;
//! - `GET /healthz`: liveness, `ok`;
//! - `GET /metrics`: Prometheus text exposition;
//! - `OPTIONS <any path>`: 200 with an empty body, CORS preflight headers when it has an
//!   `Origin` ([`crate::cors`]);
//! - anything else: 404 with `<UnknownOperationException/>`, as DynamoDB answers.

use std::any::Any;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{
    HeaderMap, HeaderValue, ACCEPT_ENCODING, CONNECTION, CONTENT_ENCODING, CONTENT_LENGTH,
    CONTENT_TYPE, HOST,
};
use hyper::{Method, Request, Response, StatusCode};
use shale_table::shapes::DescribeTableInput;
use shale_table::Database;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::api_error::{ApiError, MAX_REQUEST_BODY_BYTES};
use crate::connections::{Connections, Slot};
use crate::content_coding::{self, ContentCoding, COMPRESSION_THRESHOLD_BYTES};
use crate::cors::Cors;
use crate::dispatch;
use crate::dispatch::Outcome;
use crate::limits::ServerLimits;
use crate::metrics::{self, Metrics, NO_TABLE};
use crate::operations::{parse_target, Operation, Target};
use crate::request_id::RequestIds;
use crate::storage::WriteWaits;

/// DynamoDB's content type, sent by every AWS SDK.
pub const AMZ_JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// Also accepted by DynamoDB (and answered in kind).
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// Body of DynamoDB's 404 for a request that is not a JSON-RPC POST.
const NOT_FOUND_BODY: &[u8] = b"<UnknownOperationException/>\n";

/// What every request handler shares.
#[derive(Debug)]
pub struct AppState {
    /// The table layer.
    pub db: Arc<Database>,
    /// Request counts and latencies.
    pub metrics: Metrics,
    /// `x-amzn-RequestId` values.
    pub request_ids: RequestIds,
    /// When item writes may block their thread (on disk: a WAL sync, the engine's write
    /// stalls; `Storage::write_waits`): then they run on the blocking pool, so they
    /// never hold an event loop (see [`runs_inline`]).
    pub write_waits: WriteWaits,
    /// The server's limits.
    pub limits: ServerLimits,
    /// The open connections (the accept loop admits into it; `/metrics` reports it).
    pub connections: Arc<Connections>,
    /// Engine calls admitted to the blocking pool, running or queued: at most
    /// [`ServerLimits::max_queued_engine_calls`].
    engine_slots: Arc<Semaphore>,
    /// The engine call, inline or on the blocking pool. Always [`dispatch::execute`]:
    /// only this crate's tests swap in another (one that panics), so no request can.
    execute: Execute,
    /// `--manual-clock`: the clock the engine and tables read, moved only by
    /// `POST /_shale/clock/advance?seconds=N` (see [`advance_clock`]).
    pub manual_clock: Option<shale_io::clock::ManualClock>,
    /// The runtime whose blocking pool runs every call off the event loops: one pool of
    /// [`ServerLimits::blocking_threads`] shared by all the loops, so a long call on one
    /// loop's connection never queues another loop's calls behind it. `None`: the
    /// current runtime's (in-process tests that serve on one runtime).
    pub blocking: Option<tokio::runtime::Handle>,
}

/// The signature of [`dispatch::execute`].
type Execute = fn(&Database, Operation, &[u8], &str) -> Outcome;

impl AppState {
    /// The state for a server on `storage` with the default limits, with request ids
    /// seeded by `request_id_seed` (microseconds since the epoch at startup).
    pub fn new(storage: &crate::storage::Storage, request_id_seed: u64) -> Self {
        AppState::with_limits(storage, request_id_seed, ServerLimits::default())
    }

    /// The state for a server on `storage` with `limits`.
    pub fn with_limits(
        storage: &crate::storage::Storage,
        request_id_seed: u64,
        limits: ServerLimits,
    ) -> Self {
        AppState {
            db: Arc::clone(&storage.database),
            metrics: Metrics::new(),
            request_ids: RequestIds::new(request_id_seed),
            write_waits: storage.write_waits(),
            connections: Connections::new(&limits),
            engine_slots: Arc::new(Semaphore::new(limits.max_queued_engine_calls.max(1))),
            limits,
            execute: dispatch::execute,
            manual_clock: None,
            blocking: None,
        }
    }

    /// Runs `work` on the shared blocking pool ([`AppState::blocking`]).
    pub fn spawn_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        match &self.blocking {
            Some(pool) => pool.spawn_blocking(work),
            None => tokio::task::spawn_blocking(work),
        }
    }

    /// The connection registry's and the engine queue's figures for `/metrics`.
    fn server_gauges(&self) -> [(&'static str, &'static str, i64); 4] {
        use std::sync::atomic::Ordering::Relaxed;
        let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let queued = self
            .limits
            .max_queued_engine_calls
            .max(1)
            .saturating_sub(self.engine_slots.available_permits());
        [
            (
                "shale_connections_open",
                "Connections open now",
                to_i64(self.connections.len() as u64),
            ),
            (
                "shale_connections_evicted",
                "Connections closed to make room for another, since startup",
                to_i64(self.connections.counts.evicted.load(Relaxed)),
            ),
            (
                "shale_connections_refused",
                "Connections refused at their address's cap with every one busy, since startup",
                to_i64(self.connections.counts.refused.load(Relaxed)),
            ),
            (
                "shale_engine_calls_queued",
                "Engine calls running or waiting on the blocking pool now",
                to_i64(queued as u64),
            ),
        ]
    }

    /// This state with `execute` in place of [`dispatch::execute`], for fault injection.
    #[cfg(test)]
    fn with_execute(self, execute: Execute) -> Self {
        AppState { execute, ..self }
    }
}

/// Largest request body a request may have to run inline (see [`runs_inline`]). Parsing
/// runs at a few hundred MB/s, so a body this size costs at most a couple of hundred µs of
/// JSON work on the event loop; a typical single-item call (a few KB) costs a few µs.
/// Larger bodies (a 400 KB item, a 16 MB batch) go to the blocking pool.
pub const MAX_INLINE_BODY_BYTES: usize = 64 * 1024;

/// Whether `op`, with a body of `body_len` bytes, runs on the event-loop thread instead of
/// tokio's blocking pool.
///
/// Handing a request to another thread and back costs two wake-ups (tens of µs each on a
/// VM, the larger part of a GetItem's time), so calls whose cost is small and bounded run
/// inline; everything else goes to the blocking pool, so no request holds an event-loop
/// thread for long. Inline means all of:
/// - the body is at most [`MAX_INLINE_BODY_BYTES`], which bounds the JSON parsing;
/// - the operation touches one item, only the catalog or nothing: GetItem, DescribeTable,
///   DescribeTimeToLive, DescribeLimits and DescribeEndpoints always, and
///   PutItem/UpdateItem/DeleteItem only when they cannot block (`writes_may_block()`
///   false, asked only for these: always in memory; on disk under
///   `--durability buffered` while the engine has no backlog, `Db::writes_may_wait`).
///   With `--durability sync` a write waits for an fdatasync (hundreds of µs,
///   milliseconds behind a flush), and in either mode for the engine's write slowdowns
///   and stalls when compaction falls behind (up to minutes, which would freeze every
///   connection on the loop): those writes run on the blocking pool. A buffered write
///   with no backlog costs its own work and a `write(2)` to the page cache, except the
///   one that crosses into a new WAL segment (one in 64 MiB of log), which waits for
///   two fdatasyncs; a write that must wait for another's item lock waits at most for
///   that write, which found no backlog either or began before it cleared.
///
/// On disk a GetItem stays inline. Its cost is bounded: the SSTables' indexes and bloom
/// filters are in memory, so one GetItem reads at most one data block from each
/// table whose key range and bloom filter admit the key (normally one), and a block-cache
/// miss is one pread of about 4 KB, from the page cache (µs) or the disk (about 25 µs on
/// the development machine). Its response is at most one 400 KB item. That is the same
/// order as the hand-off it saves. What is not bounded is a failing or stalled disk: then
/// an event loop waits for the pread, with its connections, while the other loops keep
/// serving theirs.
/// Queries, scans, batches, ListTables and the rest of the control plane never run inline;
/// nor do the backup and point-in-time recovery operations: CreateBackup takes a backend
/// checkpoint (on disk, a memtable flush and then the checkpoint's files), the restores
/// create a table and open a past view or a checkpoint, ListBackups scans the backup
/// records, and even the describes read records from the backend rather than from the
/// in-memory catalog. Nor do exports and imports: ExportTableToPointInTime and
/// ImportTable run to their end inside the call (a whole table written to or read from
/// files), and their describes and lists read records from the backend.
pub fn runs_inline(
    op: Operation,
    body_len: usize,
    writes_may_block: impl FnOnce() -> bool,
) -> bool {
    if body_len > MAX_INLINE_BODY_BYTES {
        return false;
    }
    match op {
        Operation::GetItem
        | Operation::DescribeTable
        | Operation::DescribeTimeToLive
        | Operation::DescribeLimits
        | Operation::DescribeEndpoints => true,
        Operation::PutItem | Operation::UpdateItem | Operation::DeleteItem => !writes_may_block(),
        _ => false,
    }
}

/// The hyper service function.
///
/// # Errors
/// Never: every failure becomes an HTTP response.
/// `slot` is the connection's: the request marks it as reading a body, then busy, then
/// (when the response is built) idle again, so the registry knows whom it may close.
/// `local` is the address the connection was accepted on, the server's address when the
/// request names none (`Host`).
pub async fn handle(
    state: Arc<AppState>,
    slot: Arc<Slot>,
    local: Option<SocketAddr>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let phase = RequestPhase::start(slot);
    let request_id = state.request_ids.next_id();
    let cors = Cors::for_request(req.method(), req.headers());
    let endpoint = endpoint_address(req.headers(), local);
    let response = match (req.method(), req.uri().path()) {
        (&Method::POST, CLOCK_ADVANCE_PATH) => advance_clock(&state, req.uri().query()),
        (&Method::POST, _) => api(&state, &phase, req, &request_id, &endpoint).await,
        (&Method::OPTIONS, _) => respond_empty(StatusCode::OK),
        // DynamoDB's health check (and Alternator's, which copies it): the host asked for.
        (&Method::GET, "/") => respond(
            StatusCode::OK,
            "text/plain",
            format!("healthy: {endpoint}").into_bytes(),
        ),
        (&Method::GET, "/healthz") => respond(StatusCode::OK, "text/plain", b"ok\n".to_vec()),
        (&Method::GET, "/debug/partitions") => debug_partitions(&state).await,
        (&Method::GET, "/metrics") => {
            // The backend's figures stat files (the history's disk use): off the event loop.
            let s = Arc::clone(&state);
            match state
                .spawn_blocking(move || {
                    let mut text = s.metrics.render_with_backend(&s.db.backend().stats());
                    Metrics::render_gauges(&mut text, &s.server_gauges());
                    Metrics::render_capacity(&mut text, &s.db.capacity_views());
                    text
                })
                .await
            {
                Ok(text) => respond(StatusCode::OK, metrics::CONTENT_TYPE, text.into_bytes()),
                Err(_) => respond(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    b"metrics failed\n".to_vec(),
                ),
            }
        }
        _ => not_found(),
    };
    let mut response = with_request_id(response, &request_id);
    cors.apply(response.headers_mut());
    Ok(response)
}

/// The longest `Host` value taken as the server's address; a longer one is not a host name
/// (DNS names are at most 253 characters), and the accepted address stands in.
const MAX_HOST_CHARS: usize = 260;

/// The address the client reached the server at, `host[:port]`: its `Host` header (what
/// DynamoDB and Alternator echo in `GET /`), else the address the connection was accepted
/// on, else `localhost`. Used by `GET /` and DescribeEndpoints.
fn endpoint_address(headers: &HeaderMap, local: Option<SocketAddr>) -> String {
    headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|h| !h.is_empty() && h.len() <= MAX_HOST_CHARS)
        .map(str::to_string)
        .or_else(|| local.map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".to_string())
}

/// `GET /debug/partitions`: capacity admission's partition view of every table, as JSON
/// (`Database::capacity_views`): each table's and GSI's partitions with their hash
/// ranges, shares, burst balances, consumed units and throttled requests. Built off the
/// event loop, like `/metrics`.
async fn debug_partitions(state: &Arc<AppState>) -> Response<Full<Bytes>> {
    let s = Arc::clone(state);
    match state
        .spawn_blocking(move || serde_json::to_vec_pretty(&s.db.capacity_views()))
        .await
    {
        Ok(Ok(body)) => respond(StatusCode::OK, "application/json", body),
        _ => respond(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            b"partition view failed\n".to_vec(),
        ),
    }
}

/// Where a test moves a `--manual-clock` server's time forward.
pub const CLOCK_ADVANCE_PATH: &str = "/_shale/clock/advance";
/// The most one call may move the clock: 400 days (past every retention window).
pub const CLOCK_ADVANCE_MAX_SECS: u64 = 400 * 86_400;

/// `POST /_shale/clock/advance?seconds=N`: moves a `--manual-clock` server's time forward
/// by N seconds (at most [`CLOCK_ADVANCE_MAX_SECS`]) and answers the new time in
/// microseconds since the epoch. Without `--manual-clock` it is 404, like any unknown
/// path, so a production server exposes nothing. Tests use it to roll stream shards,
/// expire iterators and TTL items, and move PITR windows without waiting.
fn advance_clock(state: &AppState, query: Option<&str>) -> Response<Full<Bytes>> {
    let Some(clock) = &state.manual_clock else {
        return not_found();
    };
    let secs = query
        .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("seconds=")))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&s| s <= CLOCK_ADVANCE_MAX_SECS);
    match secs {
        Some(s) => {
            clock.advance_secs(s);
            respond(
                StatusCode::OK,
                "text/plain",
                format!("{}\n", shale_io::clock::Clock::now_micros(clock)).into_bytes(),
            )
        }
        None => respond(
            StatusCode::BAD_REQUEST,
            "text/plain",
            format!("expected ?seconds=N with N at most {CLOCK_ADVANCE_MAX_SECS}\n").into_bytes(),
        ),
    }
}

/// Marks a connection's phases through one request; back to idle when dropped (the
/// response is built: what remains is the client reading it).
struct RequestPhase(Arc<Slot>);

impl RequestPhase {
    fn start(slot: Arc<Slot>) -> Self {
        slot.set_busy();
        RequestPhase(slot)
    }
}

impl Drop for RequestPhase {
    fn drop(&mut self) {
        self.0.set_idle();
    }
}

/// The DynamoDB JSON-RPC endpoint.
async fn api(
    state: &AppState,
    phase: &RequestPhase,
    req: Request<Incoming>,
    request_id: &str,
    endpoint: &str,
) -> Response<Full<Bytes>> {
    let Some(reply_type) = reply_content_type(&req) else {
        return not_found();
    };
    let target = parse_target(
        req.headers()
            .get("x-amz-target")
            .and_then(|v| v.to_str().ok()),
    );
    let declared_len = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let coding = content_coding::request_coding(
        req.headers()
            .get_all(CONTENT_ENCODING)
            .iter()
            .map(HeaderValue::as_bytes),
    );
    let accepted = content_coding::negotiate(
        req.headers()
            .get_all(ACCEPT_ENCODING)
            .iter()
            .map(HeaderValue::as_bytes),
    );
    let started = Instant::now();
    let (operation_name, table, result) =
        if declared_len.is_some_and(|n| n > MAX_REQUEST_BODY_BYTES as u64) {
            // Refuse before reading a byte of it.
            (
                target_name(target),
                NO_TABLE.to_string(),
                Err(ApiError::BodyTooLarge {
                    limit_bytes: MAX_REQUEST_BODY_BYTES,
                }),
            )
        } else {
            phase.0.set_reading_body();
            let deadline = state
                .limits
                .body_deadline(declared_len, MAX_REQUEST_BODY_BYTES as u64);
            let body = match tokio::time::timeout(deadline, read_body(req, declared_len)).await {
                Ok(read) => read,
                Err(_) => Err(ApiError::BodyTimeout {
                    seconds: deadline.as_secs(),
                }),
            };
            phase.0.set_busy();
            match body {
                Err(e) => (target_name(target), NO_TABLE.to_string(), Err(e)),
                Ok(body) => run_target(state, target, coding, body, endpoint).await,
            }
        };
    let (response, outcome) = match result {
        Ok(body) => (
            respond_encoded(state, StatusCode::OK, reply_type, body, accepted).await,
            "ok",
        ),
        Err(e) => {
            let status = e.status();
            if status.is_server_error() {
                tracing::error!(request_id, operation = operation_name, error = %e, "internal error");
            } else {
                tracing::debug!(request_id, operation = operation_name, error = %e, "request failed");
            }
            let mut response = respond_encoded(state, status, reply_type, e.body(), accepted).await;
            if matches!(
                e,
                ApiError::BodyTooLarge { .. } | ApiError::BodyTimeout { .. }
            ) {
                // The unread rest of the body would be parsed as the next request.
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            (response, e.exception_name())
        }
    };
    // A table gets its own label only if it exists: a succeeded request named one (or
    // created it); for a failed one the catalog is asked. Requests for tables that do not
    // exist thus cannot use up the label slots.
    // ListBackups, DescribeBackup and DeleteBackup can succeed for a table that no longer
    // exists (or never did): their success proves nothing, so the catalog is asked.
    let succeeded = response.status() == StatusCode::OK
        && matches!(target, Target::Implemented(op) if op.success_proves_table());
    state.metrics.record(
        operation_name,
        &table,
        || succeeded || table_exists(&state.db, &table),
        outcome,
        started.elapsed(),
    );
    response
}

/// What a read body becomes: the target's answer, after decoding the body when it came
/// with a `Content-Encoding` (on the blocking pool: a body's decoded size, and so the
/// work, is unknown until it is decoded). Returns the operation's name, the table label
/// and the result.
async fn run_target(
    state: &AppState,
    target: Target,
    coding: Result<Option<ContentCoding>, ApiError>,
    body: Vec<u8>,
    endpoint: &str,
) -> (&'static str, String, Result<Vec<u8>, ApiError>) {
    let op = match target {
        Target::Unknown => {
            return (
                "Unknown",
                NO_TABLE.to_string(),
                Err(ApiError::UnknownOperation),
            )
        }
        Target::NotImplemented(operation) => {
            return (
                operation,
                NO_TABLE.to_string(),
                Err(ApiError::NotImplemented { operation }),
            )
        }
        Target::Implemented(op) => op,
    };
    let body = match coding {
        Ok(None) => body,
        Ok(Some(coding)) => {
            match offload(state, move || content_coding::decode_body(coding, &body)).await {
                Ok(Ok(decoded)) => decoded,
                Ok(Err(e)) => return (op.name(), NO_TABLE.to_string(), Err(e)),
                Err(refused) => {
                    return (
                        op.name(),
                        NO_TABLE.to_string(),
                        Err(refused.into_error(state, op)),
                    )
                }
            }
        }
        Err(e) => return (op.name(), NO_TABLE.to_string(), Err(e)),
    };
    let writes_may_block = || state.write_waits.now();
    if runs_inline(op, body.len(), writes_may_block) {
        let outcome = execute_inline(state, op, &body, endpoint);
        (op.name(), outcome.table, outcome.result)
    } else {
        let (table, result) = execute_blocking(state, op, body, endpoint.to_string()).await;
        (op.name(), table, result)
    }
}

/// Why [`offload`] did not run its work.
enum Refused {
    /// The engine queue is full.
    QueueFull,
    /// The task panicked or was cancelled.
    Failed(tokio::task::JoinError),
}

impl Refused {
    /// The error the request `op` gets for it.
    fn into_error(self, state: &AppState, op: Operation) -> ApiError {
        match self {
            Refused::QueueFull => ApiError::EngineQueueFull {
                limit: state.limits.max_queued_engine_calls,
            },
            Refused::Failed(e) => ApiError::TaskFailed {
                operation: op.name(),
                detail: e.to_string(),
            },
        }
    }
}

/// Runs `work` on the blocking pool, if the engine queue has room: work that may block
/// (disk, WAL sync, long scans) or burn CPU (decoding, compressing) stays off the event
/// loop so one slow request never stalls the others, and at most
/// [`ServerLimits::max_queued_engine_calls`] wait for the pool's threads.
async fn offload<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    let permit = engine_slot(state).ok_or(Refused::QueueFull)?;
    on_blocking_pool(state, permit, work).await
}

/// A place in the engine queue, if it has room.
fn engine_slot(state: &AppState) -> Option<OwnedSemaphorePermit> {
    Arc::clone(&state.engine_slots).try_acquire_owned().ok()
}

/// Runs `work` on the blocking pool, holding `permit` until it is done.
async fn on_blocking_pool<T: Send + 'static>(
    state: &AppState,
    permit: OwnedSemaphorePermit,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refused> {
    let task = state.spawn_blocking(move || {
        let done = work();
        drop(permit);
        done
    });
    task.await.map_err(Refused::Failed)
}

/// Runs `op` on the blocking pool ([`offload`]). A request that finds the queue full is
/// answered at once with a ThrottlingException ([`ApiError::EngineQueueFull`]).
async fn execute_blocking(
    state: &AppState,
    op: Operation,
    body: Vec<u8>,
    endpoint: String,
) -> (String, Result<Vec<u8>, ApiError>) {
    let db = Arc::clone(&state.db);
    let execute = state.execute;
    match offload(state, move || execute(&db, op, &body, &endpoint)).await {
        Ok(outcome) => (outcome.table, outcome.result),
        Err(refused) => (NO_TABLE.to_string(), Err(refused.into_error(state, op))),
    }
}

/// The largest response compressed on the event-loop thread; larger ones are compressed
/// on the blocking pool. At [`content_coding::COMPRESSION_LEVEL`] 16 KiB of JSON takes
/// tens of µs (25 µs with zlib on the development machine), the order of a hand-off to
/// the pool and back; a 1 MB Scan page takes milliseconds, which must not hold an
/// event-loop thread.
pub const MAX_INLINE_COMPRESS_BYTES: usize = 16 * 1024;

/// A response of `body`, compressed in `accepted` when there is one and the body is at
/// least [`COMPRESSION_THRESHOLD_BYTES`], with `Content-Encoding` set. Compression is an
/// offer, not a promise: when the engine queue is full or compressing fails, the body goes
/// as it is. `X-Amz-Crc32` is that of the bytes sent (see [`crate::content_coding`]).
async fn respond_encoded(
    state: &AppState,
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
    accepted: Option<ContentCoding>,
) -> Response<Full<Bytes>> {
    let Some(coding) = accepted.filter(|_| body.len() >= COMPRESSION_THRESHOLD_BYTES) else {
        return respond(status, content_type, body);
    };
    let (body, compressed) = if body.len() <= MAX_INLINE_COMPRESS_BYTES {
        let compressed = content_coding::encode_body(coding, &body).ok();
        (body, compressed)
    } else {
        let Some(permit) = engine_slot(state) else {
            return respond(status, content_type, body);
        };
        let compressing = move || {
            let compressed = content_coding::encode_body(coding, &body).ok();
            (body, compressed)
        };
        match on_blocking_pool(state, permit, compressing).await {
            Ok(done) => done,
            // Compressing a buffer panicked (a bug), and the body went with the task.
            Err(refused) => {
                let detail = match refused {
                    Refused::Failed(e) => e.to_string(),
                    Refused::QueueFull => "the engine queue is full".to_string(),
                };
                let e = ApiError::TaskFailed {
                    operation: "compressing a response",
                    detail,
                };
                return respond(e.status(), content_type, e.body());
            }
        }
    };
    match compressed {
        Some(compressed) => {
            let mut response = respond(status, content_type, compressed);
            response
                .headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.name()));
            response
        }
        None => respond(status, content_type, body),
    }
}

/// Runs `op` on the event-loop thread, with a panic in the engine call caught as tokio
/// catches one on the blocking pool: the request gets a 500 InternalServerError and the
/// connection serves the next one. Uncaught, the panic would unwind through hyper and end
/// the connection (and every request pipelined on it) without an answer.
///
/// `AssertUnwindSafe` claims no more than the blocking path already relies on: the
/// `Database` is shared with every other request, which go on using it after a panic, and
/// its locks (parking_lot) do not poison.
fn execute_inline(state: &AppState, op: Operation, body: &[u8], endpoint: &str) -> Outcome {
    match catch_unwind(AssertUnwindSafe(|| {
        (state.execute)(&state.db, op, body, endpoint)
    })) {
        Ok(outcome) => outcome,
        Err(payload) => Outcome {
            table: NO_TABLE.to_string(),
            result: Err(ApiError::TaskFailed {
                operation: op.name(),
                detail: panic_detail(payload.as_ref()),
            }),
        },
    }
}

/// A caught panic's message, worded as tokio words a panicked blocking task.
fn panic_detail(payload: &(dyn Any + Send)) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    match message {
        Some(m) => format!("panicked with message {m:?}"),
        None => "panicked".to_string(),
    }
}

/// Whether the catalog has `table` now.
fn table_exists(db: &Database, table: &str) -> bool {
    db.describe_table(DescribeTableInput {
        table_name: table.to_string(),
    })
    .is_ok()
}

/// The content type to answer with, or `None` when the request's content type is not one
/// DynamoDB accepts (DynamoDB then answers 404). Parameters such as `; charset=utf-8` are
/// ignored.
fn reply_content_type(req: &Request<Incoming>) -> Option<&'static str> {
    let value = req.headers().get(CONTENT_TYPE)?.to_str().ok()?;
    let media_type = value.split(';').next().unwrap_or("").trim();
    if media_type.eq_ignore_ascii_case(AMZ_JSON_CONTENT_TYPE) {
        Some(AMZ_JSON_CONTENT_TYPE)
    } else if media_type.eq_ignore_ascii_case(JSON_CONTENT_TYPE) {
        Some(JSON_CONTENT_TYPE)
    } else {
        None
    }
}

/// The body, gathered into one buffer as its frames arrive.
///
/// Each frame is copied out and dropped at once, so the connection holds the bytes the
/// client has sent and no more: keeping the frames (as `Collected` does) kept each one's
/// whole read buffer alive, about 8 KB for a body sent a byte per TCP segment. The buffer
/// starts at the declared length, capped at [`INITIAL_BODY_CAPACITY`] so a client cannot
/// reserve memory by declaring a size it never sends, and grows as data arrives.
async fn read_body(req: Request<Incoming>, declared_len: Option<u64>) -> Result<Vec<u8>, ApiError> {
    let initial = declared_len.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let mut buffer = Vec::with_capacity(initial.min(INITIAL_BODY_CAPACITY));
    let mut body = req.into_body();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ApiError::BodyRead {
            detail: e.to_string(),
        })?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        if buffer.len() + data.len() > MAX_REQUEST_BODY_BYTES {
            return Err(ApiError::BodyTooLarge {
                limit_bytes: MAX_REQUEST_BODY_BYTES,
            });
        }
        buffer.extend_from_slice(&data);
    }
    Ok(buffer)
}

/// The most a body buffer reserves before data arrives.
const INITIAL_BODY_CAPACITY: usize = 16 * 1024;

fn target_name(target: Target) -> &'static str {
    match target {
        Target::Implemented(op) => op.name(),
        Target::NotImplemented(name) => name,
        Target::Unknown => "Unknown",
    }
}

fn not_found() -> Response<Full<Bytes>> {
    respond(StatusCode::NOT_FOUND, "text/plain", NOT_FOUND_BODY.to_vec())
}

/// A response with DynamoDB's CRC header: `X-Amz-Crc32` is the CRC32 (IEEE) of the exact
/// body bytes, in decimal. SDKs that check it (Go v2, boto3 for DynamoDB) retry on mismatch.
fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("x-amz-crc32", HeaderValue::from(crc));
    response
}

/// An empty response (the CORS preflight's): no content type, CRC of nothing.
fn respond_empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert("x-amz-crc32", HeaderValue::from(crc32fast::hash(&[])));
    response
}

fn with_request_id(mut response: Response<Full<Bytes>>, request_id: &str) -> Response<Full<Bytes>> {
    if let Ok(v) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

/// The integration tests' raw HTTP/1.1 client, for the in-process tests below.
#[cfg(test)]
#[path = "../tests/common/http.rs"]
mod test_client;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::test_client::{Client, Response};
    use super::*;
    use crate::cli::StorageMode;
    use crate::server::{serve, ShutdownOutcome};
    use crate::storage::Storage;

    const SMALL: usize = 1024;

    #[test]
    fn small_single_item_reads_run_inline_in_both_modes() {
        for on_disk in [false, true] {
            for op in [
                Operation::GetItem,
                Operation::DescribeTable,
                Operation::DescribeTimeToLive,
            ] {
                assert!(
                    runs_inline(op, SMALL, || on_disk),
                    "{op:?}, on disk: {on_disk}"
                );
                assert!(runs_inline(op, MAX_INLINE_BODY_BYTES, || on_disk), "{op:?}");
            }
        }
    }

    #[test]
    fn single_item_writes_run_inline_only_when_they_cannot_block() {
        for op in [
            Operation::PutItem,
            Operation::UpdateItem,
            Operation::DeleteItem,
        ] {
            assert!(runs_inline(op, SMALL, || false), "{op:?} in memory");
            assert!(!runs_inline(op, SMALL, || true), "{op:?} on disk");
        }
    }

    /// Off-loop calls go to the one pool `AppState::blocking` names, whichever runtime
    /// (event loop) the request is served on.
    #[test]
    fn blocking_calls_run_on_the_shared_pool() {
        let storage = Storage::open(&StorageMode::InMemory).expect("in-memory storage");
        let pool = tokio::runtime::Builder::new_current_thread()
            .thread_name("shared-pool")
            .build()
            .expect("a runtime");
        let mut state = AppState::new(&storage, 0);
        state.blocking = Some(pool.handle().clone());
        let event_loop = tokio::runtime::Builder::new_current_thread()
            .thread_name("a-loop")
            .build()
            .expect("a runtime");
        let ran_on = event_loop.block_on(async {
            state
                .spawn_blocking(|| std::thread::current().name().map(str::to_owned))
                .await
                .expect("the task ran")
        });
        assert_eq!(ran_on.as_deref(), Some("shared-pool"));
    }

    #[test]
    fn large_bodies_never_run_inline() {
        for op in Operation::ALL {
            for on_disk in [false, true] {
                assert!(
                    !runs_inline(op, MAX_INLINE_BODY_BYTES + 1, || on_disk),
                    "{op:?}, on disk: {on_disk}"
                );
            }
        }
    }

    #[test]
    fn multi_item_and_control_plane_calls_never_run_inline() {
        for op in [
            Operation::Query,
            Operation::Scan,
            Operation::BatchGetItem,
            Operation::BatchWriteItem,
            Operation::CreateTable,
            Operation::UpdateTable,
            Operation::DeleteTable,
            Operation::ListTables,
            Operation::UpdateTimeToLive,
            Operation::UpdateContinuousBackups,
            Operation::DescribeContinuousBackups,
            Operation::RestoreTableToPointInTime,
            Operation::CreateBackup,
            Operation::DescribeBackup,
            Operation::ListBackups,
            Operation::DeleteBackup,
            Operation::RestoreTableFromBackup,
            Operation::ExportTableToPointInTime,
            Operation::DescribeExport,
            Operation::ListExports,
            Operation::ImportTable,
            Operation::DescribeImport,
            Operation::ListImports,
        ] {
            for on_disk in [false, true] {
                assert!(!runs_inline(op, SMALL, || on_disk), "{op:?}");
            }
        }
    }

    /// A server on `state`, in process, on a one-worker runtime with at most
    /// `blocking_threads` blocking threads, with a table `table` created through it.
    struct InProcess {
        runtime: tokio::runtime::Runtime,
        addr: std::net::SocketAddr,
        stop: tokio::sync::oneshot::Sender<()>,
        server: tokio::task::JoinHandle<ShutdownOutcome>,
    }

    impl InProcess {
        fn start(state: &Arc<AppState>, blocking_threads: usize, table: &str) -> InProcess {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .max_blocking_threads(blocking_threads)
                .enable_all()
                .build()
                .expect("a runtime");
            let listener = runtime
                .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
                .expect("bind");
            let addr = listener.local_addr().expect("local address");
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = runtime.spawn(serve(listener, Arc::clone(state), async {
                let _ = stopped.await;
            }));
            let created = Client::connect(addr)
                .expect("connect")
                .call(
                    "CreateTable",
                    &json!({
                        "TableName": table,
                        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                        "BillingMode": "PAY_PER_REQUEST"
                    }),
                )
                .expect("CreateTable");
            assert_eq!(
                created.status,
                200,
                "{}",
                String::from_utf8_lossy(&created.body)
            );
            InProcess {
                runtime,
                addr,
                stop,
                server,
            }
        }

        /// Shuts down and says how.
        fn stop(self) -> ShutdownOutcome {
            let _ = self.stop.send(());
            self.runtime
                .block_on(self.server)
                .expect("the server task ends")
        }
    }

    /// Scans that have entered [`scans_wait_for_release`], and the gate they wait at.
    static SCANS_ENTERED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static SCANS_RELEASED: std::sync::atomic::AtomicBool =
        std::sync::atomic::AtomicBool::new(false);

    /// An engine call whose Scans wait (at most 30 s) until released, holding their
    /// engine-queue slots; everything else runs for real.
    fn scans_wait_for_release(
        db: &Database,
        op: Operation,
        body: &[u8],
        endpoint: &str,
    ) -> Outcome {
        use std::sync::atomic::Ordering;
        if op == Operation::Scan {
            SCANS_ENTERED.fetch_add(1, Ordering::SeqCst);
            for _ in 0..30_000 {
                if SCANS_RELEASED.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        dispatch::execute(db, op, body, endpoint)
    }

    /// Issue 16, case 3: the blocking pool grew a thread per waiting engine call. Now at
    /// most `max_queued_engine_calls` are admitted; the next request is answered at once
    /// with a ThrottlingException, and inline calls (GetItem) are not held up at all.
    #[test]
    fn a_full_engine_queue_answers_throttling_at_once() {
        use std::sync::atomic::Ordering;
        let storage = Storage::open(&StorageMode::InMemory).expect("in-memory storage");
        let limits = ServerLimits {
            max_queued_engine_calls: 2,
            ..ServerLimits::default()
        };
        let state = Arc::new(
            AppState::with_limits(&storage, 0, limits).with_execute(scans_wait_for_release),
        );
        let server = InProcess::start(&state, 2, "Queued");
        let addr = server.addr;
        let mut c = Client::connect(addr).expect("connect");
        let scan = json!({"TableName": "Queued"});
        let held: Vec<_> = (0..2)
            .map(|_| {
                let scan = scan.clone();
                std::thread::spawn(move || {
                    let mut c = Client::connect(addr).expect("connect");
                    c.call("Scan", &scan).expect("Scan")
                })
            })
            .collect();
        for _ in 0..30_000 {
            if SCANS_ENTERED.load(Ordering::SeqCst) == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(SCANS_ENTERED.load(Ordering::SeqCst), 2);

        let r = c
            .call("Scan", &scan)
            .expect("an answer while the queue is full");
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
        let v = r.json();
        assert_eq!(
            v["__type"],
            "com.amazonaws.dynamodb.v20120810#ThrottlingException"
        );
        assert!(
            v["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Rate of requests exceeds the allowed throughput")),
            "{v}"
        );
        let get = c
            .call(
                "GetItem",
                &json!({"TableName": "Queued", "Key": {"pk": {"S": "a"}}}),
            )
            .expect("GetItem runs inline, queue or not");
        assert_eq!(get.status, 200);

        SCANS_RELEASED.store(true, Ordering::SeqCst);
        for scan in held {
            assert_eq!(scan.join().expect("scan thread").status, 200);
        }
        let r = c.call("Scan", &scan).expect("Scan after the queue drained");
        assert_eq!(r.status, 200);
        assert!(state
            .metrics
            .render()
            .contains("outcome=\"ThrottlingException\"} 1\n"));
        drop(c);
        assert_eq!(server.stop(), ShutdownOutcome::Drained);
        storage.close().expect("close");
    }

    /// An engine call that panics for GetItem (inline in both modes) and Query (always on
    /// the blocking pool) and runs everything else for real.
    fn panics_on_get_item_and_query(
        db: &Database,
        op: Operation,
        body: &[u8],
        endpoint: &str,
    ) -> Outcome {
        match op {
            Operation::GetItem | Operation::Query => panic!("injected panic in {}", op.name()),
            _ => dispatch::execute(db, op, body, endpoint),
        }
    }

    fn assert_internal_server_error(r: &Response, op: &str) {
        assert_eq!(r.status, 500, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("content-type"), Some(AMZ_JSON_CONTENT_TYPE));
        let v = r.json();
        assert_eq!(
            v["__type"], "com.amazonaws.dynamodb.v20120810#InternalServerError",
            "{v}"
        );
        let message = v["message"].as_str().expect("a message");
        assert!(
            message.starts_with(&format!("the engine task for {op} did not complete"))
                && message.contains(&format!("injected panic in {op}")),
            "{message}"
        );
        assert_eq!(v.as_object().map(|o| o.len()), Some(2), "{v}");
    }

    /// A panic in an engine call running inline on the event loop is answered like one on
    /// the blocking pool: 500 with DynamoDB's InternalServerError shape, and the same
    /// keep-alive connection serves the next request. (Unwinding through hyper used to end
    /// the connection without an answer.)
    #[test]
    fn a_panicking_request_gets_a_500_and_keeps_its_connection_inline_or_not() {
        let storage = Storage::open(&StorageMode::InMemory).expect("in-memory storage");
        let state = Arc::new(AppState::new(&storage, 0).with_execute(panics_on_get_item_and_query));
        let server = InProcess::start(&state, 512, "Users");
        let mut c = Client::connect(server.addr).expect("connect");
        let get = json!({"TableName": "Users", "Key": {"pk": {"S": "a"}}});
        assert!(runs_inline(
            Operation::GetItem,
            get.to_string().len(),
            || state.write_waits.now()
        ));
        let r = c
            .call("GetItem", &get)
            .expect("an answer, not a dropped connection");
        assert_internal_server_error(&r, "GetItem");
        let put = c
            .call(
                "PutItem",
                &json!({"TableName": "Users", "Item": {"pk": {"S": "a"}}}),
            )
            .expect("the same connection serves the next request");
        assert_eq!(put.status, 200);

        // The blocking path, for comparison: the same answer, the same connection.
        let query = json!({
            "TableName": "Users",
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": "a"}}
        });
        assert!(!runs_inline(
            Operation::Query,
            query.to_string().len(),
            || state.write_waits.now()
        ));
        let r = c.call("Query", &query).expect("an answer");
        assert_internal_server_error(&r, "Query");
        let listed = c.call("ListTables", &json!({})).expect("ListTables");
        assert_eq!(listed.status, 200);

        let text = state.metrics.render();
        for op in ["GetItem", "Query"] {
            let line = format!(
                "shale_requests_total{{operation=\"{op}\",table=\"\",\
                 outcome=\"InternalServerError\"}} 1\n"
            );
            assert!(text.contains(&line), "{line:?} missing from {text}");
        }
        drop(c);
        assert_eq!(server.stop(), ShutdownOutcome::Drained);
        storage.close().expect("close");
    }
}
