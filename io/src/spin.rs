//! Bounded polling before blocking.
//!
//! The engine's hand-offs (a group-commit follower waiting for its leader's write, a
//! writer waiting for earlier sequence numbers to be published) usually finish within a
//! few microseconds on another core. Parking on a futex instead costs a sleep and a
//! wake-up, tens of microseconds on a virtual machine, for every such overlap: measured
//! here, two writer threads in `Durability::None` ran slower than one. So waiters poll
//! first, for a bounded time, and only then sleep.

use std::time::{Duration, Instant};

/// Busy-wait iterations before [`spin_until`] starts yielding the core.
const SPIN_PAUSES: u32 = 256;

/// Longest [`spin_until`] polls by default: a few group-commit write batches.
pub const DEFAULT_SPIN: Duration = Duration::from_micros(50);

/// Polls `done` until it returns true or `max` has passed: first with CPU pause hints,
/// then yielding the core (so the thread being waited for can run if it shares it).
/// Returns whether `done` became true. Never blocks; the caller then sleeps properly.
pub fn spin_until(max: Duration, mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..SPIN_PAUSES {
        if done() {
            return true;
        }
        std::hint::spin_loop();
    }
    let start = Instant::now();
    // Bounded by `max`: each turn yields once and re-checks the clock.
    loop {
        if done() {
            return true;
        }
        if start.elapsed() >= max {
            return false;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    #[test]
    fn returns_true_once_done_and_false_after_the_bound() {
        assert!(spin_until(DEFAULT_SPIN, || true));
        let t0 = Instant::now();
        assert!(!spin_until(Duration::from_millis(2), || false));
        assert!(t0.elapsed() >= Duration::from_millis(2));
        let flag = Arc::new(AtomicBool::new(false));
        let setter = {
            let flag = flag.clone();
            std::thread::spawn(move || flag.store(true, Ordering::SeqCst))
        };
        assert!(spin_until(Duration::from_secs(5), || flag.load(Ordering::SeqCst)));
        setter.join().unwrap();
    }
}
