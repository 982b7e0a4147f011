//! The memtable-switch hand-off: how readers, writers, the switcher and the flusher share
//! the engine's current state without losing a write or reading a retired structure.
//!
//! The state readers need (active memtable, frozen memtables, SSTable version) lives in one
//! immutable value behind an `Arc`, published in a [`SwitchCell`]:
//! - a reader `load`s the `Arc` and reads at leisure; whatever it holds stays alive
//!   (memtables and tables are refcounted) even after it is replaced;
//! - a writer holds [`SwitchCell::write_guard`] (a shared lock) while it assigns its
//!   sequence number and inserts into the active memtable, so the switcher, which takes
//!   the lock exclusively, sees every insert either completed before the switch (and in
//!   the frozen memtable, below the recorded boundary) or started after it (in the new
//!   one): no write lands in a memtable after it was frozen;
//! - the flusher replaces the state in one step (frozen memtable out, its table in), so
//!   every reader finds each write in exactly one of the two.
//!
//! Generic over its contents and built on `super::sync_shim`, so the loom model in
//! `engine/tests/loom_memtable_switch.rs` checks this exact code.

use super::sync_shim::{Arc, RwLock, RwLockReadGuard};

/// An atomically replaceable `Arc<T>` with a shared "writer" lock that excludes swaps.
#[derive(Debug)]
pub struct SwitchCell<T> {
    current: RwLock<Arc<T>>,
}

/// Held by a writer while it inserts; derefs to the state it must insert into.
pub struct WriteGuard<'a, T> {
    guard: RwLockReadGuard<'a, Arc<T>>,
}

impl<T> std::ops::Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> SwitchCell<T> {
    /// A cell holding `value`.
    pub fn new(value: T) -> Self {
        SwitchCell {
            current: RwLock::new(Arc::new(value)),
        }
    }

    /// The current state. Never blocks for long: only a swap holds the lock exclusively.
    pub fn load(&self) -> Arc<T> {
        let g = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(&g)
    }

    /// A shared guard: no swap happens while it is held.
    pub fn write_guard(&self) -> WriteGuard<'_, T> {
        WriteGuard {
            guard: self
                .current
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Replaces the state with `f(current)`, excluding writers and other swaps while `f`
    /// runs. `f` may decline (return `None`), e.g. when another thread already switched.
    /// Returns what `f` returned alongside, if it swapped.
    pub fn swap_with<R>(&self, f: impl FnOnce(&Arc<T>) -> Option<(T, R)>) -> Option<R> {
        let mut g = self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (next, r) = f(&g)?;
        *g = Arc::new(next);
        Some(r)
    }
}
