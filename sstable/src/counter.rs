//! A statistics counter that many threads bump on every read without sharing a cache
//! line.
//!
//! Why: a plain `AtomicU64` bumped by every reader (bloom checks, cache hits) bounces its
//! cache line between cores on each lookup, which on the read path costs more than the
//! lookup's own bookkeeping. Each thread instead adds to one of [`STRIPES`] padded slots,
//! picked once per thread; reading the total sums the slots. The total is exact once the
//! bumping threads are done, and otherwise a snapshot (each slot is read once).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Slots per counter: more than the cores this engine targets, so threads rarely share.
pub const STRIPES: usize = 8;

/// One slot on its own cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Slot(AtomicU64);

/// A monotonically increasing counter, cheap to bump from many threads. `Send + Sync`.
#[derive(Debug, Default)]
pub struct StripedCounter {
    slots: [Slot; STRIPES],
}

/// This thread's slot index, assigned round-robin on its first bump.
fn stripe() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static STRIPE: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    STRIPE.with(|s| *s)
}

impl StripedCounter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.slots[stripe()].0.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn bump(&self) {
        self.add(1);
    }

    /// The total over all slots.
    pub fn get(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.0.load(Ordering::Relaxed))
            .fold(0, u64::wrapping_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_total_counts_every_bump_from_every_thread() {
        let c = StripedCounter::default();
        std::thread::scope(|s| {
            for t in 0..(2 * STRIPES as u64) {
                let c = &c;
                s.spawn(move || {
                    for _ in 0..1000 {
                        c.bump();
                    }
                    c.add(t);
                });
            }
        });
        let threads = 2 * STRIPES as u64;
        assert_eq!(c.get(), threads * 1000 + threads * (threads - 1) / 2);
    }
}
