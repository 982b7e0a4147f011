//! [`Signal`]: how the rest of the table layer talks to the background worker. Writers
//! and the control plane call [`Signal::notify`] when they leave work behind (a GSI
//! queue record, a drop record, a backfill); the handle calls [`Signal::shutdown`] when
//! it is dropped; the worker's loop (`crate::worker`) waits on it, always with a bound.
//!
//! A leaf module so that [`crate::core::Core`] can hold the signal without importing the
//! worker, which imports `Core`.
//!
//! Thread safety: one mutex around two flags, plus a condvar. Nothing else is locked
//! while it is held, so it sits last in every lock order.

use std::time::Duration;

use parking_lot::{Condvar, Mutex};

/// Wakes the background worker and tells it to stop.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    state: Mutex<State>,
    cond: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Work was left since the worker last woke.
    pending: bool,
    /// The worker must exit; never cleared.
    shutdown: bool,
}

/// What a wait ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Notified, or the wait's bound passed: run a round.
    Run,
    /// Shut down: exit.
    Stop,
}

impl Signal {
    /// Work is waiting: wakes the worker, or makes its next wait return at once.
    pub(crate) fn notify(&self) {
        let mut st = self.state.lock();
        st.pending = true;
        self.cond.notify_all();
    }

    /// Tells the worker to exit after its current bounded step.
    pub(crate) fn shutdown(&self) {
        let mut st = self.state.lock();
        st.shutdown = true;
        self.cond.notify_all();
    }

    /// Waits until notified, shut down, or `timeout` passed (returns at once if work is
    /// already pending), and clears `pending`.
    pub(crate) fn wait(&self, timeout: Duration) -> Wake {
        let mut st = self.state.lock();
        if !st.shutdown && !st.pending {
            // One bounded wait: a spurious or timed-out wake-up just runs a round early.
            self.cond.wait_for(&mut st, timeout);
        }
        if st.shutdown {
            return Wake::Stop;
        }
        st.pending = false;
        Wake::Run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_work_and_shutdown_end_the_wait_at_once() {
        let s = Signal::default();
        s.notify();
        // Would block for an hour were `pending` not seen.
        assert_eq!(s.wait(Duration::from_secs(3600)), Wake::Run);
        assert_eq!(s.wait(Duration::from_millis(1)), Wake::Run);
        s.shutdown();
        assert_eq!(s.wait(Duration::from_secs(3600)), Wake::Stop);
        s.notify();
        assert_eq!(s.wait(Duration::from_secs(3600)), Wake::Stop);
    }
}

/// Wakes stream consumers (`crate::streams::consumer`) when a write logs change records:
/// a generation counter they wait to see move, always with a bound. A leaf lock, like
/// [`Signal`]'s.
#[derive(Debug, Default)]
pub(crate) struct StreamWake {
    generation: Mutex<u64>,
    cond: Condvar,
}

impl StreamWake {
    /// Change records were committed.
    pub(crate) fn notify(&self) {
        let mut g = self.generation.lock();
        *g = g.wrapping_add(1);
        self.cond.notify_all();
    }

    /// The current generation.
    pub(crate) fn generation(&self) -> u64 {
        *self.generation.lock()
    }

    /// Waits until the generation differs from `seen`, or `timeout` passed; returns the
    /// generation then.
    pub(crate) fn wait_past(&self, seen: u64, timeout: Duration) -> u64 {
        let mut g = self.generation.lock();
        if *g == seen {
            self.cond.wait_for(&mut g, timeout);
        }
        *g
    }
}
