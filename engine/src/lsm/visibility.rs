//! Publishing sequence numbers in order.
//!
//! Each batch gets its sequence number (its WAL LSN) before it is durable. Batches become
//! durable in groups and their writers wake in any order, but a reader at sequence `s`
//! must see every batch at or below `s`. So a writer reports completion here, and
//! `visible` advances only over a contiguous run of completed numbers. A writer returns
//! only once its own number is visible (read-your-writes).
//!
//! If a writer can never complete (its WAL sync failed), [`Visibility::fail`] wakes every
//! waiter with an error: nothing above the hole can ever become visible.

use std::collections::BTreeSet;
use std::time::Duration;

use super::sync_shim::{AtomicU64, Condvar, Mutex, MutexGuard, Ordering};

/// How long one wait on the condition variable lasts before re-checking for failure.
const WAIT_SLICE: Duration = Duration::from_millis(50);
/// Waits before a writer gives up on becoming visible (≈ 10 minutes): a bound, not a
/// timeout anyone should hit, since every assigned number completes or fails.
const MAX_WAIT_SLICES: u32 = 12_000;

#[derive(Debug)]
struct State {
    /// Completed numbers above `visible` (not yet contiguous).
    done: BTreeSet<u64>,
    failed: bool,
    /// Threads blocked in `wait_visible`: completions notify only when there are some
    /// (a condvar notification is a syscall even with nobody waiting).
    waiters: usize,
}

/// The in-order publisher of `visible_seq`.
///
/// Invariant: `visible` only grows, and is written only under `state`'s lock, so readers
/// may load it without the lock (every read takes a snapshot sequence from it).
#[derive(Debug)]
pub(crate) struct Visibility {
    visible: AtomicU64,
    state: Mutex<State>,
    cv: Condvar,
}

/// Why a wait ended without the sequence becoming visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitError {
    /// Some earlier writer failed; the engine is poisoned.
    Failed,
    /// The bounded wait ran out.
    TimedOut,
}

impl Visibility {
    /// Everything up to `visible` is already visible (recovered state).
    pub(crate) fn new(visible: u64) -> Self {
        Visibility {
            visible: AtomicU64::new(visible),
            state: Mutex::new(State {
                done: BTreeSet::new(),
                failed: false,
                waiters: 0,
            }),
            cv: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The highest sequence number readers may see. Lock-free.
    pub(crate) fn visible(&self) -> u64 {
        // Acquire pairs with the Release in `complete`: a reader that sees `s` also sees
        // the memtable inserts of every batch at or below `s`.
        self.visible.load(Ordering::Acquire)
    }

    /// Marks `seq` durable and applied; advances `visible` over the contiguous run.
    pub(crate) fn complete(&self, seq: u64) {
        let mut st = self.lock();
        let mut visible = self.visible.load(Ordering::Relaxed);
        if seq <= visible {
            return;
        }
        if seq == visible + 1 && st.done.is_empty() {
            // The common case (writers finishing in order): no set insert at all.
            visible = seq;
        } else {
            st.done.insert(seq);
            while st.done.first() == Some(&(visible + 1)) {
                st.done.pop_first();
                visible += 1;
            }
        }
        let advanced = visible > self.visible.load(Ordering::Relaxed);
        self.visible.store(visible, Ordering::Release);
        let wake = advanced && st.waiters > 0;
        drop(st);
        if wake {
            self.cv.notify_all();
        }
    }

    /// Blocks until `seq` is visible.
    ///
    /// # Errors
    /// [`WaitError::Failed`] after [`Visibility::fail`], [`WaitError::TimedOut`] when the
    /// bounded wait runs out.
    pub(crate) fn wait_visible(&self, seq: u64) -> Result<(), WaitError> {
        if self.visible() >= seq {
            return Ok(());
        }
        // The writers ahead of us are usually running on another core and finish within
        // microseconds; sleeping on the condvar would cost a wake-up (tens of µs on a VM)
        // for each such overlap. So poll briefly first.
        #[cfg(not(loom))]
        if shale_io::spin::spin_until(shale_io::spin::DEFAULT_SPIN, || self.visible() >= seq) {
            return Ok(());
        }
        let mut st = self.lock();
        let mut result = Err(WaitError::TimedOut);
        st.waiters += 1;
        for _ in 0..MAX_WAIT_SLICES {
            if self.visible.load(Ordering::Acquire) >= seq {
                result = Ok(());
                break;
            }
            if st.failed {
                result = Err(WaitError::Failed);
                break;
            }
            st = self
                .cv
                .wait_timeout(st, WAIT_SLICE)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        st.waiters -= 1;
        result
    }

    /// A writer will never complete: wake every waiter with an error.
    pub(crate) fn fail(&self) {
        self.lock().failed = true;
        self.cv.notify_all();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn visible_advances_only_over_contiguous_completions() {
        let v = Visibility::new(10);
        v.complete(12);
        assert_eq!(v.visible(), 10);
        v.complete(11);
        assert_eq!(v.visible(), 12);
        v.complete(5);
        assert_eq!(v.visible(), 12);
    }

    #[test]
    fn waiters_wake_in_order_and_on_failure() {
        let v = Arc::new(Visibility::new(0));
        let v2 = v.clone();
        let t = std::thread::spawn(move || v2.wait_visible(2));
        v.complete(2);
        v.complete(1);
        assert_eq!(t.join().unwrap(), Ok(()));
        let v3 = v.clone();
        let t = std::thread::spawn(move || v3.wait_visible(4));
        v.fail();
        assert_eq!(t.join().unwrap(), Err(WaitError::Failed));
    }
}
