//! Who holds a connection, and whose turn it is to give it up.
//!
//! Every open connection has a [`Slot`] in the [`Connections`] registry, which says whether
//! it is *busy* (its request is in the engine, or its response is being built) or
//! *waiting* for its client (for a request's headers, for its body, for a keep-alive
//! request, for the client to read the response), and since when. When a new connection
//! would go over [`ServerLimits::max_connections`] (or its address over
//! [`ServerLimits::max_connections_per_peer`]), the connection that has waited longest for
//! its client is closed to make room. A client that holds sockets without using them
//! (slowloris, thousands of idle connections) thus cannot lock anyone out: its sockets are
//! the oldest waiting ones. Only when every connection is busy does a new one wait, and
//! then only for a busy one to finish.
//!
//! Invariants, all under the registry's one mutex:
//! - `live` holds exactly the admitted, not-yet-closed, not-evicted connections;
//! - `per_peer[ip]` is the number of them from `ip`, and has no zero entries.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::limits::ServerLimits;

/// [`Slot::phase`]'s value for a busy connection. Waiting phases store the milliseconds
/// since the registry's epoch at which the wait began, plus one, tagged by [`BODY_TAG`].
const BUSY: u64 = 0;
/// Set in a waiting phase whose wait is for a request body (timed by the body deadline,
/// not the idle timeout).
const BODY_TAG: u64 = 1 << 63;

/// One connection's entry.
#[derive(Debug)]
pub struct Slot {
    id: u64,
    peer: IpAddr,
    /// [`BUSY`], or `(since_ms + 1) | [BODY_TAG]`.
    phase: AtomicU64,
    epoch: Instant,
    evicted: AtomicBool,
    evict: Notify,
}

impl Slot {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX >> 2)
    }

    /// The connection is waiting for its client to send a request (or to read a response).
    pub fn set_idle(&self) {
        self.phase.store(self.now_ms() + 1, Ordering::Relaxed);
    }

    /// A request's headers arrived; the connection now waits for its body.
    pub fn set_reading_body(&self) {
        self.phase
            .store((self.now_ms() + 1) | BODY_TAG, Ordering::Relaxed);
    }

    /// The request is being served: the connection waits for nobody.
    pub fn set_busy(&self) {
        self.phase.store(BUSY, Ordering::Relaxed);
    }

    /// Since when (ms since the epoch) the connection has waited for its client, if it is.
    fn waiting_since(&self) -> Option<u64> {
        match self.phase.load(Ordering::Relaxed) {
            BUSY => None,
            tagged => Some((tagged & !BODY_TAG) - 1),
        }
    }

    /// How long the connection has been idle, if it is idle (not busy, not reading a body).
    pub fn idle_for(&self) -> Option<Duration> {
        let phase = self.phase.load(Ordering::Relaxed);
        if phase == BUSY || phase & BODY_TAG != 0 {
            return None;
        }
        Some(Duration::from_millis(
            self.now_ms().saturating_sub(phase - 1),
        ))
    }

    /// Completes once the registry has taken this connection's slot for another.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }

    /// Whether it has been.
    pub fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
struct Registry {
    next_id: u64,
    live: HashMap<u64, Arc<Slot>>,
    per_peer: HashMap<IpAddr, usize>,
}

impl Registry {
    fn remove(&mut self, slot: &Slot) -> bool {
        if self.live.remove(&slot.id).is_none() {
            return false;
        }
        if let Some(count) = self.per_peer.get_mut(&slot.peer) {
            *count -= 1;
            if *count == 0 {
                self.per_peer.remove(&slot.peer);
            }
        }
        true
    }

    /// The connection that has waited longest for its client, among those from `peer`
    /// (or all, for `None`).
    fn longest_waiting(&self, peer: Option<IpAddr>) -> Option<Arc<Slot>> {
        self.live
            .values()
            .filter(|s| peer.is_none_or(|p| s.peer == p))
            .filter_map(|s| s.waiting_since().map(|since| (since, s)))
            // Ties (the same millisecond) go to the older connection: deterministic, and
            // fair to the newcomer.
            .min_by_key(|(since, s)| (*since, s.id))
            .map(|(_, s)| Arc::clone(s))
    }

    fn evict(&mut self, victim: &Slot) {
        if self.remove(victim) {
            victim.evicted.store(true, Ordering::Relaxed);
            victim.evict.notify_one();
        }
    }
}

/// What [`Connections::admit`] decided.
#[derive(Debug)]
pub enum Admission {
    /// Serve the connection; dropping the guard gives its slot back.
    Admitted(ConnectionGuard),
    /// Close it: its address is at its cap and every one of its connections is busy.
    Refused,
}

/// Counts of what the registry has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnectionCounts {
    /// Connections closed to make room for another.
    pub evicted: AtomicU64,
    /// Connections refused because their address was at its cap with every one busy.
    pub refused: AtomicU64,
}

/// The registry of open connections.
#[derive(Debug)]
pub struct Connections {
    registry: Mutex<Registry>,
    released: Notify,
    epoch: Instant,
    max_connections: usize,
    max_per_peer: usize,
    /// What it has done.
    pub counts: ConnectionCounts,
}

impl Connections {
    /// A registry enforcing `limits`' connection caps (each at least 1).
    pub fn new(limits: &ServerLimits) -> Arc<Self> {
        Arc::new(Connections {
            registry: Mutex::new(Registry::default()),
            released: Notify::new(),
            epoch: Instant::now(),
            max_connections: limits.max_connections.max(1),
            max_per_peer: limits.max_connections_per_peer.max(1),
            counts: ConnectionCounts::default(),
        })
    }

    /// Open connections now.
    pub fn len(&self) -> usize {
        self.registry.lock().live.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Finds a slot for a new connection from `peer`, closing the longest-waiting
    /// connection when a cap is reached; waits only while every connection is busy.
    pub async fn admit(self: &Arc<Self>, peer: IpAddr) -> Admission {
        loop {
            let released = self.released.notified();
            tokio::pin!(released);
            // Registered before the check, so a release between the check and the wait
            // is not missed.
            released.as_mut().enable();
            match self.try_admit(peer) {
                Some(admission) => return admission,
                None => released.await,
            }
        }
    }

    /// One attempt: `None` means every connection is busy and the global cap is reached.
    fn try_admit(self: &Arc<Self>, peer: IpAddr) -> Option<Admission> {
        let mut registry = self.registry.lock();
        if registry.per_peer.get(&peer).copied().unwrap_or(0) >= self.max_per_peer {
            let Some(victim) = registry.longest_waiting(Some(peer)) else {
                self.counts.refused.fetch_add(1, Ordering::Relaxed);
                return Some(Admission::Refused);
            };
            registry.evict(&victim);
            self.counts.evicted.fetch_add(1, Ordering::Relaxed);
        }
        if registry.live.len() >= self.max_connections {
            let victim = registry.longest_waiting(None)?;
            registry.evict(&victim);
            self.counts.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let id = registry.next_id;
        registry.next_id += 1;
        let slot = Arc::new(Slot {
            id,
            peer,
            phase: AtomicU64::new(BUSY),
            epoch: self.epoch,
            evicted: AtomicBool::new(false),
            evict: Notify::new(),
        });
        slot.set_idle();
        registry.live.insert(id, Arc::clone(&slot));
        *registry.per_peer.entry(peer).or_insert(0) += 1;
        Some(Admission::Admitted(ConnectionGuard {
            connections: Arc::clone(self),
            slot,
        }))
    }
}

/// An admitted connection's hold on its slot.
#[derive(Debug)]
pub struct ConnectionGuard {
    connections: Arc<Connections>,
    slot: Arc<Slot>,
}

impl ConnectionGuard {
    /// The connection's slot, for the request handler to set its phase.
    pub fn slot(&self) -> &Arc<Slot> {
        &self.slot
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let removed = self.connections.registry.lock().remove(&self.slot);
        if removed {
            self.connections.released.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    fn limits(total: usize, per_peer: usize) -> ServerLimits {
        ServerLimits {
            max_connections: total,
            max_connections_per_peer: per_peer,
            ..ServerLimits::default()
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    }

    fn admitted(a: Admission) -> ConnectionGuard {
        match a {
            Admission::Admitted(g) => g,
            Admission::Refused => panic!("refused"),
        }
    }

    #[test]
    fn at_the_cap_the_longest_waiting_connection_makes_room() {
        let rt = runtime();
        let c = Connections::new(&limits(2, 10));
        let first = admitted(rt.block_on(c.admit(A)));
        std::thread::sleep(Duration::from_millis(3));
        let second = admitted(rt.block_on(c.admit(B)));
        let third = admitted(rt.block_on(c.admit(B)));
        assert!(first.slot().is_evicted(), "the oldest waiting one goes");
        assert!(!second.slot().is_evicted() && !third.slot().is_evicted());
        assert_eq!(c.len(), 2);
        assert_eq!(c.counts.evicted.load(Ordering::Relaxed), 1);
        // Its task notices and ends; dropping an evicted guard frees nothing twice.
        rt.block_on(first.slot().evicted());
        drop(first);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn busy_connections_are_never_evicted_and_a_newcomer_waits_for_one() {
        let rt = runtime();
        let c = Connections::new(&limits(1, 10));
        let busy = admitted(rt.block_on(c.admit(A)));
        busy.slot().set_busy();
        let waiter = {
            let c = Arc::clone(&c);
            std::thread::spawn(move || runtime().block_on(c.admit(B)))
        };
        std::thread::sleep(Duration::from_millis(20));
        assert!(!busy.slot().is_evicted());
        assert_eq!(c.len(), 1);
        drop(busy);
        let next = admitted(waiter.join().expect("the waiter"));
        assert_eq!(c.len(), 1);
        assert!(!next.slot().is_evicted());
    }

    #[test]
    fn one_address_at_its_cap_gives_up_its_own_connections_not_others() {
        let rt = runtime();
        let c = Connections::new(&limits(100, 2));
        let other = admitted(rt.block_on(c.admit(B)));
        std::thread::sleep(Duration::from_millis(3));
        let a1 = admitted(rt.block_on(c.admit(A)));
        let a2 = admitted(rt.block_on(c.admit(A)));
        let a3 = admitted(rt.block_on(c.admit(A)));
        assert!(
            !other.slot().is_evicted(),
            "the other address keeps its slot"
        );
        assert!(a1.slot().is_evicted());
        assert!(!a2.slot().is_evicted() && !a3.slot().is_evicted());
        // Every connection of A busy: the next one from A is refused.
        a2.slot().set_busy();
        a3.slot().set_busy();
        assert!(matches!(rt.block_on(c.admit(A)), Admission::Refused));
        assert_eq!(c.counts.refused.load(Ordering::Relaxed), 1);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn a_connection_reading_a_body_is_waiting_but_not_idle() {
        let rt = runtime();
        let c = Connections::new(&limits(10, 10));
        let g = admitted(rt.block_on(c.admit(A)));
        assert!(g.slot().idle_for().is_some());
        g.slot().set_reading_body();
        assert_eq!(g.slot().idle_for(), None);
        assert!(g.slot().waiting_since().is_some());
        g.slot().set_busy();
        assert_eq!(g.slot().waiting_since(), None);
        g.slot().set_idle();
        assert!(g.slot().idle_for().is_some());
        drop(g);
        assert!(c.is_empty());
    }
}
