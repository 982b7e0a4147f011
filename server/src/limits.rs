//! The server's resource limits: how many connections, how slow a client may be, how many
//! engine calls may wait. Every one is a flag (see [`crate::cli::USAGE`]) with the default
//! below, and `docs/server.md` lists them.
//!
//! The aim: no client, however slow or numerous, can take the server from the others.
//! - A client that holds a connection without sending (slowloris, idle keep-alive,
//!   a body dribbled a byte at a time) is *waiting*; a waiting connection is closed when
//!   its time runs out ([`ServerLimits::idle_timeout`], [`ServerLimits::body_deadline`]),
//!   and earlier when a new client needs its slot ([`crate::connections`]).
//! - Memory per connection is bounded by the bytes the client has actually sent (the body
//!   is gathered into one buffer, see [`crate::http`]), never by the chunks it was sent in.
//! - Engine calls that leave the event loop wait in a bounded queue
//!   ([`ServerLimits::max_queued_engine_calls`]) for a bounded pool of threads
//!   ([`ServerLimits::blocking_threads`]); a request that finds the queue full is answered
//!   at once with a ThrottlingException instead of waiting without bound.

use std::time::Duration;

/// Every limit, with [`Default`] giving the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Connections served at once. At the cap, a new connection takes the slot of the
    /// connection that has waited longest for its client; if every connection is busy in
    /// the engine, it waits in the accept backlog.
    pub max_connections: usize,
    /// Connections served at once from one IP address. At the cap, that address's own
    /// longest-waiting connection is closed to make room; if all of them are busy, the new
    /// connection is closed.
    pub max_connections_per_peer: usize,
    /// A connection that has not started a request (or finished sending a request's
    /// headers) for this long is closed: idle keep-alive connections and slowloris alike.
    pub idle_timeout: Duration,
    /// Time every request body gets, whatever its size (see [`Self::body_deadline`]).
    pub body_read_timeout: Duration,
    /// The slowest body transfer accepted, in bytes per second, on top of
    /// [`Self::body_read_timeout`].
    pub min_body_bytes_per_sec: u64,
    /// Threads in the pool that runs engine calls off the event loop (queries, scans,
    /// batches, control plane, and writes that wait for a WAL sync).
    pub blocking_threads: usize,
    /// Engine calls admitted to that pool at once, running or queued. Beyond it a request
    /// gets a ThrottlingException: SDKs retry it with backoff.
    pub max_queued_engine_calls: usize,
}

/// The default [`ServerLimits::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// The default [`ServerLimits::max_connections_per_peer`]: a quarter of the total, so one
/// address cannot hold every slot, yet a load generator on loopback gets plenty.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 1024;
/// The default [`ServerLimits::idle_timeout`]: an AWS load balancer's default idle timeout.
/// The SDKs keep pooled connections for less (botocore and the JS SDK v3 reuse a socket
/// only while in use; the Java SDK's default max idle time is 60 s too).
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The default [`ServerLimits::body_read_timeout`].
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default [`ServerLimits::min_body_bytes_per_sec`]: 64 KiB/s, so the largest request
/// (16 MB) may take about four minutes, and a 1 KB item does not notice.
pub const DEFAULT_MIN_BODY_BYTES_PER_SEC: u64 = 64 * 1024;
/// The default [`ServerLimits::blocking_threads`]. Enough that on-disk writes waiting for
/// one group-commit fdatasync fill the next group, few enough that their stacks stay small
/// (tokio's own default is 512, which is how 200 connections made 450 threads).
pub const DEFAULT_BLOCKING_THREADS: usize = 64;
/// The default [`ServerLimits::max_queued_engine_calls`].
pub const DEFAULT_MAX_QUEUED_ENGINE_CALLS: usize = 1024;

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            min_body_bytes_per_sec: DEFAULT_MIN_BODY_BYTES_PER_SEC,
            blocking_threads: DEFAULT_BLOCKING_THREADS,
            max_queued_engine_calls: DEFAULT_MAX_QUEUED_ENGINE_CALLS,
        }
    }
}

impl ServerLimits {
    /// How long a body of `declared_len` bytes (`None`: chunked, so the largest allowed,
    /// `max_len`) may take to arrive: [`Self::body_read_timeout`] plus the time the
    /// slowest accepted rate needs for it.
    pub fn body_deadline(&self, declared_len: Option<u64>, max_len: u64) -> Duration {
        let len = declared_len.unwrap_or(max_len).min(max_len);
        let rate = self.min_body_bytes_per_sec.max(1);
        let transfer = Duration::from_millis(len.saturating_mul(1000) / rate);
        self.body_read_timeout.saturating_add(transfer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_gets_the_base_timeout_plus_its_size_at_the_minimum_rate() {
        let limits = ServerLimits::default();
        let max = 17 * 1024 * 1024;
        assert_eq!(
            limits.body_deadline(Some(0), max),
            DEFAULT_BODY_READ_TIMEOUT
        );
        assert_eq!(
            limits.body_deadline(Some(640 * 1024), max),
            DEFAULT_BODY_READ_TIMEOUT + Duration::from_secs(10)
        );
        // Chunked bodies are allowed the largest size; a declared length beyond the
        // maximum is refused before the deadline matters, and does not stretch it.
        assert_eq!(
            limits.body_deadline(None, max),
            limits.body_deadline(Some(max), max)
        );
        assert_eq!(
            limits.body_deadline(Some(u64::MAX), max),
            limits.body_deadline(Some(max), max)
        );
    }

    #[test]
    fn a_zero_rate_is_read_as_one_byte_per_second_not_a_division_by_zero() {
        let limits = ServerLimits {
            min_body_bytes_per_sec: 0,
            ..ServerLimits::default()
        };
        assert_eq!(
            limits.body_deadline(Some(5), 100),
            DEFAULT_BODY_READ_TIMEOUT + Duration::from_secs(5)
        );
    }
}
